import Testing
import RTDTestSupport
@testable import RTDWebRTC

/// Inputs scripts/fuzz found (README, "Fuzzing"), each kept with the property it broke.
@Suite struct FuzzFindingTests {
    /// rtp: a one-byte extension byte with id 0 and a non-zero length nibble was kept as an
    /// element with id 0, which no extension form can carry, so the packet changed when re-sent.
    @Test func oneByteExtensionIDZeroIsOnePaddingByte() throws {
        let input = hexBytes("""
            90 29 03 e9 00 01 5f 90 00 00 12 34 be de 00 03 22 12 34 03 22 12 34 56 01 5f 90 00
            00 12 34 be de 00 03 22 12 34 56 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15
            16 1b 1c 1d 1e 1f 20 21 22 23 24 25 26 27
            """)
        // 22 12 34 03 | 22 12 34 56 | 01 5f 90 00: two elements, then 0x01 took 5f 90 as the data
        // of an element with id 0. As one padding byte, 0x5f (id 5, 16 bytes) overruns the block.
        #expect(throws: PacketParseError.self) { try RTPPacket.parse(input) }
        let padded = try RTPPacket.parse(hexBytes("90 60 00 01 00 00 00 01 00 00 00 01 be de 00 01 01 20 aa 00"))
        #expect(padded.headerExtension == .oneByte([RTPExtensionElement(id: 2, data: [0xAA])]))
        #expect(try RTPPacket.parse(padded.serialized()) == padded)
    }

    /// candidate (found by the CI fuzz smoke run): a tab then U+0313 (a combining mark) split into
    /// two fields, but printed as space + U+0313, which is one grapheme, not " ", so the printed
    /// line no longer split into the same fields. Fields are now split by scalar.
    @Test func aCombiningMarkAfterASeparatorStaysItsOwnField() throws {
        let input = "candidate:1 1 udp 21307 19 8443 typ host a\t\u{313}b c d"
        let candidate = try ICECandidate.parse(input)
        #expect(candidate.extensions.count == 2)
        #expect(try ICECandidate.parse(candidate.description) == candidate)
        let attribute = try SDPAttribute.parse(Substring(SDPAttribute.candidate(candidate).attributeText))
        #expect(attribute == .candidate(candidate))
        #expect(SDPText.fields("a \u{313}b\t c") == ["a", "\u{313}b", "c"])
        // The same for the attributes that split or trim by hand.
        for text in ["fmtp:96\t\u{313}x=1 ", "ssrc:5 \u{313}cname:x", "fmtp:97 a=1 \u{313}"] {
            let parsed = try SDPAttribute.parse(Substring(text))
            #expect(try SDPAttribute.parse(Substring(parsed.attributeText)) == parsed, "\(text)")
        }
        #expect(Substring(" \t\u{313}x \t").trimmingSpaces == "\u{313}x")
        #expect(Substring(" \t ").trimmingSpaces == "")
    }

    /// candidate: a trickled candidate whose foundation was "candidate:2" printed as
    /// "candidate:candidate:2 …", which reads back as foundation "2". RFC 8839 allows only
    /// 1–32 letters, digits, + and / there.
    @Test func candidateFoundationMustBeICEChars() throws {
        let input = " candidate:2 1 udp 1694498815 203.0.113.9 6100 typ srflx raddr !0.0.0..0.2 rport 610"
        #expect(throws: SDPParseError.self) { try ICECandidate.parse(input) }
        #expect(throws: SDPParseError.self) { try ICECandidate.parse("candidate:\(String(repeating: "a", count: 33)) 1 udp 1 h 1 typ host") }
        let valid = try ICECandidate.parse("candidate:a+/Z9 1 udp 1 192.0.2.1 1 typ host")
        #expect(valid.foundation == "a+/Z9")
        #expect(try ICECandidate.parse(valid.description) == valid)
    }

    /// rtcp: an unknown packet type with RTCP padding left a body of 29 bytes; serializing padded
    /// it with zeros that read back as body. Now it pads with the P bit and a count.
    @Test func oddSizedOpaqueRTCPBodyRoundTrips() throws {
        let input = hexBytes("a1 c5 00 08 f7 00 00 00 81 cd 00 06 00 00 00 01 00 00 00 fa 2c f8 7a 9a 0e 8a 70 6e 00 00 f8 63 00 ff 65 03")
        let packets = try RTCPPacket.parseCompound(input)
        guard case .other(197, 1, let body) = packets.first else { Issue.record("not an opaque packet: \(packets)"); return }
        #expect(body.count == 29)
        #expect(try RTCPPacket.parseCompound(RTCPPacket.serializeCompound(packets)) == packets)
        let report = RTCPPacket.receiverReport(RTCPReceiverReport(ssrc: 1, profileExtension: [1, 2, 3]))
        #expect(try RTCPPacket.parseCompound(report.serialized()) == [report])
    }

    /// rtcp: BYE reasons and SDES items are cut to 255 bytes of UTF-8 between characters, so the
    /// text reads back as written (a cut inside a character read back as U+FFFD).
    @Test func rtcpTextIsCutBetweenCharacters() throws {
        let bye = RTCPPacket.goodbye(RTCPGoodbye(ssrcs: [1], reason: String(repeating: "é", count: 200)))
        guard case .goodbye(let parsed)? = try RTCPPacket.parseCompound(bye.serialized()).first else {
            Issue.record("not a BYE"); return
        }
        #expect(parsed.reason == String(repeating: "é", count: 127))
    }
}

/// stun: text attributes that were not UTF-8 were decoded with replacement characters, so a
/// 200-byte USERNAME of 0xFF re-serialized as 600 bytes, past the 513 the parser allows, and an
/// ERROR-CODE reason over 763 bytes came back cut. Both are refused when parsed now.
@Suite struct STUNTextFindingTests {
    static func message(type: UInt16, attribute: UInt16, value: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.wireAppend(type)
        bytes.wireAppend(UInt16(4 + (value.count + 3) / 4 * 4))
        bytes.wireAppend(STUNMessage.magicCookie)
        bytes += [UInt8](repeating: 0, count: 12)
        bytes.wireAppend(attribute)
        bytes.wireAppend(UInt16(value.count))
        bytes += value
        bytes.wirePadTo4()
        return bytes
    }

    @Test func usernameMustBeUTF8() throws {
        let input = Self.message(type: 0x0001, attribute: 0x0006, value: [UInt8](repeating: 0xFF, count: 200))
        #expect(throws: PacketParseError.self) { try STUNMessage.parse(input) }
        let valid = try STUNMessage.parse(Self.message(type: 0x0001, attribute: 0x0006, value: Array("fzUf:é".utf8)))
        #expect(valid.username == "fzUf:é")
        #expect(try STUNMessage.parse(valid.serialized()) == valid)
    }

    @Test func errorReasonIsBoundedUTF8() throws {
        let long = Self.message(type: 0x0111, attribute: 0x0009, value: [0, 0, 4, 1] + Array(repeating: UInt8(ascii: "a"), count: 800))
        #expect(throws: PacketParseError.self) { try STUNMessage.parse(long) }
        let invalid = Self.message(type: 0x0111, attribute: 0x0009, value: [0, 0, 4, 1, 0xC3, 0x28])
        #expect(throws: PacketParseError.self) { try STUNMessage.parse(invalid) }
        let software = Self.message(type: 0x0001, attribute: 0x8022, value: [0xFE])
        #expect(throws: PacketParseError.self) { try STUNMessage.parse(software) }
    }
}
