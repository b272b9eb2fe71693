import Foundation
import Logging

/// Runs a live source on its own thread, publishing each frame to every subscriber, and reopens
/// it with exponential backoff when it fails or ends. The thread owns the source from open to close.
public final class LiveCapture: Sendable {
    public let frames = FrameBroadcast()
    private let state = CaptureState()
    public let spec: SourceSpec

    /// Opens the source once on the caller's thread so that a bad name or a missing device is
    /// reported at once (unless `retryFirstOpen`, as a server wants: a camera that is down at
    /// start is retried like one that fails later); later failures are retried in the background.
    public init(spec: SourceSpec, options: SourceOptions, factory: SourceFactory, logger: Logger, retryFirstOpen: Bool = false,
                initialBackoff: Double = 0.5, maxBackoff: Double = 30) throws(MediaError) {
        self.spec = spec
        var first: (any FrameSource)?
        do {
            first = try factory.open(spec, options: options)
            state.setFormat(first!.size, first!.frameRate)
        } catch where retryFirstOpen && (error.kind == .io || error.kind == .device || error.kind == .notFound) {
            logger.warning("\(error.message); retrying in the background")
            state.recordFailure(error.message)
            state.setFormat(options.size ?? TestPatternSource.defaultSize, options.frameRate ?? TestPatternSource.defaultRate)
        }
        let handoff = SourceHandoff(source: first)
        let broadcast = self.frames, state = self.state
        // The camera's name, not the source's: a URL may carry credentials, and thread names are world-readable.
        let threadName = options.consumer.map { "capture \($0)" } ?? "capture"
        let thread = Thread {
            nameCurrentThread(threadName)
            var source: (any FrameSource)? = handoff.take()
            var backoff = initialBackoff
            var frames = 0
            // A reopened source restarts its clock (a file, a replay, some streams): its pts are
            // shifted to continue after the last frame published, so encoders and recorders
            // downstream see one increasing timeline.
            var ptsOffset: Int64 = 0
            var lastPts: Int64 = .min
            var reopened = false
            while !state.stopRequested {
                do throws(MediaError) {
                    if source == nil {
                        source = try factory.open(spec, options: options)
                        reopened = true
                        logger.info("reopened \(spec)")
                    }
                    guard let frame = try source!.nextFrame() else {
                        throw MediaError(.io, "\(spec) ended")
                    }
                    if reopened {
                        reopened = false
                        if frame.pts + ptsOffset <= lastPts {
                            ptsOffset = lastPts + Int64(source!.frameRate.frameDurationMicros) - frame.pts
                        }
                    }
                    lastPts = frame.pts + ptsOffset
                    backoff = initialBackoff
                    frames += 1
                    state.frameArrived(source!.size, source!.frameRate, drops: source!.droppedFrames)
                    broadcast.publish(frame.retimed(pts: lastPts, index: frames - 1))
                } catch {
                    if let s = source { state.addSourceDrops(s.droppedFrames) }
                    source = nil
                    state.recordFailure(error.message)
                    logger.warning("\(error.message); reopening in \(String(format: "%.1f", backoff)) s")
                    // Woken at once by stop().
                    state.waitForStop(until: Date().addingTimeInterval(backoff))
                    backoff = min(maxBackoff, backoff * 2)
                }
            }
            broadcast.close()
        }
        thread.name = threadName
        thread.start()
    }

    public var size: VideoSize { state.format.0 }
    public var frameRate: FrameRate { state.format.1 }
    /// Frames the source skipped because it was late (consumers count their own drops).
    public var droppedFrames: Int { state.sourceDrops }
    /// False while the source is down and being reopened.
    public var isStreaming: Bool { state.streaming }
    public var lastError: String? { state.lastError }

    public func stop() {
        state.requestStop()
    }
}

/// Moves the first opened source into the capture thread exactly once.
private final class SourceHandoff: @unchecked Sendable { // set before the thread starts, taken once by it
    // Written before the thread starts, taken once by it: no concurrent access.
    private var source: (any FrameSource)?
    init(source: (any FrameSource)?) { self.source = source }
    func take() -> (any FrameSource)? {
        defer { source = nil }
        return source
    }
}

private final class CaptureState: @unchecked Sendable { // fields guarded by `lock`; stopSignal is thread-safe
    // Guarded by `lock`; touched once per frame, so contention is negligible.
    private let lock = NSLock()
    /// Closed by `requestStop()`; nothing is ever put in it.
    private let stopSignal = LatestMailbox<Bool>()
    private var _format = (VideoSize(width: 0, height: 0), FrameRate(30))
    private var _finishedDrops = 0
    private var _currentDrops = 0
    private var _lastError: String?

    var stopRequested: Bool { stopSignal.isClosed }
    func requestStop() { stopSignal.close() }
    func waitForStop(until deadline: Date) { _ = stopSignal.take(until: deadline) }
    var format: (VideoSize, FrameRate) { lock.withLock { _format } }
    func setFormat(_ s: VideoSize, _ r: FrameRate) { lock.withLock { _format = (s, r) } }
    func frameArrived(_ s: VideoSize, _ r: FrameRate, drops: Int) { lock.withLock { _format = (s, r); _currentDrops = drops; _streaming = true } }
    var sourceDrops: Int { lock.withLock { _finishedDrops + _currentDrops } }
    func addSourceDrops(_ n: Int) { lock.withLock { _finishedDrops += n; _currentDrops = 0 } }
    func recordFailure(_ message: String) { lock.withLock { _lastError = message; _streaming = false } }
    private var _streaming = false
    var streaming: Bool { lock.withLock { _streaming } }
    var lastError: String? { lock.withLock { _lastError } }
}
