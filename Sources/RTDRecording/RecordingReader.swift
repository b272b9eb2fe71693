import Foundation
import RTDCore
import RTDMedia

/// Reads a recording's frames with their pts exactly as the file stores them (not shifted to
/// start at 0, unlike a file source: sidecar records name frames by these pts), and can seek.
final class RecordingReader {
    let path: String
    let size: VideoSize
    let frameRate: FrameRate
    /// Media duration in seconds, when the container knows it.
    let duration: Double?
    /// pts (µs) of the first frame.
    let startPts: Int64
    /// Capture wall time (unix µs) of pts 0, from the recorder's tag.
    let captureOrigin: Int64?
    private let file: VideoFileDecoder
    private var lastPts: Int64 = .min
    private var emitted = 0

    init(path: String) throws(MediaError) {
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw MediaError(.notFound, "no such recording: \(path)")
        }
        guard !isDirectory.boolValue else { throw MediaError(.badInput, "\(path) is a folder: give one recording file (a .mkv segment)") }
        guard FileManager.default.isReadableFile(atPath: path) else { throw MediaError(.io, "permission denied reading \(path)") }
        // A read error is where a recording torn by a killed recorder ends.
        file = try VideoFileDecoder(url: path, openError: { MediaError(.badInput, "cannot read recording \($0) (not a video file?)") },
                                    readErrorEndsInput: true)
        size = file.size
        frameRate = file.frameRate
        duration = file.duration
        captureOrigin = file.metadata("RTD_CAPTURED_AT_US").flatMap { Int64($0) }
        startPts = file.startPts ?? 0
    }

    /// Positions reading at the last keyframe at or before `pts` (µs); frames before `pts` still
    /// come out and are the caller's to skip. Returns false if the file cannot seek (the caller
    /// then reads from the start).
    func seek(toPts pts: Int64) throws(MediaError) -> Bool {
        guard try file.seek(toPts: pts) else { return false }
        lastPts = .min
        return true
    }

    /// Back to the first frame (for --loop).
    func rewind() throws(MediaError) {
        if try !seek(toPts: startPts) { throw MediaError(.io, "cannot rewind \(path) to loop it") }
    }

    /// The next frame; `capturedAt` is the recorded capture time when known, else now.
    func next() throws(MediaError) -> Frame? {
        let frame = try file.next(size: size, index: emitted) { stored in
            var pts = stored ?? lastPts + Int64(frameRate.frameDurationMicros)
            if lastPts != .min, pts <= lastPts { pts = lastPts + 1 }
            lastPts = pts
            return (pts, captureOrigin.map { $0 + pts } ?? SystemClock.nowMicros())
        }
        if frame != nil { emitted += 1 }
        return frame
    }
}
