import Foundation
import Logging
import Synchronization
import RTDCore
import RTDWebRTC
import RTDMedia

/// `rtd signal` as a library call: gathers candidates, signals, connects, receives until told to
/// stop, and reports what it measured. The network runs on the calling thread (one UDP socket,
/// poll); decoding and frame output run on a second thread so a slow reader of `--frames-out`
/// never delays packet handling (it costs dropped frames and a keyframe request instead).
public final class SignalSession {
    public struct Options {
        public var url: String
        public var dialect: SignalingClient.Dialect = .rtd
        public var camera: String?
        public var token: String?
        public var codec: VideoCodec?
        public var stunServer: String?
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
    private let outputs: Outputs
    private let logger: Logger
    private let shouldStop: @Sendable () -> Bool
    private let inbox: Inbox

    /// Data-channel events from usrsctp's queue, handed to the network thread, which a pipe wakes.
    private final class Inbox: Sendable {
        let events = Mutex<[DataChannelEvent]>([])
        let readFD: Int32
        let writeFD: Int32

        init() throws(SignalError) {
            var fds: [Int32] = [0, 0]
            guard pipe(&fds) == 0 else { throw SignalError(.badInput, "cannot create a pipe") }
            for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
            readFD = fds[0]
            writeFD = fds[1]
        }

        deinit {
            close(readFD)
            close(writeFD)
        }

        func post(_ event: DataChannelEvent) {
            events.withLock { $0.append(event) }
            var one: UInt8 = 1
            _ = write(writeFD, &one, 1)
        }

        func take() -> [DataChannelEvent] {
            var drain = [UInt8](repeating: 0, count: 256)
            while read(readFD, &drain, drain.count) > 0 {}
            return events.withLock { box in
                defer { box.removeAll() }
                return box
            }
        }
    }

    public init(options: Options, outputs: Outputs, logger: Logger, shouldStop: @escaping @Sendable () -> Bool) throws(SignalError) {
        self.options = options
        self.outputs = outputs
        self.logger = logger
        self.shouldStop = shouldStop
        inbox = try Inbox()
    }

    public func run() throws(SignalError) -> SignalReport {
        let started = SystemClock.monotonicMicros()
        // libsrtp's start-up (Debian builds it on NSS, whose initialisation and self-tests take
        // 25-70 ms here) would otherwise sit between DTLS connecting and the first packet: run it
        // while signaling.
        DispatchQueue.global().async { SRTPContext.prepare() }
        var report = SignalReport()
        let socket = try UDPSocket()
        let credentials = ICEAgent.Credentials.random()
        let certificate: DTLSCertificate
        do {
            certificate = try DTLSCertificate.generate()
        } catch {
            throw SignalError(.dtlsFailed, "cannot create a DTLS certificate: \(error)")
        }
        var candidates = UDPSocket.interfaceAddresses().enumerated().map { i, ip in
            ICECandidate(foundation: "\(i + 1)", priority: ICECandidate.priority(typePreference: 126, localPreference: UInt32(65535 - i)),
                         address: ip, port: Int(socket.port), type: .host)
        }
        if let stun = options.stunServer {
            let server = try UDPSocket.resolve(stun, defaultPort: 3478)
            if let mapped = try reflexiveAddress(socket: socket, server: server), let base = candidates.first {
                candidates.append(ICECandidate(foundation: "s1", priority: ICECandidate.priority(typePreference: 100, localPreference: 65535),
                                               address: mapped.host, port: Int(mapped.port), type: .srflx,
                                               relatedAddress: base.address, relatedPort: base.port))
            }
        }
        let offer = SDPOfferer.makeOffer(config: SDPOfferConfig(
            iceUfrag: credentials.ufrag, icePwd: credentials.password,
            fingerprint: SDPFingerprint(hashFunction: "sha-256", value: certificate.fingerprint.hex), candidates: candidates))
        let signaling = try SignalingClient(url: options.url, dialect: options.dialect, camera: options.camera,
                                            token: options.token, codec: options.codec, timeout: options.timeout,
                                            verification: options.verification)
        let answerText = try signaling.offer(offer.serialized())
        report.signaledAfterMicros = SystemClock.monotonicMicros() - started
        defer { signaling.end() }
        let negotiated: NegotiatedSession
        do {
            let answer = try SessionDescription.parse(answerText)
            negotiated = try SDPOfferer.parseAnswer(answer, offer: offer)
        } catch {
            throw SignalError(.protocolError, "the server's answer is not usable SDP: \(error)")
        }
        let peer = try ClientPeer(negotiated: negotiated, local: credentials, certificate: certificate, logger: logger)
        report.codec = peer.video.codec.rawValue
        peer.dataChannelSink = { [inbox] event in inbox.post(event) }
        let worker = DecodeWorker(codec: peer.video.codec, decode: options.decode || outputs.frames != nil,
                                  frames: outputs.frames, videoFile: outputs.videoFile, logger: logger)
        worker.start()
        let outcome = loop(socket: socket, peer: peer, worker: worker, started: started, report: &report)
        for out in peer.close() { socket.send(out.bytes, to: out.destination) }
        worker.finish()
        report.fill(peer: peer, worker: worker, started: started)
        if let failure = outcome { throw failure }
        if let error = worker.fatalError { throw error }
        return report
    }

    /// Receives until the peer fails, a limit is reached, or the caller stops us.
    private func loop(socket: UDPSocket, peer: ClientPeer, worker: DecodeWorker, started: Int64,
                      report: inout SignalReport) -> SignalError? {
        var nextTick: Int64 = 0
        var firstFrameAt: Int64?
        var connectedAt: Int64?
        let timeout = Int64(options.timeout * 1e6)
        var fds = [pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0), pollfd(fd: inbox.readFD, events: Int16(POLLIN), revents: 0)]
        while true {
            let now = SystemClock.monotonicMicros()
            if shouldStop() { return nil }
            if let failure = peer.failure { return failure }
            if worker.stoppedEarly { return nil }
            if connectedAt == nil, now - started > timeout {
                switch peer.ice.state {
                case .checking: return SignalError(.timeout, "timed out after \(options.timeout) s waiting for ICE (\(peer.ice.candidateCount) server candidates)")
                default: return SignalError(.timeout, "timed out after \(options.timeout) s in the DTLS handshake")
                }
            }
            if let connectedAt, firstFrameAt == nil, now - connectedAt > timeout {
                return SignalError(.timeout, "connected, but no video frame within \(options.timeout) s")
            }
            if let firstFrameAt, let duration = options.duration, now - firstFrameAt >= Int64(duration * 1e6) { return nil }
            if let limit = options.frameLimit, worker.framesDone >= limit { return nil }

            if now >= nextTick {
                nextTick = now + 5_000
                for out in peer.tick(now: now) { socket.send(out.bytes, to: out.destination) }
                if worker.takeKeyframeRequest() { peer.requestKeyframe() }
            }
            // Rounded up: a 0 ms poll for the last fraction of a millisecond would spin.
            let wait = max(0, Int32((nextTick - SystemClock.monotonicMicros() + 999) / 1000))
            fds[0].revents = 0
            fds[1].revents = 0
            if poll(&fds, 2, wait) > 0 {
                if fds[1].revents != 0 {
                    for event in inbox.take() {
                        for out in peer.handle(event) { socket.send(out.bytes, to: out.destination) }
                    }
                }
                // Bounded so timers still run under a flood.
                var budget = 512
                while budget > 0, let (bytes, source) = socket.receive() {
                    budget -= 1
                    for out in peer.receive(bytes, from: source, now: SystemClock.monotonicMicros()) {
                        socket.send(out.bytes, to: out.destination)
                    }
                }
            }
            for event in peer.events {
                switch event {
                case .connected:
                    connectedAt = SystemClock.monotonicMicros()
                    report.connectedAfterMicros = connectedAt! - started
                case .frame(let frame):
                    if firstFrameAt == nil { firstFrameAt = SystemClock.monotonicMicros() }
                    worker.submit(frame)
                case .text(let text):
                    report.messages += 1
                    if let records = outputs.records {
                        let line = text.replacingOccurrences(of: "\n", with: " ") + "\n"
                        do {
                            try records.write(Array(line.utf8))
                        } catch where error.kind == .endOfOutput {
                            return nil
                        } catch {
                            return SignalError(.badInput, error.description)
                        }
                    }
                case .channelOpened:
                    report.dataChannelOpened = true
                }
            }
            peer.events.removeAll(keepingCapacity: true)
        }
    }

    /// Asks a STUN server what our socket looks like from outside (RFC 8489 Binding).
    private func reflexiveAddress(socket: UDPSocket, server: STUNAddress) throws(SignalError) -> STUNAddress? {
        let request = STUNMessage(type: .bindingRequest)
        let bytes = request.serialized(fingerprint: true)
        let deadline = SystemClock.monotonicMicros() + 2_000_000
        var nextSend: Int64 = 0
        var interval: Int64 = 100_000
        while SystemClock.monotonicMicros() < deadline {
            let now = SystemClock.monotonicMicros()
            if now >= nextSend {
                socket.send(bytes, to: server)
                nextSend = now + interval
                interval *= 2
            }
            var fd = pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&fd, 1, 20)
            while let (reply, source) = socket.receive() {
                guard source == server, let message = try? STUNMessage.parse(reply),
                      message.transactionID == request.transactionID else { continue }
                guard message.type == .bindingSuccess, let mapped = message.xorMappedAddress else {
                    throw SignalError(.unreachable, "STUN server \(server) refused the binding request: \(message.errorCode.map { "\($0.code) \($0.reason)" } ?? "no address in the answer")")
                }
                return mapped
            }
        }
        logger.warning("no answer from STUN server \(server) within 2 s; going on with host candidates only")
        return nil
    }
}
