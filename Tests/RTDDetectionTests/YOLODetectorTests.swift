import Foundation
import Testing
@testable import RTDDetection

/// The YOLO decoder against constant-output models built by Tests/python/make_const_yolo.py, so every
/// expected box below is computed by hand from the letterbox geometry.
@Suite struct YOLODetectorTests {
    func labelsFile(_ labels: [String], in dir: URL) throws -> String {
        let path = dir.appendingPathComponent("labels.txt").path
        try (labels.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// YOLOv5 layout, fixed 320x320 input, 640x360 frame: r = min(320/640, 320/360) = 0.5, the
    /// image is 320x180 inside the input, left = 0, top = (320-180)/2 = 70. A model box maps to
    /// frame pixels as x = (mx - 0) / 0.5, y = (my - 70) / 0.5.
    @Test func yolov5LetterboxThresholdAndClasswiseNMS() throws {
        let dir = try DetectionTestSupport.temporaryDirectory()
        let model = try DetectionTestSupport.makeModel([
            "input": [1, 3, 320, 320], "layout": "v5", "attributes": 7, "count": 100,
            "candidates": [
                // cx, cy, w, h, objectness, class 0, class 1
                [160, 160, 100, 50, 0.9, 0.9, 0.1], // A: class 0, 0.81 → [220,130,200,100]
                [165, 160, 100, 50, 0.8, 0.9, 0.1], // class 0, 0.72, IoU 0.9 with A → suppressed
                [165, 160, 100, 50, 0.9, 0.1, 0.8], // B: class 1, 0.72, same place, other class → kept: [230,130,200,100]
                [40, 100, 20, 20, 0.5, 0.4, 0.0],   // 0.20 < 0.25 → dropped
                [40, 100, 20, 20, 0.5, 0.6, 0.0],   // C: class 0, 0.30 → [60,40,40,40]
                [300, 80, 60, 40, 1.0, 0.0, 1.0],   // D: class 1, 1.0, x2 = 660, y1 = -20 → clamped [540,0,100,60]
            ],
        ], in: dir)
        var options = YOLOOptions()
        options.labelsFile = try labelsFile(["alpha", "beta"], in: dir)
        options.inputSize = 640 // must be ignored: the model fixes 320x320
        let detector = try YOLODetector(model: model, options: options)
        #expect(detector.inputWidth == 320 && detector.inputHeight == 320)
        #expect(detector.layout == .v5 && detector.classCount == 2)

        let frame = DetectionTestSupport.greyFrame(width: 640, height: 360)
        let found = try detector.detect(frame)
        #expect(found.map(\.label) == ["beta", "alpha", "beta", "alpha"])
        #expect(found.map(\.box) == [
            BoundingBox(x: 540, y: 0, width: 100, height: 60),
            BoundingBox(x: 220, y: 130, width: 200, height: 100),
            BoundingBox(x: 230, y: 130, width: 200, height: 100),
            BoundingBox(x: 60, y: 40, width: 40, height: 40),
        ])
        let expectedScores = [1.0, 0.81, 0.72, 0.30]
        for (score, expected) in zip(found.map(\.score), expectedScores) {
            #expect(abs(score - expected) < 1e-5)
        }
    }

    /// YOLOv8 layout, symbolic input size so `inputSize` (320) applies, 500x300 frame:
    /// r = min(320/500, 320/300) = 0.64, image 320x192, left = 0, top = (320-192)/2 = 64,
    /// x = mx / 0.64, y = (my - 64) / 0.64.
    @Test func yolov8DynamicInputUsesInputSizeOption() throws {
        let dir = try DetectionTestSupport.temporaryDirectory()
        let model = try DetectionTestSupport.makeModel([
            "input": [1, 3, "height", "width"], "layout": "v8", "attributes": 7, "count": 50,
            "candidates": [
                // cx, cy, w, h, class 0, 1, 2
                [160, 160, 64, 32, 0.1, 0.7, 0.2],   // class 1 (COCO: bicycle) 0.7 → [200,125,100,50]
                [162, 160, 64, 32, 0.1, 0.6, 0.2],   // class 1, overlaps → suppressed
                [160, 160, 64, 32, 0.1, 0.2, 0.5],   // class 2 (car) same place → kept
                [250, 200, 10, 10, 0.2, 0.1, 0.24],  // best 0.24 < 0.25 → dropped
            ],
        ], in: dir)
        var options = YOLOOptions()
        options.inputSize = 320
        let detector = try YOLODetector(model: model, options: options)
        #expect(detector.layout == .v8 && detector.classCount == 3)
        let found = try detector.detect(DetectionTestSupport.greyFrame(width: 500, height: 300))
        #expect(found.map(\.label) == ["bicycle", "car"])
        #expect(found.map(\.box) == [BoundingBox(x: 200, y: 125, width: 100, height: 50),
                                     BoundingBox(x: 200, y: 125, width: 100, height: 50)])
    }

    @Test func confidenceOptionRaisesTheBar() throws {
        let dir = try DetectionTestSupport.temporaryDirectory()
        let model = try DetectionTestSupport.makeModel([
            "input": [1, 3, 320, 320], "layout": "v8", "attributes": 5, "count": 20,
            "candidates": [[100, 100, 20, 20, 0.6], [200, 200, 20, 20, 0.4], [250, 50, 20, 20, 0.5]],
        ], in: dir)
        let frame = DetectionTestSupport.greyFrame(width: 320, height: 320)
        var options = YOLOOptions()
        #expect(try YOLODetector(model: model, options: options).detect(frame).count == 3)
        options.confidence = 0.5 // a score equal to the threshold is kept
        let found = try YOLODetector(model: model, options: options).detect(frame)
        #expect(found.map(\.box) == [BoundingBox(x: 90, y: 90, width: 20, height: 20),
                                     BoundingBox(x: 240, y: 40, width: 20, height: 20)])
    }

    /// Odd frame sizes cannot be read in place by OpenCV's I420 converter; the padded path must
    /// give the same geometry. 321x241 into 320: r = min(320/321, 320/241) = 320/321,
    /// image 320x240, left 0, top 40; model box (160,160,64,32) → x = 128·321/320 = 128.4 → 128,
    /// x2 = 192·321/320 = 192.6 → 193, y = 104·321/320 = 104.325 → 104, y2 = 136·321/320 = 136.425 → 136.
    @Test func oddFrameSizes() throws {
        let dir = try DetectionTestSupport.temporaryDirectory()
        let model = try DetectionTestSupport.makeModel([
            "input": [1, 3, 320, 320], "layout": "v8", "attributes": 5, "count": 20,
            "candidates": [[160, 160, 64, 32, 0.9]],
        ], in: dir)
        let found = try YOLODetector(model: model).detect(DetectionTestSupport.greyFrame(width: 321, height: 241))
        #expect(found.map(\.box) == [BoundingBox(x: 128, y: 104, width: 65, height: 32)])
    }

    @Test func layoutRule() throws {
        func decode(_ shape: [Int], _ layout: YOLOOptions.Layout = .auto) throws -> (YOLOOptions.Layout, Int) {
            try YOLODetector.decodeLayout(shape: shape, requested: layout, model: "m.onnx")
        }
        #expect(try decode([1, 25200, 85]) == (.v5, 80))
        #expect(try decode([1, 84, 8400]) == (.v8, 80))
        #expect(try decode([1, 84, 84]) == (.v8, 80))
        #expect(try decode([1, 85, 85], .v5) == (.v5, 80))
        #expect(throws: DetectionError.self) { try decode([1, 100, 5]) }
        #expect(throws: DetectionError.self) { try decode([2, 84, 8400]) }
    }

    @Test func unexpectedOutputShapeIsNamed() throws {
        let dir = try DetectionTestSupport.temporaryDirectory()
        let model = try DetectionTestSupport.makeModel(["input": [1, 3, 64, 64], "shape": [1, 2, 3, 4]], in: dir)
        let error = #expect(throws: DetectionError.self) { try YOLODetector(model: model) }
        #expect(error?.kind == .badModel)
        #expect(error?.message.contains("[1,2,3,4]") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("[1,N,5+C]") == true && error?.message.contains("[1,4+C,N]") == true)
    }

    @Test func missingAndCorruptModels() throws {
        let missing = #expect(throws: DetectionError.self) { try YOLODetector(model: "/nonexistent/m.onnx") }
        #expect(missing?.kind == .notFound)
        #expect(missing?.message.contains("/nonexistent/m.onnx") == true)

        let dir = try DetectionTestSupport.temporaryDirectory()
        let corrupt = dir.appendingPathComponent("corrupt.onnx").path
        try Data("this is not an ONNX model".utf8).write(to: URL(fileURLWithPath: corrupt))
        let error = #expect(throws: DetectionError.self) { try YOLODetector(model: corrupt) }
        #expect(error?.kind == .badModel)
        #expect(error?.message.contains("corrupt.onnx") == true)
    }

    @Test func labelsFileErrors() throws {
        let dir = try DetectionTestSupport.temporaryDirectory()
        let model = try DetectionTestSupport.makeModel([
            "input": [1, 3, 64, 64], "layout": "v5", "attributes": 8, "count": 20, "candidates": [],
        ], in: dir)
        var options = YOLOOptions()
        options.labelsFile = try labelsFile(["only", "two"], in: dir)
        let short = #expect(throws: DetectionError.self) { try YOLODetector(model: model, options: options) }
        #expect(short?.kind == .badLabels)
        #expect(short?.message.contains("has 2 labels but the model has 3 classes") == true, "\(short?.message ?? "")")
        #expect(short?.message.contains(options.labelsFile!) == true)

        try "\n\n".write(toFile: options.labelsFile!, atomically: true, encoding: .utf8)
        let empty = #expect(throws: DetectionError.self) { try YOLODetector(model: model, options: options) }
        #expect(empty?.message.contains("is empty") == true)

        options.labelsFile = dir.appendingPathComponent("absent.txt").path
        let absent = #expect(throws: DetectionError.self) { try YOLODetector(model: model, options: options) }
        #expect(absent?.kind == .notFound)
    }

    @Test func tooManyClassesForCOCO() throws {
        #expect(throws: DetectionError.self) { try YOLODetector.loadLabels(nil, classes: 81) }
        #expect(try YOLODetector.loadLabels(nil, classes: 80).first == "person")
    }

    @Test func inputShapeIsReadFromTheModel() throws {
        let dir = try DetectionTestSupport.temporaryDirectory()
        let model = try DetectionTestSupport.makeModel([
            "input": [1, 3, 256, 416], "layout": "v8", "attributes": 5, "count": 10, "candidates": [],
        ], in: dir)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: model))
        #expect(bytes.withUnsafeBytes { ONNXInputShape.read($0) } == [1, 3, 256, 416])
        let dynamic = try DetectionTestSupport.makeModel([
            "input": [1, 3, "h", "w"], "layout": "v8", "attributes": 5, "count": 10, "candidates": [],
        ], in: dir, name: "dynamic.onnx")
        let dynamicBytes = try Data(contentsOf: URL(fileURLWithPath: dynamic))
        #expect(dynamicBytes.withUnsafeBytes { ONNXInputShape.read($0) } == [1, 3, nil, nil])
        #expect(Data("garbage".utf8).withUnsafeBytes { ONNXInputShape.read($0) } == nil)
    }
}
