import Foundation
import Testing
@testable import RTDMedia

@Suite struct TestToneTests {
    /// Power of `hz` in `samples` (Goertzel), normalised by length.
    static func power(_ samples: ArraySlice<Int16>, hz: Double, rate: Double = 48_000) -> Double {
        let k = 2 * cos(2 * Double.pi * hz / rate)
        var s1 = 0.0, s2 = 0.0
        for x in samples {
            let s0 = Double(x) + k * s1 - s2
            s2 = s1
            s1 = s0
        }
        return (s1 * s1 + s2 * s2 - k * s1 * s2) / Double(samples.count * samples.count)
    }

    /// The strongest frequency in 100–2000 Hz, in 1 Hz steps.
    static func dominant(_ samples: ArraySlice<Int16>) -> Int {
        (100...2000).max { power(samples, hz: Double($0)) < power(samples, hz: Double($1)) }!
    }

    /// Between clicks it is 440 Hz: 0.1 s of frames starting 0.5 s into a second.
    @Test func betweenClicksTheToneIs440Hz() {
        let start: Int64 = 1_700_000_000_500_000
        var samples: [Int16] = []
        for k in 0..<5 { samples += TestTone.frame(capturedAt: start + Int64(k) * TestTone.frameMicros).samples }
        #expect(samples.count == 4800)
        #expect(Self.dominant(samples[...]) == 440)
    }

    /// The click is 1 kHz and lasts exactly the first 20 ms of the whole second: a frame that
    /// starts 10 ms before the second has tone in its first half and click in its second.
    @Test func theClickStartsAtTheWholeSecondAndLasts20ms() {
        let second: Int64 = 1_700_000_123_000_000
        let a = TestTone.frame(capturedAt: second - 10_000).samples
        let b = TestTone.frame(capturedAt: second + 10_000).samples
        #expect(a.count == 960 && b.count == 960)
        // 10 ms is too short to tell a frequency to the hertz; which of the two it is, clearly.
        func isClick(_ x: ArraySlice<Int16>) -> Bool { Self.power(x, hz: 1000) > 10 * Self.power(x, hz: 440) }
        func isTone(_ x: ArraySlice<Int16>) -> Bool { Self.power(x, hz: 440) > 10 * Self.power(x, hz: 1000) }
        #expect(isTone(a[0..<480]) && isClick(a[480...]))
        #expect(isClick(b[0..<480]) && isTone(b[480...]))
        // The onset to the sample: the first sample of the second is the click's, at phase 0, and
        // the one before still the tone's.
        #expect(a[480] == 0)
        #expect(a[481] == Int16((TestTone.amplitude * sin(2 * Double.pi * 1000 / 48_000)).rounded()))
        #expect(a[479] == Int16((TestTone.amplitude * sin(2 * Double.pi * 440 * 47_999 / 48_000)).rounded()))
    }

    /// A sample is a function of its capture time only: frames cut at other boundaries agree.
    @Test func samplesDependOnlyOnCaptureTime() {
        let t: Int64 = 1_700_000_000_987_000
        let whole = TestTone.frame(capturedAt: t).samples
        let later = TestTone.frame(capturedAt: t + 5_000).samples
        #expect(Array(whole[240...]) == Array(later[0..<720]))
    }
}

@Suite struct OpusEncoderTests {
    /// One packet per 20 ms frame, each 960 samples long, stamped with the capture time of its
    /// first decoded sample (the input's, less libopus's 312-sample look-ahead), gaps kept.
    @Test func onePacketPerFrameStampedWithCaptureTime() throws {
        let encoder = try OpusEncoder(channels: 1)
        let start: Int64 = 1_700_000_000_000_000
        var packets: [EncodedAudio] = []
        for k in [0, 1, 2, 5] {
            packets += try encoder.encode(TestTone.frame(capturedAt: start + Int64(k) * TestTone.frameMicros))
        }
        #expect(packets.count == 4)
        #expect(packets.allSatisfy { $0.duration == 960 && !$0.data.isEmpty && $0.data.count < 400 })
        #expect(packets.map(\.capturedAt) == [0, 1, 2, 5].map { start + Int64($0) * 20_000 - 6_500 })
        // TOC byte (RFC 6716 3.1): config of a 20 ms frame, code 0 (one frame), mono.
        let toc = packets[1].data[0]
        #expect(toc & 0x07 == 0, "code 0 and mono: toc \(toc)")
        #expect([1, 5, 9, 13, 15, 19, 23, 27, 31].contains(Int(toc >> 3)), "a 20 ms configuration: toc \(toc)")
    }

    @Test func refusesWrongFrames() throws {
        let encoder = try OpusEncoder(channels: 1)
        let short = AudioFrame(samples: [Int16](repeating: 0, count: 480), channels: 1, sampleRate: 48_000, capturedAt: 0)
        #expect(throws: MediaError.self) { try encoder.encode(short) }
    }
}
