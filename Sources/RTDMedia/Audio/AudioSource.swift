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
/// the frame due now, as a capture device overruns. Frames are paced by the monotonic clock but
/// stamped on the wall clock (video's): when the two part by more than `maxSkew` (NTP slewing or
/// stepping the wall clock) the stamps are moved back onto the wall clock, a jump in the sound's
/// timeline rather than a slow drift away from the video.
public final class TestToneSource: AudioSource {
    public let sampleRate = TestTone.sampleRate
    public let channels = 1
    public private(set) var droppedFrames = 0
    private var start: (monotonic: Int64, wall: Int64)?
    private var next: Int64 = 0
    static let maxSkew: Int64 = 2_000

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
        let due = origin.monotonic + (next + 1) * TestTone.frameMicros
        SystemClock.sleep(untilMonotonic: due)
        // The wall-clock time the frame ended, against the time the stamps say; not judged when the
        // thread was preempted between the clock reads (a busy machine), which would fake a skew.
        let before = SystemClock.monotonicMicros(), wall = SystemClock.nowMicros(), after = SystemClock.monotonicMicros()
        let skew = wall - (before - due) - (origin.wall + (next + 1) * TestTone.frameMicros)
        if after - before < 200, abs(skew) > Self.maxSkew { start = (origin.monotonic, origin.wall + skew) }
        let frame = TestTone.frame(capturedAt: start!.wall + next * TestTone.frameMicros)
        next += 1
        return frame
    }
}
