import RTDCore

/// Turns encoded pictures of one codec into RTP payloads (stateful: parameter-set caches,
/// picture ids), one per sending stream.
public protocol RTPVideoPacketizer: Sendable {
    mutating func packetize(_ picture: [UInt8]) -> [RTPPayloadFragment]
}

extension H264Packetizer: RTPVideoPacketizer {
    public mutating func packetize(_ picture: [UInt8]) -> [RTPPayloadFragment] { packetize(accessUnit: picture) }
}

extension VP8Packetizer: RTPVideoPacketizer {
    public mutating func packetize(_ picture: [UInt8]) -> [RTPPayloadFragment] { packetize(frame: picture) }
}

/// Everything the WebRTC stack knows about one video codec, in one place: its SDP name, clock
/// rate and parameters, which offered formats it can send, how pictures become payloads and
/// payloads pictures. Adding a codec is one more descriptor (and its media-side counterpart,
/// RTDMedia's `LibavVideoCodec`), not a conditional at each use.
public struct RTPVideoCodecDescriptor: Sendable {
    /// An offered format we can send: preferred ones are chosen before merely acceptable ones.
    public enum Acceptance: Sendable { case preferred, acceptable }

    public let codec: VideoCodec
    /// Encoding name in a=rtpmap.
    public let encodingName: String
    public let clockRate: Int
    /// a=fmtp parameters our offers carry, if any.
    public let offeredParameters: String?
    /// What an offered format must be for us to send it, in words (for errors).
    public let requirement: String
    /// Whether a format with these a=fmtp parameters can be sent; nil when it cannot.
    public let accepts: @Sendable (_ parameters: [String: String]) -> Acceptance?
    public let makePacketizer: @Sendable () -> any RTPVideoPacketizer
    /// Rebuilds one picture from its packets in sequence order.
    public let assemble: @Sendable (_ packets: [RTPPacket]) throws(RTPDepacketizeError) -> AssembledVideoFrame
    /// Whether a payload certainly begins a picture (a receiver may then decode from it
    /// without having seen the previous picture's last packet).
    public let certainlyStartsFrame: @Sendable (_ payload: [UInt8]) -> Bool

    public static let h264 = RTPVideoCodecDescriptor(
        codec: .h264, encodingName: "H264", clockRate: 90_000,
        offeredParameters: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
        requirement: "H.264 packetization-mode=1 constrained baseline",
        accepts: { fmtp in
            guard fmtp["packetization-mode"] == "1", let profile = fmtp["profile-level-id"],
                  H264ProfileLevelID.isBaselineFamily(profile) else { return nil }
            return H264ProfileLevelID.isConstrainedBaseline(profile) ? .preferred : .acceptable
        },
        makePacketizer: { H264Packetizer() },
        assemble: { packets throws(RTPDepacketizeError) in try H264Depacketizer.assemble(packets) },
        certainlyStartsFrame: { payload in
            guard let header = payload.first else { return false }
            // Encoders put SPS (and PPS) first in a keyframe, alone or aggregated in a STAP-A.
            let type = header & 0x1F
            return type == H264Packetizer.NALType.sps || type == H264Packetizer.NALType.accessUnitDelimiter
                || type == H264Packetizer.NALType.stapA
        })

    public static let vp8 = RTPVideoCodecDescriptor(
        codec: .vp8, encodingName: "VP8", clockRate: 90_000, offeredParameters: nil, requirement: "VP8",
        accepts: { _ in .preferred },
        makePacketizer: { VP8Packetizer() },
        assemble: { packets throws(RTPDepacketizeError) in try VP8Depacketizer.assemble(packets) },
        certainlyStartsFrame: { payload in
            guard let d = try? VP8PayloadDescriptor.parse(payload) else { return false }
            return d.startOfPartition && d.partitionID == 0
        })
}

extension VideoCodec {
    /// This codec's RTP descriptor.
    public var rtp: RTPVideoCodecDescriptor {
        switch self {
        case .h264: .h264
        case .vp8: .vp8
        }
    }
}
