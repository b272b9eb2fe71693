import CFFmpeg
import RTDCore

/// What libav needs to know about each video codec, in one place: adding a codec is one more
/// case here (and in RTDWebRTC's `RTPVideoCodecDescriptor`), not a conditional at each use.
struct LibavVideoCodec {
    let codecID: AVCodecID
    /// Encoder names, preferred first.
    let encoders: [String]
    /// Largest picture side the encoders accept (checked before libav is asked, so the refusal
    /// can say why).
    let maxSide: Int
    /// Whether a muxer needs the stream's parameter sets as extradata before its first packet.
    let needsParameterSets: Bool

    init(_ codec: VideoCodec) {
        switch codec {
        case .h264:
            self = LibavVideoCodec(codecID: AV_CODEC_ID_H264, encoders: ["libx264", "libopenh264"], maxSide: 16384,
                                   needsParameterSets: true)
        case .vp8:
            self = LibavVideoCodec(codecID: AV_CODEC_ID_VP8, encoders: ["libvpx"], maxSide: 16383, needsParameterSets: false)
        }
    }

    private init(codecID: AVCodecID, encoders: [String], maxSide: Int, needsParameterSets: Bool) {
        self.codecID = codecID
        self.encoders = encoders
        self.maxSide = maxSide
        self.needsParameterSets = needsParameterSets
    }
}

/// Decodes a stream of compressed pictures as they arrive from the network (a receiver's
/// reassembled frames) into I420 frames.
public final class VideoStreamDecoder {
    private let decoder: VideoDecoder

    public init(codec: VideoCodec, threads: Int = 1) throws(MediaError) {
        decoder = try VideoDecoder(codecID: LibavVideoCodec(codec).codecID, threads: threads)
    }

    /// Feeds one compressed picture; `frame` makes each picture the decoder releases into a Frame
    /// (it is given the index/time builder, since a decoder may release zero or several).
    public func decode(_ data: [UInt8], isKeyframe: Bool, pts: Int64,
                       each: (_ makeFrame: (_ capturedAt: Int64, _ index: Int) throws(MediaError) -> Frame) throws(MediaError) -> Void)
        throws(MediaError) {
        var data = data
        let sent = try data.withUnsafeMutableBufferPointer { (buffer) throws(MediaError) -> Bool in
            guard let packet = av_packet_alloc() else { throw MediaError(.codec, "out of memory") }
            var pkt: UnsafeMutablePointer<AVPacket>? = packet
            defer { av_packet_free(&pkt) }
            packet.pointee.data = buffer.baseAddress
            packet.pointee.size = Int32(buffer.count)
            packet.pointee.pts = pts
            if isKeyframe { packet.pointee.flags = AV_PKT_FLAG_KEY }
            return try decoder.send(packet)
        }
        guard sent else { return }
        while case .frame(let picture) = try decoder.receive() {
            try each { (capturedAt, index) throws(MediaError) in
                try decoder.makeFrame(picture, size: nil, pts: pts, capturedAt: capturedAt, index: index)
            }
        }
    }
}
