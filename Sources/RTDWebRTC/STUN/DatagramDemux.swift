/// Demultiplexing of one UDP port shared by STUN, DTLS, RTP and RTCP (RFC 7983 §7, RFC 5761 §4).
public enum WebRTCDatagramKind: Sendable, Equatable {
    case stun
    case dtls
    case rtp
    case rtcp
    case unknown

    public static func classify(_ datagram: some Collection<UInt8>) -> WebRTCDatagramKind {
        guard let first = datagram.first else { return .unknown }
        switch first {
        case 0...3:
            return .stun
        case 20...63:
            return .dtls
        case 128...191:
            // RTCP packet types 192–223 would be RTP payload types 64–95 with the marker set;
            // RFC 5761 reserves that range so the second byte tells them apart.
            guard let second = datagram.dropFirst().first else { return .unknown }
            return (192...223).contains(second) ? .rtcp : .rtp
        default:
            return .unknown
        }
    }
}
