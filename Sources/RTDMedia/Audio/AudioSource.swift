import RTDCore

/// A producer of audio frames, owned and pulled by one thread.
public protocol AudioSource: AnyObject {
    var sampleRate: Int { get }
    var channels: Int { get }
    /// Blocks until the next frame; nil at the end of a finite source.
    func nextFrame() throws(MediaError) -> AudioFrame?
}

/// `testsrc`'s audio in real time, like a sound card: frame k holds the 20 ms from the start plus
/// k × 20 ms and is released once its last sample is due. A consumer that falls behind skips to
/// the frame due now, as a capture device overruns.
public final class TestToneSource: AudioSource {
    public let sampleRate = TestTone.sampleRate
    public let channels = 1
    public private(set) var droppedFrames = 0
    private var start: (monotonic: Int64, wall: Int64)?
    private var next: Int64 = 0

    public init() {}

    public func nextFrame() throws(MediaError) -> AudioFrame? {
        let now = SystemClock.monotonicMicros()
        let origin = start ?? (now, SystemClock.nowMicros())
        start = origin
        // The newest frame complete by now, if we are more than a frame late.
        let complete = (now - origin.monotonic) / TestTone.frameMicros - 1
        if complete > next + 1 {
            droppedFrames += Int(complete - next)
            next = complete
        }
        SystemClock.sleep(untilMonotonic: origin.monotonic + (next + 1) * TestTone.frameMicros)
        let frame = TestTone.frame(capturedAt: origin.wall + next * TestTone.frameMicros)
        next += 1
        return frame
    }
}
