import CFFmpeg

/// H.264 encoding options for recordings.
public struct EncoderOptions: Sendable, Equatable {
    /// x264 preset (ultrafast … veryslow).
    public var preset: String = "veryfast"
    /// x264 tune (e.g. zerolatency, film); none by default.
    public var tune: String?
    /// Constant quality (lower is better); used when no bitrate is given.
    public var crf: Int = 23
    /// Target bitrate in kbit/s; overrides crf.
    public var bitrateKbps: Int?
    /// Keyframe interval in frames (default: 2 s worth).
    public var keyframeInterval: Int?

    public init() {}
}

/// Encodes I420 frames to H.264 (libx264, or openh264 when libx264 is missing) and muxes them
/// into Matroska or MP4 with libavformat: the recording format `rtd replay` reads.
public final class VideoFileWriter {
    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var encoder: UnsafeMutablePointer<AVCodecContext>?
    private var picture: UnsafeMutablePointer<AVFrame>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private let stream: UnsafeMutablePointer<AVStream>
    private let path: String
    private let size: VideoSize
    private var lastPts: Int64 = -1
    private var finished = false
    public private(set) var framesWritten = 0
    public let encoderName: String

    static let encoderTimeBase = AVRational(num: 1, den: 90_000)

    public init(path: String, size: VideoSize, frameRate: FrameRate, options: EncoderOptions = EncoderOptions()) throws(MediaError) {
        self.path = path
        self.size = size
        av_log_set_level(AV_LOG_FATAL)
        var fmt: UnsafeMutablePointer<AVFormatContext>?
        var r = avformat_alloc_output_context2(&fmt, nil, nil, path)
        guard r >= 0, let fmt else {
            throw MediaError(.unsupported, "cannot write \(path): unknown container (use .mkv or .mp4)")
        }
        format = fmt
        guard let codec = avcodec_find_encoder_by_name("libx264") ?? avcodec_find_encoder_by_name("libopenh264") else {
            avformat_free_context(fmt)
            throw MediaError(.unsupported, "no H.264 encoder in this libavcodec (install libavcodec with libx264 or openh264)")
        }
        encoderName = String(cString: codec.pointee.name)
        guard let st = avformat_new_stream(fmt, nil), let enc = avcodec_alloc_context3(codec) else {
            avformat_free_context(fmt)
            throw MediaError(.codec, "out of memory creating the \(encoderName) encoder")
        }
        stream = st
        encoder = enc
        enc.pointee.width = Int32(size.width)
        enc.pointee.height = Int32(size.height)
        enc.pointee.pix_fmt = AV_PIX_FMT_YUV420P
        enc.pointee.time_base = Self.encoderTimeBase
        enc.pointee.framerate = AVRational(num: Int32(frameRate.numerator), den: Int32(frameRate.denominator))
        enc.pointee.gop_size = Int32(options.keyframeInterval ?? max(1, Int(frameRate.value * 2)))
        enc.pointee.max_b_frames = 0
        // libavcodec defaults to one thread; 0 lets the encoder use every core, as the ffmpeg CLI does.
        enc.pointee.thread_count = 0
        if fmt.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER != 0 {
            enc.pointee.flags |= Int32(AV_CODEC_FLAG_GLOBAL_HEADER)
        }
        if encoderName == "libx264" {
            av_opt_set(enc.pointee.priv_data, "preset", options.preset, 0)
            if let tune = options.tune { av_opt_set(enc.pointee.priv_data, "tune", tune, 0) }
            if options.bitrateKbps == nil { av_opt_set(enc.pointee.priv_data, "crf", "\(options.crf)", 0) }
        }
        if let kbps = options.bitrateKbps {
            enc.pointee.bit_rate = Int64(kbps) * 1000
        }
        r = avcodec_open2(enc, codec, nil)
        guard r >= 0 else {
            avcodec_free_context(&encoder)
            avformat_free_context(fmt)
            throw MediaError(.codec, "cannot open the \(encoderName) encoder for \(size): \(avErrorString(r))")
        }
        avcodec_parameters_from_context(st.pointee.codecpar, enc)
        st.pointee.time_base = Self.encoderTimeBase
        st.pointee.avg_frame_rate = enc.pointee.framerate
        r = avio_open(&fmt.pointee.pb, path, AVIO_FLAG_WRITE)
        guard r >= 0 else {
            avcodec_free_context(&encoder)
            avformat_free_context(fmt)
            throw MediaError(.io, "cannot create \(path): \(avErrorString(r))")
        }
        var opts: OpaquePointer?
        // Short clusters keep a recording readable up to the last second if the process dies.
        av_dict_set(&opts, "cluster_time_limit", "1000", 0)
        r = avformat_write_header(fmt, &opts)
        av_dict_free(&opts)
        guard r >= 0 else {
            avio_closep(&fmt.pointee.pb)
            avcodec_free_context(&encoder)
            avformat_free_context(fmt)
            throw MediaError(.io, "cannot write the header of \(path): \(avErrorString(r))")
        }
        picture = av_frame_alloc()
        packet = av_packet_alloc()
    }

    deinit {
        if !finished { try? finish() }
        av_frame_free(&picture)
        av_packet_free(&packet)
        avcodec_free_context(&encoder)
        if let format {
            if format.pointee.pb != nil { avio_closep(&format.pointee.pb) }
            avformat_free_context(format)
        }
    }

    public func write(_ frame: Frame) throws(MediaError) {
        guard frame.width == size.width, frame.height == size.height else {
            throw MediaError(.unsupported, "frame \(frame.index) is \(frame.width)x\(frame.height) but \(path) is encoded at \(size)")
        }
        var pts = av_rescale_q(frame.pts, AVRational(num: 1, den: 1_000_000), Self.encoderTimeBase)
        if pts <= lastPts { pts = lastPts + 1 }
        lastPts = pts
        let r = sendFrame(frame, to: encoder, through: picture!, pts: pts)
        guard r >= 0 else { throw MediaError(.codec, "\(encoderName) rejected frame \(frame.index): \(avErrorString(r))") }
        try drain()
        framesWritten += 1
    }

    private func drain() throws(MediaError) {
        while true {
            let r = avcodec_receive_packet(encoder, packet)
            if r == rtd_averror_eagain() || r == rtd_averror_eof() { return }
            guard r >= 0 else { throw MediaError(.codec, "\(encoderName) failed: \(avErrorString(r))") }
            av_packet_rescale_ts(packet, Self.encoderTimeBase, stream.pointee.time_base)
            packet!.pointee.stream_index = stream.pointee.index
            let w = av_interleaved_write_frame(format, packet)
            guard w >= 0 else { throw MediaError(.io, "writing \(path) failed: \(avErrorString(w))") }
        }
    }

    /// Flushes the encoder and writes the container trailer. Called on every way out (also from
    /// deinit), so an interrupted capture still leaves a complete file.
    public func finish() throws(MediaError) {
        guard !finished else { return }
        finished = true
        _ = avcodec_send_frame(encoder, nil)
        try drain()
        let r = av_write_trailer(format)
        if format!.pointee.pb != nil { avio_closep(&format!.pointee.pb) }
        guard r >= 0 else { throw MediaError(.io, "finishing \(path) failed: \(avErrorString(r))") }
    }
}
