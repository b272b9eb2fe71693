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

    func nack(_ sequences: [UInt16], ssrc: UInt32 = 1234) -> RTCPGenericNACK {
        RTCPGenericNACK(senderSSRC: 9, mediaSSRC: ssrc, lostSequenceNumbers: sequences)
    }

    @Test func resendsWhatItHoldsInTheNACKsOrder() throws {
        let r = responder(sending: Array(100...120))
        let response = try #require(r.respond(to: nack([105, 103, 110])))
        #expect(response.resend.map(\.sequence) == [105, 103, 110])
        #expect(response.resend.map(\.packet.bytes.last) == [105, 103, 110])
        #expect(!response.unrepairable)
    }

    @Test func aNACKAboutAnotherStreamIsNotAnswered() {
        #expect(responder(sending: [1, 2]).respond(to: nack([1], ssrc: 99)) == nil)
    }

    /// A packet the history no longer holds (a late NACK) or never sent cannot be repaired; the
    /// rest of the same NACK still is.
    @Test func aPacketNoLongerHeldIsUnrepairable() throws {
        let r = responder(capacity: 16, sending: Array(0...40))
        let response = try #require(r.respond(to: nack([10, 30, 50])))
        #expect(response.resend.map(\.sequence) == [30])
        #expect(response.unrepairable)
    }

    /// The same NACK twice (the first resend was lost too) is answered twice; one number listed
    /// twice in one NACK is resent once.
    @Test func duplicateNACKs() throws {
        let r = responder(sending: Array(0...20))
        #expect(try #require(r.respond(to: nack([5, 6]))).resend.map(\.sequence) == [5, 6])
        #expect(try #require(r.respond(to: nack([5, 6]))).resend.map(\.sequence) == [5, 6])
        let repeated = try #require(r.respond(to: nack(Array(repeating: 7, count: 500) + [8, 7])))
        #expect(repeated.resend.map(\.sequence) == [7, 8])
    }

    @Test func answersAcrossTheSequenceWrap() throws {
        let r = responder(sending: [65_533, 65_534, 65_535, 0, 1, 2])
        // As parsed from the wire: PID 65534 with BLP bits for the next three.
        let parsed = RTCPGenericNACK.expand(pid: 65_534, blp: 0b111)
        let response = try #require(r.respond(to: nack(parsed)))
        #expect(response.resend.map(\.sequence) == [65_534, 65_535, 0, 1])
        #expect(!response.unrepairable)
    }
}
