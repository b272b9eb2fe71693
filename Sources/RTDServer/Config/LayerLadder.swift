import Foundation
import RTDMedia

/// The encodes a camera offers beside its full size (`--layers`, `layers:`): each lower layer is
/// encoded once for every viewer whose link cannot carry the one above, and only while one is on it.
public struct LayerLadder: Sendable, Equatable, CustomStringConvertible {
    public enum Scale: Sendable, Equatable {
        /// 1/N of the camera's width and height.
        case fraction(Int)
        case size(VideoSize)
    }

    public struct Rung: Sendable, Equatable {
        public var scale: Scale
        /// nil: a share of the full layer's bitrate that suits its pixel count.
        public var kbps: Int?
    }

    /// Below the full layer, largest first; empty: one layer (the full size only).
    public var rungs: [Rung]

    public static let standard = LayerLadder(rungs: [Rung(scale: .fraction(2)), Rung(scale: .fraction(4))])
    public static let off = LayerLadder(rungs: [])
    public static let maxRungs = 4

    public var description: String {
        rungs.isEmpty ? "off" : rungs.map { r in
            let scale = switch r.scale {
            case .fraction(let n): "1/\(n)"
            case .size(let s): "\(s)"
            }
            return r.kbps.map { "\(scale)@\($0)" } ?? scale
        }.joined(separator: ",")
    }

    /// `off`, or lower layers separated by commas, each `1/N` or `WxH`, optionally `@KBPS`:
    /// `1/2,1/4`, `640x360@500,320x180@150`. Each must be smaller than the one before it.
    public static func parse(_ text: String) throws(MediaError) -> LayerLadder {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "off" || trimmed == "none" { return .off }
        let usage = "use off, or lower layers like 1/2,1/4 or 640x360@500,320x180@150 (1/N or WIDTHxHEIGHT, optionally @KBIT/S)"
        let parts = trimmed.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count <= maxRungs else {
            throw MediaError(.badInput, "layers '\(text)': at most \(maxRungs) lower layers, got \(parts.count)")
        }
        var rungs: [Rung] = []
        for part in parts {
            let halves = part.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
            var rung: Rung
            let scaleText = String(halves[0])
            if scaleText.hasPrefix("1/") {
                guard let n = Int(scaleText.dropFirst(2)), (2...16).contains(n) else {
                    throw MediaError(.badInput, "layer '\(part)': 1/N needs N in 2...16; \(usage)")
                }
                rung = Rung(scale: .fraction(n))
            } else if scaleText.contains("x") {
                let size: VideoSize
                do { size = try VideoSize.parse(scaleText) } catch { throw MediaError(.badInput, "layer '\(part)': \(error.message)") }
                guard size.width >= 16, size.height >= 16 else { throw MediaError(.badInput, "layer '\(part)' is smaller than 16x16") }
                rung = Rung(scale: .size(size))
            } else {
                throw MediaError(.badInput, "layer '\(part)' is not a layer; \(usage)")
            }
            if halves.count == 2 {
                guard let kbps = Int(halves[1].lowercased().replacingOccurrences(of: "k", with: "")), (50...100_000).contains(kbps) else {
                    throw MediaError(.badInput, "layer '\(part)': the bitrate after @ must be 50...100000 kbit/s")
                }
                rung.kbps = kbps
            }
            if let previous = rungs.last, !rung.isSmaller(than: previous) {
                throw MediaError(.badInput, "layer '\(part)' is not smaller than the layer before it; list layers largest first")
            }
            rungs.append(rung)
        }
        return LayerLadder(rungs: rungs)
    }

    /// The layers of a camera whose full layer is `full` at `fullKbps`: index 0 is the full size.
    /// A rung that would not be smaller than the one above (a 1/2 of a tiny camera, a fixed
    /// size above the camera's) is left out.
    public func layers(full: VideoSize, fullKbps: Int) -> [Layer] {
        var out = [Layer(index: 0, size: full, kbps: fullKbps, scale: nil)]
        for rung in rungs {
            let size = rung.scale.size(of: full)
            guard let above = out.last, size.width * size.height < above.size.width * above.size.height,
                  size.width >= 16, size.height >= 16 else { continue }
            // Bits per pixel fall as pictures shrink: about area^0.75 of the full layer's rate.
            let share = Double(size.width * size.height) / Double(full.width * full.height)
            let kbps = rung.kbps ?? max(50, Int((Double(fullKbps) * pow(share, 0.75) / 10).rounded()) * 10)
            out.append(Layer(index: out.count, size: size, kbps: min(kbps, above.kbps), scale: rung.scale))
        }
        return out
    }
}

/// One encode of a camera's ladder.
public struct Layer: Sendable, Equatable {
    public let index: Int
    public let size: VideoSize
    /// Its nominal bitrate: what a viewer's link must carry to be given it.
    public let kbps: Int
    /// How frames are made smaller for it (nil: the full layer, frames as captured).
    public let scale: LayerLadder.Scale?
}

extension LayerLadder.Scale {
    /// The size a frame of `full` is encoded at: even (4:2:0), at least 16x16.
    public func size(of full: VideoSize) -> VideoSize {
        switch self {
        case .fraction(let n):
            VideoSize(width: max(16, full.width / n / 2 * 2), height: max(16, full.height / n / 2 * 2))
        case .size(let s):
            s
        }
    }
}

extension LayerLadder.Rung {
    fileprivate func isSmaller(than other: LayerLadder.Rung) -> Bool {
        switch (scale, other.scale) {
        case (.fraction(let a), .fraction(let b)): a > b
        case (.size(let a), .size(let b)): a.width * a.height < b.width * b.height
        default: true // mixed: checked against the camera's size when the ladder is made
        }
    }
}
