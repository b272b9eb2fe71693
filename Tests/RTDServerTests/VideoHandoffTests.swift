import Testing
import Metrics
@testable import RTDServer
@testable import RTDWebRTC
@testable import RTDDetection

/// The bounded hand-off of a track's pictures to the endpoint's loop.
@Suite struct VideoHandoffTests {
    private func batch(_ n: Int, key: Bool = false) -> RTPPacketBatch {
        RTPPacketBatch(packets: [], rtpTimestamp: UInt32(n) * 3000, isKeyframe: key, picture: n, track: 1)
    }

    @Test func oneDrainTaskCarriesEveryPictureWaiting() {
        let handoff = VideoHandoff(camera: "cam")
        #expect(handoff.offer(batch(0, key: true)) == .scheduleDrain)
        #expect(handoff.offer(batch(1)) == .queued)
        #expect(handoff.offer(batch(2)) == .queued)
        #expect(handoff.take().map(\.picture) == [0, 1, 2])
        // Drained: the next picture needs a new task.
        #expect(handoff.offer(batch(3)) == .scheduleDrain)
        #expect(handoff.take().map(\.picture) == [3])
        #expect(handoff.take().isEmpty)
    }

    @Test func aLoopTooFarBehindDropsToTheNextKeyframe() {
        let handoff = VideoHandoff(camera: "cam")
        #expect(handoff.offer(batch(0, key: true)) == .scheduleDrain)
        for n in 1..<VideoHandoff.limit { #expect(handoff.offer(batch(n)) == .queued) }
        // One more than the bound: nothing waits any longer, a keyframe is asked for.
        #expect(handoff.offer(batch(VideoHandoff.limit)) == .keyframeNeeded)
        #expect(handoff.offer(batch(VideoHandoff.limit + 1)) == .dropped)
        #expect(handoff.take().isEmpty)
        // Deltas stay dropped until the keyframe; from it, delivery resumes.
        #expect(handoff.offer(batch(20)) == .dropped)
        #expect(handoff.offer(batch(21, key: true)) == .scheduleDrain)
        #expect(handoff.offer(batch(22)) == .queued)
        #expect(handoff.take().map(\.picture) == [21, 22])
    }

    @Test func aKeyframeReplacesTheDeltasWaitingBeforeIt() {
        let handoff = VideoHandoff(camera: "cam")
        #expect(handoff.offer(batch(0, key: true)) == .scheduleDrain)
        #expect(handoff.offer(batch(1)) == .queued)
        #expect(handoff.offer(batch(2, key: true)) == .queued)
        #expect(handoff.take().map(\.picture) == [2])
    }
}

@Suite struct RecordHandoffTests {
    private func record(_ n: Int) -> RecordItem {
        let record = DetectionRecord(frame: n, ptsUs: Int64(n) * 33_000, width: 64, height: 48, detector: "motion", inferenceUs: 5,
                                     detections: [])
        return RecordItem(record: record, line: record.jsonLineHalves())
    }

    @Test func oneDrainTaskAndAtMostTheLimitWaiting() {
        let handoff = RecordHandoff(dropped: Counter(label: "test_dropped"))
        #expect(handoff.offer(record(0)))
        for n in 1..<20 { #expect(!handoff.offer(record(n))) }
        // The oldest went: the newest `limit` remain, in order.
        #expect(handoff.take().map(\.record.frame) == Array((20 - RecordHandoff.limit)..<20))
        #expect(handoff.offer(record(20)))
        #expect(handoff.take().map(\.record.frame) == [20])
    }
}
