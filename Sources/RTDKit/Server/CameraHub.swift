import Foundation
import Logging

/// A named camera: one capture, and one encoder per codec that viewers asked for.
public final class Camera: @unchecked Sendable {
    public let name: String
    public let spec: SourceSpec
    public let capture: LiveCapture
    private let encoder: LiveEncoder.Settings
    private let logger: Logger
    // Guarded by `lock`.
    private let lock = NSLock()
    private var tracks: [VideoCodecKind: VideoTrack] = [:]

    init(name: String, spec: SourceSpec, options: SourceOptions, encoder: LiveEncoder.Settings, bitrateRange: ClosedRange<Int>,
         logger: Logger) throws(MediaError) {
        self.name = name
        self.spec = spec
        self.encoder = encoder
        self.bitrateRange = bitrateRange
        self.logger = logger
        capture = try LiveCapture(spec: spec, options: options, logger: logger, retryFirstOpen: true)
    }

    /// Starts the encoders viewers are expected to ask for, ahead of the first viewer.
    func prepare(_ codecs: [VideoCodecKind]) {
        for c in codecs { _ = track(for: c) }
    }

    let bitrateRange: ClosedRange<Int>

    public func track(for codec: VideoCodecKind) -> VideoTrack {
        lock.withLock {
            if let t = tracks[codec] { return t }
            var s = encoder
            s.codec = codec == .h264 ? .h264 : .vp8
            let t = VideoTrack(codec: codec, broadcast: capture.frames, frameRate: capture.frameRate, settings: s,
                               bitrateRange: bitrateRange, logger: logger)
            tracks[codec] = t
            return t
        }
    }

    public var activeTracks: [VideoTrack] { lock.withLock { Array(tracks.values) } }

    func stop() {
        capture.stop()
        for t in activeTracks { t.stop() }
    }
}

/// Every camera of a server, by name.
public final class CameraHub: Sendable {
    public let cameras: [Camera]

    public init(cameras: [(name: String, source: SourceSpec)], options: SourceOptions, encoder: LiveEncoder.Settings,
                bitrateRange: ClosedRange<Int>, logger: Logger) throws(MediaError) {
        var list: [Camera] = []
        for c in cameras {
            list.append(try Camera(name: c.name, spec: c.source, options: options, encoder: encoder, bitrateRange: bitrateRange,
                                   logger: logger))
        }
        self.cameras = list
    }

    public func camera(named name: String) -> Camera? { cameras.first { $0.name == name } }
    public var names: [String] { cameras.map(\.name) }

    public func stop() { for c in cameras { c.stop() } }
}
