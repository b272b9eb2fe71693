import Foundation
import Logging
import NIOCore
import NIOPosix
import RTDCore
import RTDWebRTC

/// The server's WebRTC side: ICE-lite on ONE UDP port, served by one socket per event loop
/// (SO_REUSEPORT, `System.coreCount` loops). The kernel hashes each remote address to one socket,
/// so a peer is placed on the loop where its first ICE check arrives and lives there: its state
/// (ICE, DTLS, SRTP, RTCP, SCTP, timers) never changes thread, and its datagrams need no hop.
/// Sharding peers over loops behind one socket instead would leave one thread receiving and
/// sending for all of them, the bottleneck this replaces. Demultiplexed by STUN username for
/// checks and by remote address for DTLS/SRTCP; `PeerDirectory` holds what the loops share.
/// The endpoint owns the loops' group and shuts it down in `shutdown()`.
public final class WebRTCEndpoint: Sendable {
    public struct Settings: Sendable {
        public var host = "0.0.0.0"
        public var udpPort = 0
        /// ICE over TCP (RFC 6544 passive candidates) on this port; nil: the UDP port's number
        /// (which may then be taken, and TCP is left out with a warning); 0: no ICE-TCP.
        public var tcpPort: Int?
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
        /// Network loops, each with its own socket on the port.
        public var loops = System.coreCount
        /// The share of a second a loop may spend in its handlers before new offers are refused (503).
        public var saturationBusy = 0.85
        /// Send each run of equal-sized datagrams to one viewer as one UDP GSO write where the
        /// kernel and the path take it (`DatagramBatch`).
        public var udpGSO = true
        public init() {}
    }

    public let localPort: Int
    /// The ICE-TCP port; nil when there is none.
    public let tcpPort: Int?
    public let candidates: [ICECandidate]
    let shards: [EndpointShard]
    private let channels: [any Channel]
    private let tcpListener: (any Channel)?
    private let group: MultiThreadedEventLoopGroup
    private let settings: Settings
    private let certificate: DTLSCertificate
    private let logger: Logger
    private let hub: CameraHub
    private let directory: PeerDirectory

    /// Binds one SO_REUSEPORT socket per loop on the port (the first picks it when it is 0).
    public static func start(settings: Settings, hub: CameraHub, logger: Logger) async throws -> WebRTCEndpoint {
        let certificate = try settings.certificateFile.map { try DTLSCertificate.load(certificateFile: $0, privateKeyFile: settings.keyFile ?? $0) }
            ?? DTLSCertificate.generate()
        // At start, not in the first viewer's join on a network loop.
        SRTPContext.prepare()
        let count = max(1, settings.loops)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: count)
        let directory = PeerDirectory(maxPeers: settings.maxPeers, maxPeersPerCamera: settings.maxPeersPerCamera, cameras: hub.names)
        var shards: [EndpointShard] = []
        var channels: [any Channel] = []
        var port = settings.udpPort
        do {
            for (i, loop) in group.makeIterator().enumerated() {
                let shard = EndpointShard(index: i, loop: loop, directory: directory, hub: hub,
                                          saturationBusy: settings.saturationBusy, logger: logger)
                // Hundreds of viewers' SCTP acks, RTCP and consent checks arrive while the loop
                // writes a picture to all of them: 1 MiB overflowed at ~350 viewers (thousands of
                // drops, ICE checks of new viewers among them). Linux caps it at rmem_max.
                let fd = try SharedUDPSocket.open(host: settings.host, port: port, bufferBytes: 4 << 20)
                // NIO owns the descriptor from here on (and closes it, even if this fails).
                let channel = try await DatagramBootstrap(group: loop)
                    // recvmmsg: up to 16 datagrams a call, 2 KiB each (more than any DTLS, STUN or RTCP datagram).
                    .channelOption(.datagramVectorReadMessageCount, value: 16)
                    .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 16 * 2048))
                    .channelOption(.maxMessagesPerRead, value: 4)
                    .channelInitializer { ch in ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(ShardDatagramHandler(shard: shard)) } }
                    .withBoundSocket(fd).get()
                // The loop's outbox writes to it, on the loop, until the channel closes.
                let gso = settings.udpGSO
                try await loop.submit {
                    shard.outbox.gsoAllowed = gso
                    shard.outbox.descriptor = fd
                }.get()
                port = channel.localAddress?.port ?? port
                shards.append(shard)
                channels.append(channel)
            }
        } catch {
            for channel in channels { try? await channel.close() }
            try? await group.shutdownGracefully()
            throw error
        }
        var tcpListener: (any Channel)?
        if settings.tcpPort != 0 {
            let tcpPort = settings.tcpPort ?? port
            do {
                tcpListener = try await ICETCPListener.start(host: settings.host, port: tcpPort, group: group, shards: shards,
                                                             directory: directory, logger: logger)
            } catch where settings.tcpPort == nil {
                logger.warning("no ICE over TCP: cannot listen on TCP \(settings.host):\(tcpPort) (\(error)); set --tcp-port")
            } catch {
                for channel in channels { try? await channel.close() }
                try? await group.shutdownGracefully()
                throw SharedUDPSocket.Failure(description: "cannot listen for ICE over TCP on \(settings.host):\(tcpPort): \(error)")
            }
        }
        let endpoint = WebRTCEndpoint(shards: shards, channels: channels, tcpListener: tcpListener, group: group, port: port,
                                      settings: settings, certificate: certificate, hub: hub, directory: directory, logger: logger)
        for shard in shards {
            shard.endpoint = endpoint
            shard.start()
        }
        for camera in hub.cameras { camera.prepare(camera.codecs(serverDefault: settings.forcedCodec.map { [$0] } ?? settings.codecs)) }
        return endpoint
    }

    private init(shards: [EndpointShard], channels: [any Channel], tcpListener: (any Channel)?, group: MultiThreadedEventLoopGroup,
                 port: Int, settings: Settings, certificate: DTLSCertificate, hub: CameraHub, directory: PeerDirectory, logger: Logger) {
        self.shards = shards
        self.channels = channels
        self.tcpListener = tcpListener
        self.tcpPort = tcpListener?.localAddress?.port
        self.group = group
        self.localPort = port
        self.settings = settings
        self.certificate = certificate
        self.hub = hub
        self.directory = directory
        self.logger = logger
        self.candidates = Self.hostCandidates(host: settings.host, port: port, tcpPort: tcpPort, publicIP: settings.publicIP)
    }

    /// Host candidates for the addresses we serve on (127.0.0.1 included on loopback), plus the
    /// announced public address; highest priority first. With a TCP port, each address also gets
    /// a passive TCP candidate (RFC 6544) of lower priority than every UDP one: a browser uses it
    /// only when UDP fails (a network that blocks it).
    static func hostCandidates(host: String, port: Int, tcpPort: Int?, publicIP: String?) -> [ICECandidate] {
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
        let udp = addresses.enumerated().map { i, ip in
            ICECandidate(foundation: "\(i + 1)", priority: UInt32((126 << 24) | ((65535 - i) << 8) | 255),
                         address: ip, port: port, type: .host)
        }
        guard let tcpPort else { return udp }
        // Type preference 90 (UDP host: 126); local preference with RFC 6544 §4.2's direction
        // preference for a passive host candidate (4) in its top bits.
        let tcp = addresses.enumerated().map { i, ip in
            ICECandidate(foundation: "\(addresses.count + i + 1)", transport: "tcp",
                         priority: ICECandidate.priority(typePreference: 90, localPreference: UInt32((4 << 13) | (8191 - i))),
                         address: ip, port: tcpPort, type: .host, tcpType: "passive")
        }
        return udp + tcp
    }

    // MARK: Signaling (any thread)

    /// True while a network loop is saturated (its busy share or socket drops): offers are refused.
    public var saturated: Bool { shards.contains { $0.load.saturated } }

    /// Answers an offer for one camera or, one per video section in order, several (a grid on one connection).
    public func answer(offer sdp: String, cameraNames: [String], codec: VideoCodec?) async throws(SignalingHTTPError) -> (sdp: String, sessionID: String) {
        var cameras: [Camera] = []
        for name in cameraNames {
            guard let camera = hub.camera(named: name) else {
                throw .notFound("no camera '\(name)' (cameras: \(hub.names.joined(separator: ", ")))")
            }
            cameras.append(camera)
        }
        guard !cameras.isEmpty else { throw .badRequest("no camera named in the offer") }
        // Refused before any work: a new viewer would take time from the ones already there.
        if saturated { throw .unavailable("server busy: its network loops are saturated; try again later") }
        if let refusal = directory.refusal(cameras: cameraNames) { throw refusal }
        let offer: SessionDescription
        do {
            offer = try SessionDescription.parse(sdp)
        } catch {
            throw .badRequest("invalid SDP: \(error)")
        }
        return try createSession(offer: offer, cameras: cameras, codec: codec)
    }

    public func close(sessionID: String) async throws(SignalingHTTPError) {
        // A peer is claimed by a loop at most once, so a second look finds it there if it moved.
        for _ in 0..<2 {
            switch directory.place(of: sessionID) {
            case nil:
                throw .notFound("no session '\(sessionID)'")
            case .pending:
                guard let entry = directory.removePending(sessionID)?.entry else { continue }
                entry.peer.close(reason: "bye")
                logger.info("peer gone", metadata: ["session": "\(sessionID)", "camera": "\(entry.cameraNames.joined(separator: ","))",
                                                    "packets_sent": "0", "nacks": "0"])
                return
            case .loop(let i):
                let shard = shards[i]
                let found = (try? await shard.loop.submit { shard.close(session: sessionID, reason: "bye") }.get()) ?? false
                if !found { throw .notFound("no session '\(sessionID)'") }
                return
            }
        }
        throw .notFound("no session '\(sessionID)'")
    }

    public func hasSession(_ id: String) async -> Bool { directory.place(of: id) != nil }

    public var peerCount: Int {
        get async { directory.count }
    }

    /// Statistics for /api and metrics: one row per peer and camera it watches (a grid peer has several).
    public func peerStats() async -> [PeerStreamStats] {
        var all = directory.pendingStats()
        for shard in shards {
            all += (try? await shard.loop.submit { shard.stats() }.get()) ?? []
        }
        return all
    }

    /// Answers the offer and admits the peer, on no loop yet: the loop its first ICE check reaches
    /// takes it. The offer's video sections that receive get `cameras` in order, one each.
    private func createSession(offer: SessionDescription, cameras: [Camera], codec: VideoCodec?) throws(SignalingHTTPError) -> (String, String) {
        let ufrag = Self.randomICEString(8), pwd = Self.randomICEString(24)
        // One per camera, and one for the sound.
        var ssrcs: [UInt32] = []
        while ssrcs.count < cameras.count + 1 {
            let ssrc = UInt32.random(in: 1...UInt32.max)
            if !ssrcs.contains(ssrc) { ssrcs.append(ssrc) }
        }
        let audioSSRC = ssrcs.removeLast()
        // Sound for a single camera's view (a grid's audio sections are rejected for now), in the
        // same media stream as its video so a browser plays them in sync.
        let audioTrack = cameras.count == 1 ? cameras[0].audio : nil
        let sessionID = UUID().uuidString.lowercased()
        let fp = certificate.fingerprint
        let senders = zip(cameras, ssrcs).map { camera, ssrc in
            SDPVideoSender(ssrc: ssrc, streamID: "rtd-\(camera.name)", trackID: "video", forcedCodec: camera.config.codec)
        }
        let config = SDPAnswerConfig(
            iceUfrag: ufrag, icePwd: pwd,
            fingerprint: SDPFingerprint(hashFunction: fp.algorithm.rawValue, value: fp.hex),
            candidates: candidates, videoSenders: senders,
            audioSender: audioTrack.map { _ in SDPAudioSender(ssrc: audioSSRC, streamID: "rtd-\(cameras[0].name)") },
            cname: "rtd-\(cameras[0].name)",
            codecs: settings.codecs, forcedCodec: codec ?? settings.forcedCodec, dataChannelsSupported: true)
        let answer: SessionDescription
        let negotiated: NegotiatedSession
        do {
            (answer, negotiated) = try SDPAnswerer.makeAnswer(offer: offer, config: config)
        } catch {
            throw .badRequest("cannot answer the offer: \(error)")
        }
        // No video section at all is PeerConnection's to explain.
        guard negotiated.videos.count == cameras.count || negotiated.videos.isEmpty else {
            throw .badRequest("\(cameras.count) cameras asked for, but the offer has \(negotiated.videos.count) video sections that receive")
        }
        let peer: PeerConnection
        do {
            peer = try PeerConnection(sessionID: sessionID, negotiated: negotiated, localUfrag: ufrag, localPassword: pwd,
                                      certificate: certificate, ssrcs: ssrcs, audioSSRC: audioSSRC, cname: config.cname,
                                      consentTimeout: Int64(settings.consentTimeout * 1_000_000),
                                      dataChannelSendBuffer: Self.recordSendBuffer, logger: logger)
        } catch {
            throw .badRequest(error.description)
        }
        let streams = zip(cameras, peer.videos).enumerated().map { i, pair in
            let watched = WatchedCamera(camera: pair.0, track: pair.0.track(for: pair.1.codec, layer: pair.0.startLayer))
            peer.restartVideo(track: watched.track.id, stream: i)
            return watched
        }
        let entry = PeerEntry(peer: peer, streams: streams)
        if peer.sendsAudio, let audioTrack {
            peer.restartAudio(track: audioTrack.id)
            entry.audio = audioTrack
        }
        try directory.admit(entry)
        // A peer no loop ever took (no ICE check came) is dropped like one whose consent expired.
        let directory = self.directory, logger = self.logger
        let names = entry.cameraNames.joined(separator: ",")
        group.next().scheduleTask(in: .milliseconds(Int64(settings.consentTimeout * 1000))) {
            guard let entry = directory.removePending(sessionID)?.entry else { return }
            entry.peer.close(reason: "never connected")
            logger.info("peer gone", metadata: ["session": "\(sessionID)", "camera": "\(names)", "packets_sent": "0", "nacks": "0"])
        }
        logger.info("new peer", metadata: ["session": "\(sessionID)", "camera": "\(names)",
                                           "codec": "\(peer.video.codec.rawValue)", "payload_type": "\(peer.video.payloadType)",
                                           "audio": "\(peer.sendsAudio)"])
        return (answer.serialized(), sessionID)
    }

    /// usrsctp's send buffer for a viewer. What the server sends is records (~10 KB/s) and
    /// control replies; usrsctp keeps every unacknowledged message in its own buffers at several
    /// times its size, so a viewer that vanished without a word held up to the whole send buffer
    /// until consent expired (measured: 100 such viewers grew RSS by about 50 MB in 30 s).
    static let recordSendBuffer = 64 * 1024

    static func randomICEString(_ n: Int) -> String {
        let chars = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/")
        return String((0..<n).map { _ in chars[Int.random(in: 0..<chars.count)] })
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
        for shard in shards {
            _ = try? await shard.loop.submit { shard.closeAll(reason: "server shutting down") }.get()
        }
        for pending in directory.removeAllPending() { pending.entry.peer.close(reason: "server shutting down") }
        try? await tcpListener?.close()
        for channel in channels { try? await channel.close() }
        try? await group.shutdownGracefully()
    }
}
