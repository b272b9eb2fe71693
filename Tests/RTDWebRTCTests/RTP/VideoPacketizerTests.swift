import Testing
import RTDTestSupport
@testable import RTDWebRTC

/// Access units of the fixture clip, split at AUD NAL units (x264 was run with aud=1).
private func accessUnits(_ stream: [UInt8]) -> [[UInt8]] {
    var units: [[UInt8]] = []
    for nal in H264Packetizer.nalUnits(annexB: stream) {
        if nal.first.map({ $0 & 0x1F }) == 9 || units.isEmpty { units.append([]) }
        units[units.count - 1] += [0, 0, 0, 1] + nal
    }
    return units
}

private func nalTypes(_ accessUnit: [UInt8]) -> [UInt8] {
    H264Packetizer.nalUnits(annexB: accessUnit).compactMap { $0.first.map { $0 & 0x1F } }
}

/// Wraps payloads into consecutive RTP packets as a sender would.
private func packets(_ fragments: [RTPPayloadFragment], timestamp: UInt32, firstSequence: UInt16) -> [RTPPacket] {
    fragments.enumerated().map { index, fragment in
        RTPPacket(marker: fragment.marker, payloadType: 96, sequenceNumber: firstSequence &+ UInt16(index),
                  timestamp: timestamp, ssrc: 1, payload: fragment.payload)
    }
}

/// IVF: 32-byte file header, then per frame a 12-byte header (LE size, LE pts) and the frame.
private func ivfFrames(_ data: [UInt8]) -> [[UInt8]] {
    guard data.count >= 32, data[0..<4] == [0x44, 0x4B, 0x49, 0x46] else { return [] }
    var offset = Int(data[6]) | Int(data[7]) << 8
    var frames: [[UInt8]] = []
    while offset + 12 <= data.count {
        let size = Int(data[offset]) | Int(data[offset + 1]) << 8 | Int(data[offset + 2]) << 16 | Int(data[offset + 3]) << 24
        offset += 12
        guard size <= data.count - offset else { break }
        frames.append(Array(data[offset..<(offset + size)]))
        offset += size
    }
    return frames
}

@Suite struct H264PacketizerTests {
    @Test func splitsAnnexBWithThreeAndFourByteStartCodes() {
        let stream: [UInt8] = [0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 1, 0x65, 4, 5, 0, 0]
        #expect(H264Packetizer.nalUnits(annexB: stream).map(Array.init) == [[0x67, 1, 2], [0x68, 3], [0x65, 4, 5]])
        #expect(H264Packetizer.nalUnits(annexB: [0x41, 1, 2]).map(Array.init) == [[0x41, 1, 2]])
        #expect(H264Packetizer.nalUnits(annexB: []).isEmpty)
    }

    @Test func fixtureClipRoundTrips() throws {
        let units = accessUnits(VideoFixtures.h264AnnexB)
        #expect(units.count == 10)
        for mtu in [1200, 300] {
            var packetizer = H264Packetizer(maxPayloadSize: mtu)
            var sequence: UInt16 = 65_530 // exercise wrap-around in the continuity check
            var sawFUA = false
            for (index, unit) in units.enumerated() {
                let fragments = packetizer.packetize(accessUnit: unit)
                #expect(!fragments.isEmpty)
                #expect(fragments.allSatisfy { $0.payload.count <= mtu })
                #expect(fragments.map(\.marker) == Array(repeating: false, count: fragments.count - 1) + [true])
                #expect(!fragments.contains { $0.payload[0] & 0x1F == 9 }, "AUD must be dropped")

                // FU-A runs: start bit on the first, end bit on the last, nothing in between.
                var inRun = false
                for fragment in fragments where fragment.payload[0] & 0x1F == 28 {
                    sawFUA = true
                    let start = fragment.payload[1] & 0x80 != 0
                    let end = fragment.payload[1] & 0x40 != 0
                    #expect(start != inRun)
                    inRun = !end
                }
                #expect(!inRun)

                let types = nalTypes(unit)
                if types.contains(5) {
                    // Parameter sets travel together in a STAP-A ahead of the IDR slice.
                    let stap = fragments[0].payload
                    #expect(stap[0] & 0x1F == 24)
                    let firstSize = Int(stap[1]) << 8 | Int(stap[2])
                    #expect(stap[3] & 0x1F == 7)
                    #expect(stap[3 + firstSize + 2] & 0x1F == 8)
                }

                let frame = try H264Depacketizer.assemble(packets(fragments, timestamp: UInt32(index) * 3000, firstSequence: sequence))
                sequence &+= UInt16(fragments.count)
                let expected = H264Packetizer.nalUnits(annexB: unit).filter { $0.first.map { $0 & 0x1F } != 9 }
                #expect(H264Packetizer.nalUnits(annexB: frame.data).map(Array.init) == expected.map(Array.init))
                #expect(frame.data.starts(with: [0, 0, 0, 1]))
                #expect(frame.isKeyframe == types.contains(5))
                #expect(frame.timestamp == UInt32(index) * 3000)
            }
            #expect(sawFUA)
            #expect(packetizer.cachedSPS?.first.map { $0 & 0x1F } == 7)
        }
        #expect(units.filter { nalTypes($0).contains(5) }.count == 2)
    }

    @Test func insertsCachedParameterSetsBeforeBareIDR() throws {
        let units = accessUnits(VideoFixtures.h264AnnexB)
        let idrIndices = units.indices.filter { nalTypes(units[$0]).contains(5) }
        let secondIDR = try #require(idrIndices.last)
        let stripped = H264Packetizer.nalUnits(annexB: units[secondIDR])
            .filter { ![7, 8].contains($0.first.map { $0 & 0x1F }) }
            .flatMap { [0, 0, 0, 1] + $0 }
        #expect(!nalTypes(stripped).contains(7))

        var packetizer = H264Packetizer()
        _ = packetizer.packetize(accessUnit: units[0])
        let fragments = packetizer.packetize(accessUnit: stripped)
        #expect(fragments[0].payload[0] & 0x1F == 24)
        let frame = try H264Depacketizer.assemble(payloads: fragments.map(\.payload))
        #expect(Array(nalTypes(frame.data).prefix(2)) == [7, 8])
        #expect(frame.isKeyframe)

        // Without anything cached there is nothing to insert.
        var fresh = H264Packetizer()
        #expect(fresh.packetize(accessUnit: stripped)[0].payload[0] & 0x1F != 24)
    }

    @Test func reportsIncompleteFramesInsteadOfCorruptData() throws {
        let unit = accessUnits(VideoFixtures.h264AnnexB)[0]
        var packetizer = H264Packetizer()
        let fragments = packetizer.packetize(accessUnit: unit)
        let rtp = packets(fragments, timestamp: 0, firstSequence: 10)
        let fuIndices = fragments.indices.filter { fragments[$0].payload[0] & 0x1F == 28 }
        let middle = try #require(fuIndices.dropFirst().first)

        var gap = rtp
        gap.remove(at: middle)
        #expect(throws: RTPDepacketizeError.self) { try H264Depacketizer.assemble(gap) }

        var noMarker = rtp
        noMarker.removeLast()
        #expect(throws: RTPDepacketizeError.self) { try H264Depacketizer.assemble(noMarker) }

        // Payload-level checks catch lost FU-A start/end fragments even without sequence numbers.
        var payloads = fragments.map(\.payload)
        payloads.remove(at: fuIndices[0])
        guard case .incompleteFrame? = catching({ try H264Depacketizer.assemble(payloads: payloads) }) else {
            Issue.record("missing FU-A start must be incomplete"); return
        }
        var noEnd = fragments.map(\.payload)
        let lastFU = try #require(fuIndices.last)
        noEnd.removeSubrange(lastFU...)
        guard case .incompleteFrame? = catching({ try H264Depacketizer.assemble(payloads: noEnd) }) else {
            Issue.record("missing FU-A end must be incomplete"); return
        }
        guard case .malformed(0, _)? = catching({ try H264Depacketizer.assemble(payloads: [[0x78, 0x00, 0x05, 0x67]]) }) else {
            Issue.record("overrunning STAP-A must be malformed"); return
        }
        guard case .malformed? = catching({ try H264Depacketizer.assemble(payloads: [[0x7C, 0xC5, 1]]) }) else {
            Issue.record("FU-A with S and E must be malformed"); return
        }
    }

    @Test func hostilePayloadsNeverCrash() {
        let unit = accessUnits(VideoFixtures.h264AnnexB)[0]
        var packetizer = H264Packetizer(maxPayloadSize: 200)
        let seeds = packetizer.packetize(accessUnit: unit).map(\.payload).prefix(20).map { Array($0.prefix(64)) }
        let inputs = hostileInputs(from: Array(seeds), count: 6000, seed: 0x264)
        for chunk in stride(from: 0, to: inputs.count, by: 3) {
            _ = try? H264Depacketizer.assemble(payloads: Array(inputs[chunk..<min(chunk + 3, inputs.count)]))
        }
        for input in inputs.prefix(2000) {
            var hostile = H264Packetizer(maxPayloadSize: 20)
            _ = hostile.packetize(accessUnit: input)
        }
    }
}

@Suite struct VP8PacketizerTests {
    @Test func fixtureClipRoundTripsWithPictureIDWrap() throws {
        let frames = ivfFrames(VideoFixtures.vp8IVF)
        #expect(frames.count == 10)
        var packetizer = VP8Packetizer(maxPayloadSize: 1200, initialPictureID: 0x7FFE)
        var sequence: UInt16 = 100
        for (index, frame) in frames.enumerated() {
            let expectedID = UInt16((0x7FFE + index) & 0x7FFF)
            let fragments = packetizer.packetize(frame: frame)
            #expect(fragments.allSatisfy { $0.payload.count <= 1200 })
            #expect(fragments.map(\.marker) == Array(repeating: false, count: fragments.count - 1) + [true])
            for (i, fragment) in fragments.enumerated() {
                let descriptor = try VP8PayloadDescriptor.parse(fragment.payload)
                #expect(fragment.payload[0] == (i == 0 ? 0x90 : 0x80))
                #expect(fragment.payload[1] == 0x80)
                #expect(fragment.payload[2] & 0x80 != 0, "M bit: 15-bit PictureID")
                #expect(descriptor.pictureID == expectedID)
                #expect(descriptor.startOfPartition == (i == 0))
                #expect(descriptor.partitionID == 0)
                #expect(descriptor.size == 4)
            }
            let assembled = try VP8Depacketizer.assemble(packets(fragments, timestamp: 7, firstSequence: sequence))
            sequence &+= UInt16(fragments.count)
            #expect(assembled.data == frame)
            #expect(assembled.isKeyframe == (index % 5 == 0))
        }
        #expect(packetizer.pictureID == 8)
    }

    @Test func smallMTUSplitsEvenly() throws {
        let frame = ivfFrames(VideoFixtures.vp8IVF)[0]
        var packetizer = VP8Packetizer(maxPayloadSize: 104, initialPictureID: 5)
        let fragments = packetizer.packetize(frame: frame)
        #expect(fragments.count == (frame.count + 99) / 100)
        let sizes = fragments.map(\.payload.count)
        #expect((sizes.max() ?? 0) - (sizes.min() ?? 0) <= 1)
        #expect(try VP8Depacketizer.assemble(payloads: fragments.map(\.payload)).data == frame)
        #expect(packetizer.packetize(frame: []).isEmpty)
    }

    @Test func parsesShortDescriptorForms() throws {
        // X=0: single byte descriptor.
        let plain = try VP8PayloadDescriptor.parse([0x10, 0x9D])
        #expect(plain.size == 1 && plain.startOfPartition && plain.pictureID == nil)
        // X=1, I=1 with 7-bit PictureID, L=1, T=1/K=1.
        let full = try VP8PayloadDescriptor.parse([0x90, 0xF0, 0x15, 0x07, 0x65, 0x00])
        #expect(full.pictureID == 0x15)
        #expect(full.tl0PictureIndex == 7)
        #expect(full.temporalLayer == 1 && full.layerSync && full.keyIndex == 5)
        #expect(full.size == 5)
        #expect(throws: PacketParseError.self) { try VP8PayloadDescriptor.parse([0x90, 0x80, 0x80]) }
    }

    @Test func reportsIncompleteFrames() throws {
        let frame = ivfFrames(VideoFixtures.vp8IVF)[0]
        var packetizer = VP8Packetizer(maxPayloadSize: 500, initialPictureID: 1)
        let rtp = packets(packetizer.packetize(frame: frame), timestamp: 0, firstSequence: 0)
        #expect(rtp.count > 2)
        guard case .incompleteFrame? = catching({ try VP8Depacketizer.assemble(Array(rtp.dropFirst())) }) else {
            Issue.record("missing first packet must be incomplete"); return
        }
        var gap = rtp
        gap.remove(at: 1)
        guard case .incompleteFrame? = catching({ try VP8Depacketizer.assemble(gap) }) else {
            Issue.record("gap must be incomplete"); return
        }
        guard case .incompleteFrame? = catching({ try VP8Depacketizer.assemble(Array(rtp.dropLast())) }) else {
            Issue.record("missing last packet must be incomplete"); return
        }
    }

    @Test func hostilePayloadsNeverCrash() {
        let frame = ivfFrames(VideoFixtures.vp8IVF)[1]
        var packetizer = VP8Packetizer(maxPayloadSize: 60, initialPictureID: 0)
        let seeds = packetizer.packetize(frame: frame).prefix(20).map(\.payload)
        let inputs = hostileInputs(from: Array(seeds), count: 6000, seed: 0x8)
        for input in inputs { _ = try? VP8PayloadDescriptor.parse(input) }
        for chunk in stride(from: 0, to: inputs.count, by: 3) {
            _ = try? VP8Depacketizer.assemble(payloads: Array(inputs[chunk..<min(chunk + 3, inputs.count)]))
        }
    }
}

/// The depacketizer error thrown by `body`, or nil if it succeeded.
func catching<T>(_ body: () throws -> T) -> RTPDepacketizeError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error as? RTPDepacketizeError
    }
}
