import Foundation
import Testing
import RTDTestSupport
@testable import RTDMedia
@testable import RTDCore

@Suite struct TestPatternTests {
    @Test func renderingIsDeterministic() {
        let a = TestPattern(width: 320, height: 240, stamp: false).render(index: 3, pts: 1_234_567, capturedAt: 1)
        let b = TestPattern(width: 320, height: 240, stamp: false).render(index: 3, pts: 1_234_567, capturedAt: 99)
        #expect(a.data == b.data)
        // Golden checksums pin the pattern so that recorded test expectations stay valid.
        #expect(fnv1a(a.data) == 0xe463_50bc_51dd_31be)
        #expect(fnv1a(TestPattern(width: 640, height: 480, stamp: false).render(index: 0, pts: 0, capturedAt: 0).data)
                == 0xf74d_cdd5_4160_c5ef)
    }

    @Test func shapesMoveAndAreWhereTheySayTheyAre() {
        let pattern = TestPattern(width: 640, height: 480, stamp: false)
        let t0 = TestPattern.objects(width: 640, height: 480, pts: 0)
        let t1 = TestPattern.objects(width: 640, height: 480, pts: 1_000_000)
        #expect(t0.count == 3)
        #expect(zip(t0, t1).allSatisfy { $0.box != $1.box })
        let frame = pattern.render(index: 0, pts: 1_000_000, capturedAt: 0)
        for o in t1 where o.label == "square" {
            let cx = o.box[0] + o.box[2] / 2, cy = o.box[1] + o.box[3] / 2
            #expect(frame.data[cy * 640 + cx] == 210)
            #expect(frame.data[frame.uOffset + (cy / 2) * 320 + cx / 2] == 90)
        }
        for o in t1 {
            #expect(o.box[0] >= 0 && o.box[1] >= 0 && o.box[0] + o.box[2] <= 640 && o.box[1] + o.box[3] <= 480)
        }
    }

    @Test func pacedSourceKeepsTimeAndFastSourceDoesNot() throws {
        let fast = try TestPatternSource(stamp: false, options: SourceOptions(size: VideoSize(width: 64, height: 48), frameRate: FrameRate(10), pacing: .fast))
        let start = SystemClock.monotonicMicros()
        for i in 0..<5 {
            let f = try #require(try fast.nextFrame())
            #expect(f.pts == Int64(i) * 100_000 && f.index == i)
        }
        #expect(SystemClock.monotonicMicros() - start < 100_000)
        let paced = try TestPatternSource(stamp: false, options: SourceOptions(size: VideoSize(width: 64, height: 48), frameRate: FrameRate(20)))
        let s2 = SystemClock.monotonicMicros()
        for _ in 0..<4 { _ = try paced.nextFrame() }
        #expect(SystemClock.monotonicMicros() - s2 >= 140_000)
    }

    @Test func stampNeedsWidth() {
        #expect(throws: MediaError.self) {
            try TestPatternSource(stamp: true, options: SourceOptions(size: VideoSize(width: 128, height: 96)))
        }
    }
}

@Suite struct TimestampStripTests {
    @Test func decodesWhatWasDrawn() {
        let pattern = TestPattern(width: 640, height: 360, stamp: true)
        for ms: Int64 in [0, 1, 1_764_070_000_123, 0xFFFF_FFFF_FFFF] {
            let frame = pattern.render(index: 0, pts: 0, capturedAt: ms * 1000 + 999)
            #expect(TimestampStrip.decode(frame) == UInt64(ms))
        }
        #expect(TimestampStrip.decode(TestPattern(width: 640, height: 360, stamp: false).render(index: 0, pts: 0, capturedAt: 5)) == nil)
    }

    @Test func survivesARealH264RoundTrip() throws {
        let dir = TempDir()
        let size = VideoSize(width: 640, height: 480)
        var options = EncoderOptions()
        options.preset = "ultrafast"
        options.tune = "zerolatency"
        options.bitrateKbps = 600
        let writer = try VideoFileWriter(path: dir.path("s.mkv"), size: size, frameRate: FrameRate(30), options: options)
        let pattern = TestPattern(width: 640, height: 480, stamp: true)
        var stamps: [UInt64] = []
        for i in 0..<45 {
            let ms = Int64(1_764_070_000_000 + i * 33 + (i % 7) * 1000)
            stamps.append(UInt64(ms))
            try writer.write(pattern.render(index: i, pts: Int64(i) * 33_333, capturedAt: ms * 1000))
        }
        try writer.finish()
        let source = try AVFormatSource(url: dir.path("s.mkv"), live: false, options: SourceOptions())
        var decoded: [UInt64?] = []
        while let f = try source.nextFrame() { decoded.append(TimestampStrip.decode(f)) }
        #expect(decoded.count == 45)
        #expect(decoded == stamps.map { Optional($0) })
    }
}
