import Foundation
import Testing
@testable import RTDDetection
@testable import RTDMedia

/// rtd's HOG engine against OpenCV's detectMultiScale, the reference it must equal: every window
/// score of a level, and the final boxes, on a real photograph and on crops and rescalings of it
/// whose sizes are not multiples of the cell size (so the mirrored borders and partial windows
/// are exercised).
@Suite struct HOGEngineTests {
    static let photo = try! DetectionTestSupport.loadImage(DetectionTestSupport.fixture("basketball1.png"))

    /// The photo's luma sampled onto a `width`x`height` grid starting at (x0, y0), `step` photo
    /// pixels per frame pixel (nearest neighbour).
    static func view(width: Int, height: Int, x0: Int = 0, y0: Int = 0, step: Double = 1) -> Frame {
        let p = photo
        return DetectionTestSupport.frame(width: width, height: height) { x, y in
            let sx = min(p.width - 1, x0 + Int(Double(x) * step)), sy = min(p.height - 1, y0 + Int(Double(y) * step))
            return p.data[sy * p.width + sx]
        }
    }

    static let frames: [(String, Frame)] = [
        ("photo 640x480", photo),
        ("crop 331x259 at (13,7)", view(width: 331, height: 259, x0: 13, y0: 7)),
        ("upscaled 1.5x, 853x611", view(width: 853, height: 611, step: 0.75)),
        ("downscaled, 213x160", view(width: 213, height: 160, step: 3)),
        ("noise 300x200", DetectionTestSupport.frame(width: 300, height: 200) { x, y in UInt8(truncatingIfNeeded: (x &* 7919) ^ (y &* 104_729) ^ (x * y)) }),
    ]

    static func detector(_ engine: HOGEngine, stride: Int = 8, padding: Int = 8) throws -> HOGDetector {
        var o = HOGOptions()
        o.engine = engine
        o.winStride = stride
        o.padding = padding
        return try HOGDetector(options: o)
    }

    @Test(arguments: [(8, 8), (16, 8), (8, 0), (8, 13)])
    func everyWindowScoresAsOpenCVScoresIt(stride: Int, padding: Int) throws {
        let ours = try Self.detector(.rtd, stride: stride, padding: padding)
        let reference = try Self.detector(.opencv, stride: stride, padding: padding)
        for (name, frame) in Self.frames {
            let a = try ours.windowScores(frame), b = try reference.windowScores(frame)
            #expect(a.count == b.count && !a.isEmpty, "\(name): \(a.count) windows vs OpenCV's \(b.count)")
            guard a.count == b.count else { continue }
            let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
            // Float sums in another order: agreement to about 1e-6 of the score's scale.
            #expect(worst < 1e-4, "\(name): largest score difference \(worst)")
            // And the scores are not trivially equal (a frame with real structure spreads them).
            #expect(Set(b.map { ($0 * 1000).rounded() }).count > b.count / 10, "\(name)")
        }
    }

    @Test func detectionsAreOpenCVs() throws {
        let ours = try Self.detector(.rtd), reference = try Self.detector(.opencv)
        var found = 0
        for (name, frame) in Self.frames {
            let a = try ours.detect(frame), b = try reference.detect(frame)
            #expect(a.map(\.box) == b.map(\.box), "\(name)")
            for (x, y) in zip(a, b) { #expect(abs(x.score - y.score) < 1e-4, "\(name)") }
            found += a.count
        }
        #expect(found >= 2, "the photo's people should be found: \(found)")
    }

    @Test func framesSmallerThanAWindowFindNothing() throws {
        let hog = try Self.detector(.rtd)
        for (w, h) in [(2, 2), (48, 112), (64, 128), (300, 20), (20, 300)] {
            let frame = DetectionTestSupport.frame(width: w, height: h) { x, y in UInt8((x * 37 + y * 11) & 255) }
            #expect(try hog.detect(frame).isEmpty, "\(w)x\(h)")
        }
    }

    @Test func otherStridesUseOpenCV() throws {
        // Stride 4 is not a multiple of the block stride: the rtd engine hands it to OpenCV.
        let a = try Self.detector(.rtd, stride: 4).windowScores(Self.frames[1].1)
        let b = try Self.detector(.opencv, stride: 4).windowScores(Self.frames[1].1)
        #expect(a == b && !a.isEmpty)
    }
}
