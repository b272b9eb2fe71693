import CFFmpeg

/// libswscale, wrapped: converts any libav pixel layout to I420 at a target size, writing
/// straight into a new frame's storage. The context is cached until the input changes.
final class Scaler {
    private var context: OpaquePointer?
    private var key: (w: Int32, h: Int32, fmt: Int32, ow: Int32, oh: Int32)?

    deinit { sws_freeContext(context) }

    /// Converts planes described by `srcData`/`srcStride` (libav layout) into an I420 buffer.
    func scale(srcData: [UnsafePointer<UInt8>?], srcStride: [Int32], width: Int, height: Int,
               format: AVPixelFormat, to target: VideoSize) throws(MediaError) -> [UInt8] {
        let k = (Int32(width), Int32(height), format.rawValue, Int32(target.width), Int32(target.height))
        if key == nil || key! != k {
            sws_freeContext(context)
            let flags = (width == target.width && height == target.height) ? SWS_POINT : SWS_BILINEAR
            context = sws_getContext(k.0, k.1, format, k.3, k.4, AV_PIX_FMT_YUV420P, flags, nil, nil, nil)
            guard context != nil else {
                throw MediaError(.codec, "cannot convert \(width)x\(height) pixel format \(Scaler.name(format)) to \(target) I420")
            }
            key = k
        }
        let cw = (target.width + 1) / 2, ch = (target.height + 1) / 2
        let count = Frame.byteCount(width: target.width, height: target.height)
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, n in
            let base = buffer.baseAddress!
            var dst: [UnsafeMutablePointer<UInt8>?] = [base, base + target.width * target.height,
                                                       base + target.width * target.height + cw * ch, nil]
            var dstStride: [Int32] = [Int32(target.width), Int32(cw), Int32(cw), 0]
            var src = srcData
            while src.count < 4 { src.append(nil) }
            var stride = srcStride
            while stride.count < 4 { stride.append(0) }
            _ = sws_scale(context, &src, &stride, 0, Int32(height), &dst, &dstStride)
            n = count
        }
    }

    static func name(_ format: AVPixelFormat) -> String {
        guard let n = av_get_pix_fmt_name(format) else { return "#\(format.rawValue)" }
        return String(cString: n)
    }
}

/// Resizes I420 frames to a requested size (or passes them through untouched, sharing storage).
public final class FrameConverter {
    private let target: VideoSize?
    private let scaler = Scaler()

    public init(target: VideoSize?) { self.target = target }

    public func convert(_ frame: Frame, index: Int) throws(MediaError) -> Frame {
        guard let target, target.width != frame.width || target.height != frame.height else {
            return frame.index == index ? frame : frame.retimed(index: index)
        }
        let data = try frame.data.withUnsafeBufferPointer { (p) throws(MediaError) -> [UInt8] in
            let base = p.baseAddress!
            return try scaler.scale(srcData: [base, base + frame.uOffset, base + frame.vOffset],
                                    srcStride: [Int32(frame.width), Int32(frame.chromaWidth), Int32(frame.chromaWidth)],
                                    width: frame.width, height: frame.height, format: AV_PIX_FMT_YUV420P, to: target)
        }
        return Frame(width: target.width, height: target.height, pts: frame.pts, capturedAt: frame.capturedAt,
                     index: index, data: data)
    }
}

/// Turns a libav error code into its message.
func avErrorString(_ code: Int32) -> String {
    var buf = [CChar](repeating: 0, count: 256)
    av_strerror(code, &buf, buf.count)
    return buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}

/// Sends a frame to an encoder without copying it: its planes are lent to libavcodec as one
/// reference-counted, read-only buffer that keeps the `Frame` alive until the encoder lets go.
/// A picture without such a buffer is copied whole by avcodec_send_frame (1.4 MB per 720p frame,
/// into a fresh allocation) before x264 or libvpx copy it once more into their own pictures.
/// Returns avcodec_send_frame's result.
func sendFrame(_ frame: Frame, to encoder: UnsafeMutablePointer<AVCodecContext>?, through picture: UnsafeMutablePointer<AVFrame>,
               pts: Int64, keyframe: Bool = false, format: AVPixelFormat = AV_PIX_FMT_YUV420P) -> Int32 {
    frame.data.withUnsafeBufferPointer { p in
        // `data` is a constant of an immutable class: its storage neither moves nor changes while
        // the frame lives, so the address stays good for as long as the buffer holds the frame.
        let base = UnsafeMutablePointer(mutating: p.baseAddress!)
        let owner = Unmanaged.passRetained(frame)
        guard let buffer = av_buffer_create(base, p.count, { opaque, _ in Unmanaged<Frame>.fromOpaque(opaque!).release() },
                                            owner.toOpaque(), AV_BUFFER_FLAG_READONLY) else {
            owner.release()
            return rtd_averror_enomem()
        }
        picture.pointee.buf.0 = buffer
        picture.pointee.data.0 = base
        picture.pointee.data.1 = base + frame.uOffset
        picture.pointee.data.2 = base + frame.vOffset
        picture.pointee.linesize.0 = Int32(frame.width)
        picture.pointee.linesize.1 = Int32(frame.chromaWidth)
        picture.pointee.linesize.2 = Int32(frame.chromaWidth)
        picture.pointee.width = Int32(frame.width)
        picture.pointee.height = Int32(frame.height)
        picture.pointee.format = format.rawValue
        picture.pointee.pts = pts
        picture.pointee.pict_type = keyframe ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE
        let r = avcodec_send_frame(encoder, picture)
        // The encoder took its own reference (or failed): ours goes, the frame lives on in its.
        av_buffer_unref(&picture.pointee.buf.0)
        picture.pointee.data.0 = nil
        picture.pointee.data.1 = nil
        picture.pointee.data.2 = nil
        return r
    }
}
