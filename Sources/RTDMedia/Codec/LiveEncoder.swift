import CFFmpeg
import RTDCore

/// One compressed picture, ready to packetize: Annex-B access unit for H.264, a raw frame for VP8.
public struct EncodedFrame: Sendable {
    public let data: [UInt8]
    public let isKeyframe: Bool
    /// Timing of the source frame (µs since stream start; unix µs of capture).
    public let pts: Int64
    public let capturedAt: Int64
}

/// A low-latency encoder for live streaming: one picture in, one out (no B-frames, no
/// lookahead), keyframes on demand, bitrate adjustable while running. One per camera and
/// codec serves every viewer.
public final class LiveEncoder {
    public struct Settings: Sendable, Equatable {
        public var bitrateKbps: Int
        /// Seconds between periodic keyframes (viewers that join get one on request anyway).
        public var keyframeInterval: Double
        /// x264 preset; ultrafast keeps encode time (and so latency) lowest.
        public var preset: String

        public init(bitrateKbps: Int = 1500, keyframeInterval: Double = 4, preset: String = "ultrafast") {
            self.bitrateKbps = bitrateKbps
            self.keyframeInterval = keyframeInterval
            self.preset = preset
        }
    }

    private var context: UnsafeMutablePointer<AVCodecContext>?
    private var picture: UnsafeMutablePointer<AVFrame>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    public let settings: Settings
    public let size: VideoSize
    /// `size` rounded up to even numbers (4:2:0 encoders take only even sizes); odd frames are
    /// padded by repeating their last column and row.
    public let encodedSize: VideoSize
    public let encoderName: String
    public private(set) var bitrateKbps: Int
    /// Capture time of each picture in the encoder, by pts (the packet tells only its pts).
    private var pending: [Int64: Int64] = [:]

    public init(codec: VideoCodec, settings: Settings, size: VideoSize, frameRate: FrameRate) throws(MediaError) {
        self.settings = settings
        self.size = size
        encodedSize = VideoSize(width: size.width + size.width % 2, height: size.height + size.height % 2)
        bitrateKbps = settings.bitrateKbps
        let libav = LibavVideoCodec(codec)
        let maxSide = libav.maxSide
        guard (1...maxSide).contains(encodedSize.width), (1...maxSide).contains(encodedSize.height),
              encodedSize.width * encodedSize.height <= Y4MStreamHeader.maxPixels else {
            throw MediaError(.unsupported, "cannot encode \(size) as \(codec.rawValue): at most \(maxSide) per side "
                + "and \(Y4MStreamHeader.maxPixels) pixels")
        }
        guard frameRate.isWithinLimits else {
            throw MediaError(.unsupported, "cannot encode at \(frameRate.numerator)/\(frameRate.denominator) fps: "
                + "out of range (\(FrameRate.limitsText))")
        }
        av_log_set_level(AV_LOG_FATAL)
        let names = libav.encoders
        guard let codec = names.lazy.compactMap({ avcodec_find_encoder_by_name($0) }).first else {
            throw MediaError(.unsupported, "no \(codec.rawValue) encoder in this libavcodec (looked for \(names.joined(separator: ", ")))")
        }
        encoderName = String(cString: codec.pointee.name)
        guard let ctx = avcodec_alloc_context3(codec) else { throw MediaError(.codec, "out of memory") }
        context = ctx
        ctx.pointee.width = Int32(encodedSize.width)
        ctx.pointee.height = Int32(encodedSize.height)
        ctx.pointee.pix_fmt = AV_PIX_FMT_YUV420P
        ctx.pointee.time_base = AVRational(num: 1, den: 90_000)
        ctx.pointee.framerate = AVRational(num: Int32(frameRate.numerator), den: Int32(frameRate.denominator))
        // Bounded before the conversion: Int32(Double) traps on NaN or out of range.
        let gop = settings.keyframeInterval * frameRate.value
        ctx.pointee.gop_size = gop.isFinite ? Int32(min(1e6, max(1, gop))) : 1
        ctx.pointee.max_b_frames = 0
        // libvpx's worker threads spin waiting for each other when the cores are busy (measured:
        // 19x the CPU with 2 threads on a loaded 2-core machine, 3-10 fps instead of 30), so VP8
        // gets one thread; x264's sliced threads do not have that problem.
        ctx.pointee.thread_count = codec.pointee.name.map { String(cString: $0) } == "libvpx" ? 1 : 0
        Self.applyBitrate(ctx, kbps: settings.bitrateKbps, fps: frameRate.value)
        let priv = ctx.pointee.priv_data
        switch encoderName {
        case "libx264":
            av_opt_set(priv, "preset", settings.preset, 0)
            av_opt_set(priv, "tune", "zerolatency", 0)
            // Constrained baseline (what every browser decodes), level 3.1 up to 720p30, SPS/PPS
            // with every IDR so a joining viewer can start at any keyframe.
            av_opt_set(priv, "profile", "baseline", 0)
            av_opt_set(priv, "level", size.width * size.height > 1280 * 720 ? "4.0" : "3.1", 0)
            av_opt_set(priv, "forced-idr", "1", 0)
            av_opt_set(priv, "x264-params", "repeat-headers=1:annexb=1:aud=0:scenecut=0", 0)
        case "libopenh264":
            av_opt_set(priv, "profile", "constrained_baseline", 0)
        default: // libvpx
            av_opt_set(priv, "deadline", "realtime", 0)
            // Speed 14 of libvpx's 16: at 720p30 and 2.5 Mbit/s it costs 40 % less than 8 on busy
            // content (ffmpeg testsrc2: 1.31 vs 2.20 s for 300 frames) at the same size and PSNR
            // (28.10 vs 28.14 dB); easy content (rtd's testsrc) 20 % less for ~25 % more bits, still
            // under the cap. 16 saves little more on busy content and spends 57 % more bits on easy.
            av_opt_set(priv, "cpu-used", "14", 0)
            av_opt_set(priv, "lag-in-frames", "0", 0)
            av_opt_set(priv, "auto-alt-ref", "0", 0)
            av_opt_set(priv, "error-resilient", "1", 0)
            ctx.pointee.qmin = 4
            ctx.pointee.qmax = 56
        }
        let r = avcodec_open2(ctx, codec, nil)
        guard r >= 0 else { throw MediaError(.codec, "cannot open \(encoderName) for \(size): \(avErrorString(r))") }
        picture = av_frame_alloc()
        packet = av_packet_alloc()
    }

    deinit {
        av_frame_free(&picture)
        av_packet_free(&packet)
        avcodec_free_context(&context)
    }

    private static func applyBitrate(_ ctx: UnsafeMutablePointer<AVCodecContext>, kbps: Int, fps: Double) {
        let bps = Int64(kbps) * 1000
        ctx.pointee.bit_rate = bps
        ctx.pointee.rc_max_rate = bps
        // A VBV of about a quarter second keeps frame sizes even, so no frame waits in a pacer.
        ctx.pointee.rc_buffer_size = Int32(clamping: bps / 4)
    }

    /// Changes the target bitrate from the next frame on (libx264 reconfigures in place).
    public func setBitrate(kbps: Int) {
        guard kbps != bitrateKbps, let context else { return }
        bitrateKbps = kbps
        let fps = Double(context.pointee.framerate.num) / Double(max(1, context.pointee.framerate.den))
        Self.applyBitrate(context, kbps: kbps, fps: fps)
    }

    /// Encodes one frame; `keyframe` forces an IDR/keyframe.
    public func encode(_ frame: Frame, keyframe: Bool) throws(MediaError) -> EncodedFrame? {
        guard frame.width == size.width, frame.height == size.height else {
            throw MediaError(.unsupported, "frame is \(frame.width)x\(frame.height), encoder is \(size)")
        }
        let pts = av_rescale_q(frame.pts, AVRational(num: 1, den: 1_000_000), AVRational(num: 1, den: 90_000))
        pending[pts] = frame.capturedAt
        let sent = sendFrame(encodedSize == size ? frame : frame.paddedToEven(), to: context, through: picture!, pts: pts, keyframe: keyframe)
        guard sent >= 0 else { throw MediaError(.codec, "\(encoderName) rejected frame \(frame.index): \(avErrorString(sent))") }
        let r = avcodec_receive_packet(context, packet)
        if r == rtd_averror_eagain() { return nil }
        guard r >= 0, let pkt = packet else { throw MediaError(.codec, "\(encoderName) failed: \(avErrorString(r))") }
        defer { av_packet_unref(pkt) }
        let capturedAt = pending.removeValue(forKey: pkt.pointee.pts) ?? frame.capturedAt
        if pending.count > 64 { pending.removeAll() }
        let data = Array(UnsafeBufferPointer(start: pkt.pointee.data, count: Int(pkt.pointee.size)))
        return EncodedFrame(data: data, isKeyframe: pkt.pointee.flags & AV_PKT_FLAG_KEY != 0,
                            pts: av_rescale_q(pkt.pointee.pts, AVRational(num: 1, den: 90_000), AVRational(num: 1, den: 1_000_000)),
                            capturedAt: capturedAt)
    }
}
