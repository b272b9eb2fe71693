import Foundation
import Logging
import XCTest
import RTDTestSupport
@testable import RTDRecording
@testable import RTDCore
@testable import RTDMedia
@testable import RTDDetection

final class RecordingParsingTests: XCTestCase {
    func testDurationsAndSizes() throws {
        XCTAssertEqual(try RecordingSettings.parseDuration("90"), 90)
        XCTAssertEqual(try RecordingSettings.parseDuration("10m"), 600)
        XCTAssertEqual(try RecordingSettings.parseDuration("1h30m"), 5400)
        XCTAssertEqual(try RecordingSettings.parseDuration("7d"), 604_800)
        XCTAssertEqual(try RecordingSettings.parseDuration("1.5h"), 5400)
        for bad in ["", "m", "10x", "-5m", "0", "10m5", "1e400"] {
            XCTAssertThrowsError(try RecordingSettings.parseDuration(bad), bad)
        }
        XCTAssertEqual(try RecordingSettings.parseSize("50G"), 50 << 30)
        XCTAssertEqual(try RecordingSettings.parseSize("500MB"), 500 << 20)
        XCTAssertEqual(try RecordingSettings.parseSize("2TiB"), 2 << 40)
        XCTAssertEqual(try RecordingSettings.parseSize("4096"), 4096)
        for bad in ["", "G", "-1G", "1X", "99999999T"] { XCTAssertThrowsError(try RecordingSettings.parseSize(bad), bad) }
    }

    func testReplayTimes() throws {
        XCTAssertEqual(try ReplaySettings.parseTime("90"), 90)
        XCTAssertEqual(try ReplaySettings.parseTime("12.5"), 12.5)
        XCTAssertEqual(try ReplaySettings.parseTime("1:30"), 90)
        XCTAssertEqual(try ReplaySettings.parseTime("01:02:03.5"), 3723.5)
        for bad in ["", "a", "1:60", "1:2:3:4", "-1", "1.5:00", ":"] {
            XCTAssertThrowsError(try ReplaySettings.parseTime(bad), bad)
        }
    }

    func testSegmentNames() {
        // 2026-11-25 17:15:06 UTC
        XCTAssertEqual(SegmentNaming.stem(camera: "door", startedAt: 1_795_626_906_000_000), "door-20261125-171506")
        XCTAssertEqual(SegmentNaming.sidecarPath(forVideo: "/a.b/rec.mkv"), "/a.b/rec.jsonl")
        XCTAssertEqual(SegmentNaming.sidecarPath(forVideo: "/a.b/rec"), "/a.b/rec.jsonl")
        XCTAssertTrue(SegmentNaming.isSegmentFile("door-20261125-171506.mkv", camera: "door"))
        XCTAssertTrue(SegmentNaming.isSegmentFile("door-20261125-171506-2.jsonl", camera: "door"))
        for other in ["door.mkv", "door-2026.mkv", "door-20261125-171506.mp4", "lab-20261125-171506.mkv",
                      "door-20261125-17150x.mkv", "notes.txt"] {
            XCTAssertFalse(SegmentNaming.isSegmentFile(other, camera: "door"), other)
        }
    }

    func testRetentionPlanKeepsActiveSegmentsAndDeletesOldestFirst() {
        func seg(_ name: String, _ bytes: Int64, _ modified: Double) -> SegmentFiles {
            SegmentFiles(stem: name, paths: [name + ".mkv"], bytes: bytes, modified: modified)
        }
        let all = [seg("c", 100, 300), seg("a", 100, 100), seg("b", 100, 200), seg("d", 100, 400)]
        XCTAssertEqual(RetentionPlan.expired(all, active: [], now: 500, retain: 250, maxBytes: nil).map(\.stem), ["a", "b"])
        XCTAssertEqual(RetentionPlan.expired(all, active: [], now: 500, retain: nil, maxBytes: 250).map(\.stem), ["a", "b"])
        XCTAssertEqual(RetentionPlan.expired(all, active: ["a"], now: 500, retain: 250, maxBytes: nil).map(\.stem), ["b"])
        // The active segment counts towards the size but is never chosen.
        XCTAssertEqual(RetentionPlan.expired(all, active: ["a", "b"], now: 500, retain: nil, maxBytes: 150).map(\.stem), ["c", "d"])
        XCTAssertEqual(RetentionPlan.expired(all, active: [], now: 500, retain: nil, maxBytes: nil), [])
    }

    func testRetentionSweepTouchesOnlySegmentFiles() throws {
        let dir = TempDir()
        let cam = dir.path("cam0")
        try FileManager.default.createDirectory(atPath: cam, withIntermediateDirectories: true)
        let old = Date(timeIntervalSinceNow: -3 * 86_400)
        for name in ["cam0-20261101-000000.mkv", "cam0-20261101-000000.jsonl", "cam0-20261102-000000.mkv", "keep-me.mkv"] {
            FileManager.default.createFile(atPath: cam + "/" + name, contents: Data(repeating: 1, count: 10))
            try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: cam + "/" + name)
        }
        let retention = RecordingRetention(settings: RecordingSettings(directory: dir.url.path, retainSeconds: 86_400),
                                           logger: Logger(label: "test"))
        retention.markActive(cam + "/cam0-20261102-000000")
        let deleted = retention.sweep()
        XCTAssertEqual(Set(deleted.map { ($0 as NSString).lastPathComponent }),
                       ["cam0-20261101-000000.mkv", "cam0-20261101-000000.jsonl"])
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: cam)), ["cam0-20261102-000000.mkv", "keep-me.mkv"])
    }

    func testSidecarReportsCorruptLinesByNumberAndKeepsTheRest() {
        let good = DetectionRecord(frame: 1, ptsUs: 33_000, capturedAtUs: 1_000_033_000, width: 64, height: 48,
                                   detector: "motion", inferenceUs: 5, detections: []).jsonLine()
        let early = DetectionRecord(frame: 0, ptsUs: 0, width: 64, height: 48, detector: "motion", inferenceUs: 5,
                                    detections: []).jsonLine()
        let text = [good, "{not json", "", early, "{\"type\":\"detections\",\"frame\":2}", "{\"type\":\"detections\""].joined(separator: "\n")
        let sidecar = Sidecar.parse(Data(text.utf8), path: "x.jsonl")
        XCTAssertEqual(sidecar.records.map(\.ptsUs), [0, 33_000], "sorted by pts")
        XCTAssertEqual(sidecar.warnings.count, 3)
        XCTAssertTrue(sidecar.warnings[0].hasPrefix("x.jsonl:2: "), sidecar.warnings[0])
        XCTAssertTrue(sidecar.warnings[1].hasPrefix("x.jsonl:5: missing field"), sidecar.warnings[1])
        XCTAssertTrue(sidecar.warnings[2].hasPrefix("x.jsonl:6: "), sidecar.warnings[2])
        XCTAssertEqual(sidecar.captureOrigin, 1_000_000_000)
        XCTAssertThrowsError(try Sidecar.load(path: "/nonexistent/x.jsonl")) {
            XCTAssertEqual(($0 as? MediaError)?.kind, .notFound)
        }
    }

    func testSidecarFuzzNeverCrashes() {
        var rng = SeededRandom(seed: 3)
        let seedLine = Array(DetectionRecord(frame: 1, ptsUs: 1, width: 2, height: 2, detector: "m", inferenceUs: 1,
                                             detections: [Detection(label: "a", score: 0.5, box: BoundingBox(x: 0, y: 0, width: 1, height: 1))]).jsonLine().utf8)
        for _ in 0..<300 {
            var bytes = seedLine + [10] + seedLine
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            let s = Sidecar.parse(Data(bytes), path: "f")
            let lines = bytes.split(separator: 10, omittingEmptySubsequences: false)
                .filter { !String(decoding: $0, as: UTF8.self).allSatisfy(\.isWhitespace) }.count
            XCTAssertEqual(s.records.count + s.warnings.count, lines, "every line is a record or a warning")
        }
    }
}

final class RecorderAndReplayTests: XCTestCase {
    /// Feeds a CameraRecorder what a camera's track and detector would, then replays the segments.
    func testRecorderSegmentsReplayWithRecordsAlignedByPts() throws {
        let dir = TempDir()
        let frames = try encodedTestFrames(codec: .h264, count: 90, keyframeInterval: 1)
        let retention = RecordingRetention(settings: RecordingSettings(directory: dir.url.path), logger: Logger(label: "t"))
        let recorder = try CameraRecorder(camera: "cam0", codec: .h264, frameRate: FrameRate(30),
                                          settings: RecordingSettings(directory: dir.url.path, segmentSeconds: 1.5),
                                          retention: retention, requestKeyframe: {}, logger: Logger(label: "t"))
        let streamStart: Int64 = 7_000_000 // camera pts do not start at 0
        for (i, f) in frames.enumerated() {
            let shifted = EncodedFrame(data: f.data, isKeyframe: f.isKeyframe, pts: f.pts + streamStart, capturedAt: f.capturedAt)
            let record = DetectionRecord(camera: "cam0", frame: i, ptsUs: shifted.pts, capturedAtUs: f.capturedAt, width: 320,
                                         height: 240, detector: "motion", inferenceUs: 1,
                                         detections: [Detection(label: "motion", score: 1, box: BoundingBox(x: i, y: 0, width: 8, height: 8))])
            // Detection may finish before or after the encoder for the same frame.
            if i % 2 == 0 { recorder.detected(record); recorder.encoded(shifted, size: VideoSize(width: 320, height: 240)) }
            else { recorder.encoded(shifted, size: VideoSize(width: 320, height: 240)); recorder.detected(record) }
        }
        recorder.stop()
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path("cam0")).sorted()
        let videos = files.filter { $0.hasSuffix(".mkv") }
        // Keyframes every second, segments of 1.5 s: segments start at 0, 2 s (the first keyframe after 1.5 s).
        XCTAssertEqual(videos.count, 2, "\(files)")
        XCTAssertEqual(files.filter { $0.hasSuffix(".jsonl") }.count, 2)
        var total = 0
        var boxes: [Int] = []
        for v in videos {
            let replay = try Replay(settings: { var s = ReplaySettings(recording: dir.path("cam0/" + v)); s.speed = nil; return s }())
            XCTAssertNotNil(replay.captureOrigin)
            var first = true
            _ = try replay.run(paced: false, shouldStop: { false }) { frame, records in
                if first { XCTAssertEqual(frame.pts, 0, "segments start at pts 0") }
                first = false
                XCTAssertEqual(records.count, 1, "one record per frame, in step")
                XCTAssertEqual(records.first?.ptsUs, frame.pts, "record pts is its frame's")
                // Xts is the recorded capture time (to Matroska's millisecond).
                XCTAssertEqual(Double(records.first?.capturedAtUs ?? 0), Double(frame.capturedAt), accuracy: 1000)
                boxes += records.flatMap { $0.detections.map(\.box.x) }
                total += 1
                return true
            }
        }
        XCTAssertEqual(total, 90)
        XCTAssertEqual(boxes, Array(0..<90), "each frame carries its own record")
    }

    func testReplayRangeLoopAndSpeed() throws {
        let dir = TempDir()
        let frames = try encodedTestFrames(codec: .h264, count: 60, keyframeInterval: 0.5)
        let path = dir.path("r.mkv")
        let muxer = try EncodedVideoMuxer(path: path, codec: .h264, size: VideoSize(width: 320, height: 240), frameRate: FrameRate(30))
        let writer = try SidecarWriter(path: dir.path("r.jsonl"))
        for (i, f) in frames.enumerated() {
            try muxer.write(f.data, isKeyframe: f.isKeyframe, pts: f.pts)
            if i % 3 == 0 {
                try writer.write(DetectionRecord(frame: i, ptsUs: f.pts, width: 320, height: 240, detector: "motion",
                                                 inferenceUs: 1, detections: []))
            }
        }
        try muxer.finish()
        var s = ReplaySettings(recording: path)
        s.from = 0.5
        s.to = 1.0
        s.speed = 1
        let replay = try Replay(settings: s)
        var pts: [Int64] = []
        var recordPts: [Int64] = []
        let started = SystemClock.monotonicMicros()
        let result = try replay.run(paced: true, shouldStop: { false }) { f, r in
            pts.append(f.pts)
            recordPts += r.map(\.ptsUs)
            return true
        }
        let elapsed = Double(SystemClock.monotonicMicros() - started) / 1e6
        XCTAssertEqual(result.frames, 16, "0.5 s ... 1.0 s at 30 fps: \(pts)")
        XCTAssertEqual(Double(pts.first!), 500_000, accuracy: 1000)
        XCTAssertEqual(elapsed, 0.5, accuracy: 0.1, "paced at recorded timing")
        XCTAssertTrue(recordPts.allSatisfy { pts.contains($0) })
        XCTAssertEqual(recordPts.count, 6)

        var l = ReplaySettings(recording: path)
        l.loop = true
        l.speed = nil
        let looped = try Replay(settings: l)
        var loopPts: [Int64] = []
        var records = 0
        _ = try looped.run(paced: false, shouldStop: { loopPts.count >= 150 }) { f, r in
            loopPts.append(f.pts)
            records += r.count
            return true
        }
        XCTAssertEqual(loopPts.count, 150)
        XCTAssertEqual(looped.passes, 3)
        XCTAssertEqual(zip(loopPts, loopPts.dropFirst()).filter { $0 >= $1 }.count, 0, "timestamps keep increasing across passes")
        XCTAssertEqual(Double(loopPts[60] - loopPts[59]), 33_333, accuracy: 1500)
        XCTAssertEqual(records, 20 + 20 + 10)
    }

    func testSummaryCountsLabelsAndBusiestMinutes() {
        func rec(_ t: Double, _ labels: [(String, Int?)]) -> DetectionRecord {
            DetectionRecord(frame: 0, ptsUs: Int64(t * 1e6), capturedAtUs: 1_795_626_900_000_000 + Int64(t * 1e6), width: 10, height: 10,
                            detector: "x", inferenceUs: 0,
                            detections: labels.map { Detection(label: $0.0, score: 1, box: BoundingBox(x: 0, y: 0, width: 1, height: 1), trackId: $0.1) })
        }
        let sidecar = Sidecar(path: "s.jsonl", records: [
            rec(1, [("person", 1)]), rec(2, [("person", 1), ("person", 2), ("car", nil)]),
            rec(70, [("car", nil)]), rec(130, [("person", 3)]), rec(131, []),
        ], warnings: [])
        let s = RecordingSummary.make(recording: "r.mkv", sidecar: sidecar, captureOrigin: 1_795_626_900_000_000)
        XCTAssertEqual(s.records, 5)
        XCTAssertEqual(s.detections, 6)
        XCTAssertEqual(s.labels.map(\.label), ["person", "car"])
        XCTAssertEqual(s.labels[0].detections, 4)
        XCTAssertEqual(s.labels[0].frames, 3)
        XCTAssertEqual(s.labels[0].tracks, 3)
        XCTAssertEqual(s.labels[0].firstSeenS, 1)
        XCTAssertEqual(s.labels[0].lastSeenS, 130)
        XCTAssertEqual(s.labels[0].firstSeenAt, "2026-11-25T17:15:01.000Z")
        XCTAssertEqual(s.busiestMinutes.map(\.minute), [0, 1, 2])
        XCTAssertEqual(s.busiestMinutes.map(\.detections), [4, 1, 1])
        XCTAssertTrue(s.json().contains("\"busiest_minutes\""))
        XCTAssertTrue(s.text.contains("person"))
        let ranged = RecordingSummary.make(recording: "r.mkv", sidecar: sidecar, captureOrigin: nil, from: 60, to: 200)
        XCTAssertEqual(ranged.detections, 2)
        XCTAssertNil(ranged.labels.first?.firstSeenAt)
    }

    func testMissingAndUnreadableRecordingsAreClearErrors() throws {
        let dir = TempDir()
        XCTAssertThrowsError(try Replay(settings: ReplaySettings(recording: dir.path("none.mkv")))) {
            XCTAssertEqual(($0 as? MediaError)?.message, "no such recording: \(dir.path("none.mkv"))")
        }
        FileManager.default.createFile(atPath: dir.path("junk.mkv"), contents: Data("not a video at all".utf8))
        XCTAssertThrowsError(try Replay(settings: ReplaySettings(recording: dir.path("junk.mkv")))) {
            XCTAssertTrue(($0 as? MediaError)?.message.hasPrefix("cannot read recording \(dir.path("junk.mkv"))") ?? false, "\($0)")
        }
        XCTAssertThrowsError(try Replay(settings: ReplaySettings(recording: dir.url.path))) {
            XCTAssertTrue(($0 as? MediaError)?.message.contains("is a folder") ?? false)
        }
    }
}

final class ReplaySourceTests: XCTestCase {
    /// A replayed camera in a server: played through LiveCapture, which reopens it when it ends;
    /// its timeline keeps increasing and each frame's recorded detections are found by capture time.
    func testReplaySourceLoopsThroughLiveCaptureWithItsDetections() throws {
        let dir = TempDir()
        let frames = try encodedTestFrames(codec: .h264, count: 20)
        let path = dir.path("s.mkv")
        let muxer = try EncodedVideoMuxer(path: path, codec: .h264, size: VideoSize(width: 320, height: 240), frameRate: FrameRate(30))
        let sidecar = try SidecarWriter(path: dir.path("s.jsonl"))
        for (i, f) in frames.enumerated() {
            try muxer.write(f.data, isKeyframe: f.isKeyframe, pts: f.pts)
            try sidecar.write(DetectionRecord(frame: i, ptsUs: f.pts, width: 320, height: 240, detector: "hog", inferenceUs: 1,
                                              detections: [Detection(label: "person", score: 0.9,
                                                                     box: BoundingBox(x: i, y: 1, width: 2, height: 3), trackId: 4)]))
        }
        try muxer.finish()
        let detector = RecordedDetector(recording: path, consumer: nil)
        XCTAssertEqual(detector.name, "hog")
        let capture = try LiveCapture(spec: .replay(path: path), options: SourceOptions(pacing: .realtime),
                                      factory: .all, logger: Logger(label: "t"), initialBackoff: 0.01)
        let mailbox = capture.frames.subscribe()
        var pts: [Int64] = []
        var boxes: [Int] = []
        while pts.count < 45, let f = try mailbox.take() {
            pts.append(f.pts)
            boxes += try detector.detect(f).map(\.box.x)
            XCTAssertEqual(try detector.detect(f).first?.trackId, 4)
        }
        capture.stop()
        XCTAssertEqual(zip(pts, pts.dropFirst()).filter { $0 >= $1 }.count, 0, "pts increase across reopens: \(pts)")
        XCTAssertGreaterThan(pts.last!, 1_000_000, "played more than once")
        XCTAssertEqual(boxes.count, pts.count, "every replayed frame has its recorded detections")
        XCTAssertTrue(boxes.contains(19) && boxes.contains(0))
    }

    /// Two cameras replaying one recording each have their own board: what one camera's replay
    /// is showing never lands on the other's frames.
    func testTwoCamerasReplayingOneRecordingKeepTheirDetectionsApart() {
        let path = "/recordings/shared.mkv"
        let a = RecordedDetections.board(for: path, consumer: "a"), b = RecordedDetections.board(for: path, consumer: "b")
        XCTAssertTrue(a === RecordedDetections.board(for: path, consumer: "a"), "the source and the detector of one camera share it")
        func record(_ x: Int) -> DetectionRecord {
            DetectionRecord(frame: x, ptsUs: 0, width: 320, height: 240, detector: "hog", inferenceUs: 1,
                            detections: [Detection(label: "person", score: 0.9, box: BoundingBox(x: x, y: 1, width: 2, height: 3))])
        }
        // Both replay threads at work at once: a is at frame 5, b at frame 12.
        a.advance(with: [record(5)])
        b.advance(with: [record(12)])
        a.post(capturedAt: 1000)
        b.post(capturedAt: 1000)
        XCTAssertEqual(a.detections(capturedAt: 1000)?.map(\.box.x), [5])
        XCTAssertEqual(b.detections(capturedAt: 1000)?.map(\.box.x), [12])
    }
}
