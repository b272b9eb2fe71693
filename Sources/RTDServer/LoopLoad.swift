import Logging
import Metrics
import NIOCore
import RTDCore
import Synchronization

/// How loaded one network loop is, measured by the loop itself once a second: the share of the
/// wall time spent in its handlers (receive, fan-out, records, tick), the worst lateness of its
/// 20 ms tick, and the datagrams its socket's receive queue dropped (the kernel's per-socket
/// counter, SO_MEMINFO). A loop is saturated when it is busy beyond `saturationBusy` or its socket
/// dropped anything; signaling then refuses new offers (503), before the viewers already there
/// lose packets, checks and consent. Shown in /metrics and logged once per change.
final class LoopLoad: @unchecked Sendable { // all but `saturatedFlag` confined to the shard's loop
    static let tickMicros: Int64 = 20_000
    static let ticksPerWindow = 50

    private let saturatedFlag = Atomic<Bool>(false)
    /// From any thread.
    var saturated: Bool { saturatedFlag.load(ordering: .relaxed) }

    private let loop: Int
    private let saturationBusy: Double
    private let logger: Logger
    private let busyGauge: Gauge
    private let lagGauge: Gauge
    private let saturatedGauge: Gauge
    private let dropsCounter: Counter
    private let sendDropsCounter: Counter
    private let sendRefusedCounter: Counter
    private let gsoCounter: Counter
    private let gsoRefusedCounter: Counter
    private var lastSends = DatagramBatch.Counts()
    private var windowStart = SystemClock.monotonicMicros()
    private var busy: Int64 = 0
    private var maxLag: Int64 = 0
    private var lastTickEnd = SystemClock.monotonicMicros()
    private var lastDrops: UInt32?

    init(loop: Int, saturationBusy: Double, logger: Logger) {
        self.loop = loop
        self.saturationBusy = saturationBusy
        self.logger = logger
        let dims = [("loop", "\(loop)")]
        busyGauge = Gauge(label: "rtd_loop_busy_ratio", dimensions: dims)
        lagGauge = Gauge(label: "rtd_loop_lag_seconds", dimensions: dims)
        saturatedGauge = Gauge(label: "rtd_loop_saturated", dimensions: dims)
        dropsCounter = Counter(label: "rtd_udp_receive_drops_total", dimensions: dims)
        sendDropsCounter = Counter(label: "rtd_udp_send_drops_total", dimensions: dims)
        sendRefusedCounter = Counter(label: "rtd_udp_send_refused_total", dimensions: dims)
        gsoCounter = Counter(label: "rtd_udp_send_gso_total", dimensions: dims)
        gsoRefusedCounter = Counter(label: "rtd_udp_send_gso_refused_total", dimensions: dims)
        for counter in [sendDropsCounter, sendRefusedCounter, gsoCounter, gsoRefusedCounter] { counter.increment(by: 0) }
        saturatedGauge.record(Int(0))
        dropsCounter.increment(by: 0)
    }

    func begin() -> Int64 { SystemClock.monotonicMicros() }

    func end(_ started: Int64) { busy += SystemClock.monotonicMicros() - started }

    /// At the start of a tick: its lateness (the repeated task runs `tickMicros` after the last one ended).
    func tick() -> Int64 {
        let now = SystemClock.monotonicMicros()
        maxLag = max(maxLag, now - lastTickEnd - Self.tickMicros)
        return now
    }

    func endTick(_ started: Int64) {
        lastTickEnd = SystemClock.monotonicMicros()
        busy += lastTickEnd - started
    }

    /// Once a second, from the tick.
    func closeWindow(now: Int64, channel: any Channel, sends: DatagramBatch.Counts) {
        if sends.dropped > lastSends.dropped { sendDropsCounter.increment(by: sends.dropped - lastSends.dropped) }
        if sends.refused > lastSends.refused { sendRefusedCounter.increment(by: sends.refused - lastSends.refused) }
        if sends.gsoWrites > lastSends.gsoWrites { gsoCounter.increment(by: sends.gsoWrites - lastSends.gsoWrites) }
        if sends.gsoRefused > lastSends.gsoRefused { gsoRefusedCounter.increment(by: sends.gsoRefused - lastSends.gsoRefused) }
        lastSends = sends
        let ratio = Double(busy) / Double(max(1, now - windowStart))
        let lag = Double(max(0, maxLag)) / 1e6
        windowStart = now
        busy = 0
        maxLag = 0
        busyGauge.record(ratio)
        lagGauge.record(lag)
        guard let provider = channel as? any SocketOptionProvider else { return judge(ratio: ratio, lag: lag, dropped: 0) }
        // On the loop the option is read at once; the callback runs here too.
        let info: EventLoopFuture<MemInfo> = provider.unsafeGetSocketOption(level: .socket, name: NIOBSDSocket.Option(rawValue: Self.soMeminfo))
        info.whenComplete { [self] result in
            var dropped = 0
            if case .success(let info) = result {
                let total = info.8 // SK_MEMINFO_DROPS
                dropped = lastDrops.map { Int(total &- $0) } ?? 0
                lastDrops = total
            }
            judge(ratio: ratio, lag: lag, dropped: dropped)
        }
    }

    /// `struct sk_meminfo` of Linux: nine u32, the drops last.
    private typealias MemInfo = (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)
    private static let soMeminfo: CInt = 55

    private func judge(ratio: Double, lag: Double, dropped: Int) {
        if dropped > 0 { dropsCounter.increment(by: dropped) }
        let now = ratio >= saturationBusy || dropped > 0
        guard now != saturated else { return }
        saturatedFlag.store(now, ordering: .relaxed)
        saturatedGauge.record(Int(now ? 1 : 0))
        let metadata: Logger.Metadata = ["loop": "\(loop)", "busy": "\(Int(ratio * 100))%", "lag_ms": "\(Int(lag * 1000))",
                                         "udp_drops": "\(dropped)"]
        if now {
            logger.warning("network loop saturated: refusing new viewers until it recovers", metadata: metadata)
        } else {
            logger.info("network loop recovered: taking new viewers again", metadata: metadata)
        }
    }
}
