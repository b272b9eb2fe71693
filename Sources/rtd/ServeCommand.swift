import ArgumentParser
import Foundation
import Hummingbird
import Logging
import RTDCore
import RTDMedia
import RTDDetection
import RTDServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve cameras to browsers and WebRTC peers, with a viewer page.",
        discussion: """
        Starts an HTTP server (viewer page, signaling, WHEP, camera list, health, metrics) and a
        WebRTC endpoint on ONE UDP port for every peer (ICE-lite, DTLS-SRTP, H.264 or VP8), and
        ICE over TCP on one TCP port for browsers whose network blocks UDP (same video, same data
        channel; the answer's TCP candidates rank below the UDP ones, so UDP wins when it works). Each
        camera is captured once, detected once and encoded once per codec, however many viewers
        watch. With no config and no --camera: the first V4L2 camera, else the test pattern (cam0).
        A viewer whose offer has an audio section gets the camera's sound as Opus, encoded once per
        camera (only testsrc has sound so far: a 440 Hz tone, a 1 kHz click at each whole second).

        Routes: GET / (viewer), POST /api/webrtc/signal, POST /whep/CAMERA (WHEP),
        GET /api/cameras, GET /api/config, GET /healthz, GET /metrics (Prometheus),
        GET /api/ws?camera=NAME (WebSocket fallback: JPEG pictures and records, for browsers
        without WebRTC or with --no-webrtc).
        Signaling: {"type":"offer","sdp":"...","camera":"cam0"} → {"type":"answer","sdp":"...","session_id":"..."};
        {"type":"bye","session_id":"..."} ends it.

        Flags override the config file: --camera NAME=SOURCE replaces that camera's source (or
        adds a camera); --size, --fps, --detector, detector options, --annotate, --codec and
        --bitrate apply to every camera.

        Config file (YAML):
          token: s3cret
          server:
            port: 8080
            udp_port: 8443
            tcp_port: 8443            # false: no ICE over TCP
            ice_servers: [{urls: "stun:stun.example.org:3478"}]
          cameras:
            door: {source: "rtsp://10.0.0.7/stream", detector: hog, annotate: true, bitrate: 2500}
            lab: {source: /dev/video0, size: 1280x720, fps: 30, detector_options: {sensitivity: 0.7}}

        Examples:
          rtd serve
          rtd serve --camera door=rtsp://10.0.0.7/stream --camera lab=/dev/video0 --port 8080
          rtd serve --config rtd.yaml --token s3cret --tls-cert cert.pem --tls-key key.pem
          rtd serve --camera cam0=testsrc:stamp --size 1280x720 --codec h264 --bitrate 2500
          rtd serve --no-webrtc --ws-max-fps 5
          rtd serve --camera door=rtsp://10.0.0.7/stream --record /var/rtd --segment 10m --retain 7d --max-size 50G
          rtd serve --camera again=replay:/var/rtd/door/door-20261125-171500.mkv
        """)

    @Option(help: ArgumentHelp("YAML config file (cameras, server, token); flags override it.", valueName: "file"))
    var config: String?

    @Option(name: .customLong("camera"), help: ArgumentHelp("A camera, NAME=SOURCE (repeatable).", valueName: "name=source"))
    var cameras: [String] = []

    @OptionGroup(title: "Sources (every camera)") var sourceArguments: SourceArguments

    @OptionGroup(title: "Detection (every camera)") var detectorArguments: DetectorArguments

    @Flag(help: "Draw the boxes and labels into the video itself (for WHEP players and recordings), on every camera.")
    var annotate = false

    @Option(help: "Address to serve on (0.0.0.0: every interface). Default 0.0.0.0.")
    var host: String?

    @Option(help: "HTTP port (0: any free port). Default 8080.")
    var port: Int?

    @Option(help: ArgumentHelp("The one UDP port all WebRTC peers share (0: any free port). Default 0.", valueName: "port"))
    var udpPort: Int?

    @Option(help: ArgumentHelp("The TCP port for ICE over TCP (RFC 6544): browsers whose network blocks UDP get the same WebRTC video and records over it; 0 or false turns it off (they then get JPEG over the WebSocket). Default: the UDP port's number.", valueName: "port|false"))
    var tcpPort: String?

    @Option(help: ArgumentHelp("Address to announce as an extra ICE candidate (a 1:1 NAT's public address).", valueName: "ip"))
    var publicIP: String?

    @Option(help: ArgumentHelp("STUN/TURN URL handed to browsers for their side of ICE (repeatable; TURN credentials go in the config file).", valueName: "url"))
    var iceServer: [String] = []

    @Option(help: ArgumentHelp("Only offer this codec: h264 or vp8 (default: VP8 when the viewer offers it, else H.264; a viewer may ask for one).", valueName: "codec"))
    var codec: String?

    @Option(help: ArgumentHelp("Starting video bitrate in kbit/s. Default 1500.", valueName: "kbps"))
    var bitrate: Int?

    @Option(help: ArgumentHelp("Lowest bitrate congestion control may choose, kbit/s. Default 150.", valueName: "kbps"))
    var minBitrate: Int?

    @Option(help: ArgumentHelp("Highest bitrate congestion control may choose, kbit/s. Default 6000.", valueName: "kbps"))
    var maxBitrate: Int?

    @Option(help: ArgumentHelp("""
        Smaller encodes beside the full size, for viewers whose link cannot carry it: 'off', or a \
        comma list of 1/N or WIDTHxHEIGHT, each optionally @KBPS (largest first). Each is encoded \
        once for all its viewers, only while one is on it; a viewer moves down on loss and back up \
        by probing; a new viewer starts on the largest layer of at most 300 kbit/s. Default off \
        (one encode per camera); 1/2,1/4 is a good ladder (bitrates from the full layer's by pixel count).
        """, valueName: "layers"))
    var layers: String?

    @Option(help: ArgumentHelp("Seconds between periodic keyframes (viewers that join get one at once). Default 4.", valueName: "seconds"))
    var keyint: Double?

    @Option(help: "Most WebRTC peers at once (more get 503). Default 64.")
    var maxPeers: Int?

    @Option(help: "Most WebRTC peers per camera (more get 503). Default: --max-peers.")
    var maxPeersPerCamera: Int?

    @Option(help: ArgumentHelp("Offers (signaling and WHEP) allowed per second per client address; more get 429. Default 20.", valueName: "rate"))
    var signalRate: Double?

    @Option(help: ArgumentHelp("Seconds without an ICE consent check or authenticated RTCP from a viewer after which it is dropped (RFC 7675). Default 30.", valueName: "seconds"))
    var consentTimeout: Double?

    @Option(help: ArgumentHelp("Require this token: Authorization: Bearer TOKEN on the API, ?token=TOKEN on the page and WebSocket.", valueName: "token"))
    var token: String?

    @Option(help: ArgumentHelp("Let pages from this origin call the API (repeatable; * for any). Default: no CORS.", valueName: "origin"))
    var allowOrigin: [String] = []

    @Option(help: ArgumentHelp("Serve HTTPS with this certificate chain (PEM); needs --tls-key.", valueName: "file"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("Private key (PEM) for --tls-cert.", valueName: "file"))
    var tlsKey: String?

    @Flag(help: "Turn WebRTC off: signaling answers 503 and the viewer page uses the WebSocket fallback (/api/ws).")
    var noWebrtc = false

    @Option(help: ArgumentHelp("Most JPEG pictures a second to each WebSocket (/api/ws) viewer. Default 10.", valueName: "fps"))
    var wsMaxFps: Double?

    @Option(help: ArgumentHelp("DTLS certificate (PEM) to use instead of a fresh self-signed one; its fingerprint goes in every answer.", valueName: "file"))
    var cert: String?

    @Option(help: ArgumentHelp("Private key (PEM) for --cert.", valueName: "file"))
    var key: String?

    @OptionGroup(title: "Recording") var recordArguments: RecordArguments

    @OptionGroup var logging: LoggingArguments

    func validate() throws {
        if (cert == nil) != (key == nil) { throw ValidationError("--cert and --key go together") }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        if let wsMaxFps, !(wsMaxFps > 0 && wsMaxFps <= 60) { throw ValidationError("--ws-max-fps must be above 0 and at most 60") }
        // The config file's ranges for the same settings.
        try requireRange(consentTimeout, 1...3600, "--consent-timeout", " s")
        try requireRange(keyint, 0.1...3600, "--keyint", " s")
        try requireRange(bitrate, 50...100_000, "--bitrate", " kbit/s")
        try requireRange(minBitrate, 50...100_000, "--min-bitrate", " kbit/s")
        try requireRange(maxBitrate, 50...100_000, "--max-bitrate", " kbit/s")
        if let codec, VideoCodec(rawValue: codec) == nil { throw ValidationError("--codec must be h264 or vp8") }
        if let layers {
            do { _ = try LayerLadder.parse(layers) } catch { throw ValidationError("--layers: \(error.message)") }
        }
        if let minBitrate, let maxBitrate, minBitrate > maxBitrate { throw ValidationError("--min-bitrate must not exceed --max-bitrate") }
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be 0...65535") }
        if let udpPort, !(0...65535).contains(udpPort) { throw ValidationError("--udp-port must be 0...65535") }
        if let tcpPort, Self.tcpPortNumber(tcpPort) == nil { throw ValidationError("--tcp-port must be 1...65535, or 0 or false for no ICE over TCP") }
        try requireRange(maxPeers, 1...100_000, "--max-peers")
        try requireRange(maxPeersPerCamera, 1...100_000, "--max-peers-per-camera")
        try requireRange(signalRate, 0.1...100_000, "--signal-rate", "/s")
        if let token, token.isEmpty { throw ValidationError("--token must not be empty") }
        for c in cameras where !c.contains("=") { throw ValidationError("--camera '\(c)' must be NAME=SOURCE, e.g. cam0=testsrc") }
        for u in iceServer where !(u.hasPrefix("stun:") || u.hasPrefix("stuns:") || u.hasPrefix("turn:") || u.hasPrefix("turns:")) {
            throw ValidationError("--ice-server '\(u)' must be a stun:, stuns:, turn: or turns: URL")
        }
    }

    /// The config file with every flag given applied on top.
    func resolvedConfig() throws -> ServeConfig {
        var file = ServeConfig()
        if let config {
            do { file = try ConfigFile.load(path: config) } catch { throw fail("serve", "config \(error.description)") }
        }
        do { try file.applyCameraFlags(cameras) } catch { throw fail("serve", error.message) }
        file.addDefaultCameraIfNone()
        for i in file.cameras.indices {
            if let size = sourceArguments.size { file.cameras[i].size = size }
            if let fps = sourceArguments.fps { file.cameras[i].frameRate = fps }
            if let d = detectorArguments.detector { file.cameras[i].detector = d }
            file.cameras[i].detectorOptions = detectorArguments.apply(to: file.cameras[i].detectorOptions)
            if annotate { file.cameras[i].annotate = true }
            if let codec { file.cameras[i].codec = VideoCodec(rawValue: codec) }
            if let bitrate { file.cameras[i].bitrateKbps = bitrate }
            if let layers { file.cameras[i].layers = try? LayerLadder.parse(layers) }
        }
        var s = file.server
        s.host = host ?? s.host
        s.port = port ?? s.port
        s.udpPort = udpPort ?? s.udpPort
        s.tcpPort = tcpPort.flatMap(Self.tcpPortNumber) ?? s.tcpPort
        s.publicIP = publicIP ?? s.publicIP
        s.iceServers += iceServer.map { ICEServerConfig(urls: [$0]) }
        if !allowOrigin.isEmpty { s.allowOrigins = allowOrigin }
        if let tlsCert, let tlsKey { (s.tlsCert, s.tlsKey) = (tlsCert, tlsKey) }
        s.maxPeers = maxPeers ?? s.maxPeers
        s.maxPeersPerCamera = maxPeersPerCamera ?? s.maxPeersPerCamera
        s.signalRate = signalRate ?? s.signalRate
        if noWebrtc { s.webrtc = false }
        s.wsMaxFPS = wsMaxFps ?? s.wsMaxFPS
        s.minBitrateKbps = minBitrate ?? s.minBitrateKbps
        s.maxBitrateKbps = maxBitrate ?? s.maxBitrateKbps
        s.keyframeInterval = keyint ?? s.keyframeInterval
        s.consentTimeout = consentTimeout ?? s.consentTimeout
        if let cert, let key { (s.dtlsCert, s.dtlsKey) = (cert, key) }
        s.segment = recordArguments.segment ?? s.segment
        s.retain = recordArguments.retain ?? s.retain
        s.maxSize = recordArguments.maxSize ?? s.maxSize
        file.server = s
        file.token = token ?? file.token
        return file
    }

    /// `--tcp-port`'s value as a port number, 0 for off; nil when it is neither.
    static func tcpPortNumber(_ text: String) -> Int? {
        if ["false", "off", "no"].contains(text.lowercased()) { return 0 }
        guard let port = Int(text), (0...65535).contains(port) else { return nil }
        return port
    }

    /// The range congestion control keeps each camera's bitrate in (a camera starting outside it widens it).
    static func bitrateRange(_ config: ServeConfig) throws -> ClosedRange<Int> {
        let lo = config.server.minBitrateKbps ?? 150, hi = config.server.maxBitrateKbps ?? 6000
        guard lo <= hi else { throw fail("serve", "the minimum bitrate \(lo) kbit/s is above the maximum \(hi) (--min-bitrate/--max-bitrate)") }
        return lo...hi
    }

    func run() async throws {
        logging.bootstrap()
        let logger = Logger(label: "rtd.serve")
        let config = try resolvedConfig()
        let server = config.server
        let host = server.host ?? "0.0.0.0"
        let metrics = ServerMetrics.bootstrap()
        let encoder = LiveEncoder.Settings(bitrateKbps: 1500, keyframeInterval: server.keyframeInterval ?? 4, preset: "ultrafast")
        let bitrates = try Self.bitrateRange(config)
        let hub: CameraHub
        do {
            OpenCVThreads.set(detectorArguments.threads)
            hub = try CameraHub(cameras: config.cameras, pacing: sourceArguments.pace, encoder: encoder,
                                bitrateRange: bitrates, ladder: server.layers ?? .off, logger: logger)
        } catch let error as MediaError {
            throw fail("serve", error.message)
        } catch let error as DetectionError {
            throw fail("serve", error.message)
        }
        let recorder: ServerRecorder?
        do {
            // --record DIR (or server.record) records every camera but those with `record: false`.
            let directory = recordArguments.record ?? server.record
            if directory == nil, let cam = config.cameras.first(where: { $0.record == true }) {
                throw MediaError(.badInput, "camera '\(cam.name)' has record: true but there is no --record DIR (or server.record)")
            }
            recorder = try RecordArguments.settings(directory: directory, segment: server.segment, retain: server.retain,
                                                    maxSize: server.maxSize).map { settings in
                let recorded = config.cameras.filter { $0.record ?? true }.map { ($0.name, settings) }
                return try ServerRecorder(hub: hub, settings: Dictionary(uniqueKeysWithValues: recorded),
                                          codec: codec.flatMap(VideoCodec.init(rawValue:)) ?? .h264, logger: logger)
            }
        } catch let error as MediaError {
            hub.stop()
            throw fail("serve", error.message)
        }
        var rtc = WebRTCEndpoint.Settings()
        rtc.host = host
        rtc.udpPort = server.udpPort ?? 0
        rtc.tcpPort = server.tcpPort
        rtc.publicIP = server.publicIP
        rtc.maxPeers = server.maxPeers ?? 64
        rtc.maxPeersPerCamera = server.maxPeersPerCamera ?? rtc.maxPeers
        rtc.consentTimeout = server.consentTimeout ?? 30
        rtc.saturationBusy = server.saturationBusy ?? rtc.saturationBusy
        rtc.udpGSO = server.udpGSO ?? rtc.udpGSO
        rtc.certificateFile = server.dtlsCert
        rtc.keyFile = server.dtlsKey
        let endpoint: WebRTCEndpoint
        do {
            endpoint = try await WebRTCEndpoint.start(settings: rtc, hub: hub, logger: logger)
        } catch {
            hub.stop()
            throw fail("serve", server.dtlsCert != nil ? "cannot start WebRTC (certificate \(server.dtlsCert!), UDP port \(rtc.udpPort) on \(host)): \(error)"
                                             : "cannot open the WebRTC ports (UDP \(rtc.udpPort), TCP \(rtc.tcpPort.map(String.init) ?? "the same") on \(host)): \(error)")
        }
        var http = HTTPServer.Settings()
        http.host = host
        http.port = server.port ?? 8080
        http.defaultCamera = config.cameras[0].name
        http.token = config.token
        http.allowOrigins = server.allowOrigins
        http.tlsCertificate = server.tlsCert
        http.tlsKey = server.tlsKey
        http.signalRate = server.signalRate ?? 20
        http.iceServers = server.iceServers
        http.webrtcEnabled = server.webrtc ?? true
        http.wsMaxFPS = server.wsMaxFPS ?? 10
        http.version = RTD.version
        // "UDP N;" stays as scripts read it; the TCP port follows.
        let ports = "UDP \(endpoint.localPort)" + (endpoint.tcpPort.map { "; TCP \($0)" } ?? "")
        let shownHost = host == "0.0.0.0" ? "127.0.0.1" : host
        let scheme = server.tlsCert == nil ? "http" : "https"
        let query = config.token.map { "?token=\($0.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? $0)" } ?? ""
        let summary = config.cameras.map { "\($0.name)=\($0.source)" }.joined(separator: ", ")
        let app: any ApplicationProtocol
        do {
            app = try HTTPServer.makeApplication(settings: http, hub: hub, endpoint: endpoint, metrics: metrics, logger: logger) { boundPort in
                // One line a person (or a test) can act on: where to point the browser.
                FileHandle.standardOutput.write(Data("rtd serve: \(scheme)://\(shownHost):\(boundPort)/\(query) (WebRTC on \(ports); cameras: \(summary))\n".utf8))
            }
        } catch {
            await endpoint.shutdown()
            recorder?.stop()
            hub.stop()
            throw fail("serve", "cannot use the TLS certificate \(server.tlsCert ?? "") / key \(server.tlsKey ?? ""): \(error)")
        }
        do {
            // SIGINT/SIGTERM end the HTTP server gracefully; then every peer is closed cleanly
            // (DTLS close_notify) rather than left to time out.
            try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        } catch {
            await endpoint.shutdown()
            hub.stop()
            throw fail("serve", "HTTP server on \(host):\(http.port) failed: \(error)")
        }
        let peers = await endpoint.peerCount
        await endpoint.shutdown()
        recorder?.stop()
        hub.stop()
        logger.notice("stopped: closed \(peers) peer(s)")
    }
}
