/// The sender's half of NACK (RFC 4585 §6.2.1): remembers what it sent and answers a generic NACK
/// with the packets it still holds. A packet it no longer holds cannot be repaired, and the
/// receiver's picture stays broken until a keyframe, so the answer says so and the caller asks
/// for one rather than waiting for the receiver to give up.
///
/// Pure: it returns history entries to resend; protecting and sending them is the caller's.
public struct NACKResponder: Sendable {
    public struct Response: Sendable {
        /// The packets to send again, each once, in the order the NACK listed them.
        public var resend: [RetransmissionHistory.Entry] = []
        /// Some packet asked for is no longer held.
        public var unrepairable = false
    }

    /// The stream this side sends; NACKs about any other are not ours to answer.
    public let mediaSSRC: UInt32
    public private(set) var history: RetransmissionHistory

    public init(mediaSSRC: UInt32, capacity: Int = 1024) {
        self.mediaSSRC = mediaSSRC
        history = RetransmissionHistory(capacity: capacity)
    }

    /// A packet as it was sent.
    public mutating func sent(_ entry: RetransmissionHistory.Entry) {
        history.store(entry)
    }

    /// The answer to `nack`, or nil when it is about another stream. A sequence number listed
    /// twice in one NACK (overlapping PID/BLP pairs) is resent once: a forged NACK repeating one
    /// number would otherwise turn each small RTCP packet into hundreds of resends.
    public func respond(to nack: RTCPGenericNACK) -> Response? {
        guard nack.mediaSSRC == mediaSSRC else { return nil }
        var response = Response()
        var seen = Set<UInt16>()
        for sequence in nack.lostSequenceNumbers where seen.insert(sequence).inserted {
            if let entry = history.entry(sequence: sequence) {
                response.resend.append(entry)
            } else {
                response.unrepairable = true
            }
        }
        return response
    }
}
