import COpenCVShim
import RTDMedia

/// Draws detections onto a copy of an I420 frame (`--annotate`): a 2 px box and a caption such
/// as `person 0.91 #7`, coloured per track (or per label when untracked) so one object keeps
/// its colour from frame to frame.
public enum Annotator {
    /// Distinct, saturated colours (RGB) that stay readable on typical video.
    static let palette: [(UInt8, UInt8, UInt8)] = [
        (230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48), (145, 30, 180),
        (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212), (0, 128, 128), (170, 110, 40),
    ]

    public static func caption(_ d: Detection) -> String {
        var text = d.label + " " + formatScore(d.score)
        if let id = d.trackId { text += " #\(id)" }
        return text
    }

    /// BT.601 limited-range Y, U, V for the detection's colour.
    static func colour(for d: Detection) -> (y: UInt8, u: UInt8, v: UInt8) {
        // FNV-1a: a label's colour must not change between runs (Swift's hashValue is seeded).
        let key = d.trackId.map { UInt64(truncatingIfNeeded: $0) }
            ?? d.label.utf8.reduce(0xcbf2_9ce4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
        let (r, g, b) = palette[Int(key % UInt64(palette.count))]
        let (rf, gf, bf) = (Double(r), Double(g), Double(b))
        func byte(_ v: Double) -> UInt8 { UInt8(min(max(v.rounded(), 0), 255)) }
        return (byte(16 + 0.257 * rf + 0.504 * gf + 0.098 * bf),
                byte(128 - 0.148 * rf - 0.291 * gf + 0.439 * bf),
                byte(128 + 0.439 * rf - 0.368 * gf - 0.071 * bf))
    }

    /// A new frame (same timing) with the detections drawn; the source frame is untouched.
    public static func annotate(_ frame: Frame, with detections: [Detection]) throws -> Frame {
        try drawing(on: frame) { planes in
            for d in detections {
                let c = colour(for: d)
                _ = try OpenCVBridge.call(.opencv, "annotate, frame \(frame.index)") {
                    rtd_draw_box(&planes, Int32(clamping: d.box.x), Int32(clamping: d.box.y),
                                 Int32(clamping: d.box.width), Int32(clamping: d.box.height),
                                 c.y, c.u, c.v, caption(d), $0)
                }
            }
        }
    }

    /// A new frame (same timing) with `text` in the bottom-left corner.
    public static func stamp(_ frame: Frame, text: String) throws -> Frame {
        try drawing(on: frame) { planes in
            _ = try OpenCVBridge.call(.opencv, "timestamp, frame \(frame.index)") {
                rtd_draw_label(&planes, 4, Int32(frame.height - 4), text, $0)
            }
        }
    }

    /// Draws on a copy of the frame's planes.
    private static func drawing(on frame: Frame, _ draw: (inout rtd_i420_mut) throws -> Void) throws -> Frame {
        var pixels = frame.data
        try pixels.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            var planes = rtd_i420_mut(
                y: base, u: base + frame.uOffset, v: base + frame.vOffset,
                y_stride: Int32(frame.width), uv_stride: Int32(frame.chromaWidth),
                width: Int32(frame.width), height: Int32(frame.height))
            try draw(&planes)
        }
        return Frame(width: frame.width, height: frame.height, pts: frame.pts, capturedAt: frame.capturedAt,
                     index: frame.index, data: pixels)
    }

    private static func formatScore(_ score: Double) -> String {
        let hundredths = Int((min(max(score, 0), 1) * 100).rounded())
        return "\(hundredths / 100)." + (hundredths % 100 < 10 ? "0" : "") + "\(hundredths % 100)"
    }
}
