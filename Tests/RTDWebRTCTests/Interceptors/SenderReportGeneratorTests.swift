import Testing
@testable import RTDWebRTC

@Suite struct SenderReportGeneratorTests {
    let wall = NTPTimestamp(seconds: 3_900_000_000, fraction: 0x8000_0000)

    @Test func nothingToReportBeforeTheFirstPicture() {
        var g = SenderReportGenerator(ssrc: 7, cname: "c")
        #expect(g.deadline == nil)
        #expect(g.report(now: 10_000_000, wallClock: wall) == nil)
    }

    /// The report maps the wall clock to the RTP time now (the last picture's timestamp moved on
    /// at 90 kHz) and counts what was sent; the CNAME goes with it.
    @Test func reportsAtOnceThenEveryInterval() throws {
        var g = SenderReportGenerator(ssrc: 7, cname: "cam", interval: 1_000_000)
        g.sent(timestamp: 3000, packets: 3, octets: 3600, now: 5_000_000)
        g.sent(timestamp: 6000, packets: 2, octets: 2000, now: 5_033_333)
        let made = g.report(now: 5_100_000, wallClock: wall)
        let report = try #require(made)
        #expect(report.count == 2)
        guard case .senderReport(let sr) = report[0], case .sourceDescription(let sdes) = report[1] else {
            Issue.record("\(report)"); return
        }
        #expect(sr.ssrc == 7 && sr.ntpTimestamp == wall)
        #expect(sr.rtpTimestamp == 6000 + 6000, "66.667 ms after the last picture at 90 kHz")
        #expect(sr.packetCount == 5 && sr.octetCount == 5600)
        #expect(sdes == RTCPSourceDescription(ssrc: 7, cname: "cam"))
        #expect(g.deadline == 6_100_000)
        #expect(g.report(now: 6_099_999, wallClock: wall) == nil)
        #expect(g.report(now: 6_100_000, wallClock: wall) != nil)
    }

    @Test func theRTPClockWraps() {
        var g = SenderReportGenerator(ssrc: 7, cname: "c")
        g.sent(timestamp: UInt32.max - 10, packets: 1, octets: 100, now: 0)
        #expect(g.rtpTimestamp(at: 1_000) == 79, "90 ticks on from 2^32 - 11")
    }
}
