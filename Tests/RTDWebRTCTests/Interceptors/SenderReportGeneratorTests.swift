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

    /// With capture times, the report maps the wall clock by capture: the RTP time of media
    /// captured at the report's wall-clock time, whatever each stream's sending delay. Audio
    /// (48 kHz) and video (90 kHz) of one source then agree on what was captured when.
    @Test func mapsByCaptureTimeWhenKnown() throws {
        let wallMicros: Int64 = 1_700_000_000_000_000
        let wall = NTPTimestamp(ntpSeconds: Double(wallMicros) / 1e6 + NTPTimestamp.unixToNTPOffset)
        var video = SenderReportGenerator(ssrc: 1, cname: "c")
        var audio = SenderReportGenerator(ssrc: 2, cname: "c", clockRate: 48_000)
        // Video captured 100 ms before the report, sent 60 ms later; audio captured 40 ms before, sent at once.
        video.sent(timestamp: 90_000, packets: 3, octets: 3000, now: 5_000_000, capturedAt: wallMicros - 100_000)
        audio.sent(timestamp: 48_000, packets: 1, octets: 80, now: 5_050_000, capturedAt: wallMicros - 40_000)
        guard case .senderReport(let v)? = video.report(now: 5_060_000, wallClock: wall)?.first,
              case .senderReport(let a)? = audio.report(now: 5_060_000, wallClock: wall)?.first else {
            Issue.record("no reports"); return
        }
        #expect(v.ntpTimestamp == wall && a.ntpTimestamp == wall)
        // Within the NTP fraction's rounding (a tick at most).
        #expect(abs(Int(v.rtpTimestamp) - (90_000 + 9_000)) <= 1, "100 ms at 90 kHz after the picture: \(v.rtpTimestamp)")
        #expect(abs(Int(a.rtpTimestamp) - (48_000 + 1_920)) <= 1, "40 ms at 48 kHz after the packet: \(a.rtpTimestamp)")
    }
}
