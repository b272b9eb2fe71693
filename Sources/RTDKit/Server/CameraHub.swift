import Foundation
import Logging

/// A named camera: one capture, and one encoder per codec that viewers asked for.
public final class Camera: @unchecked Sendable {
    public let name: String
    public let spec: SourceSpec
    public let capture: LiveCapture
    public let detector: CameraDetector
    private let encoder: LiveEncoder.Settings
    private let logger: Logger
    // Guarded by `lock`.
    private let lock = NSLock()
    private var tracks: [VideoCodecKind: VideoTrack] = [:]

    init(name: String, spec: SourceSpec, options: SourceOptions, encoder: LiveEncoder.Settings, bitrateRange: ClosedRange<Int>,
         detection: DetectionSettings, logger: Logger) throws {
        self.name = name
        self.spec = spec
        self.encoder = encoder
        self.bitrateRange = bitrateRange
        self.logger = logger
        capture = try LiveCapture(spec: spec, options: options, logger: logger, retryFirstOpen: true)
        if case .replay(let path) = spec {
            // A replayed recording shows the detections recorded with it, not a new detector's.
            detector = CameraDetector(camera: name, broadcast: capture.frames, detector: RecordedDetector(recording: path),
                                      tracking: false, logger: logger)
        } else {
            detector = try CameraDetector(camera: name, broadcast: capture.frames, detectorSpec: detection.spec,
                                          options: detection.options, logger: logger)
        }
    }

    /// Starts the encoders viewers are expected to ask for, ahead of the first viewer.
    func prepare(_ codecs: [VideoCodecKind]) {
        for c in codecs { _ = track(for: c) }
    }

    let bitrateRange: ClosedRange<Int>

    public func track(for codec: VideoCodecKind) -> VideoTrack {
        lock.withLock {
            if let t = tracks[codec] { return t }
            let t = VideoTrack(codec: codec, broadcast: capture.frames, frameRate: capture.frameRate, settings: encoder,
                               bitrateRange: bitrateRange, logger: logger)
            tracks[codec] = t
            return t
        }
    }

    public var activeTracks: [VideoTrack] { lock.withLock { Array(tracks.values) } }

    func stop() {
        capture.stop()
        detector.stop()
        for t in activeTracks { t.stop() }
    }
}

/// Which detector every camera runs, and its tuning.
public struct DetectionSettings: Sendable {
    public var spec: String
    public var options: DetectorOptions
    public init(spec: String = DetectorFactory.defaultSpec, options: DetectorOptions = DetectorOptions()) {
        self.spec = spec
        self.options = options
    }
}

/// Every camera of a server, by name.
public final class CameraHub: Sendable {
    public let cameras: [Camera]

    public init(cameras: [(name: String, source: SourceSpec)], options: SourceOptions, encoder: LiveEncoder.Settings,
                bitrateRange: ClosedRange<Int>, detection: DetectionSettings = DetectionSettings(), logger: Logger) throws {
        var list: [Camera] = []
        for c in cameras {
            list.append(try Camera(name: c.name, spec: c.source, options: options, encoder: encoder, bitrateRange: bitrateRange,
                                   detection: detection, logger: logger))
        }
        self.cameras = list
    }

    public func camera(named name: String) -> Camera? { cameras.first { $0.name == name } }
    public var names: [String] { cameras.map(\.name) }

    public func stop() { for c in cameras { c.stop() } }
}
