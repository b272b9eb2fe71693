import ArgumentParser
import Foundation
import RTDMedia
import RTDDetection
import RTDRecording

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a recording with its detections, export an annotated video, or summarise it.",
        discussion: """
        Emits the recording's frames as Y4M (Xpts = the frame's pts in the recording, Xts = its
        original capture time when known) at their recorded timing, or faster with --speed, with
        the detection records in step: each record is written when its frame is. The detections
        file is found by itself when it sits beside the video (same name, .jsonl): what
        `rtd serve --record` writes, and what `rtd capture SRC -o x.mkv` with
        `rtd detect ... -o x.jsonl` makes. A malformed line in it is reported (file:line) and skipped.

        With no output option, frames go to stdout. A replay can feed `rtd detect` (detect again
        with another detector) or be served as a camera: `rtd serve --camera NAME=replay:FILE`
        shows the recording with its recorded detections.

        Examples:
          rtd replay rec/cam0/cam0-20261125-171500.mkv | ffplay -
          rtd replay rec.mkv --speed max | rtd detect --detector hog -o again.jsonl
          rtd replay rec.mkv --from 1:30 --to 2:00 --detections-out - --frames-out clip.y4m
          rtd replay rec.mkv --export annotated.mp4
          rtd replay rec.mkv --summary --json
        """)

    @Argument(help: "Recording to replay (mkv, mp4, webm).")
    var recording: String

    @Option(help: ArgumentHelp("Detections file (JSON Lines). Default: the recording's own .jsonl beside it.", valueName: "file"))
    var detections: String?

    @Option(help: ArgumentHelp("1 (recorded timing), 2, 0.5, ... times real time, or max (as fast as the reader takes frames).", valueName: "speed"))
    var speed: String = "1"

    @Option(help: ArgumentHelp("Start this far into the recording: seconds or [HH:]MM:SS[.fff].", valueName: "time"))
    var from: String?

    @Option(help: ArgumentHelp("Stop this far into the recording: seconds or [HH:]MM:SS[.fff].", valueName: "time"))
    var to: String?

    @Flag(help: "Start again at the end (timestamps keep increasing) until interrupted.")
    var loop = false

    @Option(help: ArgumentHelp("Frames as Y4M: - (stdout, the default when nothing else is asked) or a .y4m/.mkv/.mp4 file.", valueName: "file"))
    var framesOut: String?

    @Option(help: ArgumentHelp("Detection records, in step with the frames: - (stdout) or a .jsonl file.", valueName: "file"))
    var detectionsOut: String?

    @Option(help: ArgumentHelp("Write an annotated H.264 video (boxes, labels, track ids, timestamp), e.g. annotated.mp4.", valueName: "file"))
    var export: String?

    @Flag(help: "Print counts per label, first and last seen, and the busiest minutes.")
    var summary = false

    @Flag(help: "With --summary: print it as one JSON object.")
    var json = false

    @Flag(name: .shortAndLong, help: "No progress or notes on stderr (warnings and errors still).")
    var quiet = false

    func validate() throws {
        if speed != "max" {
            guard let s = Double(speed), (0.01...1000).contains(s) else {
                throw ValidationError("--speed must be 0.01 .. 1000 or max, e.g. 1, 2 or max")
            }
        }
        if json && !summary { throw ValidationError("--json formats the --summary output; add --summary") }
        if export != nil && (framesOut != nil || detectionsOut != nil || loop) {
            throw ValidationError("--export writes a file by itself; it cannot be combined with --frames-out, --detections-out or --loop")
        }
        if framesOut == "-" && detectionsOut == "-" {
            throw ValidationError("--frames-out - and --detections-out - both want stdout: write one of them to a file")
        }
        if summary && (framesOut == "-" || detectionsOut == "-") {
            throw ValidationError("--summary prints on stdout; write --frames-out/--detections-out to files")
        }
        if summary && loop { throw ValidationError("--summary reads the recording once; drop --loop") }
    }

    func run() throws {
        do {
            var settings = ReplaySettings(recording: recording)
            settings.detections = detections
            settings.speed = speed == "max" ? nil : Double(speed)
            settings.from = try from.map { try ReplaySettings.parseTime($0) }
            settings.to = try to.map { try ReplaySettings.parseTime($0) }
            settings.loop = loop
            if let f = settings.from, let t = settings.to, t <= f { throw MediaError(.badInput, "--to must be after --from") }
            let streaming = framesOut != nil || detectionsOut != nil || (export == nil && !summary)
            let frameTarget = streaming && (framesOut != nil || detectionsOut == nil) ? framesOut ?? "-" : nil
            if frameTarget == "-" && isatty(1) == 1 {
                throw MediaError(.badInput, "refusing to write binary Y4M video to a terminal: pipe it (| ffplay -, | rtd detect), "
                    + "or use --frames-out FILE, --export FILE or --summary")
            }
            let replay = try Replay(settings: settings)
            if let sidecar = replay.sidecar {
                for w in sidecar.warnings.prefix(20) { note("rtd replay: warning: \(w)") }
                if sidecar.warnings.count > 20 { note("rtd replay: warning: \(sidecar.warnings.count - 20) more malformed lines in \(sidecar.path)") }
            }
            if (detectionsOut != nil || summary) && replay.sidecar == nil {
                throw MediaError(.notFound, "no detections for \(recording): no \(SegmentNaming.sidecarPath(forVideo: recording)) "
                    + "beside it; give one with --detections FILE")
            }
            Interrupt.install()
            if let export {
                try runExport(replay, to: export)
            }
            if streaming {
                try runStream(replay, frames: frameTarget)
            }
            if summary {
                let s = RecordingSummary.make(recording: recording, sidecar: replay.sidecar, startPts: replay.startPts,
                                              captureOrigin: replay.captureOrigin, from: settings.from, to: settings.to)
                print(json ? s.json() : s.text)
            }
        } catch let error as MediaError {
            throw fail("replay", error.message)
        }
    }

    private func runStream(_ replay: Replay, frames frameTarget: String?) throws(MediaError) {
        let sink = try frameTarget.map { (t) throws(MediaError) in
            try FrameSinkFactory.open(output: t, size: replay.size, frameRate: replay.frameRate, encoder: EncoderOptions())
        }
        let records: FileDescriptorWriter? = try detectionsOut.map { (t) throws(MediaError) in
            t == "-" ? FileDescriptorWriter(fd: 1, name: "stdout") : try FileDescriptorWriter.create(path: t)
        }
        let result = try replay.run(paced: true, shouldStop: { Interrupt.requested }) { (frame, batch) throws(MediaError) -> Bool in
            if let sink, try !writeUnlessClosed({ () throws(MediaError) in try sink.write(frame) }) { return false }
            if let records {
                var text = ""
                for r in batch { text += r.jsonLine() + "\n" }
                if !text.isEmpty, try !writeUnlessClosed({ () throws(MediaError) in try records.write(Array(text.utf8)) }) { return false }
            }
            return true
        }
        try sink?.finish()
        if !quiet {
            note(String(format: "rtd replay: %d frames, %d records from %@ in %.2f s%@%@", result.frames, result.records, recording,
                        result.seconds, result.passes > 1 ? " (\(result.passes) passes)" : "",
                        result.stoppedByConsumer ? "; reader closed the pipe" : ""))
        }
    }

    private func runExport(_ replay: Replay, to path: String) throws(MediaError) {
        let total = replay.expectedFrames
        let showProgress = !quiet && isatty(2) == 1
        let result = try ReplayExport.run(replay, to: path, shouldStop: { Interrupt.requested },
                                          progress: showProgress ? { n in
            let pct = total.map { min(100, 100 * n / max(1, $0)) } ?? 0
            let bar = String(repeating: "#", count: pct / 4).padding(toLength: 25, withPad: ".", startingAt: 0)
            FileHandle.standardError.write(Data("\r[\(bar)] \(pct)% \(n)/\(total.map(String.init) ?? "?") frames".utf8))
        } : nil)
        if showProgress { note("") }
        if !quiet {
            note(String(format: "rtd replay: exported %d frames (%d records drawn) to %@ in %.2f s", result.frames, result.records,
                        path, result.seconds))
        }
    }
}

/// `rtd serve` recording options.
struct RecordArguments: ParsableArguments {
    @Option(help: ArgumentHelp("Record every camera's H.264 (the stream viewers get, not encoded again) and detections into DIR/CAMERA/CAMERA-YYYYmmdd-HHMMSS.mkv + .jsonl (UTC).", valueName: "dir"))
    var record: String?

    @Option(help: ArgumentHelp("Length of one recording segment, e.g. 10m, 1h, 90s. Default 10m.", valueName: "duration"))
    var segment: String?

    @Option(help: ArgumentHelp("Delete segments older than this, e.g. 7d, 12h (default: keep).", valueName: "duration"))
    var retain: String?

    @Option(help: ArgumentHelp("Delete the oldest segments while DIR holds more than this, e.g. 50G, 500M (default: no limit).", valueName: "size"))
    var maxSize: String?

    func validate() throws {
        do throws(MediaError) {
            _ = try settings
        } catch {
            throw ValidationError(error.message)
        }
    }

    var settings: RecordingSettings? {
        get throws(MediaError) { try Self.settings(directory: record, segment: segment, retain: retain, maxSize: maxSize) }
    }

    /// The recording settings for `directory` (from the flags, or the config file with the flags
    /// applied), nil without one.
    static func settings(directory: String?, segment: String?, retain: String?, maxSize: String?) throws(MediaError) -> RecordingSettings? {
        guard let record = directory else { return nil }
        var s = RecordingSettings(directory: record, segmentSeconds: try RecordingSettings.parseDuration(segment ?? "10m", what: "--segment"))
        if let retain { s.retainSeconds = try RecordingSettings.parseDuration(retain, what: "--retain") }
        if let maxSize { s.maxBytes = try RecordingSettings.parseSize(maxSize) }
        return s
    }
}
