import COpenCVShim
import Foundation
import RTDMedia

public struct YOLOOptions: Sendable, Equatable {
    public enum Layout: String, Sendable, Equatable, CaseIterable {
        /// Decide from the output shape (see `YOLODetector`).
        case auto
        /// `[1, N, 5+C]`: cx, cy, w, h, objectness, class scores.
        case v5
        /// `[1, 4+C, N]`: cx, cy, w, h, class scores (YOLOv8 and YOLO11).
        case v8
    }

    /// Square network input used when the model's input size is symbolic.
    public var inputSize: Int = 640
    /// Minimum score kept (objectness · class score for v5, class score for v8).
    public var confidence: Double = 0.25
    /// Boxes of one class overlapping a stronger one by more than this IoU are dropped.
    public var nmsIoU: Double = 0.45
    /// One label per line; nil = the built-in COCO-80 list.
    public var labelsFile: String?
    public var layout: Layout = .auto

    public init() {}
}

/// A YOLOv5/v8/v11 ONNX model run through OpenCV's dnn module on the CPU.
///
/// Each frame is converted to BGR once, letterboxed to the network input (scaled by
/// r = min(inW/w, inH/h) to round(w·r) x round(h·r), placed at left = ⌊(inW − round(w·r))/2⌋,
/// top = ⌊(inH − round(h·r))/2⌋, the rest grey 114), scaled to 0…1 with R and B swapped, and
/// run; candidates scoring below `confidence` are dropped, NMS runs per class, and box corners
/// are mapped back as ((x − left)/r, (y − top)/r), rounded, and clamped to the frame.
///
/// Layout rule for `.auto`, with output `[1, A, B]`: the larger dimension is the candidate
/// count (real models have thousands of candidates and at most a few hundred attributes), so
/// A > B is YOLOv5 and A < B is YOLOv8; a square output is read as YOLOv8, the layout current
/// exporters produce; set `layout` to override.
public final class YOLODetector: Detector, @unchecked Sendable { // one detection thread at a time
    public let name = "yolo"
    public let modelPath: String
    public let options: YOLOOptions
    /// Network input width and height actually used.
    public let inputWidth: Int
    public let inputHeight: Int
    public let layout: YOLOOptions.Layout
    public let classCount: Int
    public let labels: [String]
    private let handle: OpaquePointer
    private let output = BoxList()

    public init(model path: String, options: YOLOOptions = YOLOOptions()) throws {
        guard options.inputSize > 0, (0...1).contains(options.confidence), (0...1).contains(options.nmsIoU) else {
            throw DetectionError(.badSpec, "yolo: inputSize must be positive, confidence and nmsIoU within 0…1")
        }
        guard let bytes = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw DetectionError(.notFound, "yolo: model '\(path)' \(exists ? "cannot be read" : "not found")")
        }
        let declared = bytes.withUnsafeBytes { ONNXInputShape.read($0) } ?? []
        // NCHW: take H and W when the model fixes them.
        let width = declared.count == 4 ? declared[3] ?? options.inputSize : options.inputSize
        let height = declared.count == 4 ? declared[2] ?? options.inputSize : options.inputSize

        var dims = [Int32](repeating: 0, count: 8)
        var rank: Int32 = 0
        let created = try bytes.withUnsafeBytes { raw in
            try OpenCVBridge.call(.badModel, "yolo: cannot load model '\(path)'") {
                rtd_yolo_create(raw.baseAddress?.assumingMemoryBound(to: UInt8.self), raw.count,
                                Int32(clamping: width), Int32(clamping: height), &dims, &rank, $0)
            }
        }
        guard let created else { throw DetectionError(.badModel, "yolo: cannot load model '\(path)'") }
        // From here on a thrown error must not leak the loaded network.
        var owned: OpaquePointer? = created
        defer { if let owned { rtd_yolo_destroy(owned) } }

        let shape = dims.prefix(Int(rank)).map(Int.init)
        let (layout, classes) = try Self.decodeLayout(shape: shape, requested: options.layout, model: path)
        labels = try Self.loadLabels(options.labelsFile, classes: classes)
        self.layout = layout
        classCount = classes
        modelPath = path
        self.options = options
        inputWidth = width
        inputHeight = height
        handle = created
        owned = nil
    }

    deinit { rtd_yolo_destroy(handle) }

    public func detect(_ frame: Frame) throws -> [Detection] {
        let cLayout = layout == .v5 ? RTD_YOLO_V5 : RTD_YOLO_V8
        try OpenCVBridge.withImage(frame) { image in
            _ = try OpenCVBridge.call(.opencv, "yolo, frame \(frame.index)") {
                rtd_yolo_detect(handle, image, cLayout, Int32(classCount), Float(options.confidence),
                                Float(options.nmsIoU), output.handle, $0)
            }
        }
        return output.detections { labels[$0] }
    }

    /// Tells the two accepted layouts apart and returns the class count (rule in the type's doc).
    static func decodeLayout(shape: [Int], requested: YOLOOptions.Layout, model: String)
        throws -> (YOLOOptions.Layout, Int) {
        let unexpected = DetectionError(
            .badModel,
            "yolo: model '\(model)' has output shape [\(shape.map(String.init).joined(separator: ","))]; "
                + "expected YOLOv5 [1,N,5+C] or YOLOv8/v11 [1,4+C,N] (C ≥ 1 classes)")
        guard shape.count == 3, shape[0] == 1 else { throw unexpected }
        let a = shape[1], b = shape[2]
        let layout: YOLOOptions.Layout = requested != .auto ? requested : (a > b ? .v5 : .v8)
        let classes = layout == .v5 ? b - 5 : a - 4
        guard classes >= 1 else { throw unexpected }
        return (layout, classes)
    }

    /// One label per line (surrounding spaces trimmed, trailing blank lines ignored).
    static func loadLabels(_ path: String?, classes: Int) throws -> [String] {
        guard let path else {
            guard classes <= COCOLabels.names.count else {
                throw DetectionError(
                    .badLabels,
                    "yolo: the model has \(classes) classes but the built-in COCO list has \(COCOLabels.names.count); "
                        + "give a labels file")
            }
            return COCOLabels.names
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DetectionError(.notFound, "yolo: labels file '\(path)' not found or unreadable")
        }
        var lines = String(decoding: data, as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        while lines.last?.isEmpty == true { lines.removeLast() }
        if lines.isEmpty { throw DetectionError(.badLabels, "yolo: labels file '\(path)' is empty") }
        if let blank = lines.firstIndex(where: \.isEmpty) {
            throw DetectionError(.badLabels, "yolo: labels file '\(path)' line \(blank + 1) is blank")
        }
        guard lines.count >= classes else {
            throw DetectionError(
                .badLabels, "yolo: labels file '\(path)' has \(lines.count) labels but the model has \(classes) classes")
        }
        return lines
    }
}
