import Testing
@testable import RTDWebRTC

@Suite struct RTPSequenceTests {
    @Test func extendsToTheNearestAcrossTheWrap() {
        let reference: Int64 = 3 * 65_536 + 65_530
        #expect(RTPSequence.extend(65_535, near: reference) == 3 * 65_536 + 65_535)
        #expect(RTPSequence.extend(4, near: reference) == 4 * 65_536 + 4, "just after the wrap: the next cycle")
        #expect(RTPSequence.extend(65_000, near: 4 * 65_536 + 10) == 3 * 65_536 + 65_000, "late, from the cycle before")
        #expect(RTPSequence.extend(10, near: 65_536 + 10) == 65_536 + 10)
    }
}
