/// The SRTP side of a DTLS-SRTP session (RFC 5764 §4.2): once DTLS is up, the keys it exported
/// for the negotiated profile make two contexts, the local key's for what this side sends and
/// the remote key's for what it receives, whichever DTLS role this side had. The server's and
/// the client's peers both start their media this way.
///
/// Not thread-safe, like its contexts: confine it to its peer's event loop.
public struct SRTPSession {
    public enum SetupError: Error, CustomStringConvertible {
        /// DTLS connected without use_srtp: there are no keys.
        case noProfileNegotiated
        case srtp(SRTPError)

        public var description: String {
            switch self {
            case .noProfileNegotiated: "no SRTP profile was negotiated"
            case .srtp(let error): "SRTP setup failed: \(error)"
            }
        }
    }

    public let profile: SRTPProfile
    /// Protects what this side sends (RTP and RTCP).
    public let outbound: SRTPContext
    /// Unprotects what the peer sends.
    public let inbound: SRTPContext

    /// How far behind the newest an inbound RTP packet may arrive and still be taken.
    public static let inboundReplayWindow = 1024

    /// - Parameter retransmissionWindow: for a sender that answers NACKs by sending a packet
    ///   again under its own index: how far behind the newest that may be (its history's size).
    public init(dtls: DTLSTransport, retransmissionWindow: Int? = nil) throws(SetupError) {
        guard let keys = dtls.srtpKeys else { throw .noProfileNegotiated }
        do {
            outbound = try SRTPContext(profile: keys.profile, masterKey: keys.local, direction: .outbound,
                                       allowRepeatTransmit: retransmissionWindow != nil, replayWindow: retransmissionWindow)
            // libsrtp's default replay window is 128 packets: a resend answering a NACK deep
            // inside a large keyframe arrives further behind than that and would be refused.
            inbound = try SRTPContext(profile: keys.profile, masterKey: keys.remote, direction: .inbound,
                                      replayWindow: Self.inboundReplayWindow)
        } catch {
            throw .srtp(error)
        }
        profile = keys.profile
    }

    /// A compound RTCP packet, protected for sending; nil if SRTCP refused it.
    public func protect(rtcp packets: [RTCPPacket]) -> [UInt8]? {
        var bytes = RTCPPacket.serializeCompound(packets)
        bytes.reserveCapacity(bytes.count + SRTPContext.maxTrailerLength)
        do {
            try outbound.protectRTCP(&bytes)
            return bytes
        } catch {
            return nil
        }
    }
}
