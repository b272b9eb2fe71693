import RTDCore
/// Where frames go: Y4M on a pipe or file, or an encoded recording.
public protocol FrameSink: AnyObject {
    func write(_ frame: Frame) throws(MediaError)
    /// Completes the output (flushes encoders, writes trailers). Safe to call more than once.
    func finish() throws(MediaError)
}

extension Y4MWriter: FrameSink {
    public func finish() throws(MediaError) {}
}

extension VideoFileWriter: FrameSink {}

public enum FrameSinkFactory {
    /// Y4M on stdout is binary video: refuse it when stdout is a terminal. Callable before a
    /// source is opened, so a camera is not started for nothing.
    public static func refuseTerminal(_ output: String) throws(MediaError) {
        guard output == "-", FileDescriptorWriter(fd: 1, name: "stdout").isTerminal else { return }
        throw MediaError(.badInput, "refusing to write binary Y4M video to a terminal: pipe it into another program "
            + "(e.g. | ffplay -, | rtd detect) or write a file with -o clip.mkv")
    }

    /// `-` is Y4M on stdout; `.y4m` a Y4M file; `.mkv`, `.mp4`, `.mov` an H.264 recording.
    public static func open(output: String, size: VideoSize, frameRate: FrameRate,
                            encoder: EncoderOptions) throws(MediaError) -> any FrameSink {
        if output == "-" {
            try refuseTerminal(output)
            return Y4MWriter(output: FileDescriptorWriter(fd: 1, name: "stdout"), frameRate: frameRate)
        }
        let lower = output.lowercased()
        if lower.hasSuffix(".y4m") {
            return Y4MWriter(output: try FileDescriptorWriter.create(path: output), frameRate: frameRate)
        }
        if lower.hasSuffix(".mkv") || lower.hasSuffix(".mp4") || lower.hasSuffix(".mov") {
            return try VideoFileWriter(path: output, size: size, frameRate: frameRate, options: encoder)
        }
        throw MediaError(.badInput, "cannot write '\(output)': use - (Y4M on stdout), a .y4m file, or a .mkv/.mp4 recording")
    }
}

/// Where a stage pulls frames from: a live capture's mailbox (newest frame, drops counted) or a
/// finite source read in full.
public enum FrameFeed {
    case live(LiveCapture, LatestFrameMailbox)
    case direct(any FrameSource)

    public static func open(_ spec: SourceSpec, options: SourceOptions, factory: SourceFactory, logger: Logger) throws(MediaError) -> FrameFeed {
        if spec.isLive && options.pacing != .fast {
            let capture = try LiveCapture(spec: spec, options: options, factory: factory, logger: logger)
            return .live(capture, capture.frames.subscribe())
        }
        return .direct(try factory.open(spec, options: options))
    }

    public func next() throws(MediaError) -> Frame? {
        switch self {
        case .live(_, let mailbox): return try mailbox.take()
        case .direct(let source): return try source.nextFrame()
        }
    }

    public var size: VideoSize {
        switch self {
        case .live(let c, _): return c.size
        case .direct(let s): return s.size
        }
    }

    public var frameRate: FrameRate {
        switch self {
        case .live(let c, _): return c.frameRate
        case .direct(let s): return s.frameRate
        }
    }

    public var droppedFrames: Int {
        switch self {
        case .live(let c, let m): return c.droppedFrames + m.droppedFrames
        case .direct(let s): return s.droppedFrames
        }
    }

    public var isLive: Bool {
        if case .live = self { return true }
        return false
    }

    public func stop() {
        if case .live(let c, _) = self { c.stop() }
    }
}

import Logging

/// Moves frames from a feed to a sink until a limit, the end of input, or a stop request.
public struct FramePump {
    public struct Limits: Sendable {
        public var frames: Int?
        /// Seconds: of wall-clock time for live feeds, of presentation time otherwise.
        public var duration: Double?
        public init(frames: Int? = nil, duration: Double? = nil) {
            self.frames = frames
            self.duration = duration
        }
    }

    public struct Result: Sendable {
        public var frames = 0
        public var seconds = 0.0
        /// True when the downstream reader closed the pipe.
        public var outputClosed = false
    }

    public static func run(feed: FrameFeed, sink: any FrameSink, limits: Limits,
                           shouldStop: () -> Bool, progress: ((Int, Double) -> Void)? = nil) throws(MediaError) -> Result {
        var result = Result()
        var input = LimitedFeed(feed: feed, limits: limits)
        var lastProgress = input.start
        while !shouldStop(), let frame = try input.next() {
            guard try writeUnlessClosed({ () throws(MediaError) in try sink.write(frame) }) else {
                result.outputClosed = true
                break
            }
            result.frames += 1
            let now = SystemClock.monotonicMicros()
            if let progress, now - lastProgress > 500_000 {
                lastProgress = now
                progress(result.frames, Double(now - input.start) / 1e6)
            }
        }
        feed.stop()
        result.seconds = Double(SystemClock.monotonicMicros() - input.start) / 1e6
        try sink.finish()
        return result
    }
}

/// A feed read within limits: a frame count, and a duration that is wall-clock time for a live
/// feed and presentation time otherwise.
public struct LimitedFeed {
    public let feed: FrameFeed
    public let limits: FramePump.Limits
    public let start = SystemClock.monotonicMicros()
    private var firstPts: Int64?
    public private(set) var taken = 0

    public init(feed: FrameFeed, limits: FramePump.Limits) {
        self.feed = feed
        self.limits = limits
    }

    /// The next frame, or nil once a limit is reached or the input ends.
    public mutating func next() throws(MediaError) -> Frame? {
        if let max = limits.frames, taken >= max { return nil }
        if let d = limits.duration, feed.isLive, Double(SystemClock.monotonicMicros() - start) / 1e6 >= d { return nil }
        guard let frame = try feed.next() else { return nil }
        if let d = limits.duration, !feed.isLive {
            let origin = firstPts ?? frame.pts
            firstPts = origin
            if Double(frame.pts - origin) / 1e6 >= d { return nil }
        }
        taken += 1
        return frame
    }
}

/// Runs a write; false when the reader closed the pipe (a normal end of a pipeline).
public func writeUnlessClosed(_ write: () throws(MediaError) -> Void) throws(MediaError) -> Bool {
    do {
        try write()
        return true
    } catch {
        if error.kind == .endOfOutput { return false }
        throw error
    }
}
