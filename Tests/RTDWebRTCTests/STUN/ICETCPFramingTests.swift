import Testing
@testable import RTDWebRTC

/// RFC 4571 framing as ICE over TCP uses it (RFC 6544 §3).
@Suite struct ICETCPFramingTests {
    private func cut(_ bytes: [UInt8], limit: Int = .max) throws -> (frames: [[UInt8]], consumed: Int) {
        let (ranges, consumed) = try ICETCPFraming.frames(in: bytes, limit: limit).get()
        return (ranges.map { Array(bytes[$0]) }, consumed)
    }

    @Test func framesBackToBackComeOutInOrder() throws {
        let stream = ICETCPFraming.frame([1, 2, 3])! + ICETCPFraming.frame([])! + ICETCPFraming.frame([9])!
        #expect(stream == [0, 3, 1, 2, 3, 0, 0, 0, 1, 9])
        let (frames, consumed) = try cut(stream)
        #expect(frames == [[1, 2, 3], [], [9]])
        #expect(consumed == stream.count)
    }

    @Test func anIncompleteFrameWaitsForMoreBytes() throws {
        let stream = ICETCPFraming.frame([1, 2, 3])! + ICETCPFraming.frame([4, 5, 6, 7])!
        for end in 0...stream.count {
            let (frames, consumed) = try cut(Array(stream[..<end]))
            let expected: [[UInt8]] = end < 5 ? [] : end < stream.count ? [[1, 2, 3]] : [[1, 2, 3], [4, 5, 6, 7]]
            #expect(frames == expected, "after \(end) bytes")
            #expect(consumed == (end < 5 ? 0 : end < stream.count ? 5 : stream.count))
        }
    }

    @Test func aLengthAboveTheBoundIsRefusedBeforeItsBytesArrive() {
        // A 64 KiB prefix: refused at once, not held open while 65,535 bytes trickle in.
        #expect(throws: ICETCPFraming.Failure.frameTooLong(65535)) { try cut([0xFF, 0xFF, 0]) }
        #expect(throws: ICETCPFraming.Failure.frameTooLong(ICETCPFraming.maxFrameLength + 1)) {
            try cut(ICETCPFraming.frame([7])! + [UInt8(4097 >> 8), UInt8(4097 & 0xFF)])
        }
        let largest = [UInt8](repeating: 1, count: ICETCPFraming.maxFrameLength)
        #expect((try? cut(ICETCPFraming.frame(largest)!))?.frames == [largest])
    }

    @Test func theLimitStopsEarlyAndASliceCutsLikeAnArray() throws {
        let stream = ICETCPFraming.frame([1])! + ICETCPFraming.frame([2])! + ICETCPFraming.frame([3])!
        let (frames, consumed) = try cut(stream, limit: 2)
        #expect(frames == [[1], [2]] && consumed == 6)
        let shifted: [UInt8] = [0xAA, 0xBB] + stream
        let (ranges, sliceConsumed) = try ICETCPFraming.frames(in: shifted.dropFirst(2)).get()
        #expect(ranges == [2..<3, 5..<6, 8..<9] && sliceConsumed == stream.count, "offsets from the slice's start")
    }

    @Test func aPayloadTooLongForTheTwoBytePrefixCannotBeFramed() {
        #expect(ICETCPFraming.frame([UInt8](repeating: 0, count: 65536)) == nil)
        #expect(ICETCPFraming.frame([UInt8](repeating: 0, count: 65535))?.prefix(2) == [0xFF, 0xFF])
    }
}
