import Logging
import Metrics
import NIOCore
import NIOPosix
import RTDWebRTC
import Synchronization

/// Where a peer's datagrams come from and go to: a UDP address on the shared port, or one of its
/// ICE-TCP connections (RFC 6544), on which each datagram is a framed (RFC 4571) record.
enum PeerPath: Hashable, Sendable, CustomStringConvertible {
    case udp(SocketAddress)
    case tcp(TCPLink)

    /// The address STUN reports back to the peer (XOR-MAPPED-ADDRESS) and ICE knows it by.
    var socketAddress: SocketAddress? {
        switch self {
        case .udp(let address): address
        case .tcp(let link): link.remote
        }
    }

    var description: String {
        switch self {
        case .udp(let address): "\(address)"
        case .tcp(let link): "tcp \(link.remote.map { "\($0)" } ?? "?")"
        }
    }
}

/// How a loop sends to a peer's selected path: the kernel form of a UDP address made once, or the link.
enum PeerRoute {
    case udp(RawSocketAddress)
    case tcp(TCPLink)

    init(_ path: PeerPath) {
        switch path {
        case .udp(let address): self = .udp(RawSocketAddress(address))
        case .tcp(let link): self = .tcp(link)
        }
    }
}

/// One ICE-TCP connection. Its channel lives on one of the endpoint's loops; the peer it carries
/// may live on another (its first check came over UDP there), so sends from elsewhere hop here.
/// The write queue is bounded: what the kernel has not taken beyond `videoLimit` drops video,
/// beyond `totalLimit` everything (a real-time path drops stale data instead of queueing it).
final class TCPLink: Hashable, @unchecked Sendable { // `queued` is confined to the channel's loop
    static let videoLimit = 128 * 1024
    static let totalLimit = 256 * 1024

    let channel: any Channel
    let remote: SocketAddress?
    private let metrics: ICETCPMetrics
    /// Bytes written to the channel and not yet handed to the kernel.
    private var queued = 0
    private let state = Atomic<UInt8>(State.unverified.rawValue)

    enum State: UInt8 {
        case unverified, verified, closed
    }

    init(channel: any Channel, metrics: ICETCPMetrics) {
        self.channel = channel
        self.remote = channel.remoteAddress
        self.metrics = metrics
    }

    var loop: any EventLoop { channel.eventLoop }
    var isVerified: Bool { state.load(ordering: .relaxed) == State.verified.rawValue }

    /// A valid ICE check came over the link (on whichever loop owns its peer): it stops counting
    /// against the unverified limit and its set-up deadline.
    func verified() {
        if state.compareExchange(expected: State.unverified.rawValue, desired: State.verified.rawValue, ordering: .relaxed).exchanged {
            metrics.unverified.subtract(1, ordering: .relaxed)
        }
    }

    /// Once, when the channel goes inactive.
    func closed() {
        let was = state.exchange(State.closed.rawValue, ordering: .relaxed)
        if was == State.unverified.rawValue { metrics.unverified.subtract(1, ordering: .relaxed) }
    }

    func close(reason: ICETCPMetrics.CloseReason) {
        guard state.load(ordering: .relaxed) != State.closed.rawValue else { return }
        if reason != .peerClosed { metrics.closed(reason) }
        channel.close(promise: nil)
    }

    /// Frames and sends finished datagrams (DTLS, STUN, SCTP, RTCP, retransmissions).
    func send(_ datagrams: [[UInt8]]) {
        guard !datagrams.isEmpty else { return }
        var buffer = channel.allocator.buffer(capacity: datagrams.reduce(0) { $0 + 2 + $1.count })
        var video = true
        for d in datagrams where d.count <= Int(UInt16.max) {
            buffer.writeInteger(UInt16(d.count))
            buffer.writeBytes(d)
            // Only SRTP (retransmitted video) may be dropped at the video limit; the rest is set-up and control.
            if WebRTCDatagramKind.classify(d) != .rtp { video = false }
        }
        enqueue(buffer, video: video)
    }

    /// Sends one buffer of framed datagrams, from any loop.
    func enqueue(_ buffer: ByteBuffer, video: Bool) {
        guard buffer.readableBytes > 0 else { return }
        if loop.inEventLoop {
            write(buffer, video: video)
        } else {
            loop.execute { self.write(buffer, video: video) }
        }
    }

    private func write(_ buffer: ByteBuffer, video: Bool) {
        let size = buffer.readableBytes
        guard queued + size <= (video ? Self.videoLimit : Self.totalLimit) else {
            metrics.dropped(video: video)
            return
        }
        queued += size
        channel.writeAndFlush(buffer).whenComplete { _ in self.queued -= size }
    }

    static func == (a: TCPLink, b: TCPLink) -> Bool { a === b }
    func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}

/// Writes a peer's RTP straight into one buffer of RFC 4571 frames for its TCP link.
struct TCPFrameWriter: DatagramWriter {
    var buffer: ByteBuffer

    mutating func write(capacity: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Int) {
        guard capacity <= Int(UInt16.max) else { return }
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: capacity + 2) { space in
            let written = fill(UnsafeMutableRawBufferPointer(rebasing: space[2 ..< capacity + 2]))
            guard written > 0 else { return 0 }
            space[0] = UInt8(written >> 8)
            space[1] = UInt8(written & 0xFF)
            return written + 2
        }
    }
}

/// The ICE-TCP counters and the limit on connections not yet verified, shared by every loop.
final class ICETCPMetrics: Sendable {
    enum CloseReason: String {
        /// Framing broken or a frame longer than any datagram.
        case badFraming = "bad_framing"
        /// The first frame was no ICE check for a session we know.
        case unknownSession = "unknown_session"
        /// No valid ICE check within `ICETCPListener.verifyTimeout`.
        case timeout
        /// Too many connections not yet verified.
        case limit
        /// Its peer left (bye, consent expired) or dropped the path.
        case peerGone = "peer_gone"
        /// The remote end closed it (not counted).
        case peerClosed = "peer_closed"
    }

    let unverified = Atomic<Int>(0)
    private let open = Atomic<Int>(0)
    private let openGauge = Gauge(label: "rtd_ice_tcp_connections")
    private let droppedVideo = Counter(label: "rtd_ice_tcp_dropped_total", dimensions: [("kind", "video")])
    private let droppedOther = Counter(label: "rtd_ice_tcp_dropped_total", dimensions: [("kind", "other")])
    private let closes: [String: Counter]

    init() {
        openGauge.record(0)
        var closes: [String: Counter] = [:]
        for reason in [CloseReason.badFraming, .unknownSession, .timeout, .limit, .peerGone] {
            closes[reason.rawValue] = Counter(label: "rtd_ice_tcp_closed_total", dimensions: [("reason", reason.rawValue)])
        }
        self.closes = closes
        // The series exist, at 0, from the first scrape.
        droppedVideo.increment(by: 0)
        droppedOther.increment(by: 0)
        for c in closes.values { c.increment(by: 0) }
    }

    func opened() { openGauge.record(open.add(1, ordering: .relaxed).newValue) }
    func gone() { openGauge.record(open.subtract(1, ordering: .relaxed).newValue) }
    func closed(_ reason: CloseReason) { closes[reason.rawValue]?.increment() }
    func dropped(video: Bool) { (video ? droppedVideo : droppedOther).increment() }
}

/// The passive side of ICE over TCP: one listening socket; each accepted connection is served on
/// one of the endpoint's loops, and every frame on it enters that loop's shard like a UDP datagram.
enum ICETCPListener {
    /// Connections with no valid ICE check this long after they opened are closed.
    static let verifyTimeout = TimeAmount.seconds(5)
    /// Unverified connections beyond this many at once are closed as they arrive.
    static let maxUnverified = 256

    static func start(host: String, port: Int, group: MultiThreadedEventLoopGroup, shards: [EndpointShard],
                      directory: PeerDirectory, logger: Logger) async throws -> any Channel {
        let metrics = ICETCPMetrics()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            // A small kernel send buffer keeps what waits there (and so the delay a slow viewer
            // sees) near a second of video; the link's own queue drops beyond it.
            .childChannelOption(.socketOption(.so_sndbuf), value: 64 * 1024)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    guard let shard = shards.first(where: { $0.loop === child.eventLoop }) else {
                        throw ChannelError.ioOnClosedChannel
                    }
                    try child.pipeline.syncOperations.addHandler(ICETCPHandler(shard: shard, directory: directory, metrics: metrics))
                }
            }
            .bind(host: host, port: port).get()
        logger.debug("ICE-TCP listening", metadata: ["port": "\(channel.localAddress?.port ?? port)"])
        return channel
    }
}

/// One ICE-TCP connection's inbound side: RFC 4571 frames cut from the stream (bounded, see
/// `ICETCPFraming`), the first of which must be an ICE check for a session we answered.
final class ICETCPHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let shard: EndpointShard
    private let directory: PeerDirectory
    private let metrics: ICETCPMetrics
    private var link: TCPLink?
    /// Bytes of a frame not yet complete: at most one frame and its prefix.
    private var pending = ByteBuffer()
    private var first = true
    private var deadline: Scheduled<Void>?

    init(shard: EndpointShard, directory: PeerDirectory, metrics: ICETCPMetrics) {
        self.shard = shard
        self.directory = directory
        self.metrics = metrics
    }

    func channelActive(context: ChannelHandlerContext) {
        let link = TCPLink(channel: context.channel, metrics: metrics)
        self.link = link
        metrics.opened()
        if metrics.unverified.add(1, ordering: .relaxed).newValue > ICETCPListener.maxUnverified {
            link.close(reason: .limit)
            return
        }
        deadline = context.eventLoop.scheduleTask(in: ICETCPListener.verifyTimeout) {
            if !link.isVerified { link.close(reason: .timeout) }
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        if let link {
            link.closed()
            metrics.gone()
            shard.linkClosed(link)
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let link else { return }
        var incoming = unwrapInboundIn(data)
        if pending.readableBytes > 0 {
            pending.writeBuffer(&incoming)
        } else {
            pending = incoming
        }
        switch ICETCPFraming.frames(in: pending.readableBytesView) {
        case .failure(let failure):
            shard.logger.debug("ICE-TCP: \(failure) from \(link.remote.map { "\($0)" } ?? "?"); closing")
            return link.close(reason: .badFraming)
        case .success(let (frames, consumed)):
            let base = pending.readerIndex
            for range in frames {
                guard let frame = pending.getSlice(at: base + range.lowerBound, length: range.count), frame.readableBytes > 0 else { continue }
                if first {
                    first = false
                    guard isCheckForKnownSession(frame) else { return link.close(reason: .unknownSession) }
                }
                shard.receive(frame, from: .tcp(link))
            }
            pending.moveReaderIndex(forwardBy: consumed)
            if pending.readableBytes == 0 { pending.clear() } else if pending.readerIndex > 0 { pending.discardReadBytes() }
        }
    }

    /// RFC 6544 §7.1: nothing but STUN before the check succeeds; a first frame that is not a
    /// binding request naming one of our sessions is no peer of ours.
    private func isCheckForKnownSession(_ frame: ByteBuffer) -> Bool {
        guard let bytes = frame.getBytes(at: frame.readerIndex, length: frame.readableBytes),
              WebRTCDatagramKind.classify(bytes) == .stun,
              let message = try? STUNMessage.parse(bytes), message.type == .bindingRequest,
              let ufrag = message.username?.split(separator: ":", maxSplits: 1).first else { return false }
        return directory.knows(ufrag: String(ufrag))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A reset from the remote end: the connection is gone, nothing else is.
        context.close(promise: nil)
    }
}
