import RTDCore
/// `testsrc` / `testsrc:stamp`: the test pattern, paced like a camera (frames at their times,
/// skipping ahead when the consumer is late) or as fast as it is pulled.
public final class TestPatternSource: FrameSource {
    public let size: VideoSize
    public let frameRate: FrameRate
    public private(set) var droppedFrames = 0
    private let pattern: TestPattern
    private let paced: Bool
    private var nextIndex = 0
    private var startMonotonic: Int64?
    private var produced = 0

    public static let defaultSize = VideoSize(width: 640, height: 480)
    public static let defaultRate = FrameRate(30)

    public init(stamp: Bool, options: SourceOptions) throws(MediaError) {
        size = options.size ?? Self.defaultSize
        frameRate = options.frameRate ?? Self.defaultRate
        if stamp && size.width < TimestampStrip.minimumWidth() {
            throw MediaError(.badInput, "testsrc:stamp needs a width of at least \(TimestampStrip.minimumWidth()) px, got \(size)")
        }
        pattern = TestPattern(width: size.width, height: size.height, stamp: stamp)
        paced = options.pacing != .fast
    }

    public func nextFrame() throws(MediaError) -> Frame? {
        let interval = frameRate.frameDurationMicros
        if paced {
            let now = SystemClock.monotonicMicros()
            let start = startMonotonic ?? now
            startMonotonic = start
            // A camera does not wait for a late consumer: skip to the frame due now.
            let due = Int(Double(now - start) / interval)
            if due > nextIndex {
                droppedFrames += due - nextIndex
                nextIndex = due
            }
            SystemClock.sleep(untilMonotonic: start + Int64(Double(nextIndex) * interval))
        }
        let pts = Int64((Double(nextIndex) * interval).rounded())
        let frame = pattern.render(index: produced, pts: pts, capturedAt: SystemClock.nowMicros())
        nextIndex += 1
        produced += 1
        return frame
    }
}
