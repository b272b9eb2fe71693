import Testing
@testable import RTDWebRTC

/// Known-answer vectors from libsrtp's test/srtp_driver.c (srtp_validate, srtp_validate_gcm):
/// RTP seq 0x1234, SSRC 0xCAFEBABE, 16 bytes of 0xAB payload; RTCP SR header + 16 × 0xAB.
@Suite struct SRTPContextTests {
    static let rtpPlaintext: [UInt8] = [
        0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe,
    ] + [UInt8](repeating: 0xab, count: 16)
    static let rtcpPlaintext: [UInt8] = [0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe]
        + [UInt8](repeating: 0xab, count: 16)

    static let cmKey = SRTPMasterKey(
        key: [0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39],
        salt: [0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6])
    static let cmSRTP: [UInt8] = [
        0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0x4e, 0x55, 0xdc, 0x4c,
        0xe7, 0x99, 0x78, 0xd8, 0x8c, 0xa4, 0xd2, 0x15, 0x94, 0x9d, 0x24, 0x02, 0xb7, 0x8d, 0x6a, 0xcc,
        0x99, 0xea, 0x17, 0x9b, 0x8d, 0xbb,
    ]
    static let cmSRTCP: [UInt8] = [
        0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0x71, 0x28, 0x03, 0x5b, 0xe4, 0x87, 0xb9, 0xbd,
        0xbe, 0xf8, 0x90, 0x41, 0xf9, 0x77, 0xa5, 0xa8, 0x80, 0x00, 0x00, 0x01, 0x99, 0x3e, 0x08, 0xcd,
        0x54, 0xd6, 0xc1, 0x23, 0x07, 0x98,
    ]

    static let gcmKey = SRTPMasterKey(
        key: [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f],
        salt: [0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab])
    static let gcmSRTP: [UInt8] = [
        0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0xc5, 0x00, 0x2e, 0xde,
        0x04, 0xcf, 0xdd, 0x2e, 0xb9, 0x11, 0x59, 0xe0, 0x88, 0x0a, 0xa0, 0x6e, 0xd2, 0x97, 0x68, 0x26,
        0xf7, 0x96, 0xb2, 0x01, 0xdf, 0x31, 0x31, 0xa1, 0x27, 0xe8, 0xa3, 0x92,
    ]
    static let gcmSRTCP: [UInt8] = [
        0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0xc9, 0x8b, 0x8b, 0x5d, 0xf0, 0x39, 0x2a, 0x55,
        0x85, 0x2b, 0x6c, 0x21, 0xac, 0x8e, 0x70, 0x25, 0xc5, 0x2c, 0x6f, 0xbe, 0xa2, 0xb3, 0xb4, 0x46,
        0xea, 0x31, 0x12, 0x3b, 0xa8, 0x8c, 0xe6, 0x1e, 0x80, 0x00, 0x00, 0x01,
    ]

    static let vectors: [(SRTPProfile, SRTPMasterKey, [UInt8], [UInt8])] = [
        (.aes128CMHmacSHA1_80, cmKey, cmSRTP, cmSRTCP),
        (.aeadAES128GCM, gcmKey, gcmSRTP, gcmSRTCP),
    ]

    @Test(arguments: vectors.indices)
    func knownAnswer(index: Int) throws {
        let (profile, key, srtp, srtcp) = Self.vectors[index]
        let sender = try SRTPContext(profile: profile, masterKey: key, direction: .outbound)
        var rtp = Self.rtpPlaintext
        try sender.protect(&rtp)
        #expect(rtp == srtp)
        var rtcp = Self.rtcpPlaintext
        try sender.protectRTCP(&rtcp)
        #expect(rtcp == srtcp)

        let receiver = try SRTPContext(profile: profile, masterKey: key, direction: .inbound)
        var packet = srtp
        try receiver.unprotect(&packet)
        #expect(packet == Self.rtpPlaintext)
        var control = srtcp
        try receiver.unprotectRTCP(&control)
        #expect(control == Self.rtcpPlaintext)
    }

    @Test func knownAnswerIntoCallerBuffer() throws {
        let sender = try SRTPContext(profile: .aes128CMHmacSHA1_80, masterKey: Self.cmKey, direction: .outbound)
        var scratch = [UInt8](repeating: 0, count: 1500)
        let length = try scratch.withUnsafeMutableBytes { buffer in
            buffer.copyBytes(from: Self.rtpPlaintext)
            return try sender.protect(buffer, length: Self.rtpPlaintext.count)
        }
        #expect(Array(scratch[0..<length]) == Self.cmSRTP)
    }

    @Test(arguments: [SRTPProfile.aes128CMHmacSHA1_80, .aeadAES128GCM])
    func replayedAndTamperedPacketsAreRejected(profile: SRTPProfile) throws {
        let key = SRTPMasterKey(key: .init(repeating: 1, count: 16), salt: .init(repeating: 2, count: profile.saltLength))
        let sender = try SRTPContext(profile: profile, masterKey: key, direction: .outbound)
        let receiver = try SRTPContext(profile: profile, masterKey: key, direction: .inbound)

        var first = makeTestRTPPacket(ssrc: 7, sequence: 100, payloadSize: 200)
        try sender.protect(&first)
        var copy = first
        try receiver.unprotect(&copy)
        copy = first
        #expect(throws: SRTPError.replayFail) { try receiver.unprotect(&copy) }
        #expect(copy == first, "a rejected packet keeps its length")

        var second = makeTestRTPPacket(ssrc: 7, sequence: 101, payloadSize: 200)
        try sender.protect(&second)
        second[40] ^= 0x01
        #expect(throws: SRTPError.authFail) { try receiver.unprotect(&second) }

        var rtcp = makeTestRTCPReport(ssrc: 7)
        try sender.protectRTCP(&rtcp)
        var replayed = rtcp
        try receiver.unprotectRTCP(&rtcp)
        #expect(throws: SRTPError.replayFail) { try receiver.unprotectRTCP(&replayed) }
    }

    @Test func outboundStreamsAreAddedPerSSRCOnFirstUse() throws {
        let key = SRTPMasterKey(key: .init(repeating: 3, count: 16), salt: .init(repeating: 4, count: 12))
        let sender = try SRTPContext(profile: .aeadAES128GCM, masterKey: key, direction: .outbound)
        let receiver = try SRTPContext(profile: .aeadAES128GCM, masterKey: key, direction: .inbound)
        for ssrc: UInt32 in [1, 2, 0xDEAD_BEEF] {
            let plain = makeTestRTPPacket(ssrc: ssrc, sequence: 5, payloadSize: 50)
            var packet = plain
            try sender.protect(&packet)
            try receiver.unprotect(&packet)
            #expect(packet == plain)
        }
    }

    /// Outbound GCM runs on OpenSSL, not libsrtp: libsrtp's receiver must take every packet across
    /// a sequence wrap (its own rollover estimate), resends from before the wrap, and headers with
    /// CSRCs and an extension (all authenticated, not encrypted).
    @Test func gcmSenderMatchesLibsrtpAcrossWrapAndResends() throws {
        let key = SRTPMasterKey(key: (0..<16).map { UInt8($0 * 11) }, salt: (0..<12).map { UInt8(200 - $0) })
        let sender = try SRTPContext(profile: .aeadAES128GCM, masterKey: key, direction: .outbound, allowRepeatTransmit: true)
        let receiver = try SRTPContext(profile: .aeadAES128GCM, masterKey: key, direction: .inbound, replayWindow: 1024)
        func packet(_ sequence: UInt16) -> [UInt8] {
            // V=2, X=1, CC=1; one CSRC; a one-byte-header extension of 1 word.
            var p: [UInt8] = [0x91, 96, UInt8(sequence >> 8), UInt8(sequence & 0xFF), 0, 1, 2, 3, 0xCA, 0xFE, 0, 7, 0, 0, 0, 9,
                              0xBE, 0xDE, 0, 1, 0x12, 0xAB, 0xCD, 0]
            p += (0..<300).map { UInt8(truncatingIfNeeded: Int($0) &+ Int(sequence)) }
            return p
        }
        var first: [UInt16: [UInt8]] = [:]
        let order: [UInt16] = Array(UInt16(65_530)...65_535) + Array(UInt16(0)...5) + [65_534, 3, 6]
        for sequence in order {
            let plain = packet(sequence)
            var wire = plain
            try sender.protect(&wire)
            #expect(wire.count == plain.count + 16)
            #expect(wire[0..<24] == plain[0..<24], "the header stays in the clear")
            if let earlier = first[sequence] {
                // A resend is protected under the index it first had (its rollover counter too).
                #expect(wire == earlier, "resend of \(sequence)")
                continue
            }
            first[sequence] = wire
            try receiver.unprotect(&wire)
            #expect(wire == plain, "packet \(sequence)")
        }
    }

    @Test func retransmissionNeedsRepeatTransmitAllowed() throws {
        let key = SRTPMasterKey(key: .init(repeating: 5, count: 16), salt: .init(repeating: 6, count: 14))
        let plain = makeTestRTPPacket(ssrc: 9, sequence: 1, payloadSize: 100)
        let strict = try SRTPContext(profile: .aes128CMHmacSHA1_80, masterKey: key, direction: .outbound)
        var once = plain
        try strict.protect(&once)
        var again = plain
        #expect(throws: SRTPError.replayFail) { try strict.protect(&again) }

        let lenient = try SRTPContext(profile: .aes128CMHmacSHA1_80, masterKey: key, direction: .outbound,
                                      allowRepeatTransmit: true)
        var a = plain, b = plain
        try lenient.protect(&a)
        try lenient.protect(&b)
        #expect(a == b)
    }

    @Test func badInputsAreReportedNotCrashed() throws {
        let key = SRTPMasterKey(key: .init(repeating: 1, count: 16), salt: .init(repeating: 1, count: 14))
        #expect(throws: SRTPError.invalidKeyLength(profile: .aeadAES128GCM)) {
            try SRTPContext(profile: .aeadAES128GCM, masterKey: key, direction: .outbound)
        }
        let sender = try SRTPContext(profile: .aes128CMHmacSHA1_80, masterKey: key, direction: .outbound)
        var small = [UInt8](repeating: 0x80, count: 40)
        #expect(throws: SRTPError.insufficientTailroom(needed: 40 + SRTPContext.maxTrailerLength, available: 40)) {
            try small.withUnsafeMutableBytes { try sender.protect($0, length: 40) }
        }
        let receiver = try SRTPContext(profile: .aes128CMHmacSHA1_80, masterKey: key, direction: .inbound)
        for size in [0, 1, 11, 12, 21, 22, 100] {
            var junk = (0..<size).map { _ in UInt8.random(in: 0...255) }
            if size > 0 { junk[0] = 0x80 }
            #expect(throws: SRTPError.self) { try receiver.unprotect(&junk) }
            #expect(throws: SRTPError.self) { try receiver.unprotectRTCP(&junk) }
        }
        #expect(SRTPError.authFail.statusName == "srtp_err_status_auth_fail")
        #expect(SRTPError.replayOld.description == "SRTP error: srtp_err_status_replay_old")
    }

    /// Not a timed assertion: prints a rough per-packet cost once for the report.
    @Test func protectCostPer1200BytePacket() throws {
        let packets = 20_000
        for profile in [SRTPProfile.aeadAES128GCM, .aes128CMHmacSHA1_80] {
            let key = SRTPMasterKey(key: .init(repeating: 9, count: 16), salt: .init(repeating: 9, count: profile.saltLength))
            let sender = try SRTPContext(profile: profile, masterKey: key, direction: .outbound)
            let template = makeTestRTPPacket(ssrc: 42, sequence: 0, payloadSize: 1200 - 12)
            var scratch = [UInt8](repeating: 0, count: 1200 + SRTPContext.maxTrailerLength)
            let clock = ContinuousClock()
            let elapsed = try clock.measure {
                try scratch.withUnsafeMutableBytes { buffer in
                    for i in 0..<packets {
                        buffer.copyBytes(from: template)
                        buffer[2] = UInt8(truncatingIfNeeded: i >> 8)
                        buffer[3] = UInt8(truncatingIfNeeded: i)
                        _ = try sender.protect(buffer, length: template.count)
                    }
                }
            }
            let nanoseconds = (Double(elapsed.components.seconds) * 1e18 + Double(elapsed.components.attoseconds)) / 1e9
            print("SRTP protect \(profile), 1200-byte RTP: \(Int(nanoseconds / Double(packets))) ns per packet")
        }
    }
}
