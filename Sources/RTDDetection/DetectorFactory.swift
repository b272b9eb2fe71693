import RTDMedia
/// Options for every detector kind; the factory passes on the part the chosen detector uses.
public struct DetectorOptions: Sendable, Equatable {
    public var motion = MotionOptions()
    public var hog = HOGOptions()
    public var haar = HaarOptions()
    public var yolo = YOLOOptions()

    public init() {}
}

/// Reports nothing: runs the pipeline (records, timing, tracking) without detection cost.
public struct NoDetector: Detector {
    public let name = "none"

    public init() {}

    public func detect(_ frame: Frame) throws -> [Detection] { [] }
}

public enum DetectorFactory {
    public static let defaultSpec = "motion"

    /// Builds a detector from its spec: `motion`, `hog`, `haar`, `haar:FILE.xml`, `yolo:FILE.onnx`
    /// or `none`. Everything after the first `:` is the file, so paths may contain colons.
    public static func make(spec: String, options: DetectorOptions = DetectorOptions()) throws -> any Detector {
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let kind = String(parts[0])
        let file = parts.count > 1 ? String(parts[1]) : nil
        func noFile() throws {
            if file != nil { throw DetectionError(.badSpec, "detector '\(kind)' takes no file (got '\(spec)')") }
        }
        switch kind {
        case "motion":
            try noFile()
            return try MotionDetector(options: options.motion)
        case "hog":
            try noFile()
            return try HOGDetector(options: options.hog)
        case "haar":
            if file == "" { throw DetectionError(.badSpec, "detector 'haar:' needs a cascade file: haar:FILE.xml") }
            return try HaarDetector(cascade: file ?? HaarOptions.defaultCascade, options: options.haar)
        case "yolo":
            guard let file, !file.isEmpty else {
                throw DetectionError(.badSpec, "detector 'yolo' needs a model: yolo:FILE.onnx")
            }
            return try YOLODetector(model: file, options: options.yolo)
        case "none":
            try noFile()
            return NoDetector()
        default:
            throw DetectionError(
                .badSpec, "unknown detector '\(spec)': choose motion, hog, haar[:FILE.xml], yolo:FILE.onnx or none")
        }
    }
}
