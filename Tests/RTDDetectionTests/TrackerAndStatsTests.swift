import Testing
@testable import RTDDetection

@Suite struct IoUTrackerTests {
    func person(_ x: Int, _ y: Int, _ label: String = "person") -> Detection {
        Detection(label: label, score: 0.9, box: BoundingBox(x: x, y: y, width: 40, height: 80))
    }

    @Test func slowlyMovingObjectKeepsItsId() {
        var tracker = IoUTracker()
        var ids = Set<Int?>()
        for i in 0..<50 { ids.insert(tracker.update([person(100 + 3 * i, 50 + i)])[0].trackId) }
        #expect(ids == [1])
    }

    @Test func twoObjectsGetDifferentIdsAndKeepThem() {
        var tracker = IoUTracker()
        let first = tracker.update([person(10, 10), person(300, 10)])
        #expect(first[0].trackId != nil && first[1].trackId != nil && first[0].trackId != first[1].trackId)
        // Listed in the other order and moved a little: ids follow the boxes, not the order.
        let second = tracker.update([person(304, 12), person(13, 11)])
        #expect(second[0].trackId == first[1].trackId && second[1].trackId == first[0].trackId)
    }

    @Test func labelsAreTrackedSeparately() {
        var tracker = IoUTracker()
        let first = tracker.update([person(10, 10)])
        let second = tracker.update([person(10, 10, "dog")])
        #expect(second[0].trackId != first[0].trackId)
    }

    @Test func expiredIdIsNotReused() {
        var tracker = IoUTracker(minIoU: 0.3, maxMissed: 2)
        let id = tracker.update([person(10, 10)])[0].trackId
        _ = tracker.update([])
        _ = tracker.update([])
        #expect(tracker.update([person(10, 10)])[0].trackId == id, "2 missed frames are still within maxMissed")
        for _ in 0..<3 { _ = tracker.update([]) }
        #expect(tracker.activeTracks == 0)
        let reborn = tracker.update([person(10, 10)])[0].trackId
        #expect(reborn != nil && reborn != id)
    }

    @Test func jumpBelowMinIoUStartsANewTrack() {
        var tracker = IoUTracker(minIoU: 0.3)
        let a = tracker.update([person(10, 10)])[0].trackId
        let b = tracker.update([person(45, 10)])[0].trackId // IoU 5/75 ≈ 0.07
        #expect(a != b)
    }
}

@Suite struct DetectionStatsTests {
    @Test func countsMeanAndP95() {
        func found(_ label: String) -> Detection {
            Detection(label: label, score: 1, box: BoundingBox(x: 0, y: 0, width: 1, height: 1))
        }
        var stats = DetectionStats()
        for i in 1...100 {
            // 100 µs … 10 ms; a person every 10th frame, one car on the first.
            let detections = (i % 10 == 0 ? [found("person")] : []) + (i == 1 ? [found("car")] : [])
            stats.add(inferenceUs: Int64(i * 100), detections: detections)
        }
        #expect(stats.frames == 100)
        #expect(stats.detections == 11)
        #expect(stats.detectionsByLabel == ["person": 10, "car": 1])
        #expect(stats.meanInferenceUs == 5050)
        // True p95 is 9500 µs; its bucket (9472…9727) reports its middle.
        #expect(abs(stats.p95InferenceUs - 9500) <= 9500 * 0.016, "p95 \(stats.p95InferenceUs)")
        #expect(stats.maxInferenceUs == 10_000)
        #expect(stats.summary(detector: "motion")
            == "motion: 100 frames, 11 detections (person 10, car 1); inference mean 5.05 ms, p95 9.60 ms, max 10.00 ms.")
    }

    @Test func smallValuesAreExactAndEmptyIsZero() {
        var stats = DetectionStats()
        #expect(stats.p95InferenceUs == 0 && stats.meanInferenceUs == 0)
        for us in [3, 5, 7, 9] { stats.add(inferenceUs: Int64(us), detections: []) }
        #expect(stats.p95InferenceUs == 9)
        #expect(stats.percentile(0.5) == 5)
    }
}
