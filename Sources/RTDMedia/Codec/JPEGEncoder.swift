import CFFmpeg

/// Baseline JPEG stills from I420 frames (libavcodec's mjpeg encoder), for viewers without
/// WebRTC. Frames are limited-range (16-235) like every other stage; JPEG is full-range by
/// definition, so the samples are stretched on the way in, or a browser would show grey blacks.
public final class JPEGEncoder {
    private var context: UnsafeMutablePointer<AVCodecContext>?
    private var picture: UnsafeMutablePointer<AVFrame>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    public let size: VideoSize
    /// libavcodec's quantiser scale, 2 (best) ... 31 (smallest).
    public let quality: Int
    private let lumaLUT: [UInt8]
    private let chromaLUT: [UInt8]
    private var full: [UInt8]
    /// libavcodec wants increasing timestamps even for stills.
    private var count: Int64 = 0

    public init(size: VideoSize, quality: Int = 5) throws(MediaError) {
        guard (2...31).contains(quality) else { throw MediaError(.badInput, "JPEG quality \(quality) must be 2...31") }
        self.size = size
        self.quality = quality
        av_log_set_level(AV_LOG_FATAL)
        guard let codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG) else {
            throw MediaError(.unsupported, "no mjpeg encoder in this libavcodec")
        }
        guard let ctx = avcodec_alloc_context3(codec) else { throw MediaError(.codec, "out of memory") }
        context = ctx
        ctx.pointee.width = Int32(size.width)
        ctx.pointee.height = Int32(size.height)
        ctx.pointee.pix_fmt = AV_PIX_FMT_YUVJ420P
        ctx.pointee.color_range = AVCOL_RANGE_JPEG
        ctx.pointee.time_base = AVRational(num: 1, den: 90_000)
        // A fixed quantiser: every picture costs the same to send, whatever came before.
        ctx.pointee.flags |= AV_CODEC_FLAG_QSCALE
        ctx.pointee.global_quality = Int32(quality) * FF_QP2LAMBDA
        ctx.pointee.thread_count = 1
        let r = avcodec_open2(ctx, codec, nil)
        guard r >= 0 else { throw MediaError(.codec, "cannot open the mjpeg encoder for \(size): \(avErrorString(r))") }
        picture = av_frame_alloc()
        packet = av_packet_alloc()
        guard picture != nil, packet != nil else { throw MediaError(.codec, "out of memory") }
        lumaLUT = (0...255).map { UInt8(clamping: (Int($0) - 16) * 255 / 219) }
        chromaLUT = (0...255).map { UInt8(clamping: (Int($0) - 128) * 255 / 224 + 128) }
        full = [UInt8](repeating: 0, count: Frame.byteCount(width: size.width, height: size.height))
    }

    deinit {
        av_frame_free(&picture)
        av_packet_free(&packet)
        avcodec_free_context(&context)
    }

    /// One JPEG file (SOI ... EOI) for `frame`.
    public func encode(_ frame: Frame) throws(MediaError) -> [UInt8] {
        guard frame.width == size.width, frame.height == size.height else {
            throw MediaError(.unsupported, "frame is \(frame.width)x\(frame.height), JPEG encoder is \(size)")
        }
        let luma = frame.lumaCount
        frame.data.withUnsafeBufferPointer { src in
            lumaLUT.withUnsafeBufferPointer { ly in
                chromaLUT.withUnsafeBufferPointer { lc in
                    full.withUnsafeMutableBufferPointer { dst in
                        for i in 0..<luma { dst[i] = ly[Int(src[i])] }
                        for i in luma..<src.count { dst[i] = lc[Int(src[i])] }
                    }
                }
            }
        }
        let stretched = Frame(width: frame.width, height: frame.height, pts: frame.pts, capturedAt: frame.capturedAt,
                              index: frame.index, data: full)
        picture!.pointee.quality = context!.pointee.global_quality
        count += 1
        let sent = sendFrame(stretched, to: context, through: picture!, pts: count, format: AV_PIX_FMT_YUVJ420P)
        guard sent >= 0 else { throw MediaError(.codec, "mjpeg encoder rejected frame \(frame.index): \(avErrorString(sent))") }
        let r = avcodec_receive_packet(context, packet)
        guard r >= 0, let pkt = packet else { throw MediaError(.codec, "mjpeg encoding failed: \(avErrorString(r))") }
        defer { av_packet_unref(pkt) }
        return Array(UnsafeBufferPointer(start: pkt.pointee.data, count: Int(pkt.pointee.size)))
    }
}
