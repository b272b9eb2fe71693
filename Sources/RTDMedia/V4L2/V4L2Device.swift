import CV4L2
#if canImport(Glibc)
import Glibc
#endif

/// What a V4L2 device reports: identity, capabilities and, per pixel format, frame sizes and rates.
public struct CameraInfo: Codable, Sendable, Equatable {
    public struct Size: Codable, Sendable, Equatable {
        public var width: Int
        public var height: Int
        public var fps: [Double]
    }
    public struct Format: Codable, Sendable, Equatable {
        public var fourcc: String
        public var description: String
        public var compressed: Bool
        public var sizes: [Size]
    }
    public var path: String
    public var card: String
    public var driver: String
    public var bus: String
    public var capabilities: [String]
    public var formats: [Format]
    public var error: String?
}

/// A fourcc code as V4L2 packs it (little-endian ASCII).
public struct FourCC: Sendable, Equatable, Hashable, CustomStringConvertible {
    public let value: UInt32
    public init(_ value: UInt32) { self.value = value }
    public init(_ text: String) {
        var v: UInt32 = 0
        for (i, b) in text.utf8.prefix(4).enumerated() { v |= UInt32(b) << (8 * UInt32(i)) }
        value = v
    }
    public var description: String {
        String(decoding: (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }, as: UTF8.self)
            .trimmingCharacters(in: .whitespaces)
    }
    public static let yuyv = FourCC("YUYV")
    public static let mjpeg = FourCC("MJPG")
    public static let jpeg = FourCC("JPEG")
    public static let nv12 = FourCC("NV12")
    public static let yu12 = FourCC("YU12")
}

/// An open V4L2 device node. Every ioctl failure becomes a message that says what to do.
final class V4L2Device {
    let path: String
    let fd: Int32

    init(path: String) throws(MediaError) {
        self.path = path
        let fd = Glibc.open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw V4L2Device.openError(path: path, errno: errno) }
        self.fd = fd
    }

    deinit { _ = Glibc.close(fd) }

    static func openError(path: String, errno e: Int32) -> MediaError {
        switch e {
        case ENOENT: return MediaError(.notFound, "no such camera: \(path) (rtd probe-cameras lists the cameras on this machine)")
        case EACCES, EPERM: return MediaError(.device, "permission denied opening \(path): add your user to the 'video' group "
                                          + "(sudo usermod -aG video $USER, then log in again)")
        case EBUSY: return busy(path)
        default: return MediaError(.device, "cannot open \(path): \(String(cString: strerror(e)))")
        }
    }

    static func busy(_ path: String) -> MediaError {
        MediaError(.device, "\(path) is busy: another process is using the camera (find it with: fuser -v \(path))")
    }

    func ioctl<T>(_ request: UInt, _ arg: inout T) -> Int32 {
        withUnsafeMutablePointer(to: &arg) { rtd_v4l2_ioctl(fd, request, $0) == 0 ? 0 : errno }
    }

    func failure(_ what: String, _ e: Int32) -> MediaError {
        if e == EBUSY { return V4L2Device.busy(path) }
        return MediaError(.device, "\(path): \(what) failed: \(String(cString: strerror(e)))")
    }

    struct Capabilities {
        var card: String, driver: String, bus: String
        var caps: UInt32
        var names: [String]
        var canCapture: Bool { caps & UInt32(V4L2_CAP_VIDEO_CAPTURE) != 0 }
        var canStream: Bool { caps & UInt32(V4L2_CAP_STREAMING) != 0 }
    }

    func capabilities() throws(MediaError) -> Capabilities {
        var cap = v4l2_capability()
        let e = ioctl(RTD_VIDIOC_QUERYCAP, &cap)
        guard e == 0 else {
            if e == ENOTTY || e == EINVAL { throw MediaError(.device, "\(path) is not a V4L2 video device") }
            throw failure("querying capabilities", e)
        }
        // device_caps describes this node; capabilities describes the whole physical device.
        let caps = cap.capabilities & UInt32(V4L2_CAP_DEVICE_CAPS) != 0 ? cap.device_caps : cap.capabilities
        let known: [(UInt32, String)] = [
            (UInt32(V4L2_CAP_VIDEO_CAPTURE), "video-capture"), (UInt32(V4L2_CAP_VIDEO_CAPTURE_MPLANE), "video-capture-mplane"),
            (UInt32(V4L2_CAP_VIDEO_OUTPUT), "video-output"), (UInt32(V4L2_CAP_VIDEO_M2M), "m2m"),
            (UInt32(V4L2_CAP_META_CAPTURE), "meta-capture"), (UInt32(V4L2_CAP_READWRITE), "read-write"),
            (UInt32(V4L2_CAP_STREAMING), "streaming"), (UInt32(V4L2_CAP_EXT_PIX_FORMAT), "ext-pix-format"),
        ]
        return Capabilities(card: Self.string(cap.card), driver: Self.string(cap.driver), bus: Self.string(cap.bus_info),
                            caps: caps, names: known.filter { caps & $0.0 != 0 }.map(\.1))
    }

    func formats() -> [CameraInfo.Format] {
        var result: [CameraInfo.Format] = []
        var index: UInt32 = 0
        while true {
            var desc = v4l2_fmtdesc()
            desc.index = index
            desc.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            guard ioctl(RTD_VIDIOC_ENUM_FMT, &desc) == 0 else { break }
            let fourcc = FourCC(desc.pixelformat)
            result.append(CameraInfo.Format(fourcc: fourcc.description, description: Self.string(desc.description),
                                            compressed: desc.flags & UInt32(V4L2_FMT_FLAG_COMPRESSED) != 0,
                                            sizes: sizes(fourcc)))
            index += 1
        }
        return result
    }

    private func sizes(_ fourcc: FourCC) -> [CameraInfo.Size] {
        var result: [CameraInfo.Size] = []
        var index: UInt32 = 0
        while index < 256 {
            var fs = v4l2_frmsizeenum()
            fs.index = index
            fs.pixel_format = fourcc.value
            guard ioctl(RTD_VIDIOC_ENUM_FRAMESIZES, &fs) == 0 else { break }
            if fs.type == V4L2_FRMSIZE_TYPE_DISCRETE.rawValue {
                let w = Int(fs.discrete.width), h = Int(fs.discrete.height)
                result.append(CameraInfo.Size(width: w, height: h, fps: rates(fourcc, w, h)))
            } else {
                // Stepwise/continuous: report the range's ends, which is what a user picks from.
                let s = fs.stepwise
                for (w, h) in [(Int(s.min_width), Int(s.min_height)), (Int(s.max_width), Int(s.max_height))] {
                    result.append(CameraInfo.Size(width: w, height: h, fps: rates(fourcc, w, h)))
                }
                break
            }
            index += 1
        }
        return result
    }

    private func rates(_ fourcc: FourCC, _ width: Int, _ height: Int) -> [Double] {
        var result: [Double] = []
        var index: UInt32 = 0
        while index < 64 {
            var fi = v4l2_frmivalenum()
            fi.index = index
            fi.pixel_format = fourcc.value
            fi.width = UInt32(width)
            fi.height = UInt32(height)
            guard ioctl(RTD_VIDIOC_ENUM_FRAMEINTERVALS, &fi) == 0 else { break }
            if fi.type == V4L2_FRMIVAL_TYPE_DISCRETE.rawValue {
                if fi.discrete.numerator > 0 { result.append(Self.fps(fi.discrete)) }
            } else {
                let s = fi.stepwise
                if s.min.numerator > 0 { result.append(Self.fps(s.min)) }
                if s.max.numerator > 0 { result.append(Self.fps(s.max)) }
                break
            }
            index += 1
        }
        return result
    }

    static func fps(_ interval: v4l2_fract) -> Double {
        (Double(interval.denominator) / Double(interval.numerator) * 100).rounded() / 100
    }

    static func string<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { raw in
            let bytes = raw.prefix(while: { $0 != 0 })
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// Everything probe-cameras reports for one node.
    static func describe(path: String) -> CameraInfo {
        do {
            let dev = try V4L2Device(path: path)
            let caps = try dev.capabilities()
            return CameraInfo(path: path, card: caps.card, driver: caps.driver, bus: caps.bus,
                              capabilities: caps.names, formats: caps.canCapture ? dev.formats() : [])
        } catch {
            return CameraInfo(path: path, card: "", driver: "", bus: "", capabilities: [], formats: [], error: error.message)
        }
    }
}

import Foundation

public enum CameraProbe {
    /// Every /dev/video* node, in numeric order.
    public static func devicePaths(in directory: String = "/dev") -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasPrefix("video") && Int($0.dropFirst(5)) != nil }
            .sorted { Int($0.dropFirst(5))! < Int($1.dropFirst(5))! }
            .map { "\(directory)/\($0)" }
    }

    /// Capture-capable cameras (metadata and output nodes are listed only if they failed to open,
    /// so a permission problem is never hidden).
    public static func cameras(in directory: String = "/dev") -> [CameraInfo] {
        devicePaths(in: directory).map { V4L2Device.describe(path: $0) }
            .filter { $0.error != nil || $0.capabilities.contains("video-capture") }
    }
}
