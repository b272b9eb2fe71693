import XCTest
@testable import RTDClient
@testable import RTDWebRTC
import RTDCore

/// Load mode's counting: RTP headers read in place, loss from sequence gaps across the 16-bit
/// wrap, frames by marker bit, and the first whole keyframe.
final class LoadCounterTests: XCTestCase {
    private let delta = PayloadStart.neither
    private let keyStart = PayloadStart(startsFrame: true, keyframe: true)

    func testLossCountsGapsAcrossTheWrapAndLatePacketsFillThem() {
        var c = RTPReceiveCounter()
        // 65530 ... 65535, 0 ... 5 with 65534 and 2 missing; 2 then comes late.
        let sequences: [UInt16] = Array(65530...65533) + [65535] + [0, 1, 3, 4, 5]
        for (i, s) in sequences.enumerated() {
            c.received(sequence: s, marker: false, payloadBytes: 100, start: delta, now: Int64(i))
        }
        XCTAssertEqual(c.expected, 12)
        XCTAssertEqual(c.packets, 10)
        XCTAssertEqual(c.lost, 2)
        c.received(sequence: 2, marker: false, payloadBytes: 100, start: delta, now: 20)
        XCTAssertEqual(c.lost, 1, "a late packet is received, not lost")
        XCTAssertEqual(c.expected, 12, "a late packet does not move the highest")
        XCTAssertEqual(c.payloadBytes, 1100)
    }

    func testFirstPacketJustAfterTheWrapAndReorderingBelowIt() {
        var c = RTPReceiveCounter()
        c.received(sequence: 1, marker: false, payloadBytes: 0, start: delta, now: 0)
        c.received(sequence: 65535, marker: false, payloadBytes: 0, start: delta, now: 1)
        c.received(sequence: 2, marker: false, payloadBytes: 0, start: delta, now: 2)
        // 65535 is below the first one seen: RFC 3550 counts from the first, so it is not "expected".
        XCTAssertEqual(c.expected, 2)
        XCTAssertEqual(c.lost, 0)
    }

    func testALongRunWrapsManyTimesWithoutDrift() {
        var c = RTPReceiveCounter()
        var s: UInt16 = 40_000
        for i in 0..<300_000 {
            if i % 1000 != 999 { c.received(sequence: s, marker: i % 10 == 9, payloadBytes: 1, start: delta, now: Int64(i)) }
            s &+= 1
        }
        XCTAssertEqual(c.expected, 299_999, "the last one was the 1000th dropped")
        XCTAssertEqual(c.lost, 299)
        // Every packet dropped (i = 999 mod 1000) was a frame's last one (i = 9 mod 10).
        XCTAssertEqual(c.frames, 30_000 - 300, "a frame whose marker packet was lost is not counted")
    }

    func testFirstFrameIsTheFirstWholeKeyframe() {
        var c = RTPReceiveCounter()
        // Mid-frame start (delta): not a frame start.
        c.received(sequence: 10, marker: false, payloadBytes: 1, start: delta, now: 1)
        c.received(sequence: 11, marker: true, payloadBytes: 1, start: delta, now: 2)
        // A delta frame after the marker: whole, but no keyframe.
        c.received(sequence: 12, marker: true, payloadBytes: 1, start: delta, now: 3)
        XCTAssertNil(c.firstFrameAt)
        // A keyframe with a hole in it.
        c.received(sequence: 13, marker: false, payloadBytes: 1, start: keyStart, now: 4)
        c.received(sequence: 15, marker: true, payloadBytes: 1, start: delta, now: 5)
        XCTAssertNil(c.firstFrameAt, "a keyframe with a packet missing is not a first frame")
        // The next keyframe arrives whole.
        c.received(sequence: 16, marker: false, payloadBytes: 1, start: keyStart, now: 6)
        c.received(sequence: 17, marker: false, payloadBytes: 1, start: delta, now: 7)
        XCTAssertTrue(c.awaitingFirstFrame)
        c.received(sequence: 18, marker: true, payloadBytes: 1, start: delta, now: 8)
        XCTAssertEqual(c.firstFrameAt, 8)
        XCTAssertEqual(c.frames, 4)
        XCTAssertEqual(c.framesAtFirstFrame, 4)
        c.received(sequence: 19, marker: true, payloadBytes: 1, start: delta, now: 9)
        XCTAssertEqual(c.firstFrameAt, 8, "set once")
        XCTAssertEqual(c.frames - c.framesAtFirstFrame, 1)
    }

    func testKeyframeFoundAfterTheFrameStartsAndAcrossTheWrap() {
        // H.264: an access unit delimiter starts it, the IDR slice comes later in the same frame.
        var c = RTPReceiveCounter()
        c.received(sequence: 65534, marker: false, payloadBytes: 1, start: PayloadStart(startsFrame: true, keyframe: false), now: 1)
        c.received(sequence: 65535, marker: false, payloadBytes: 1, start: PayloadStart(startsFrame: false, keyframe: true), now: 2)
        c.received(sequence: 0, marker: true, payloadBytes: 1, start: delta, now: 3)
        XCTAssertEqual(c.firstFrameAt, 3)
        XCTAssertEqual(c.lost, 0)
    }

    // MARK: Headers and payloads

    private func inspect(_ bytes: [UInt8], _ codec: VideoCodec) -> PayloadStart {
        bytes.withUnsafeBytes { PayloadStart.inspect($0, codec: codec) }
    }

    func testRTPHeaderWithCSRCsExtensionAndPadding() {
        var packet: [UInt8] = [0xB1, 0xE0, 0x12, 0x34, 0, 0, 0x01, 0x00, 0xDE, 0xAD, 0xBE, 0xEF]  // P, X, CC=1, M, PT 96
        packet += [1, 2, 3, 4]  // CSRC
        packet += [0xBE, 0xDE, 0x00, 0x01, 0x10, 0xAA, 0, 0]  // one-byte extension, one word
        packet += [9, 9, 9]  // payload
        packet += [0, 0, 3]  // padding, its count last
        let header = packet.withUnsafeBytes { RTPHeaderFields.parse($0) }
        XCTAssertEqual(header, RTPHeaderFields(marker: true, payloadType: 96, sequenceNumber: 0x1234, timestamp: 256,
                                               ssrc: 0xDEADBEEF, payload: 24..<27))
        XCTAssertNil([UInt8](repeating: 0x80, count: 11).withUnsafeBytes { RTPHeaderFields.parse($0) }, "too short")
        XCTAssertNil(([0x40] + [UInt8](repeating: 0, count: 11)).withUnsafeBytes { RTPHeaderFields.parse($0) }, "version 1")
        let lying: [UInt8] = [0x90, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xBE, 0xDE, 0xFF, 0xFF]
        XCTAssertNil(lying.withUnsafeBytes { RTPHeaderFields.parse($0) }, "an extension longer than the packet")
    }

    func testH264KeyframeStarts() {
        XCTAssertEqual(inspect([0x67, 0x42], .h264), keyStart, "SPS")
        XCTAssertEqual(inspect([0x65, 0x88], .h264), PayloadStart(startsFrame: false, keyframe: true), "IDR slice")
        XCTAssertEqual(inspect([0x09, 0x10], .h264), PayloadStart(startsFrame: true, keyframe: false), "AUD")
        XCTAssertEqual(inspect([0x41, 0x9A], .h264), delta, "non-IDR slice")
        // STAP-A: SPS and PPS aggregated.
        XCTAssertEqual(inspect([0x78, 0, 2, 0x67, 0x42, 0, 2, 0x68, 0xCE], .h264), keyStart)
        XCTAssertEqual(inspect([0x78, 0, 1, 0x09], .h264), PayloadStart(startsFrame: true, keyframe: false), "STAP-A of an AUD")
        // FU-A: start of an IDR slice, then its middle.
        XCTAssertEqual(inspect([0x7C, 0x85, 0], .h264), PayloadStart(startsFrame: false, keyframe: true))
        XCTAssertEqual(inspect([0x7C, 0x05, 0], .h264), delta)
        XCTAssertEqual(inspect([], .h264), delta)
    }

    func testVP8KeyframeStarts() {
        // S=1, PID 0, then the VP8 header with P=0 (keyframe) or P=1.
        XCTAssertEqual(inspect([0x10, 0x00], .vp8), keyStart)
        XCTAssertEqual(inspect([0x10, 0x01], .vp8), PayloadStart(startsFrame: true, keyframe: false))
        XCTAssertEqual(inspect([0x00, 0x00], .vp8), delta, "not a partition start")
        // X with a 15-bit picture id, TL0PICIDX and TID: the VP8 header after five descriptor bytes.
        XCTAssertEqual(inspect([0x90, 0xE0, 0x81, 0x23, 0x05, 0x40, 0x00], .vp8), keyStart)
        XCTAssertEqual(inspect([0x90, 0xE0, 0x81, 0x23, 0x05, 0x40, 0x01], .vp8), PayloadStart(startsFrame: true, keyframe: false))
        // And with the 7-bit picture id.
        XCTAssertEqual(inspect([0x90, 0x80, 0x12, 0x00], .vp8), keyStart)
        XCTAssertEqual(inspect([0x90], .vp8), delta, "cut short")
    }

    /// The packetizers' own output reads as what it is.
    func testPacketizersOutputIsRecognised() {
        var vp8 = VP8Packetizer()
        let key: [UInt8] = [0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A] + [UInt8](repeating: 7, count: 3000)
        let fragments = vp8.packetize(frame: key)
        XCTAssertGreaterThan(fragments.count, 1)
        XCTAssertEqual(fragments[0].payload.withUnsafeBytes { PayloadStart.inspect($0, codec: .vp8) }, keyStart)
        XCTAssertEqual(fragments[1].payload.withUnsafeBytes { PayloadStart.inspect($0, codec: .vp8) }, delta)
    }
}
