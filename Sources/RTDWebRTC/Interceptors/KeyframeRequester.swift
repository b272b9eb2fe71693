/// Coalesces the reasons a sender has to ask its encoder for a keyframe (PLI, FIR, a NACK it
/// cannot repair, a delta picture before the stream's first keyframe) into at most one ask per
/// `interval`: a peer waiting for a keyframe would otherwise ask at every delta frame.
///
/// An ask inside the interval is kept, not dropped, and made when the interval ends (`poll`):
/// a PLI for a keyframe that was lost right after an earlier ask must still be answered, or the
/// viewer stays frozen until the next periodic keyframe (a receiver like aiortc's asks only once
/// per loss). Pure: `now` is monotonic microseconds, passed in.
public struct KeyframeRequester: Sendable {
    public static let defaultInterval: Int64 = 300_000

    public let interval: Int64
    private var lastAsk: Int64?
    /// An ask is waiting for the interval to end.
    public private(set) var pending = false

    public init(interval: Int64 = KeyframeRequester.defaultInterval) {
        self.interval = interval
    }

    /// Something needs a keyframe: true when the encoder is to be asked now; otherwise the ask
    /// is kept until `deadline`.
    public mutating func request(now: Int64) -> Bool {
        if let lastAsk, now - lastAsk < interval {
            pending = true
            return false
        }
        lastAsk = now
        pending = false
        return true
    }

    /// True when a kept ask is due now (and is then made).
    public mutating func poll(now: Int64) -> Bool {
        pending && request(now: now)
    }

    /// When a kept ask becomes due.
    public var deadline: Int64? {
        guard pending else { return nil }
        return lastAsk.map { $0 + interval } ?? .min
    }

    /// A new stream: its first ask goes out at once, not after the old one's interval.
    public mutating func restart() {
        lastAsk = nil
    }
}
