import Testing
@testable import RTDDetection
@testable import RTDMedia

@Suite struct MotionDetectorTests {
    static let width = 640, height = 480, side = 48

    /// Where the square is in frame `i`: moving 4 px right and 2 px down per frame.
    static func square(at i: Int) -> BoundingBox {
        BoundingBox(x: 80 + 4 * i, y: 120 + 2 * i, width: side, height: side)
    }

    /// Static texture with a little per-frame sensor noise, plus a bright square at `box`.
    static func frame(_ i: Int, square box: BoundingBox) -> Frame {
        var seed = UInt32(truncatingIfNeeded: i &* 2_654_435_761 | 1)
        return DetectionTestSupport.frame(width: width, height: height, index: i) { x, y in
            seed = seed &* 1_664_525 &+ 1_013_904_223
            let noise = Int(seed >> 30) - 1 // -1…2
            if x >= box.x, x < box.x + box.width, y >= box.y, y < box.y + box.height { return 235 }
            let texture = ((x / 8 + y / 8) % 2 == 0 ? 70 : 110) + (x * 3 + y * 5) % 17
            return UInt8(texture + noise)
        }
    }

    @Test func findsTheMovingSquareAfterWarmUp() throws {
        let detector = try MotionDetector()
        let warmup = detector.options.warmupFrames
        for i in 0..<60 {
            let found = try detector.detect(Self.frame(i, square: Self.square(at: i)))
            if i < warmup {
                #expect(found.isEmpty, "frame \(i) is in the warm-up and must report nothing")
                continue
            }
            let truth = Self.square(at: i)
            let best = found.map { $0.box.iou(truth) }.max() ?? 0
            #expect(best >= 0.5, "frame \(i): best IoU \(best) against \(truth), found \(found.map(\.box))")
            #expect(found.allSatisfy { $0.label == "motion" && $0.score > 0 && $0.score <= 1 })
        }
    }

    @Test func staticSceneReportsNothing() throws {
        let detector = try MotionDetector()
        let still = Self.frame(0, square: Self.square(at: 0))
        var reported = 0
        for i in 0..<100 {
            let found = try detector.detect(still.retimed(index: i))
            if i >= detector.options.warmupFrames { reported += found.count }
        }
        #expect(reported == 0)
    }

    @Test func minAreaFiltersSmallMotion() throws {
        var options = MotionOptions()
        options.minArea = 60 * 60 // larger than the 48x48 square
        let detector = try MotionDetector(options: options)
        var reported = 0
        for i in 0..<40 { reported += try detector.detect(Self.frame(i, square: Self.square(at: i))).count }
        #expect(reported == 0)
    }

    @Test func sensitivityMapsToVarThreshold() {
        var options = MotionOptions()
        #expect(options.varThreshold == 16)
        options.sensitivity = 0
        #expect(options.varThreshold == 64)
        options.sensitivity = 1
        #expect(options.varThreshold == 4)
    }
}
