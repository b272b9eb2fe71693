import Testing
@testable import RTDWebRTC

@Suite struct NACKResponderTests {
    func responder(capacity: Int = 1024, sending sequences: [UInt16]) -> NACKResponder {
        var responder = NACKResponder(mediaSSRC: 1234, capacity: capacity)
        for s in sequences {
            let packet = RTPOutboundPacket(payloadType: 96, timestamp: 0, marker: false, payload: [UInt8(truncatingIfNeeded: s)])
            responder.sent(RetransmissionHistory.Entry(packet: packet, sequence: s, timestamp: 0, absSendTime: 0, transportSequence: s))
        }
        return responder
    }

    /// `respond` is mutating, which #require's closure cannot call.
    func answer(_ r: inout NACKResponder, _ nack: RTCPGenericNACK, now: Int64) -> NACKResponder.Response? {
        r.respond(to: nack, now: now)
    }

    func nack(_ sequences: [UInt16], ssrc: UInt32 = 1234) -> RTCPGenericNACK {
        RTCPGenericNACK(senderSSRC: 9, mediaSSRC: ssrc, lostSequenceNumbers: sequences)
    }

    @Test func resendsWhatItHoldsInTheNACKsOrder() throws {
        var r = responder(sending: Array(100...120))
        let response = try #require(answer(&r, nack([105, 103, 110]), now: 0))
        #expect(response.resend.map(\.sequence) == [105, 103, 110])
        #expect(response.resend.map(\.packet.bytes.last) == [105, 103, 110])
        #expect(!response.unrepairable)
    }

    @Test func aNACKAboutAnotherStreamIsNotAnswered() {
        var r = responder(sending: [1, 2])
        #expect(r.respond(to: nack([1], ssrc: 99), now: 0) == nil)
    }

    /// A packet the history no longer holds (a late NACK) or never sent cannot be repaired; the
    /// rest of the same NACK still is.
    @Test func aPacketNoLongerHeldIsUnrepairable() throws {
        var r = responder(capacity: 16, sending: Array(0...40))
        let response = try #require(answer(&r, nack([10, 30, 50]), now: 0))
        #expect(response.resend.map(\.sequence) == [30])
        #expect(response.unrepairable)
    }

    /// The same NACK again a round trip later (the first resend was lost too) is answered again,
    /// but not sooner: a receiver that asks on every packet while one is missing would otherwise
    /// have each packet resent many times over a congested path. One number listed twice in one
    /// NACK is resent once.
    @Test func duplicateNACKs() throws {
        var r = responder(sending: Array(0...20))
        #expect(try #require(answer(&r, nack([5, 6]), now: 1_000_000)).resend.map(\.sequence) == [5, 6])
        #expect(try #require(answer(&r, nack([5, 6]), now: 1_050_000)).resend.isEmpty)
        #expect(try #require(answer(&r, nack([5, 6]), now: 1_100_000)).resend.map(\.sequence) == [5, 6])
        let repeated = try #require(answer(&r, nack(Array(repeating: 7, count: 500) + [8, 7]), now: 1_100_000))
        #expect(repeated.resend.map(\.sequence) == [7, 8])
    }

    /// After a switch of source, packets from before it are still repaired, but are not the new stream's.
    @Test func packetsBeforeARestartAreRepairedButNotCurrent() throws {
        var r = responder(sending: Array(0...40))
        r.restart(at: 41)
        #expect(try #require(answer(&r, nack([39, 40]), now: 0)).resend.map(\.sequence) == [39, 40])
        #expect(r.isCurrent(41) && !r.isCurrent(40) && !r.isCurrent(3))
    }

    /// A receiver that asks once (aiortc) is sent each resend once more when the asking stops,
    /// and only then: a resend made while the path lost packets is likely lost too.
    @Test func resendsOnceMoreWhenThePathGoesQuiet() throws {
        var r = responder(sending: Array(0...20))
        r.minResendInterval = 100_000
        #expect(try #require(answer(&r, nack([5, 6]), now: 1_000_000)).resend.map(\.sequence) == [5, 6])
        #expect(r.followUp(now: 1_150_000).isEmpty)
        // Still losing: the quiet period starts again.
        #expect(try #require(answer(&r, nack([9]), now: 1_150_000)).resend.map(\.sequence) == [9])
        #expect(r.followUp(now: 1_300_000).isEmpty)
        #expect(r.followUp(now: 1_350_000).map(\.sequence) == [5, 6, 9])
        #expect(r.followUp(now: 2_000_000).isEmpty)
    }

    @Test func answersAcrossTheSequenceWrap() throws {
        var r = responder(sending: [65_533, 65_534, 65_535, 0, 1, 2])
        // As parsed from the wire: PID 65534 with BLP bits for the next three.
        let parsed = RTCPGenericNACK.expand(pid: 65_534, blp: 0b111)
        let response = try #require(answer(&r, nack(parsed), now: 0))
        #expect(response.resend.map(\.sequence) == [65_534, 65_535, 0, 1])
        #expect(!response.unrepairable)
    }
}
