import Testing
@testable import RTDWebRTC

@Suite struct ReceiverReportGeneratorTests {
    func packet(_ sequence: UInt16, ssrc: UInt32 = 1234) -> RTPPacket {
        RTPPacket(marker: false, payloadType: 96, sequenceNumber: sequence, timestamp: UInt32(sequence) * 3000, ssrc: ssrc, payload: [0])
    }

    @Test func noBlockBeforeAnyPacket() throws {
        var g = ReceiverReportGenerator(ssrc: 77)
        let made = g.report(now: 0)
        let report = try #require(made)
        #expect(report.ssrc == 77 && report.reports.isEmpty)
    }

    /// One packet lost of twelve, across the sequence wrap (a late one fills its hole): 1/12 of the
    /// interval, one in all, and the highest number counts the cycle; the next interval reports
    /// its own loss only.
    @Test func lossAcrossTheWrap() throws {
        var g = ReceiverReportGenerator(ssrc: 77)
        for s: UInt16 in [65_530, 65_531, 65_532, 65_533, 65_534, 65_535, 0, 2, 3] { g.received(packet(s), now: 0) }
        g.received(packet(1), now: 0) // late: fills the hole
        g.received(packet(5), now: 0) // 4 lost
        let block = try #require(g.report(now: 0)?.reports.first)
        #expect(block.ssrc == 1234)
        #expect(block.fractionLost == UInt8(1 * 256 / 12) && block.cumulativeLost == 1)
        #expect(block.extendedHighestSequence == 2 * 65_536 + 5)
        for s: UInt16 in 6...15 { g.received(packet(s), now: 1_000_000) }
        let next = try #require(g.report(now: 1_000_000)?.reports.first)
        #expect(next.fractionLost == 0 && next.cumulativeLost == 1)
    }

    /// Duplicates count as received (RFC 3550 A.3), so they can hide loss but never make it
    /// negative.
    @Test func duplicatesNeverMakeLossNegative() throws {
        var g = ReceiverReportGenerator(ssrc: 77)
        for s: UInt16 in [1, 2, 2, 2, 3] { g.received(packet(s), now: 0) }
        let block = try #require(g.report(now: 0)?.reports.first)
        #expect(block.fractionLost == 0 && block.cumulativeLost == 0)
    }

    /// LSR is the middle of the sender's NTP time; DLSR the time since, in 1/65536 s.
    @Test func answersTheSendersReport() throws {
        var g = ReceiverReportGenerator(ssrc: 77)
        g.received(packet(1), now: 0)
        let ntp = NTPTimestamp(seconds: 3_900_000_000, fraction: 0x8000_0000)
        g.receivedSenderReport(RTCPSenderReport(ssrc: 1234, ntpTimestamp: ntp, rtpTimestamp: 90_000, packetCount: 1, octetCount: 1),
                               now: 2_000_000)
        let block = try #require(g.report(now: 2_500_000)?.reports.first)
        #expect(block.lastSenderReport == ntp.middle32 && block.delaySinceLastSenderReport == 32_768)
        // 1 s of RTP after the report is 1 s of the sender's clock after it.
        let unix = Int64((ntp.ntpSeconds - NTPTimestamp.unixToNTPOffset) * 1e6)
        #expect(g.senderTime(rtp: 180_000) == unix + 1_000_000)
        #expect(g.senderTime(rtp: 0) == unix - 1_000_000)
    }

    /// Every interval, or sooner when feedback goes out (a compound packet starts with a report).
    @Test func reportsEveryIntervalOrWithFeedback() {
        var g = ReceiverReportGenerator(ssrc: 77, interval: 1_000_000)
        #expect(g.report(now: 5_000_000) != nil)
        #expect(g.report(now: 5_500_000) == nil)
        #expect(g.report(now: 5_600_000, force: true) != nil)
        #expect(g.report(now: 6_500_000) == nil)
        #expect(g.report(now: 6_600_000) != nil)
    }

    @Test func jitterGoesIntoTheReport() throws {
        var g = ReceiverReportGenerator(ssrc: 77)
        g.received(packet(0), now: 0)
        g.received(packet(1), now: 33_333 + 16_000 * 100 / 90)
        #expect(try #require(g.report(now: 100_000)?.reports.first).jitter == UInt32(g.jitter.value))
        #expect(g.jitter.value > 90)
    }
}
