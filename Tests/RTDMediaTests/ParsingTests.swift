import Testing
@testable import RTDMedia

@Suite struct ArgumentParsingTests {
    @Test func sizes() throws {
        #expect(try VideoSize.parse("1280x720") == VideoSize(width: 1280, height: 720))
        #expect(try VideoSize.parse("640X480") == VideoSize(width: 640, height: 480))
        for bad in ["640by480", "640x", "x480", "0x480", "641x480", "-2x4", "99999x2", "1x2x3", ""] {
            #expect(throws: MediaError.self) { try VideoSize.parse(bad) }
        }
        #expect { try VideoSize.parse("640by480") } throws: { e in
            (e as! MediaError).message.contains("'640by480'") && (e as! MediaError).message.contains("WIDTHxHEIGHT")
        }
    }

    @Test func frameRates() throws {
        #expect(try FrameRate.parse("30") == FrameRate(30))
        #expect(try FrameRate.parse("30000/1001") == FrameRate(30000, 1001))
        #expect(try FrameRate.parse("60:2") == FrameRate(30))
        #expect(try FrameRate.parse("29.97") == FrameRate(29970, 1000).reduced)
        for bad in ["0", "-1", "abc", "30/0", "5000"] {
            #expect(throws: MediaError.self) { try FrameRate.parse(bad) }
        }
    }

    @Test func sourceStrings() throws {
        #expect(try SourceSpec.parse("testsrc") == .testPattern(stamp: false))
        #expect(try SourceSpec.parse("testsrc:stamp") == .testPattern(stamp: true))
        #expect(try SourceSpec.parse("-") == .stdin)
        #expect(try SourceSpec.parse("/dev/video2") == .v4l2(device: "/dev/video2"))
        #expect(try SourceSpec.parse("v4l2:/dev/video0") == .v4l2(device: "/dev/video0"))
        #expect(try SourceSpec.parse("rtsp://10.0.0.7/stream") == .url("rtsp://10.0.0.7/stream"))
        #expect(try SourceSpec.parse("HTTPS://x/y.mp4") == .url("HTTPS://x/y.mp4"))
        #expect(try SourceSpec.parse("clips/a.mp4") == .file(path: "clips/a.mp4"))
        #expect(try SourceSpec.parse("replay:rec.mkv") == .replay(path: "rec.mkv"))
        #expect { try SourceSpec.parse("foo://bar") } throws: { e in (e as! MediaError).message.contains("'foo://'") }
        #expect { try SourceSpec.parse("testsrc:bogus") } throws: { e in (e as! MediaError).message.contains("testsrc:stamp") }
        #expect { try SourceSpec.parse("cam:3") } throws: { e in (e as! MediaError).message.contains("unknown source") }
        #expect(try SourceSpec.parse("rtsp://a").isLive && !(try SourceSpec.parse("a.mp4").isLive))
    }
}
