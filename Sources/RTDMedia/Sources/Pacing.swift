import RTDCore

/// Keeps frames no closer together than the target rate (drops the extras), by pts.
public struct FrameRateLimiter {
    let interval: Double
    var nextDue: Double?
    public private(set) var skipped = 0

    public init(rate: FrameRate) { interval = rate.frameDurationMicros }

    public mutating func admit(pts: Int64) -> Bool {
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
            origin = (pts, SystemClock.monotonicMicros())
            return
        }
        SystemClock.sleep(untilMonotonic: origin.monotonic + (pts - origin.pts))
    }
}
