import ArgumentParser
import Foundation
import Hummingbird
import Logging
import NIOPosix
import RTDKit

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve cameras to browsers and WebRTC peers, with a viewer page.",
        discussion: """
        Starts an HTTP server (signaling, camera list, health, viewer page) and a WebRTC endpoint
        on ONE UDP port for every peer (ICE-lite, DTLS-SRTP, H.264 or VP8). Each camera is captured
        once and encoded once per codec, however many viewers watch. With no --camera, serves the
        built-in test pattern as cam0.

        Signaling: POST /api/webrtc/signal with {"type":"offer","sdp":"...","camera":"cam0"}
        answers {"type":"answer","sdp":"...","session_id":"..."}; {"type":"bye","session_id":"..."} ends it.

        Examples:
          rtd serve
          rtd serve --camera door=rtsp://10.0.0.7/stream --camera lab=/dev/video0 --port 8080
          rtd serve --camera cam0=testsrc:stamp --size 1280x720 --codec h264 --bitrate 2500
          rtd serve --camera door=rtsp://10.0.0.7/stream --record /var/rtd --segment 10m --retain 7d --max-size 50G
          rtd serve --camera again=replay:/var/rtd/door/door-20261125-171500.mkv
        """)

    @Option(name: .customLong("camera"), help: ArgumentHelp("A camera, NAME=SOURCE (repeatable). Default: cam0=testsrc.", valueName: "name=source"))
    var cameras: [String] = []

    @OptionGroup(title: "Sources") var sourceArguments: SourceArguments

    @OptionGroup(title: "Detection (every camera)") var detectorArguments: DetectorArguments

    @Option(help: "Address to serve on (0.0.0.0: every interface).")
    var host: String = "0.0.0.0"

    @Option(help: "HTTP port.")
    var port: Int = 8080

    @Option(help: ArgumentHelp("The one UDP port all WebRTC peers share (0: any free port).", valueName: "port"))
    var udpPort: Int = 0

    @Option(help: ArgumentHelp("Address to announce as an extra ICE candidate (a 1:1 NAT's public address).", valueName: "ip"))
    var publicIP: String?

    @Option(help: ArgumentHelp("Only offer this codec: h264 or vp8 (default: whichever the viewer prefers).", valueName: "codec"))
    var codec: String?

    @Option(help: ArgumentHelp("Starting video bitrate in kbit/s.", valueName: "kbps"))
    var bitrate: Int = 1500

    @Option(help: ArgumentHelp("Lowest bitrate congestion control may choose, kbit/s.", valueName: "kbps"))
    var minBitrate: Int = 150

    @Option(help: ArgumentHelp("Highest bitrate congestion control may choose, kbit/s.", valueName: "kbps"))
    var maxBitrate: Int = 6000

    @Option(help: ArgumentHelp("Seconds between periodic keyframes (viewers that join get one at once).", valueName: "seconds"))
    var keyint: Double = 4

    @Option(help: "Most peers at once (more get 503).")
    var maxPeers: Int = 64

    @Option(help: ArgumentHelp("Seconds without an ICE consent check after which a viewer is dropped (RFC 7675).", valueName: "seconds"))
    var consentTimeout: Double = 30

    @Option(help: ArgumentHelp("DTLS certificate (PEM) to use instead of a fresh self-signed one; its fingerprint goes in every answer.", valueName: "file"))
    var cert: String?

    @Option(help: ArgumentHelp("Private key (PEM) for --cert.", valueName: "file"))
    var key: String?

    @OptionGroup(title: "Recording") var recordArguments: RecordArguments

    @OptionGroup var logging: LoggingArguments

    func validate() throws {
        if (cert == nil) != (key == nil) { throw ValidationError("--cert and --key go together") }
        if consentTimeout < 1 { throw ValidationError("--consent-timeout must be at least 1 second") }
        if let codec, VideoCodecKind(rawValue: codec) == nil { throw ValidationError("--codec must be h264 or vp8") }
        if !(minBitrate...maxBitrate).contains(bitrate) { throw ValidationError("--bitrate must be within --min-bitrate ... --max-bitrate") }
        for c in cameras where !c.contains("=") { throw ValidationError("--camera '\(c)' must be NAME=SOURCE, e.g. cam0=testsrc") }
    }

    func run() async throws {
        logging.bootstrap()
        let logger = Logger(label: "rtd.serve")
        var list: [(name: String, source: SourceSpec)] = []
        do {
            for c in cameras.isEmpty ? ["cam0=testsrc"] : cameras {
                let parts = c.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts[0].range(of: "^[A-Za-z0-9_-]+$", options: .regularExpression) != nil else {
                    throw MediaError(.badInput, "camera name '\(parts[0])' may use only letters, digits, - and _")
                }
                guard !list.contains(where: { $0.name == parts[0] }) else {
                    throw MediaError(.badInput, "camera '\(parts[0])' is given twice")
                }
                list.append((parts[0], try SourceSpec.parse(parts[1])))
            }
        } catch let error as MediaError {
            throw fail("serve", error.message)
        }
        let encoder = LiveEncoder.Settings(bitrateKbps: bitrate, keyframeInterval: keyint, preset: "ultrafast")
        let hub: CameraHub
        do {
            OpenCVThreads.set(detectorArguments.threads)
            hub = try CameraHub(cameras: list, options: sourceArguments.options, encoder: encoder,
                                bitrateRange: minBitrate...maxBitrate,
                                detection: DetectionSettings(spec: detectorArguments.detector, options: detectorArguments.options),
                                logger: logger)
        } catch let error as MediaError {
            throw fail("serve", error.message)
        } catch let error as DetectionError {
            throw fail("serve", error.message)
        }
        let recorder: ServerRecorder?
        do {
            recorder = try recordArguments.settings.map { settings in
                try ServerRecorder(hub: hub, settings: Dictionary(uniqueKeysWithValues: list.map { ($0.name, settings) }),
                                   codec: codec.flatMap(VideoCodecKind.init(rawValue:)) ?? .h264, logger: logger)
            }
        } catch let error as MediaError {
            hub.stop()
            throw fail("serve", error.message)
        }
        var rtc = WebRTCEndpoint.Settings()
        rtc.host = host
        rtc.udpPort = udpPort
        rtc.publicIP = publicIP
        rtc.maxPeers = maxPeers
        rtc.consentTimeout = consentTimeout
        rtc.certificateFile = cert
        rtc.keyFile = key
        rtc.forcedCodec = codec.flatMap(VideoCodecKind.init(rawValue:))
        let endpoint: WebRTCEndpoint
        do {
            endpoint = try await WebRTCEndpoint.start(settings: rtc, hub: hub, group: MultiThreadedEventLoopGroup(numberOfThreads: 1),
                                                      logger: logger)
        } catch {
            throw fail("serve", cert != nil ? "cannot start WebRTC (certificate \(cert!), UDP port \(udpPort) on \(host)): \(error)"
                                             : "cannot open UDP port \(udpPort) on \(host): \(error)")
        }
        var http = HTTPServer.Settings()
        http.host = host
        http.port = port
        http.defaultCamera = list[0].name
        let udp = endpoint.localPort
        let shownHost = host == "0.0.0.0" ? "127.0.0.1" : host
        let summary = list.map { "\($0.name)=\($0.source)" }.joined(separator: ", ")
        let app = HTTPServer.makeApplication(settings: http, hub: hub, endpoint: endpoint, logger: logger) { boundPort in
            // One line a person (or a test) can act on: where to point the browser.
            FileHandle.standardOutput.write(Data("rtd serve: http://\(shownHost):\(boundPort)/ (WebRTC on UDP \(udp); cameras: \(summary))\n".utf8))
        }
        do {
            try await app.runService()
        } catch {
            await endpoint.shutdown()
            recorder?.stop()
            hub.stop()
            throw fail("serve", "HTTP server on \(host):\(port) failed: \(error)")
        }
        await endpoint.shutdown()
        recorder?.stop()
        hub.stop()
    }
}
