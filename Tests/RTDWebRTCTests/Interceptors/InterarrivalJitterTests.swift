import Testing
@testable import RTDWebRTC

@Suite struct InterarrivalJitterTests {
    /// Packets arriving as they were stamped have no jitter; one 2 ms late right after the RTP
    /// timestamp wraps is a change of 180 units, not of 2^32.
    @Test func steadyArrivalsHaveNoJitterAcrossTheWrap() {
        var j = InterarrivalJitter()
        var timestamp = UInt32.max - 26_999
        for k in 0..<3 {
            j.update(rtpTimestamp: timestamp, arrival: 1_000_000_000 + Int64(k) * 100_000)
            timestamp &+= 9000
        }
        #expect(j.value == 0)
        #expect(timestamp == 0)
        j.update(rtpTimestamp: timestamp, arrival: 1_000_000_000 + 300_000 + 2_000)
        #expect(j.value == 180.0 / 16)
    }

    /// Every other packet 2 ms late: each transit change is 180 units, and the estimate moves a
    /// sixteenth of the way to it per packet (RFC 3550 §6.4.1).
    @Test func convergesOnTheTransitChange() {
        var j = InterarrivalJitter()
        for i in 0..<200 {
            j.update(rtpTimestamp: UInt32(i * 3000), arrival: Int64(i) * 33_333 + (i % 2 == 0 ? 0 : 2_000))
        }
        #expect(abs(j.value - 180) < 2, "\(j.value)")
        var one = InterarrivalJitter()
        one.update(rtpTimestamp: 0, arrival: 0)
        one.update(rtpTimestamp: 0, arrival: 16_000 * 100 / 90)
        #expect(abs(one.value - 100) < 0.1, "1600 units of change, one sixteenth: \(one.value)")
    }

    /// A jump of a second or more is a new timeline (a camera switch), not jitter.
    @Test func aTimelineJumpIsNotJitter() {
        var j = InterarrivalJitter()
        j.update(rtpTimestamp: 0, arrival: 0)
        j.update(rtpTimestamp: 5_000_000, arrival: 33_333)
        #expect(j.value == 0)
    }
}
