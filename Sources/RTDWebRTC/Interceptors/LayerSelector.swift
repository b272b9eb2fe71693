/// Which of a stream's layers (encodes of one source at falling bitrates, simulcast-style) the
/// path to one receiver carries. Down fast: a window with heavy loss moves the receiver to the
/// layer that fits what actually got through. Up by probing: once the path has been clean for a
/// while, the sender adds padding (resends of packets the receiver already has, which cost it
/// nothing) in growing steps toward the next layer's rate, and moves up only when that rate got
/// through without loss; a failed probe is retried later and later. Waiting for a receiver's own
/// estimate instead is too slow: REMB and loss-based estimates rise a few percent a second.
///
/// Loss is counted from the receiver's NACKs (each sequence number once per window), which
/// arrive within a round trip, for every receiver (RTCP reports come once a second or less).
/// Pure: `now` is monotonic µs, passed in.
public struct LayerSelector: Sendable {
    public struct Decision: Sendable, Equatable {
        public let layer: Int
        /// What the path was seen to carry: what got through before a move down, or the rate a
        /// probe proved before a move up.
        public let linkKbps: Int
        public let up: Bool
    }

    /// Each layer's nominal bitrate, index 0 (the largest) first.
    public let rates: [Int]
    public private(set) var layer: Int

    static let window: Int64 = 500_000
    /// A window losing this share of its packets moves the receiver down.
    static let downLoss = 0.10
    /// This much loss moves it down as soon as it shows, without waiting for the window's end:
    /// every packet sent meanwhile is one more the receiver waits for (aiortc holds its jitter
    /// buffer for up to 128 packets for each one missing).
    static let severeLoss = 0.30
    /// A probe step losing more than this fails.
    static let probeLoss = 0.04
    /// Moving down, a layer must fit in this share of what got through: losses are known late
    /// (a receiver reports a loss only when a later packet arrives, which on a path with a deep
    /// queue is a good part of a second later), so what got through is over-counted.
    static let headroom = 0.6
    /// After a move, before the next judgement (the new layer's keyframe, the old one's stragglers).
    static let settle: Int64 = 1_200_000
    public static let firstProbe: Int64 = 2_000_000
    /// The first probe of a receiver that started below the top layer, and the next after a move
    /// up: as soon as a window or two of its packets came through clean.
    public static let joinProbe: Int64 = 600_000
    static let maxBackoff: Int64 = 5_000_000
    /// Each step of a probe. Larger steps (×2) reached the goal before a link's buffer (a token
    /// bucket's burst, a queue) had filled, so a 300 kbit/s link "passed" a 385 kbit/s probe.
    static let probeGrowth = 1.3
    /// A probe aims this far above the next layer's nominal rate.
    static let probeMargin = 1.1

    private struct Window {
        var start: Int64
        var packets = 0
        var bytes = 0
        var lost = Set<UInt16>()
    }

    private struct Probe {
        /// The total rate (media and padding) of this step, kbit/s.
        var total: Int
        let goal: Int
        /// Windows held at the goal so far: losses are known only a round trip (and a receiver's
        /// NACK delay) after the packets were sent, so the goal is held for two windows.
        var held = 0
        /// Media rate when it started: padding makes up the rest.
        let media: Int
    }

    private var current: Window
    private var lastMove: Int64
    private var nextProbe: Int64
    private var backoff = LayerSelector.firstProbe
    private var probe: Probe?

    /// `probeIn`: how soon the first probe may start (µs), for a receiver started below the top
    /// layer until its path is known.
    public init(rates: [Int], layer: Int = 0, now: Int64, probeIn: Int64 = LayerSelector.firstProbe) {
        self.rates = rates
        self.layer = min(max(0, layer), max(0, rates.count - 1))
        current = Window(start: now)
        // A path too narrow for the start layer is judged from its first packets on.
        lastMove = now - Self.settle
        nextProbe = now + probeIn
    }

    /// Where a receiver whose path is not known yet starts (the way an SFU starts a subscriber
    /// from an initial estimate): the largest layer of at most `startKbps`. Starting higher
    /// sent a narrow path a second of video it could not carry, which the receiver then waited for.
    public static func startLayer(rates: [Int]) -> Int {
        rates.firstIndex { $0 <= startKbps } ?? max(0, rates.count - 1)
    }

    public static let startKbps = 300

    /// Padding (kbit/s) the sender should add now: non-zero only while probing.
    public var probeKbps: Int {
        guard let probe else { return 0 }
        return max(0, probe.total - probe.media)
    }

    /// Media packets sent for the first time (resends answer losses already counted).
    public mutating func sent(packets: Int, bytes: Int) {
        current.packets += packets
        current.bytes += bytes
    }

    /// Sequence numbers a NACK says are missing.
    public mutating func lost(_ sequences: some Sequence<UInt16>) {
        // A receiver may ask again for the same packet (aiortc does on every arrival while one is missing).
        for s in sequences where current.lost.count < 4096 { current.lost.insert(s) }
    }

    /// The receiver's own report of the share of packets lost (an RTCP reception report): a
    /// probe in progress fails on more than a little, and heavy loss moves the receiver down
    /// (a report can come before its NACKs show as much).
    public mutating func reported(lossFraction: Double, now: Int64) -> Decision? {
        if probe != nil {
            if lossFraction > Self.probeLoss { failProbe(now: now) }
            return nil
        }
        guard lossFraction >= Self.downLoss, now - lastMove >= Self.settle else { return nil }
        return moveDown(now: now, lossFraction: lossFraction)
    }

    /// Called every few tens of milliseconds: a move to make, if any.
    public mutating func tick(now: Int64) -> Decision? {
        if probe != nil, current.lost.count >= 3, Double(current.lost.count) > Self.probeLoss * Double(max(current.packets, 20)) {
            // The path is full: stop at once, before the receiver's picture suffers.
            failProbe(now: now)
            return nil
        }
        if probe == nil, now - lastMove >= Self.settle, current.packets >= 20,
           Double(current.lost.count) >= Self.severeLoss * Double(current.packets), let down = moveDown(now: now) {
            return down
        }
        let elapsed = now - current.start
        guard elapsed >= Self.window else { return nil }
        let window = current
        current = Window(start: now)
        let kbps = Int(Int64(window.bytes) * 8_000 / elapsed)
        let loss = window.packets >= 10 ? min(1, Double(window.lost.count) / Double(window.packets)) : 0
        if var step = probe {
            guard loss <= Self.probeLoss else {
                failProbe(now: now)
                return nil
            }
            guard step.total >= step.goal, step.held >= 1 else {
                if step.total >= step.goal { step.held += 1 }
                step.total = min(step.goal, Int(Double(step.total) * Self.probeGrowth))
                probe = step
                return nil
            }
            probe = nil
            return move(to: layer - 1, linkKbps: step.total, up: true, now: now)
        }
        if now - lastMove >= Self.settle, loss >= Self.downLoss, let down = moveDown(window: window, elapsed: elapsed, now: now) {
            return down
        }
        if layer > 0, now >= nextProbe, loss < 0.02, kbps > 0 {
            let goal = Int(Double(rates[layer - 1]) * Self.probeMargin)
            probe = Probe(total: min(goal, max(kbps + 50, Int(Double(kbps) * Self.probeGrowth))), goal: goal, media: kbps)
        }
        return nil
    }

    /// To the largest layer that fits in what got through of `window` (the current one by default).
    private mutating func moveDown(window: Window? = nil, elapsed: Int64? = nil, now: Int64, lossFraction: Double? = nil) -> Decision? {
        guard layer < rates.count - 1 else { return nil }
        let w = window ?? current
        let span = max(Self.window / 10, elapsed ?? (now - w.start))
        let loss = lossFraction ?? min(1, Double(w.lost.count) / Double(max(1, w.packets)))
        let carried = Double(w.bytes) * 8_000 / Double(span) * (1 - loss)
        let fits = rates.indices.first { $0 > layer && Double(rates[$0]) <= carried * Self.headroom } ?? rates.count - 1
        backoff = Self.firstProbe
        return move(to: fits, linkKbps: Int(carried), up: false, now: now)
    }

    private mutating func failProbe(now: Int64) {
        probe = nil
        current = Window(start: now)
        nextProbe = now + backoff
        backoff = min(Self.maxBackoff, backoff * 2)
    }

    private mutating func move(to target: Int, linkKbps: Int, up: Bool, now: Int64) -> Decision {
        layer = target
        lastMove = now
        current = Window(start: now)
        // Up: the path just carried this layer and more, so the next climb may start soon.
        nextProbe = now + (up ? Self.joinProbe : backoff)
        if up { backoff = Self.firstProbe }
        return Decision(layer: target, linkKbps: linkKbps, up: up)
    }
}
