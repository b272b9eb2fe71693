/// Which video codec: the one name media (encoders, muxers, decoders) and WebRTC (SDP, RTP
/// payload formats) share. What each layer needs to know about a codec lives in that layer's
/// descriptor for it (`RTPVideoCodecDescriptor` in RTDWebRTC, `LibavVideoCodec` in RTDMedia).
public enum VideoCodec: String, Sendable, Hashable, CaseIterable {
    case h264
    case vp8
}
