import CV4L2
import CFFmpeg
#if canImport(Glibc)
import Glibc
#endif
import RTDCore

/// A V4L2 camera: negotiates a format (raw YUYV / NV12 / YU12 first, MJPEG when the size needs
/// it), streams through MMAP buffers and converts each frame to I420.
public final class V4L2Source: FrameSource {
    private let device: V4L2Device
    private var buffers: [(pointer: UnsafeMutableRawPointer, length: Int)] = []
    private let fourcc: FourCC
    private let stride: Int
    private var mjpeg: VideoDecoder?
    private let outputSize: VideoSize?
    private var lastSequence: UInt32?
    private var startMonotonic: Int64?
    private var emitted = 0
    private var streaming = false
    public let size: VideoSize
    public let frameRate: FrameRate
    public private(set) var droppedFrames = 0

    static let preferred: [FourCC] = [.yuyv, .nv12, .yu12, .mjpeg, .jpeg]

    public init(device path: String, options: SourceOptions) throws(MediaError) {
        device = try V4L2Device(path: path)
        let caps = try device.capabilities()
        guard caps.canCapture else {
            throw MediaError(.device, "\(path) (\(caps.card)) is not a video capture node (it offers \(caps.names.joined(separator: ", "))); "
                + "try another /dev/videoN (rtd probe-cameras lists them)")
        }
        guard caps.canStream else { throw MediaError(.device, "\(path) does not support streaming I/O, which rtd needs") }
        let formats = device.formats()
        let usable = formats.filter { f in Self.preferred.contains(FourCC(f.fourcc)) }
        guard !usable.isEmpty else {
            throw MediaError(.unsupported, "\(path) offers no pixel format rtd can read (it has \(formats.map(\.fourcc).joined(separator: ", ")); "
                + "rtd reads YUYV, NV12, YU12 and MJPEG)")
        }
        // Pick the first preferred format that offers the requested size (any size when none asked).
        let wanted = options.size
        var choice: (FourCC, CameraInfo.Size)?
        for f in Self.preferred {
            guard let info = usable.first(where: { FourCC($0.fourcc) == f }) else { continue }
            let candidates = info.sizes.filter { wanted == nil || ($0.width == wanted!.width && $0.height == wanted!.height) }
            let best = wanted == nil ? candidates.max(by: { abs($0.width * $0.height - 640 * 480) > abs($1.width * $1.height - 640 * 480) })
                                     : candidates.first
            if let best { choice = (f, best); break }
        }
        guard let (format, chosenSize) = choice else {
            let offers = usable.map { f in "\(f.fourcc) " + f.sizes.map { "\($0.width)x\($0.height)" }.joined(separator: " ") }
            throw MediaError(.unsupported, "\(path) does not offer \(wanted!); it offers: \(offers.joined(separator: "; "))")
        }
        if let rate = options.frameRate, !chosenSize.fps.isEmpty,
           !chosenSize.fps.contains(where: { abs($0 - rate.value) < 0.01 }) {
            throw MediaError(.unsupported, "\(path) does not offer \(rate) fps at \(chosenSize.width)x\(chosenSize.height) \(format); "
                + "it offers \(chosenSize.fps.map { String(format: "%g", $0) }.joined(separator: ", ")) fps")
        }
        var fmt = v4l2_format()
        fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        fmt.fmt.pix.width = UInt32(chosenSize.width)
        fmt.fmt.pix.height = UInt32(chosenSize.height)
        fmt.fmt.pix.pixelformat = format.value
        fmt.fmt.pix.field = V4L2_FIELD_NONE.rawValue
        let e = device.ioctl(RTD_VIDIOC_S_FMT, &fmt)
        guard e == 0 else { throw device.failure("setting format \(format) \(chosenSize.width)x\(chosenSize.height)", e) }
        fourcc = FourCC(fmt.fmt.pix.pixelformat)
        let native = VideoSize(width: Int(fmt.fmt.pix.width) & ~1, height: Int(fmt.fmt.pix.height) & ~1)
        stride = Int(fmt.fmt.pix.bytesperline)
        outputSize = options.size
        size = options.size ?? native

        var parm = v4l2_streamparm()
        parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        if let rate = options.frameRate {
            parm.parm.capture.timeperframe = v4l2_fract(numerator: UInt32(rate.denominator), denominator: UInt32(rate.numerator))
            _ = device.ioctl(RTD_VIDIOC_S_PARM, &parm)
        }
        _ = device.ioctl(RTD_VIDIOC_G_PARM, &parm)
        let tpf = parm.parm.capture.timeperframe
        frameRate = tpf.numerator > 0 && tpf.denominator > 0 ? FrameRate(Int(tpf.denominator), Int(tpf.numerator)).reduced
            : options.frameRate ?? FrameRate(30)

        if fourcc == .mjpeg || fourcc == .jpeg { mjpeg = try VideoDecoder(codecID: AV_CODEC_ID_MJPEG, threads: 1) }
        try startStreaming()
    }

    deinit {
        if streaming {
            var type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            _ = device.ioctl(RTD_VIDIOC_STREAMOFF, &type)
        }
        for b in buffers { _ = rtd_v4l2_munmap(b.pointer, b.length) }
    }

    private func startStreaming() throws(MediaError) {
        var req = v4l2_requestbuffers()
        req.count = 4
        req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        req.memory = V4L2_MEMORY_MMAP.rawValue
        var e = device.ioctl(RTD_VIDIOC_REQBUFS, &req)
        guard e == 0 else { throw device.failure("requesting buffers", e) }
        guard req.count >= 2 else { throw MediaError(.device, "\(device.path): the driver granted only \(req.count) buffer(s)") }
        for i in 0..<req.count {
            var buf = v4l2_buffer()
            buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            buf.memory = V4L2_MEMORY_MMAP.rawValue
            buf.index = i
            e = device.ioctl(RTD_VIDIOC_QUERYBUF, &buf)
            guard e == 0 else { throw device.failure("querying buffer \(i)", e) }
            guard let p = rtd_v4l2_mmap(device.fd, Int(buf.length), Int(buf.m.offset)) else {
                throw device.failure("mapping buffer \(i)", errno)
            }
            buffers.append((p, Int(buf.length)))
            e = device.ioctl(RTD_VIDIOC_QBUF, &buf)
            guard e == 0 else { throw device.failure("queueing buffer \(i)", e) }
        }
        var type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        e = device.ioctl(RTD_VIDIOC_STREAMON, &type)
        guard e == 0 else { throw device.failure("starting the stream", e) }
        streaming = true
    }

    public func nextFrame() throws(MediaError) -> Frame? {
        while true {
            var pfd = pollfd(fd: device.fd, events: Int16(POLLIN), revents: 0)
            let r = poll(&pfd, 1, 3000)
            if r < 0 && errno == EINTR { continue }
            guard r > 0 else { throw MediaError(.device, "\(device.path) stopped delivering frames (no frame for 3 s)") }
            if pfd.revents & Int16(POLLERR) != 0 { throw MediaError(.device, "\(device.path) reported an error (unplugged?)") }
            var buf = v4l2_buffer()
            buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            buf.memory = V4L2_MEMORY_MMAP.rawValue
            let e = device.ioctl(RTD_VIDIOC_DQBUF, &buf)
            if e == EAGAIN { continue }
            guard e == 0 else { throw device.failure("dequeueing a frame", e) }
            defer { var b = buf; _ = device.ioctl(RTD_VIDIOC_QBUF, &b) }
            // Gaps in the driver's sequence numbers are frames the camera dropped because we were late.
            if let last = lastSequence, buf.sequence > last + 1 { droppedFrames += Int(buf.sequence - last - 1) }
            lastSequence = buf.sequence
            if buf.flags & UInt32(V4L2_BUF_FLAG_ERROR) != 0 { continue }
            let mono = Int64(buf.timestamp.tv_sec) * 1_000_000 + Int64(buf.timestamp.tv_usec)
            let start = startMonotonic ?? mono
            startMonotonic = start
            // Driver timestamps are monotonic; map to wall clock for Xts.
            let captured = SystemClock.nowMicros() - max(0, SystemClock.monotonicMicros() - mono)
            let bytes = UnsafeRawBufferPointer(start: buffers[Int(buf.index)].pointer, count: Int(buf.bytesused))
            if let frame = try convert(bytes, pts: mono - start, capturedAt: captured) {
                emitted += 1
                return frame
            }
        }
    }

    private func convert(_ bytes: UnsafeRawBufferPointer, pts: Int64, capturedAt: Int64) throws(MediaError) -> Frame? {
        if let mjpeg {
            // A corrupt JPEG from the camera is skipped, not fatal.
            return try? mjpeg.decodeImage(bytes, size: outputSize, pts: pts, capturedAt: capturedAt, index: emitted)
        }
        let w = size.width, h = size.height
        let data: [UInt8]?
        switch fourcc {
        case .yuyv: data = PixelConversion.yuyvToI420(bytes, width: w, height: h, stride: stride)
        case .nv12: data = PixelConversion.nv12ToI420(bytes, width: w, height: h, stride: stride)
        default: data = PixelConversion.yu12ToI420(bytes, width: w, height: h, stride: stride)
        }
        guard let data else { return nil }
        return Frame(width: w, height: h, pts: pts, capturedAt: capturedAt, index: emitted, data: data)
    }
}
