import ArgumentParser
import Foundation
import Logging
import RTDCore
import RTDMedia
import RTDServer
import RTDClient

struct SignalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signal",
        abstract: "Connect to an rtd server (or any WHEP endpoint) as a receive-only WebRTC peer.",
        discussion: """
        Offers a receive-only video section and a data channel, connects with full ICE (as the \
        controlling agent), DTLS and SRTP, and receives the camera's video and detection records. \
        Lost packets are asked for again (NACK) and a keyframe is requested (PLI) when they cannot \
        be recovered. Records from the data channel go to stdout as JSON Lines unless sent \
        elsewhere with --detections-out.

        HTTPS: https:// URLs (port 443 by default) are checked like a browser would: the server's \
        certificate must chain to the system's trusted certificates and name the URL's host (or IP \
        address). For your own server's self-signed certificate (rtd serve --tls-cert), trust it with \
        --ca-file CERT; --insecure skips the check (the traffic is still encrypted, but not \
        authenticated). TLS 1.2 or newer.

        Signaling: rtd's JSON (POST URL/api/webrtc/signal, then a "bye"), or with --whep the WHEP \
        protocol (POST of application/sdp to URL/whep/CAMERA, or to URL itself without --camera; \
        DELETE of the returned Location at the end).

        TURN: --turn turn:HOST:PORT (or turn:HOST:PORT?transport=tcp for TURN over TCP) allocates a \
        relay on that TURN server with --turn-user and --turn-password (or RTD_TURN_USER and \
        RTD_TURN_PASSWORD from the environment; the long-term credential of RFC 8656) and offers it \
        as a relay candidate besides the direct ones; ICE prefers a direct path that works. --ice \
        relay offers and uses the relay only, so everything (ICE, DTLS, SRTP, the data channel) goes \
        through the TURN server. Credentials the server refuses end the run with exit status 5. Not \
        supported: turns: (TURN over TLS), IPv6 TURN servers, SASLprep of the credentials.

        Load mode (capacity planning, like LiveKit's lk load-test): --viewers N opens N receive-only \
        peers in this one process, started --ramp per second (default 20, rtd serve's default \
        --signal-rate per address; faster gets HTTP 429), each with the data channel like a single \
        rtd signal, but counting instead of decoding: packets, frames (RTP marker bit), loss (sequence \
        numbers never received; no NACK is sent, so nothing is repaired) and records. Once every viewer \
        has connected or failed, all are held for --duration seconds (default: until Ctrl-C), then each \
        closes and says bye, and a summary goes to stdout (--json: one JSON object): viewers \
        connected/failed, fps min/median per viewer (from its first frame), first frame p50/p95 (offer \
        sent to the first whole keyframe), loss %, records/s per viewer, and the client's own CPU and \
        memory. Progress goes to stderr. Works with --camera, --token, --codec, --whep, --ca-file, \
        --insecure and --timeout. The server's --max-peers (default 64) must allow N. In load mode \
        the exit status is 0 when every viewer connected and got video, else that of the most \
        common failure.

        Exit status: 0 done, 64 a command line the parser refuses (missing or malformed option), \
        1 bad arguments it accepted (a value out of range, options that conflict) or output, 2 the server's reply is not valid \
        (JSON or SDP), 3 server unreachable or gone, 4 HTTP error (the server's error text is printed), \
        5 ICE failed (or the TURN server refused the credentials), 6 TLS or DTLS failed (a certificate that does not verify, a server that does not \
        speak TLS, a DTLS fingerprint mismatch), 7 timed out.

        Examples:
          rtd signal http://127.0.0.1:8080 --camera cam0 > detections.jsonl
          rtd signal http://host:8080 --camera cam0 --frames-out - | rtd detect
          rtd signal http://host:8080 --duration 10 -o clip.mkv --stats
          rtd signal http://host:8080 --camera door --whep --token s3cret --frames-out - | ffplay -
          rtd signal https://127.0.0.1:8443 --camera cam0 --ca-file cert.pem
          RTD_TURN_PASSWORD=pw rtd signal http://host:8080 --turn turn:turn.example.org:3478 --turn-user me --ice relay
          rtd signal http://host:8080 --viewers 200 --ramp 50 --duration 30
          rtd signal http://host:8080 --viewers 20 --duration 5 --json | jq .fps
        """)

    @Argument(help: "Server URL, e.g. http://127.0.0.1:8080 or https://host (with --whep and no --camera: the WHEP endpoint itself).")
    var url: String

    @Option(help: ArgumentHelp("Camera to watch (default: the server's first).", valueName: "name"))
    var camera: String?

    @Flag(help: "Use WHEP signaling instead of rtd's JSON protocol.")
    var whep = false

    @Option(help: ArgumentHelp("Bearer token sent as Authorization: Bearer TOKEN.", valueName: "token"))
    var token: String?

    @Option(help: ArgumentHelp("For https://: trust the certificates in this PEM file instead of the system's (e.g. the --tls-cert of your own rtd serve).", valueName: "file"))
    var caFile: String?

    @Flag(help: "For https://: do not check the server's certificate (encrypted, but anyone on the path can pose as the server).")
    var insecure = false

    @Option(help: ArgumentHelp("STUN server for a server-reflexive candidate, e.g. stun:stun.example.org:3478.", valueName: "url"))
    var stun: String?

    @Option(help: ArgumentHelp("TURN server to relay through: turn:HOST[:PORT][?transport=tcp] (port 3478 by default).", valueName: "url"))
    var turn: String?

    @Option(help: ArgumentHelp("With --turn: the TURN user name (default: $RTD_TURN_USER).", valueName: "user"))
    var turnUser: String?

    @Option(help: ArgumentHelp("With --turn: the TURN password (default: $RTD_TURN_PASSWORD, which keeps it out of ps).", valueName: "password"))
    var turnPassword: String?

    @Option(help: ArgumentHelp("Which candidates to offer and use: all, or relay (only the --turn relay).", valueName: "policy"))
    var ice: ICEPolicy = .all

    @Option(help: ArgumentHelp("Ask rtd serve for this codec: h264 or vp8 (default: the server's choice; not sent over WHEP).", valueName: "codec"))
    var codec: VideoCodec?

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the received video, not re-encoded, to this .mkv/.mp4/.webm file.", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("Decoded frames as Y4M: - (stdout) or a file. With -, records need --detections-out FILE.", valueName: "file"))
    var framesOut: String?

    @Option(help: ArgumentHelp("Where data-channel records go: - (stdout, the default unless --frames-out -) or a .jsonl file.", valueName: "file"))
    var detectionsOut: String?

    @Option(help: ArgumentHelp("Stop after this many seconds of video.", valueName: "seconds"))
    var duration: Double?

    @Option(help: ArgumentHelp("Stop after this many frames.", valueName: "n"))
    var frames: Int?

    @Option(help: ArgumentHelp("Seconds allowed for each of: signaling, connecting, the first frame.", valueName: "seconds"))
    var timeout: Double = 10

    @Flag(help: "At the end, print time to connect and to first frame (from the offer), fps, bitrate, loss, NACK/PLI counts, RTT and (for testsrc:stamp) glass-to-glass latency on stderr.")
    var stats = false

    @Flag(help: "With --stats or --viewers: print the figures as one JSON object.")
    var json = false

    @Option(help: ArgumentHelp("Load mode: open this many receive-only viewers in this process and print a summary (see above).", valueName: "n"))
    var viewers: Int?

    @Option(help: ArgumentHelp("With --viewers: new viewers per second (default 20).", valueName: "rate"))
    var ramp: Double?

    @Option(help: ArgumentHelp("With --viewers: event-loop threads the viewers share (default: one per 250 viewers, at most one per core).", valueName: "n"))
    var threads: Int?

    @OptionGroup var logging: LoggingArguments

    func validate() throws {
        try requireRange(duration, 0.001...1e9, "--duration", " s")
        try requireRange(frames, 1...Int.max, "--frames")
        try requireRange(timeout, 0.001...86_400, "--timeout", " s")
        if caFile != nil, insecure { throw ValidationError("--ca-file and --insecure cannot be used together") }
        if caFile != nil || insecure, !url.lowercased().hasPrefix("https://") {
            throw ValidationError("--ca-file and --insecure apply to https:// URLs only, not \(url)")
        }
        if framesOut == "-", detectionsOut == "-" {
            throw ValidationError("--frames-out - and --detections-out - cannot both use stdout")
        }
        if turn == nil, turnUser != nil || turnPassword != nil { throw ValidationError("--turn-user and --turn-password need --turn") }
        if ice == .relay, turn == nil { throw ValidationError("--ice relay needs a TURN server (--turn)") }
        if let output, !["mkv", "webm", "mp4"].contains(output.split(separator: ".").last?.lowercased() ?? "") {
            throw ValidationError("-o needs a .mkv, .webm or .mp4 file name, not \(output)")
        }
    }

    func run() async throws {
        logging.bootstrap()
        if viewers != nil || ramp != nil || threads != nil { return try await runLoad() }
        var options = SignalSession.Options(url: url)
        options.dialect = whep ? .whep : .rtd
        options.camera = camera
        options.token = token
        options.codec = codec
        options.stunServer = stun
        if let turn {
            let environment = ProcessInfo.processInfo.environment
            guard let user = turnUser ?? environment["RTD_TURN_USER"], let password = turnPassword ?? environment["RTD_TURN_PASSWORD"] else {
                throw fail("signal", "--turn needs a user and password: --turn-user/--turn-password or RTD_TURN_USER/RTD_TURN_PASSWORD",
                           code: SignalErrorKind.badInput.exitCode)
            }
            do {
                options.turnServer = try TURNServer(url: turn, username: user, password: password)
            } catch {
                throw fail("signal", error.message, code: error.kind.exitCode)
            }
            options.relayOnly = ice == .relay
        }
        if insecure {
            note("rtd signal: warning: --insecure: the server's certificate is not checked")
            options.verification = .insecure
        } else if let caFile {
            options.verification = .caFile(caFile)
        }
        options.timeout = timeout
        options.duration = duration
        options.frameLimit = frames
        options.decode = stats || framesOut != nil
        var outputs = SignalSession.Outputs()
        do {
            let recordsTarget = detectionsOut ?? (framesOut == "-" ? nil : "-")
            if let recordsTarget {
                outputs.records = recordsTarget == "-" ? FileDescriptorWriter(fd: 1, name: "stdout") : try FileDescriptorWriter.create(path: recordsTarget)
            }
            if let framesOut {
                outputs.frames = framesOut == "-" ? FileDescriptorWriter(fd: 1, name: "stdout") : try FileDescriptorWriter.create(path: framesOut)
            }
        } catch {
            throw fail("signal", error.description)
        }
        outputs.videoFile = output
        let session = SignalSession(options: options, outputs: outputs, logger: Logger(label: "rtd.signal"))
        // SIGINT/SIGTERM end the session cleanly (bye sent, files closed), told to its event loop.
        let interrupts = Self.onInterrupt { session.stop() }
        defer { interrupts.forEach { $0.cancel() } }
        let report: SignalReport
        do {
            report = try await session.run()
        } catch {
            throw fail("signal", error.message, code: error.kind.exitCode)
        }
        if stats { note(json ? report.json : report.text) }
    }

    /// Runs `stop` on SIGINT and SIGTERM instead of dying, so a run ends cleanly (byes sent, files
    /// closed); cancel the sources when done.
    private static func onInterrupt(_ stop: @escaping @Sendable () -> Void) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { stop() }
            source.resume()
            return source
        }
    }

    /// `--viewers`: the load runner (RTDClient's `LoadTest`) does the work.
    private func runLoad() async throws {
        guard let viewers else { throw fail("signal", "--ramp and --threads need --viewers N") }
        let single: [(String, Bool)] = [("-o", output != nil), ("--frames-out", framesOut != nil), ("--detections-out", detectionsOut != nil),
                                        ("--frames", frames != nil), ("--stats", stats), ("--stun", stun != nil),
                                        ("--turn", turn != nil), ("--ice relay", ice == .relay)]
        if let name = single.first(where: { $0.1 })?.0 {
            throw fail("signal", "\(name) is for a single viewer, not with --viewers (which counts, and prints its own summary)")
        }
        var options = LoadTest.Options(url: url, viewers: viewers)
        options.dialect = whep ? .whep : .rtd
        options.camera = camera
        options.token = token
        options.codec = codec
        options.timeout = timeout
        options.duration = duration
        if let ramp { options.ramp = ramp }
        if let threads { options.threads = threads }
        if insecure {
            note("rtd signal: warning: --insecure: the server's certificate is not checked")
            options.verification = .insecure
        } else if let caFile {
            options.verification = .caFile(caFile)
        }
        let test = LoadTest(options: options, logger: Logger(label: "rtd.signal.load"))
        let interrupts = Self.onInterrupt { test.stop() }
        defer { interrupts.forEach { $0.cancel() } }
        let report: LoadReport
        do {
            report = try await test.run(progress: { note($0) })
        } catch {
            throw fail("signal", error.message, code: error.kind.exitCode)
        }
        FileHandle.standardOutput.write(Data(((json ? report.json : report.text) + "\n").utf8))
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}

extension VideoCodec: ExpressibleByArgument {}

/// `--ice`: RTCPeerConnection's iceTransportPolicy, for rtd signal.
enum ICEPolicy: String, ExpressibleByArgument, CaseIterable {
    case all, relay
}
