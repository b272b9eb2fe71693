import ArgumentParser
import Foundation
import Logging
import RTDMedia

struct CaptureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Read frames from a source and write them as Y4M, or record them to H.264 (mkv/mp4).",
        discussion: """
        Writes Y4M (4:2:0, with Xpts/Xts timing on every FRAME) to stdout by default, so any tool
        that reads YUV4MPEG2 can follow. Live sources (cameras, streams, testsrc) run at their own
        pace: when the reader is slow, old frames are dropped and counted, never queued. A live
        source that fails is reopened with backoff.

        Examples:
          rtd capture testsrc | ffplay -
          rtd capture /dev/video0 --size 1280x720 --fps 30 | rtd detect
          rtd capture rtsp://10.0.0.7/stream --duration 60 -o door.mkv
          rtd capture testsrc --size 1920x1080 --pace fast --frames 600 > /dev/null
        """)

    @Argument(help: "Source: testsrc, testsrc:stamp, /dev/videoN, rtsp://..., http(s)://..., a file, or - (Y4M on stdin).")
    var source: String

    @OptionGroup var sourceArguments: SourceArguments

    @Option(name: .shortAndLong, help: ArgumentHelp("Output: - (Y4M on stdout), FILE.y4m, or FILE.mkv / FILE.mp4 (H.264).", valueName: "file"))
    var output: String = "-"

    @Option(help: "Stop after this many frames.")
    var frames: Int?

    @Option(help: ArgumentHelp("Stop after this many seconds (wall clock for live sources, media time for files).", valueName: "seconds"))
    var duration: Double?

    @Option(help: "H.264 preset for mkv/mp4 output (ultrafast ... veryslow).")
    var preset: String = "veryfast"

    @Option(help: "H.264 tune for mkv/mp4 output, e.g. zerolatency or film.")
    var tune: String?

    @Option(help: "H.264 constant quality for mkv/mp4 output (0-51, lower is better); ignored with --bitrate.")
    var crf: Int = 23

    @Option(help: ArgumentHelp("H.264 target bitrate in kbit/s for mkv/mp4 output.", valueName: "kbps"))
    var bitrate: Int?

    @Option(help: ArgumentHelp("Keyframe interval in frames for mkv/mp4 output (default: 2 seconds).", valueName: "frames"))
    var keyint: Int?

    @Flag(name: .shortAndLong, help: "Print nothing on stderr except errors.")
    var quiet = false

    @OptionGroup var logging: LoggingArguments

    func validate() throws {
        try requireRange(frames, 1...Int.max, "--frames")
        try requireRange(duration, 0.001...1e9, "--duration", " s")
        try requireRange(crf, 0...51, "--crf")
        try requireRange(bitrate, 1...VideoFileWriter.maxBitrateKbps, "--bitrate", " kbit/s")
        try requireRange(keyint, 1...VideoFileWriter.maxKeyframeInterval, "--keyint", " frames")
    }

    func run() throws {
        logging.bootstrap()
        let logger = Logger(label: "rtd.capture")
        var encoder = EncoderOptions()
        encoder.preset = preset
        encoder.tune = tune
        encoder.crf = crf
        encoder.bitrateKbps = bitrate
        encoder.keyframeInterval = keyint
        do {
            let spec = try SourceSpec.parse(source)
            try FrameSinkFactory.refuseTerminal(output)
            let feed = try FrameFeed.open(spec, options: sourceArguments.options, factory: .all, logger: logger)
            let sink = try FrameSinkFactory.open(output: output, size: feed.size, frameRate: feed.frameRate, encoder: encoder)
            if !quiet, let file = sink as? VideoFileWriter, file.encodedSize != feed.size {
                note("rtd capture: \(feed.size) is odd: recording \(file.encodedSize) (last column/row repeated; H.264 4:2:0 needs even sizes)")
            }
            Interrupt.install()
            let showProgress = !quiet && isatty(2) == 1
            let result = try FramePump.run(
                feed: feed, sink: sink, limits: .init(frames: frames, duration: duration),
                shouldStop: { Interrupt.requested },
                progress: showProgress ? { n, t in
                    FileHandle.standardError.write(Data(String(format: "\r%d frames, %.1f s, %.1f fps, %d dropped ", n, t, Double(n) / t, feed.droppedFrames).utf8))
                } : nil)
            if showProgress { note("") }
            if !quiet {
                let fps = result.seconds > 0 ? Double(result.frames) / result.seconds : 0
                let target = output == "-" ? "stdout" : output
                note(String(format: "rtd capture: %d frames (%@ @ %@ fps) from %@ to %@ in %.2f s (%.1f fps), %d dropped%@",
                            result.frames, feed.size.description, feed.frameRate.description, spec.description, target,
                            result.seconds, fps, feed.droppedFrames, result.outputClosed ? "; reader closed the pipe" : ""))
            }
        } catch {
            throw fail("capture", error.message)
        }
    }
}
