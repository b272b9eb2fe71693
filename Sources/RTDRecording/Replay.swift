import Foundation
import RTDCore
import RTDMedia
import RTDDetection

/// What to replay, and how.
public struct ReplaySettings: Sendable {
    public var recording: String
    /// The detections sidecar; nil: RECORDING's own (same name, .jsonl) when it exists.
    public var detections: String?
    /// Times real time; nil: as fast as the consumer takes frames.
    public var speed: Double? = 1
    /// Seconds from the recording's first frame.
    public var from: Double?
    public var to: Double?
    public var loop = false

    public init(recording: String) { self.recording = recording }

    /// `90`, `90.5`, `1:30`, `01:02:03.5`: seconds.
    public static func parseTime(_ text: String) throws(MediaError) -> Double {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        var seconds = 0.0
        guard (1...3).contains(parts.count) else { throw badTime(text) }
        for (i, p) in parts.enumerated() {
            guard let v = Double(p), v >= 0, v.isFinite, i == parts.count - 1 || v == v.rounded() else { throw badTime(text) }
            if i > 0 && v >= 60 { throw badTime(text) }
            seconds = seconds * 60 + v
        }
        return seconds
    }

    private static func badTime(_ text: String) -> MediaError {
        MediaError(.badInput, "malformed time '\(text)': expected seconds (90, 12.5) or [HH:]MM:SS[.fff]")
    }
}

/// A recording opened for replay: its frames in pts order with the sidecar's records in step
/// (each record delivered with the frame it names, or with the next frame when the video has
/// no frame of that pts), within a time range, paced at the recorded timing or faster, looped.
public final class Replay {
    public let settings: ReplaySettings
    public let sidecar: Sidecar?
    let reader: RecordingReader
    /// Capture wall time of pts 0: from the recorder's tag, or derived from the sidecar.
    public let captureOrigin: Int64?

    /// Matroska keeps milliseconds: a frame's pts may differ from its record's by half of one.
    static let ptsTolerance: Int64 = 500

    public init(settings: ReplaySettings) throws(MediaError) {
        self.settings = settings
        reader = try RecordingReader(path: settings.recording)
        if let path = settings.detections {
            sidecar = try Sidecar.load(path: path)
        } else {
            let own = SegmentNaming.sidecarPath(forVideo: settings.recording)
            sidecar = try FileManager.default.fileExists(atPath: own) ? Sidecar.load(path: own) : nil
        }
        captureOrigin = reader.captureOrigin ?? sidecar?.captureOrigin
        if let from = settings.from, let duration = reader.duration, from >= duration {
            throw MediaError(.badInput, String(format: "--from %.3f s is past the end of %@ (%.3f s long)", from, settings.recording, duration))
        }
    }

    public var size: VideoSize { reader.size }
    public var frameRate: FrameRate { reader.frameRate }
    public var duration: Double? { reader.duration }
    public var recording: String { settings.recording }
    /// pts (µs) of the recording's first frame: what --from and --to count from.
    public var startPts: Int64 { reader.startPts }

    /// Frames the range holds, estimated from duration and rate (for a progress bar).
    public var expectedFrames: Int? {
        guard let d = reader.duration else { return nil }
        let end = min(settings.to ?? d, d)
        return max(0, Int(((end - (settings.from ?? 0)) * frameRate.value).rounded()))
    }

    public struct Result: Sendable {
        public var frames = 0
        public var records = 0
        public var passes = 0
        public var seconds = 0.0
        /// The consumer stopped taking frames (closed its pipe).
        public var stoppedByConsumer = false
    }

    // Cursor state for `next()`.
    private var offset: Int64 = 0
    private var clock: (pts: Int64, monotonic: Int64)?
    private var emitted = 0
    private var passStarted = false
    private var nextRecord = 0
    private var passFirst: Int64?
    private var passLast: Int64?
    public private(set) var passes = 0

    private var fromPts: Int64 { reader.startPts + Int64(((settings.from ?? 0) * 1e6).rounded()) }
    private var toPts: Int64? { settings.to.map { reader.startPts + Int64(($0 * 1e6).rounded()) } }

    /// The next frame (pts shifted by whole passes when looping; capture time the recorded one
    /// when known: its record's, else the segment's start plus its pts; else now) with the records that belong to it (`pts_us` set to the frame's when
    /// the record names it), after waiting for its time when `paced`. nil at the end.
    public func next(paced: Bool) throws(MediaError) -> (Frame, [DetectionRecord])? {
        let records = sidecar?.records ?? []
        let from = fromPts
        while true {
            if !passStarted {
                passStarted = true
                passes += 1
                if from > reader.startPts { _ = try reader.seek(toPts: from) }
                nextRecord = records.firstIndex { $0.ptsUs + Self.ptsTolerance >= from } ?? records.count
                passFirst = nil
                passLast = nil
            }
            while let f = try reader.next() {
                if f.pts + Self.ptsTolerance < from { continue }
                if let to = toPts, f.pts > to + Self.ptsTolerance { break }
                passFirst = passFirst ?? f.pts
                passLast = f.pts
                let pts = f.pts + offset
                if paced, let speed = settings.speed {
                    let c = clock ?? (pts, SystemClock.monotonicMicros())
                    clock = c
                    SystemClock.sleep(untilMonotonic: c.monotonic + Int64(Double(pts - c.pts) / speed))
                }
                var batch: [DetectionRecord] = []
                // The frame's own record knows its exact capture time; pts only gives it roughly.
                var capturedAt = captureOrigin.map { $0 + f.pts }
                while nextRecord < records.count, records[nextRecord].ptsUs <= f.pts + Self.ptsTolerance {
                    var r = records[nextRecord]
                    let own = abs(r.ptsUs - f.pts) <= Self.ptsTolerance
                    if own, let t = r.capturedAtUs { capturedAt = t }
                    r.ptsUs = (own ? f.pts : r.ptsUs) + offset
                    batch.append(r)
                    nextRecord += 1
                }
                let frame = f.retimed(pts: pts, capturedAt: capturedAt, index: emitted)
                emitted += 1
                return (frame, batch)
            }
            guard settings.loop, let first = passFirst, let last = passLast else { return nil }
            // The next pass continues the timeline one frame after this pass's last frame.
            offset += last - first + Int64(frameRate.frameDurationMicros.rounded())
            passStarted = false
            if from <= reader.startPts { try reader.rewind() }
        }
    }

    /// Runs the replay to its end: `deliver` gets each frame and its records, and returns false
    /// to stop.
    public func run(paced: Bool, shouldStop: () -> Bool,
                    deliver: (Frame, [DetectionRecord]) throws(MediaError) -> Bool) throws(MediaError) -> Result {
        var result = Result()
        let started = SystemClock.monotonicMicros()
        while !shouldStop(), case let (frame, records)? = try next(paced: paced) {
            guard try deliver(frame, records) else {
                result.stoppedByConsumer = true
                break
            }
            result.frames += 1
            result.records += records.count
        }
        result.passes = passes
        result.seconds = Double(SystemClock.monotonicMicros() - started) / 1e6
        return result
    }
}
