import Foundation
import RTDCore
import RTDMedia
import RTDDetection

/// `replay:FILE` as a source (serve, detect, capture): the recording's frames at their original
/// timing (as fast as pulled with `--pace fast`), played once, stamped with the time they are
/// replayed (they stand in for a camera now). Each frame's recorded detections are posted to
/// the recording's `RecordedDetections`, where a RecordedDetector finds them by capture time.
public final class ReplaySource: FrameSource {
    private let replay: Replay
    private let converter: FrameConverter
    private var limiter: FrameRateLimiter?
    private let paced: Bool
    private let board: RecordedDetections
    private var emitted = 0
    public let size: VideoSize
    public let frameRate: FrameRate
    public var droppedFrames: Int { limiter?.skipped ?? 0 }

    public init(path: String, options: SourceOptions) throws(MediaError) {
        replay = try Replay(settings: ReplaySettings(recording: path))
        size = options.size ?? replay.size
        frameRate = options.frameRate ?? replay.frameRate
        converter = FrameConverter(target: options.size)
        if let r = options.frameRate { limiter = FrameRateLimiter(rate: r) }
        paced = options.pacing != .fast
        board = RecordedDetections.board(for: path, consumer: options.consumer)
        board.setDetector(replay.sidecar?.records.first?.detector)
    }

    public func nextFrame() throws(MediaError) -> Frame? {
        while case let (frame, records)? = try replay.next(paced: paced) {
            board.advance(with: records)
            if limiter?.admit(pts: frame.pts) == false { continue }
            let now = SystemClock.nowMicros()
            let out = try converter.convert(frame.retimed(capturedAt: now), index: emitted)
            emitted += 1
            board.post(capturedAt: now)
            return out
        }
        return nil
    }
}

/// The recorded detections of one replayed recording, by the capture time its frames were given
/// when replayed: how a server camera playing `replay:FILE` shows the recording's own detections
/// instead of running a detector. Shared between the source (which the capture thread owns and
/// may reopen) and the camera's RecordedDetector, so it is found by the recording's path and the
/// camera playing it.
public final class RecordedDetections: @unchecked Sendable { // state guarded by `lock`, registry by `registryLock`
    // Guarded by `lock`.
    private let lock = NSLock()
    private var current: [Detection] = []
    private var byCapture: [(capturedAt: Int64, detections: [Detection])] = []
    private var detectorName: String?
    static let remembered = 256

    private static let registryLock = NSLock()
    nonisolated(unsafe) private static var registry: [String: RecordedDetections] = [:]

    public static func board(for path: String, consumer: String?) -> RecordedDetections {
        let key = "\(consumer ?? "")\u{0}\(path)"
        return registryLock.withLock {
            if let b = registry[key] { return b }
            let b = RecordedDetections()
            registry[key] = b
            return b
        }
    }

    func setDetector(_ name: String?) { lock.withLock { if let name { detectorName = name } } }

    var detector: String? { lock.withLock { detectorName } }

    /// Records delivered with a frame: the newest one's boxes are what that frame shows (frames
    /// the recorded detector skipped keep showing its last boxes).
    func advance(with records: [DetectionRecord]) {
        guard let last = records.last else { return }
        lock.withLock { current = last.detections }
    }

    func post(capturedAt: Int64) {
        lock.withLock {
            byCapture.append((capturedAt, current))
            if byCapture.count > Self.remembered { byCapture.removeFirst(byCapture.count - Self.remembered) }
        }
    }

    /// The detections shown with the frame replayed at `capturedAt` (nil: not a recent frame).
    public func detections(capturedAt: Int64) -> [Detection]? {
        lock.withLock { byCapture.last { $0.capturedAt == capturedAt }?.detections }
    }
}

/// A "detector" that reports what the recording's sidecar says about each replayed frame.
public struct RecordedDetector: Detector {
    public let name: String
    private let board: RecordedDetections

    /// Opens the sidecar beside `recording` (or none: no boxes) to learn the detector's name.
    public init(recording path: String, consumer: String?) {
        board = RecordedDetections.board(for: path, consumer: consumer)
        let sidecar = try? Sidecar.load(path: SegmentNaming.sidecarPath(forVideo: path))
        name = sidecar?.records.first?.detector ?? board.detector ?? "recorded"
    }

    public func detect(_ frame: Frame) throws -> [Detection] {
        board.detections(capturedAt: frame.capturedAt) ?? []
    }
}
