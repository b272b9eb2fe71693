import Testing
@testable import RTDWebRTC

@Suite struct KeyframeRequesterTests {
    @Test func firstAskGoesAtOnce() {
        var k = KeyframeRequester()
        #expect(k.deadline == nil && !k.poll(now: 0))
        #expect(k.request(now: 1_000) == true)
        #expect(!k.pending && k.deadline == nil)
    }

    /// Asks inside the interval are kept and made once when it ends, not dropped and not
    /// made once each.
    @Test func asksInsideTheIntervalCoalesceIntoOneWhenItEnds() {
        var k = KeyframeRequester(interval: 300_000)
        #expect(k.request(now: 1_000_000) == true)
        #expect(k.request(now: 1_050_000) == false)
        #expect(k.request(now: 1_200_000) == false)
        #expect(k.pending && k.deadline == 1_300_000)
        #expect(k.poll(now: 1_299_999) == false)
        #expect(k.poll(now: 1_300_000) == true)
        #expect(!k.pending && k.deadline == nil)
        #expect(k.poll(now: 1_700_000) == false, "one kept ask, made once")
        // The kept ask started a new interval.
        #expect(k.request(now: 1_400_000) == false)
        #expect(k.request(now: 1_600_000) == true)
    }

    @Test func anAskAfterTheIntervalGoesAtOnce() {
        var k = KeyframeRequester(interval: 300_000)
        #expect(k.request(now: 0) == true)
        #expect(k.request(now: 300_000) == true)
        #expect(!k.pending)
    }

    /// A new stream's first ask is not held back by the old stream's interval; an ask kept
    /// before the restart is still made.
    @Test func restartLetsTheNextAskGoAtOnce() {
        var k = KeyframeRequester(interval: 300_000)
        #expect(k.request(now: 1_000_000) == true)
        #expect(k.request(now: 1_100_000) == false)
        k.restart()
        #expect(k.poll(now: 1_100_001) == true)
        var fresh = KeyframeRequester(interval: 300_000)
        #expect(fresh.request(now: 5_000_000) == true)
        fresh.restart()
        #expect(fresh.request(now: 5_000_001) == true)
    }
}
