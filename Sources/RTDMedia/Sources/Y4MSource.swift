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
