import CMalloc
import Foundation
import Logging
import Metrics
import NIOCore
import NIOPosix
import RTDCore
import RTDWebRTC
import RTDDetection

/// The server's WebRTC side: ONE UDP socket for every peer (ICE-lite), demultiplexed by STUN
/// username for checks and by remote address for DTLS/SRTCP. All peer state lives on the
/// socket's event loop; other threads reach it only through `eventLoop.execute`/`submit`.
/// The endpoint owns that loop's group and shuts it down in `shutdown()`.
public final class WebRTCEndpoint: @unchecked Sendable { // the mutable state is confined to `eventLoop`
    public struct Settings: Sendable {
        public var host = "0.0.0.0"
        public var udpPort = 0
        public var publicIP: String?
        public var maxPeers = 64
        public var maxPeersPerCamera = 64
        public var codecs: [VideoCodec] = [.vp8, .h264]
        public var forcedCodec: VideoCodec?
        /// Seconds without an ICE check before a peer is dropped (RFC 7675 consent freshness).
        public var consentTimeout: Double = 30
        /// PEM certificate and key for DTLS; a fresh self-signed ECDSA P-256 one when nil.
        public var certificateFile: String?
        public var keyFile: String?
        public init() {}
    }

    public let eventLoop: any EventLoop
    private let group: MultiThreadedEventLoopGroup
    public let localPort: Int
    public let candidates: [ICECandidate]
    private let channel: any Channel
    private let settings: Settings
    private let certificate: DTLSCertificate
    private let logger: Logger
    private let hub: CameraHub
    // Event-loop confined state.
    private var byUfrag: [String: PeerEntry] = [:]
    private var byAddress: [SocketAddress: PeerEntry] = [:]
    private var bySession: [String: PeerEntry] = [:]
    /// The tracks peers watch, by `VideoTrack.id`: each subscribed once, whatever its viewers.
    private var videoFeeds: [UInt64: VideoFeed] = [:]
    private var trim: Scheduled<Void>?
    /// Detector subscription per camera name (see `updateRecordFeeds`).
    private var recordFeeds: [String: RecordFeed] = [:]

    private struct RecordFeed {
        let handoff: RecordHandoff
        let subscription: UInt64
    }

    /// One track's pictures on their way to this loop, and the sessions that watch it.
    private struct VideoFeed {
        let handoff: VideoHandoff
        let subscription: UInt64
        var sessions: Set<String>
    }

    final class PeerEntry {
        let peer: PeerConnection
        var camera: Camera
        var track: VideoTrack
        /// The channel detection records go on: the first one the viewer opens.
        var recordChannel: DataChannel?
        var recordsSent = 0
        var recordsDropped = 0
        var address: SocketAddress?
        /// The peer's counters as last added to the server metrics.
        var reported = PeerConnection.Stats()
        var reportedRecords = (sent: 0, dropped: 0)
        init(peer: PeerConnection, camera: Camera, track: VideoTrack) {
            self.peer = peer
            self.camera = camera
            self.track = track
        }
    }

    /// Binds the UDP socket on a one-thread event-loop group of its own: one socket is served by
    /// one loop, which then holds every peer's state.
    public static func start(settings: Settings, hub: CameraHub, logger: Logger) async throws -> WebRTCEndpoint {
        let certificate = try settings.certificateFile.map { try DTLSCertificate.load(certificateFile: $0, privateKeyFile: settings.keyFile ?? $0) }
            ?? DTLSCertificate.generate()
        let holder = HandlerHolder()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let channel: any Channel
        do {
            channel = try await DatagramBootstrap(group: group)
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .channelOption(.socketOption(.so_sndbuf), value: 4 << 20)
                .channelOption(.socketOption(.so_rcvbuf), value: 1 << 20)
                .channelInitializer { ch in ch.pipeline.addHandler(holder.handler) }
                .bind(host: settings.host, port: settings.udpPort).get()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        let port = channel.localAddress?.port ?? settings.udpPort
        let endpoint = WebRTCEndpoint(channel: channel, group: group, port: port, settings: settings, certificate: certificate,
                                      hub: hub, logger: logger)
        holder.handler.endpoint = endpoint
        for camera in hub.cameras { camera.prepare(camera.codecs(serverDefault: settings.forcedCodec.map { [$0] } ?? settings.codecs)) }
        endpoint.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(20), delay: .milliseconds(20)) { _ in
            endpoint.tick()
        }
        return endpoint
    }

    private init(channel: any Channel, group: MultiThreadedEventLoopGroup, port: Int, settings: Settings, certificate: DTLSCertificate,
                 hub: CameraHub, logger: Logger) {
        self.channel = channel
        self.group = group
        self.eventLoop = channel.eventLoop
        self.localPort = port
        self.settings = settings
        self.certificate = certificate
        self.hub = hub
        self.logger = logger
        self.candidates = Self.hostCandidates(host: settings.host, port: port, publicIP: settings.publicIP)
    }

    /// Host candidates for the addresses we serve on (127.0.0.1 included on loopback), plus the
    /// announced public address; highest priority first.
    static func hostCandidates(host: String, port: Int, publicIP: String?) -> [ICECandidate] {
        var addresses: [String] = []
        if let publicIP { addresses.append(publicIP) }
        if host == "0.0.0.0" {
            let devices = (try? System.enumerateDevices()) ?? []
            for d in devices {
                if let ip = d.address?.ipAddress, d.address?.protocol == .inet, !addresses.contains(ip) { addresses.append(ip) }
            }
        } else if !addresses.contains(host) {
            addresses.append(host)
        }
        // Non-loopback first: browsers pair those with their own host candidates fastest.
        addresses.sort { ($0.hasPrefix("127.") ? 1 : 0) < ($1.hasPrefix("127.") ? 1 : 0) }
        return addresses.enumerated().map { i, ip in
            ICECandidate(foundation: "\(i + 1)", priority: UInt32((126 << 24) | ((65535 - i) << 8) | 255),
                         address: ip, port: port, type: .host)
        }
    }

    // MARK: Signaling (any thread)

    public func answer(offer sdp: String, cameraName: String, codec: VideoCodec?) async throws(SignalingHTTPError) -> (sdp: String, sessionID: String) {
        guard let camera = hub.camera(named: cameraName) else {
            throw .notFound("no camera '\(cameraName)' (cameras: \(hub.names.joined(separator: ", ")))")
        }
        let offer: SessionDescription
        do {
            offer = try SessionDescription.parse(sdp)
        } catch {
            throw .badRequest("invalid SDP: \(error)")
        }
        let result: Result<(String, String), SignalingHTTPError>
        do {
            result = try await eventLoop.submit { () -> Result<(String, String), SignalingHTTPError> in
                do throws(SignalingHTTPError) {
                    return .success(try self.createSession(offer: offer, camera: camera, codec: codec))
                } catch {
                    return .failure(error)
                }
            }.get()
        } catch {
            throw SignalingHTTPError(500, "server shutting down")
        }
        return try result.get()
    }

    public func close(sessionID: String) async throws(SignalingHTTPError) {
        let found = (try? await eventLoop.submit { () -> Bool in
            guard let entry = self.bySession[sessionID] else { return false }
            self.send(entry.peer.close(reason: "bye"), to: entry.address)
            self.remove(entry)
            return true
        }.get()) ?? false
        if !found { throw .notFound("no session '\(sessionID)'") }
    }

    public func hasSession(_ id: String) async -> Bool {
        (try? await eventLoop.submit { self.bySession[id] != nil }.get()) ?? false
    }

    public var peerCount: Int {
        get async { (try? await eventLoop.submit { self.bySession.count }.get()) ?? 0 }
    }

    /// Per-peer statistics snapshot, for /api and metrics.
    public func peerStats() async -> [(session: String, camera: String, codec: String, stats: PeerConnection.Stats)] {
        (try? await eventLoop.submit {
            self.bySession.values.map { ($0.peer.sessionID, $0.camera.name, $0.peer.video.codec.rawValue, $0.peer.stats) }
        }.get()) ?? []
    }

    private func createSession(offer: SessionDescription, camera: Camera, codec: VideoCodec?) throws(SignalingHTTPError) -> (String, String) {
        eventLoop.preconditionInEventLoop()
        guard bySession.count < settings.maxPeers else { throw .unavailable("peer limit reached (\(settings.maxPeers))") }
        guard bySession.values.filter({ $0.camera === camera }).count < settings.maxPeersPerCamera else {
            throw .unavailable("peer limit for camera '\(camera.name)' reached (\(settings.maxPeersPerCamera))")
        }
        let ufrag = Self.randomICEString(8), pwd = Self.randomICEString(24)
        let ssrc = UInt32.random(in: 1...UInt32.max)
        let sessionID = UUID().uuidString.lowercased()
        let fp = certificate.fingerprint
        let config = SDPAnswerConfig(
            iceUfrag: ufrag, icePwd: pwd,
            fingerprint: SDPFingerprint(hashFunction: fp.algorithm.rawValue, value: fp.hex),
            candidates: candidates, videoSSRC: ssrc, cname: "rtd-\(camera.name)", streamID: "rtd-\(camera.name)",
            trackID: "video", codecs: settings.codecs, forcedCodec: camera.config.codec ?? codec ?? settings.forcedCodec,
            dataChannelsSupported: true)
        let answer: SessionDescription
        let negotiated: NegotiatedSession
        do {
            (answer, negotiated) = try SDPAnswerer.makeAnswer(offer: offer, config: config)
        } catch {
            throw .badRequest("cannot answer the offer: \(error)")
        }
        let peer: PeerConnection
        do {
            peer = try PeerConnection(sessionID: sessionID, negotiated: negotiated, localUfrag: ufrag, localPassword: pwd,
                                      certificate: certificate, ssrc: ssrc, cname: config.cname,
                                      consentTimeout: Int64(settings.consentTimeout * 1_000_000),
                                      dataChannelSendBuffer: Self.recordSendBuffer, logger: logger)
        } catch {
            throw .badRequest(error.description)
        }
        let track = camera.track(for: peer.video.codec)
        peer.restartVideo(track: track.id)
        let entry = PeerEntry(peer: peer, camera: camera, track: track)
        // Every callback below runs on this event loop and finds the peer by its session id.
        peer.events.keyframeNeeded = { [unowned self] in self.bySession[sessionID]?.track.requestKeyframe() }
        peer.events.bitrateEstimate = { [unowned self] kbps in self.bySession[sessionID]?.track.updateEstimate(peer: sessionID, kbps: kbps) }
        peer.events.connected = { [unowned self] in
            // Deferred: the DTLS flight that completes the handshake must leave before any SRTP.
            self.eventLoop.execute { self.startVideo(sessionID) }
        }
        peer.events.stateChanged = { [unowned self] state in
            if case .closed = state { self.eventLoop.execute { self.removeSession(sessionID) } }
        }
        peer.events.channelOpened = { [unowned self] channel in
            guard let entry = self.bySession[sessionID], entry.recordChannel == nil else { return }
            entry.recordChannel = channel
            self.updateRecordFeeds()
        }
        peer.events.channelClosed = { [unowned self] channel in
            guard let entry = self.bySession[sessionID], entry.recordChannel === channel else { return }
            entry.recordChannel = nil
            self.updateRecordFeeds()
        }
        peer.events.message = { [unowned self] message, channel in
            switch message {
            case .text(let text):
                self.control(text, on: channel, session: sessionID)
            case .binary:
                self.bySession[sessionID]?.peer.send(
                    text: #"{"type":"error","error":"binary messages are not understood; control messages are JSON text"}"#, on: channel)
            }
        }
        // SCTP runs on this loop too, so its events need no further hop.
        let loop = eventLoop
        peer.dataChannelExecutor = { loop.execute($0) }
        peer.dataChannelSink = { [unowned self] event in
            guard let entry = self.bySession[sessionID] else { return }
            self.send(entry.peer.handle(event), to: entry.address)
        }
        subscribeVideo(track, session: sessionID)
        byUfrag[ufrag] = entry
        bySession[sessionID] = entry
        updatePeerGauges()
        logger.info("new peer", metadata: ["session": "\(sessionID)", "camera": "\(camera.name)",
                                           "codec": "\(peer.video.codec.rawValue)", "payload_type": "\(peer.video.payloadType)"])
        return (answer.serialized(), sessionID)
    }

    private func remove(_ entry: PeerEntry) {
        eventLoop.preconditionInEventLoop()
        guard bySession.removeValue(forKey: entry.peer.sessionID) != nil else { return }
        report(entry)
        updatePeerGauges()
        logger.info("peer gone", metadata: ["session": "\(entry.peer.sessionID)", "camera": "\(entry.camera.name)",
                                            "packets_sent": "\(entry.peer.stats.packetsSent)", "nacks": "\(entry.peer.stats.nacks)"])
        byUfrag.removeValue(forKey: entry.peer.localUfrag)
        if let a = entry.address { byAddress.removeValue(forKey: a) }
        unsubscribeVideo(entry.track, session: entry.peer.sessionID)
        entry.track.removeEstimate(peer: entry.peer.sessionID)
        updateRecordFeeds()
        scheduleTrim()
    }

    /// Hands the memory of departed peers back to the system. glibc keeps freed pages in its
    /// arenas, so a server that once had 100 viewers would otherwise keep their footprint for
    /// good. Runs once departures have stopped for 10 s: a trim walks every arena, so once per burst.
    private func scheduleTrim() {
        trim?.cancel()
        trim = eventLoop.scheduleTask(in: .seconds(10)) { [weak self] in
            guard let self else { return }
            self.trim = nil
            let released = rtd_malloc_trim() == 1
            self.logger.debug("heap trimmed after peers left", metadata: ["released": "\(released)"])
        }
    }

    private func removeSession(_ id: String) {
        if let entry = bySession[id] { remove(entry) }
    }

    /// The first viewer of a track subscribes to it for the whole loop: each picture then costs
    /// one task on this loop, which sends it to every viewer of the track, however many.
    private func subscribeVideo(_ track: VideoTrack, session id: String) {
        eventLoop.preconditionInEventLoop()
        if videoFeeds[track.id] != nil {
            videoFeeds[track.id]!.sessions.insert(id)
            return
        }
        let handoff = VideoHandoff(camera: track.camera)
        let loop = eventLoop
        let subscription = track.subscribe { [weak self, weak track] batch in
            switch handoff.offer(batch) {
            case .scheduleDrain:
                guard let self else { return }
                loop.execute { self.drain(handoff, track: batch.track) }
            case .keyframeNeeded:
                track?.requestKeyframe()
            case .queued, .dropped:
                break
            }
        }
        videoFeeds[track.id] = VideoFeed(handoff: handoff, subscription: subscription, sessions: [id])
    }

    /// The last viewer of a track leaving stops its deliveries (and, with no other subscriber,
    /// its encoding).
    private func unsubscribeVideo(_ track: VideoTrack, session id: String) {
        guard var feed = videoFeeds[track.id] else { return }
        feed.sessions.remove(id)
        if feed.sessions.isEmpty {
            track.unsubscribe(feed.subscription)
            videoFeeds[track.id] = nil
        } else {
            videoFeeds[track.id] = feed
        }
    }

    /// Sends what waits in `handoff` to every current viewer of its track.
    private func drain(_ handoff: VideoHandoff, track: UInt64) {
        let batches = handoff.take()
        guard let feed = videoFeeds[track], feed.handoff === handoff else { return }
        for batch in batches {
            for id in feed.sessions { deliver(batch, to: id) }
        }
    }

    private func startVideo(_ id: String) {
        guard let entry = bySession[id] else { return }
        for batch in entry.track.joinBurst() { send(entry.peer.send(batch), to: entry.address) }
    }

    /// Detection records, from one subscription per camera that has a viewer with a record
    /// channel: each record is serialized once and reaches this loop through a bounded hand-off
    /// (one task for the records waiting), whatever the number of viewers; each viewer gets it
    /// stamped with the RTP timestamp its track gave that frame, so boxes are drawn on the exact
    /// picture they belong to.
    private func updateRecordFeeds() {
        let wanted = Set(bySession.values.filter { $0.recordChannel != nil }.map { $0.camera.name })
        for (name, feed) in recordFeeds where !wanted.contains(name) {
            hub.camera(named: name)?.detector.unsubscribe(feed.subscription)
            recordFeeds[name] = nil
        }
        let loop = eventLoop
        for name in wanted where recordFeeds[name] == nil {
            guard let camera = hub.camera(named: name) else { continue }
            let handoff = RecordHandoff(camera: name)
            let subscription = camera.detector.subscribe { [weak self] record in
                guard let self, handoff.offer(RecordHandoff.Item(record: record, line: record.jsonLineHalves())) else { return }
                loop.execute { self.drain(handoff, camera: name) }
            }
            recordFeeds[name] = RecordFeed(handoff: handoff, subscription: subscription)
        }
    }

    private func drain(_ handoff: RecordHandoff, camera: String) {
        let items = handoff.take()
        guard recordFeeds[camera]?.handoff === handoff else { return }
        for item in items { deliver(item.record, line: item.line, camera: camera) }
    }

    /// A viewer whose record channel holds this much unsent loses records instead of growing memory.
    static let maxBufferedRecordBytes = 64 * 1024
    /// usrsctp's send buffer for a viewer. What the server sends is records (~10 KB/s) and
    /// control replies; usrsctp keeps every unacknowledged message in its own buffers at several
    /// times its size, so a viewer that vanished without a word held up to the whole send buffer
    /// until consent expired (measured: 100 such viewers grew RSS by about 50 MB in 30 s).
    static let recordSendBuffer = 64 * 1024

    private func deliver(_ record: DetectionRecord, line: (head: String, tail: String), camera: String) {
        var trackTimestamps: [UInt64: UInt32?] = [:]
        for entry in bySession.values where entry.camera.name == camera {
            guard let channel = entry.recordChannel else { continue }
            let trackTimestamp: UInt32?
            if let known = trackTimestamps[entry.track.id] {
                trackTimestamp = known
            } else {
                trackTimestamp = record.capturedAtUs.flatMap { entry.track.rtpTimestamp(capturedAt: $0) }
                trackTimestamps[entry.track.id] = trackTimestamp
            }
            let text = trackTimestamp.map { line.head + ",\"rtp_timestamp\":\(entry.peer.viewerTimestamp($0))" + line.tail }
                ?? line.head + line.tail
            if entry.peer.sendUnlessBacklogged(text: text, on: channel, maxBuffered: Self.maxBufferedRecordBytes) {
                entry.recordsSent += 1
            } else if channel.state == .open {
                entry.recordsDropped += 1
            }
        }
    }

    /// Control messages on a viewer's data channel: ping, and subscribe (switch camera without
    /// renegotiation). Anything else is answered with an error; the peer stays connected.
    private func control(_ text: String, on channel: DataChannel, session id: String) {
        guard let entry = bySession[id] else { return }
        let reply = ViewerControl.respond(to: text, hub: hub) { camera in
            guard camera !== entry.camera else { return }
            unsubscribeVideo(entry.track, session: id)
            entry.track.removeEstimate(peer: id)
            report(entry)
            entry.camera = camera
            updatePeerGauges()
            entry.track = camera.track(for: entry.peer.video.codec)
            entry.peer.restartVideo(track: entry.track.id)
            subscribeVideo(entry.track, session: id)
            updateRecordFeeds()
            startVideo(id)
        }
        entry.peer.send(text: reply, on: channel)
    }

    static func randomICEString(_ n: Int) -> String {
        let chars = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/")
        return String((0..<n).map { _ in chars[Int.random(in: 0..<chars.count)] })
    }

    // MARK: Event loop

    private func deliver(_ batch: RTPPacketBatch, to sessionID: String) {
        guard let entry = bySession[sessionID], let address = entry.address else { return }
        var writer = ChannelDatagramWriter(channel: channel, address: address)
        entry.peer.send(batch, to: &writer)
        if writer.wrote { channel.flush() }
    }

    private var ticks = 0

    private func tick() {
        for entry in Array(bySession.values) {
            send(entry.peer.tick(), to: entry.address)
        }
        ticks += 1
        if ticks % 50 == 0 { for entry in bySession.values { report(entry) } }
    }

    // MARK: Metrics (event loop)

    /// Adds what a peer did since the last report to the per-camera counters: one registry
    /// update per peer per second instead of one per packet.
    private func report(_ entry: PeerEntry) {
        let now = entry.peer.stats, was = entry.reported
        entry.reported = now
        let dims = [("camera", entry.camera.name)]
        func add(_ name: String, _ delta: Int) {
            if delta > 0 { Counter(label: name, dimensions: dims).increment(by: delta) }
        }
        add("rtd_packets_sent_total", now.packetsSent - was.packetsSent)
        add("rtd_bytes_sent_total", now.bytesSent - was.bytesSent)
        add("rtd_nacks_total", now.nacks - was.nacks)
        add("rtd_retransmissions_total", now.retransmissions - was.retransmissions)
        add("rtd_plis_total", now.pli - was.pli + now.fir - was.fir)
        add("rtd_records_sent_total", entry.recordsSent - entry.reportedRecords.sent)
        add("rtd_records_dropped_total", entry.recordsDropped - entry.reportedRecords.dropped)
        entry.reportedRecords = (entry.recordsSent, entry.recordsDropped)
    }

    private func updatePeerGauges() {
        for camera in hub.cameras {
            Gauge(label: "rtd_peers", dimensions: [("camera", camera.name)])
                .record(bySession.values.filter { $0.camera === camera }.count)
        }
    }

    private func send(_ datagrams: [[UInt8]], to address: SocketAddress?) {
        guard let address, !datagrams.isEmpty else { return }
        for d in datagrams {
            let buffer = channel.allocator.buffer(bytes: d)
            channel.write(AddressedEnvelope(remoteAddress: address, data: buffer), promise: nil)
        }
        channel.flush()
    }

    fileprivate func receive(_ envelope: AddressedEnvelope<ByteBuffer>) {
        var buffer = envelope.data
        // Classified where it lies; DTLS is fed to OpenSSL from NIO's buffer. STUN and SRTCP are
        // read into the one array they are parsed (and, for SRTCP, decrypted) in.
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return }
        let from = envelope.remoteAddress
        switch first {
        case 0...3:
            handleSTUN(buffer.readBytes(length: buffer.readableBytes) ?? [], from: from)
        case 20...63:
            guard let entry = byAddress[from] else { return }
            send(buffer.withUnsafeReadableBytes { entry.peer.receiveDTLS($0) }, to: from)
        case 128...191:
            guard let entry = byAddress[from] else { return }
            // Only RTCP is expected from a receive-only viewer (payload type 192-223 per RFC 5761).
            if let type = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt8.self), (192...223).contains(type),
               let bytes = buffer.readBytes(length: buffer.readableBytes) {
                send(entry.peer.receiveRTCP(bytes), to: from)
            }
        default:
            logger.debug("dropped a datagram of unknown kind (first byte \(first)) from \(from)")
        }
    }

    private func handleSTUN(_ bytes: [UInt8], from: SocketAddress) {
        // The username's first half is our ufrag: find the peer before checking integrity.
        logger.trace("STUN \(bytes.count) bytes from \(from)")
        guard let message = try? STUNMessage.parse(bytes) else {
            logger.debug("dropped a malformed STUN message from \(from)")
            return
        }
        if message.type.messageClass == .indication {
            // A keepalive (RFC 8445 11): unauthenticated, so it proves nothing and needs no answer.
            logger.trace("STUN keepalive from \(from)")
            return
        }
        guard let username = message.username, let ufrag = username.split(separator: ":", maxSplits: 1).first.map(String.init),
              let entry = byUfrag[ufrag] else {
            logger.debug("dropped a STUN message for no known session from \(from)")
            return
        }
        switch STUNMessage.validateICERequest(message, bytes: bytes, localUfrag: entry.peer.localUfrag,
                                              localPassword: entry.peer.localPassword) {
        case .valid(let request):
            logger.trace("\(entry.peer.sessionID): ICE check from \(from)")
            guard let mapped = Self.stunAddress(from) else { return }
            let response = entry.peer.receiveBindingRequest(request, from: mapped)
            if entry.address != from {
                if let old = entry.address { byAddress.removeValue(forKey: old) }
                entry.address = from
                byAddress[from] = entry
            }
            // An ICE-lite agent sends no checks of its own, so a lost response costs the viewer a
            // STUN retransmission timeout (500 ms and doubling in aiortc and libwebrtc) before it
            // can start DTLS. Until the peer is connected the response goes twice: a random loss
            // must then take both. Extra copies match no open transaction and are ignored.
            send(entry.peer.state == .connected ? [response] : [response, response], to: from)
        case .reject(let request, let code, let reason):
            send([STUNMessage.errorResponse(to: request, code: code, reason: reason)], to: from)
        case .discard(let reason):
            logger.debug("dropped STUN from \(from): \(reason)")
        }
    }

    static func stunAddress(_ address: SocketAddress) -> STUNAddress? {
        guard let ip = address.ipAddress, let port = address.port else { return nil }
        var bytes: [UInt8]
        if address.protocol == .inet {
            var a = in_addr()
            guard inet_pton(AF_INET, ip, &a) == 1 else { return nil }
            bytes = withUnsafeBytes(of: a) { Array($0) }
        } else {
            var a = in6_addr()
            guard inet_pton(AF_INET6, ip, &a) == 1 else { return nil }
            bytes = withUnsafeBytes(of: a) { Array($0) }
        }
        return STUNAddress(ip: bytes, port: UInt16(port))
    }

    public func shutdown() async {
        _ = try? await eventLoop.submit {
            for entry in Array(self.bySession.values) {
                self.send(entry.peer.close(reason: "server shutting down"), to: entry.address)
                self.remove(entry)
            }
        }.get()
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}

/// Lets the bootstrap's initializer install a handler before the endpoint exists.
private final class HandlerHolder: Sendable {
    let handler = DatagramHandler()
}

private final class DatagramHandler: ChannelInboundHandler, @unchecked Sendable { // `endpoint` set once before the first read; used on the loop
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    // Set once right after bind, before any datagram can be processed on the loop.
    weak var endpoint: WebRTCEndpoint?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        endpoint?.receive(unwrapInboundIn(data))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP port unreachable from a vanished peer surfaces here; it must not close the socket.
    }
}

/// Writes a peer's datagrams straight into NIO buffers for one address (no [UInt8] in between).
struct ChannelDatagramWriter: DatagramWriter {
    let channel: any Channel
    let address: SocketAddress
    private(set) var wrote = false

    init(channel: any Channel, address: SocketAddress) {
        self.channel = channel
        self.address = address
    }

    mutating func write(capacity: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Int) {
        var buffer = channel.allocator.buffer(capacity: capacity)
        let written = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: capacity) { fill($0) }
        guard written > 0 else { return }
        channel.write(AddressedEnvelope(remoteAddress: address, data: buffer), promise: nil)
        wrote = true
    }
}
