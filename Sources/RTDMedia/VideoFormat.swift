/// A frame size parsed from `WIDTHxHEIGHT`.
public struct VideoSize: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// Parses `1280x720`. Sizes must be even (4:2:0 chroma and H.264 need it) and at most 16384.
    public static func parse(_ text: String) throws(MediaError) -> VideoSize {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]) else {
            throw MediaError(.badInput, "malformed size '\(text)': expected WIDTHxHEIGHT, e.g. 1280x720")
        }
        guard w > 0, h > 0, w <= 16384, h <= 16384 else {
            throw MediaError(.badInput, "size '\(text)' out of range: width and height must be 1...16384")
        }
        guard w % 2 == 0, h % 2 == 0 else {
            throw MediaError(.badInput, "size '\(text)' must have an even width and height (4:2:0 video)")
        }
        return VideoSize(width: w, height: h)
    }

    public var description: String { "\(width)x\(height)" }
}

/// A frame rate as an exact fraction, as Y4M (`F30000:1001`) and libavformat express it.
public struct FrameRate: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var numerator: Int
    public var denominator: Int

    public init(_ numerator: Int, _ denominator: Int = 1) {
        self.numerator = numerator
        self.denominator = denominator
    }

    /// Slowest and fastest rates rtd handles (one frame in 1000 s .. 1000 fps). With numerator and
    /// denominator each within libav's 32-bit rationals, a frame lasts at most 10⁹ µs, so the time
    /// of any frame index fits in Int64 when computed in Int128 (see `pts(ofFrame:)`).
    public static let limitsText = "1/1000 .. 1000/1 fps"
    public static let maxTerm = Int(Int32.max)

    /// True when both terms fit libav's 32-bit rationals and the rate is within `limitsText`.
    public var isWithinLimits: Bool {
        guard (1...Self.maxTerm).contains(numerator), (1...Self.maxTerm).contains(denominator) else { return false }
        // Both terms are below 2³¹, so these products cannot overflow.
        return numerator * 1000 >= denominator && numerator <= denominator * 1000
    }

    /// Parses `30`, `29.97` or `30000/1001` (also `30000:1001`).
    public static func parse(_ text: String) throws(MediaError) -> FrameRate {
        let bad = MediaError(.badInput, "malformed frame rate '\(text)': expected e.g. 30, 29.97 or 30000/1001")
        let outOfRange = MediaError(.badInput, "frame rate '\(text)' out of range (\(limitsText), terms at most \(maxTerm))")
        let sep = text.firstIndex(where: { $0 == "/" || $0 == ":" })
        var rate: FrameRate
        if let sep {
            guard let n = Int(text[..<sep]), let d = Int(text[text.index(after: sep)...]) else { throw bad }
            rate = FrameRate(n, d)
        } else if let n = Int(text) {
            rate = FrameRate(n, 1)
        } else if let v = Double(text), v.isFinite {
            // Checked before the conversion: Int(Double) traps outside Int's range.
            guard v >= 0.001, v <= 1000 else { throw outOfRange }
            rate = FrameRate(Int((v * 1000).rounded()), 1000)
        } else {
            throw bad
        }
        guard rate.numerator > 0, rate.denominator > 0 else { throw outOfRange }
        rate = rate.reduced
        guard rate.isWithinLimits else { throw outOfRange }
        return rate
    }

    /// Presentation time in µs of frame `index` at this rate, rounded; nil when the rate is outside
    /// the limits or the time does not fit in Int64. In Int128: index < 2⁶³ and terms < 2³¹ keep
    /// every product below 2¹¹⁶.
    public func pts(ofFrame index: Int) -> Int64? {
        guard isWithinLimits, index >= 0 else { return nil }
        let n = Int128(numerator)
        let t = (Int128(index) * 1_000_000 * Int128(denominator) * 2 + n) / (2 * n)
        return Int64(exactly: t)
    }

    public var value: Double { Double(numerator) / Double(denominator) }
    /// Duration of one frame in microseconds.
    public var frameDurationMicros: Double { 1_000_000 * Double(denominator) / Double(numerator) }

    var reduced: FrameRate {
        var a = numerator, b = denominator
        while b != 0 { (a, b) = (b, a % b) }
        return a > 1 ? FrameRate(numerator / a, denominator / a) : self
    }

    public var description: String {
        denominator == 1 ? "\(numerator)" : String(format: "%.3g", value)
    }
}
