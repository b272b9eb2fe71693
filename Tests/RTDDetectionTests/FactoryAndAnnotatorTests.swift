import Testing
@testable import RTDDetection

@Suite struct DetectorFactoryTests {
    @Test func buildsEachKind() throws {
        #expect(try DetectorFactory.make(spec: "motion").name == "motion")
        #expect(try DetectorFactory.make(spec: "hog").name == "hog")
        #expect(try DetectorFactory.make(spec: "none").name == "none")
        let haar = try DetectorFactory.make(spec: "haar:" + HaarOptions.defaultCascade) as? HaarDetector
        #expect(haar?.label == "face")
        var options = DetectorOptions()
        options.motion.warmupFrames = 3
        #expect((try DetectorFactory.make(spec: "motion", options: options) as? MotionDetector)?.options.warmupFrames == 3)
    }

    @Test func noneReportsNothing() throws {
        let detector = try DetectorFactory.make(spec: "none")
        #expect(try detector.detect(DetectionTestSupport.greyFrame(width: 8, height: 8)).isEmpty)
    }

    @Test(arguments: [
        ("foo", "unknown detector 'foo': choose motion, hog, haar[:FILE.xml], yolo:FILE.onnx or none"),
        ("", "unknown detector '': choose motion, hog, haar[:FILE.xml], yolo:FILE.onnx or none"),
        ("yolo", "detector 'yolo' needs a model: yolo:FILE.onnx"),
        ("yolo:", "detector 'yolo' needs a model: yolo:FILE.onnx"),
        ("haar:", "detector 'haar:' needs a cascade file: haar:FILE.xml"),
        ("motion:x", "detector 'motion' takes no file (got 'motion:x')"),
    ])
    func badSpecs(spec: String, message: String) {
        let error = #expect(throws: DetectionError.self) { try DetectorFactory.make(spec: spec) }
        #expect(error?.kind == .badSpec)
        #expect(error?.message == message)
    }

    @Test func badOptionsAreRejected() {
        var options = DetectorOptions()
        options.hog.scale = 1
        #expect(throws: DetectionError.self) { try DetectorFactory.make(spec: "hog", options: options) }
        options = DetectorOptions()
        options.motion.history = 0
        #expect(throws: DetectionError.self) { try DetectorFactory.make(spec: "motion", options: options) }
    }
}

@Suite struct AnnotatorTests {
    @Test func drawsA2PixelBoxInLumaAndChromaOnACopy() throws {
        let source = DetectionTestSupport.greyFrame(width: 320, height: 120)
        let detection = Detection(label: "person", score: 0.91, box: BoundingBox(x: 40, y: 60, width: 40, height: 30),
                                  trackId: 7)
        let annotated = try Annotator.annotate(source, with: [detection])
        #expect(source.data.allSatisfy { $0 == 128 }, "the source frame must not change")
        #expect(annotated.index == source.index && annotated.pts == source.pts)

        let colour = Annotator.colour(for: detection)
        let w = annotated.width
        func luma(_ x: Int, _ y: Int) -> UInt8 { annotated.data[y * w + x] }
        func u(_ x: Int, _ y: Int) -> UInt8 { annotated.data[annotated.uOffset + (y / 2) * annotated.chromaWidth + x / 2] }
        // Left edge: columns 40 and 41 are the box colour, 42 is untouched interior.
        #expect(luma(40, 75) == colour.y && luma(41, 75) == colour.y && luma(42, 75) == 128)
        // Bottom edge: rows 88 and 89, interior above, outside below.
        #expect(luma(60, 88) == colour.y && luma(60, 89) == colour.y && luma(60, 87) == 128 && luma(60, 90) == 128)
        #expect(u(40, 75) == colour.u && u(60, 75) == 128)
        // The caption bar sits just above the box, in the box colour, with text drawn in it.
        let bar = (48..<58).flatMap { y in (40..<100).map { x in luma(x, y) } }
        #expect(bar.filter { $0 == colour.y }.count > bar.count / 2, "mostly the box colour")
        #expect(bar.contains { $0 != colour.y && $0 != 128 }, "with text in it")
        #expect(luma(300, 52) == 128 && luma(40, 30) == 128, "nothing beyond the caption")
    }

    @Test func captionAndColours() {
        let tracked = Detection(label: "person", score: 0.91, box: BoundingBox(x: 0, y: 0, width: 1, height: 1), trackId: 7)
        #expect(Annotator.caption(tracked) == "person 0.91 #7")
        var untracked = tracked
        untracked.trackId = nil
        untracked.score = 0.5
        #expect(Annotator.caption(untracked) == "person 0.50")
        var other = tracked
        other.trackId = 8
        #expect(Annotator.colour(for: tracked) != Annotator.colour(for: other))
        #expect(Annotator.colour(for: untracked) == Annotator.colour(for: untracked))
    }
}

@Suite struct DetectionPipelineTests {
    @Test func producesTrackedRecordsAndStats() throws {
        var pipeline = DetectionPipeline(detector: try MotionDetector(), camera: "cam0")
        var records: [DetectionRecord] = []
        for i in 0..<40 {
            records.append(try pipeline.process(MotionDetectorTests.frame(i, square: MotionDetectorTests.square(at: i)),
                                                rtpTimestamp: UInt32(i * 3000)))
        }
        #expect(pipeline.stats.frames == 40)
        let last = try #require(records.last)
        #expect(last.camera == "cam0" && last.detector == "motion" && last.frame == 39 && last.rtpTimestamp == 117_000)
        #expect(last.inferenceUs > 0)
        let ids = Set(records.dropFirst(25).flatMap { $0.detections.map(\.trackId) })
        #expect(ids.count == 1 && ids.first! != nil, "ids \(ids)")
    }
}
