import Foundation
import Yams
import RTDCore
import RTDMedia
import RTDDetection
import RTDRecording

/// Reads `rtd serve --config rtd.yaml`. Every problem is reported with its file, line, column and
/// field path; unknown fields are errors, since a misspelt option silently ignored is worse.
///
///     token: s3cret
///     server: {port: 8080, udp_port: 8443, ice_servers: [{urls: "stun:stun.example.org:3478"}]}
///     cameras:
///       door: {source: "rtsp://10.0.0.7/stream", detector: hog, annotate: true}
///       lab: /dev/video0
public enum ConfigFile {
    public static func load(path: String) throws(ConfigError) -> ServeConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, line: nil, column: nil, field: "",
                              message: FileManager.default.fileExists(atPath: path) ? "cannot read the file" : "no such file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, line: nil, column: nil, field: "", message: "not UTF-8 text")
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String = "config") throws(ConfigError) -> ServeConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw syntaxError(error, file: file)
        } catch {
            throw ConfigError(file: file, line: nil, column: nil, field: "", message: "\(error)")
        }
        var config = ServeConfig()
        guard let root else { return config }  // an empty file: all defaults
        let r = Reader(file: file)
        for (key, value) in try r.mapping(root, "", allowed: ["cameras", "server", "token"]) {
            switch key {
            case "token": config.token = try r.string(value, "token", nonEmpty: true)
            case "server": config.server = try r.server(value)
            default: config.cameras = try r.cameras(value)
            }
        }
        return config
    }

    static func syntaxError(_ error: YamlError, file: String) -> ConfigError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return ConfigError(file: file, line: mark.line, column: mark.column, field: "", message: "YAML syntax: \(problem)")
        case .duplicatedKeysInMapping(let keys, let context):
            // The mark is where the mapping with the repeated key starts.
            return ConfigError(file: file, line: context.mark.line, column: context.mark.column, field: "",
                               message: "\(keys.map { "'\($0)'" }.joined(separator: ", ")) given twice in one mapping")
        default:
            return ConfigError(file: file, line: nil, column: nil, field: "", message: "YAML: \(error)")
        }
    }

    /// Typed access to nodes, each failure located at the node.
    struct Reader {
        let file: String

        func fail(_ node: Node, _ field: String, _ message: String) -> ConfigError {
            ConfigError(file: file, line: node.mark?.line, column: node.mark?.column, field: field, message: message)
        }

        func kind(_ node: Node) -> String {
            switch node {
            case .scalar(let s): return "'\(s.string)'"
            case .mapping: return "a mapping"
            case .sequence: return "a list"
            case .alias: return "an alias"
            }
        }

        /// Keys in file order; duplicates and unknown keys are errors.
        func mapping(_ node: Node, _ field: String, allowed: [String]?) throws(ConfigError) -> [(String, Node)] {
            guard case .mapping(let m) = node else { throw fail(node, field, "expected a mapping, got \(kind(node))") }
            var seen = Set<String>()
            var out: [(String, Node)] = []
            for (k, v) in m {
                guard case .scalar(let s) = k else { throw fail(k, field, "keys must be plain names") }
                let path = field.isEmpty ? s.string : "\(field).\(s.string)"
                if let allowed, !allowed.contains(s.string) {
                    throw fail(k, path, "unknown field (expected one of: \(allowed.joined(separator: ", ")))")
                }
                guard seen.insert(s.string).inserted else { throw fail(k, path, "given twice") }
                out.append((s.string, v))
            }
            return out
        }

        func string(_ node: Node, _ field: String, nonEmpty: Bool = false) throws(ConfigError) -> String {
            guard case .scalar(let s) = node else { throw fail(node, field, "expected text, got \(kind(node))") }
            if nonEmpty && s.string.isEmpty { throw fail(node, field, "must not be empty") }
            return s.string
        }

        func int(_ node: Node, _ field: String, _ range: ClosedRange<Int>) throws(ConfigError) -> Int {
            guard case .scalar = node, let v = node.int else { throw fail(node, field, "expected a whole number, got \(kind(node))") }
            guard range.contains(v) else { throw fail(node, field, "\(v) is out of range \(range.lowerBound)...\(range.upperBound)") }
            return v
        }

        func double(_ node: Node, _ field: String, _ range: ClosedRange<Double>) throws(ConfigError) -> Double {
            guard case .scalar = node, let v = node.float ?? node.int.map(Double.init) else {
                throw fail(node, field, "expected a number, got \(kind(node))")
            }
            guard range.contains(v) else { throw fail(node, field, "\(v) is out of range \(range.lowerBound)...\(range.upperBound)") }
            return v
        }

        func bool(_ node: Node, _ field: String) throws(ConfigError) -> Bool {
            guard case .scalar = node, let v = node.bool else { throw fail(node, field, "expected true or false, got \(kind(node))") }
            return v
        }

        /// One string or a list of them.
        func strings(_ node: Node, _ field: String) throws(ConfigError) -> [String] {
            if case .sequence(let seq) = node {
                var out: [String] = []
                for (i, item) in seq.enumerated() { out.append(try string(item, "\(field)[\(i)]", nonEmpty: true)) }
                return out
            }
            return [try string(node, field, nonEmpty: true)]
        }

        func server(_ node: Node) throws(ConfigError) -> ServerConfig {
            var s = ServerConfig()
            let keys = ["host", "port", "udp_port", "tcp_port", "public_ip", "ice_servers", "allow_origin", "tls_cert", "tls_key",
                        "max_peers", "max_peers_per_camera", "signal_rate", "record", "segment", "retain", "max_size",
                        "webrtc", "ws_max_fps", "min_bitrate", "max_bitrate", "layers", "keyint", "consent_timeout",
                        "dtls_cert", "dtls_key", "saturation_busy", "udp_gso"]
            for (key, v) in try mapping(node, "server", allowed: keys) {
                let f = "server.\(key)"
                switch key {
                case "host": s.host = try string(v, f, nonEmpty: true)
                case "port": s.port = try int(v, f, 0...65535)
                case "udp_port": s.udpPort = try int(v, f, 0...65535)
                case "tcp_port":
                    // A port, or false (or 0): no ICE over TCP.
                    if case .scalar = v, v.bool == false { s.tcpPort = 0 } else { s.tcpPort = try int(v, f, 0...65535) }
                case "public_ip": s.publicIP = try string(v, f, nonEmpty: true)
                case "ice_servers": s.iceServers = try iceServers(v, f)
                case "allow_origin": s.allowOrigins = try strings(v, f)
                case "tls_cert": s.tlsCert = try string(v, f, nonEmpty: true)
                case "tls_key": s.tlsKey = try string(v, f, nonEmpty: true)
                case "max_peers": s.maxPeers = try int(v, f, 1...100_000)
                case "max_peers_per_camera": s.maxPeersPerCamera = try int(v, f, 1...100_000)
                case "signal_rate": s.signalRate = try double(v, f, 0.1...100_000)
                case "record": s.record = try string(v, f, nonEmpty: true)
                case "segment", "retain":
                    let text = try string(v, f, nonEmpty: true)
                    do throws(MediaError) { _ = try RecordingSettings.parseDuration(text, what: "duration") } catch { throw fail(v, f, error.message) }
                    if key == "segment" { s.segment = text } else { s.retain = text }
                case "max_size":
                    let text = try string(v, f, nonEmpty: true)
                    do throws(MediaError) { _ = try RecordingSettings.parseSize(text) } catch { throw fail(v, f, error.message) }
                    s.maxSize = text
                case "webrtc": s.webrtc = try bool(v, f)
                case "ws_max_fps": s.wsMaxFPS = try double(v, f, 0.1...60)
                case "min_bitrate": s.minBitrateKbps = try int(v, f, 50...100_000)
                case "max_bitrate": s.maxBitrateKbps = try int(v, f, 50...100_000)
                case "layers": s.layers = try layers(v, f)
                case "keyint": s.keyframeInterval = try double(v, f, 0.1...3600)
                case "consent_timeout": s.consentTimeout = try double(v, f, 1...3600)
                case "dtls_cert": s.dtlsCert = try string(v, f, nonEmpty: true)
                case "saturation_busy": s.saturationBusy = try double(v, f, 0...1)
                case "udp_gso": s.udpGSO = try bool(v, f)
                default: s.dtlsKey = try string(v, f, nonEmpty: true)
                }
            }
            if (s.tlsCert == nil) != (s.tlsKey == nil) { throw fail(node, "server", "tls_cert and tls_key go together") }
            if (s.dtlsCert == nil) != (s.dtlsKey == nil) { throw fail(node, "server", "dtls_cert and dtls_key go together") }
            if let lo = s.minBitrateKbps, let hi = s.maxBitrateKbps, lo > hi {
                throw fail(node, "server", "min_bitrate \(lo) is above max_bitrate \(hi)")
            }
            return s
        }

        /// `off` (or false), or a ladder string like "1/2,1/4".
        func layers(_ node: Node, _ field: String) throws(ConfigError) -> LayerLadder {
            if case .scalar = node, node.bool == false { return .off }
            let text = try string(node, field, nonEmpty: true)
            do { return try LayerLadder.parse(text) } catch { throw fail(node, field, error.message) }
        }

        func iceServers(_ node: Node, _ field: String) throws(ConfigError) -> [ICEServerConfig] {
            guard case .sequence(let seq) = node else { throw fail(node, field, "expected a list, got \(kind(node))") }
            var out: [ICEServerConfig] = []
            for (i, item) in seq.enumerated() {
                let f = "\(field)[\(i)]"
                var server = ICEServerConfig(urls: [])
                for (key, v) in try mapping(item, f, allowed: ["urls", "username", "credential"]) {
                    switch key {
                    case "urls":
                        server.urls = try strings(v, "\(f).urls")
                        for u in server.urls where !(u.hasPrefix("stun:") || u.hasPrefix("stuns:") || u.hasPrefix("turn:") || u.hasPrefix("turns:")) {
                            throw fail(v, "\(f).urls", "'\(u)' is not a stun:, stuns:, turn: or turns: URL")
                        }
                    case "username": server.username = try string(v, "\(f).username")
                    default: server.credential = try string(v, "\(f).credential")
                    }
                }
                if server.urls.isEmpty { throw fail(item, f, "needs 'urls'") }
                if server.urls.contains(where: { $0.hasPrefix("turn") }) && (server.username == nil || server.credential == nil) {
                    throw fail(item, f, "a TURN server needs 'username' and 'credential'")
                }
                out.append(server)
            }
            return out
        }

        func cameras(_ node: Node) throws(ConfigError) -> [CameraConfig] {
            var out: [CameraConfig] = []
            for (name, v) in try mapping(node, "cameras", allowed: nil) {
                let f = "cameras.\(name)"
                guard CameraConfig.validName(name) else {
                    throw fail(v, f, "camera names may use only letters, digits, - and _")
                }
                // `name: SOURCE` is shorthand for `name: {source: SOURCE}`.
                if case .scalar = v {
                    out.append(CameraConfig(name: name, source: try source(v, f)))
                    continue
                }
                let keys = ["source", "size", "fps", "detector", "detector_options", "codec", "bitrate", "layers", "annotate", "record"]
                let fields = try mapping(v, f, allowed: keys)
                guard let src = fields.first(where: { $0.0 == "source" })?.1 else { throw fail(v, f, "needs 'source'") }
                var cam = CameraConfig(name: name, source: try source(src, "\(f).source"))
                for (key, value) in fields {
                    let ff = "\(f).\(key)"
                    switch key {
                    case "source": break
                    case "size":
                        let text = try string(value, ff)
                        do { cam.size = try VideoSize.parse(text) } catch { throw fail(value, ff, error.message) }
                    case "fps":
                        let text: String = if case .scalar(let s) = value { s.string } else { "" }
                        do { cam.frameRate = try FrameRate.parse(text) } catch {
                            throw fail(value, ff, "expected a frame rate like 30, 29.97 or 30000/1001, got \(kind(value))")
                        }
                    case "detector":
                        cam.detector = try string(value, ff, nonEmpty: true)
                        let kindName = cam.detector.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
                        guard ["motion", "hog", "haar", "yolo", "none"].contains(kindName) else {
                            throw fail(value, ff, "unknown detector '\(cam.detector)' (motion, hog, haar[:FILE.xml], yolo:FILE.onnx, none)")
                        }
                    case "detector_options": try detectorOptions(value, ff, into: &cam.detectorOptions)
                    case "codec":
                        let c = try string(value, ff)
                        guard let codec = VideoCodec(rawValue: c) else { throw fail(value, ff, "expected h264 or vp8, got '\(c)'") }
                        cam.codec = codec
                    case "bitrate": cam.bitrateKbps = try int(value, ff, 50...100_000)
                    case "layers": cam.layers = try layers(value, ff)
                    case "annotate": cam.annotate = try bool(value, ff)
                    default: cam.record = try bool(value, ff)
                    }
                }
                out.append(cam)
            }
            return out
        }

        func source(_ node: Node, _ field: String) throws(ConfigError) -> SourceSpec {
            let text = try string(node, field, nonEmpty: true)
            do {
                return try SourceSpec.parse(text)
            } catch {
                throw fail(node, field, error.message)
            }
        }

        /// The same names as the detect/serve flags, with underscores.
        func detectorOptions(_ node: Node, _ field: String, into o: inout DetectorOptions) throws(ConfigError) {
            let keys = ["min_area", "sensitivity", "hog_stride", "scale", "hit_threshold", "label", "min_neighbors", "min_size",
                        "labels", "input_size", "confidence", "nms"]
            for (key, v) in try mapping(node, field, allowed: keys) {
                let f = "\(field).\(key)"
                switch key {
                case "min_area": o.motion.minArea = try int(v, f, 1...100_000_000)
                case "sensitivity": o.motion.sensitivity = try double(v, f, 0...1)
                case "hog_stride": o.hog.winStride = try int(v, f, 1...64)
                case "scale":
                    let s = try double(v, f, 1.001...4)
                    o.hog.scale = s
                    o.haar.scaleFactor = s
                case "hit_threshold": o.hog.hitThreshold = try double(v, f, -10...10)
                case "label": o.haar.label = try string(v, f, nonEmpty: true)
                case "min_neighbors": o.haar.minNeighbors = try int(v, f, 0...100)
                case "min_size": o.haar.minSize = try int(v, f, 1...10_000)
                case "labels": o.yolo.labelsFile = try string(v, f, nonEmpty: true)
                case "input_size": o.yolo.inputSize = try int(v, f, 32...4096)
                case "confidence": o.yolo.confidence = try double(v, f, 0...1)
                default: o.yolo.nmsIoU = try double(v, f, 0...1)
                }
            }
        }
    }
}
