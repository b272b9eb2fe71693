import ArgumentParser
import Foundation
import Logging
import RTDMedia
import RTDDetection
import RTDServer

/// Detector choice and tuning, shared by `detect` and `serve`. Every option is optional so
/// `serve` can tell a flag given (it overrides the config file) from a default.
struct DetectorArguments: ParsableArguments {
    @Option(help: ArgumentHelp("motion (default; MOG2 background subtraction), hog (people), haar[:FILE.xml] (faces by default), yolo:FILE.onnx (YOLOv5/v8 ONNX), or none.", valueName: "detector"))
    var detector: String?

    @Option(help: ArgumentHelp("motion: smallest box, in pixels of the frame (default: 0.1% of the frame).", valueName: "pixels"))
    var minArea: Int?

    @Option(help: ArgumentHelp("motion: 0 (only strong changes) ... 1 (every flicker). Default 0.5.", valueName: "0-1"))
    var sensitivity: Double?

    @Option(help: ArgumentHelp("hog: window stride in pixels (larger is faster, coarser). Default 8.", valueName: "pixels"))
    var hogStride: Int?

    @Option(help: ArgumentHelp("hog/haar: image pyramid scale step (default: hog 1.05, haar 1.1).", valueName: "factor"))
    var scale: Double?

    @Option(help: ArgumentHelp("hog: SVM decision threshold; raise it to reject weak hits. Default 0.", valueName: "value"))
    var hitThreshold: Double?

    @Option(help: ArgumentHelp("haar: label of the detected objects (default: from the cascade's file name, e.g. face).", valueName: "name"))
    var label: String?

    @Option(help: ArgumentHelp("haar: neighbours a hit needs to count. Default 5.", valueName: "n"))
    var minNeighbors: Int?

    @Option(help: ArgumentHelp("haar: smallest object side in pixels. Default 30.", valueName: "pixels"))
    var minSize: Int?

    @Option(help: ArgumentHelp("yolo: class names, one per line (default: COCO's 80).", valueName: "file"))
    var labels: String?

    @Option(help: ArgumentHelp("yolo: model input size when the model does not fix it. Default 640.", valueName: "pixels"))
    var inputSize: Int?

    @Option(help: ArgumentHelp("yolo: minimum score. Default 0.25.", valueName: "0-1"))
    var confidence: Double?

    @Option(help: ArgumentHelp("yolo: IoU above which overlapping boxes of one class are merged. Default 0.45.", valueName: "0-1"))
    var nms: Double?

    @Option(help: ArgumentHelp("Threads OpenCV may use (detection runs on its own thread either way).", valueName: "n"))
    var threads: Int = 1

    func validate() throws {
        try requireRange(sensitivity, 0...1, "--sensitivity")
        try requireRange(confidence, 0...1, "--confidence")
        try requireRange(nms, 0...1, "--nms")
        try requireRange(threads, 1...256, "--threads")
        try requireRange(minArea, 0...Y4MStreamHeader.maxPixels, "--min-area", " pixels")
        try requireRange(hogStride, 1...256, "--hog-stride", " pixels")
        try requireRange(scale, 1.001...4, "--scale")
        try requireRange(hitThreshold, -1e6...1e6, "--hit-threshold")
        try requireRange(minNeighbors, 0...1000, "--min-neighbors")
        try requireRange(minSize, 0...16384, "--min-size", " pixels")
        try requireRange(inputSize, 32...4096, "--input-size", " pixels")
    }

    var spec: String { detector ?? DetectorFactory.defaultSpec }

    var options: DetectorOptions { apply(to: DetectorOptions()) }

    /// `base` with every option given on the command line set.
    func apply(to base: DetectorOptions) -> DetectorOptions {
        var o = base
        if let sensitivity { o.motion.sensitivity = sensitivity }
        if let minArea { o.motion.minArea = minArea }
        if let hogStride { o.hog.winStride = hogStride }
        if let hitThreshold { o.hog.hitThreshold = hitThreshold }
        if let scale { o.hog.scale = scale; o.haar.scaleFactor = scale }
        if let label { o.haar.label = label }
        if let minNeighbors { o.haar.minNeighbors = minNeighbors }
        if let minSize { o.haar.minSize = minSize }
        if let labels { o.yolo.labelsFile = labels }
        if let inputSize { o.yolo.inputSize = inputSize }
        if let confidence { o.yolo.confidence = confidence }
        if let nms { o.yolo.nmsIoU = nms }
        return o
    }
}

struct DetectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Run object detection on frames and write one JSON Lines record per processed frame.",
        discussion: """
        Reads Y4M on stdin by default (or any source) and writes one detection record per
        processed frame to stdout (or -o FILE). Frames from stdin or a file are all processed;
        a camera or stream opened here is processed newest-frame-first, dropping what detection
        cannot keep up with. With --frames-out, frames go on as Y4M (boxes drawn with --annotate).

        Record: {"type":"detections","camera":"cam0","frame":42,"pts_us":1400000,
          "captured_at_us":1764070000000000,"width":640,"height":480,"detector":"motion",
          "inference_us":850,"detections":[{"label":"motion","score":0.91,"box":[120,80,64,128],"track_id":7}]}

        Examples:
          rtd capture testsrc --frames 300 | rtd detect > detections.jsonl
          rtd capture /dev/video0 | rtd detect --detector hog --frames-out - --annotate -o people.jsonl | ffplay -
          rtd detect clip.mp4 --detector yolo:yolov8n.onnx --confidence 0.4 -o clip.jsonl
          ffmpeg -i clip.mp4 -f yuv4mpegpipe - | rtd detect --detector haar
        """)

    @Argument(help: "Source: - (Y4M on stdin, the default), testsrc, /dev/videoN, rtsp://..., a file...")
    var source: String = "-"

    @OptionGroup(title: "Detector") var detectorArguments: DetectorArguments

    @Option(name: .shortAndLong, help: ArgumentHelp("Where records go: - (stdout, the default) or a .jsonl file.", valueName: "file"))
    var output: String = "-"

    @Option(help: ArgumentHelp("Pass frames on as Y4M: - (stdout) or a .y4m/.mkv/.mp4 file. With -, records need -o FILE.", valueName: "file"))
    var framesOut: String?

    @Flag(help: "Draw boxes, labels, scores and track ids into the frames passed on with --frames-out.")
    var annotate = false

    @Option(help: ArgumentHelp("Detect on every Nth frame only.", valueName: "n"))
    var every: Int = 1

    @Option(help: ArgumentHelp("Detect at most this many times per second of video.", valueName: "rate"))
    var maxFps: Double?

    @Option(help: ArgumentHelp("Camera name put in each record's \"camera\" field.", valueName: "name"))
    var camera: String?

    @Option(help: "Stop after this many input frames.")
    var frames: Int?

    @Option(help: ArgumentHelp("Stop after this many seconds.", valueName: "seconds"))
    var duration: Double?

    @OptionGroup(title: "Source") var sourceArguments: SourceArguments

    @Flag(name: .shortAndLong, help: "No summary or progress on stderr.")
    var quiet = false

    @OptionGroup var logging: LoggingArguments

    func validate() throws {
        try requireRange(every, 1...1_000_000, "--every")
        try requireRange(maxFps, 0.001...1000, "--max-fps")
        try requireRange(frames, 1...Int.max, "--frames")
        try requireRange(duration, 0.001...1e9, "--duration", " s")
        if framesOut == "-" && output == "-" {
            throw ValidationError("--frames-out - writes frames to stdout, so records need a file: add -o detections.jsonl")
        }
        if annotate && framesOut == nil { throw ValidationError("--annotate draws into the frames of --frames-out; add --frames-out") }
    }

    func run() throws {
        logging.bootstrap()
        OpenCVThreads.set(detectorArguments.threads)
        do {
            let spec = try SourceSpec.parse(source)
            let records: FileDescriptorWriter
            if output == "-" {
                records = FileDescriptorWriter(fd: 1, name: "stdout")
            } else {
                records = try FileDescriptorWriter.create(path: output)
            }
            var settings = DetectRun.Settings()
            settings.detectorSpec = detectorArguments.spec
            settings.detectorOptions = detectorArguments.options
            settings.camera = camera
            settings.every = every
            settings.maxFPS = maxFps
            settings.annotate = annotate
            settings.limits = .init(frames: frames, duration: duration)
            // Build the detector first: a bad model is reported before a camera is opened.
            _ = try DetectorFactory.make(spec: settings.detectorSpec, options: settings.detectorOptions)
            let feed = try FrameFeed.open(spec, options: sourceArguments.options, factory: .all, logger: Logger(label: "rtd.detect"))
            let sink = try framesOut.map {
                try FrameSinkFactory.open(output: $0, size: feed.size, frameRate: feed.frameRate, encoder: EncoderOptions())
            }
            Interrupt.install()
            let total = !quiet && isatty(2) == 1 ? DetectRun.expectedFrames(of: spec) : nil
            let summary = try DetectRun.run(
                feed: feed, settings: settings, records: records, frames: sink, shouldStop: { Interrupt.requested },
                progress: total.map { total in { n in
                    let pct = min(100, 100 * n / max(1, total))
                    let bar = String(repeating: "#", count: pct / 4).padding(toLength: 25, withPad: ".", startingAt: 0)
                    FileHandle.standardError.write(Data("\r[\(bar)] \(pct)% \(n)/\(total) frames".utf8))
                } })
            if total != nil { note("") }
            if !quiet { note(summary.text) }
        } catch let error as MediaError {
            throw fail("detect", error.message)
        } catch let error as DetectionError {
            throw fail("detect", error.message)
        }
    }
}
