import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import RTDCore
import RTDWebRTC

/// `rtd signal URL --viewers N`: N receive-only WebRTC viewers in one process, for capacity
/// planning (like LiveKit's `lk load-test`). Each viewer signals, connects and keeps its data
/// channel like a single `rtd signal`, but counts its video (`LoadPeer`) instead of decoding it,
/// and the run ends in one summary: how many connected, fps, first-frame time, loss, records, and
/// what the load client itself cost.
///
/// Cheap per viewer, or it would measure itself: the viewers are spread over a few event loops
/// (`LoadShard`, one per thread), each with one timer armed at its viewers' earliest deadline; each
/// viewer has its own UDP socket (the server tells peers apart by their address, as it must for
/// browsers), read by its loop with recvmmsg; an SRTP packet is copied once, into its loop's
/// scratch buffer, decrypted there and counted from its header. Signaling goes over one
/// AsyncHTTPClient on the same loops, with at most `maxInFlight` offers outstanding.
public final class LoadTest: Sendable {
    public struct Options: Sendable {
        public var url: String
        public var dialect: SignalingClient.Dialect = .rtd
        public var camera: String?
        public var token: String?
        public var codec: VideoCodec?
        public var verification: TLSVerification = .system
        /// Seconds allowed for signaling and for connecting, each, per viewer.
        public var timeout: Double = 10
        public var viewers: Int
        /// New viewers a second.
        public var ramp: Double = LoadTest.defaultRamp
        /// Seconds to hold every viewer once the ramp is over; nil: until `stop()`.
        public var duration: Double?
        /// Event loops (threads) the viewers are spread over; nil: `defaultThreads(viewers)`.
        public var threads: Int?
        public init(url: String, viewers: Int) {
            self.url = url
            self.viewers = viewers
        }

        /// Refuses values that cannot run (exit status 1, like any bad input of `rtd signal`).
        public func validate() throws(SignalError) {
            func check(_ ok: Bool, _ message: String) throws(SignalError) {
                if !ok { throw SignalError(.badInput, message) }
            }
            try check((1...LoadTest.maxViewers).contains(viewers), "--viewers must be 1 .. \(LoadTest.maxViewers), not \(viewers)")
            try check(ramp.isFinite && ramp >= 0.1 && ramp <= 10_000, "--ramp must be 0.1 .. 10000 viewers/s, not \(ramp)")
            if let threads { try check((1...256).contains(threads), "--threads must be 1 .. 256, not \(threads)") }
            if let duration { try check(duration.isFinite && duration > 0 && duration <= 1e7, "--duration must be > 0 s, not \(duration)") }
            _ = try HTTPURL(url)
        }
    }

    /// One loop per 250 viewers, up to one per core: a loop keeps up with 250 720p30 viewers on
    /// about a third of a core, and fewer loops wake up less (measured: 200 viewers cost 10% less
    /// CPU on one loop than on two).
    public static func defaultThreads(viewers: Int) -> Int {
        min(System.coreCount, max(1, (viewers + 249) / 250))
    }

    /// rtd serve's default `--signal-rate` (offers per second per client address): faster gets 429.
    public static let defaultRamp = 20.0
    public static let maxViewers = 10_000
    /// Offers outstanding at once (the rest wait their turn).
    static let maxInFlight = 32

    public let options: Options
    private let logger: Logger
    private let stopped = Atomic<Bool>(false)

    public init(options: Options, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    /// Ends the run as the end of `--duration` would (from any thread, e.g. a signal handler's).
    public func stop() { stopped.store(true, ordering: .releasing) }
    private var isStopped: Bool { stopped.load(ordering: .acquiring) }

    /// Runs once; `progress` gets a line a second while viewers connect. Throws only for what stops
    /// the whole run before it starts (bad input, no certificate); viewers that fail are counted.
    public func run(progress: @escaping @Sendable (String) -> Void) async throws(SignalError) -> LoadReport {
        try options.validate()
        let descriptorLimit = Self.raiseDescriptorLimit(wanted: options.viewers * 2 + 256)
        if descriptorLimit < options.viewers + 64 {
            progress("rtd signal: warning: only \(descriptorLimit) file descriptors (ulimit -n); viewers past that will fail")
        }
        let certificate: DTLSCertificate
        do {
            // One certificate for every viewer, as a browser uses one for all its connections.
            certificate = try DTLSCertificate.generate()
        } catch {
            throw SignalError(.dtlsFailed, "cannot create a DTLS certificate: \(error)")
        }
        SRTPContext.prepare()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: options.threads ?? Self.defaultThreads(viewers: options.viewers))
        let http: SignalHTTP
        do {
            http = try SignalHTTP(verification: options.verification, timeout: options.timeout, group: group)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        let counts = LoadCounts()
        var shards: [NIOLoopBound<LoadShard>] = []
        for loop in group.makeIterator() {
            let logger = logger
            if let shard = try? await loop.submit({ NIOLoopBound(LoadShard(counts: counts, logger: logger), eventLoop: loop) }).get() {
                shards.append(shard)
            }
        }
        let report = await run(shards: shards, certificate: certificate, http: http, counts: counts, progress: progress)
        await http.shutdown()
        try? await group.shutdownGracefully()
        return report
    }

    private func run(shards: [NIOLoopBound<LoadShard>], certificate: DTLSCertificate, http: SignalHTTP,
                     counts: LoadCounts, progress: @escaping @Sendable (String) -> Void) async -> LoadReport {
        let total = options.viewers
        let began = SystemClock.monotonicMicros()
        let usageAtStart = ProcessUsage.now()
        let gate = LoadGate(Self.maxInFlight)
        let reporter = Task {
            var last = ""
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 1_000_000_000)
                let line = counts.line(total: total)
                if line != last, !Task.isCancelled { progress("rtd signal: " + line) }
                last = line
            }
        }
        // The ramp: viewer i starts at i / ramp seconds.
        var sessions: [LoadSession] = []
        await withTaskGroup(of: LoadSession.self) { tasks in
            for i in 0..<total {
                let due = began + Int64(Double(i) / options.ramp * 1e6)
                while !isStopped, SystemClock.monotonicMicros() < due {
                    let wait = min(due - SystemClock.monotonicMicros(), 100_000)
                    if wait > 0 { try? await Task.sleep(nanoseconds: UInt64(wait) * 1000) }
                }
                if isStopped { break }
                counts.started.add(1, ordering: .relaxed)
                let shard = shards[i % shards.count]
                tasks.addTask { await self.startViewer(i, shard: shard, certificate: certificate, http: http, gate: gate, counts: counts) }
            }
            for await session in tasks { sessions.append(session) }
        }
        // Until every viewer has connected or failed (each has `timeout` to connect).
        while !isStopped, counts.settled < sessions.count {
            try? await Task.sleep(nanoseconds: 50_000_000)
        }
        let rampEnded = SystemClock.monotonicMicros()
        reporter.cancel()
        if !isStopped { progress("rtd signal: " + counts.line(total: total)) }
        let usageAtHold = ProcessUsage.now()
        let holding = counts.connected.load(ordering: .relaxed) - counts.dropped.load(ordering: .relaxed)
        if holding <= 0 {
            // Nobody to hold.
        } else if let duration = options.duration {
            if !isStopped { progress("rtd signal: holding \(holding) viewers for \(String(format: "%g", duration)) s") }
            let end = rampEnded + Int64(duration * 1e6)
            while !isStopped, SystemClock.monotonicMicros() < end {
                try? await Task.sleep(nanoseconds: UInt64(min(100_000, max(1, end - SystemClock.monotonicMicros()))) * 1000)
            }
        } else {
            if !isStopped { progress("rtd signal: holding \(holding) viewers; Ctrl-C ends the run") }
            while !isStopped { try? await Task.sleep(nanoseconds: 100_000_000) }
        }
        let ended = SystemClock.monotonicMicros()
        let usageAtEnd = ProcessUsage.now()
        // Every viewer closes its DTLS session (close_notify), then says bye over HTTP.
        var results: [Int: LoadViewerResult] = [:]
        for shard in shards {
            let part = (try? await shard.eventLoop.submit { shard.value.finish(endedAt: ended) }.get()) ?? [:]
            results.merge(part) { a, _ in a }
        }
        await withTaskGroup(of: Void.self) { tasks in
            for session in sessions {
                tasks.addTask {
                    await gate.acquire()
                    await session.signaling?.end()
                    await gate.release()
                    try? await session.channel?.close()
                }
            }
        }
        var viewers: [LoadViewerResult] = sessions.map { session in
            var result = results[session.index] ?? LoadViewerResult()
            if let failure = session.failure { result.failure = failure }
            return result
        }
        viewers.sort { $0.offerSentAt < $1.offerSentAt }
        return LoadReport(requested: total, viewers: viewers, threads: shards.count,
                          rampSeconds: Double(rampEnded - began) / 1e6, holdSeconds: Double(ended - rampEnded) / 1e6,
                          runCPU: usageAtEnd.cpuSeconds - usageAtStart.cpuSeconds, runSeconds: Double(ended - began) / 1e6,
                          holdCPU: usageAtEnd.cpuSeconds - usageAtHold.cpuSeconds, peakRSSBytes: usageAtEnd.peakRSSBytes)
    }

    /// Signals and starts viewer `index` on its shard; a failure before the peer runs is in the result.
    private func startViewer(_ index: Int, shard: NIOLoopBound<LoadShard>, certificate: DTLSCertificate,
                             http: SignalHTTP, gate: LoadGate, counts: LoadCounts) async -> LoadSession {
        var session = LoadSession(index: index)
        let loop = shard.eventLoop
        await gate.acquire()
        var holding = true
        func release() async {
            if holding { await gate.release() }
            holding = false
        }
        do {
            let viewer: NIOLoopBound<LoadViewer>
            let channel: any Channel
            do {
                viewer = try await loop.submit {
                    let viewer = LoadViewer(index: index, shard: shard.value)
                    shard.value.all.append(viewer)
                    return NIOLoopBound(viewer, eventLoop: loop)
                }.get()
                let gro = System.supportsUDPReceiveOffload
                var bootstrap = DatagramBootstrap(group: loop)
                if gro {
                    // UDP GRO, as a viewer's host has it from its NIC: a run of datagrams the server
                    // sent as one GSO write reaches this socket as one buffer (one pass through the
                    // receive path, one read) with its segment size, and is split in `channelRead`.
                    // Without it, loopback cuts every run up again and each datagram takes the
                    // whole receive path, a cost that is the receiving machine's on a real network.
                    bootstrap = bootstrap.channelOption(.datagramReceiveOffload, value: true)
                        .channelOption(.datagramReceiveSegmentSize, value: true)
                }
                channel = try await bootstrap
                    .channelOption(.socketOption(.so_rcvbuf), value: 1 << 20)
                    // Several buffers per read (recvmmsg) when packets queue up: NIO splits the
                    // buffer into that many slots, each room for a whole datagram (DTLS, RTP) or,
                    // with GRO, a whole run (64 KiB, UDP's largest).
                    .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: gro ? 4 << 16 : 8 * 2048))
                    .channelOption(.datagramVectorReadMessageCount, value: gro ? 4 : 8)
                    // One recvmmsg per readable socket: epoll is level-triggered, so what is left
                    // is read on the next pass, and no read is spent finding the socket empty.
                    .channelOption(.maxMessagesPerRead, value: 1)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(viewer.value) }
                    }
                    .bind(host: "0.0.0.0", port: 0).get()
            } catch {
                throw SignalError(.badInput, "cannot open a UDP socket: \(error)")
            }
            session.viewer = viewer
            session.channel = channel
            let credentials = ICEAgent.Credentials.random()
            let port = channel.localAddress?.port ?? 0
            let candidates = ClientChannel.hostCandidates(addresses: LoadTest.interfaceAddresses, port: port)
            let offer = SDPOfferer.makeOffer(config: SDPOfferConfig(
                iceUfrag: credentials.ufrag, icePwd: credentials.password,
                fingerprint: SDPFingerprint(hashFunction: "sha-256", value: certificate.fingerprint.hex), candidates: candidates))
            let signaling = try SignalingClient(url: options.url, dialect: options.dialect, camera: options.camera,
                                                token: options.token, codec: options.codec, timeout: options.timeout, http: http)
            session.signaling = LoadSignaling(signaling)
            let sentAt = SystemClock.monotonicMicros()
            try await loop.submit { viewer.value.offerSentAt = sentAt }.get()
            let answerText = try await signaling.offer(offer.serialized())
            await release()
            let negotiated: NegotiatedSession
            do {
                negotiated = try SDPOfferer.parseAnswer(try SessionDescription.parse(answerText), offer: offer)
            } catch {
                throw SignalError(.protocolError, "the server's answer is not usable SDP: \(error)")
            }
            let logger = logger
            let timeout = options.timeout
            try await loop.submit {
                let peer = try LoadPeer(negotiated: negotiated, local: credentials, certificate: certificate, logger: logger)
                viewer.value.start(peer, timeout: timeout, bound: viewer)
            }.get()
        } catch {
            await release()
            session.failure = error as? SignalError ?? SignalError(.protocolError, "\(error)")
            counts.failed.add(1, ordering: .relaxed)
        }
        return session
    }

    /// Host candidates, looked up once for every viewer.
    static let interfaceAddresses = ClientChannel.interfaceAddresses()

    /// Raises the soft RLIMIT_NOFILE towards `wanted` (up to the hard limit); returns the limit now.
    static func raiseDescriptorLimit(wanted: Int) -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return Int.max }
        if limit.rlim_cur < rlim_t(wanted), limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur >= rlim_t(Int.max) ? Int.max : Int(limit.rlim_cur)
    }
}

/// What the runner keeps of one viewer until the end.
struct LoadSession: Sendable {
    var index: Int
    var viewer: NIOLoopBound<LoadViewer>?
    var channel: (any Channel)?
    var signaling: LoadSignaling?
    /// Why it never ran (signaling, the socket, the answer).
    var failure: SignalError?
}

/// A viewer's `SignalingClient`, handed from the task that made the offer to the one that says
/// bye: used by one task at a time, never concurrently.
final class LoadSignaling: @unchecked Sendable {
    private let client: SignalingClient
    init(_ client: SignalingClient) { self.client = client }
    func end() async { await client.end() }
}

/// At most `limit` holders at once; the others wait in order.
actor LoadGate {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ limit: Int) { free = limit }

    func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}

/// Counts every loop updates and the progress line reads.
final class LoadCounts: Sendable {
    let started = Atomic<Int>(0)
    let connected = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
    /// Connected, then lost (consent, the server's BYE or close_notify).
    let dropped = Atomic<Int>(0)
    let video = Atomic<Int>(0)

    /// Viewers that connected or failed.
    var settled: Int {
        connected.load(ordering: .relaxed) + failed.load(ordering: .relaxed)
    }

    func line(total: Int) -> String {
        var text = "\(connected.load(ordering: .relaxed))/\(total) connected, \(video.load(ordering: .relaxed)) with video"
        let failed = failed.load(ordering: .relaxed), dropped = dropped.load(ordering: .relaxed)
        if failed > 0 { text += ", \(failed) failed" }
        if dropped > 0 { text += ", \(dropped) dropped" }
        return text
    }
}

/// The process's CPU time and peak resident memory (getrusage).
struct ProcessUsage {
    var cpuSeconds: Double
    var peakRSSBytes: Int

    static func now() -> ProcessUsage {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return ProcessUsage(cpuSeconds: seconds(usage.ru_utime) + seconds(usage.ru_stime), peakRSSBytes: Int(usage.ru_maxrss) * 1024)
    }
}

// MARK: The event loops

/// The viewers on one event loop, and the loop's one timer: armed at the earliest deadline of
/// any of them, it ticks those that are due. Also the scratch buffer SRTP packets are decrypted in.
final class LoadShard {
    let counts: LoadCounts
    let logger: Logger
    /// The viewers running.
    private var viewers: [LoadViewer] = []
    /// Every viewer made here, for the results.
    var all: [LoadViewer] = []
    private var timer: Scheduled<Void>?
    private var armedAt = Int64.max
    private var loop: (any EventLoop)?
    /// Big enough for any UDP datagram.
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 16)

    init(counts: LoadCounts, logger: Logger) {
        self.counts = counts
        self.logger = logger
    }

    deinit { scratch.deallocate() }

    func add(_ viewer: LoadViewer, loop: any EventLoop) {
        self.loop = loop
        viewers.append(viewer)
    }

    /// A viewer's deadline moved to `at`: the timer is moved if that is sooner.
    func due(_ at: Int64) {
        guard at < armedAt, let loop else { return }
        timer?.cancel()
        let now = SystemClock.monotonicMicros()
        let fire = max(at, now + 1_000)
        armedAt = fire
        timer = loop.assumeIsolated().scheduleTask(in: .microseconds(fire - now)) { [self] in
            timer = nil
            armedAt = .max
            tick()
        }
    }

    private func tick() {
        let now = SystemClock.monotonicMicros()
        var next = Int64.max
        for viewer in viewers {
            if viewer.deadline <= now { viewer.tick(now: now) }
            next = min(next, viewer.deadline)
        }
        viewers.removeAll { $0.ended }
        if next < .max { due(next) }
    }

    /// The run is over: every viewer stops counting now and closes; what each measured, by index.
    func finish(endedAt: Int64) -> [Int: LoadViewerResult] {
        timer?.cancel()
        timer = nil
        armedAt = .max
        var results: [Int: LoadViewerResult] = [:]
        for viewer in all { results[viewer.index] = viewer.finish(endedAt: endedAt) }
        viewers = []
        all = []
        return results
    }
}

/// One viewer: its socket's handler, and the life of its `LoadPeer` on the shard's loop.
final class LoadViewer: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    let index: Int
    private let shard: LoadShard
    private var peer: LoadPeer?
    private var context: ChannelHandlerContext?
    private var addresses = SocketAddressCache()
    private var early: [([UInt8], STUNAddress)] = []
    private var unflushed = false
    /// When `tick` is next due (the connect timeout included).
    private(set) var deadline = Int64.max
    private(set) var ended = false
    private var connectBy = Int64.max
    var offerSentAt: Int64 = 0
    private var answeredAt: Int64?
    private var connectedAt: Int64?
    private var channelOpened = false
    private var records = 0
    private var recordsAtFirstFrame = 0
    private var sawFirstFrame = false
    /// Where the video comes from (ICE's selected pair), once the first frame is in.
    private var media: SocketAddress?
    private var failure: SignalError?
    private var droppedAfterConnect = false
    /// When it failed (its measuring window ends there).
    private var failedAt: Int64?

    init(index: Int, shard: LoadShard) {
        self.index = index
        self.shard = shard
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    // MARK: Life

    /// The answer came: run `peer` (its ICE checks start at once).
    func start(_ peer: LoadPeer, timeout: Double, bound: NIOLoopBound<LoadViewer>) {
        guard let context else { return fail(SignalError(.unreachable, "the UDP socket closed")) }
        let loop = context.eventLoop
        peer.transport.dataChannelExecutor = SCTPExecutor(execute: { loop.execute($0) }, isCurrent: { loop.inEventLoop })
        peer.transport.dataChannelSink = { event in bound.value.dataChannel(event) }
        self.peer = peer
        let now = SystemClock.monotonicMicros()
        answeredAt = now
        connectBy = now + Int64(timeout * 1e6)
        shard.add(self, loop: loop)
        for (bytes, source) in early { send(peer.transport.receiveSTUN(bytes, from: source, now: now)) }
        early = []
        tick(now: now)
    }

    /// Its timers (ICE, DTLS, RTCP), and the connect timeout.
    func tick(now: Int64) {
        guard let peer, !ended else { return }
        if connectedAt == nil, now >= connectBy {
            let waiting = peer.transport.ice.selected == nil
                ? "ICE (\(peer.transport.ice.candidateCount) server candidates)" : "the DTLS handshake"
            let seconds = String(format: "%g", Double(connectBy - (answeredAt ?? 0)) / 1e6)
            return fail(SignalError(.timeout, "timed out after \(seconds) s waiting for \(waiting)"))
        }
        send(peer.tick(now: now))
        flush()
        settle(now: now)
    }

    /// After input that may have moved the peer on: its news, its failure, its next deadline.
    private func settle(now: Int64) {
        guard let peer, !ended else { return }
        if !peer.transport.events.isEmpty {
            for event in peer.transport.events {
                switch event {
                case .connected:
                    connectedAt = now
                    shard.counts.connected.add(1, ordering: .relaxed)
                case .channelOpened: channelOpened = true
                case .text: records += 1
                case .frame: break
                }
            }
            peer.transport.events.removeAll(keepingCapacity: true)
        }
        if let failure = peer.failure { return fail(failure) }
        deadline = min(peer.nextDeadline(now: now) ?? .max, connectedAt == nil ? connectBy : .max)
        shard.due(deadline)
    }

    private func fail(_ error: SignalError) {
        guard !ended else { return }
        ended = true
        failure = error
        failedAt = SystemClock.monotonicMicros()
        deadline = .max
        if connectedAt != nil {
            droppedAfterConnect = true
            shard.counts.dropped.add(1, ordering: .relaxed)
        } else {
            shard.counts.failed.add(1, ordering: .relaxed)
        }
    }

    /// The run is over: close_notify to the server, and what this viewer measured.
    func finish(endedAt: Int64) -> LoadViewerResult {
        var result = LoadViewerResult()
        result.offerSentAt = offerSentAt
        result.answeredAt = answeredAt
        result.connectedAt = connectedAt
        result.failure = failure
        result.dropped = droppedAfterConnect
        result.channelOpened = channelOpened
        result.records = records
        guard let peer else { return result }
        if !ended {
            ended = true
            if connectedAt == nil {
                result.failure = SignalError(.timeout, "still connecting when the run ended")
                shard.counts.failed.add(1, ordering: .relaxed)
            }
            send(peer.transport.close())
            flush()
        }
        let counter = peer.counter
        result.packets = counter.packets
        result.expected = counter.expected
        result.lost = counter.lost
        result.payloadBytes = counter.payloadBytes
        result.srtpErrors = peer.srtpErrors
        result.plisSent = peer.plisSent
        result.frames = counter.frames
        result.rttMicros = peer.transport.ice.roundTripTime
        result.codec = peer.video.codec.rawValue
        // The peer's data channel holds this viewer (its sink): let both go.
        self.peer = nil
        if let first = counter.firstFrameAt {
            result.firstFrameAt = first
            // The window: from the first complete frame to the end of the run (or the viewer's end).
            let endedAt = min(endedAt, failedAt ?? .max)
            let window = Double(endedAt - first) / 1e6
            if window > 0 {
                result.fps = Double(counter.frames - counter.framesAtFirstFrame) / window
                result.recordsPerSecond = Double(records - recordsAtFirstFrame) / window
                result.bitrateKbps = Double(counter.payloadBytes) * 8 / 1000 / (Double(endedAt - (counter.firstPacketAt ?? first)) / 1e6)
            }
        }
        return result
    }

    // MARK: Datagrams

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        // UDP GRO: a run of datagrams from one address in one buffer, each `size` bytes but the last.
        guard let size = envelope.metadata?.segmentSize, size > 0, envelope.data.readableBytes > size else {
            return receive(envelope.data, from: envelope.remoteAddress)
        }
        var run = envelope.data
        while !ended, let datagram = run.readSlice(length: min(size, run.readableBytes)), datagram.readableBytes > 0 {
            receive(datagram, from: envelope.remoteAddress)
        }
    }

    /// One datagram.
    private func receive(_ buffer: ByteBuffer, from remoteAddress: SocketAddress) {
        guard !ended, let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return }
        guard let peer else {
            // A check before the answer is in (a full-ICE server checks at once): kept for `start`.
            if first <= 3, early.count < 16, let source = Self.stunAddress(remoteAddress) {
                early.append((Array(buffer.readableBytesView), source))
            }
            return
        }
        let now = SystemClock.monotonicMicros()
        switch first {
        case 128...191:
            let second = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt8.self) ?? 0
            if (192...223).contains(second) {
                peer.receiveRTCP(Array(buffer.readableBytesView))
                if peer.failure != nil { settle(now: now) }
                return
            }
            guard peer.decrypting else {
                // Only from where ICE connected to: nothing else on the socket is counted.
                guard remoteAddress == media else { return }
                return buffer.withUnsafeReadableBytes { peer.countRTP($0, now: now) }
            }
            // Decrypted in the loop's scratch buffer: NIO's may be shared (its pool keeps it).
            let scratch = shard.scratch
            let length = buffer.withUnsafeReadableBytes { bytes in
                guard bytes.count <= scratch.count else { return 0 }
                scratch.copyMemory(from: bytes)
                return bytes.count
            }
            guard length > 0 else { return }
            peer.decryptRTP(scratch, length: length, now: now)
            if !sawFirstFrame, peer.counter.firstFrameAt != nil {
                sawFirstFrame = true
                recordsAtFirstFrame = records
                media = peer.transport.ice.selected.flatMap(socketAddress) ?? remoteAddress
                shard.counts.video.add(1, ordering: .relaxed)
            }
        case 0...3:
            guard let source = Self.stunAddress(remoteAddress) else { return }
            send(peer.transport.receiveSTUN(Array(buffer.readableBytesView), from: source, now: now))
            settle(now: now)
        case 20...63:
            guard let source = Self.stunAddress(remoteAddress) else { return }
            send(buffer.withUnsafeReadableBytes { peer.transport.receiveDTLS($0, from: source, now: now) })
            settle(now: now)
        default:
            return
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) { flush() }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP errors and the like: consent decides whether the path is dead.
        shard.logger.debug("viewer \(index): UDP: \(error)")
    }

    /// The data channel's news, on this loop (the association's executor).
    func dataChannel(_ event: DataChannelEvent) {
        guard let peer, !ended else { return }
        if case .message(_, .text(_)) = event {
            records += 1
            return
        }
        send(peer.transport.handle(event))
        flush()
        settle(now: SystemClock.monotonicMicros())
    }

    private func send(_ datagrams: [ICEAgent.Outgoing]) {
        guard let context, !datagrams.isEmpty else { return }
        for out in datagrams {
            guard let address = socketAddress(out.destination) else { continue }
            let buffer = context.channel.allocator.buffer(bytes: out.bytes)
            context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: address, data: buffer)), promise: nil)
            unflushed = true
        }
    }

    private func flush() {
        guard unflushed, let context else { return }
        unflushed = false
        context.flush()
    }

    private func socketAddress(_ address: STUNAddress) -> SocketAddress? { addresses.address(for: address) }

    private static func stunAddress(_ address: SocketAddress) -> STUNAddress? {
        guard case .v4(let v4) = address else { return nil }
        return STUNAddress(ip: withUnsafeBytes(of: v4.address.sin_addr) { Array($0) }, port: UInt16(bigEndian: v4.address.sin_port))
    }
}

// MARK: The summary

/// What one viewer measured (monotonic µs for times).
public struct LoadViewerResult: Sendable {
    public var offerSentAt: Int64 = 0
    public var answeredAt: Int64?
    public var connectedAt: Int64?
    public var firstFrameAt: Int64?
    public var failure: SignalError?
    /// Connected, then lost before the end.
    public var dropped = false
    public var channelOpened = false
    public var packets = 0
    public var expected = 0
    public var lost = 0
    public var payloadBytes = 0
    public var frames = 0
    public var records = 0
    public var srtpErrors = 0
    public var plisSent = 0
    public var rttMicros: Int64?
    public var codec: String?
    /// Over the window from its first complete frame to the end.
    public var fps: Double?
    public var recordsPerSecond: Double?
    public var bitrateKbps: Double?
}

/// The summary of a load run: printed as text, or as one JSON object with `--json`.
public struct LoadReport: Sendable {
    public var requested: Int
    public var viewers: [LoadViewerResult]
    public var threads: Int
    public var rampSeconds: Double
    public var holdSeconds: Double
    public var runCPU: Double
    public var runSeconds: Double
    public var holdCPU: Double
    public var peakRSSBytes: Int

    public var started: Int { viewers.count }
    public var connected: Int { viewers.filter { $0.connectedAt != nil }.count }
    public var failed: Int { viewers.filter { $0.connectedAt == nil }.count }
    public var dropped: Int { viewers.filter(\.dropped).count }
    public var withVideo: Int { viewers.filter { $0.firstFrameAt != nil }.count }
    /// Connected (and not dropped) viewers that never had a whole keyframe.
    public var withoutVideo: Int { viewers.filter { $0.connectedAt != nil && $0.firstFrameAt == nil && !$0.dropped }.count }

    /// The exit status: 0 when every viewer connected, stayed and got video; else that of the
    /// most common failure (timeout when viewers connected but had no video).
    public var exitCode: Int32 {
        if let kind = failures.first?.kind { return kind.exitCode }
        return withoutVideo > 0 ? SignalErrorKind.timeout.exitCode : 0
    }

    /// Failures by message, most frequent first.
    public var failures: [(message: String, kind: SignalErrorKind, count: Int)] {
        var byMessage: [String: (SignalErrorKind, Int)] = [:]
        for viewer in viewers {
            guard let failure = viewer.failure else { continue }
            byMessage[failure.message, default: (failure.kind, 0)].1 += 1
        }
        return byMessage.map { ($0.key, $0.value.0, $0.value.1) }.sorted { $0.count != $1.count ? $0.count > $1.count : $0.message < $1.message }
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * p).rounded(.up)) - 1))]
    }

    var fpsValues: [Double] { viewers.compactMap(\.fps) }
    var recordRates: [Double] { viewers.compactMap(\.recordsPerSecond) }
    var firstFrameMillis: [Double] { viewers.compactMap { v in v.firstFrameAt.map { Double($0 - v.offerSentAt) / 1000 } } }
    var connectMillis: [Double] { viewers.compactMap { v in v.connectedAt.map { Double($0 - v.offerSentAt) / 1000 } } }
    var packets: Int { viewers.reduce(0) { $0 + $1.packets } }
    var lost: Int { viewers.reduce(0) { $0 + $1.lost } }
    var expected: Int { viewers.reduce(0) { $0 + $1.expected } }
    public var lossPercent: Double { expected > 0 ? Double(lost) * 100 / Double(expected) : 0 }
    var worstLossPercent: Double {
        viewers.map { $0.expected > 0 ? Double($0.lost) * 100 / Double($0.expected) : 0 }.max() ?? 0
    }

    public var cpuPercent: Double { runSeconds > 0 ? runCPU * 100 / runSeconds : 0 }
    public var holdCPUPercent: Double { holdSeconds > 0 ? holdCPU * 100 / holdSeconds : 0 }
    /// The client's CPU per viewer while every viewer was on, % of one core.
    public var cpuPercentPerViewer: Double? {
        let on = connected - dropped
        return on > 0 && holdSeconds > 0 ? holdCPUPercent / Double(on) : nil
    }

    private func r(_ x: Double?, _ places: Double = 10) -> Double? { x.map { ($0 * places).rounded() / places } }

    /// One JSON object (one line).
    public var json: String {
        func stats(_ values: [Double], _ keys: [(String, Double)], places: Double = 10) -> [String: Any] {
            var o: [String: Any] = [:]
            for (key, p) in keys { if let v = r(Self.percentile(values, p), places) { o[key] = v } }
            return o
        }
        var o: [String: Any] = [
            "codec": Set(viewers.compactMap(\.codec)).sorted().joined(separator: ","),
            "viewers": requested, "started": started, "connected": connected, "failed": failed, "dropped": dropped,
            "with_video": withVideo, "without_video": withoutVideo,
            "ramp_s": r(rampSeconds, 100)!, "seconds": r(holdSeconds, 100)!,
            "fps": stats(fpsValues, [("min", 0), ("median", 0.5)]),
            "first_frame_ms": stats(firstFrameMillis, [("p50", 0.5), ("p95", 0.95), ("max", 1)]),
            "connect_ms": stats(connectMillis, [("p50", 0.5), ("p95", 0.95)]),
            "records_per_s": stats(recordRates, [("min", 0), ("median", 0.5)]),
            "bitrate_kbps": stats(viewers.compactMap(\.bitrateKbps), [("median", 0.5)], places: 1),
            "loss_percent": r(lossPercent, 1000)!, "loss_percent_max": r(worstLossPercent, 1000)!,
            "packets": packets, "packets_lost": lost,
            "records": viewers.reduce(0) { $0 + $1.records },
            "srtp_errors": viewers.reduce(0) { $0 + $1.srtpErrors },
            "plis_sent": viewers.reduce(0) { $0 + $1.plisSent },
            "failures": failures.map { ["error": $0.message, "viewers": $0.count] as [String: Any] },
            "client": [
                "threads": threads, "cpu_percent": r(cpuPercent)!, "cpu_percent_hold": r(holdCPUPercent)!,
                "rss_mb": r(Double(peakRSSBytes) / 1_048_576)!,
            ] as [String: Any],
        ]
        if let perViewer = r(cpuPercentPerViewer, 1000), var client = o["client"] as? [String: Any] {
            client["cpu_percent_per_viewer"] = perViewer
            o["client"] = client
        }
        let data = (try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// The figures for people, one per line.
    public var text: String {
        func f(_ v: Double?, _ format: String = "%.1f") -> String { v.map { String(format: format, $0) } ?? "-" }
        func p(_ values: [Double], _ q: Double) -> Double? { Self.percentile(values, q) }
        var lines = [
            "codec          \(Set(viewers.compactMap(\.codec)).sorted().joined(separator: ","))",
            "viewers        \(connected)/\(requested) connected, \(failed) failed, \(dropped) dropped, \(withVideo) with video"
                + " (ramp \(f(rampSeconds)) s, held \(f(holdSeconds)) s)",
            "fps            min \(f(p(fpsValues, 0))), median \(f(p(fpsValues, 0.5))) (per viewer, from its first frame)",
            "first frame    p50 \(f(p(firstFrameMillis, 0.5))) ms, p95 \(f(p(firstFrameMillis, 0.95))) ms, max \(f(p(firstFrameMillis, 1))) ms (offer sent → first whole keyframe)",
            "connect        p50 \(f(p(connectMillis, 0.5))) ms, p95 \(f(p(connectMillis, 0.95))) ms (offer sent → DTLS up)",
            "loss           \(f(lossPercent, "%.3f"))% (\(lost) of \(expected) packets; worst viewer \(f(worstLossPercent, "%.3f"))%)",
            "records/s      min \(f(p(recordRates, 0))), median \(f(p(recordRates, 0.5))) (per viewer)",
            "bitrate        median \(f(p(viewers.compactMap(\.bitrateKbps), 0.5), "%.0f")) kbit/s per viewer",
            "client         \(f(cpuPercent))% CPU over the run, \(f(holdCPUPercent))% while holding"
                + (cpuPercentPerViewer.map { " (\(String(format: "%.3f", $0))% per viewer)" } ?? "")
                + ", \(f(Double(peakRSSBytes) / 1_048_576, "%.0f")) MB peak RSS, \(threads) threads",
        ]
        let srtpErrors = viewers.reduce(0) { $0 + $1.srtpErrors }
        if srtpErrors > 0 { lines.append("srtp errors    \(srtpErrors)") }
        for failure in failures.prefix(5) { lines.append("failed         \(failure.count)× \(failure.message)") }
        return lines.joined(separator: "\n")
    }
}
