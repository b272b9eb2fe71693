import Testing
@testable import RTDWebRTC

@Suite struct ReceiverEstimatorTests {
    /// Reports about our stream give loss, jitter and the round trip (A − LSR − DLSR, RFC 3550
    /// §6.4.1) and feed the loss estimate; reports about other streams change nothing.
    @Test func readsReportsAboutItsStream() throws {
        var e = ReceiverEstimator(mediaSSRC: 1234)
        let sentSR = NTPTimestamp(seconds: 3_900_000_000, fraction: 0)
        // Arrives 1.25 s after the SR; the receiver held it 1 s: 250 ms round trip.
        let arrival = NTPTimestamp(seconds: 3_900_000_001, fraction: 0x4000_0000)
        let other = RTCPReportBlock(ssrc: 99, fractionLost: 200, jitter: 5)
        #expect(e.receive(reports: [other], now: 0, arrival: arrival).isEmpty)
        #expect(e.fractionLost == 0 && e.roundTripTime == nil)
        let ours = RTCPReportBlock(ssrc: 1234, fractionLost: 64, jitter: 900,
                                   lastSenderReport: sentSR.middle32, delaySinceLastSenderReport: 65_536)
        #expect(e.receive(reports: [other, ours], now: 0, arrival: arrival) == [2187])
        #expect(e.fractionLost == 0.25 && e.jitter == 900)
        #expect(try #require(e.roundTripTime) == 0.25)
        // Inside the estimate's hold time the figures update but the estimate does not.
        #expect(e.receive(reports: [ours], now: 100_000, arrival: arrival).isEmpty)
    }

    @Test func rembIsTheReceiversEstimate() {
        var e = ReceiverEstimator(mediaSSRC: 1234)
        #expect(e.receive(RTCPREMB(senderSSRC: 1, bitrate: 800_000, ssrcs: [1234])) == 800)
        #expect(e.rembKbps == 800)
    }

    /// TWCC: the share of the packets it covers that never arrived.
    @Test func transportFeedbackLossFeedsTheEstimate() {
        var e = ReceiverEstimator(mediaSSRC: 1234)
        func feedback(lost: Int, of count: Int) -> RTCPTransportFeedback {
            RTCPTransportFeedback(senderSSRC: 1, mediaSSRC: 1234, baseSequenceNumber: 0, referenceTime: 0, feedbackPacketCount: 0,
                                  packets: (0..<count).map { i in
                                      RTCPTransportFeedback.PacketResult(sequenceNumber: UInt16(i), receiveDelta: i < lost ? nil : 4)
                                  })
        }
        #expect(e.receive(feedback(lost: 4, of: 10), now: 0) == 2000, "40% lost: 2500 × 0.8")
        #expect(e.receive(feedback(lost: 0, of: 10), now: 100_000) == nil, "held")
        #expect(e.receive(feedback(lost: 0, of: 0), now: 200_000) == 2170, "nothing covered, nothing lost")
    }
}
