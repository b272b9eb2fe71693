import XCTest
import RTDTestSupport
@testable import RTDClient
@testable import RTDWebRTC
@testable import RTDMedia

final class JitterBufferTests: XCTestCase {
    /// Packets of consecutive frames: `sizes[i]` packets for frame i, timestamps 3000 apart.
    func stream(start: UInt16, sizes: [Int], timestamp: UInt32 = 1000) -> [RTPPacket] {
        var out: [RTPPacket] = []
        var seq = start
        for (i, size) in sizes.enumerated() {
            for p in 0..<size {
                out.append(RTPPacket(marker: p == size - 1, payloadType: 96, sequenceNumber: seq,
                                     timestamp: timestamp &+ UInt32(i) * 3000, ssrc: 1, payload: [p == 0 ? 0x10 : 0x00, UInt8(i)]))
                seq &+= 1
            }
        }
        return out
    }

    /// VP8-like start test: descriptor byte 0x10 = S bit, partition 0.
    func makeBuffer(_ configure: (inout JitterBuffer.Configuration) -> Void = { _ in }) -> JitterBuffer {
        var c = JitterBuffer.Configuration()
        configure(&c)
        return JitterBuffer(configuration: c, isFrameStart: { $0.first == 0x10 })
    }

    func drain(_ buffer: inout JitterBuffer, _ packets: [RTPPacket], now: Int64 = 0) -> [JitterBuffer.Frame] {
        var frames: [JitterBuffer.Frame] = []
        for p in packets {
            _ = buffer.insert(p, now: now)
            frames += buffer.popFrames(now: now)
        }
        return frames
    }

    func testInOrderFramesComeOutWhole() {
        var b = makeBuffer()
        let frames = drain(&b, stream(start: 100, sizes: [3, 1, 4]))
        XCTAssertEqual(frames.map(\.packets.count), [3, 1, 4])
        XCTAssertEqual(frames.map(\.timestamp), [1000, 4000, 7000])
        XCTAssertEqual(frames.map(\.followsLoss), [false, false, false])
        XCTAssertEqual(b.count, 0)
    }

    func testReorderingWithinAndAcrossFrames() {
        var b = makeBuffer()
        var packets = stream(start: 10, sizes: [3, 3, 2])
        packets.swapAt(0, 2)
        packets.swapAt(3, 5)
        packets.swapAt(5, 7)
        let frames = drain(&b, packets)
        XCTAssertEqual(frames.count, 3)
        for frame in frames {
            XCTAssertEqual(frame.packets.map(\.sequenceNumber), frame.packets.map(\.sequenceNumber).sorted())
            XCTAssertTrue(frame.packets.last!.marker)
        }
        for frame in frames { XCTAssertNoThrow(try FrameContinuity.check(frame.packets)) }
    }

    func testSequenceWraparound() {
        var b = makeBuffer()
        var packets = stream(start: 65533, sizes: [2, 3, 2])
        packets.swapAt(2, 3) // 65535 and 0 swapped
        let frames = drain(&b, packets)
        XCTAssertEqual(frames.map(\.packets.count), [2, 3, 2])
        XCTAssertEqual(frames[1].packets.map(\.sequenceNumber), [65535, 0, 1])
    }

    func testGapIsNackedAndRecoveredByRetransmission() {
        var b = makeBuffer()
        let packets = stream(start: 500, sizes: [3, 3])
        var frames: [JitterBuffer.Frame] = []
        for p in packets where p.sequenceNumber != 501 {
            _ = b.insert(p, now: 1_000)
            frames += b.popFrames(now: 1_000)
        }
        XCTAssertTrue(frames.isEmpty, "frame 1 has a hole and frame 2 must wait behind it")
        XCTAssertEqual(b.nackList(now: 2_000, interval: 20_000), [501])
        XCTAssertEqual(b.nackList(now: 3_000, interval: 20_000), [], "not asked again before the interval")
        XCTAssertEqual(b.nackList(now: 30_000, interval: 20_000), [501])
        _ = b.insert(packets[1], now: 40_000)
        frames = b.popFrames(now: 40_000)
        XCTAssertEqual(frames.map(\.packets.count), [3, 3])
        XCTAssertEqual(frames.map(\.followsLoss), [false, false])
        XCTAssertEqual(b.stats.recovered, 1)
        XCTAssertEqual(b.stats.lost, 0)
        XCTAssertEqual(b.missingCount, 0)
        XCTAssertEqual(b.insert(packets[1], now: 41_000), .tooLate)
    }

    func testNackRetriesAreBounded() {
        var b = makeBuffer { $0.maxNackRetries = 3 }
        for p in stream(start: 0, sizes: [4]) where p.sequenceNumber != 2 { _ = b.insert(p, now: 0) }
        var asked = 0
        for t in 1...10 { asked += b.nackList(now: Int64(t) * 100_000, interval: 0).count }
        XCTAssertEqual(asked, 3)
    }

    func testHoleGivenUpAfterTimeoutSkipsToNextFrameAndFlagsLoss() {
        var b = makeBuffer { $0.maxHoleWait = 100_000 }
        let packets = stream(start: 7, sizes: [3, 2, 2])
        var frames: [JitterBuffer.Frame] = []
        for p in packets where p.sequenceNumber != 8 {
            _ = b.insert(p, now: 0)
            frames += b.popFrames(now: 0)
        }
        XCTAssertTrue(frames.isEmpty)
        XCTAssertTrue(b.popFrames(now: 50_000).isEmpty, "still within the wait")
        frames = b.popFrames(now: 150_000)
        XCTAssertEqual(frames.map(\.timestamp), [4000, 7000])
        XCTAssertEqual(frames.map(\.followsLoss), [true, false])
        XCTAssertEqual(b.stats.lost, 1)
        XCTAssertEqual(b.stats.framesDropped, 1)
    }

    func testLostFrameStartResumesAtCodecStart() {
        // Frame 0's marker and frame 1's first packet are both lost: only the codec's start bit
        // tells where frame 2 begins.
        var b = makeBuffer { $0.maxHoleWait = 10_000 }
        let packets = stream(start: 0, sizes: [2, 2, 2])
        for p in packets where p.sequenceNumber != 1 && p.sequenceNumber != 2 { _ = b.insert(p, now: 0) }
        let frames = b.popFrames(now: 20_000)
        XCTAssertEqual(frames.map(\.timestamp), [7000])
        XCTAssertTrue(frames[0].followsLoss)
    }

    func testDuplicatesAreCounted() {
        var b = makeBuffer()
        let packets = stream(start: 0, sizes: [3])
        _ = b.insert(packets[0], now: 0)
        XCTAssertEqual(b.insert(packets[0], now: 0), .duplicate)
        XCTAssertEqual(b.stats.duplicates, 1)
    }

    func testSenderRestartIsNotLoss() {
        var b = makeBuffer()
        _ = drain(&b, stream(start: 0, sizes: [2]))
        let frames = drain(&b, stream(start: 30_000, sizes: [2], timestamp: 9_000_000))
        XCTAssertEqual(frames.count, 1)
        XCTAssertTrue(frames[0].followsLoss)
        XCTAssertEqual(b.missingCount, 0, "a jump is not 30,000 holes to NACK")
    }

    func testMissingMarkerEndsFrameAtTimestampChange() {
        var b = makeBuffer()
        var packets = stream(start: 0, sizes: [2, 2])
        packets[1].marker = false
        let frames = drain(&b, packets)
        XCTAssertEqual(frames.map(\.packets.count), [2, 2])
    }

    func testOverCapacityGivesUpWithoutWaiting() {
        var b = makeBuffer { $0.capacity = 16; $0.maxHoleWait = 10_000_000 }
        let packets = stream(start: 0, sizes: Array(repeating: 2, count: 20))
        var frames: [JitterBuffer.Frame] = []
        for p in packets where p.sequenceNumber != 1 {
            _ = b.insert(p, now: 0)
            frames += b.popFrames(now: 0)
        }
        XCTAssertEqual(frames.count, 19)
        XCTAssertLessThanOrEqual(b.count, 16)
    }

    /// Random loss, duplication and reordering never crash, never emit a frame twice, and every
    /// emitted frame is a contiguous run ending at a marker.
    func testRandomisedLossAndReordering() {
        var rng = SeededRandom(seed: 7)
        for round in 0..<20 {
            var b = makeBuffer { $0.maxHoleWait = 50_000 }
            let sizes = (0..<200).map { _ in Int.random(in: 1...6, using: &rng) }
            var packets = stream(start: UInt16.random(in: 0...UInt16.max, using: &rng), sizes: sizes)
            packets = packets.filter { _ in Int.random(in: 0..<100, using: &rng) >= 5 }
            for i in packets.indices where Int.random(in: 0..<10, using: &rng) == 0 {
                packets.swapAt(i, min(packets.count - 1, i + Int.random(in: 1...5, using: &rng)))
            }
            packets += packets.prefix(10)
            var seen = Set<UInt32>()
            var now: Int64 = 0
            for p in packets {
                now += 3_000
                _ = b.insert(p, now: now)
                _ = b.nackList(now: now, interval: 20_000)
                for frame in b.popFrames(now: now) {
                    XCTAssertTrue(seen.insert(frame.timestamp).inserted, "round \(round): frame \(frame.timestamp) twice")
                    for (a, c) in zip(frame.packets, frame.packets.dropFirst()) {
                        XCTAssertEqual(c.sequenceNumber, a.sequenceNumber &+ 1)
                    }
                }
            }
            XCTAssertGreaterThan(seen.count, 50, "round \(round)")
        }
    }
}

