import Foundation
import XCTest
import RTDTestSupport
@testable import RTDCore
@testable import RTDMedia

/// Encoded frames as a live camera track makes them: the test pattern through LiveEncoder.
func encodedTestFrames(codec: VideoCodec, count: Int, size: VideoSize = VideoSize(width: 320, height: 240),
                       keyframeInterval: Double = 1, forceKeyframeAt: Set<Int> = []) throws -> [EncodedFrame] {
    let encoder = try LiveEncoder(codec: codec, settings: .init(bitrateKbps: 600, keyframeInterval: keyframeInterval),
                                  size: size, frameRate: FrameRate(30))
    let pattern = TestPattern(width: size.width, height: size.height, stamp: false)
    var out: [EncodedFrame] = []
    for i in 0..<count {
        let frame = pattern.render(index: i, pts: Int64(i) * 33_333, capturedAt: 1_764_000_000_000_000 + Int64(i) * 33_333)
        if let e = try encoder.encode(frame, keyframe: forceKeyframeAt.contains(i)) { out.append(e) }
    }
    return out
}

/// Every frame of a file, decoded by the same path `rtd replay` uses.
func decodeAll(_ path: String) throws -> [Frame] {
    let source = try AVFormatSource(url: path, live: false, options: SourceOptions())
    var frames: [Frame] = []
    while let f = try source.nextFrame() { frames.append(f) }
    return frames
}

final class EncodedVideoMuxerTests: XCTestCase {
    func testH264MatroskaRoundTripKeepsEveryFrameAndItsTiming() throws {
        let dir = TempDir()
        let frames = try encodedTestFrames(codec: .h264, count: 45)
        XCTAssertEqual(frames.count, 45)
        let path = dir.path("a.mkv")
        let muxer = try EncodedVideoMuxer(path: path, codec: .h264, size: VideoSize(width: 320, height: 240),
                                          frameRate: FrameRate(30), metadata: ["RTD_TEST": "yes"])
        // Streams start mid-way for a recorder: a start in the open-GOP tail is dropped.
        for f in frames { try muxer.write(f.data, isKeyframe: f.isKeyframe, pts: f.pts + 5_000_000) }
        try muxer.finish()
        XCTAssertEqual(muxer.framesWritten, 45)
        XCTAssertEqual(muxer.firstPts, 5_000_000)
        let probe = try MediaProbe.probe(path)
        XCTAssertEqual(probe.container, "matroska,webm")
        XCTAssertEqual(probe.streams.first?.codec, "h264")
        XCTAssertEqual(probe.streams.first?.width, 320)
        XCTAssertEqual(probe.durationSeconds ?? 0, 1.5, accuracy: 0.05)
        let decoded = try decodeAll(path)
        XCTAssertEqual(decoded.count, 45)
        for (d, f) in zip(decoded, frames) {
            // Matroska counts milliseconds; pts are relative to the first frame written.
            XCTAssertEqual(Double(d.pts), Double(f.pts), accuracy: 1000)
        }
    }

    /// Without a frame rate (rtd signal -o), the last frame still plays: MP4's edit list ends
    /// where the last sample's duration says, and a last frame exactly on a millisecond used to
    /// fall outside it (ffprobe counted 39 of 40).
    func testMP4WithoutAFrameRateKeepsTheLastFrame() throws {
        let dir = TempDir()
        let frames = try encodedTestFrames(codec: .h264, count: 10)
        let path = dir.path("s.mp4")
        let muxer = try EncodedVideoMuxer(path: path, codec: .h264, size: VideoSize(width: 320, height: 240))
        // Received timing jitters; the last frame lands on a whole millisecond (300 ms).
        let pts: [Int64] = [0, 33_344, 68_922, 100_000, 133_333, 166_666, 200_000, 233_333, 266_666, 300_000]
        for (f, t) in zip(frames, pts) { try muxer.write(f.data, isKeyframe: f.isKeyframe, pts: t) }
        try muxer.finish()
        XCTAssertEqual(muxer.framesWritten, 10)
        XCTAssertEqual(try decodeAll(path).count, 10)
    }

    func testFramesBeforeTheFirstKeyframeAreDropped() throws {
        let dir = TempDir()
        let frames = try encodedTestFrames(codec: .h264, count: 40, keyframeInterval: 100, forceKeyframeAt: [25])
        let path = dir.path("b.mkv")
        let muxer = try EncodedVideoMuxer(path: path, codec: .h264, size: VideoSize(width: 320, height: 240))
        // The stream joined at frame 10: nothing is decodable before the keyframe at 25.
        var accepted: [Bool] = []
        for f in frames[10...] { accepted.append(try muxer.write(f.data, isKeyframe: f.isKeyframe, pts: f.pts)) }
        try muxer.finish()
        XCTAssertEqual(accepted, Array(repeating: false, count: 15) + Array(repeating: true, count: 15))
        XCTAssertEqual(muxer.framesSkipped, 15)
        XCTAssertEqual(try decodeAll(path).count, 15)
        XCTAssertEqual(muxer.firstPts, frames[25].pts)
    }

    func testHostileInputNeverStartsOrBreaksAFile() throws {
        let dir = TempDir()
        let path = dir.path("c.mkv")
        let muxer = try EncodedVideoMuxer(path: path, codec: .h264, size: VideoSize(width: 320, height: 240))
        var rng = SeededRandom(seed: 7)
        // Garbage claiming to be a keyframe has no SPS/PPS: it cannot start a file.
        for n in [0, 1, 3, 4, 5, 17, 300] {
            let junk = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            XCTAssertFalse(try muxer.write(junk, isKeyframe: true, pts: 0))
        }
        XCTAssertFalse(try muxer.write([0, 0, 1, 0x67], isKeyframe: true, pts: 0), "an SPS without a PPS")
        let frames = try encodedTestFrames(codec: .h264, count: 20)
        for (i, f) in frames.enumerated() {
            try muxer.write(f.data, isKeyframe: f.isKeyframe, pts: f.pts)
            // Garbage between real frames is stored (a muxer does not judge payloads); the
            // decoder skips it and the real frames still decode.
            if i == 5 { try muxer.write([0, 0, 1, 0x41, 0xFF, 0x00, 0x13], isKeyframe: false, pts: f.pts + 1) }
        }
        try muxer.finish()
        XCTAssertEqual(muxer.framesWritten, 21)
        XCTAssertGreaterThanOrEqual(try decodeAll(path).count, 20)
        XCTAssertThrowsError(try muxer.write(frames[0].data, isKeyframe: true, pts: 99_000_000))
    }

    func testParameterSetExtractionFuzz() {
        var rng = SeededRandom(seed: 11)
        for _ in 0..<2000 {
            let n = Int.random(in: 0...64, using: &rng)
            var bytes = (0..<n).map { _ in UInt8.random(in: 0...3, using: &rng) }
            if n > 4 { bytes[Int.random(in: 0..<n, using: &rng)] = [0x67, 0x68, 0x65][Int.random(in: 0...2, using: &rng)] }
            let sets = H264ParameterSets.extract(fromAnnexB: bytes)
            XCTAssertTrue(sets.isEmpty || sets.starts(with: [0, 0, 0, 1]))
        }
        let au: [UInt8] = [0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 1, 0x65, 9, 9]
        XCTAssertEqual(H264ParameterSets.extract(fromAnnexB: au), [0, 0, 0, 1, 0x67, 1, 2, 0, 0, 0, 1, 0x68, 3])
    }

    func testVP8WebMRoundTrip() throws {
        let dir = TempDir()
        let frames = try encodedTestFrames(codec: .vp8, count: 30)
        let path = dir.path("d.webm")
        let muxer = try EncodedVideoMuxer(path: path, codec: .vp8, size: VideoSize(width: 320, height: 240), frameRate: FrameRate(30))
        for f in frames { try muxer.write(f.data, isKeyframe: f.isKeyframe, pts: f.pts) }
        try muxer.finish()
        XCTAssertEqual(try MediaProbe.probe(path).streams.first?.codec, "vp8")
        XCTAssertEqual(try decodeAll(path).count, frames.count)
    }

    func testAnUnfinishedFileIsReadableUpToItsLastCluster() throws {
        let dir = TempDir()
        let frames = try encodedTestFrames(codec: .h264, count: 120, keyframeInterval: 1)
        let path = dir.path("e.mkv")
        let muxer = try EncodedVideoMuxer(path: path, codec: .h264, size: VideoSize(width: 320, height: 240), frameRate: FrameRate(30))
        for f in frames { try muxer.write(f.data, isKeyframe: f.isKeyframe, pts: f.pts) }
        // What a SIGKILL would leave: the bytes on disk now, with no trailer.
        let copy = dir.path("killed.mkv")
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        try muxer.finish()
        let survived = try decodeAll(copy)
        // Clusters close at most a second apart: at most ~30 frames of 120 may be missing.
        XCTAssertGreaterThanOrEqual(survived.count, 85)
        XCTAssertLessThanOrEqual(survived.count, 120)
    }

    func testAFileKilledInItsFirstSecondStillHoldsItsFirstFrame() throws {
        let dir = TempDir()
        let frames = try encodedTestFrames(codec: .h264, count: 10, keyframeInterval: 1)
        let path = dir.path("f.mkv")
        let muxer = try EncodedVideoMuxer(path: path, codec: .h264, size: VideoSize(width: 320, height: 240), frameRate: FrameRate(30))
        for f in frames { try muxer.write(f.data, isKeyframe: f.isKeyframe, pts: f.pts) }
        // A third of a second in: the open cluster is still in memory, only the first is on disk.
        let copy = dir.path("killed-early.mkv")
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        try muxer.finish()
        XCTAssertGreaterThanOrEqual(try decodeAll(copy).count, 1)
    }

    func testUnknownContainerAndUnwritablePathAreClearErrors() {
        XCTAssertThrowsError(try EncodedVideoMuxer(path: "/tmp/x.notacontainer", codec: .h264, size: VideoSize(width: 64, height: 64))) {
            XCTAssertTrue(($0 as? MediaError)?.message.contains("unknown container") ?? false)
        }
        XCTAssertThrowsError(try EncodedVideoMuxer(path: "/nonexistent-dir/x.mkv", codec: .h264, size: VideoSize(width: 64, height: 64))) {
            XCTAssertTrue(($0 as? MediaError)?.message.contains("/nonexistent-dir/x.mkv") ?? false)
        }
    }
}
