import Foundation

/// `testsrc`'s sound: a 440 Hz tone, and a 1 kHz click for the first 20 ms of every whole second
/// of capture time. Every sample is a pure function of its capture time (the wall clock video
/// frames are stamped with), so the click starts exactly at the second that `testsrc:stamp` frames
/// name, and a receiver can measure audio/video offset the way the stamp measures latency.
public enum TestTone {
    public static let sampleRate = 48_000
    /// 20 ms: one Opus frame.
    public static let frameSamples = 960
    public static let frameMicros: Int64 = 20_000
    public static let toneHz = 440
    public static let clickHz = 1_000
    public static let clickMicros: Int64 = 20_000
    /// About -12 dBFS: loud enough to measure, with headroom for the codec.
    static let amplitude = 8_000.0

    /// The mono frame of `frameSamples` samples whose first sample is captured at `capturedAt` (unix µs).
    public static func frame(capturedAt: Int64) -> AudioFrame {
        var samples = [Int16](repeating: 0, count: frameSamples)
        for i in 0..<frameSamples {
            samples[i] = sample(at: capturedAt, offset: i)
        }
        return AudioFrame(samples: samples, channels: 1, sampleRate: sampleRate, capturedAt: capturedAt)
    }

    /// The sample `offset` samples after `start` (unix µs). Phase is taken within the second (both
    /// frequencies are whole hertz), so precision does not decay with the epoch's size.
    static func sample(at start: Int64, offset: Int) -> Int16 {
        // Position within the second in samples, exact for whole-µs starts up to 1/48 µs.
        let startInSecond = Double(start.remainderModulo(1_000_000)) * Double(sampleRate) / 1_000_000
        let position = startInSecond + Double(offset)
        let inSecond = position.truncatingRemainder(dividingBy: Double(sampleRate))
        let clickSamples = Double(clickMicros) * Double(sampleRate) / 1_000_000
        let hz = inSecond < clickSamples ? clickHz : toneHz
        let phase = 2 * Double.pi * Double(hz) * inSecond / Double(sampleRate)
        return Int16((amplitude * sin(phase)).rounded())
    }
}

extension Int64 {
    /// The remainder with the sign of the divisor (times before 1970 still fall in [0, m)).
    func remainderModulo(_ m: Int64) -> Int64 {
        let r = self % m
        return r < 0 ? r + m : r
    }
}
