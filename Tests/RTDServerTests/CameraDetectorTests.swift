import Foundation
import Logging
import Testing
@testable import RTDServer
@testable import RTDMedia
@testable import RTDDetection

@Suite struct CameraDetectorTests {
    final class Box: @unchecked Sendable {
        let lock = NSLock()
        var records: [DetectionRecord] = []
    }

    @Test func recordsFollowTheNewestFramesOnlyWhileSubscribed() throws {
        let broadcast = FrameBroadcast()
        let detector = try CameraDetector(camera: "cam0", broadcast: broadcast, detectorSpec: "motion",
                                          options: DetectorOptions(), logger: Logger(label: "test"))
        defer { detector.stop() }
        let pattern = TestPattern(width: 320, height: 240, stamp: false)
        // Nobody listens: frames are skipped, not detected.
        for i in 0..<5 {
            broadcast.publish(pattern.render(index: i, pts: Int64(i) * 33_333, capturedAt: Int64(i)))
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(detector.framesProcessed == 0)
        let box = Box()
        let id = detector.subscribe { r in box.lock.withLock { box.records.append(r) } }
        for i in 5..<80 {
            broadcast.publish(pattern.render(index: i, pts: Int64(i) * 33_333, capturedAt: 1_000 + Int64(i)))
            Thread.sleep(forTimeInterval: 0.005)
        }
        Thread.sleep(forTimeInterval: 0.2)
        detector.unsubscribe(id)
        let records = box.lock.withLock { box.records }
        #expect(records.count >= 40)
        #expect(records.allSatisfy { $0.camera == "cam0" && $0.detector == "motion" && $0.width == 320 })
        // Frame numbers only increase: newest frame first, never a backlog replayed out of order.
        #expect(zip(records, records.dropFirst()).allSatisfy { $0.frame < $1.frame })
        let late = records.filter { $0.frame >= 40 }
        #expect(late.contains { !$0.detections.isEmpty })
        for r in late {
            let truth = TestPattern.objects(width: 320, height: 240, pts: r.ptsUs).map(\.box)
            for d in r.detections {
                // Every box touches a shape (motion may merge touching shapes into one box).
                #expect(truth.contains { t in d.box.x < t[0] + t[2] && t[0] < d.box.x + d.box.width
                                            && d.box.y < t[1] + t[3] && t[1] < d.box.y + d.box.height })
            }
        }
    }
}
