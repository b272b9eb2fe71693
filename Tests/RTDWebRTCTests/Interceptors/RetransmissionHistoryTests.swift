import Testing
@testable import RTDWebRTC

@Suite struct RetransmissionHistoryTests {
    static let packet = RTPOutboundPacket(payloadType: 96, timestamp: 0, marker: true, payload: Array(repeating: 7, count: 1000))

    func entry(_ sequence: UInt16, packet: RTPOutboundPacket = Self.packet) -> RetransmissionHistory.Entry {
        RetransmissionHistory.Entry(packet: packet, sequence: sequence, timestamp: UInt32(sequence) * 10,
                                    absSendTime: 5, transportSequence: sequence &+ 1)
    }

    @Test func capacityIsAPowerOfTwo() {
        #expect(RetransmissionHistory(capacity: 1000).capacity == 1024)
        #expect(RetransmissionHistory(capacity: 1024).capacity == 1024)
        #expect(RetransmissionHistory(capacity: 0).capacity == 1)
        #expect(RetransmissionHistory(capacity: 1 << 20).capacity == 1 << 15)
    }

    @Test func findsWhatItHoldsAcrossTheSequenceWrap() throws {
        var history = RetransmissionHistory(capacity: 16)
        for s in 0..<12 { history.store(entry(65_530 &+ UInt16(s))) }
        for s in 0..<12 {
            let sequence = 65_530 &+ UInt16(s)
            let found = try #require(history.entry(sequence: sequence))
            #expect(found.sequence == sequence && found.timestamp == UInt32(sequence) * 10 && found.transportSequence == sequence &+ 1)
        }
        #expect(history.entry(sequence: 65_529) == nil, "never sent")
        #expect(history.entry(sequence: 6) == nil, "not sent yet")
    }

    /// A slot reused by a newer packet never answers for the older one, and a packet as old as
    /// the capacity is gone, over many wraps of the 16-bit space.
    @Test func holdsExactlyTheLastCapacityPacketsOverManyWraps() {
        var history = RetransmissionHistory(capacity: 64)
        var sequence: UInt16 = 100
        for _ in 0..<200_000 {
            history.store(entry(sequence))
            sequence &+= 1
        }
        let newest = sequence &- 1
        for age in 0..<64 { #expect(history.entry(sequence: newest &- UInt16(age))?.sequence == newest &- UInt16(age)) }
        #expect(history.entry(sequence: newest &- 64) == nil)
        #expect(history.entry(sequence: newest &- 32_768) == nil)
    }

    /// An older packet stored late (out of order) does not make newer ones look too old.
    @Test func aLateStoreDoesNotMoveTheNewestBack() {
        var history = RetransmissionHistory(capacity: 8)
        for s: UInt16 in 10...20 { history.store(entry(s)) }
        history.store(entry(15))
        #expect(history.entry(sequence: 20) != nil && history.entry(sequence: 13) != nil)
        #expect(history.entry(sequence: 12) == nil)
    }

    /// The history keeps the packet it was given, sharing its bytes, not a copy per peer.
    @Test func keepsTheSamePacketBuffer() throws {
        var history = RetransmissionHistory(capacity: 4)
        history.store(entry(1))
        let kept = try #require(history.entry(sequence: 1)).packet
        let original = Self.packet.bytes.withUnsafeBufferPointer { $0.baseAddress }
        #expect(kept.bytes.withUnsafeBufferPointer { $0.baseAddress } == original)
    }
}
