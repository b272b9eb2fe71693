import Foundation
import Testing
@testable import RTDServer
@testable import RTDMedia

@Suite struct ConfigFileTests {
    @Test func tcpPortIsAPortOrFalse() throws {
        #expect(try ConfigFile.parse("server: {tcp_port: false}").server.tcpPort == 0)
        #expect(try ConfigFile.parse("server: {tcp_port: 0}").server.tcpPort == 0)
        #expect(try ConfigFile.parse("server: {udp_port: 9000}").server.tcpPort == nil, "unset: the UDP port's number")
        #expect(throws: ConfigError.self) { try ConfigFile.parse("server: {tcp_port: 70000}") }
        #expect(throws: ConfigError.self) { try ConfigFile.parse("server: {tcp_port: true}") }
        #expect(throws: ConfigError.self) { try ConfigFile.parse("server: {tcp_port: tcp}") }
    }

    @Test func aFullFileGivesEverySetting() throws {
        let text = """
        token: s3cret
        server:
          host: 127.0.0.1
          port: 9090
          udp_port: 8443
          tcp_port: 8444
          public_ip: 203.0.113.7
          ice_servers:
            - urls: stun:stun.example.org:3478
            - urls: [turn:turn.example.org, "turns:turn.example.org:5349"]
              username: u
              credential: p
          allow_origin: [https://a.example, https://b.example]
          max_peers: 40
          max_peers_per_camera: 10
          signal_rate: 5
          record: /var/rtd
          segment: 5m
          retain: 7d
          max_size: 50G
          webrtc: false
          ws_max_fps: 15
          min_bitrate: 200
          max_bitrate: 4000
          keyint: 2
          consent_timeout: 10
          saturation_busy: 0.7
          udp_gso: false
          dtls_cert: dtls.pem
          dtls_key: dtls.key
        cameras:
          door:
            source: rtsp://10.0.0.7/stream
            size: 1280x720
            fps: 29.97
            detector: hog
            detector_options: {hog_stride: 16, scale: 1.1, hit_threshold: 0.5}
            codec: h264
            bitrate: 2500
            annotate: true
            record: false
          lab: testsrc:stamp
        """
        let c = try ConfigFile.parse(text, file: "rtd.yaml")
        #expect(c.token == "s3cret")
        #expect(c.server.host == "127.0.0.1" && c.server.port == 9090 && c.server.udpPort == 8443 && c.server.tcpPort == 8444)
        #expect(c.server.publicIP == "203.0.113.7")
        #expect(c.server.iceServers == [ICEServerConfig(urls: ["stun:stun.example.org:3478"]),
                                        ICEServerConfig(urls: ["turn:turn.example.org", "turns:turn.example.org:5349"], username: "u", credential: "p")])
        #expect(c.server.allowOrigins == ["https://a.example", "https://b.example"])
        #expect(c.server.maxPeers == 40 && c.server.maxPeersPerCamera == 10 && c.server.signalRate == 5)
        #expect(c.server.record == "/var/rtd" && c.server.segment == "5m" && c.server.retain == "7d" && c.server.maxSize == "50G")
        #expect(c.server.webrtc == false && c.server.wsMaxFPS == 15 && c.server.keyframeInterval == 2 && c.server.consentTimeout == 10)
        #expect(c.server.minBitrateKbps == 200 && c.server.maxBitrateKbps == 4000)
        #expect(c.server.dtlsCert == "dtls.pem" && c.server.dtlsKey == "dtls.key")
        #expect(c.server.saturationBusy == 0.7 && c.server.udpGSO == false)
        #expect(c.cameras.map(\.name) == ["door", "lab"])
        let door = c.cameras[0]
        #expect(door.source == .url("rtsp://10.0.0.7/stream"))
        #expect(door.size == VideoSize(width: 1280, height: 720))
        #expect(abs((door.frameRate?.value ?? 0) - 29.97) < 0.001)
        #expect(door.detector == "hog" && door.detectorOptions.hog.winStride == 16 && door.detectorOptions.hog.scale == 1.1)
        #expect(door.detectorOptions.hog.hitThreshold == 0.5)
        #expect(door.codec == .h264 && door.bitrateKbps == 2500 && door.annotate && door.record == false)
        #expect(c.cameras[1].source == .testPattern(stamp: true) && !c.cameras[1].annotate)
    }

    @Test func anEmptyFileIsAllDefaults() throws {
        #expect(try ConfigFile.parse("", file: "x") == ServeConfig())
        #expect(try ConfigFile.parse("# nothing\n", file: "x") == ServeConfig())
    }

    /// Each bad file names the file, the line and the field.
    @Test(arguments: [
        ("server:\n  port: eighty\n", "rtd.yaml:2:9: server.port: expected a whole number, got 'eighty'"),
        ("server:\n  port: 70000\n", "rtd.yaml:2:9: server.port: 70000 is out of range 0...65535"),
        ("server:\n  prot: 80\n", "rtd.yaml:2:3: server.prot: unknown field"),
        ("cameras:\n  cam0:\n    source: testsrc\n    fsp: 30\n", "rtd.yaml:4:5: cameras.cam0.fsp: unknown field"),
        ("cameras:\n  cam0:\n    source: testsrc\n    fps: fast\n", "rtd.yaml:4:10: cameras.cam0.fps: expected a frame rate"),
        ("cameras:\n  cam0:\n    size: 640x480\n", "rtd.yaml:3:5: cameras.cam0: needs 'source'"),
        ("cameras:\n  cam0:\n    source: testsrc\n    size: 641x480\n", "rtd.yaml:4:11: cameras.cam0.size:"),
        ("cameras:\n  cam0: {source: testsrc, codec: h265}\n", "rtd.yaml:2:34: cameras.cam0.codec: expected h264 or vp8, got 'h265'"),
        ("cameras:\n  cam0: {source: testsrc, detector: sift}\n", "rtd.yaml:2:37: cameras.cam0.detector: unknown detector 'sift'"),
        ("cameras:\n  cam0: {source: testsrc, annotate: maybe}\n", "rtd.yaml:2:37: cameras.cam0.annotate: expected true or false"),
        ("cameras:\n  cam0: {source: testsrc, detector_options: {sensitivity: 2}}\n",
         "rtd.yaml:2:59: cameras.cam0.detector_options.sensitivity: 2.0 is out of range 0.0...1.0"),
        ("cameras:\n  bad name: testsrc\n", "rtd.yaml:2:13: cameras.bad name: camera names may use only"),
        ("cameras:\n  cam0: testsrc\n  cam0: testsrc:stamp\n", "rtd.yaml:2:3: 'cam0' given twice"),
        ("cameras:\n  cam0: {source: \"nosuch:thing\"}\n", "rtd.yaml:2:18: cameras.cam0.source: unknown source"),
        ("cameras: [testsrc]\n", "rtd.yaml:1:10: cameras: expected a mapping, got a list"),
        ("server:\n  ice_servers:\n    - urls: http://x\n", "rtd.yaml:3:13: server.ice_servers[0].urls: 'http://x' is not a stun:"),
        ("server:\n  ice_servers:\n    - urls: turn:x\n", "rtd.yaml:3:7: server.ice_servers[0]: a TURN server needs 'username' and 'credential'"),
        ("server:\n  tls_cert: a.pem\n", "rtd.yaml:2:3: server: tls_cert and tls_key go together"),
        ("server:\n  dtls_key: a.key\n", "rtd.yaml:2:3: server: dtls_cert and dtls_key go together"),
        ("server:\n  segment: 10 minutes\n", "rtd.yaml:2:12: server.segment: malformed duration '10 minutes'"),
        ("server:\n  max_size: lots\n", "rtd.yaml:2:13: server.max_size: "),
        ("server:\n  webrtc: no thanks\n", "rtd.yaml:2:11: server.webrtc: expected true or false"),
        ("server:\n  ws_max_fps: 120\n", "rtd.yaml:2:15: server.ws_max_fps: 120.0 is out of range 0.1...60.0"),
        ("server:\n  min_bitrate: 900\n  max_bitrate: 500\n", "rtd.yaml:2:3: server: min_bitrate 900 is above max_bitrate 500"),
        ("token: \"\"\n", "rtd.yaml:1:8: token: must not be empty"),
        ("cameras:\n  cam0: {source: testsrc\n", "rtd.yaml:3:1: YAML syntax:"),
        ("- just\n- a list\n", "rtd.yaml:1:1: expected a mapping, got a list"),
    ])
    func badFilesAreLocated(text: String, expected: String) {
        do {
            _ = try ConfigFile.parse(text, file: "rtd.yaml")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description.hasPrefix(expected), "\(error.description)")
        }
    }

    @Test func missingFileIsNamed() {
        #expect(throws: ConfigError.self) { try ConfigFile.load(path: "/nonexistent/rtd.yaml") }
        do { _ = try ConfigFile.load(path: "/nonexistent/rtd.yaml") } catch {
            #expect(error.description == "/nonexistent/rtd.yaml: no such file")
        }
    }

    /// Arbitrary bytes never crash the reader: they parse or give a located error.
    @Test func hostileInputNeverCrashes() {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("abc:{}[]-, \n\t\"'&*!|>%@`#0123456789xcamerasourceserver".utf8)
        for _ in 0..<2000 {
            let n = Int.random(in: 0..<80, using: &rng)
            let bytes = (0..<n).map { _ in alphabet.randomElement(using: &rng)! }
            _ = try? ConfigFile.parse(String(decoding: bytes, as: UTF8.self), file: "fuzz")
        }
    }

    @Test func cameraFlagsReplaceSourcesOrAddCameras() throws {
        var c = try ConfigFile.parse("cameras:\n  door: {source: testsrc, detector: hog}\n")
        try c.applyCameraFlags(["door=testsrc:stamp", "yard=/tmp/x.y4m"])
        #expect(c.cameras.map(\.name) == ["door", "yard"])
        #expect(c.cameras[0].source == .testPattern(stamp: true) && c.cameras[0].detector == "hog")
        #expect(throws: MediaError.self) { try c.applyCameraFlags(["a=testsrc", "a=testsrc"]) }
        #expect(throws: MediaError.self) { try c.applyCameraFlags(["no/slash=testsrc"]) }
        #expect(throws: MediaError.self) { try c.applyCameraFlags(["x="]) }
    }

    @Test func theDefaultCameraIsTheFirstWorkingV4L2DeviceElseTheTestPattern() {
        var none = ServeConfig()
        none.addDefaultCameraIfNone(devices: [])
        #expect(none.cameras.map(\.source) == [.testPattern(stamp: false)])
        let broken = CameraInfo(path: "/dev/video0", card: "", driver: "", bus: "", capabilities: [], formats: [], error: "permission denied")
        let good = CameraInfo(path: "/dev/video2", card: "cam", driver: "uvcvideo", bus: "usb", capabilities: ["video-capture"], formats: [], error: nil)
        var some = ServeConfig()
        some.addDefaultCameraIfNone(devices: [broken, good])
        #expect(some.cameras.map(\.source) == [.v4l2(device: "/dev/video2")])
        var given = try! ConfigFile.parse("cameras: {a: testsrc}")
        given.addDefaultCameraIfNone(devices: [good])
        #expect(given.cameras.map(\.name) == ["a"])
    }
}

@Suite struct AccessPolicyTests {
    @Test func theTokenIsRequiredOnEveryRouteButStaticAssets() {
        let t = "s3cret"
        #expect(AccessPolicy.authorized(expected: nil, path: "/api/cameras", authorization: nil, queryToken: nil))
        #expect(!AccessPolicy.authorized(expected: t, path: "/api/cameras", authorization: nil, queryToken: nil))
        #expect(!AccessPolicy.authorized(expected: t, path: "/healthz", authorization: nil, queryToken: nil))
        #expect(!AccessPolicy.authorized(expected: t, path: "/", authorization: nil, queryToken: nil))
        #expect(AccessPolicy.authorized(expected: t, path: "/api/cameras", authorization: "Bearer s3cret", queryToken: nil))
        #expect(AccessPolicy.authorized(expected: t, path: "/api/cameras", authorization: "bearer s3cret", queryToken: nil))
        #expect(!AccessPolicy.authorized(expected: t, path: "/api/cameras", authorization: "Bearer s3cre", queryToken: nil))
        #expect(!AccessPolicy.authorized(expected: t, path: "/api/cameras", authorization: "Basic czNjcmV0", queryToken: nil))
        #expect(!AccessPolicy.authorized(expected: t, path: "/api/cameras", authorization: "Bearer s3cret0", queryToken: nil))
        #expect(AccessPolicy.authorized(expected: t, path: "/", authorization: nil, queryToken: "s3cret"))
        #expect(!AccessPolicy.authorized(expected: t, path: "/", authorization: nil, queryToken: ""))
        // A wrong header is not rescued by a right query token, and the reverse.
        #expect(!AccessPolicy.authorized(expected: t, path: "/", authorization: "Bearer nope", queryToken: "s3cret"))
        #expect(AccessPolicy.authorized(expected: t, path: "/viewer.js", authorization: nil, queryToken: nil))
    }

    @Test func aBrowserWithoutTheTokenGetsAPageAPIClientsJSON() {
        let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        #expect(AccessPolicy.wantsHTML(path: "/", accept: browser))
        #expect(AccessPolicy.wantsHTML(path: "/healthz", accept: "TEXT/HTML"))
        #expect(!AccessPolicy.wantsHTML(path: "/", accept: nil))
        #expect(!AccessPolicy.wantsHTML(path: "/", accept: "application/json"))
        #expect(!AccessPolicy.wantsHTML(path: "/", accept: "*/*"))
        #expect(!AccessPolicy.wantsHTML(path: "/api/config", accept: browser))
        #expect(!AccessPolicy.wantsHTML(path: "/whep/cam0", accept: browser))
        #expect(AccessPolicy.tokenPage.contains("?token=") && AccessPolicy.tokenPage.contains("rtd serve"))
    }

    @Test func corsIsOffUnlessAnOriginIsAllowed() {
        #expect(AccessPolicy.allowedOrigin("https://a.example", allowed: []) == nil)
        #expect(AccessPolicy.allowedOrigin("https://a.example", allowed: ["https://a.example"]) == "https://a.example")
        #expect(AccessPolicy.allowedOrigin("https://evil.example", allowed: ["https://a.example"]) == nil)
        #expect(AccessPolicy.allowedOrigin("https://evil.example", allowed: ["*"]) == "*")
        #expect(AccessPolicy.allowedOrigin(nil, allowed: ["*"]) == nil)
    }

    @Test func theRateLimiterAllowsBurstsThenTheRate() async {
        let limiter = SignalRateLimiter(perSecond: 2, burst: 4)
        var allowed = 0
        for _ in 0..<10 where await limiter.allow("a", now: 0) { allowed += 1 }
        #expect(allowed == 4)
        #expect(await limiter.allow("b", now: 0))  // per address
        #expect(!(await limiter.allow("a", now: 400_000)))
        #expect(await limiter.allow("a", now: 500_000))
        #expect(!(await limiter.allow("a", now: 500_001)))
    }
}
