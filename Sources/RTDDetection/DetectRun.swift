import Foundation
import Logging
import RTDCore
import RTDMedia

/// The `rtd detect` stage: frames in, one detection record per processed frame out, optionally
/// with the frames passed on (annotated) as Y4M.
public struct DetectRun {
    public struct Settings {
        public var detectorSpec = DetectorFactory.defaultSpec
        public var detectorOptions = DetectorOptions()
        public var camera: String?
        /// Run the detector on every Nth frame only (frames in between are passed on untouched).
        public var every = 1
        /// At most this many detections per second (by presentation time); others are passed on.
        public var maxFPS: Double?
        public var annotate = false
        public var limits = FramePump.Limits()
        public init() {}
    }

    public struct Summary {
        public var framesIn = 0
        public var framesProcessed = 0
        public var framesDropped = 0
        public var stats = DetectionStats()
        public var seconds = 0.0
        public var outputClosed = false
        public var detector = ""

        public var text: String {
            String(format: "rtd detect: %d frames in, %d processed, %d dropped in %.2f s (%.1f fps). ",
                   framesIn, framesProcessed, framesDropped, seconds, seconds > 0 ? Double(framesIn) / seconds : 0)
                + stats.summary(detector: detector)
        }
    }

    public static func run(feed: FrameFeed, settings: Settings, records: FileDescriptorWriter,
                           frames: (any FrameSink)?, shouldStop: () -> Bool,
                           progress: ((Int) -> Void)? = nil) throws -> Summary {
        let detector = try DetectorFactory.make(spec: settings.detectorSpec, options: settings.detectorOptions)
        var pipeline = DetectionPipeline(detector: detector, camera: settings.camera)
        var summary = Summary()
        summary.detector = detector.name
        var input = LimitedFeed(feed: feed, limits: settings.limits)
        var lastDetections: [Detection] = []
        var nextDuePts: Int64?
        var lastProgress = input.start
        defer { feed.stop() }
        loop: while !shouldStop(), let frame = try input.next() {
            summary.framesIn += 1
            var process = (summary.framesIn - 1) % max(1, settings.every) == 0
            if process, let fps = settings.maxFPS {
                if let due = nextDuePts, frame.pts < due { process = false } else {
                    nextDuePts = max(nextDuePts ?? frame.pts, frame.pts) + Int64(1_000_000 / fps)
                }
            }
            var out = frame
            if process {
                let record = try pipeline.process(frame)
                summary.framesProcessed += 1
                lastDetections = record.detections
                if try !writeUnlessClosed({ () throws(MediaError) in try records.write(Array((record.jsonLine() + "\n").utf8)) }) {
                    summary.outputClosed = true
                    break loop
                }
            }
            if let frames {
                if settings.annotate && !lastDetections.isEmpty { out = try Annotator.annotate(frame, with: lastDetections) }
                if try !writeUnlessClosed({ () throws(MediaError) in try frames.write(out) }) {
                    summary.outputClosed = true
                    break
                }
            }
            let now = SystemClock.monotonicMicros()
            if let progress, now - lastProgress > 250_000 {
                lastProgress = now
                progress(summary.framesIn)
            }
        }
        summary.framesDropped = feed.droppedFrames
        summary.stats = pipeline.stats
        summary.seconds = Double(SystemClock.monotonicMicros() - input.start) / 1e6
        try frames?.finish()
        return summary
    }

    /// Best guess of a finite input's frame count, for a progress bar (nil when unknown).
    public static func expectedFrames(of spec: SourceSpec) -> Int? {
        guard case .file(let path) = spec else { return nil }
        if path.lowercased().hasSuffix(".y4m") {
            guard let reader = try? FileDescriptorReader.open(path: path), let y = try? Y4MReader(input: reader),
                  let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int else { return nil }
            return size / (y.header.frameByteCount + 6)
        }
        guard let probe = try? MediaProbe.probe(path), let v = probe.streams.first(where: { $0.type == "video" }) else { return nil }
        if let n = v.frames { return n }
        if let d = probe.durationSeconds, let fps = v.fps { return Int(d * fps) }
        return nil
    }
}
