import Testing
@testable import RTDDetection
@testable import RTDMedia

/// Motion detection against the test pattern, whose shape positions are known exactly.
@Suite struct MotionOnTestPatternTests {
    func iou(_ a: [Int], _ b: BoundingBox) -> Double {
        let ix = max(0, min(a[0] + a[2], b.x + b.width) - max(a[0], b.x))
        let iy = max(0, min(a[1] + a[3], b.y + b.height) - max(a[1], b.y))
        let inter = Double(ix * iy)
        return inter / (Double(a[2] * a[3] + b.width * b.height) - inter)
    }

    func apart(_ a: [Int], from others: [[Int]], margin: Int = 24) -> Bool {
        others.allSatisfy { o in
            a[0] - margin >= o[0] + o[2] || o[0] >= a[0] + a[2] + margin
                || a[1] - margin >= o[1] + o[3] || o[1] >= a[1] + a[3] + margin
        }
    }

    @Test func boxesMatchTheMovingShapesOnceSettled() throws {
        let detector = try MotionDetector()
        let pattern = TestPattern(width: 640, height: 480, stamp: false)
        var matched = 0, checked = 0
        for i in 0..<240 {
            let pts = Int64(i) * 33_333
            let found = try detector.detect(pattern.render(index: i, pts: pts, capturedAt: 0))
            guard i >= 30 else { continue }
            let truth = TestPattern.objects(width: 640, height: 480, pts: pts).map(\.box)
            for (k, box) in truth.enumerated() where apart(box, from: truth.enumerated().filter { $0.offset != k }.map(\.element)) {
                checked += 1
                if found.contains(where: { iou(box, $0.box) >= 0.5 }) { matched += 1 }
            }
        }
        #expect(checked > 200)
        #expect(Double(matched) >= 0.95 * Double(checked), "matched \(matched) of \(checked)")
    }
}
