import CUsrsctp
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Where an association runs: the owner's event loop. `execute` runs work one item at a time, in
/// the order given, never inline (`{ loop.execute($0) }`); `isCurrent` says whether the caller is
/// on it already (`{ loop.inEventLoop }`). An association does all its usrsctp calls and sink calls there.
public struct SCTPExecutor: Sendable {
    public let execute: @Sendable (@escaping @Sendable () -> Void) -> Void
    public let isCurrent: @Sendable () -> Bool

    public init(execute: @escaping @Sendable (@escaping @Sendable () -> Void) -> Void, isCurrent: @escaping @Sendable () -> Bool) {
        self.execute = execute
        self.isCurrent = isCurrent
    }
}

/// Partial-reliability policy of an SCTP message (RFC 3758, mapped onto usrsctp's PR-SCTP policies).
public enum SCTPReliability: Sendable, Equatable {
    case reliable
    /// Give up after this many retransmissions (0 = send once).
    case maxRetransmits(UInt32)
    /// Give up once the message is this many milliseconds old.
    case maxPacketLifetime(milliseconds: UInt32)
}

public enum SCTPAssociationError: Swift.Error, Sendable, Equatable {
    case createFailed(errno: Int32)
    case closed
    case messageTooLarge(size: Int, limit: Int)
    case invalidStream(UInt16)
    /// The message would take the bytes waiting for usrsctp past `Configuration.maxQueuedBytes`:
    /// it was dropped (and counted in `droppedMessages`); the association lives on.
    case queueFull(queued: Int, limit: Int)
}

public enum SCTPCloseReason: Sendable, Equatable {
    /// The peer aborted or the association failed (usrsctp error code).
    case lost(error: UInt32)
    /// The association could not be established.
    case couldNotStart(error: UInt32)
    case shutdown
    /// `close()` was called locally.
    case local
}

/// One SCTP association over an abstract DTLS application-data pipe (RFC 8261), driven by usrsctp
/// in AF_CONN mode so that our DTLS transport carries its packets.
///
/// Threading: every usrsctp call made on behalf of this association runs on the owner's serial
/// executor (its event loop), and every `sink` call happens there too, in order.
/// usrsctp's own callbacks (its timer thread, or the loop while inside `usrsctp_conninput`) only
/// copy their data and hop onto the executor, so no lock is ever held across a usrsctp call or a
/// sink call. The public methods may be called from any thread; they never block. The hot paths
/// (a message sent, a packet in, a packet out) run at once when their caller is on the executor:
/// a task per record and per packet was most of a busy server's data-channel cost. So a send made
/// inside a sink call may re-enter the sink with `.outgoingPacket` (or `.sendFailed`).
///
/// Outgoing messages wait in our own queue until usrsctp's send buffer has room; that queue holds
/// at most `maxQueuedBytes`, beyond which `send` refuses the message (`queueFull`, counted).
public final class SCTPAssociation: Sendable {
    public struct Configuration: Sendable {
        /// Our `a=sctp-port`.
        public var localPort: UInt16 = 5000
        /// The peer's `a=sctp-port`.
        public var remotePort: UInt16 = 5000
        /// The peer's `a=max-message-size` (0 in SDP means "no limit": pass `Int.max`).
        public var remoteMaxMessageSize: Int = 65_536
        /// Our own `a=max-message-size`: larger incoming messages are dropped.
        public var localMaxMessageSize: Int = 262_144
        /// Largest SCTP packet handed out (≥ 524). It must fit one DTLS record: use
        /// `min(1188, dtlsTransport.maxApplicationDataSize)` — rtd's DTLS at its default 1200-byte
        /// MTU allows only 1163 with AES-GCM, so 1188 alone would be too big there.
        public var mtu: Int = 1188
        /// usrsctp's per-association send buffer. Bytes beyond it wait in our own queue and count
        /// towards the owning stream's `bufferedAmount`.
        public var sendBufferSize: Int = 262_144
        /// Streams requested in each direction (browsers use 1024 or more).
        public var streamCount: UInt16 = 1024
        /// Bytes that may wait for usrsctp across all streams (beyond `sendBufferSize`); a send
        /// that would exceed it is refused. A slow or vanished peer costs at most this much.
        public var maxQueuedBytes: Int = 4 << 20

        public init(localPort: UInt16 = 5000, remotePort: UInt16 = 5000, remoteMaxMessageSize: Int = 65_536, mtu: Int = 1188) {
            self.localPort = localPort
            self.remotePort = remotePort
            self.remoteMaxMessageSize = remoteMaxMessageSize
            self.mtu = mtu
        }
    }

    public enum Event: Sendable {
        /// One SCTP packet to send as DTLS application data.
        case outgoingPacket([UInt8])
        case established(outboundStreams: UInt16, inboundStreams: UInt16)
        /// A complete, reassembled message.
        case message(streamID: UInt16, ppid: UInt32, unordered: Bool, data: [UInt8])
        /// An incoming message exceeded `localMaxMessageSize` and was dropped.
        case oversizedMessageDropped(streamID: UInt16, size: Int)
        /// The peer reset these of its outgoing streams (our incoming ones).
        case incomingStreamsReset([UInt16])
        /// Our outgoing reset request for these streams completed (or was refused by the peer).
        case outgoingStreamsReset([UInt16], succeeded: Bool)
        /// usrsctp gave up on a message (PR-SCTP expiry or association failure).
        case sendFailed(streamID: UInt16, error: UInt32)
        case closed(SCTPCloseReason)
    }

    public enum Phase: Sendable, Equatable { case new, connecting, established, closed }

    private struct Outgoing {
        let streamID: UInt16
        let ppid: UInt32
        let unordered: Bool
        let reliability: SCTPReliability
        let data: [UInt8]
        var offset = 0
    }

    /// The usrsctp handle. Only used on the executor (or in deinit, when no work for this
    /// association can be pending), which is what makes sharing it sound.
    private struct Handle: @unchecked Sendable { // used only on the executor (see above)
        let raw: OpaquePointer
    }

    private struct State {
        var handle: Handle?
        var phase: Phase = .new
        var outgoing: [Outgoing] = []
        var outgoingHead = 0
        var buffered: [UInt16: Int] = [:]
        var queuedBytes = 0
        var droppedMessages = 0
        var pendingResets: [UInt16] = []
        /// usrsctp refused more data; wait for its send-space or sender-dry upcall.
        var sendBlocked = false
        var early: [[UInt8]] = []
        var reassembly: [UInt16: [UInt8]] = [:]
        var oversized: [UInt16: Int] = [:]
    }

    public let configuration: Configuration
    private let id: UInt
    private let sink: @Sendable (Event) -> Void
    private let executor: SCTPExecutor
    private let state: Mutex<State>

    /// Creates the usrsctp socket (bound to `localPort`); nothing is sent until `start()`.
    /// `sink` is called on `executor` (see the type's threading note).
    public init(configuration: Configuration, executor: SCTPExecutor,
                sink: @escaping @Sendable (Event) -> Void) throws(SCTPAssociationError) {
        _ = usrsctpInitialised
        self.configuration = configuration
        self.sink = sink
        self.executor = executor
        self.id = nextAssociationID.add(1, ordering: .relaxed).newValue
        var err: Int32 = 0
        guard let handle = rtd_sctp_create(id, configuration.localPort, UInt32(clamping: configuration.sendBufferSize),
                                           configuration.streamCount, &err) else {
            throw .createFailed(errno: err)
        }
        state = Mutex(State(handle: Handle(raw: handle)))
        registry.withLock { $0[id] = WeakAssociation(value: self) }
    }

    deinit {
        registry.withLock { _ = $0.removeValue(forKey: id) }
        // No work for this association can be pending (it would hold a reference), so closing here is safe.
        if let handle = state.withLock({ $0.handle }) { rtd_sctp_close(handle.raw) }
    }

    public var phase: Phase { state.withLock { $0.phase } }

    /// Starts the association: call once the DTLS handshake is complete. Both DTLS roles connect,
    /// as Chromium and Firefox do; SCTP resolves the INIT collision (RFC 4960 §5.2.4), and a peer
    /// that only listens (aiortc's server side) simply answers our INIT.
    public func start() {
        executor.execute { [self] in
            let handle: Handle? = state.withLock { s in
                guard s.phase == .new, let h = s.handle else { return nil }
                s.phase = .connecting
                return h
            }
            guard let handle else { return }
            let rc = rtd_sctp_connect(handle.raw, configuration.remotePort, UInt32(clamping: configuration.mtu))
            if rc != 0 { fail(.couldNotStart(error: UInt32(bitPattern: rc))); return }
            let early = state.withLock { s in defer { s.early = [] }; return s.early }
            for packet in early {
                packet.withUnsafeBufferPointer { rtd_sctp_input(handle.raw, $0.baseAddress, $0.count) }
            }
        }
    }

    /// Feeds one DTLS application-data record (an SCTP packet) received from the peer.
    /// Packets that arrive before `start()` (the peer's DTLS finished first and its INIT won the
    /// race) are held and fed right after our connect: a one-to-one socket that is neither
    /// connecting nor listening would answer them with ABORT.
    public func receive(_ packet: [UInt8]) {
        runSoon { [self] in
            let handle: Handle? = state.withLock { s in
                guard s.phase == .new else { return s.handle }
                if s.early.count < Self.maxEarlyPackets { s.early.append(packet) }
                return nil
            }
            guard let handle else { return }
            packet.withUnsafeBufferPointer { rtd_sctp_input(handle.raw, $0.baseAddress, $0.count) }
        }
    }

    private static let maxEarlyPackets = 16

    /// Queues one message. It is handed to usrsctp once the association is established and the
    /// send buffer has room; until then its bytes count in `bufferedAmount(streamID:)`. Throws
    /// `queueFull` (the message is dropped and counted) when the queue holds `maxQueuedBytes`.
    public func send(streamID: UInt16, ppid: UInt32, unordered: Bool, reliability: SCTPReliability,
                     data: [UInt8]) throws(SCTPAssociationError) {
        guard data.count <= configuration.remoteMaxMessageSize else {
            throw .messageTooLarge(size: data.count, limit: configuration.remoteMaxMessageSize)
        }
        guard streamID < configuration.streamCount else { throw .invalidStream(streamID) }
        let limit = configuration.maxQueuedBytes
        let refusal: SCTPAssociationError? = state.withLock { s in
            guard s.phase != .closed else { return .closed }
            // An empty queue takes any one message, so a message larger than the limit still goes.
            guard s.queuedBytes == 0 || s.queuedBytes + data.count <= limit else {
                s.droppedMessages += 1
                return .queueFull(queued: s.queuedBytes, limit: limit)
            }
            s.outgoing.append(Outgoing(streamID: streamID, ppid: ppid, unordered: unordered, reliability: reliability, data: data))
            s.buffered[streamID, default: 0] += data.count
            s.queuedBytes += data.count
            return nil
        }
        if let refusal { throw refusal }
        runSoon { [self] in flush() }
    }

    /// Messages refused because the outgoing queue was full.
    public var droppedMessages: Int { state.withLock { $0.droppedMessages } }

    /// Bytes queued for `streamID` that usrsctp has not accepted yet.
    public func bufferedAmount(streamID: UInt16) -> Int {
        state.withLock { $0.buffered[streamID] ?? 0 }
    }

    /// Resets our outgoing side of these streams (RFC 6525) after everything already queued on
    /// them has been handed to usrsctp. Completion arrives as `.outgoingStreamsReset`.
    public func resetOutgoingStreams(_ streamIDs: [UInt16]) {
        state.withLock { s in
            for sid in streamIDs where !s.pendingResets.contains(sid) { s.pendingResets.append(sid) }
        }
        executor.execute { [self] in flush() }
    }

    /// Aborts the association and releases usrsctp resources; a `.closed(.local)` event follows.
    public func close() {
        executor.execute { [self] in fail(.local) }
    }

    // MARK: - Executor-confined work

    private func fail(_ reason: SCTPCloseReason) {
        let handle: Handle? = state.withLock { s in
            guard s.phase != .closed else { return nil }
            s.phase = .closed
            s.outgoing.removeAll()
            s.outgoingHead = 0
            s.buffered.removeAll()
            s.queuedBytes = 0
            s.pendingResets.removeAll()
            s.early.removeAll()
            defer { s.handle = nil }
            return s.handle
        }
        guard let handle else { return }
        // Close first: the ABORT it emits still has to find us in the registry.
        rtd_sctp_close(handle.raw)
        registry.withLock { _ = $0.removeValue(forKey: id) }
        sink(.closed(reason))
    }

    /// Hands queued messages to usrsctp until it pushes back, then issues pending stream resets.
    private func flush() {
        while true {
            let next: (Handle, Outgoing)? = state.withLock { s in
                guard s.phase == .established, !s.sendBlocked, let h = s.handle, s.outgoingHead < s.outgoing.count else { return nil }
                return (h, s.outgoing[s.outgoingHead])
            }
            guard let (handle, item) = next else { break }
            let (policy, value): (Int32, UInt32) = switch item.reliability {
            case .reliable: (Int32(RTD_SCTP_PR_NONE), 0)
            case .maxRetransmits(let n): (Int32(RTD_SCTP_PR_RTX), n)
            case .maxPacketLifetime(let ms): (Int32(RTD_SCTP_PR_TTL), ms)
            }
            let result = item.data.withUnsafeBufferPointer { buf in
                rtd_sctp_send(handle.raw, item.streamID, item.ppid, item.unordered ? 1 : 0, policy, value,
                              buf.baseAddress.map { $0 + item.offset }, buf.count - item.offset)
            }
            let stop = state.withLock { s -> Bool in
                guard s.phase == .established else { return true }
                let taken: Int
                if result >= 0 {
                    taken = Int(result)
                    s.outgoing[s.outgoingHead].offset += taken
                    if s.outgoing[s.outgoingHead].offset < item.data.count && taken == 0 { s.sendBlocked = true }
                } else if -result == Int(EWOULDBLOCK) || -result == Int(EAGAIN) {
                    s.sendBlocked = true
                    return true
                } else {
                    // A hard error (e.g. stream not negotiated): drop this message, keep going.
                    taken = item.data.count - item.offset
                    s.outgoing[s.outgoingHead].offset = item.data.count
                }
                s.buffered[item.streamID, default: 0] -= taken
                if s.buffered[item.streamID] == 0 { s.buffered[item.streamID] = nil }
                s.queuedBytes -= taken
                if s.outgoing[s.outgoingHead].offset >= item.data.count {
                    s.outgoingHead += 1
                    // Compact now and then rather than shifting the array on every message.
                    if s.outgoingHead == s.outgoing.count {
                        s.outgoing.removeAll(keepingCapacity: true)
                        s.outgoingHead = 0
                    } else if s.outgoingHead >= 256 {
                        s.outgoing.removeFirst(s.outgoingHead)
                        s.outgoingHead = 0
                    }
                }
                return s.sendBlocked
            }
            if result < 0 && -result != Int(EWOULDBLOCK) && -result != Int(EAGAIN) {
                sink(.sendFailed(streamID: item.streamID, error: UInt32(-result)))
            }
            if stop { break }
        }
        issueResets()
    }

    private func issueResets() {
        // Only streams whose queued data has all reached usrsctp; usrsctp itself defers the
        // reset until the stream's own queue has drained.
        let work: (Handle, [UInt16])? = state.withLock { s in
            guard s.phase == .established, let h = s.handle else { return nil }
            let ready = s.pendingResets.filter { s.buffered[$0] == nil }
            return ready.isEmpty ? nil : (h, ready)
        }
        guard let (handle, sids) = work else { return }
        let rc = sids.withUnsafeBufferPointer { rtd_sctp_reset_streams(handle.raw, $0.baseAddress, $0.count) }
        // EALREADY/EBUSY: another reset request is outstanding; retried on the next reset event.
        if rc == EALREADY || rc == EBUSY || rc == EAGAIN { return }
        state.withLock { s in s.pendingResets.removeAll { sids.contains($0) } }
        if rc != 0 { sink(.outgoingStreamsReset(sids, succeeded: false)) }
    }

    fileprivate func handleData(_ data: [UInt8], streamID: UInt16, ppid: UInt32, unordered: Bool, endOfRecord: Bool) {
        // usrsctp may deliver a large message in pieces (partial delivery); without I-DATA the
        // pieces of one message are never interleaved with another on the same association.
        enum Outcome { case none, complete([UInt8]), oversized(Int) }
        let limit = configuration.localMaxMessageSize
        let outcome: Outcome = state.withLock { s in
            if let dropped = s.oversized[streamID] {
                if endOfRecord { s.oversized[streamID] = nil; return .oversized(dropped + data.count) }
                s.oversized[streamID] = dropped + data.count
                return .none
            }
            var message = s.reassembly.removeValue(forKey: streamID) ?? []
            message.append(contentsOf: data)
            if message.count > limit {
                if endOfRecord { return .oversized(message.count) }
                s.oversized[streamID] = message.count
                return .none
            }
            if endOfRecord { return .complete(message) }
            s.reassembly[streamID] = message
            return .none
        }
        switch outcome {
        case .none: break
        case .complete(let message): sink(.message(streamID: streamID, ppid: ppid, unordered: unordered, data: message))
        case .oversized(let size): sink(.oversizedMessageDropped(streamID: streamID, size: size))
        }
    }

    fileprivate func handleEvent(kind: Int32, a: UInt32, b: UInt32, streams: [UInt16]) {
        switch kind {
        case Int32(RTD_SCTP_EV_COMM_UP):
            let up = state.withLock { s in
                guard s.phase == .connecting || s.phase == .new else { return false }
                s.phase = .established
                return true
            }
            guard up else { return }
            sink(.established(outboundStreams: UInt16(truncatingIfNeeded: a), inboundStreams: UInt16(truncatingIfNeeded: b)))
            flush()
        case Int32(RTD_SCTP_EV_COMM_LOST):
            fail(.lost(error: a))
        case Int32(RTD_SCTP_EV_CANT_START):
            fail(.couldNotStart(error: a))
        case Int32(RTD_SCTP_EV_SHUTDOWN):
            fail(.shutdown)
        case Int32(RTD_SCTP_EV_STREAM_RESET):
            if a & UInt32(RTD_SCTP_RESET_INCOMING) != 0 {
                state.withLock { s in for sid in streams { s.reassembly[sid] = nil; s.oversized[sid] = nil } }
                sink(.incomingStreamsReset(streams))
            } else if a & UInt32(RTD_SCTP_RESET_OUTGOING) != 0 {
                let ok = a & UInt32(RTD_SCTP_RESET_DENIED | RTD_SCTP_RESET_FAILED) == 0
                sink(.outgoingStreamsReset(streams, succeeded: ok))
            }
            issueResets()
        case Int32(RTD_SCTP_EV_SEND_SPACE), Int32(RTD_SCTP_EV_SENDER_DRY):
            state.withLock { $0.sendBlocked = false }
            flush()
        case Int32(RTD_SCTP_EV_SEND_FAILED):
            sink(.sendFailed(streamID: UInt16(truncatingIfNeeded: b), error: a))
        default:
            break
        }
    }

    /// A packet usrsctp made: from our own call on the executor (sent now), or from its timer thread (hop).
    fileprivate func emitPacket(_ packet: [UInt8]) {
        runSoon { [self] in sink(.outgoingPacket(packet)) }
    }

    /// Runs `work` on the association's executor, ordered with its events (for layers above).
    func enqueue(_ work: @escaping @Sendable () -> Void) {
        executor.execute(work)
    }

    /// At once on the executor, else queued there.
    private func runSoon(_ work: @escaping @Sendable () -> Void) {
        if executor.isCurrent() { work() } else { executor.execute(work) }
    }
}

// MARK: - usrsctp callbacks

// Callbacks identify the association by the id stored in sconn_addr / ulp_info; a weak registry
// turns that into the object, so a callback racing with teardown finds nothing and is ignored.
private struct WeakAssociation: Sendable {
    weak var value: SCTPAssociation?
}

private let registry = Mutex<[UInt: WeakAssociation]>([:])
private let nextAssociationID = Atomic<UInt>(0)

private func lookup(_ id: UInt) -> SCTPAssociation? {
    registry.withLock { $0[id]?.value }
}

/// usrsctp_init runs once per process; Swift's lazy global initialisation makes this thread-safe.
private let usrsctpInitialised: Void = rtd_sctp_global_init(
    { id, packet, length in
        // usrsctp's timer thread or whichever thread is inside a usrsctp call.
        guard let packet, let association = lookup(id) else { return }
        association.emitPacket(Array(UnsafeBufferPointer(start: packet, count: length)))
    },
    { id, data, length, sid, ppid, unordered, eor in
        guard let association = lookup(id) else { return }
        let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: length)) } ?? []
        association.enqueue {
            association.handleData(bytes, streamID: sid, ppid: ppid, unordered: unordered != 0, endOfRecord: eor != 0)
        }
    },
    { id, kind, a, b, streams, count in
        guard let association = lookup(id) else { return }
        let list = streams.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
        association.enqueue { association.handleEvent(kind: kind, a: a, b: b, streams: list) }
    }
)
