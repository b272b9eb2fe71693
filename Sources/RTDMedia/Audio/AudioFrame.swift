/// A run of 16-bit PCM samples, interleaved when there are several channels, stamped with the
/// capture time of its first sample on the same clock video frames use (`Frame.capturedAt`), so
/// audio and video of one camera can be put side by side.
public struct AudioFrame: Sendable {
    public let samples: [Int16]
    public let channels: Int
    public let sampleRate: Int
    /// Capture wall-clock time of the first sample, microseconds since the Unix epoch.
    public let capturedAt: Int64

    public init(samples: [Int16], channels: Int, sampleRate: Int, capturedAt: Int64) {
        precondition(channels > 0 && samples.count % channels == 0, "interleaved samples must fill every channel")
        self.samples = samples
        self.channels = channels
        self.sampleRate = sampleRate
        self.capturedAt = capturedAt
    }

    /// Samples per channel.
    public var frameCount: Int { samples.count / channels }
}
