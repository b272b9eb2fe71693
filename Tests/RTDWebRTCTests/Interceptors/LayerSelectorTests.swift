import Testing
@testable import RTDWebRTC

@Suite struct LayerSelectorTests {
    /// A path of `capacity` kbit/s in 20 ms steps: media and padding share it, and what does not
    /// fit is lost (the receiver NACKs the media packets lost).
    struct Link {
        var capacity: Int
        var selector: LayerSelector
        var now: Int64 = 0
        var sequence: UInt16 = 0
        var moves: [LayerSelector.Decision] = []
        /// Ticks on which media was lost.
        var lossyTicks = 0
        private var packetsOwed = 0.0
        private var lossOwed = 0.0

        init(capacity: Int, rates: [Int], layer: Int = 0, probeIn: Int64 = LayerSelector.firstProbe) {
            self.capacity = capacity
            selector = LayerSelector(rates: rates, layer: layer, now: 0, probeIn: probeIn)
        }

        mutating func run(seconds: Double) {
            let ticks = Int(seconds * 50)
            for _ in 0..<ticks {
                now += 20_000
                let media = selector.rates[selector.layer]
                let offered = Double(media + selector.probeKbps)
                packetsOwed += Double(media) * 20 / 8 / 1200
                let packets = Int(packetsOwed)
                packetsOwed -= Double(packets)
                lossOwed += Double(packets) * (1 - min(1, Double(capacity) / offered))
                let lost = Int(lossOwed)
                lossOwed -= Double(lost)
                selector.sent(packets: packets, bytes: packets * 1200)
                if lost > 0 {
                    lossyTicks += 1
                    selector.lost((0..<lost).map { sequence &+ UInt16($0) })
                }
                sequence &+= UInt16(packets)
                if let d = selector.tick(now: now) { moves.append(d) }
            }
        }
    }

    static let rates = [1500, 530, 190]

    /// A 300 kbit/s path under the full layer: one move, straight to the layer that fits.
    @Test func movesDownAtOnceToTheLayerThatFits() {
        var link = Link(capacity: 300, rates: Self.rates)
        link.run(seconds: 2)
        #expect(link.moves.count == 1)
        #expect(link.moves.first?.layer == 2)
        #expect(link.moves.first?.up == false)
        #expect((250...360).contains(link.moves.first?.linkKbps ?? 0), "\(link.moves)")
    }

    /// On the same path it probes now and then, each probe cut short at the first loss, and
    /// never moves up; the probes cost little (few ticks with loss) and come less and less often.
    @Test func probesFailCheaplyAndBackOff() {
        var link = Link(capacity: 300, rates: Self.rates, layer: 2)
        link.run(seconds: 30)
        #expect(link.moves.isEmpty, "\(link.moves)")
        #expect(link.selector.layer == 2)
        // Probes at 2, 4, 6 s then every 5 s: about 7 in 30 s, each losing for a few ticks.
        #expect(link.lossyTicks > 0)
        #expect(link.lossyTicks < 60, "\(link.lossyTicks) lossy ticks of 1500")
    }

    /// Once the path is freed it climbs back, a layer at a time, within 15 s even after backing off.
    @Test func climbsBackWhenThePathClears() {
        var link = Link(capacity: 300, rates: Self.rates, layer: 2)
        link.run(seconds: 30)
        link.capacity = 10_000
        let freed = link.now
        var climbed: Int64?
        for _ in 0..<300 where climbed == nil {
            link.run(seconds: 0.1)
            if link.selector.layer == 0 { climbed = link.now - freed }
        }
        #expect(link.moves.map(\.layer) == [1, 0])
        #expect(link.moves.allSatisfy { $0.up })
        #expect((climbed ?? .max) <= 15_000_000, "\(String(describing: climbed))")
    }

    /// A viewer that joined on the smallest layer of a fast path (a LAN) is on the full layer
    /// within seconds: two climbs of about 3 s of probing each, the next starting soon after a move up.
    @Test func aJoinerOnAFastPathClimbsQuickly() {
        var link = Link(capacity: 10_000, rates: Self.rates, layer: 2, probeIn: LayerSelector.joinProbe)
        var climbed: Int64?
        for _ in 0..<100 where climbed == nil {
            link.run(seconds: 0.1)
            if link.selector.layer == 0 { climbed = link.now }
        }
        #expect(link.moves.map(\.layer) == [1, 0])
        #expect((climbed ?? .max) <= 9_000_000, "\(String(describing: climbed))")
    }

    /// A clean path never moves a viewer on the full layer, and a loss of a few percent does not either.
    @Test func aCleanOrSlightlyLossyPathStays() {
        var link = Link(capacity: 1600, rates: Self.rates)
        link.run(seconds: 10)
        #expect(link.moves.isEmpty)
        #expect(link.selector.probeKbps == 0)
        var lossy = LayerSelector(rates: Self.rates, now: 0)
        var now: Int64 = 0
        for i in 0..<500 {
            now += 20_000
            lossy.sent(packets: 3, bytes: 3600)
            if i % 20 == 0 { lossy.lost([UInt16(i)]) }
            let move = lossy.tick(now: now)
            #expect(move == nil)
        }
    }

    /// A receiver asking again and again for one packet (aiortc does on every arrival) is one loss.
    @Test func repeatedNACKsOfOnePacketCountOnce() {
        var s = LayerSelector(rates: Self.rates, now: 0)
        var now: Int64 = 0
        for _ in 0..<100 {
            now += 20_000
            s.sent(packets: 3, bytes: 3600)
            s.lost([7, 8])
            let move = s.tick(now: now)
            #expect(move == nil)
        }
    }

    /// With one layer there is nothing to choose and nothing to probe for.
    @Test func oneLayerNeverMoves() {
        var link = Link(capacity: 100, rates: [1500])
        link.run(seconds: 10)
        #expect(link.moves.isEmpty)
        #expect(link.selector.probeKbps == 0)
    }
}
