import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import RTDCore
import RTDWebRTC

/// The client's UDP socket as a NIO datagram channel, and the peer's state machine on its event
/// loop: datagrams in, the peer's answers out, one timer armed at the peer's next deadline, and
/// the session's own timeouts. Everything here runs on that one loop; what may block (decoding,
/// writing frames and records) is handed to the `DecodeWorker` through its bounded queues.
///
/// Before the peer exists it can ask a STUN server for our reflexive address or allocate a relay
/// on a TURN server, and it holds (a bounded number of) datagrams that arrive between the answer
/// and the peer's start. With TURN, the `TURNClient` lives here too: its messages go to the
/// server as datagrams on this socket or on a TCP connection (`TURNStreamHandler`), and what the
/// relay delivers is handed to the peer as `relayed`.
final class ClientChannel: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    /// Datagrams kept while the peer is being set up (a full ICE agent starts checking at once).
    static let earlyLimit = 256

    /// What one session needs from its owner.
    struct Setup {
        var peer: ClientPeer
        var worker: DecodeWorker
        var started: Int64
        var timeout: Double
        var duration: Double?
        var frameLimit: Int?
        var stopRequested: @Sendable () -> Bool
        /// The answer's candidates, permitted on the TURN server (empty without TURN).
        var relayPeers: [STUNAddress] = []
    }

    /// A TURN allocation being made or in use.
    private struct Relay {
        var client: TURNClient
        var address: STUNAddress
        /// nil: over this UDP socket.
        var stream: (any Channel)?
        var framer = TURNStreamFramer()
        /// Only the relay: datagrams from anyone but the TURN server are dropped (`--ice relay`).
        var only: Bool
        var promise: EventLoopPromise<TURNClient.State>?
        var timer: Scheduled<Void>?
        var timerAt = Int64.max
    }

    private struct StunQuery {
        var server: STUNAddress
        var transaction: [UInt8]
        var bytes: [UInt8]
        var promise: EventLoopPromise<STUNAddress?>
        var retransmit: Scheduled<Void>?
        var giveUp: Scheduled<Void>?
    }

    private let logger: Logger
    private var context: ChannelHandlerContext?
    /// Peer addresses as NIO wants them; a session talks to a handful.
    private var socketAddresses = SocketAddressCache()
    private var early: [([UInt8], STUNAddress, Bool)] = []
    private var stun: StunQuery?
    private var relay: Relay?

    private var setup: Setup?
    private var report = SignalReport()
    private var outcome: EventLoopPromise<SignalError?>?
    private var finished = false
    private var tickTask: Scheduled<Void>?
    private var tickAt = Int64.max
    private var connectTimer: Scheduled<Void>?
    private var firstFrameTimer: Scheduled<Void>?
    private var durationTimer: Scheduled<Void>?
    private var connectedAt: Int64?
    private var firstFrameAt: Int64?

    init(logger: Logger) {
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    // MARK: Datagrams

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard case .v4(let address) = envelope.remoteAddress,
              let source = STUNAddress(ip: withUnsafeBytes(of: address.address.sin_addr) { Array($0) },
                                       port: UInt16(bigEndian: address.address.sin_port)) else { return }
        // The peer's parsers take arrays: one copy out of NIO's receive buffer, as recvfrom's was.
        let bytes = Array(envelope.data.readableBytesView)
        if let query = stun, source == query.server {
            answerStun(bytes, query: query)
            return
        }
        if let relay {
            if relay.stream == nil, source == relay.address { return fromTURN(bytes) }
            if relay.only { return }
        }
        deliver(bytes, from: source, relayed: false)
    }

    private func deliver(_ bytes: [UInt8], from source: STUNAddress, relayed: Bool) {
        guard let setup, !finished else {
            if setup == nil, early.count < Self.earlyLimit { early.append((bytes, source, relayed)) }
            return
        }
        send(setup.peer.receive(bytes, from: source, relayed: relayed, now: SystemClock.monotonicMicros()))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
        guard setup != nil else { return }
        settle()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP port unreachable and the like surface here on a UDP socket; ICE and consent
        // decide whether a path is dead, not one error.
        logger.debug("UDP: \(error)")
    }

    private func send(_ datagrams: [ICEAgent.Outgoing]) {
        guard let context, !datagrams.isEmpty else { return }
        for out in datagrams {
            if out.relayed {
                if let wrapped = relay?.client.wrap(out.bytes, to: out.destination, now: SystemClock.monotonicMicros()) { toTURN(wrapped) }
                continue
            }
            guard let address = socketAddress(out.destination) else { continue }
            let buffer = context.channel.allocator.buffer(bytes: out.bytes)
            context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: address, data: buffer)), promise: nil)
        }
    }

    private func socketAddress(_ address: STUNAddress) -> SocketAddress? { socketAddresses.address(for: address) }

    // MARK: STUN (before the session)

    /// Asks `server` what our socket looks like from outside (RFC 8489 Binding): retransmits at
    /// 100 ms, doubling, for 2 s; nil (with a warning) if nobody answers.
    func queryReflexiveAddress(_ server: STUNAddress, promise: EventLoopPromise<STUNAddress?>) {
        guard let context else { return promise.succeed(nil) }
        let request = STUNMessage(type: .bindingRequest)
        stun = StunQuery(server: server, transaction: request.transactionID, bytes: request.serialized(fingerprint: true),
                         promise: promise)
        let loop = context.eventLoop.assumeIsolated()
        stun?.giveUp = loop.scheduleTask(in: .seconds(2)) { [self] in
            logger.warning("no answer from STUN server \(server) within 2 s; going on with host candidates only")
            endStun(nil)
        }
        sendStun(interval: 100_000)
    }

    private func sendStun(interval: Int64) {
        guard let query = stun, let context else { return }
        send([ICEAgent.Outgoing(bytes: query.bytes, destination: query.server)])
        context.flush()
        stun?.retransmit = context.eventLoop.assumeIsolated().scheduleTask(in: .microseconds(interval)) { [self] in
            sendStun(interval: interval * 2)
        }
    }

    private func answerStun(_ bytes: [UInt8], query: StunQuery) {
        guard let message = try? STUNMessage.parse(bytes), message.transactionID == query.transaction else { return }
        guard message.type == .bindingSuccess, let mapped = message.xorMappedAddress else {
            let why = message.errorCode.map { "\($0.code) \($0.reason)" } ?? "no address in the answer"
            return endStun(SignalError(.unreachable, "STUN server \(query.server) refused the binding request: \(why)"))
        }
        endStun(mapped)
    }

    private func endStun(_ result: STUNAddress?) {
        guard let query = stun else { return }
        stun = nil
        query.retransmit?.cancel()
        query.giveUp?.cancel()
        query.promise.succeed(result)
    }

    private func endStun(_ error: SignalError) {
        guard let query = stun else { return }
        stun = nil
        query.retransmit?.cancel()
        query.giveUp?.cancel()
        query.promise.fail(error)
    }

    // MARK: TURN

    /// Allocates a relay on `server` (at `address`; over `stream` when TURN runs over TCP): the
    /// promise gets the allocated state, or fails with why not (credentials refused: `.iceFailed`).
    func allocate(_ server: TURNServer, at address: STUNAddress, stream: (any Channel)?, relayOnly: Bool,
                  promise: EventLoopPromise<TURNClient.State>) {
        var new = Relay(client: TURNClient(server: server), address: address, stream: stream, only: relayOnly, promise: promise)
        let first = new.client.start(now: SystemClock.monotonicMicros())
        relay = new
        toTURN(first)
        context?.flush()
        armTURN()
    }

    /// Bytes from the TCP connection to the TURN server, on this loop.
    func turnStreamRead(_ bytes: ByteBufferView) {
        guard let server = relay?.client.server.description else { return }
        let messages: [[UInt8]]
        do {
            messages = try relay?.framer.append(bytes) ?? []
        } catch {
            return turnLost("TURN server \(server) sent what is not TURN over TCP: \(error)")
        }
        for message in messages { fromTURN(message) }
        context?.flush()
        if setup != nil { settle() }
    }

    /// The TCP connection to the TURN server closed.
    func turnStreamClosed() {
        guard let relay, relay.client.state != .failed else { return }
        turnLost("TURN server \(relay.client.server.description) closed the TCP connection")
    }

    private func turnLost(_ reason: String) {
        guard var lost = relay else { return }
        lost.timer?.cancel()
        lost.timer = nil
        _ = lost.client.close()
        let promise = lost.promise
        lost.promise = nil
        relay = lost
        if let promise { return promise.fail(SignalError(.unreachable, reason)) }
        relayFailed(SignalError(.unreachable, reason))
    }

    /// A message from the TURN server: its answers move the allocation on, relayed data goes to the peer.
    private func fromTURN(_ bytes: [UInt8]) {
        guard let (toServer, data) = relay?.client.receive(bytes, now: SystemClock.monotonicMicros()) else { return }
        toTURN(toServer)
        if let data { deliver(data.payload, from: data.from, relayed: true) }
        turnProgress()
    }

    /// Settles the allocation's promise once it is decided, and re-arms the TURN timer.
    private func turnProgress() {
        guard let relay else { return }
        if let promise = relay.promise {
            if let failure = relay.client.failure {
                self.relay?.promise = nil
                promise.fail(failure)
            } else if case .allocated = relay.client.state {
                self.relay?.promise = nil
                promise.succeed(relay.client.state)
            }
        } else if let failure = relay.client.failure {
            relayFailed(failure)
        }
        armTURN()
    }

    /// A relay that worked is gone: fatal when the session depends on it.
    private func relayFailed(_ failure: SignalError) {
        guard let setup, !finished else { return }
        if relay?.only == true || setup.peer.ice.selectedRelayed {
            finish(failure)
        } else {
            logger.warning("\(failure.message)")
        }
    }

    private func toTURN(_ messages: [[UInt8]]) {
        guard let relay, let context, !messages.isEmpty else { return }
        if let stream = relay.stream {
            var buffer = stream.allocator.buffer(capacity: messages.reduce(0) { $0 + $1.count })
            for message in messages { buffer.writeBytes(message) }
            stream.writeAndFlush(buffer, promise: nil)
            return
        }
        guard let address = socketAddress(relay.address) else { return }
        for message in messages {
            let buffer = context.channel.allocator.buffer(bytes: message)
            context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: address, data: buffer)), promise: nil)
        }
    }

    /// One timer at the TURN client's next deadline (retransmissions, refreshes).
    private func armTURN() {
        guard let relay, let context else { return }
        guard let deadline = relay.client.nextDeadline() else {
            relay.timer?.cancel()
            self.relay?.timer = nil
            return
        }
        if relay.timer != nil, relay.timerAt <= deadline { return }
        relay.timer?.cancel()
        let now = SystemClock.monotonicMicros()
        self.relay?.timerAt = deadline
        self.relay?.timer = context.eventLoop.assumeIsolated().scheduleTask(in: .microseconds(max(1_000, deadline - now))) { [self] in
            self.relay?.timer = nil
            self.relay?.timerAt = .max
            guard let due = self.relay?.client.tick(now: SystemClock.monotonicMicros()) else { return }
            toTURN(due)
            context.flush()
            turnProgress()
        }
    }

    // MARK: The session

    /// Runs the session; `outcome` gets nil for a normal end (limit reached, stopped, the reader of
    /// our output gone) or why it failed.
    func start(_ setup: Setup, outcome: EventLoopPromise<SignalError?>) {
        guard let context else { return outcome.succeed(SignalError(.unreachable, "the UDP socket closed")) }
        self.setup = setup
        self.outcome = outcome
        let now = SystemClock.monotonicMicros()
        let timeout = Int64(setup.timeout * 1e6)
        connectTimer = context.eventLoop.assumeIsolated().scheduleTask(in: .microseconds(max(0, setup.started + timeout - now))) { [self] in
            guard connectedAt == nil, let peer = self.setup?.peer else { return }
            switch peer.ice.state {
            case .checking: finish(SignalError(.timeout, "timed out after \(setup.timeout) s waiting for ICE (\(peer.ice.candidateCount) server candidates)"))
            default: finish(SignalError(.timeout, "timed out after \(setup.timeout) s in the DTLS handshake"))
            }
        }
        if let permissions = relay?.client.permit(setup.relayPeers, now: now) {
            toTURN(permissions)
            armTURN()
        }
        for (bytes, source, relayed) in early { send(setup.peer.receive(bytes, from: source, relayed: relayed, now: now)) }
        early = []
        tick()
    }

    /// What the session learnt, read on the loop at the end.
    func finalReport(started: Int64) -> SignalReport {
        guard let setup else { return report }
        var out = report
        out.fill(peer: setup.peer, worker: setup.worker, started: started)
        return out
    }

    /// Ends the session now (an interrupt, or the worker's news): checks whether it should.
    func wake() {
        guard setup != nil, !finished else { return }
        settle()
    }

    /// The data channel's news, from usrsctp's thread by way of `Inbox`.
    func handle(_ events: [DataChannelEvent]) {
        guard let setup, !finished else { return }
        for event in events { send(setup.peer.handle(event)) }
        context?.flush()
        settle()
    }

    private func tick() {
        guard let setup, !finished else { return }
        send(setup.peer.tick(now: SystemClock.monotonicMicros()))
        context?.flush()
        settle()
    }

    /// After any input: hands on what the peer produced, ends the session if it should, and arms
    /// the timer for the peer's next deadline.
    private func settle() {
        guard let setup, !finished else { return }
        let peer = setup.peer
        for event in peer.events {
            switch event {
            case .connected:
                let now = SystemClock.monotonicMicros()
                connectedAt = now
                report.connectedAfterMicros = now - setup.started
                connectTimer?.cancel()
                firstFrameTimer = context?.eventLoop.assumeIsolated().scheduleTask(in: .microseconds(Int64(setup.timeout * 1e6))) { [self] in
                    finish(SignalError(.timeout, "connected, but no video frame within \(setup.timeout) s"))
                }
            case .frame(let frame):
                if firstFrameAt == nil {
                    firstFrameAt = SystemClock.monotonicMicros()
                    firstFrameTimer?.cancel()
                    if let duration = setup.duration {
                        durationTimer = context?.eventLoop.assumeIsolated().scheduleTask(in: .microseconds(Int64(duration * 1e6))) { [self] in
                            finish(nil)
                        }
                    }
                }
                setup.worker.submit(frame)
            case .text(let text):
                report.messages += 1
                setup.worker.submitRecord(text.replacingOccurrences(of: "\n", with: " ") + "\n")
            case .channelOpened:
                report.dataChannelOpened = true
            }
        }
        peer.events.removeAll(keepingCapacity: true)
        if setup.stopRequested() { return finish(nil) }
        if let failure = peer.failure { return finish(failure) }
        if setup.worker.stoppedEarly { return finish(nil) }
        if let limit = setup.frameLimit, setup.worker.framesDone >= limit { return finish(nil) }
        if setup.worker.takeKeyframeRequest() { peer.requestKeyframe() }
        armTick()
    }

    /// One timer, at the peer's next deadline (at least 1 ms away, so a deadline that `tick`
    /// cannot clear never spins the loop). Moved only when something is due earlier; a timer
    /// that fires early just ticks and re-arms.
    private func armTick() {
        guard let setup, let context else { return }
        let now = SystemClock.monotonicMicros()
        guard let deadline = setup.peer.nextDeadline(now: now) else { return }
        let at = max(deadline, now + 1_000)
        if tickTask != nil, tickAt <= at { return }
        tickTask?.cancel()
        tickAt = at
        tickTask = context.eventLoop.assumeIsolated().scheduleTask(in: .microseconds(at - now)) { [self] in
            tickTask = nil
            tickAt = .max
            tick()
        }
    }

    private func finish(_ result: SignalError?) {
        guard let setup, !finished else { return }
        finished = true
        for timer in [tickTask, connectTimer, firstFrameTimer, durationTimer] { timer?.cancel() }
        // A last tick brings the peer's statistics (the jitter buffer's) up to date for the report.
        send(setup.peer.tick(now: SystemClock.monotonicMicros()))
        // close_notify (and the data channel's end) to the server, then the allocation's end.
        send(setup.peer.close())
        relay?.timer?.cancel()
        if let goodbye = relay?.client.close() { toTURN(goodbye) }
        context?.flush()
        outcome?.succeed(result)
    }
}

/// Another thread's "look again" for the event loop, coalesced: any number of `fire()`s before
/// the loop gets to it make one task. Nothing runs after `close()` (the session is over and its
/// loop may be shutting down; usrsctp and the decode worker may still call).
final class ClientWakeup: Sendable {
    private let pending = Atomic<Bool>(false)
    private let closed = Atomic<Bool>(false)
    private let loop: any EventLoop
    private let body: @Sendable () -> Void

    init(on loop: any EventLoop, _ body: @escaping @Sendable () -> Void) {
        self.loop = loop
        self.body = body
    }

    /// The decode worker's progress or an interrupt: the channel looks again.
    convenience init(_ channel: NIOLoopBound<ClientChannel>) {
        self.init(on: channel.eventLoop) { channel.value.wake() }
    }

    var isClosed: Bool { closed.load(ordering: .acquiring) }

    func close() { closed.store(true, ordering: .releasing) }

    func fire() {
        guard !isClosed, !pending.exchange(true, ordering: .acquiringAndReleasing) else { return }
        loop.execute { [self] in
            pending.store(false, ordering: .releasing)
            body()
        }
    }
}

/// Data-channel events from usrsctp's threads, handed to the channel's loop in batches (one
/// `ClientWakeup` task for all that wait).
final class ClientInbox: Sendable {
    /// Past this the loop is far behind; SCTP retransmits what is dropped.
    static let limit = 4096

    private final class Events: Sendable {
        let list = Mutex<[DataChannelEvent]>([])
    }

    private let events = Events()
    private let wakeup: ClientWakeup

    init(_ channel: NIOLoopBound<ClientChannel>) {
        let events = self.events
        wakeup = ClientWakeup(on: channel.eventLoop) {
            let taken = events.list.withLock { list in
                defer { list.removeAll(keepingCapacity: true) }
                return list
            }
            channel.value.handle(taken)
        }
    }

    func close() { wakeup.close() }

    func post(_ event: DataChannelEvent) {
        guard !wakeup.isClosed else { return }
        let kept = events.list.withLock { list in
            guard list.count < Self.limit else { return false }
            list.append(event)
            return true
        }
        if kept { wakeup.fire() }
    }
}

/// NIO addresses for the few STUN addresses a client sends to (its candidate pairs), made once
/// each rather than per datagram; bounded, past that made each time.
struct SocketAddressCache {
    private var known: [STUNAddress: SocketAddress] = [:]
    static let limit = 16

    mutating func address(for address: STUNAddress) -> SocketAddress? {
        if let made = known[address] { return made }
        guard !address.isIPv6, let made = try? SocketAddress(ipAddress: address.host, port: Int(address.port)) else { return nil }
        if known.count < Self.limit { known[address] = made }
        return made
    }
}

extension ClientChannel {
    /// Host candidates for a socket on `port`, one per interface address, in their order.
    static func hostCandidates(addresses: [String] = interfaceAddresses(), port: Int) -> [ICECandidate] {
        addresses.enumerated().map { i, ip in
            ICECandidate(foundation: "\(i + 1)", priority: ICECandidate.priority(typePreference: 126, localPreference: UInt32(65535 - i)),
                         address: ip, port: port, type: .host)
        }
    }

    /// IPv4 addresses of the interfaces that are up, loopback included (a server on the same
    /// machine may only listen there); non-loopback first, the order servers prefer too.
    static func interfaceAddresses() -> [String] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return ["127.0.0.1"] }
        defer { freeifaddrs(list) }
        var out: [String] = []
        var entry = list
        while let item = entry {
            entry = item.pointee.ifa_next
            guard let addr = item.pointee.ifa_addr, addr.pointee.sa_family == sa_family_t(AF_INET),
                  item.pointee.ifa_flags & UInt32(IFF_UP) != 0 else { continue }
            let ip = addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { p in withUnsafeBytes(of: p.pointee.sin_addr) { Array($0) } }
            if let host = STUNAddress(ip: ip, port: 0)?.host, !out.contains(host) { out.append(host) }
        }
        return out.sorted { ($0.hasPrefix("127.") ? 1 : 0) < ($1.hasPrefix("127.") ? 1 : 0) }
    }

    /// Resolves `host:port` (or `stun:host:port`) to an IPv4 address.
    static func resolve(_ text: String, defaultPort: UInt16) throws(SignalError) -> STUNAddress {
        var spec = Substring(text)
        for prefix in ["stun://", "stun:"] where spec.hasPrefix(prefix) { spec = spec.dropFirst(prefix.count) }
        var host = spec
        var port = defaultPort
        if let colon = spec.lastIndex(of: ":") {
            guard let p = UInt16(spec[spec.index(after: colon)...]), p > 0 else { throw SignalError(.badInput, "bad port in \(text)") }
            host = spec[..<colon]
            port = p
        }
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(String(host), nil, &hints, &result)
        guard status == 0, let result, let addr = result.pointee.ai_addr else {
            throw SignalError(.unreachable, "cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(result) }
        let ip = addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { p in withUnsafeBytes(of: p.pointee.sin_addr) { Array($0) } }
        guard let address = STUNAddress(ip: ip, port: port) else { throw SignalError(.badInput, "bad address \(text)") }
        return address
    }
}

/// The TCP connection to a TURN server (`?transport=tcp`): what arrives goes to the client's
/// channel, on the same loop, which splits it into messages.
final class TURNStreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let client: NIOLoopBound<ClientChannel>

    init(_ client: NIOLoopBound<ClientChannel>) { self.client = client }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        client.value.turnStreamRead(unwrapInboundIn(data).readableBytesView)
    }

    func channelInactive(context: ChannelHandlerContext) {
        client.value.turnStreamClosed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
