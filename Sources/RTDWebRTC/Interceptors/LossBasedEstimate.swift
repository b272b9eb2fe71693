/// The loss-based half of Google congestion control: back off on loss above 10%, probe up
/// slowly below 2%, hold in between, and change at most every `holdTime`. Its output is an
/// estimate in kbit/s for the encoder's controller. Pure: `now` is monotonic µs, passed in.
public struct LossBasedEstimate: Sendable {
    public static let holdTime: Int64 = 200_000
    public static let range = 100...20_000

    public private(set) var kbps = 2500
    private var lastChange: Int64?

    public init() {}

    /// A new loss figure (0...1); returns the new estimate when it changed.
    public mutating func update(lossFraction: Double, now: Int64) -> Int? {
        if let lastChange, now - lastChange < Self.holdTime { return nil }
        if lossFraction > 0.10 {
            kbps = max(Self.range.lowerBound, Int(Double(kbps) * (1 - 0.5 * lossFraction)))
        } else if lossFraction < 0.02 {
            kbps = min(Self.range.upperBound, Int(Double(kbps) * 1.08) + 10)
        } else {
            return nil
        }
        lastChange = now
        return kbps
    }
}
