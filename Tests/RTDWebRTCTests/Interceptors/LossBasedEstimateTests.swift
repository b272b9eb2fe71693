import Testing
@testable import RTDWebRTC

@Suite struct LossBasedEstimateTests {
    @Test func probesUpOnLittleLossAndBacksOffOnMuch() {
        var e = LossBasedEstimate()
        #expect(e.update(lossFraction: 0, now: 0) == 2710)
        #expect(e.update(lossFraction: 0.5, now: 200_000) == 2032)
    }

    @Test func changesAtMostEveryHoldTime() {
        var e = LossBasedEstimate()
        #expect(e.update(lossFraction: 0, now: 1_000_000) != nil)
        #expect(e.update(lossFraction: 0.9, now: 1_199_999) == nil)
        #expect(e.kbps == 2710)
        #expect(e.update(lossFraction: 0.9, now: 1_200_000) != nil)
    }

    /// Between 2% and 10% it holds, and holding does not start a new hold time.
    @Test func holdsInBetween() {
        var e = LossBasedEstimate()
        #expect(e.update(lossFraction: 0.05, now: 0) == nil)
        #expect(e.kbps == 2500)
        #expect(e.update(lossFraction: 0.3, now: 1) == 2125)
    }

    @Test func staysWithinItsRange() {
        var e = LossBasedEstimate()
        for i in 0..<100 { _ = e.update(lossFraction: 1, now: Int64(i) * 200_000) }
        #expect(e.kbps == LossBasedEstimate.range.lowerBound)
        for i in 100..<300 { _ = e.update(lossFraction: 0, now: Int64(i) * 200_000) }
        #expect(e.kbps == LossBasedEstimate.range.upperBound)
    }
}
