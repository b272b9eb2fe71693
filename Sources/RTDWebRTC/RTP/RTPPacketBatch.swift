/// One encoded picture, packetized once for every peer that sends it: payloads with their marker
/// bits and the RTP timestamp shared by all those peers.
public struct RTPPacketBatch: Sendable {
    public let packets: [RTPOutboundPacket]
    public let rtpTimestamp: UInt32
    public let isKeyframe: Bool
    /// Increases by one per picture of this track (a re-encoded keyframe of the same frame gets a
    /// new one), so a peer can tell a picture it already has.
    public let picture: Int
    /// The stream the picture belongs to, an opaque id chosen by the sender: after a switch,
    /// pictures of the previous stream may still be on their way to a peer, and must not reach
    /// its decoder.
    public let track: UInt64
    /// When what it carries was captured (unix µs), if known: sender reports then map the wall
    /// clock to RTP time by capture, so a receiver lines up streams of one source (lip sync).
    public let capturedAt: Int64?

    public init(packets: [RTPOutboundPacket], rtpTimestamp: UInt32, isKeyframe: Bool, picture: Int, track: UInt64,
                capturedAt: Int64? = nil) {
        self.packets = packets
        self.rtpTimestamp = rtpTimestamp
        self.isKeyframe = isKeyframe
        self.picture = picture
        self.track = track
        self.capturedAt = capturedAt
    }
}
