import CFFmpeg
import RTDCore

/// One Opus packet, ready to send: 20 ms of audio.
public struct EncodedAudio: Sendable {
    public let data: [UInt8]
    /// Samples (per channel, at 48 kHz) the packet decodes to.
    public let duration: Int
    /// Capture time (unix µs) of the first sample the packet decodes to. The encoder's look-ahead
    /// (its pre-skip, 6.5 ms) is taken off, so a receiver that plays the packet at this time plays
    /// each sound when it was captured.
    public let capturedAt: Int64
}

/// Opus for WebRTC through libavcodec's libopus: 48 kHz, 20 ms frames, in-band FEC (RFC 7587's
/// `useinbandfec=1`), variable bitrate. One per camera serves every listener.
public final class OpusEncoder {
    public static let sampleRate = 48_000
    public static let frameSamples = 960

    private var context: UnsafeMutablePointer<AVCodecContext>?
    private var frame: UnsafeMutablePointer<AVFrame>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    public let channels: Int
    /// Capture time of sample 0 of the stream: the pts libav is given count samples from it.
    private var origin: Int64?

    public init(channels: Int, bitrate: Int = 32_000) throws(MediaError) {
        guard (1...2).contains(channels) else { throw MediaError(.unsupported, "Opus for WebRTC takes 1 or 2 channels, not \(channels)") }
        self.channels = channels
        av_log_set_level(AV_LOG_FATAL)
        guard let codec = avcodec_find_encoder_by_name("libopus") else {
            throw MediaError(.unsupported, "no libopus encoder in this libavcodec")
        }
        guard let ctx = avcodec_alloc_context3(codec) else { throw MediaError(.codec, "out of memory") }
        context = ctx
        ctx.pointee.sample_rate = Int32(Self.sampleRate)
        ctx.pointee.sample_fmt = AV_SAMPLE_FMT_S16
        av_channel_layout_default(&ctx.pointee.ch_layout, Int32(channels))
        ctx.pointee.bit_rate = Int64(bitrate)
        ctx.pointee.time_base = AVRational(num: 1, den: Int32(Self.sampleRate))
        let priv = ctx.pointee.priv_data
        av_opt_set(priv, "frame_duration", "20", 0)
        // In-band FEC only works with an expected loss above zero: each packet then carries a
        // coarse copy of the one before, which a receiver uses when that one is lost.
        av_opt_set(priv, "fec", "1", 0)
        av_opt_set_int(priv, "packet_loss", 10, 0)
        let r = avcodec_open2(ctx, codec, nil)
        guard r >= 0 else { throw MediaError(.codec, "cannot open libopus: \(avErrorString(r))") }
        guard let f = av_frame_alloc(), let p = av_packet_alloc() else { throw MediaError(.codec, "out of memory") }
        frame = f
        packet = p
        f.pointee.nb_samples = Int32(Self.frameSamples)
        f.pointee.format = AV_SAMPLE_FMT_S16.rawValue
        f.pointee.sample_rate = Int32(Self.sampleRate)
        av_channel_layout_copy(&f.pointee.ch_layout, &ctx.pointee.ch_layout)
        guard av_frame_get_buffer(f, 0) >= 0 else { throw MediaError(.codec, "out of memory") }
    }

    deinit {
        av_frame_free(&frame)
        av_packet_free(&packet)
        avcodec_free_context(&context)
    }

    /// Encodes one 20 ms frame (960 samples per channel at 48 kHz); the packets it completes (one,
    /// in practice). Each is stamped from the frame just given, less the look-ahead, not from
    /// libav's pts: the encoder sees one contiguous stream, so after frames were skipped its pts
    /// would lag the capture clock by the gap, and the sound would drift from the video.
    public func encode(_ input: AudioFrame) throws(MediaError) -> [EncodedAudio] {
        guard input.sampleRate == Self.sampleRate, input.channels == channels, input.frameCount == Self.frameSamples else {
            throw MediaError(.unsupported, "Opus encoder takes \(Self.frameSamples) samples × \(channels) at \(Self.sampleRate) Hz, "
                + "got \(input.frameCount) × \(input.channels) at \(input.sampleRate) Hz")
        }
        guard let context, let frame, let packet else { throw MediaError(.codec, "encoder closed") }
        let origin = self.origin ?? input.capturedAt
        self.origin = origin
        guard av_frame_make_writable(frame) >= 0, let plane = frame.pointee.data.0 else { throw MediaError(.codec, "out of memory") }
        input.samples.withUnsafeBytes { plane.update(from: $0.bindMemory(to: UInt8.self).baseAddress!, count: $0.count) }
        frame.pointee.pts = (input.capturedAt - origin) * Int64(Self.sampleRate) / 1_000_000
        let sent = avcodec_send_frame(context, frame)
        guard sent >= 0 else { throw MediaError(.codec, "libopus rejected a frame: \(avErrorString(sent))") }
        let lookahead = Int64(context.pointee.initial_padding) * 1_000_000 / Int64(Self.sampleRate)
        var out: [EncodedAudio] = []
        while true {
            let r = avcodec_receive_packet(context, packet)
            if r == rtd_averror_eagain() { break }
            guard r >= 0 else { throw MediaError(.codec, "libopus failed: \(avErrorString(r))") }
            let data = Array(UnsafeBufferPointer(start: packet.pointee.data, count: Int(packet.pointee.size)))
            let before = out.reduce(0) { $0 + Int64($1.duration) } * 1_000_000 / Int64(Self.sampleRate)
            out.append(EncodedAudio(data: data, duration: Int(packet.pointee.duration),
                                    capturedAt: input.capturedAt - lookahead + before))
            av_packet_unref(packet)
        }
        return out
    }
}
