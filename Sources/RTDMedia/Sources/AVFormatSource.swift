import CFFmpeg
import RTDCore

/// Files and URLs (mp4, mkv, webm, rtsp://, http://, …) through libavformat + libavcodec,
/// converted to I420 with libswscale.
public final class AVFormatSource: FrameSource {
    private let file: VideoFileDecoder
    private var limiter: FrameRateLimiter?
    private let pacer: Pacer?
    private let outputSize: VideoSize?
    private var firstPts: Int64?
    private var lastPts: Int64 = -1
    private var emitted = 0
    public let size: VideoSize
    public let frameRate: FrameRate
    public var droppedFrames: Int { limiter?.skipped ?? 0 }

    public init(url: String, live: Bool, options: SourceOptions) throws(MediaError) {
        // A stalled network must surface as an error (then a reopen), not a hang.
        let liveOptions = [("timeout", "5000000"), ("rw_timeout", "5000000"), ("rtsp_transport", "tcp"),
                           ("fflags", "nobuffer"), ("analyzeduration", "1000000")]
        file = try VideoFileDecoder(url: url, options: live ? liveOptions : [], openError: { MediaError(live ? .io : .badInput, "cannot open \($0)") })
        outputSize = options.size ?? file.size
        size = outputSize!
        frameRate = options.frameRate ?? file.frameRate
        if let r = options.frameRate { limiter = FrameRateLimiter(rate: r) }
        pacer = options.pacing == .realtime && !live ? Pacer() : nil
    }

    public func nextFrame() throws(MediaError) -> Frame? {
        let frame = try file.next(size: outputSize, index: emitted) { stored in
            var pts: Int64
            if let us = stored {
                let origin = firstPts ?? us
                firstPts = origin
                pts = us - origin
            } else {
                pts = lastPts + Int64(frameRate.frameDurationMicros)
            }
            if pts <= lastPts { pts = lastPts + 1 }
            lastPts = pts
            if limiter?.admit(pts: pts) == false { return nil }
            pacer?.wait(forPts: pts)
            return (pts, SystemClock.nowMicros())
        }
        if frame != nil { emitted += 1 }
        return frame
    }
}
