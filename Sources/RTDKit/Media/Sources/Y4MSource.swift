/// Y4M from stdin or a `.y4m` file: every frame is delivered (never dropped), converted to the
/// requested size/rate if asked.
public final class Y4MSource: FrameSource {
    private let reader: Y4MReader
    private let converter: FrameConverter
    private var limiter: FrameRateLimiter?
    private let pacer: Pacer?
    public let size: VideoSize
    public let frameRate: FrameRate
    public var droppedFrames: Int { limiter?.skipped ?? 0 }
    private var emitted = 0

    public init(reader input: FileDescriptorReader, options: SourceOptions) throws(MediaError) {
        reader = try Y4MReader(input: input)
        let native = VideoSize(width: reader.header.width, height: reader.header.height)
        size = options.size ?? native
        frameRate = options.frameRate ?? reader.header.frameRate
        converter = FrameConverter(target: options.size)
        if let r = options.frameRate { limiter = FrameRateLimiter(rate: r) }
        pacer = options.pacing == .realtime ? Pacer() : nil
    }

    public func nextFrame() throws(MediaError) -> Frame? {
        while let frame = try reader.next() {
            if limiter?.admit(pts: frame.pts) == false { continue }
            pacer?.wait(forPts: frame.pts)
            let out = try converter.convert(frame, index: emitted)
            emitted += 1
            return out
        }
        return nil
    }
}

/// Keeps frames no closer together than the target rate (drops the extras), by pts.
struct FrameRateLimiter {
    let interval: Double
    var nextDue: Double?
    private(set) var skipped = 0

    init(rate: FrameRate) { interval = rate.frameDurationMicros }

    mutating func admit(pts: Int64) -> Bool {
        let t = Double(pts)
        guard let due = nextDue else {
            nextDue = t + interval
            return true
        }
        // A little slack for timestamp jitter; due times stay on a fixed grid so that e.g.
        // 30 -> 25 fps keeps 25, and restart from `t` after a gap in the input.
        if t < due - interval * 0.1 {
            skipped += 1
            return false
        }
        nextDue = t - due > interval ? t + interval : due + interval
        return true
    }
}

/// Releases frames at their presentation times, measured from the first frame.
final class Pacer {
    private var origin: (pts: Int64, monotonic: Int64)?

    func wait(forPts pts: Int64) {
        guard let origin else {
            origin = (pts, Clock.monotonicMicros())
            return
        }
        Clock.sleep(untilMonotonic: origin.monotonic + (pts - origin.pts))
    }
}
