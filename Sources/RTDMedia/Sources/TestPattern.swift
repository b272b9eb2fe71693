/// The built-in moving test pattern: a fixed textured background with three shapes whose
/// positions are a pure function of the frame's presentation time, so tests and detectors know
/// exactly where every object is at any size and rate.
public struct TestPattern: Sendable {
    public struct Object: Sendable, Equatable {
        public let label: String
        /// `[x, y, w, h]` in pixels.
        public let box: [Int]
        let y: UInt8, u: UInt8, v: UInt8
        let round: Bool
    }

    public let width: Int
    public let height: Int
    public let stamp: Bool
    private let background: [UInt8]

    public init(width: Int, height: Int, stamp: Bool) {
        self.width = width
        self.height = height
        self.stamp = stamp
        self.background = TestPattern.makeBackground(width: width, height: height)
    }

    /// Shape positions at `pts` microseconds. Each shape bounces between the edges with a
    /// triangle wave, below the timestamp strip.
    public static func objects(width: Int, height: Int, pts: Int64) -> [Object] {
        let t = Double(pts) / 1_000_000
        // Tiny frames have no room for the strip; shapes then use the whole frame.
        let top = min(TimestampStrip.stripHeight(width: width) + 4, height / 4)
        func tri(_ u: Double) -> Double {
            let m = u.truncatingRemainder(dividingBy: 2)
            return m < 1 ? m : 2 - m
        }
        func even(_ v: Double) -> Int { Int(v) & ~1 }
        // Every shape wanders in two dimensions with unrelated periods, so no pixel is covered
        // often enough for a background model (MOG2) to absorb a shape's colour, as happens when
        // a shape runs back and forth along one line.
        let side = even(Double(height) / 5)
        let sx = even(tri(t * 0.35) * Double(width - side))
        let sy = even(Double(top) + tri(t * 0.13 + 0.2) * Double(height - top - side))
        let dia = even(Double(height) / 4.5)
        let cx = even(tri(t * 0.23 + 0.5) * Double(width - dia))
        let cy = even(Double(top) + tri(t * 0.31) * Double(height - top - dia))
        let bw = even(Double(width) / 12), bh = even(Double(height) / 3)
        let bx = even(tri(t * 0.11 + 1.4) * Double(width - bw))
        let by = even(Double(top) + tri(t * 0.4 + 1.2) * Double(height - top - bh))
        return [
            Object(label: "square", box: [sx, sy, side, side], y: 210, u: 90, v: 200, round: false),
            Object(label: "circle", box: [cx, cy, dia, dia], y: 170, u: 200, v: 80, round: true),
            Object(label: "bar", box: [bx, by, bw, bh], y: 235, u: 128, v: 128, round: false),
        ]
    }

    /// Renders frame `index` at `pts`, stamped (if enabled) with `capturedAt`.
    public func render(index: Int, pts: Int64, capturedAt: Int64) -> Frame {
        let data = [UInt8](unsafeUninitializedCapacity: background.count) { buffer, count in
            background.withUnsafeBufferPointer { src in
                buffer.baseAddress!.initialize(from: src.baseAddress!, count: src.count)
            }
            count = background.count
            let cw = (width + 1) / 2, ch = (height + 1) / 2
            let uBase = width * height, vBase = uBase + cw * ch
            for o in TestPattern.objects(width: width, height: height, pts: pts) {
                let (x0, y0, w, h) = (o.box[0], o.box[1], o.box[2], o.box[3])
                let rx = Double(w) / 2, ry = Double(h) / 2
                let rows = max(0, y0)..<max(max(0, y0), min(height, y0 + h))
                for y in rows {
                    var span = 0..<w
                    if o.round {
                        let dy = (Double(y - y0) + 0.5 - ry) / ry
                        let half = rx * (1 - dy * dy).squareRoot()
                        span = Int((rx - half).rounded())..<Int((rx + half).rounded())
                    }
                    let lo = max(0, x0 + span.lowerBound), hi = min(width, x0 + span.upperBound)
                    guard lo < hi else { continue }
                    (buffer.baseAddress! + y * width + lo).update(repeating: o.y, count: hi - lo)
                    if y % 2 == 0 {
                        let c0 = lo / 2, c1 = (hi + 1) / 2
                        (buffer.baseAddress! + uBase + (y / 2) * cw + c0).update(repeating: o.u, count: c1 - c0)
                        (buffer.baseAddress! + vBase + (y / 2) * cw + c0).update(repeating: o.v, count: c1 - c0)
                    }
                }
            }
            if stamp {
                TimestampStrip.draw(milliseconds: UInt64(max(0, capturedAt / 1000)), into: buffer, width: width, height: height)
            }
        }
        return Frame(width: width, height: height, pts: pts, capturedAt: capturedAt, index: index, data: data)
    }

    /// A static background with gradients and a grid: texture for encoders, and nothing that
    /// moves, so motion detection sees only the shapes.
    static func makeBackground(width: Int, height: Int) -> [UInt8] {
        let cw = (width + 1) / 2, ch = (height + 1) / 2
        var data = [UInt8](repeating: 128, count: Frame.byteCount(width: width, height: height))
        let cell = max(16, width / 20)
        for y in 0..<height {
            let rowBase = y * width
            let gy = 40 + (40 * y) / max(1, height)
            for x in 0..<width {
                let grid = (x % cell == 0 || y % cell == 0) ? 25 : 0
                data[rowBase + x] = UInt8(gy + (30 * x) / max(1, width) + grid)
            }
        }
        let uBase = width * height, vBase = uBase + cw * ch
        for y in 0..<ch {
            for x in 0..<cw {
                data[uBase + y * cw + x] = UInt8(118 + (20 * x) / max(1, cw))
                data[vBase + y * cw + x] = UInt8(118 + (20 * y) / max(1, ch))
            }
        }
        return data
    }
}

/// A binary strip across the top of a frame carrying a millisecond timestamp, made of cells large
/// enough to survive H.264/VP8 compression: sync cells (white, black), 48 data bits (MSB first)
/// and a CRC-8. A decoder downstream reads it back to measure glass-to-glass latency.
public enum TimestampStrip {
    static let cells = 64
    static let dataBits = 48
    static let white: UInt8 = 235
    static let black: UInt8 = 16

    public static func minimumWidth() -> Int { cells * 4 }

    static func cellWidth(width: Int) -> Int { width / cells }
    public static func stripHeight(width: Int) -> Int { max(16, (cellWidth(width: width) * 2 + 1) & ~1) }

    static func bits(for milliseconds: UInt64) -> [Bool] {
        var bits: [Bool] = [true, false]
        for i in stride(from: dataBits - 1, through: 0, by: -1) { bits.append((milliseconds >> UInt64(i)) & 1 == 1) }
        let crc = crc8(milliseconds)
        for i in stride(from: 7, through: 0, by: -1) { bits.append((crc >> UInt8(i)) & 1 == 1) }
        return bits
    }

    static func crc8(_ value: UInt64) -> UInt8 {
        var crc: UInt8 = 0
        for i in stride(from: 5, through: 0, by: -1) {
            crc ^= UInt8(truncatingIfNeeded: value >> UInt64(i * 8))
            for _ in 0..<8 { crc = crc & 0x80 != 0 ? (crc << 1) ^ 0x07 : crc << 1 }
        }
        return crc
    }

    static func draw(milliseconds: UInt64, into buffer: UnsafeMutableBufferPointer<UInt8>, width: Int, height: Int) {
        let cw = cellWidth(width: width)
        guard cw >= 4 else { return }
        let sh = min(height, stripHeight(width: width))
        let bits = bits(for: milliseconds)
        for y in 0..<sh {
            let row = buffer.baseAddress! + y * width
            row.update(repeating: black, count: width)
            for (i, bit) in bits.enumerated() where bit {
                (row + i * cw).update(repeating: white, count: cw)
            }
        }
        // Neutral chroma under the strip so colour bleeding cannot shift luma after decoding.
        let chromaW = (width + 1) / 2, chromaH = (height + 1) / 2
        let uBase = width * height, vBase = uBase + chromaW * chromaH
        for y in 0..<((sh + 1) / 2) {
            (buffer.baseAddress! + uBase + y * chromaW).update(repeating: 128, count: chromaW)
            (buffer.baseAddress! + vBase + y * chromaW).update(repeating: 128, count: chromaW)
        }
    }

    /// Reads the stamp from a frame's luma; nil when there is none or it does not check out.
    public static func decode(_ frame: Frame) -> UInt64? {
        let width = frame.width
        let cw = cellWidth(width: width)
        guard cw >= 4, frame.height >= stripHeight(width: width) else { return nil }
        let sh = stripHeight(width: width)
        var bits: [Bool] = []
        bits.reserveCapacity(2 + dataBits + 8)
        frame.data.withUnsafeBufferPointer { p in
            for i in 0..<(2 + dataBits + 8) {
                // Average the middle of each cell, away from edges that compression blurs.
                var sum = 0, n = 0
                for y in (sh / 4)..<(sh * 3 / 4) {
                    for x in (i * cw + cw / 4)..<(i * cw + cw - cw / 4) {
                        sum += Int(p[y * width + x]); n += 1
                    }
                }
                bits.append(sum / max(1, n) > 128)
            }
        }
        guard bits[0], !bits[1] else { return nil }
        var ms: UInt64 = 0
        for i in 0..<dataBits { ms = ms << 1 | (bits[2 + i] ? 1 : 0) }
        var crc: UInt8 = 0
        for i in 0..<8 { crc = crc << 1 | (bits[2 + dataBits + i] ? 1 : 0) }
        return crc == crc8(ms) ? ms : nil
    }
}
