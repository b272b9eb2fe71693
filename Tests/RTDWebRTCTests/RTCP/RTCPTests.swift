import Foundation
import Testing
import RTDTestSupport
@testable import RTDWebRTC

@Suite struct RTCPTests {
    /// SR from SSRC 0x11111111 with one report block about 0x22222222, then SDES CNAME "abc".
    static let compound = hexBytes("""
        81 c8 00 0c 11 11 11 11 e0 00 00 00 80 00 00 00
        00 01 5f 90 00 00 00 0a 00 00 04 d2
        22 22 22 22 40 ff ff fe 00 01 00 64 00 00 00 20 12 34 56 78 00 02 00 00
        81 ca 00 03 11 11 11 11 01 03 61 62 63 00 00 00
        """)

    @Test func parsesHandBuiltCompound() throws {
        let packets = try RTCPPacket.parseCompound(Self.compound)
        #expect(packets.count == 2)
        guard case .senderReport(let sr) = packets[0], case .sourceDescription(let sdes) = packets[1] else {
            Issue.record("unexpected packet kinds \(packets)"); return
        }
        #expect(sr.ssrc == 0x1111_1111)
        #expect(sr.ntpTimestamp == NTPTimestamp(seconds: 0xE000_0000, fraction: 0x8000_0000))
        #expect(sr.rtpTimestamp == 90_000)
        #expect(sr.packetCount == 10 && sr.octetCount == 1234)
        let block = try #require(sr.reports.first)
        #expect(block.ssrc == 0x2222_2222)
        #expect(block.fractionLost == 0x40)
        #expect(block.cumulativeLost == -2)
        #expect(block.extendedHighestSequence == 0x0001_0064)
        #expect(block.jitter == 32)
        #expect(block.lastSenderReport == 0x1234_5678)
        #expect(block.delaySinceLastSenderReport == 0x0002_0000)
        #expect(sdes.cnames == [0x1111_1111: "abc"])
        #expect(RTCPPacket.serializeCompound(packets) == Self.compound)
    }

    @Test func roundTripTimeFollowsRFC3550() {
        // RFC 3550 §6.4.1 example: A = 0xb710:8000 (46864.500 s), LSR = 0xb705:2000 (46853.125 s),
        // DLSR = 0x0005:4000 (5.250 s) → RTT 6.125 s.
        let block = RTCPReportBlock(ssrc: 1, lastSenderReport: 0xB705_2000, delaySinceLastSenderReport: 0x0005_4000)
        let arrival = NTPTimestamp(seconds: 0xB710, fraction: 0x8000_0000)
        #expect(block.roundTripTime(arrival: arrival) == 6.125)
        #expect(RTCPReportBlock(ssrc: 1).roundTripTime(arrival: arrival) == nil)
        #expect(RTCPReportBlock(ssrc: 1, lastSenderReport: 0xB720_0000).roundTripTime(arrival: arrival) == nil)
    }

    @Test func ntpTimestampConversions() {
        let date = Date(timeIntervalSince1970: 1_700_000_000.25)
        let ntp = NTPTimestamp(date: date)
        #expect(ntp.seconds == UInt32(1_700_000_000 + 2_208_988_800))
        #expect(ntp.fraction == 0x4000_0000)
        #expect(abs(ntp.date.timeIntervalSince(date)) < 1e-6)
        #expect(NTPTimestamp(seconds: 0x1234_5678, fraction: 0x9ABC_DEF0).middle32 == 0x5678_9ABC)
        #expect(NTPTimestamp(ntpSeconds: -.infinity) == NTPTimestamp(seconds: 0, fraction: 0))
    }

    @Test func feedbackMessagesKnownBytes() throws {
        let pli = hexBytes("81 ce 00 02 00 00 00 01 00 00 00 02")
        #expect(try RTCPPacket.parseCompound(pli) == [.pictureLossIndication(RTCPPictureLossIndication(senderSSRC: 1, mediaSSRC: 2))])

        let fir = hexBytes("84 ce 00 04 00 00 00 01 00 00 00 00 00 00 00 09 07 00 00 00")
        let firPacket = RTCPPacket.fullIntraRequest(RTCPFullIntraRequest(senderSSRC: 1, entries: [.init(ssrc: 9, sequenceNumber: 7)]))
        #expect(try RTCPPacket.parseCompound(fir) == [firPacket])
        #expect(firPacket.serialized() == fir)

        // PID 100, BLP 0b101 → 100, 101, 103.
        let nack = hexBytes("81 cd 00 03 00 00 00 01 00 00 00 02 00 64 00 05")
        let nackPacket = RTCPPacket.nack(RTCPGenericNACK(senderSSRC: 1, mediaSSRC: 2, lostSequenceNumbers: [100, 101, 103]))
        #expect(try RTCPPacket.parseCompound(nack) == [nackPacket])
        #expect(nackPacket.serialized() == nack)

        // 1 Mbit/s = 250000 × 2^2 → exp 2, mantissa 0x3D090.
        let remb = hexBytes("8f ce 00 05 00 00 00 01 00 00 00 00 52 45 4d 42 01 0b d0 90 00 00 00 09")
        let rembPacket = RTCPPacket.remb(RTCPREMB(senderSSRC: 1, bitrate: 1_000_000, ssrcs: [9]))
        #expect(try RTCPPacket.parseCompound(remb) == [rembPacket])
        #expect(rembPacket.serialized() == remb)

        let bye = RTCPPacket.goodbye(RTCPGoodbye(ssrcs: [5, 6], reason: "done"))
        #expect(bye.serialized() == hexBytes("82 cb 00 04 00 00 00 05 00 00 00 06 04 64 6f 6e 65 00 00 00"))
        #expect(try RTCPPacket.parseCompound(bye.serialized()) == [bye])
    }

    @Test func nackPackingHandlesWrapAndRuns() throws {
        let lost: [UInt16] = [65534, 65535, 0, 1, 20, 40, 41, 56]
        let packet = RTCPPacket.nack(RTCPGenericNACK(senderSSRC: 1, mediaSSRC: 2, lostSequenceNumbers: lost))
        let bytes = packet.serialized()
        #expect(bytes.count == 12 + 3 * 4) // 65534(+3), 20, 40(+41,+56)
        #expect(try RTCPPacket.parseCompound(bytes) == [packet])
    }

    @Test func rembBitrateEncoding() {
        for bitrate: UInt64 in [0, 1, 262_143, 262_144, 30_000_000, 1 << 40] {
            let remb = RTCPREMB(senderSSRC: 1, bitrate: bitrate, ssrcs: [])
            let (exponent, mantissa) = remb.encodedBitrate
            #expect(mantissa <= 0x3_FFFF)
            let decoded = RTCPREMB.decodeBitrate(exponent: exponent, mantissa: mantissa)
            #expect(decoded <= bitrate && bitrate - decoded < (UInt64(1) << exponent))
        }
        #expect(RTCPREMB.decodeBitrate(exponent: 63, mantissa: 0x3_FFFF) == UInt64.max)
    }

    @Test func reportsRoundTrip() throws {
        let packets: [RTCPPacket] = [
            .receiverReport(RTCPReceiverReport(ssrc: 7, reports: [
                RTCPReportBlock(ssrc: 8, fractionLost: 3, cumulativeLost: 0x7F_FFFF, extendedHighestSequence: 9, jitter: 10,
                                lastSenderReport: 11, delaySinceLastSenderReport: 12),
                RTCPReportBlock(ssrc: 9, cumulativeLost: -0x80_0000),
            ])),
            .senderReport(RTCPSenderReport(ssrc: 1, ntpTimestamp: NTPTimestamp(rawValue: 0x0102_0304_0506_0708),
                                           rtpTimestamp: 2, packetCount: 3, octetCount: 4)),
            .sourceDescription(RTCPSourceDescription(chunks: [
                .init(ssrc: 1, items: [.init(type: 1, text: "cname-1"), .init(type: 6, text: "rtd")]),
                .init(ssrc: 2, items: [.init(type: 1, text: "x")]),
            ])),
            .goodbye(RTCPGoodbye(ssrcs: [1])),
            .other(packetType: 204, countOrFormat: 3, body: [0, 0, 0, 1, 0x41, 0x42, 0x43, 0x44]),
            .other(packetType: 206, countOrFormat: 15, body: [0, 0, 0, 1, 0, 0, 0, 0, 0x58, 0x58, 0x58, 0x58]),
        ]
        let bytes = RTCPPacket.serializeCompound(packets)
        #expect(try RTCPPacket.parseCompound(bytes) == packets)
        #expect(WebRTCDatagramKind.classify(bytes) == .rtcp)
    }

    @Test func paddedPacketIsAccepted() throws {
        // PLI with P=1 and 4 bytes of padding (count in the last byte).
        let padded = hexBytes("a1 ce 00 03 00 00 00 01 00 00 00 02 00 00 00 04")
        #expect(try RTCPPacket.parseCompound(padded) == [.pictureLossIndication(RTCPPictureLossIndication(senderSSRC: 1, mediaSSRC: 2))])
    }

    @Test func malformedPacketsReportOffsets() {
        let cases: [([UInt8], Int)] = [
            ([], 0),
            (hexBytes("41 ce 00 02 00 00 00 01 00 00 00 02"), 0), // version 1
            (hexBytes("81 ce 00 09 00 00 00 01"), 2), // length beyond datagram
            (Self.compound + [0x81, 0xc9], 70), // truncated trailing header: length field missing
            (hexBytes("81 c9 00 01 00 00 00 01"), 8), // RR claims one block, has none
            (hexBytes("a1 ce 00 02 00 00 00 01 00 00 00 0c"), 11), // padding count too big
        ]
        for (bytes, offset) in cases {
            do {
                _ = try RTCPPacket.parseCompound(bytes)
                Issue.record("expected failure for \(bytes)")
            } catch {
                #expect(error.offset == offset, "\(error)")
                #expect(error.layer == .rtcp)
            }
        }
    }

    @Test func hostileInputsNeverCrash() {
        let twcc = RTCPPacket.transportFeedback(RTCPTransportFeedback.build(
            senderSSRC: 1, mediaSSRC: 2, firstFeedbackCount: 0,
            arrivals: (0..<40).map { TransportPacketArrival(sequenceNumber: UInt16($0), arrivalMicroseconds: $0 % 5 == 0 ? nil : Int64($0) * 3000) })[0])
        let seeds = [Self.compound, twcc.serialized(),
                     RTCPPacket.nack(RTCPGenericNACK(senderSSRC: 1, mediaSSRC: 2, lostSequenceNumbers: [1, 3, 9])).serialized(),
                     RTCPPacket.remb(RTCPREMB(senderSSRC: 1, bitrate: 5_000_000, ssrcs: [1, 2])).serialized()]
        for input in hostileInputs(from: seeds, count: 6000, seed: 0x4585) {
            if let packets = try? RTCPPacket.parseCompound(input) {
                _ = RTCPPacket.serializeCompound(packets)
            }
        }
    }
}

@Suite struct TransportFeedbackTests {
    /// Three packets from base 100: small delta +1 ms, lost, large delta −2 ms; reference 1 (64 ms),
    /// feedback count 5. One 2-bit status vector chunk: 1 1 | 01 00 10 00 00 00 00 = 0xD200.
    static let handBuilt = hexBytes("""
        8f cd 00 06 00 00 00 01 00 00 00 02
        00 64 00 03 00 00 01 05 d2 00 04 ff f8 00 00 00
        """)

    @Test func parsesHandBuiltFeedback() throws {
        guard case .transportFeedback(let feedback)? = try RTCPPacket.parseCompound(Self.handBuilt).first else {
            Issue.record("not transport feedback"); return
        }
        #expect(feedback.baseSequenceNumber == 100)
        #expect(feedback.referenceTime == 1)
        #expect(feedback.feedbackPacketCount == 5)
        #expect(feedback.packets == [.init(sequenceNumber: 100, receiveDelta: 4),
                                     .init(sequenceNumber: 101, receiveDelta: nil),
                                     .init(sequenceNumber: 102, receiveDelta: -8)])
        #expect(feedback.arrivals == [.init(sequenceNumber: 100, arrivalMicroseconds: 65_000),
                                      .init(sequenceNumber: 101, arrivalMicroseconds: nil),
                                      .init(sequenceNumber: 102, arrivalMicroseconds: 63_000)])
        #expect(RTCPPacket.transportFeedback(feedback).serialized() == Self.handBuilt)
    }

    @Test func decodesDraftChunkExamples() throws {
        // Draft §3.1.3: "0 01 0000011011101" = run of 221 "received, small delta".
        var runLength = hexBytes("8f cd 00 00 00 00 00 01 00 00 00 02 00 00 00 dd 00 00 00 00 20 dd")
        runLength += Array(repeating: 1, count: 221)
        runLength += Array(repeating: 0, count: (4 - runLength.count % 4) % 4)
        runLength[3] = UInt8(runLength.count / 4 - 1)
        guard case .transportFeedback(let run)? = try RTCPPacket.parseCompound(runLength).first else {
            Issue.record("not transport feedback"); return
        }
        #expect(run.packets.count == 221)
        #expect(run.packets.allSatisfy { $0.receiveDelta == 1 })

        // Draft §3.1.4: "1 0 11100101000101" one-bit vector: received, received, received, lost, lost, received, ...
        var vector = hexBytes("8f cd 00 00 00 00 00 01 00 00 00 02 00 0a 00 0e 00 00 00 00 b9 45")
        vector += Array(repeating: 2, count: 7)
        vector += Array(repeating: 0, count: (4 - vector.count % 4) % 4)
        vector[3] = UInt8(vector.count / 4 - 1)
        guard case .transportFeedback(let bits)? = try RTCPPacket.parseCompound(vector).first else {
            Issue.record("not transport feedback"); return
        }
        #expect(bits.packets.map { $0.receiveDelta != nil } ==
                [true, true, true, false, false, true, false, true, false, false, false, true, false, true])
        #expect(bits.packets.first?.sequenceNumber == 10)
    }

    @Test func buildsFromArrivalsAndRoundTrips() throws {
        var rng = SeededRandom(seed: 99)
        var time: Int64 = 5_000_000
        var arrivals: [TransportPacketArrival] = []
        for index in 0..<300 {
            time += Int64.random(in: -2_000...20_000, using: &rng) // reordering gives negative deltas
            let lost = index % 17 == 3 || (100..<130).contains(index)
            arrivals.append(TransportPacketArrival(sequenceNumber: UInt16(truncatingIfNeeded: 65_400 + index),
                                                   arrivalMicroseconds: lost ? nil : time))
        }
        let feedbacks = RTCPTransportFeedback.build(senderSSRC: 1, mediaSSRC: 2, firstFeedbackCount: 9, arrivals: arrivals)
        #expect(feedbacks.count == 1)
        let feedback = try #require(feedbacks.first)
        #expect(feedback.baseSequenceNumber == 65_400)
        let bytes = RTCPPacket.transportFeedback(feedback).serialized()
        guard case .transportFeedback(let parsed)? = try RTCPPacket.parseCompound(bytes).first else {
            Issue.record("not transport feedback"); return
        }
        #expect(parsed == feedback)
        #expect(parsed.feedbackPacketCount == 9)
        // Arrival times survive to within the 250 µs quantization.
        for (original, decoded) in zip(arrivals, parsed.arrivals) {
            #expect(original.sequenceNumber == decoded.sequenceNumber)
            switch (original.arrivalMicroseconds, decoded.arrivalMicroseconds) {
            case (nil, nil): break
            case (let a?, let b?): #expect(abs(a - b) <= 125, "seq \(original.sequenceNumber)")
            default: Issue.record("received/lost mismatch at \(original.sequenceNumber)")
            }
        }
    }

    @Test func splitsWhenDeltaOverflows() throws {
        let arrivals = [TransportPacketArrival(sequenceNumber: 1, arrivalMicroseconds: 1_000),
                        TransportPacketArrival(sequenceNumber: 2, arrivalMicroseconds: 20_000_000),
                        TransportPacketArrival(sequenceNumber: 3, arrivalMicroseconds: 20_000_500)]
        let feedbacks = RTCPTransportFeedback.build(senderSSRC: 1, mediaSSRC: 2, firstFeedbackCount: 255, arrivals: arrivals)
        #expect(feedbacks.map(\.baseSequenceNumber) == [1, 2])
        #expect(feedbacks.map(\.feedbackPacketCount) == [255, 0])
        #expect(feedbacks[1].arrivals.compactMap(\.arrivalMicroseconds) == [20_000_000, 20_000_500])
        for feedback in feedbacks {
            #expect(try RTCPPacket.parseCompound(RTCPPacket.transportFeedback(feedback).serialized()) == [.transportFeedback(feedback)])
        }
    }

    @Test func rejectsReservedSymbolsAndTruncation() {
        var reserved = Self.handBuilt
        reserved[20] = 0x60 // run-length chunk with symbol 3
        #expect(throws: PacketParseError.self) { try RTCPPacket.parseCompound(reserved) }
        var truncatedDeltas = Self.handBuilt
        truncatedDeltas[15] = 7 // 7 statuses, all "large delta": needs 14 delta bytes, 6 present
        truncatedDeltas[20] = 0xEA
        truncatedDeltas[21] = 0xAA
        #expect(throws: PacketParseError.self) { try RTCPPacket.parseCompound(truncatedDeltas) }
    }
}
