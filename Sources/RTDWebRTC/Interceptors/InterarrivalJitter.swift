/// RFC 3550 §6.4.1 interarrival jitter of one incoming stream, in RTP timestamp units: the
/// smoothed change in transit time (arrival minus RTP timestamp) between consecutive packets.
/// A change of a second or more is a jump in the sender's timeline (a new track), not jitter,
/// and is left out. Pure: arrivals are monotonic µs, passed in.
public struct InterarrivalJitter: Sendable {
    public let clockRate: Int64
    public private(set) var value = 0.0
    private var lastTransit: Int64?

    public init(clockRate: Int64 = 90_000) {
        self.clockRate = clockRate
    }

    public mutating func update(rtpTimestamp: UInt32, arrival now: Int64) {
        // Split so the product cannot overflow however long the host has been up.
        let arrival = now / 1_000_000 * clockRate + now % 1_000_000 * clockRate / 1_000_000
        let transit = arrival - Int64(rtpTimestamp)
        if let last = lastTransit {
            // In 32-bit RTP arithmetic, so a timestamp wrap is a small change, not 2^32.
            let d = Double(abs(Int64(Int32(truncatingIfNeeded: transit &- last))))
            if d < Double(clockRate) { value += (d - value) / 16 }
        }
        lastTransit = transit
    }
}
