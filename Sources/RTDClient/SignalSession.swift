import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import RTDCore
import RTDWebRTC
import RTDMedia

/// `rtd signal` as a library call: gathers candidates, signals, connects, receives until told to
/// stop, and reports what it measured. Network I/O runs on one NIO event loop that the session
/// owns and shuts down: signaling over AsyncHTTPClient, the peer on a datagram channel
/// (`ClientChannel`). Decoding and writing output run on a worker thread so a slow reader of
/// `--frames-out` or of the records never delays packet handling (it costs dropped frames and a
/// keyframe request instead).
public final class SignalSession: Sendable {
    public struct Options: Sendable {
        public var url: String
        public var dialect: SignalingClient.Dialect = .rtd
        public var camera: String?
        public var token: String?
        public var codec: VideoCodec?
        public var stunServer: String?
        /// A TURN server to relay through (a relay candidate is offered besides the others).
        public var turnServer: TURNServer?
        /// Offer and use the relay candidate only (`--ice relay`); needs `turnServer`.
        public var relayOnly = false
        /// How an https:// server's certificate is checked.
        public var verification: TLSVerification = .system
        /// Seconds allowed for signaling, connecting and the first frame, each.
        public var timeout: Double = 10
        /// Stop after this many seconds of receiving (from the first frame).
        public var duration: Double?
        /// Stop after this many frames.
        public var frameLimit: Int?
        public var decode = false
        public init(url: String) { self.url = url }
    }

    /// Where what arrives goes; each is optional.
    public struct Outputs {
        /// Data-channel messages, one per line.
        public var records: FileDescriptorWriter?
        /// Decoded frames as Y4M.
        public var frames: FileDescriptorWriter?
        /// Received video, remuxed.
        public var videoFile: String?
        public init() {}
    }

    public let options: Options
    private let outputs: Mutex<Outputs?>
    private let logger: Logger
    private let stopped = Atomic<Bool>(false)
    /// How `stop()` reaches the running session.
    private let wakeup = Mutex<ClientWakeup?>(nil)

    public init(options: Options, outputs: sending Outputs, logger: Logger) {
        self.options = options
        self.outputs = Mutex(outputs)
        self.logger = logger
    }

    /// Ends the session as a reached limit would (from any thread, e.g. a signal handler's queue).
    public func stop() {
        stopped.store(true, ordering: .releasing)
        wakeup.withLock { $0 }?.fire()
    }

    /// Runs once. The event-loop group is shut down before this returns, whatever happened.
    public func run() async throws(SignalError) -> SignalReport {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let result: Result<SignalReport, SignalError>
        do {
            result = .success(try await run(on: group.next()))
        } catch {
            result = .failure(error)
        }
        try? await group.shutdownGracefully()
        return try result.get()
    }

    private func run(on loop: any EventLoop) async throws(SignalError) -> SignalReport {
        // libsrtp's start-up (Debian builds it on NSS, whose initialisation and self-tests take
        // 25-70 ms here) would otherwise sit between DTLS connecting and the first packet: run it
        // while signaling.
        NIOThreadPool.singleton.submit { _ in SRTPContext.prepare() }
        let logger = logger
        let handler: NIOLoopBound<ClientChannel>
        let channel: any Channel
        do {
            handler = try await loop.submit { NIOLoopBound(ClientChannel(logger: logger), eventLoop: loop) }.get()
            channel = try await DatagramBootstrap(group: loop)
                // Room for a keyframe burst while the loop is busy elsewhere.
                .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
                // Whole datagrams (DTLS flights, RTP): NIO's datagram default of 2048 bytes could cut one.
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 9216))
                .channelOption(.maxMessagesPerRead, value: 16)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler.value) }
                }
                .bind(host: "0.0.0.0", port: 0).get()
        } catch {
            throw SignalError(.badInput, "cannot open a UDP socket: \(error)")
        }
        let http: SignalHTTP
        do {
            http = try SignalHTTP(verification: options.verification, timeout: options.timeout, group: loop)
        } catch {
            try? await channel.close()
            throw error
        }
        let outcome: Result<SignalReport, SignalError>
        var turnStream: (any Channel)?
        do {
            if let turn = options.turnServer, turn.tcp { turnStream = try await connectTURN(turn, handler: handler, loop: loop) }
            outcome = .success(try await session(channel: channel, handler: handler, http: http, turnStream: turnStream))
        } catch {
            outcome = .failure(error)
        }
        await http.shutdown()
        try? await turnStream?.close()
        try? await channel.close()
        return try outcome.get()
    }

    /// TURN over TCP: the connection to the server, its bytes handed to the client channel.
    private func connectTURN(_ turn: TURNServer, handler: NIOLoopBound<ClientChannel>, loop: any EventLoop) async throws(SignalError) -> any Channel {
        let address = try ClientChannel.resolve("\(turn.host):\(turn.port)", defaultPort: turn.port)
        do {
            return try await ClientBootstrap(group: loop)
                .connectTimeout(.milliseconds(Int64(options.timeout * 1000)))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(TURNStreamHandler(handler)) }
                }
                .connect(host: address.host, port: Int(address.port)).get()
        } catch let error as NIOConnectionError {
            let why = (error.connectionErrors.first?.error as? IOError).map { String(cString: strerror($0.errnoCode)) } ?? "\(error)"
            throw SignalError(.unreachable, "cannot connect to TURN server \(turn.description): \(why)")
        } catch ChannelError.connectTimeout {
            throw SignalError(.unreachable, "cannot connect to TURN server \(turn.description): timed out after \(options.timeout) s")
        } catch {
            throw SignalError(.unreachable, "cannot connect to TURN server \(turn.description): \(error)")
        }
    }

    /// Allocates the relay; its candidate is what the offer carries for it.
    private func allocateRelay(_ turn: TURNServer, handler: NIOLoopBound<ClientChannel>, loop: any EventLoop,
                               stream: (any Channel)?, base: ICECandidate?) async throws(SignalError) -> ICECandidate {
        let address = try ClientChannel.resolve("\(turn.host):\(turn.port)", defaultPort: turn.port)
        let relayOnly = options.relayOnly
        let state: TURNClient.State
        do {
            state = try await loop.flatSubmit {
                let promise = loop.makePromise(of: TURNClient.State.self)
                handler.value.allocate(turn, at: address, stream: stream, relayOnly: relayOnly, promise: promise)
                return promise.futureResult
            }.get()
        } catch {
            throw error as? SignalError ?? SignalError(.unreachable, "TURN: \(error)")
        }
        guard case .allocated(let relayed, let mapped) = state else {
            throw SignalError(.unreachable, "TURN server \(turn.description) allocated nothing")
        }
        logger.debug("TURN \(turn.description): relay \(relayed), seen as \(mapped.map(\.description) ?? "?")")
        let related = mapped.map { ($0.host, Int($0.port)) } ?? base.map { ($0.address, $0.port) }
        return ICECandidate(foundation: "r1", priority: Self.relayPriority, address: relayed.host, port: Int(relayed.port),
                            type: .relay, relatedAddress: related?.0, relatedPort: related?.1)
    }

    /// RFC 8445 §5.1.2.2: type preference 0 for relayed candidates, below every direct one.
    static let relayPriority = ICECandidate.priority(typePreference: 0, localPreference: 65535)

    private func session(channel: any Channel, handler: NIOLoopBound<ClientChannel>,
                         http: SignalHTTP, turnStream: (any Channel)?) async throws(SignalError) -> SignalReport {
        let loop = channel.eventLoop
        var report = SignalReport()
        let credentials = ICEAgent.Credentials.random()
        let certificate: DTLSCertificate
        do {
            certificate = try DTLSCertificate.generate()
        } catch {
            throw SignalError(.dtlsFailed, "cannot create a DTLS certificate: \(error)")
        }
        let port = channel.localAddress?.port ?? 0
        var candidates = ClientChannel.hostCandidates(port: port)
        if let stun = options.stunServer {
            let server = try ClientChannel.resolve(stun, defaultPort: 3478)
            let mapped: STUNAddress?
            do {
                mapped = try await loop.flatSubmit {
                    let promise = loop.makePromise(of: STUNAddress?.self)
                    handler.value.queryReflexiveAddress(server, promise: promise)
                    return promise.futureResult
                }.get()
            } catch {
                throw error as? SignalError ?? SignalError(.unreachable, "STUN: \(error)")
            }
            if let mapped, let base = candidates.first {
                candidates.append(ICECandidate(foundation: "s1", priority: ICECandidate.priority(typePreference: 100, localPreference: 65535),
                                               address: mapped.host, port: Int(mapped.port), type: .srflx,
                                               relatedAddress: base.address, relatedPort: base.port))
            }
        }
        if let turn = options.turnServer {
            let relay = try await allocateRelay(turn, handler: handler, loop: loop, stream: turnStream, base: candidates.first)
            candidates = options.relayOnly ? [relay] : candidates + [relay]
        }
        let offer = SDPOfferer.makeOffer(config: SDPOfferConfig(
            iceUfrag: credentials.ufrag, icePwd: credentials.password,
            fingerprint: SDPFingerprint(hashFunction: "sha-256", value: certificate.fingerprint.hex), candidates: candidates))
        let signaling = try SignalingClient(url: options.url, dialect: options.dialect, camera: options.camera,
                                            token: options.token, codec: options.codec, timeout: options.timeout, http: http)
        // Set-up figures count from the offer, as a browser's do: the process's own start-up
        // (HTTP client, socket, certificate) is not the connection's.
        let offered = SystemClock.monotonicMicros()
        let answerText = try await signaling.offer(offer.serialized())
        report.signaledAfterMicros = SystemClock.monotonicMicros() - offered
        let negotiated: NegotiatedSession
        do {
            let answer = try SessionDescription.parse(answerText)
            negotiated = try SDPOfferer.parseAnswer(answer, offer: offer)
        } catch {
            await signaling.end()
            throw SignalError(.protocolError, "the server's answer is not usable SDP: \(error)")
        }
        let result: Result<SignalReport, SignalError>
        do {
            result = .success(try await receive(negotiated: negotiated, credentials: credentials, certificate: certificate,
                                                handler: handler, loop: loop, started: offered, report: report))
        } catch {
            result = .failure(error)
        }
        await signaling.end()
        return try result.get()
    }

    /// The answer's candidates a relay can reach (UDP, IPv4): permitted on the TURN server.
    static func relayPeers(_ candidates: [ICECandidate]) -> [STUNAddress] {
        candidates.compactMap { candidate in
            guard candidate.isUDP, !candidate.isMDNS, candidate.component == 1, let port = UInt16(exactly: candidate.port), port > 0,
                  let address = STUNAddress(host: candidate.address, port: port), !address.isIPv6 else { return nil }
            return address
        }
    }

    /// Connects and receives until the peer fails, a limit is reached, or `stop()`.
    private func receive(negotiated: NegotiatedSession, credentials: ICEAgent.Credentials, certificate: DTLSCertificate,
                         handler: NIOLoopBound<ClientChannel>, loop: any EventLoop, started: Int64,
                         report signaled: SignalReport) async throws(SignalError) -> SignalReport {
        let wake = ClientWakeup(handler)
        let inbox = ClientInbox(handler)
        let taken = outputs.withLock { out in
            defer { out = nil }
            return out
        }
        guard let outputs = taken else { throw SignalError(.badInput, "a SignalSession runs once") }
        let codec = negotiated.video?.codec ?? .vp8
        let worker = DecodeWorker(codec: codec, decode: options.decode || outputs.frames != nil, frames: outputs.frames,
                                  records: outputs.records, videoFile: outputs.videoFile, logger: logger,
                                  onChange: { wake.fire() })
        let options = options
        let logger = logger
        let outcome: EventLoopFuture<SignalError?>
        do {
            outcome = try await loop.submit {
                let peer = try ClientPeer(negotiated: negotiated, local: credentials, certificate: certificate,
                                          relayPriority: options.turnServer == nil ? nil : Self.relayPriority,
                                          useHost: !options.relayOnly, logger: logger)
                peer.dataChannelSink = { event in inbox.post(event) }
                peer.dataChannelExecutor = SCTPExecutor(execute: { loop.execute($0) }, isCurrent: { loop.inEventLoop })
                let promise = loop.makePromise(of: SignalError?.self)
                let setup = ClientChannel.Setup(peer: peer, worker: worker, started: started, timeout: options.timeout,
                                                duration: options.duration, frameLimit: options.frameLimit,
                                                stopRequested: { self.stopped.load(ordering: .acquiring) },
                                                relayPeers: options.turnServer == nil ? [] : Self.relayPeers(negotiated.remoteCandidates))
                worker.start()
                handler.value.start(setup, outcome: promise)
                return promise.futureResult
            }.get()
        } catch {
            throw error as? SignalError ?? SignalError(.protocolError, "\(error)")
        }
        wakeup.withLock { $0 = wake }
        // A stop() that came before `wakeup` was set.
        if stopped.load(ordering: .acquiring) { wake.fire() }
        let failure = try? await outcome.get()
        wakeup.withLock { $0 = nil }
        inbox.close()
        // Decodes what is queued and closes the files: blocking, so on NIO's pool for blocking work.
        try? await NIOThreadPool.singleton.runIfActive { worker.finish() }
        wake.close()
        var report = (try? await loop.submit { handler.value.finalReport(started: started) }.get()) ?? signaled
        report.signaledAfterMicros = signaled.signaledAfterMicros
        report.codec = codec.rawValue
        if let failure = failure ?? nil { throw failure }
        if let error = worker.fatalError { throw error }
        return report
    }
}
