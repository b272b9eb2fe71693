import CFFmpeg
import Foundation

/// Reads a recording's frames with their pts exactly as the file stores them (not shifted to
/// start at 0, unlike a file source: sidecar records name frames by these pts), and can seek.
final class RecordingReader {
    let path: String
    let size: VideoSize
    let frameRate: FrameRate
    /// Media duration in seconds, when the container knows it.
    let duration: Double?
    /// pts (µs) of the first frame.
    private(set) var startPts: Int64 = 0
    /// Capture wall time (unix µs) of pts 0, from the recorder's tag.
    let captureOrigin: Int64?
    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var decoder: VideoDecoder
    private let streamIndex: Int32
    private let timeBase: AVRational
    private let parameters: UnsafeMutablePointer<AVCodecParameters>
    private var inputEnded = false
    private var lastPts: Int64 = .min
    private var emitted = 0

    init(path: String) throws(MediaError) {
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw MediaError(.notFound, "no such recording: \(path)")
        }
        guard !isDirectory.boolValue else { throw MediaError(.badInput, "\(path) is a folder: give one recording file (a .mkv segment)") }
        guard FileManager.default.isReadableFile(atPath: path) else { throw MediaError(.io, "permission denied reading \(path)") }
        av_log_set_level(AV_LOG_FATAL)
        var ctx: UnsafeMutablePointer<AVFormatContext>?
        let r = avformat_open_input(&ctx, path, nil, nil)
        guard r >= 0, let ctx else { throw MediaError(.badInput, "cannot read recording \(path): \(avErrorString(r)) (not a video file?)") }
        format = ctx
        guard avformat_find_stream_info(ctx, nil) >= 0 else {
            avformat_close_input(&format)
            throw MediaError(.badInput, "cannot read stream info from \(path)")
        }
        let index = av_find_best_stream(ctx, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
        guard index >= 0, let stream = ctx.pointee.streams[Int(index)], let par = stream.pointee.codecpar,
              par.pointee.width > 1, par.pointee.height > 1 else {
            avformat_close_input(&format)
            throw MediaError(.badInput, "\(path) has no video stream")
        }
        streamIndex = index
        timeBase = stream.pointee.time_base
        parameters = par
        do {
            decoder = try VideoDecoder(codecID: par.pointee.codec_id, parameters: par)
        } catch {
            avformat_close_input(&format)
            throw error
        }
        size = VideoSize(width: Int(par.pointee.width) & ~1, height: Int(par.pointee.height) & ~1)
        let avg = stream.pointee.avg_frame_rate, real = stream.pointee.r_frame_rate
        frameRate = avg.num > 0 && avg.den > 0 ? FrameRate(Int(avg.num), Int(avg.den)).reduced
            : real.num > 0 && real.den > 0 ? FrameRate(Int(real.num), Int(real.den)).reduced : FrameRate(30)
        duration = ctx.pointee.duration > 0 ? Double(ctx.pointee.duration) / Double(AV_TIME_BASE) : nil
        if let tag = av_dict_get(ctx.pointee.metadata, "RTD_CAPTURED_AT_US", nil, 0), let v = Int64(String(cString: tag.pointee.value)) {
            captureOrigin = v
        } else {
            captureOrigin = nil
        }
        if stream.pointee.start_time != rtd_av_nopts_value() {
            startPts = av_rescale_q(stream.pointee.start_time, timeBase, AVRational(num: 1, den: 1_000_000))
        }
        packet = av_packet_alloc()
    }

    deinit {
        av_packet_free(&packet)
        avformat_close_input(&format)
    }

    /// Positions reading at the last keyframe at or before `pts` (µs); frames before `pts` still
    /// come out and are the caller's to skip. Returns false if the file cannot seek (the caller
    /// then reads from the start).
    func seek(toPts pts: Int64) throws(MediaError) -> Bool {
        let target = av_rescale_q(pts, AVRational(num: 1, den: 1_000_000), timeBase)
        guard av_seek_frame(format, streamIndex, target, AVSEEK_FLAG_BACKWARD) >= 0 else { return false }
        // A fresh decoder: the old one may hold frames from before the seek.
        decoder = try VideoDecoder(codecID: parameters.pointee.codec_id, parameters: parameters)
        inputEnded = false
        lastPts = .min
        return true
    }

    /// Back to the first frame (for --loop).
    func rewind() throws(MediaError) {
        if try !seek(toPts: startPts) { throw MediaError(.io, "cannot rewind \(path) to loop it") }
    }

    /// The next frame; `capturedAt` is the recorded capture time when known, else now.
    func next() throws(MediaError) -> Frame? {
        while true {
            switch try decoder.receive() {
            case .frame(let picture):
                let raw = picture.pointee.best_effort_timestamp
                var pts = raw == rtd_av_nopts_value() ? lastPts + Int64(frameRate.frameDurationMicros)
                    : av_rescale_q(raw, timeBase, AVRational(num: 1, den: 1_000_000))
                if lastPts != .min, pts <= lastPts { pts = lastPts + 1 }
                lastPts = pts
                let frame = try decoder.makeFrame(picture, size: size, pts: pts,
                                                  capturedAt: captureOrigin.map { $0 + pts } ?? Clock.nowMicros(), index: emitted)
                emitted += 1
                return frame
            case .end:
                return nil
            case .needInput:
                if inputEnded { return nil }
                try feed()
            }
        }
    }

    private func feed() throws(MediaError) {
        while true {
            let r = av_read_frame(format, packet)
            // End of file, or the torn last cluster of a recording whose recorder was killed:
            // either way that is where the recording ends.
            if r < 0 {
                inputEnded = true
                _ = try decoder.send(nil)
                return
            }
            defer { av_packet_unref(packet) }
            if packet!.pointee.stream_index == streamIndex {
                _ = try decoder.send(packet)
                return
            }
        }
    }
}
