import CFFmpeg
import RTDCore

/// The best video stream of a file or URL, demuxed and decoded (libavformat + libavcodec): the
/// one decode loop behind file sources and recording readers. No libav type leaves it.
public final class VideoFileDecoder {
    public let name: String
    /// Stored size, rounded down to even (I420).
    public let size: VideoSize
    /// The stream's own rate, 30 when the container does not say.
    public let frameRate: FrameRate
    /// Media duration in seconds, when the container knows it.
    public let duration: Double?
    /// pts (µs, as stored) of the stream's first frame, when the container knows it.
    public let startPts: Int64?
    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var decoder: VideoDecoder
    private let streamIndex: Int32
    private let timeBase: AVRational
    private let parameters: UnsafeMutablePointer<AVCodecParameters>
    private let readErrorEndsInput: Bool
    private var inputEnded = false

    /// `options` are libavformat's (timeouts, transport); `openError` makes the error for a
    /// failure to open from libav's reason (a network source's is `.io`, a file's `.badInput`).
    /// `readErrorEndsInput` treats a read error as the end (a recording torn by a killed
    /// recorder) instead of an error.
    public init(url: String, options: [(String, String)] = [],
                openError: (_ reason: String) -> MediaError = { MediaError(.badInput, "cannot open \($0)") },
                readErrorEndsInput: Bool = false) throws(MediaError) {
        name = url
        self.readErrorEndsInput = readErrorEndsInput
        av_log_set_level(AV_LOG_FATAL)
        var dict: OpaquePointer?
        for (key, value) in options { av_dict_set(&dict, key, value, 0) }
        var ctx: UnsafeMutablePointer<AVFormatContext>?
        let r = avformat_open_input(&ctx, url, nil, &dict)
        av_dict_free(&dict)
        guard r >= 0, let ctx else { throw openError("\(url): \(avErrorString(r))") }
        format = ctx
        let info = avformat_find_stream_info(ctx, nil)
        guard info >= 0 else {
            avformat_close_input(&format)
            throw MediaError(.badInput, "cannot read stream info from \(url): \(avErrorString(info))")
        }
        let index = av_find_best_stream(ctx, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
        guard index >= 0, let stream = ctx.pointee.streams[Int(index)], let par = stream.pointee.codecpar else {
            avformat_close_input(&format)
            throw MediaError(.badInput, "\(url) has no video stream")
        }
        let w = Int(par.pointee.width) & ~1, h = Int(par.pointee.height) & ~1
        guard w > 0, h > 0 else {
            avformat_close_input(&format)
            throw MediaError(.badInput, "\(url): video stream has no frame size")
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
        size = VideoSize(width: w, height: h)
        let avg = stream.pointee.avg_frame_rate, real = stream.pointee.r_frame_rate
        frameRate = avg.num > 0 && avg.den > 0 ? FrameRate(Int(avg.num), Int(avg.den)).reduced
            : real.num > 0 && real.den > 0 ? FrameRate(Int(real.num), Int(real.den)).reduced : FrameRate(30)
        duration = ctx.pointee.duration > 0 ? Double(ctx.pointee.duration) / Double(AV_TIME_BASE) : nil
        startPts = stream.pointee.start_time == rtd_av_nopts_value() ? nil
            : av_rescale_q(stream.pointee.start_time, timeBase, AVRational(num: 1, den: 1_000_000))
        packet = av_packet_alloc()
    }

    deinit {
        av_packet_free(&packet)
        avformat_close_input(&format)
    }

    /// A container-level metadata tag.
    public func metadata(_ key: String) -> String? {
        guard let tag = av_dict_get(format?.pointee.metadata, key, nil, 0) else { return nil }
        return String(cString: tag.pointee.value)
    }

    /// Positions reading at the last keyframe at or before `pts` (µs, as stored); false if the
    /// input cannot seek.
    public func seek(toPts pts: Int64) throws(MediaError) -> Bool {
        let target = av_rescale_q(pts, AVRational(num: 1, den: 1_000_000), timeBase)
        guard av_seek_frame(format, streamIndex, target, AVSEEK_FLAG_BACKWARD) >= 0 else { return false }
        // A fresh decoder: the old one may hold frames from before the seek.
        decoder = try VideoDecoder(codecID: parameters.pointee.codec_id, parameters: parameters)
        inputEnded = false
        return true
    }

    /// Decodes the next picture. `timing` gets its stored pts in µs (nil when it has none) and
    /// returns the frame's pts and capture time, or nil to skip the picture before it is
    /// converted; the frame is scaled to `size` (nil: stored size).
    public func next(size: VideoSize?, index: Int,
                     timing: (_ storedPts: Int64?) -> (pts: Int64, capturedAt: Int64)?) throws(MediaError) -> Frame? {
        while true {
            switch try decoder.receive() {
            case .frame(let picture):
                let raw = picture.pointee.best_effort_timestamp
                let stored = raw == rtd_av_nopts_value() ? nil : av_rescale_q(raw, timeBase, AVRational(num: 1, den: 1_000_000))
                guard let time = timing(stored) else { continue }
                return try decoder.makeFrame(picture, size: size, pts: time.pts, capturedAt: time.capturedAt, index: index)
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
            if r == rtd_averror_eof() || (r < 0 && readErrorEndsInput) {
                inputEnded = true
                _ = try decoder.send(nil)
                return
            }
            if r < 0 { throw MediaError(.io, "reading \(name) failed: \(avErrorString(r))") }
            defer { av_packet_unref(packet) }
            if packet!.pointee.stream_index == streamIndex {
                _ = try decoder.send(packet)
                return
            }
        }
    }
}
