import Foundation
import Logging
import Testing
import RTDTestSupport
@testable import RTDMedia

@Suite struct FileSourceTests {
    @Test func readsAnFFmpegClip() throws {
        let dir = TempDir()
        let clip = dir.path("c.mp4")
        let r = try run("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25", "-frames:v", "37",
                                   "-c:v", "libx264", "-pix_fmt", "yuv420p", clip])
        #expect(r.status == 0)
        let source = try SourceFactory.media.open(.file(path: clip), options: SourceOptions())
        #expect(source.size == VideoSize(width: 320, height: 240))
        #expect(source.frameRate == FrameRate(25))
        var count = 0, lastPts: Int64 = -1
        while let f = try source.nextFrame() {
            #expect(f.width == 320 && f.height == 240 && f.index == count)
            #expect(f.pts > lastPts)
            lastPts = f.pts
            count += 1
        }
        #expect(count == 37)
        #expect(lastPts == 36 * 40_000)
    }

    @Test func scalesAndThinsToTheRequest() throws {
        let dir = TempDir()
        let clip = dir.path("c.mkv")
        try run("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=30", "-frames:v", "30", "-c:v", "libx264", clip])
        let source = try SourceFactory.media.open(.file(path: clip), options: SourceOptions(size: VideoSize(width: 160, height: 96), frameRate: FrameRate(10)))
        var count = 0
        while let f = try source.nextFrame() {
            #expect(f.width == 160 && f.height == 96)
            count += 1
        }
        #expect(count == 10)
        #expect(source.droppedFrames == 20)
    }

    @Test func missingAndCorruptFiles() throws {
        #expect { _ = try SourceFactory.media.open(.file(path: "/nonexistent/x.mp4"), options: SourceOptions()) } throws: { e in
            (e as! MediaError).message == "no such file: /nonexistent/x.mp4"
        }
        let dir = TempDir()
        try Data(repeating: 0x42, count: 5000).write(to: URL(fileURLWithPath: dir.path("junk.mp4")))
        #expect { _ = try SourceFactory.media.open(.file(path: dir.path("junk.mp4")), options: SourceOptions()) } throws: { e in
            (e as! MediaError).message.contains("junk.mp4")
        }
    }
}

@Suite struct PixelConversionTests {
    @Test func yuyv() throws {
        // 4x2: row 0 Y=10,20,30,40 U=100,110 V=200,210; row 1 Y=50..80 U=102,112 V=202,212
        let src: [UInt8] = [10, 100, 20, 200, 30, 110, 40, 210, 0, 0,
                            50, 102, 60, 202, 70, 112, 80, 212, 0, 0]
        let out = try #require(src.withUnsafeBytes { PixelConversion.yuyvToI420($0, width: 4, height: 2, stride: 10) })
        #expect(out == [10, 20, 30, 40, 50, 60, 70, 80, 101, 111, 201, 211])
        #expect(src.withUnsafeBytes { PixelConversion.yuyvToI420($0, width: 4, height: 3, stride: 10) } == nil)
    }

    @Test func nv12AndYu12() throws {
        let nv12: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8, 90, 91, 92, 93]
        #expect(nv12.withUnsafeBytes { PixelConversion.nv12ToI420($0, width: 4, height: 2, stride: 4) } == [1, 2, 3, 4, 5, 6, 7, 8, 90, 92, 91, 93])
        // Stride 6 with padding bytes (99) that must not leak into the output.
        let yu12: [UInt8] = [1, 2, 3, 4, 99, 99, 5, 6, 7, 8, 99, 99, 40, 41, 99, 50, 51, 99]
        #expect(yu12.withUnsafeBytes { PixelConversion.yu12ToI420($0, width: 4, height: 2, stride: 6) } == [1, 2, 3, 4, 5, 6, 7, 8, 40, 41, 50, 51])
    }
}

@Suite struct V4L2Tests {
    @Test func missingDeviceSaysHowToList() {
        #expect { _ = try V4L2Source(device: "/dev/video987", options: SourceOptions()) } throws: { e in
            let err = e as! MediaError
            return err.kind == .notFound && err.message.contains("rtd probe-cameras")
        }
    }

    @Test func nonCameraIsRecognised() {
        #expect { _ = try V4L2Source(device: "/dev/null", options: SourceOptions()) } throws: { e in
            (e as! MediaError).message == "/dev/null is not a V4L2 video device"
        }
    }

    @Test func permissionErrorNamesTheVideoGroup() {
        let err = V4L2Device.openError(path: "/dev/video0", errno: EACCES)
        #expect(err.message.contains("'video' group"))
        #expect(V4L2Device.openError(path: "/dev/video0", errno: EBUSY).message.contains("busy"))
    }

    @Test func devicesListedInNumericOrder() throws {
        let dir = TempDir()
        for n in ["video10", "video2", "video0", "vide", "videoX", "media0"] {
            _ = FileManager.default.createFile(atPath: dir.path(n), contents: nil)
        }
        #expect(CameraProbe.devicePaths(in: dir.url.path) == ["video0", "video2", "video10"].map { dir.path($0) })
        // Files that are not devices are reported with an error, never dropped silently.
        let cams = CameraProbe.cameras(in: dir.url.path)
        #expect(cams.count == 3 && cams.allSatisfy { $0.error != nil })
    }

    @Test func fourcc() {
        #expect(FourCC.yuyv.value == 0x5659_5559)
        #expect(FourCC(0x4750_4A4D).description == "MJPG")
    }
}

@Suite struct PipelineTests {
    @Test func mailboxKeepsOnlyTheNewest() throws {
        let box = LatestFrameMailbox()
        let p = TestPattern(width: 16, height: 8, stamp: false)
        for i in 0..<5 { box.put(p.render(index: i, pts: 0, capturedAt: 0)) }
        #expect(try box.take()?.index == 4)
        #expect(box.droppedFrames == 4)
        box.put(p.render(index: 5, pts: 0, capturedAt: 0))
        box.close()
        #expect(try box.take()?.index == 5)
        #expect(try box.take() == nil)
    }

    @Test func mailboxReportsFailureAfterDraining() {
        let box = LatestFrameMailbox()
        box.close(error: MediaError(.io, "camera gone"))
        #expect(throws: MediaError(.io, "camera gone")) { try box.take() }
    }

    @Test func rateLimiterThinsByPts() {
        var limiter = FrameRateLimiter(rate: FrameRate(10))
        let admitted = (0..<30).filter { limiter.admit(pts: Int64($0) * 33_333) }
        #expect(admitted == Array(stride(from: 0, to: 30, by: 3)))
        #expect(limiter.skipped == 20)
        var to25 = FrameRateLimiter(rate: FrameRate(25))
        #expect((0..<300).filter { to25.admit(pts: Int64($0) * 33_333) }.count == 250)
    }

    @Test func liveCaptureDropsForASlowConsumerAndStops() throws {
        let capture = try LiveCapture(spec: .testPattern(stamp: false),
                                      options: SourceOptions(size: VideoSize(width: 64, height: 48), frameRate: FrameRate(100)),
                                      factory: .media, logger: Logger(label: "test"))
        let mailbox = capture.frames.subscribe()
        let second = capture.frames.subscribe()
        var last = -1
        for _ in 0..<3 {
            let f = try #require(try mailbox.take())
            #expect(f.index > last)
            last = f.index
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(mailbox.droppedFrames > 0)
        // The other consumer saw the same frames, by reference.
        let other = try #require(try second.take())
        #expect(other.index >= last)
        capture.stop()
        while (try mailbox.take()) != nil {}
        #expect(mailbox.isClosed)
    }
}
