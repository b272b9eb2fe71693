import Dispatch
import Foundation
import Logging
import Synchronization
import RTDCore
import RTDMedia

/// Decodes received frames, writes them out as Y4M and remuxes them (not re-encoded) into a video
/// file, and writes data-channel records, on its own thread, in order: whatever may block stays off
/// the network's event loop. Its frame queue is short:
/// when the decoder or the reader of `--frames-out` falls behind, the backlog is dropped and the
/// network side asks the sender for a keyframe, because stale video is worth nothing live.
///
/// The decoder and writers are touched only by the worker thread; the queue and the counters are
/// behind a mutex. `onChange` runs on the worker thread after each step, so the network side
/// learns of progress, keyframe requests and an early stop without polling.
final class DecodeWorker: @unchecked Sendable { // queue and counters guarded by `shared`; codec state worker-thread only
    static let queueLimit = 8
    /// Records are small and the server sends a few per frame: this is seconds of backlog.
    static let recordLimit = 4096

    struct Counters {
        var submitted = 0
        var decoded = 0
        var decodeErrors = 0
        var droppedBacklog = 0
        var muxed = 0
        var firstDecodedAt: Int64?
        var width = 0
        var height = 0
        /// Glass-to-glass latency per stamped frame, µs.
        var latencies: [Int64] = []
    }

    private struct Shared {
        var queue: [ReceivedVideoFrame] = []
        var records: [String] = []
        var recordsDropped = 0
        var finished = false
        var keyframeRequest = false
        var awaitingKeyframe = false
        var outputClosed = false
        var fatal: SignalError?
        var counters = Counters()
    }

    private let shared = Mutex(Shared())
    private let available = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    private let codec: VideoCodec
    private let decode: Bool
    private let logger: Logger
    // Worker-thread state.
    private var decoder: VideoStreamDecoder?
    private var y4m: Y4MWriter?
    private let records: FileDescriptorWriter?
    private let onChange: @Sendable () -> Void
    private let videoFile: String?
    private var muxer: EncodedVideoMuxer?
    private var decodedSize: VideoSize?
    private var sawRTP = false
    private var rtpBase: Int64 = 0
    private var lastRTP: UInt32 = 0
    private var running = false

    /// The video file's header needs the picture size, which only decoding tells, so `videoFile`
    /// implies decoding.
    init(codec: VideoCodec, decode: Bool, frames: FileDescriptorWriter?, records: FileDescriptorWriter?,
         videoFile: String?, logger: Logger, onChange: @escaping @Sendable () -> Void) {
        self.records = records
        self.onChange = onChange
        self.codec = codec
        self.decode = decode || videoFile != nil
        self.videoFile = videoFile
        self.logger = logger
        y4m = frames.map { Y4MWriter(output: $0, frameRate: FrameRate(30)) }
    }

    func start() {
        running = true
        let thread = Thread { [self] in work() }
        thread.name = "rtd-signal-decode"
        thread.start()
    }

    /// Queues a frame; on overflow drops the backlog and waits for a keyframe.
    func submit(_ frame: ReceivedVideoFrame) {
        let accepted = shared.withLock { s -> Bool in
            if s.awaitingKeyframe {
                guard frame.isKeyframe else {
                    s.counters.droppedBacklog += 1
                    return false
                }
                s.awaitingKeyframe = false
            }
            if s.queue.count >= Self.queueLimit {
                s.counters.droppedBacklog += s.queue.count + 1
                s.queue.removeAll()
                s.keyframeRequest = true
                s.awaitingKeyframe = !frame.isKeyframe
                if !frame.isKeyframe { return false }
            }
            s.queue.append(frame)
            s.counters.submitted += 1
            return true
        }
        if accepted { available.signal() }
    }

    /// Queues one data-channel record (a line, newline included); on overflow drops it, since
    /// the network side cannot wait for a slow reader.
    func submitRecord(_ line: String) {
        guard records != nil else { return }
        let accepted = shared.withLock { s -> Bool in
            guard s.records.count < Self.recordLimit else {
                s.recordsDropped += 1
                return false
            }
            s.records.append(line)
            return true
        }
        if accepted { available.signal() } else { logger.debug("records: reader too slow, a record was dropped") }
    }

    /// True once per backlog drop or decoder failure: the caller should send a PLI.
    func takeKeyframeRequest() -> Bool {
        shared.withLock { s in
            defer { s.keyframeRequest = false }
            return s.keyframeRequest
        }
    }

    /// The worker stopped on its own: the reader of our output went away (a normal end) or
    /// writing failed (`fatalError`).
    var stoppedEarly: Bool { shared.withLock { $0.outputClosed || $0.fatal != nil } }
    var fatalError: SignalError? { shared.withLock { $0.fatal } }
    var counters: Counters { shared.withLock { $0.counters } }

    /// Frames handled so far: decoded ones when decoding, received ones otherwise.
    var framesDone: Int { shared.withLock { decode ? $0.counters.decoded : $0.counters.submitted } }

    /// Decodes what is queued, then stops the thread and waits for it. Idempotent.
    func finish() {
        guard running else { return }
        running = false
        shared.withLock { $0.finished = true }
        available.signal()
        done.wait()
    }

    private func work() {
        defer {
            do {
                try muxer?.finish()
            } catch {
                shared.withLock { $0.fatal = $0.fatal ?? SignalError(.badInput, error.description) }
            }
            // Before `done`: once `finish()` returns, the owner may shut down what `onChange` wakes.
            onChange()
            done.signal()
        }
        // Opened now, while the network side connects, rather than when the first frame is due.
        if decode {
            do {
                decoder = try VideoStreamDecoder(codec: codec, threads: 1)
            } catch {
                shared.withLock { $0.fatal = SignalError(.badInput, error.description) }
                return
            }
        }
        while true {
            available.wait()
            // Records first: they are small, and late ones are worth less than late frames.
            let next: (record: String?, frame: ReceivedVideoFrame?) = shared.withLock { s in
                if !s.records.isEmpty { return (s.records.removeFirst(), nil) }
                return (nil, s.queue.isEmpty ? nil : s.queue.removeFirst())
            }
            if next.record == nil, next.frame == nil {
                if shared.withLock({ $0.finished }) { return }
                continue
            }
            do {
                if let record = next.record { try records?.write(Array(record.utf8)) }
                if let frame = next.frame {
                    try handle(frame)
                    onChange()
                }
            } catch where error.kind == .endOfOutput {
                shared.withLock { $0.outputClosed = true }
                return
            } catch {
                shared.withLock { $0.fatal = SignalError(.badInput, error.description) }
                return
            }
        }
    }

    /// Microseconds since the first frame, from RTP timestamps unwrapped across 2^32.
    private func pts(_ rtp: UInt32) -> Int64 {
        if sawRTP { rtpBase += Int64(Int32(bitPattern: rtp &- lastRTP)) }
        sawRTP = true
        lastRTP = rtp
        return rtpBase * 100 / 9
    }

    private func handle(_ frame: ReceivedVideoFrame) throws(MediaError) {
        let pts = pts(frame.rtpTimestamp)
        guard let decoder else { return }
        do {
            try decode(frame, pts: pts, with: decoder)
        } catch where error.kind == .codec {
            // A corrupt frame breaks the pictures that follow it until the next keyframe.
            shared.withLock { s in
                s.counters.decodeErrors += 1
                s.keyframeRequest = true
            }
            logger.debug("decoder: \(error)")
        }
        guard let videoFile else { return }
        if muxer == nil, frame.isKeyframe, let size = decodedSize {
            muxer = try EncodedVideoMuxer(path: videoFile, codec: codec, size: size, metadata: ["encoder": "rtd signal"])
        }
        if let muxer {
            try muxer.write(frame.data, isKeyframe: frame.isKeyframe, pts: pts)
            shared.withLock { $0.counters.muxed = muxer.framesWritten }
        }
    }

    private func decode(_ frame: ReceivedVideoFrame, pts: Int64, with decoder: VideoStreamDecoder) throws(MediaError) {
        try decoder.decode(frame.data, isKeyframe: frame.isKeyframe, pts: pts) { (makeFrame) throws(MediaError) in
            let index = shared.withLock { $0.counters.decoded }
            let now = SystemClock.nowMicros()
            let received = now - (SystemClock.monotonicMicros() - frame.arrivedAt)
            var decoded = try makeFrame(frame.senderTime ?? received, index)
            let stamp = TimestampStrip.decode(decoded).map { Int64($0) * 1000 }
            if let stamp { decoded = decoded.retimed(capturedAt: stamp) }
            decodedSize = VideoSize(width: decoded.width, height: decoded.height)
            shared.withLock { s in
                s.counters.decoded += 1
                if s.counters.firstDecodedAt == nil { s.counters.firstDecodedAt = SystemClock.monotonicMicros() }
                s.counters.width = decoded.width
                s.counters.height = decoded.height
                if let stamp, s.counters.latencies.count < 1_000_000 { s.counters.latencies.append(now - stamp) }
            }
            try y4m?.write(decoded)
        }
    }
}
