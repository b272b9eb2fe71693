import CFFmpeg

/// A libavcodec video decoder (any codec libavcodec has: H.264, VP8, MJPEG, …) that hands out
/// I420 frames. Used by file/URL sources, for MJPEG cameras, and by receivers.
final class VideoDecoder {
    private var context: UnsafeMutablePointer<AVCodecContext>?
    private var decoded: UnsafeMutablePointer<AVFrame>?
    private let scaler = Scaler()
    let codecName: String

    init(codecID: AVCodecID, parameters: UnsafePointer<AVCodecParameters>? = nil, threads: Int = 0) throws(MediaError) {
        guard let codec = avcodec_find_decoder(codecID) else {
            throw MediaError(.unsupported, "no decoder for codec \(String(cString: avcodec_get_name(codecID)))")
        }
        codecName = String(cString: codec.pointee.name)
        context = avcodec_alloc_context3(codec)
        decoded = av_frame_alloc()
        guard context != nil, decoded != nil else { throw MediaError(.codec, "out of memory allocating a \(codecName) decoder") }
        if let parameters, avcodec_parameters_to_context(context, parameters) < 0 {
            throw MediaError(.codec, "bad \(codecName) stream parameters")
        }
        context!.pointee.thread_count = Int32(threads)
        let r = avcodec_open2(context, codec, nil)
        guard r >= 0 else { throw MediaError(.codec, "cannot open \(codecName) decoder: \(avErrorString(r))") }
    }

    deinit {
        avcodec_free_context(&context)
        av_frame_free(&decoded)
    }

    /// Feeds a packet (nil flushes). Returns false if the decoder is full and frames must be
    /// received first.
    func send(_ packet: UnsafePointer<AVPacket>?) throws(MediaError) -> Bool {
        let r = avcodec_send_packet(context, packet)
        if r == rtd_averror_eagain() { return false }
        if r == rtd_averror_eof() { return true }
        // Corrupt input data is the stream's problem, not fatal: skip to the next packet.
        if r == rtd_averror_invaliddata() { return true }
        if r < 0 { throw MediaError(.codec, "\(codecName) decoder rejected a packet: \(avErrorString(r))") }
        return true
    }

    enum Output { case frame(UnsafeMutablePointer<AVFrame>), needInput, end }

    /// The next decoded picture; valid until the next call.
    func receive() throws(MediaError) -> Output {
        let r = avcodec_receive_frame(context, decoded)
        if r == 0 { return .frame(decoded!) }
        if r == rtd_averror_eagain() { return .needInput }
        if r == rtd_averror_eof() { return .end }
        throw MediaError(.codec, "\(codecName) decoding failed: \(avErrorString(r))")
    }

    /// Converts a decoded picture to an I420 frame of `size` (its own size when nil).
    func makeFrame(_ picture: UnsafeMutablePointer<AVFrame>, size: VideoSize?, pts: Int64, capturedAt: Int64,
                   index: Int) throws(MediaError) -> Frame {
        let p = picture.pointee
        let target = size ?? VideoSize(width: Int(p.width) & ~1, height: Int(p.height) & ~1)
        let d = p.data, l = p.linesize
        let data = try scaler.scale(
            srcData: [UnsafePointer(d.0), UnsafePointer(d.1), UnsafePointer(d.2), UnsafePointer(d.3)],
            srcStride: [l.0, l.1, l.2, l.3], width: Int(p.width), height: Int(p.height),
            format: AVPixelFormat(rawValue: p.format), to: target)
        return Frame(width: target.width, height: target.height, pts: pts, capturedAt: capturedAt, index: index, data: data)
    }

    /// Decodes one self-contained compressed picture (an MJPEG frame from a camera).
    func decodeImage(_ bytes: UnsafeRawBufferPointer, size: VideoSize?, pts: Int64, capturedAt: Int64,
                     index: Int) throws(MediaError) -> Frame? {
        guard let packet = av_packet_alloc() else { throw MediaError(.codec, "out of memory") }
        var pkt: UnsafeMutablePointer<AVPacket>? = packet
        defer { av_packet_free(&pkt) }
        packet.pointee.data = UnsafeMutablePointer(mutating: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self))
        packet.pointee.size = Int32(bytes.count)
        packet.pointee.flags = AV_PKT_FLAG_KEY
        _ = try send(packet)
        if case .frame(let picture) = try receive() {
            return try makeFrame(picture, size: size, pts: pts, capturedAt: capturedAt, index: index)
        }
        return nil
    }
}
