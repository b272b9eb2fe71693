/// One video frame in planar I420 (4:2:0, Y then U then V, no row padding).
///
/// Frames are immutable and passed by reference: every consumer of a stage sees the same
/// storage, so fanning one camera out to many viewers or detectors never copies pixels.
public final class Frame: Sendable {
    public let width: Int
    public let height: Int
    /// Presentation time in microseconds since the start of the stream (Y4M `Xpts`).
    public let pts: Int64
    /// Capture wall-clock time, microseconds since the Unix epoch (Y4M `Xts`). Survives every stage
    /// so that end-to-end latency can be measured anywhere downstream.
    public let capturedAt: Int64
    /// Sequence number within its stream, starting at 0.
    public let index: Int
    /// Y plane (width*height), then U and V planes (chromaWidth*chromaHeight each).
    public let data: [UInt8]

    public init(width: Int, height: Int, pts: Int64, capturedAt: Int64, index: Int, data: [UInt8]) {
        precondition(data.count == Frame.byteCount(width: width, height: height), "I420 buffer size mismatch")
        self.width = width
        self.height = height
        self.pts = pts
        self.capturedAt = capturedAt
        self.index = index
        self.data = data
    }

    public var chromaWidth: Int { (width + 1) / 2 }
    public var chromaHeight: Int { (height + 1) / 2 }
    public var lumaCount: Int { width * height }
    public var chromaCount: Int { chromaWidth * chromaHeight }
    public var uOffset: Int { lumaCount }
    public var vOffset: Int { lumaCount + chromaCount }

    public static func byteCount(width: Int, height: Int) -> Int {
        width * height + 2 * ((width + 1) / 2) * ((height + 1) / 2)
    }

    /// This frame at even width and height, its last column and row repeated: 4:2:0 encoders
    /// (x264, VP8) take only even sizes. The chroma planes stay as they are, since (w+1)/2 is the
    /// same for an odd w and for w+1.
    public func paddedToEven() -> Frame {
        let w2 = width + width % 2, h2 = height + height % 2
        guard w2 != width || h2 != height else { return self }
        var out = [UInt8]()
        out.reserveCapacity(Frame.byteCount(width: w2, height: h2))
        data.withUnsafeBufferPointer { src in
            for y in 0..<height {
                let row = UnsafeBufferPointer(rebasing: src[(y * width)..<((y + 1) * width)])
                out.append(contentsOf: row)
                if w2 != width { out.append(row[width - 1]) }
            }
            if h2 != height {
                let lastRow = Array(out[((height - 1) * w2)...])
                out.append(contentsOf: lastRow)
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: src[lumaCount...]))
        }
        return Frame(width: w2, height: h2, pts: pts, capturedAt: capturedAt, index: index, data: out)
    }

    /// Same pixels, new timing: used when a stage re-stamps frames without touching pixels.
    /// (The pixel array is copy-on-write, so this shares storage.)
    public func retimed(pts: Int64? = nil, capturedAt: Int64? = nil, index: Int? = nil) -> Frame {
        Frame(width: width, height: height, pts: pts ?? self.pts, capturedAt: capturedAt ?? self.capturedAt,
              index: index ?? self.index, data: data)
    }
}
