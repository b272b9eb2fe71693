import Foundation
import Logging
import Synchronization
import RTDCore
import RTDMedia
import RTDRecording

/// A named camera: one capture, its detector, and one encoder per codec that viewers asked for.
public final class Camera: Sendable {
    public let config: CameraConfig
    public let capture: LiveCapture
    public let detector: CameraDetector
    /// What encoders and snapshots see: the capture itself, or with `annotate` the frames with
    /// the detections drawn in.
    public let video: FrameBroadcast
    private let burnIn: BurnIn?
    private let encoder: LiveEncoder.Settings
    private let bitrateRange: ClosedRange<Int>
    private let logger: Logger
    /// Encoders and the JPEG feed, made when first asked for.
    private struct Outputs {
        var tracks: [VideoCodec: VideoTrack] = [:]
        var jpeg: JPEGFeed?
    }
    private let outputs = Mutex(Outputs())

    public var name: String { config.name }
    public var spec: SourceSpec { config.source }

    init(config: CameraConfig, pacing: SourceOptions.Pacing, encoder: LiveEncoder.Settings, bitrateRange: ClosedRange<Int>,
         logger: Logger) throws {
        self.config = config
        var encoder = encoder
        if let kbps = config.bitrateKbps { encoder.bitrateKbps = kbps }
        self.encoder = encoder
        self.bitrateRange = min(bitrateRange.lowerBound, encoder.bitrateKbps)...max(bitrateRange.upperBound, encoder.bitrateKbps)
        var logger = logger
        logger[metadataKey: "camera"] = "\(config.name)"
        self.logger = logger
        capture = try LiveCapture(spec: config.source, options: SourceOptions(size: config.size, frameRate: config.frameRate, pacing: pacing,
                                                                         consumer: config.name),
                                  factory: .all, logger: logger, retryFirstOpen: true)
        if case .replay(let path) = config.source {
            // A replayed recording shows the detections recorded with it, not a new detector's.
            detector = CameraDetector(camera: config.name, broadcast: capture.frames, detector: RecordedDetector(recording: path, consumer: config.name),
                                      tracking: false, logger: logger)
        } else {
            detector = try CameraDetector(camera: config.name, broadcast: capture.frames, detectorSpec: config.detector,
                                          options: config.detectorOptions, logger: logger)
        }
        if config.annotate {
            let b = BurnIn(input: capture.frames, detector: detector, camera: config.name, logger: logger)
            burnIn = b
            video = b.output
        } else {
            burnIn = nil
            video = capture.frames
        }
    }

    /// The codecs this camera offers: its own setting, else the server's list.
    public func codecs(serverDefault: [VideoCodec]) -> [VideoCodec] {
        config.codec.map { [$0] } ?? serverDefault
    }

    /// Starts the encoders viewers are expected to ask for, ahead of the first viewer.
    func prepare(_ codecs: [VideoCodec]) {
        for c in codecs { _ = track(for: c) }
    }

    public func track(for codec: VideoCodec) -> VideoTrack {
        outputs.withLock { o in
            if let t = o.tracks[codec] { return t }
            let t = VideoTrack(camera: config.name, codec: codec, broadcast: video, frameRate: capture.frameRate, settings: encoder,
                               bitrateRange: bitrateRange, logger: logger)
            o.tracks[codec] = t
            return t
        }
    }

    public var activeTracks: [VideoTrack] { outputs.withLock { Array($0.tracks.values) } }

    /// Viewers on the WebSocket fallback (WebRTC peers are counted by the endpoint).
    public var webSocketViewers: Int { outputs.withLock { $0.jpeg }?.viewerCount ?? 0 }

    /// The JPEG stills for WebSocket viewers (of `video`, like the encoders), made when the first one asks.
    public func jpegFeed(maxFPS: Double) -> JPEGFeed {
        outputs.withLock { o in
            if let jpeg = o.jpeg { return jpeg }
            let feed = JPEGFeed(camera: name, broadcast: video, maxFPS: maxFPS, logger: logger)
            o.jpeg = feed
            return feed
        }
    }

    func stop() {
        burnIn?.stop()
        capture.stop()
        detector.stop()
        for t in activeTracks { t.stop() }
        outputs.withLock { $0.jpeg }?.stop()
    }
}

/// Every camera of a server, by name.
public final class CameraHub: Sendable {
    public let cameras: [Camera]

    /// `encoder` is the default for cameras that set no bitrate of their own.
    public init(cameras: [CameraConfig], pacing: SourceOptions.Pacing = .auto, encoder: LiveEncoder.Settings,
                bitrateRange: ClosedRange<Int>, logger: Logger) throws {
        var list: [Camera] = []
        for c in cameras {
            list.append(try Camera(config: c, pacing: pacing, encoder: encoder, bitrateRange: bitrateRange, logger: logger))
        }
        self.cameras = list
    }

    public func camera(named name: String) -> Camera? { cameras.first { $0.name == name } }
    public var names: [String] { cameras.map(\.name) }

    public func stop() { for c in cameras { c.stop() } }
}
