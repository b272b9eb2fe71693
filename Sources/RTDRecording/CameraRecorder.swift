import Foundation
import Logging
import RTDCore
import RTDMedia
import RTDDetection

/// Records one camera: the encoded frames its track already makes for viewers (no second encode)
/// into segment files, and its detection records into each segment's sidecar.
///
/// Frames and records arrive on the encoder and detector threads and are only queued there; one
/// writer thread does all file work, so a slow disk never delays video. If the disk falls so far
/// behind that the queue fills, frames are dropped up to the next keyframe (a partial GOP could not
/// be decoded) and the gap is logged.
///
/// Timing: every segment starts at a keyframe, at pts 0. A sidecar record's `pts_us` is the pts of
/// its frame in that segment's video (its camera pts minus the segment's first frame's), so replay
/// pairs records and frames by pts; `captured_at_us` keeps the wall-clock capture time.
public final class CameraRecorder: @unchecked Sendable { // queue state guarded by `condition`; segment state writer-thread only
    public let camera: String
    public let codec: VideoCodec
    private let settings: RecordingSettings
    private let retention: RecordingRetention
    private let frameRate: FrameRate
    private let requestKeyframe: @Sendable () -> Void
    private let logger: Logger

    private enum Item {
        case frame(EncodedFrame, VideoSize)
        case record(DetectionRecord)
    }
    // Guarded by `condition`.
    private let condition = NSCondition()
    private var queue: [Item] = []
    private var stopping = false
    private var done = false
    private var overflowing = false
    static let queueLimit = 300

    // Writer-thread state.
    private struct Segment {
        let stem: String
        let muxer: EncodedVideoMuxer
        let sidecar: SidecarWriter
        let origin: Int64
        let size: VideoSize
    }
    private var current: Segment?
    private var previous: Segment?
    private var lastFramePts: Int64 = .min
    private var rolloverAsked = false
    private var pendingRecords: [DetectionRecord] = []
    private var waitingForKeyframeAsked = false

    public init(camera: String, codec: VideoCodec, frameRate: FrameRate, settings: RecordingSettings,
         retention: RecordingRetention, requestKeyframe: @escaping @Sendable () -> Void, logger: Logger) throws(MediaError) {
        self.camera = camera
        self.codec = codec
        self.frameRate = frameRate
        self.settings = settings
        self.retention = retention
        self.requestKeyframe = requestKeyframe
        self.logger = logger
        let folder = settings.directory + "/" + camera
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw MediaError(.io, "cannot create recording folder \(folder): \(error.localizedDescription)")
        }
        guard FileManager.default.isWritableFile(atPath: folder) else {
            throw MediaError(.io, "recording folder \(folder) is not writable")
        }
        let thread = Thread { [self] in run() }
        thread.name = "record \(camera)"
        thread.start()
    }

    /// From the encoder thread.
    public func encoded(_ frame: EncodedFrame, size: VideoSize) { enqueue(.frame(frame, size)) }

    /// From the detector thread.
    public func detected(_ record: DetectionRecord) { enqueue(.record(record)) }

    private func enqueue(_ item: Item) {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { return }
        if queue.count >= Self.queueLimit {
            if !overflowing { logger.warning("\(camera): recording cannot keep up with the disk; dropping frames to the next keyframe") }
            overflowing = true
            queue.removeAll { if case .frame = $0 { return true } else { return false } }
        }
        if overflowing, case .frame(let f, _) = item {
            guard f.isKeyframe else { return }
            overflowing = false
        }
        queue.append(item)
        condition.signal()
    }

    /// Writes what is queued, closes the files (trailers written) and ends the writer thread.
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !done { condition.wait() }
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            let batch = queue
            queue.removeAll(keepingCapacity: true)
            let finishing = stopping
            condition.unlock()
            for item in batch {
                do {
                    switch item {
                    case .frame(let f, let size): try write(f, size: size)
                    case .record(let r): try place(r)
                    }
                } catch {
                    logger.error("\(camera): recording failed: \(error.message); starting a new segment at the next keyframe")
                    close(&current)
                }
            }
            if finishing { break }
        }
        // Records still pending are for frames that never reached the video: they go too.
        close(&previous)
        close(&current)
        condition.lock()
        done = true
        condition.broadcast()
        condition.unlock()
    }

    private func write(_ frame: EncodedFrame, size: VideoSize) throws(MediaError) {
        if let seg = current {
            let tooLong = Double(frame.pts - seg.origin) / 1e6 >= settings.segmentSeconds
            // A camera that was reopened may restart its clock: that too starts a new segment.
            let discontinuity = frame.pts < lastFramePts || seg.size != size
            if tooLong && !rolloverAsked && !frame.isKeyframe {
                rolloverAsked = true
                requestKeyframe()
            }
            if (tooLong || discontinuity) && frame.isKeyframe {
                try startSegment(at: frame, size: size)
            } else if discontinuity {
                close(&previous)
                previous = current
                current = nil
            }
        } else if frame.isKeyframe {
            try startSegment(at: frame, size: size)
        }
        guard let seg = current else {
            if !waitingForKeyframeAsked {
                waitingForKeyframeAsked = true
                requestKeyframe()
            }
            return
        }
        try seg.muxer.write(frame.data, isKeyframe: frame.isKeyframe, pts: frame.pts)
        lastFramePts = frame.pts
        // Records that came before their frame now know their segment.
        while let r = pendingRecords.first, r.ptsUs <= frame.pts {
            pendingRecords.removeFirst()
            try place(r)
        }
    }

    private func startSegment(at frame: EncodedFrame, size: VideoSize) throws(MediaError) {
        if frame.pts < lastFramePts {
            // The camera's clock restarted: pending records belong to the old timeline.
            pendingRecords.removeAll()
            lastFramePts = .min
        }
        close(&previous)
        previous = current
        current = nil
        rolloverAsked = false
        waitingForKeyframeAsked = false
        let folder = settings.directory + "/" + camera
        var stem = folder + "/" + SegmentNaming.stem(camera: camera, startedAt: frame.capturedAt)
        var n = 1
        let base = stem
        while FileManager.default.fileExists(atPath: stem + ".mkv") || stem == previous?.stem {
            stem = base + "-\(n)"
            n += 1
        }
        retention.markActive(stem)
        let metadata = ["RTD_CAMERA": camera, "RTD_CAPTURED_AT_US": String(frame.capturedAt)]
        let muxer = try EncodedVideoMuxer(path: stem + ".mkv", codec: codec, size: size, frameRate: frameRate, metadata: metadata)
        let sidecar = try SidecarWriter(path: stem + ".jsonl")
        current = Segment(stem: stem, muxer: muxer, sidecar: sidecar, origin: frame.pts, size: size)
        logger.info("\(camera): recording \(stem).mkv")
        // Rollover is when the oldest segment may have to go: swept off this thread's path.
        retention.requestSweep()
    }

    /// A record goes to the segment holding its frame; one for a frame not muxed yet waits.
    private func place(_ record: DetectionRecord) throws(MediaError) {
        if record.ptsUs > lastFramePts {
            pendingRecords.append(record)
            // Bounded: records for frames that will never be muxed (encoder dropped them) go.
            if pendingRecords.count > 300 { pendingRecords.removeFirst(pendingRecords.count - 300) }
            return
        }
        if let seg = current, record.ptsUs >= seg.origin {
            try writeRecord(record, to: seg)
        } else if let seg = previous, record.ptsUs >= seg.origin {
            try writeRecord(record, to: seg)
        }
    }

    private func writeRecord(_ record: DetectionRecord, to segment: Segment?) throws(MediaError) {
        guard let segment else { return }
        var r = record
        r.ptsUs = max(0, record.ptsUs - segment.origin)
        try segment.sidecar.write(r)
    }

    private func close(_ segment: inout Segment?) {
        guard let seg = segment else { return }
        segment = nil
        do {
            try seg.muxer.finish()
        } catch {
            logger.error("\(camera): \(error.message)")
        }
        retention.markDone(seg.stem)
        logger.info("\(camera): closed \(seg.stem).mkv (\(seg.muxer.framesWritten) frames, \(seg.sidecar.recordsWritten) records)")
    }
}
