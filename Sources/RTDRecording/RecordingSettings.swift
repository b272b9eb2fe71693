#if canImport(Glibc)
import Glibc
#endif
import RTDMedia

/// Where and how a server records its cameras: segment length and what to keep.
public struct RecordingSettings: Sendable, Equatable {
    /// Root folder; each camera records into DIRECTORY/CAMERA/.
    public var directory: String
    /// Length of one segment file, seconds of media time (a segment starts at a keyframe).
    public var segmentSeconds: Double
    /// Segments whose last write is older than this are deleted (nil: kept whatever their age).
    public var retainSeconds: Double?
    /// Oldest segments are deleted while all segments under `directory` take more (nil: no limit).
    public var maxBytes: Int64?

    public init(directory: String, segmentSeconds: Double = 600, retainSeconds: Double? = nil, maxBytes: Int64? = nil) {
        self.directory = directory
        self.segmentSeconds = segmentSeconds
        self.retainSeconds = retainSeconds
        self.maxBytes = maxBytes
    }

    /// `90`, `90s`, `10m`, `1.5h`, `7d`, or combined `1h30m`: seconds.
    public static func parseDuration(_ text: String, what: String = "duration") throws(MediaError) -> Double {
        let bad = MediaError(.badInput, "malformed \(what) '\(text)': expected e.g. 90s, 10m, 1h30m or 7d")
        var total = 0.0, number = ""
        var sawUnit = false
        for c in text.lowercased() {
            if c.isNumber || c == "." {
                number.append(c)
                continue
            }
            let unit: Double
            switch c {
            case "s": unit = 1
            case "m": unit = 60
            case "h": unit = 3600
            case "d": unit = 86_400
            case "w": unit = 604_800
            default: throw bad
            }
            guard let v = Double(number) else { throw bad }
            total += v * unit
            number = ""
            sawUnit = true
        }
        if !number.isEmpty {
            guard !sawUnit, let v = Double(number) else { throw bad }
            total += v
        } else if !sawUnit {
            throw bad
        }
        guard total > 0, total.isFinite else { throw MediaError(.badInput, "\(what) '\(text)' must be above 0") }
        return total
    }

    /// `50G`, `500M`, `2T`, `800K` (powers of 1024, an optional trailing B or iB) or plain bytes.
    public static func parseSize(_ text: String) throws(MediaError) -> Int64 {
        var t = text.uppercased()
        if t.hasSuffix("IB") { t.removeLast(2) } else if t.hasSuffix("B") { t.removeLast() }
        var scale: Double = 1
        if let last = t.last, let power = ["K": 1, "M": 2, "G": 3, "T": 4][String(last)] {
            scale = pow(1024, Double(power))
            t.removeLast()
        }
        guard let v = Double(t), v > 0, (v * scale) < 9e18 else {
            throw MediaError(.badInput, "malformed size '\(text)': expected e.g. 50G, 500M or a number of bytes")
        }
        return Int64(v * scale)
    }
}

/// Segment file names: DIR/CAMERA/CAMERA-YYYYmmdd-HHMMSS.mkv (UTC), the sidecar beside it.
public enum SegmentNaming {
    public static func stem(camera: String, startedAt unixMicros: Int64) -> String {
        var seconds = time_t(unixMicros / 1_000_000)
        var t = tm()
        gmtime_r(&seconds, &t)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(camera)-\(t.tm_year + 1900)\(two(t.tm_mon + 1))\(two(t.tm_mday))-\(two(t.tm_hour))\(two(t.tm_min))\(two(t.tm_sec))"
    }

    /// The sidecar of a video: same path, `.jsonl` instead of the video's extension.
    public static func sidecarPath(forVideo path: String) -> String {
        let slash = path.lastIndex(of: "/")
        if let dot = path.lastIndex(of: "."), slash.map({ dot > $0 }) ?? true {
            return String(path[..<dot]) + ".jsonl"
        }
        return path + ".jsonl"
    }

    /// Whether `name` (a file name, no folder) is a segment or sidecar of `camera`.
    static func isSegmentFile(_ name: String, camera: String) -> Bool {
        guard name.hasPrefix(camera + "-") else { return false }
        var rest = name.dropFirst(camera.count + 1)
        if rest.hasSuffix(".mkv") { rest = rest.dropLast(4) } else if rest.hasSuffix(".jsonl") { rest = rest.dropLast(6) } else { return false }
        // YYYYmmdd-HHMMSS, optionally -N when two segments start within one second.
        let parts = rest.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, parts[0].count == 8, parts[1].count == 6 else { return false }
        return parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }
    }
}
