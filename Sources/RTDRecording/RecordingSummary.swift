import Foundation

/// `rtd replay --summary`: what a recording's detections hold, per label, and when it was busiest.
public struct RecordingSummary: Codable, Sendable, Equatable {
    public struct Label: Codable, Sendable, Equatable {
        public var label: String
        /// Boxes with this label, over every record.
        public var detections: Int
        /// Records (processed frames) with at least one.
        public var frames: Int
        /// Distinct track ids (0 when the detector did not track).
        public var tracks: Int
        /// Seconds from the start of the recording.
        public var firstSeenS: Double
        public var lastSeenS: Double
        /// Wall clock (UTC, ISO 8601) when the capture time is known.
        public var firstSeenAt: String?
        public var lastSeenAt: String?

        enum CodingKeys: String, CodingKey {
            case label, detections, frames, tracks
            case firstSeenS = "first_seen_s", lastSeenS = "last_seen_s"
            case firstSeenAt = "first_seen_at", lastSeenAt = "last_seen_at"
        }
    }

    public struct Minute: Codable, Sendable, Equatable {
        /// Minute index from the start of the recording (0 = the first 60 s).
        public var minute: Int
        /// Wall-clock start of that minute when known.
        public var startsAt: String?
        public var detections: Int

        enum CodingKeys: String, CodingKey {
            case minute, detections
            case startsAt = "starts_at"
        }
    }

    public var recording: String
    public var detectionsFile: String?
    public var records: Int
    public var detections: Int
    public var labels: [Label]
    public var busiestMinutes: [Minute]

    enum CodingKeys: String, CodingKey {
        case recording, records, detections, labels
        case detectionsFile = "detections_file"
        case busiestMinutes = "busiest_minutes"
    }

    /// Summarises records (pts relative to `startPts`), within [from, to] seconds when given.
    public static func make(recording: String, sidecar: Sidecar?, startPts: Int64 = 0, captureOrigin: Int64?,
                            from: Double? = nil, to: Double? = nil, top: Int = 5) -> RecordingSummary {
        var labels: [String: Label] = [:]
        var tracks: [String: Set<Int>] = [:]
        var minutes: [Int: Int] = [:]
        var records = 0, total = 0
        for r in sidecar?.records ?? [] {
            let t = Double(r.ptsUs - startPts) / 1e6
            if let from, t < from { continue }
            if let to, t > to { continue }
            records += 1
            total += r.detections.count
            if !r.detections.isEmpty { minutes[Int(t / 60), default: 0] += r.detections.count }
            var seenHere: Set<String> = []
            for d in r.detections {
                var l = labels[d.label] ?? Label(label: d.label, detections: 0, frames: 0, tracks: 0, firstSeenS: t, lastSeenS: t)
                l.detections += 1
                if seenHere.insert(d.label).inserted { l.frames += 1 }
                l.firstSeenS = min(l.firstSeenS, t)
                l.lastSeenS = max(l.lastSeenS, t)
                if let id = d.trackId { tracks[d.label, default: []].insert(id) }
                labels[d.label] = l
            }
        }
        func at(_ seconds: Double) -> String? {
            captureOrigin.map { iso8601($0 + startPts + Int64(seconds * 1e6)) }
        }
        let labelList = labels.values.map { l -> Label in
            var l = l
            l.tracks = tracks[l.label]?.count ?? 0
            l.firstSeenAt = at(l.firstSeenS)
            l.lastSeenAt = at(l.lastSeenS)
            return l
        }.sorted { ($0.detections, $1.label) > ($1.detections, $0.label) }
        let busiest = minutes.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(top)
            .map { Minute(minute: $0.key, startsAt: at(Double($0.key) * 60), detections: $0.value) }
        return RecordingSummary(recording: recording, detectionsFile: sidecar?.path, records: records, detections: total,
                                labels: labelList, busiestMinutes: Array(busiest))
    }

    static func iso8601(_ unixMicros: Int64) -> String {
        var seconds = time_t(unixMicros / 1_000_000)
        var t = tm()
        gmtime_r(&seconds, &t)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday,
                      t.tm_hour, t.tm_min, t.tm_sec, Int((unixMicros % 1_000_000) / 1000))
    }

    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    public var text: String {
        var lines = ["\(recording): \(records) records, \(detections) detections"
            + (detectionsFile.map { " (from \($0))" } ?? " (no detections file)")]
        func clock(_ s: Double) -> String {
            let ms = Int((s * 1000).rounded())
            return String(format: "%02d:%02d:%02d.%03d", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000)
        }
        if !labels.isEmpty {
            lines.append("label            detections  frames  tracks  first seen    last seen")
            for l in labels {
                let name = l.label.count > 16 ? String(l.label.prefix(15)) + "…" : l.label
                lines.append(name.padding(toLength: 16, withPad: " ", startingAt: 0)
                    + String(format: " %10d  %6d  %6d  ", l.detections, l.frames, l.tracks)
                    + clock(l.firstSeenS) + "  " + clock(l.lastSeenS)
                    + (l.firstSeenAt.map { "  (\($0) … \(l.lastSeenAt ?? ""))" } ?? ""))
            }
        }
        if !busiestMinutes.isEmpty {
            lines.append("busiest minutes:")
            for m in busiestMinutes {
                lines.append("  " + clock(Double(m.minute) * 60) + (m.startsAt.map { " (\($0))" } ?? "")
                    + ": \(m.detections) detections")
            }
        }
        return lines.joined(separator: "\n")
    }
}
