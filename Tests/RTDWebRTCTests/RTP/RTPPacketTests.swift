import Testing
import RTDTestSupport
@testable import RTDWebRTC

@Suite struct RTPPacketTests {
    /// V=2 P=0 X=1 CC=1, M=1 PT=96, seq 0x1234, ts 100, SSRC deadbeef, CSRC 01020304,
    /// one-byte extension block with id 2 (3 bytes) + id 4 (2 bytes) + 1 padding byte, payload aa bb.
    static let handBuilt = hexBytes("""
        91 e0 12 34 00 00 00 64 de ad be ef 01 02 03 04
        be de 00 02 22 0a 0b 0c 41 00 07 00
        aa bb
        """)

    @Test func parsesHandBuiltPacket() throws {
        let packet = try RTPPacket.parse(Self.handBuilt)
        #expect(packet.marker)
        #expect(packet.payloadType == 96)
        #expect(packet.sequenceNumber == 0x1234)
        #expect(packet.timestamp == 100)
        #expect(packet.ssrc == 0xDEAD_BEEF)
        #expect(packet.csrcs == [0x0102_0304])
        #expect(packet.headerExtension == .oneByte([RTPExtensionElement(id: 2, data: [0x0A, 0x0B, 0x0C]),
                                                    RTPExtensionElement(id: 4, data: [0x00, 0x07])]))
        #expect(AbsSendTime.decode(packet.headerExtension?.data(forID: 2) ?? []) == 0x0A0B0C)
        #expect(TransportSequenceNumber.decode(packet.headerExtension?.data(forID: 4) ?? []) == 7)
        #expect(packet.payload == [0xAA, 0xBB])
        #expect(packet.serialized() == Self.handBuilt)
    }

    @Test func twoByteExtensionsAndPaddingRoundTrip() throws {
        let packet = RTPPacket(marker: false, payloadType: 111, sequenceNumber: 65535, timestamp: 0xFFFF_FFFF, ssrc: 1,
                               headerExtension: .twoByte(appBits: 3, [RTPExtensionElement(id: 200, data: Array(repeating: 9, count: 20)),
                                                                      RTPExtensionElement(id: 5, data: [])]),
                               payload: [1, 2, 3], paddingLength: 5)
        let bytes = packet.serialized()
        #expect(bytes[0] == 0xB0) // V=2, P=1, X=1
        #expect(bytes[12] == 0x10 && bytes[13] == 0x03)
        #expect(bytes.last == 5)
        #expect(try RTPPacket.parse(bytes) == packet)

        // One-byte form can't carry id 15+ or 17-byte data, so it falls back to two-byte.
        let fallback = RTPPacket(payloadType: 96, sequenceNumber: 1, timestamp: 1, ssrc: 1,
                                 headerExtension: .oneByte([RTPExtensionElement(id: 3, data: Array(repeating: 1, count: 17))]), payload: [])
        #expect(try RTPPacket.parse(fallback.serialized()).headerExtension == .twoByte(appBits: 0, fallback.headerExtension?.elements ?? []))
    }

    @Test func oneByteID15StopsParsing() throws {
        var bytes = hexBytes("90 60 00 01 00 00 00 01 00 00 00 01 be de 00 02 10 aa f0 ff 20 01 02 03")
        let packet = try RTPPacket.parse(bytes)
        #expect(packet.headerExtension?.elements == [RTPExtensionElement(id: 1, data: [0xAA])])
        bytes[16] = 0x1F // id 1 with 16 bytes: overruns the 8-byte block
        #expect(throws: PacketParseError.self) { try RTPPacket.parse(bytes) }
    }

    @Test func rejectsMalformedHeaders() {
        let cases: [([UInt8], String)] = [
            (hexBytes("40 60 00 01 00 00 00 01 00 00 00 01"), "version"),
            (hexBytes("80 60 00 01 00 00 00 01 00 00 00"), "truncated"),
            (hexBytes("82 60 00 01 00 00 00 01 00 00 00 01 00 00 00 01"), "truncated CSRC"),
            (hexBytes("90 60 00 01 00 00 00 01 00 00 00 01 be de 00 05 00"), "truncated header extension"),
            (hexBytes("a0 60 00 01 00 00 00 01 00 00 00 01 aa 09"), "padding"),
            (hexBytes("a0 60 00 01 00 00 00 01 00 00 00 01 aa 00"), "padding"),
        ]
        for (bytes, expected) in cases {
            do {
                _ = try RTPPacket.parse(bytes)
                Issue.record("expected failure: \(expected)")
            } catch {
                #expect(error.layer == .rtp)
                #expect(error.description.contains(expected.split(separator: " ").last.map(String.init) ?? ""), "\(error)")
            }
        }
    }

    @Test func absSendTimeFixedPoint() {
        #expect(AbsSendTime.value(seconds: 1.5) == 0x06_0000)
        #expect(AbsSendTime.value(seconds: 64.25) == AbsSendTime.value(seconds: 0.25))
        #expect(AbsSendTime.value(seconds: 63.999999) == 0xFF_FFFF)
        #expect(AbsSendTime.value(seconds: .nan) == 0)
        #expect(AbsSendTime.seconds(0x06_0000) == 1.5)
        #expect(AbsSendTime.decode([1, 2]) == nil)
    }

    @Test func outboundPacketIsReheaderedPerPeer() throws {
        let template = RTPOutboundPacket(payloadType: 0, timestamp: 90_000, marker: true, payload: [9, 8, 7])
        let peerA = template.bytes(payloadType: 108, sequenceNumber: 500, timestamp: 123_456, ssrc: 0xAAAA_AAAA,
                                   absSendTimeID: 2, absSendTime: 0x01_0203, transportSequenceID: 4, transportSequence: 77,
                                   tailroom: 0)
        // abs-send-time not negotiated: its slot becomes padding.
        let peerB = template.bytes(payloadType: 96, sequenceNumber: 9, timestamp: 1, ssrc: 0xBBBB_BBBB,
                                   absSendTimeID: nil, absSendTime: 5, transportSequenceID: 3, transportSequence: 1,
                                   tailroom: 0)

        let a = try RTPPacket.parse(peerA)
        #expect(a.payloadType == 108 && a.sequenceNumber == 500 && a.timestamp == 123_456 && a.ssrc == 0xAAAA_AAAA)
        #expect(a.marker)
        #expect(a.payload == [9, 8, 7])
        #expect(a.headerExtension?.elements == [RTPExtensionElement(id: 2, data: [1, 2, 3]), RTPExtensionElement(id: 4, data: [0, 77])])

        let b = try RTPPacket.parse(peerB)
        #expect(b.payloadType == 96 && b.ssrc == 0xBBBB_BBBB)
        #expect(b.headerExtension?.elements == [RTPExtensionElement(id: 3, data: [0, 1])])
        #expect(b.sequenceNumber == 9 && b.timestamp == 1 && b.marker)

        // The template is untouched by either peer's edits.
        #expect(template.ssrc == 0 && template.sequenceNumber == 0)

        let bare = RTPOutboundPacket(payloadType: 96, timestamp: 5, marker: false, payload: [1],
                                     reserveAbsSendTime: false, reserveTransportSequence: false)
        #expect(bare.bytes.count == 13)
        var raw = bare.bytes
        #expect(RTPPacket.rewriteHeader(&raw, payloadType: 100, sequenceNumber: 2, timestamp: 3, ssrc: 4))
        #expect(try RTPPacket.parse(raw) == RTPPacket(payloadType: 100, sequenceNumber: 2, timestamp: 3, ssrc: 4, payload: [1]))
        var short: [UInt8] = [0x80]
        #expect(!RTPPacket.rewriteHeader(&short, payloadType: 1, sequenceNumber: 1, timestamp: 1, ssrc: 1))
    }

    @Test func hostileInputsNeverCrash() {
        let seeds = [Self.handBuilt,
                     RTPPacket(payloadType: 1, sequenceNumber: 1, timestamp: 1, ssrc: 1,
                               headerExtension: .twoByte(appBits: 0, [RTPExtensionElement(id: 9, data: [1, 2, 3])]),
                               payload: [1, 2, 3], paddingLength: 3).serialized()]
        for input in hostileInputs(from: seeds, count: 5000, seed: 0x0127) {
            if let packet = try? RTPPacket.parse(input) {
                _ = packet.serialized()
            }
        }
    }
}

@Suite struct RTPOutboundPacketPerPeerTests {
    @Test func aPacketMadeInItsPacketizersBufferIsTheSerializedPacket() throws {
        var h264 = H264Packetizer(maxPayloadSize: 40)
        let nal: [UInt8] = [0x65] + (0..<100).map { UInt8($0) }
        for (i, fragment) in h264.packetize(accessUnit: [0, 0, 0, 1] + nal).enumerated() {
            let inPlace = RTPOutboundPacket(payloadType: 0, timestamp: 0xA0B0_C0D0, fragment: fragment)
            let serialized = RTPOutboundPacket(payloadType: 0, timestamp: 0xA0B0_C0D0, marker: fragment.marker,
                                               payload: fragment.payload)
            #expect(inPlace.bytes == serialized.bytes, "fragment \(i)")
            #expect(try RTPPacket.parse(inPlace.bytes).payload == fragment.payload)
        }
        var vp8 = VP8Packetizer(maxPayloadSize: 30, initialPictureID: 5)
        for fragment in vp8.packetize(frame: [UInt8](repeating: 7, count: 70)) {
            let inPlace = RTPOutboundPacket(payloadType: 0, timestamp: 1, fragment: fragment)
            #expect(inPlace.bytes == RTPOutboundPacket(payloadType: 0, timestamp: 1, marker: fragment.marker, payload: fragment.payload).bytes)
        }
    }

    @Test func aPeerWritesThePacketStraightIntoItsSendBuffer() {
        let shared = RTPOutboundPacket(payloadType: 0, timestamp: 9, fragment: RTPPayloadFragment(payload: [1, 2, 3], marker: true))
        var list = DatagramList()
        list.write(capacity: shared.bytes.count + 16) { buffer in
            shared.write(into: buffer, payloadType: 96, sequenceNumber: 1, timestamp: 2, ssrc: 3, absSendTimeID: 2,
                         absSendTime: 4, transportSequenceID: 3, transportSequence: 5)
        }
        #expect(list.datagrams == [shared.bytes(payloadType: 96, sequenceNumber: 1, timestamp: 2, ssrc: 3, absSendTimeID: 2,
                                                absSendTime: 4, transportSequenceID: 3, transportSequence: 5, tailroom: 0)])
        list.write(capacity: 10) { _ in 0 }
        #expect(list.datagrams.count == 1)
    }

    @Test func perPeerBytesCarryEachPeersFieldsAndLeaveTailroom() throws {
        let shared = RTPOutboundPacket(payloadType: 0, timestamp: 9, marker: true, payload: [1, 2, 3, 4, 5])
        for (absID, twccID): (UInt8?, UInt8?) in [(3, 5), (nil, 7), (2, nil), (nil, nil)] {
            let once = shared.bytes(payloadType: 96, sequenceNumber: 4242, timestamp: 123_456, ssrc: 0xDEAD_BEEF,
                                    absSendTimeID: absID, absSendTime: 0x12_3456, transportSequenceID: twccID,
                                    transportSequence: 777, tailroom: 148)
            let packet = try RTPPacket.parse(once)
            #expect(packet.payloadType == 96 && packet.sequenceNumber == 4242 && packet.timestamp == 123_456)
            #expect(packet.ssrc == 0xDEAD_BEEF && packet.marker && packet.payload == [1, 2, 3, 4, 5])
            var expected: [RTPExtensionElement] = []
            if let absID { expected.append(RTPExtensionElement(id: absID, data: [0x12, 0x34, 0x56])) }
            if let twccID { expected.append(RTPExtensionElement(id: twccID, data: [0x03, 0x09])) }
            #expect((packet.headerExtension?.elements ?? []) == expected)
            #expect(once.capacity >= once.count + 148)
        }
        // The shared packet itself is untouched, for the next peer.
        #expect(shared.sequenceNumber == 0 && shared.ssrc == 0 && shared.payloadType == 0)
    }
}
