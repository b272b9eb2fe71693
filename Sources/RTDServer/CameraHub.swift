import Foundation
import Logging
import Synchronization
import RTDCore
import RTDMedia
import RTDRecording
import RTDWebRTC

/// A named camera: one capture, its detector, and one encoder per codec and layer that viewers asked for.
public final class Camera: Sendable {
    public let config: CameraConfig
    public let capture: LiveCapture
    public let detector: CameraDetector
    /// What encoders and snapshots see: the capture itself, or with `annotate` the frames with
    /// the detections drawn in.
    public let video: FrameBroadcast
    /// Its sound, encoded once for every listener; nil for a source without audio (only
    /// `testsrc` has sound so far).
    public let audio: AudioTrack?
    private let burnIn: BurnIn?
    private let encoder: LiveEncoder.Settings
    private let bitrateRange: ClosedRange<Int>
    /// Its lower layers, beside the full size.
    public let ladder: LayerLadder
    private let logger: Logger
    private struct TrackKey: Hashable {
        let codec: VideoCodec
        let layer: Int
    }
    /// Encoders and the JPEG feed, made when first asked for.
    private struct Outputs {
        var tracks: [TrackKey: VideoTrack] = [:]
        /// The ladder at the capture size it was computed for (read on every viewer's move).
        var layers: (size: VideoSize, layers: [Layer])?
        var jpeg: JPEGFeed?
    }
    private let outputs = Mutex(Outputs())

    public var name: String { config.name }
    public var spec: SourceSpec { config.source }

    init(config: CameraConfig, pacing: SourceOptions.Pacing, encoder: LiveEncoder.Settings, bitrateRange: ClosedRange<Int>,
         ladder: LayerLadder, logger: Logger) throws {
        self.config = config
        self.ladder = config.layers ?? ladder
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
        if case .testPattern = config.source {
            audio = AudioTrack(camera: config.name, logger: logger) { TestToneSource() }
        } else {
            audio = nil
        }
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

    /// The encodes it offers at its current size: index 0 the full layer, then smaller ones.
    public var layers: [Layer] {
        let size = capture.size
        return outputs.withLock { o in
            if let cached = o.layers, cached.size == size { return cached.layers }
            let layers = ladder.layers(full: size, fullKbps: encoder.bitrateKbps)
            o.layers = (size, layers)
            return layers
        }
    }

    /// The layer a new viewer starts on, before its path is known (`LayerSelector.startLayer`).
    public var startLayer: Int { LayerSelector.startLayer(rates: layers.map(\.kbps)) }

    /// The encoder of `codec` at layer `index` (clamped to the ladder), made when first asked for.
    public func track(for codec: VideoCodec, layer index: Int = 0) -> VideoTrack {
        let layers = self.layers
        let index = min(max(0, index), layers.count - 1)
        return outputs.withLock { o in
            let key = TrackKey(codec: codec, layer: index)
            if let t = o.tracks[key] { return t }
            let layer = layers[index]
            var settings = encoder
            settings.bitrateKbps = layer.kbps
            // A lower layer keeps the full layer's headroom; its floor is the next layer down.
            let ceiling = max(layer.kbps, bitrateRange.upperBound * layer.kbps / max(1, encoder.bitrateKbps))
            let floor = index + 1 < layers.count ? layers[index + 1].kbps : nil
            let range = index == 0 ? bitrateRange : min(bitrateRange.lowerBound, layer.kbps)...ceiling
            let t = VideoTrack(camera: config.name, codec: codec, layer: layer, broadcast: video, frameRate: capture.frameRate,
                               settings: settings, bitrateRange: range, estimateFloor: floor, logger: logger)
            o.tracks[key] = t
            return t
        }
    }

    public var activeTracks: [VideoTrack] { outputs.withLock { Array($0.tracks.values) } }

    /// The layers (by index) some encoder of which runs now: a lower layer only while a viewer is on it.
    public var encodingLayers: Set<Int> {
        outputs.withLock { Set($0.tracks.filter { $0.value.isEncoding }.map(\.key.layer)) }
    }

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
        audio?.stop()
        outputs.withLock { $0.jpeg }?.stop()
    }
}

/// Every camera of a server, by name.
public final class CameraHub: Sendable {
    public let cameras: [Camera]

    /// `encoder` is the default for cameras that set no bitrate of their own.
    /// `ladder`: the lower layers of cameras that name none of their own.
    public init(cameras: [CameraConfig], pacing: SourceOptions.Pacing = .auto, encoder: LiveEncoder.Settings,
                bitrateRange: ClosedRange<Int>, ladder: LayerLadder = .off, logger: Logger) throws {
        var list: [Camera] = []
        for c in cameras {
            list.append(try Camera(config: c, pacing: pacing, encoder: encoder, bitrateRange: bitrateRange, ladder: ladder, logger: logger))
        }
        self.cameras = list
    }

    public func camera(named name: String) -> Camera? { cameras.first { $0.name == name } }
    public var names: [String] { cameras.map(\.name) }

    public func stop() { for c in cameras { c.stop() } }
}
