/// Camera pixel layouts to I420, as pure functions over byte buffers (strides in bytes).
public enum PixelConversion {
    /// Packed 4:2:2 Y0 U Y1 V → I420. Chroma of each row pair is averaged.
    public static func yuyvToI420(_ src: UnsafeRawBufferPointer, width: Int, height: Int, stride: Int) -> [UInt8]? {
        guard width > 0, height > 0, width % 2 == 0, stride >= width * 2, src.count >= stride * (height - 1) + width * 2 else { return nil }
        let cw = (width + 1) / 2, ch = (height + 1) / 2
        let count = Frame.byteCount(width: width, height: height)
        return [UInt8](unsafeUninitializedCapacity: count) { dst, n in
            let s = src.bindMemory(to: UInt8.self)
            let uBase = width * height, vBase = uBase + cw * ch
            for y in 0..<height {
                let row = y * stride
                let yRow = y * width
                for x in stride_(0, width, 2) {
                    dst[yRow + x] = s[row + x * 2]
                    dst[yRow + x + 1] = s[row + x * 2 + 2]
                }
                if y % 2 == 0 {
                    let next = y + 1 < height ? row + stride : row
                    let cRow = (y / 2) * cw
                    for cx in 0..<(width / 2) {
                        let i = row + cx * 4, j = next + cx * 4
                        dst[uBase + cRow + cx] = UInt8((Int(s[i + 1]) + Int(s[j + 1]) + 1) / 2)
                        dst[vBase + cRow + cx] = UInt8((Int(s[i + 3]) + Int(s[j + 3]) + 1) / 2)
                    }
                }
            }
            n = count
        }
    }

    /// NV12 (Y plane, then interleaved UV) → I420.
    public static func nv12ToI420(_ src: UnsafeRawBufferPointer, width: Int, height: Int, stride: Int) -> [UInt8]? {
        let cw = (width + 1) / 2, ch = (height + 1) / 2
        guard width > 0, height > 0, stride >= width, src.count >= stride * height + stride * (ch - 1) + cw * 2 else { return nil }
        let count = Frame.byteCount(width: width, height: height)
        return [UInt8](unsafeUninitializedCapacity: count) { dst, n in
            let s = src.bindMemory(to: UInt8.self)
            for y in 0..<height {
                (dst.baseAddress! + y * width).initialize(from: s.baseAddress! + y * stride, count: width)
            }
            let uBase = width * height, vBase = uBase + cw * ch, uvBase = stride * height
            for y in 0..<ch {
                for x in 0..<cw {
                    dst[uBase + y * cw + x] = s[uvBase + y * stride + 2 * x]
                    dst[vBase + y * cw + x] = s[uvBase + y * stride + 2 * x + 1]
                }
            }
            n = count
        }
    }

    /// YU12 (planar I420, possibly with row padding) → packed I420.
    public static func yu12ToI420(_ src: UnsafeRawBufferPointer, width: Int, height: Int, stride: Int) -> [UInt8]? {
        let cw = (width + 1) / 2, ch = (height + 1) / 2, cstride = (stride + 1) / 2
        guard width > 0, height > 0, stride >= width, src.count >= stride * height + 2 * cstride * ch else { return nil }
        let count = Frame.byteCount(width: width, height: height)
        return [UInt8](unsafeUninitializedCapacity: count) { dst, n in
            let s = src.bindMemory(to: UInt8.self).baseAddress!
            let d = dst.baseAddress!
            for y in 0..<height { (d + y * width).initialize(from: s + y * stride, count: width) }
            let su = s + stride * height, sv = su + cstride * ch
            let du = d + width * height, dv = du + cw * ch
            for y in 0..<ch {
                (du + y * cw).initialize(from: su + y * cstride, count: cw)
                (dv + y * cw).initialize(from: sv + y * cstride, count: cw)
            }
            n = count
        }
    }
}

@inline(__always) private func stride_(_ from: Int, _ to: Int, _ by: Int) -> StrideTo<Int> { stride(from: from, to: to, by: by) }
