/// The receiver's half of NACK (RFC 4585 §6.2.1): the log of sequence numbers that are missing,
/// and which of them to ask for again now: not more often than once per `interval` (the caller
/// passes about a round trip, at least `minInterval`) and at most `maxRetries` times each, after
/// which the hole is left to the jitter buffer's time limit.
///
/// Works on extended sequence numbers (`RTPSequence.extend`) so that holes keep their order
/// across the wrap. Bounded by its owner: a jitter buffer marks at most its capacity missing
/// and forgets what it gives up. Pure: `now` is monotonic µs, passed in.
public struct NACKGenerator: Sendable {
    public struct Configuration: Sendable {
        /// NACKs per missing packet before waiting out the jitter buffer's time limit.
        public var maxRetries = 8
        /// Least time between two NACKs of the same packet.
        public var minInterval: Int64 = 20_000

        public init() {}
    }

    private struct Hole: Sendable {
        var since: Int64
        var lastNack: Int64?
        var nacks = 0
    }

    public let configuration: Configuration
    private var holes: [Int64: Hole] = [:]

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Sequence numbers currently missing.
    public var count: Int { holes.count }

    /// Packets in `range` did not come (a later one did).
    public mutating func markMissing(_ range: Range<Int64>, now: Int64) {
        for sequence in range where holes[sequence] == nil { holes[sequence] = Hole(since: now) }
    }

    /// `sequence` arrived; true when it filled a hole that had been NACKed (a recovery).
    public mutating func received(_ sequence: Int64) -> Bool {
        guard let hole = holes.removeValue(forKey: sequence) else { return false }
        return hole.nacks > 0
    }

    /// Since when `sequence` has been missing, if it is.
    public func missingSince(_ sequence: Int64) -> Int64? { holes[sequence]?.since }

    /// Holes in `range` are no longer wanted (given up, or before a restart).
    public mutating func forget(_ range: Range<Int64>) {
        if range.count > holes.count {
            holes = holes.filter { !range.contains($0.key) }
        } else {
            for sequence in range { holes.removeValue(forKey: sequence) }
        }
    }

    public mutating func forgetAll() { holes.removeAll() }

    /// The sequence numbers to NACK now, in order; each is counted as asked.
    public mutating func due(now: Int64, interval: Int64) -> [Int64] {
        let wait = max(interval, configuration.minInterval)
        var due: [Int64] = []
        for (sequence, hole) in holes where hole.nacks < configuration.maxRetries {
            if let last = hole.lastNack, now - last < wait { continue }
            holes[sequence]?.lastNack = now
            holes[sequence]?.nacks += 1
            due.append(sequence)
        }
        return due.sorted()
    }
}
