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
    /// A packet is resent at most once in this long (µs; about a round trip): a receiver asks
    /// again before the first resend can have arrived (aiortc on every packet while one is
    /// missing), and answering every ask on a congested path multiplied what it had to carry.
    public var minResendInterval: Int64 = 100_000
    /// When each history slot's packet was last resent.
    private var resentAt: [Int64]
    private static let never = Int64.min / 2
    /// The first packet of the stream sent now (see `restart`).
    private var currentFrom: UInt16?
    /// Packets resent since the path was last quiet, for `followUp` (at most `followUpLimit`).
    private var unconfirmed: [UInt16] = []
    private var lastAsked: Int64 = 0
    static let followUpLimit = 256

    public init(mediaSSRC: UInt32, capacity: Int = 1024) {
        self.mediaSSRC = mediaSSRC
        history = RetransmissionHistory(capacity: capacity)
        resentAt = Array(repeating: Self.never, count: history.capacity)
    }

    /// A packet as it was sent.
    public mutating func sent(_ entry: RetransmissionHistory.Entry) {
        history.store(entry)
        resentAt[Int(entry.sequence) & (resentAt.count - 1)] = Self.never
    }

    /// The sender switched its source (a camera or layer change) and the next packet, `sequence`,
    /// starts from a keyframe. Losses from before it are still repaired: a receiver may hold its
    /// jitter buffer for them (aiortc does, for up to 512 packets, seconds on a narrow path);
    /// but they say nothing of the new stream's path.
    public mutating func restart(at sequence: UInt16) {
        currentFrom = sequence
    }

    /// Whether `sequence` is of the stream sent now (not of one before a restart).
    public func isCurrent(_ sequence: UInt16) -> Bool {
        guard let currentFrom else { return true }
        return Int16(bitPattern: sequence &- currentFrom) >= 0
    }

    /// The answer to `nack`, or nil when it is about another stream. A sequence number listed
    /// twice in one NACK (overlapping PID/BLP pairs) is resent once: a forged NACK repeating one
    /// number would otherwise turn each small RTCP packet into hundreds of resends.
    public mutating func respond(to nack: RTCPGenericNACK, now: Int64) -> Response? {
        guard nack.mediaSSRC == mediaSSRC else { return nil }
        lastAsked = now
        var response = Response()
        var seen = Set<UInt16>()
        for sequence in nack.lostSequenceNumbers where seen.insert(sequence).inserted {
            guard let entry = history.entry(sequence: sequence) else {
                response.unrepairable = true
                continue
            }
            let slot = Int(sequence) & (resentAt.count - 1)
            guard now - resentAt[slot] >= minResendInterval else { continue }
            resentAt[slot] = now
            response.resend.append(entry)
            if unconfirmed.count < Self.followUpLimit { unconfirmed.append(sequence) }
        }
        return response
    }

    /// A receiver that asks for a packet once (aiortc asks only when it sees a new gap) never
    /// learns that the resend was lost as well, and holds its picture for it (aiortc for up to 512
    /// packets: seconds on a narrow path). Resends made while the path was losing are the likeliest
    /// to be lost, so once nothing has been asked for two resend intervals (the path looks clean
    /// again) each is sent once more. A second copy of one that did arrive is dropped by the
    /// receiver's SRTP replay check.
    public mutating func followUp(now: Int64) -> [RetransmissionHistory.Entry] {
        guard !unconfirmed.isEmpty, now - lastAsked >= 2 * minResendInterval else { return [] }
        defer { unconfirmed.removeAll(keepingCapacity: true) }
        return unconfirmed.compactMap { history.entry(sequence: $0) }
    }
}
