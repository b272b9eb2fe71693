import Foundation
import RTDCore
import RTDMedia
import RTDDetection

/// `rtd replay --export`: the recording re-encoded to H.264 with its detections drawn (boxes,
/// labels, scores, track ids) and a timestamp, as fast as decoding and encoding go.
public enum ReplayExport {
    /// Boxes stay on screen until the next record, or this long after theirs (µs): a detector
    /// that skipped frames leaves its last boxes up, one that stopped does not leave them forever.
    static let holdMicros: Int64 = 1_000_000

    public static func run(_ replay: Replay, to path: String, encoder: EncoderOptions = EncoderOptions(),
                           shouldStop: () -> Bool, progress: ((Int) -> Void)? = nil) throws(MediaError) -> Replay.Result {
        let writer = try VideoFileWriter(path: path, size: replay.size, frameRate: replay.frameRate, options: encoder)
        var shown: (pts: Int64, detections: [Detection])?
        var lastProgress = SystemClock.monotonicMicros()
        var firstPts: Int64?
        let result = try replay.run(paced: false, shouldStop: shouldStop) { (frame, records) throws(MediaError) -> Bool in
            if let r = records.last { shown = (r.ptsUs, r.detections) }
            if let s = shown, frame.pts - s.pts > holdMicros { shown = nil }
            var out = frame
            do {
                if let s = shown, !s.detections.isEmpty { out = try Annotator.annotate(frame, with: s.detections) }
                out = try Annotator.stamp(out, text: timestamp(frame, origin: replay.captureOrigin))
            } catch {
                throw MediaError(.codec, "drawing frame \(frame.index) of \(replay.recording): \(error)")
            }
            // The export starts at 0 whatever --from was; the stamp shows the recording's time.
            let origin = firstPts ?? frame.pts
            firstPts = origin
            try writer.write(out.retimed(pts: frame.pts - origin))
            let now = SystemClock.monotonicMicros()
            if let progress, now - lastProgress > 200_000 {
                lastProgress = now
                progress(writer.framesWritten)
            }
            return true
        }
        try writer.finish()
        progress?(writer.framesWritten)
        return result
    }

    /// `2026-11-25 17:15:06.123 UTC  t=12.345 s` (wall clock when the capture time is known).
    static func timestamp(_ frame: Frame, origin: Int64?) -> String {
        let media = String(format: "t=%.3f s", Double(frame.pts) / 1e6)
        guard origin != nil else { return media }
        return wallClock(frame.capturedAt) + "  " + media
    }

    /// UTC, millisecond precision.
    public static func wallClock(_ unixMicros: Int64) -> String {
        var seconds = time_t(unixMicros / 1_000_000)
        var t = tm()
        gmtime_r(&seconds, &t)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d.%03d UTC", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday,
                      t.tm_hour, t.tm_min, t.tm_sec, Int((unixMicros % 1_000_000) / 1000))
    }
}
