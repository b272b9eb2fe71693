import RTDCore

import RTDMedia
/// An axis-aligned box in pixels of the frame it was found in.
public struct BoundingBox: Sendable, Hashable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public var area: Int { max(0, width) * max(0, height) }

    /// Intersection over union; 0 when either box is empty.
    public func iou(_ other: BoundingBox) -> Double {
        let ix = max(0, min(x + width, other.x + other.width) - max(x, other.x))
        let iy = max(0, min(y + height, other.y + other.height) - max(y, other.y))
        let inter = ix * iy
        let union = area + other.area - inter
        return union > 0 ? Double(inter) / Double(union) : 0
    }
}

/// One object found in one frame.
public struct Detection: Sendable, Equatable {
    public var label: String
    /// Confidence in [0, 1]; how each detector derives it is documented on the detector.
    public var score: Double
    public var box: BoundingBox
    /// Stable identity across frames, set by `IoUTracker`.
    public var trackId: Int?

    public init(label: String, score: Double, box: BoundingBox, trackId: Int? = nil) {
        self.label = label
        self.score = score
        self.box = box
        self.trackId = trackId
    }
}

/// Finds objects in frames. A detector keeps per-stream state (e.g. a background model), so one
/// instance serves one stream and is called from one thread at a time.
public protocol Detector: Sendable {
    /// Short name written into every record's `detector` field, e.g. `motion` or `yolo`.
    var name: String { get }
    func detect(_ frame: Frame) throws -> [Detection]
}

/// Every detection failure carries one line naming what was wrong and where, so the CLI can
/// print it as is.
public typealias DetectionError = KindedError<DetectionErrorKind>

public enum DetectionErrorKind: Sendable, Equatable {
    case badSpec     // unknown detector or malformed spec/option
    case notFound    // model, cascade or labels file missing
    case badModel    // file present but unusable (corrupt, unexpected output shape)
    case badLabels   // labels file empty or too short for the model
    case opencv      // OpenCV failed while processing a frame
}
