/// Helpers every test target shares: temporary folders, seeded randomness, hostile inputs,
/// running external tools.
import Foundation

/// A temporary directory removed when the value goes away.
public final class TempDir {
    public let url: URL
    public init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("rtd-test-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

/// Deterministic PRNG for fuzz-style tests (SplitMix64).
public struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

public func fnv1a(_ bytes: [UInt8]) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    return h
}

/// Runs an external tool and returns its exit status and stdout.
@discardableResult
public func run(_ tool: String, _ args: [String]) throws -> (status: Int32, output: Data) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = [tool] + args
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = FileHandle.nullDevice
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, data)
}

/// Parses "00 01 ab" style hex (whitespace ignored).
public func hexBytes(_ text: String) -> [UInt8] {
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
public func hostileInputs(from seeds: [[UInt8]], count: Int, seed: UInt64) -> [[UInt8]] {
    var rng = SeededRandom(seed: seed)
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
