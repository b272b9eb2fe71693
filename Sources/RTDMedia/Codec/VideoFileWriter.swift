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
    private var stream: UnsafeMutablePointer<AVStream>?
    private let path: String
    private let size: VideoSize
    /// What is encoded: `size` rounded up to even numbers, the last column and row repeated
    /// (4:2:0 H.264 codes only even sizes).
    public let encodedSize: VideoSize
    private var lastPts: Int64 = -1
    /// Set once the container header is written: only then is there a file to finish.
    private var started = false
    private var finished = false
    public private(set) var framesWritten = 0
    public let encoderName: String

    static let encoderTimeBase = AVRational(num: 1, den: 90_000)
    public static let maxDimension = 16384
    public static let maxKeyframeInterval = 100_000
    public static let maxBitrateKbps = 1_000_000

    /// Refuses what the encoder or muxer would refuse, or what would overflow their 32-bit
    /// fields, before anything is opened.
    public static func check(size: VideoSize, frameRate: FrameRate, options: EncoderOptions) throws(MediaError) {
        guard (1...maxDimension).contains(size.width), (1...maxDimension).contains(size.height) else {
            throw MediaError(.unsupported, "cannot encode \(size): width and height must be 1 .. \(maxDimension)")
        }
        guard size.width * size.height <= Y4MStreamHeader.maxPixels else {
            throw MediaError(.unsupported, "cannot encode \(size): more than \(Y4MStreamHeader.maxPixels) pixels (8192x8192)")
        }
        guard frameRate.isWithinLimits else {
            throw MediaError(.unsupported, "cannot encode at \(frameRate.numerator)/\(frameRate.denominator) fps: "
                + "out of range (\(FrameRate.limitsText))")
        }
        if let k = options.keyframeInterval, !(1...maxKeyframeInterval).contains(k) {
            throw MediaError(.badInput, "keyframe interval \(k) out of range (1 .. \(maxKeyframeInterval) frames)")
        }
        if let b = options.bitrateKbps, !(1...maxBitrateKbps).contains(b) {
            throw MediaError(.badInput, "bitrate \(b) kbit/s out of range (1 .. \(maxBitrateKbps))")
        }
        guard (0...51).contains(options.crf) else { throw MediaError(.badInput, "crf \(options.crf) out of range (0 .. 51)") }
    }

    public init(path: String, size: VideoSize, frameRate: FrameRate, options: EncoderOptions = EncoderOptions()) throws(MediaError) {
        try Self.check(size: size, frameRate: frameRate, options: options)
        guard let codec = avcodec_find_encoder_by_name("libx264") ?? avcodec_find_encoder_by_name("libopenh264") else {
            throw MediaError(.unsupported, "no H.264 encoder in this libavcodec (install libavcodec with libx264 or openh264)")
        }
        self.path = path
        self.size = size
        encodedSize = VideoSize(width: size.width + size.width % 2, height: size.height + size.height % 2)
        encoderName = String(cString: codec.pointee.name)
        // Every stored property has its value from here on, so a throw below runs deinit, which
        // frees what was allocated: each libav object has exactly one owner and one free.
        av_log_set_level(AV_LOG_FATAL)
        var r = avformat_alloc_output_context2(&format, nil, nil, path)
        guard r >= 0, let fmt = format else {
            throw MediaError(.unsupported, "cannot write \(path): unknown container (use .mkv or .mp4)")
        }
        stream = avformat_new_stream(fmt, nil)
        encoder = avcodec_alloc_context3(codec)
        picture = av_frame_alloc()
        packet = av_packet_alloc()
        guard let st = stream, let enc = encoder, picture != nil, packet != nil else {
            throw MediaError(.codec, "out of memory creating the \(encoderName) encoder")
        }
        enc.pointee.width = Int32(encodedSize.width)
        enc.pointee.height = Int32(encodedSize.height)
        enc.pointee.pix_fmt = AV_PIX_FMT_YUV420P
        enc.pointee.time_base = Self.encoderTimeBase
        enc.pointee.framerate = AVRational(num: Int32(frameRate.numerator), den: Int32(frameRate.denominator))
        // check() bounded both: at most 2000 frames (2 s at 1000 fps) or maxKeyframeInterval.
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
        guard r >= 0 else { throw MediaError(.codec, "cannot open the \(encoderName) encoder for \(encodedSize): \(avErrorString(r))") }
        avcodec_parameters_from_context(st.pointee.codecpar, enc)
        st.pointee.time_base = Self.encoderTimeBase
        st.pointee.avg_frame_rate = enc.pointee.framerate
        r = avio_open(&fmt.pointee.pb, path, AVIO_FLAG_WRITE)
        guard r >= 0 else { throw MediaError(.io, "cannot create \(path): \(avErrorString(r))") }
        var opts: OpaquePointer?
        // Short clusters keep a recording readable up to the last second if the process dies.
        av_dict_set(&opts, "cluster_time_limit", "1000", 0)
        r = avformat_write_header(fmt, &opts)
        av_dict_free(&opts)
        guard r >= 0 else { throw MediaError(.io, "cannot write the header of \(path): \(avErrorString(r))") }
        started = true
    }

    deinit {
        if started && !finished { try? finish() }
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
        guard started, !finished, let picture else {
            throw MediaError(.unsupported, "frame \(frame.index): \(path) is already finished")
        }
        var pts = av_rescale_q(frame.pts, AVRational(num: 1, den: 1_000_000), Self.encoderTimeBase)
        // av_rescale_q gives INT64_MIN when the result does not fit; times only move forward.
        if pts <= lastPts { pts = lastPts &+ 1 }
        guard pts > lastPts else { throw MediaError(.badInput, "frame \(frame.index): time \(frame.pts) µs out of range") }
        lastPts = pts
        let r = sendFrame(encodedSize == size ? frame : frame.paddedToEven(), to: encoder, through: picture, pts: pts)
        guard r >= 0 else { throw MediaError(.codec, "\(encoderName) rejected frame \(frame.index): \(avErrorString(r))") }
        try drain()
        framesWritten += 1
    }

    private func drain() throws(MediaError) {
        while true {
            let r = avcodec_receive_packet(encoder, packet)
            if r == rtd_averror_eagain() || r == rtd_averror_eof() { return }
            guard r >= 0 else { throw MediaError(.codec, "\(encoderName) failed: \(avErrorString(r))") }
            av_packet_rescale_ts(packet, Self.encoderTimeBase, stream!.pointee.time_base)
            packet!.pointee.stream_index = stream!.pointee.index
            let w = av_interleaved_write_frame(format, packet)
            guard w >= 0 else { throw MediaError(.io, "writing \(path) failed: \(avErrorString(w))") }
        }
    }

    /// Flushes the encoder and writes the container trailer. Called on every way out (also from
    /// deinit), so an interrupted capture still leaves a complete file.
    public func finish() throws(MediaError) {
        guard started, !finished else { return }
        finished = true
        _ = avcodec_send_frame(encoder, nil)
        try drain()
        let r = av_write_trailer(format)
        if format!.pointee.pb != nil { avio_closep(&format!.pointee.pb) }
        guard r >= 0 else { throw MediaError(.io, "finishing \(path) failed: \(avErrorString(r))") }
    }
}
