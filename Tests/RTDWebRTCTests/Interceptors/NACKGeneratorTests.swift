import Testing
@testable import RTDWebRTC

@Suite struct NACKGeneratorTests {
    func generator(retries: Int = 8, minInterval: Int64 = 20_000) -> NACKGenerator {
        var c = NACKGenerator.Configuration()
        c.maxRetries = retries
        c.minInterval = minInterval
        return NACKGenerator(configuration: c)
    }

    /// A hole is asked for at once, then not again within the interval (at least
    /// `minInterval`, however short the round trip), then again.
    @Test func asksOncePerInterval() {
        var g = generator()
        g.markMissing(10..<12, now: 0)
        #expect(g.count == 2 && g.missingSince(10) == 0 && g.missingSince(12) == nil)
        #expect(g.due(now: 0, interval: 50_000) == [10, 11])
        #expect(g.due(now: 49_999, interval: 50_000) == [])
        g.markMissing(15..<16, now: 49_999)
        #expect(g.due(now: 50_000, interval: 50_000) == [10, 11, 15])
        #expect(g.due(now: 60_000, interval: 1_000) == [], "the floor is minInterval")
        #expect(g.due(now: 70_000, interval: 1_000) == [10, 11, 15])
    }

    /// After `maxRetries` asks a hole is left to wait out the jitter buffer's limit.
    @Test func stopsAfterMaxRetries() {
        var g = generator(retries: 3)
        g.markMissing(1..<2, now: 0)
        var asked = 0
        for t in 0..<10 { asked += g.due(now: Int64(t) * 100_000, interval: 0).count }
        #expect(asked == 3)
        #expect(g.count == 1, "still missing, just no longer asked for")
    }

    /// A hole filled after a NACK is a recovery; one filled before any NACK (reordering) is not;
    /// a duplicate or a packet never missing is neither.
    @Test func arrivalsFillHoles() {
        var g = generator()
        g.markMissing(100..<103, now: 0)
        #expect(g.received(100) == false, "reordered, never asked for")
        _ = g.due(now: 0, interval: 0)
        #expect(g.received(101) == true)
        #expect(g.received(101) == false, "duplicate")
        #expect(g.received(500) == false)
        #expect(g.due(now: 100_000, interval: 0) == [102])
    }

    @Test func forgetsWhatIsGivenUp() {
        var g = generator()
        g.markMissing(0..<10, now: 0)
        g.forget(2..<5)
        #expect(g.count == 7)
        g.forget(-1_000_000..<1_000_000)
        #expect(g.count == 0)
        g.markMissing(0..<3, now: 0)
        g.forgetAll()
        #expect(g.due(now: 0, interval: 0).isEmpty)
    }

    /// Holes across the 16-bit wrap keep their order as extended numbers and come out as the
    /// wire numbers in that order.
    @Test func holesAcrossTheWrap() {
        var g = generator()
        let before = RTPSequence.extend(65_534, near: 65_536 + 65_530)
        let after = RTPSequence.extend(1, near: before)
        g.markMissing(before..<after + 1, now: 0)
        #expect(g.due(now: 0, interval: 0).map { UInt16(truncatingIfNeeded: $0) } == [65_534, 65_535, 0, 1])
    }
}
