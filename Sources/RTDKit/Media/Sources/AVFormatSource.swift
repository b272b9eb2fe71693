import CFFmpeg

/// Files and URLs (mp4, mkv, webm, rtsp://, http://, …) through libavformat + libavcodec,
/// converted to I420 with libswscale.
public final class AVFormatSource: FrameSource {
    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private let decoder: VideoDecoder
    private let streamIndex: Int32
    private let timeBase: AVRational
    private let name: String
    private var limiter: FrameRateLimiter?
    private let pacer: Pacer?
    private let outputSize: VideoSize?
    private var firstPts: Int64?
    private var lastPts: Int64 = -1
    private var emitted = 0
    private var inputEnded = false
    public let size: VideoSize
    public let frameRate: FrameRate
    public var droppedFrames: Int { limiter?.skipped ?? 0 }

    public init(url: String, live: Bool, options: SourceOptions) throws(MediaError) {
        name = url
        av_log_set_level(AV_LOG_FATAL)
        var dict: OpaquePointer?
        if live {
            // A stalled network must surface as an error (then a reopen), not a hang.
            av_dict_set(&dict, "timeout", "5000000", 0)
            av_dict_set(&dict, "rw_timeout", "5000000", 0)
            av_dict_set(&dict, "rtsp_transport", "tcp", 0)
            av_dict_set(&dict, "fflags", "nobuffer", 0)
            av_dict_set(&dict, "analyzeduration", "1000000", 0)
        }
        var ctx: UnsafeMutablePointer<AVFormatContext>?
        let r = avformat_open_input(&ctx, url, nil, &dict)
        av_dict_free(&dict)
        guard r >= 0, let ctx else { throw MediaError(live ? .io : .badInput, "cannot open \(url): \(avErrorString(r))") }
        format = ctx
        let info = avformat_find_stream_info(ctx, nil)
        guard info >= 0 else {
            avformat_close_input(&format)
            throw MediaError(.badInput, "cannot read stream info from \(url): \(avErrorString(info))")
        }
        let index = av_find_best_stream(ctx, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
        guard index >= 0, let stream = ctx.pointee.streams[Int(index)] else {
            avformat_close_input(&format)
            throw MediaError(.badInput, "\(url) has no video stream")
        }
        streamIndex = index
        timeBase = stream.pointee.time_base
        let par = stream.pointee.codecpar!
        do {
            decoder = try VideoDecoder(codecID: par.pointee.codec_id, parameters: par)
        } catch {
            avformat_close_input(&format)
            throw error
        }
        let w = Int(par.pointee.width) & ~1, h = Int(par.pointee.height) & ~1
        guard w > 0, h > 0 else {
            avformat_close_input(&format)
            throw MediaError(.badInput, "\(url): video stream has no frame size")
        }
        outputSize = options.size ?? VideoSize(width: w, height: h)
        size = outputSize!
        let avg = stream.pointee.avg_frame_rate, real = stream.pointee.r_frame_rate
        let native = avg.num > 0 && avg.den > 0 ? FrameRate(Int(avg.num), Int(avg.den))
            : real.num > 0 && real.den > 0 ? FrameRate(Int(real.num), Int(real.den)) : FrameRate(30)
        frameRate = options.frameRate ?? native.reduced
        if let r = options.frameRate { limiter = FrameRateLimiter(rate: r) }
        pacer = options.pacing == .realtime && !live ? Pacer() : nil
        packet = av_packet_alloc()
    }

    deinit {
        av_packet_free(&packet)
        avformat_close_input(&format)
    }

    public func nextFrame() throws(MediaError) -> Frame? {
        while true {
            switch try decoder.receive() {
            case .frame(let picture):
                let raw = picture.pointee.best_effort_timestamp
                var pts: Int64
                if raw == rtd_av_nopts_value() {
                    pts = lastPts + Int64(frameRate.frameDurationMicros)
                } else {
                    let us = av_rescale_q(raw, timeBase, AVRational(num: 1, den: 1_000_000))
                    let origin = firstPts ?? us
                    firstPts = origin
                    pts = us - origin
                }
                if pts <= lastPts { pts = lastPts + 1 }
                lastPts = pts
                if limiter?.admit(pts: pts) == false { continue }
                pacer?.wait(forPts: pts)
                let frame = try decoder.makeFrame(picture, size: outputSize, pts: pts, capturedAt: Clock.nowMicros(),
                                                  index: emitted)
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
            if r == rtd_averror_eof() {
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
