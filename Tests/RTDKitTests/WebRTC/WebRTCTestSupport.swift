/// Deterministic randomness and hostile-input generation shared by the fuzz-style tests.

/// SplitMix64: tiny, seedable, good enough for generating test inputs reproducibly.
struct FuzzRNG: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Parses "00 01 ab" style hex (whitespace ignored).
func hexBytes(_ text: String) -> [UInt8] {
    let digits = text.filter { $0.isHexDigit }
    var out: [UInt8] = []
    var index = digits.startIndex
    while index < digits.endIndex, let next = digits.index(index, offsetBy: 2, limitedBy: digits.endIndex) {
        out.append(UInt8(digits[index..<next], radix: 16) ?? 0)
        index = next
    }
    return out
}

/// Yields `count` hostile inputs derived from `seeds`: pure noise, truncations, bit flips,
/// byte overwrites with boundary values, and splices.
func hostileInputs(from seeds: [[UInt8]], count: Int, seed: UInt64) -> [[UInt8]] {
    var rng = FuzzRNG(seed: seed)
    var out: [[UInt8]] = []
    out.reserveCapacity(count)
    for i in 0..<count {
        let base = seeds.isEmpty ? [] : seeds[Int.random(in: 0..<seeds.count, using: &rng)]
        var bytes = base
        switch i % 5 {
        case 0:
            bytes = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Often make noise look like the start of a real message so parsers get further.
            if !base.isEmpty, Bool.random(using: &rng) {
                bytes = Array(base.prefix(min(base.count, 8))) + bytes
            }
        case 1:
            bytes = Array(base.prefix(Int.random(in: 0...base.count, using: &rng)))
        case 2:
            for _ in 0..<Int.random(in: 1...4, using: &rng) where !bytes.isEmpty {
                let index = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[index] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
            }
        case 3:
            for _ in 0..<Int.random(in: 1...3, using: &rng) where !bytes.isEmpty {
                let index = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[index] = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE].randomElement(using: &rng) ?? 0
            }
        default:
            let cut = Int.random(in: 0...bytes.count, using: &rng)
            let other = seeds.randomElement(using: &rng) ?? []
            let otherCut = Int.random(in: 0...other.count, using: &rng)
            bytes = Array(bytes.prefix(cut)) + Array(other.suffix(from: otherCut))
        }
        out.append(bytes)
    }
    return out
}
