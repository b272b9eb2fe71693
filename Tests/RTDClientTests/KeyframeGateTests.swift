import XCTest
@testable import RTDClient
@testable import RTDWebRTC

final class KeyframeGateTests: XCTestCase {
    func testStartsAtAKeyframeAndGivesTheSenderTimeForIt() {
        var gate = KeyframeGate()
        XCTAssertFalse(gate.shouldRequest(now: 0, roundTripTime: 1000))
        XCTAssertFalse(gate.admit(isKeyframe: false, followsLoss: false), "a decoder cannot start on a delta frame")
        XCTAssertFalse(gate.shouldRequest(now: 100_000, roundTripTime: 1000))
        XCTAssertTrue(gate.shouldRequest(now: 300_000, roundTripTime: 1000), "no keyframe within one interval: ask")
        XCTAssertTrue(gate.admit(isKeyframe: true, followsLoss: false))
        XCTAssertTrue(gate.admit(isKeyframe: false, followsLoss: false))
        XCTAssertFalse(gate.shouldRequest(now: 900_000, roundTripTime: 1000))
    }

    /// A hole the jitter buffer gave up on: PLI at once, delta frames dropped, PLI repeated while
    /// no keyframe comes, decoding resumes at the keyframe.
    func testPLIAfterAHoleTimesOut() {
        var buffer = JitterBuffer(configuration: { var c = JitterBuffer.Configuration(); c.maxHoleWait = 100_000; return c }(),
                                  isFrameStart: { $0.first == 0x10 })
        var gate = KeyframeGate()
        func packet(_ seq: UInt16, ts: UInt32, marker: Bool, key: Bool = false) -> RTPPacket {
            RTPPacket(marker: marker, payloadType: 96, sequenceNumber: seq, timestamp: ts, ssrc: 1, payload: [0x10, key ? 1 : 0])
        }
        var decoded: [UInt32] = []
        var plis: [Int64] = []
        func step(_ now: Int64, _ packets: [RTPPacket]) {
            for p in packets { _ = buffer.insert(p, now: now) }
            for frame in buffer.popFrames(now: now) where gate.admit(isKeyframe: frame.packets[0].payload[1] == 1, followsLoss: frame.followsLoss) {
                decoded.append(frame.timestamp)
            }
            if gate.shouldRequest(now: now, roundTripTime: 2_000) { plis.append(now) }
        }
        step(0, [packet(1, ts: 0, marker: true, key: true)])
        step(33_000, [packet(2, ts: 3000, marker: true)])
        // Packet 3 (frame 6000) is lost for good.
        step(66_000, [packet(4, ts: 9000, marker: true)])
        step(99_000, [packet(5, ts: 12000, marker: true)])
        XCTAssertEqual(decoded, [0, 3000], "frames behind the hole wait")
        XCTAssertTrue(plis.isEmpty)
        step(200_000, [packet(6, ts: 15000, marker: true)])
        XCTAssertEqual(plis, [200_000], "the hole is given up: ask for a keyframe at once")
        XCTAssertEqual(decoded, [0, 3000], "delta frames after the hole are not decoded")
        step(300_000, [packet(7, ts: 18000, marker: true)])
        step(500_000, [packet(8, ts: 21000, marker: true)])
        XCTAssertEqual(plis, [200_000, 500_000], "asked again after the retry interval")
        step(533_000, [packet(9, ts: 24000, marker: true, key: true), packet(10, ts: 27000, marker: true)])
        XCTAssertEqual(decoded, [0, 3000, 24000, 27000], "decoding resumes at the keyframe")
        step(900_000, [])
        XCTAssertEqual(plis.count, 2)
    }

    func testUrgentRequestsStillSpacedByTwoRoundTrips() {
        var gate = KeyframeGate()
        _ = gate.shouldRequest(now: 0, roundTripTime: nil)
        _ = gate.admit(isKeyframe: true, followsLoss: false)
        gate.lost()
        XCTAssertTrue(gate.shouldRequest(now: 1_000_000, roundTripTime: 50_000))
        gate.lost()
        XCTAssertFalse(gate.shouldRequest(now: 1_050_000, roundTripTime: 50_000))
        XCTAssertTrue(gate.shouldRequest(now: 1_100_000, roundTripTime: 50_000))
    }
}
