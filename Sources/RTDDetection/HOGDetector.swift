import COpenCVShim
import RTDMedia

public enum HOGEngine: Sendable, Equatable {
    case rtd, opencv
}

public struct HOGOptions: Sendable, Equatable {
    /// Detection window step in pixels (both directions); larger is faster and coarser.
    public var winStride: Int = 8
    /// Padding added around the image so people at the border are still scanned.
    public var padding: Int = 8
    /// Image pyramid step between scales.
    public var scale: Double = 1.05
    /// SVM margin a window must exceed to count as a hit.
    public var hitThreshold: Double = 0
    /// Hits OpenCV must merge into one group before reporting it (detectMultiScale finalThreshold).
    public var groupThreshold: Double = 2
    /// Boxes overlapping a stronger one by more than this IoU are dropped.
    public var nmsIoU: Double = 0.65
    /// Who computes it. rtd's engine gives OpenCV's features, scores and grouping (a unit test
    /// holds them equal) faster; it needs a stride that is a multiple of 8 and otherwise hands
    /// the frame to OpenCV's detectMultiScale, the reference.
    public var engine: HOGEngine = .rtd

    public init() {}
}

/// OpenCV's default HOG + linear SVM people detector on the Y plane, followed by NMS.
/// Label `person`; score = logistic of the SVM margin (0.5 at the decision boundary).
public final class HOGDetector: Detector, @unchecked Sendable { // one detection thread at a time
    public let name = "hog"
    public let options: HOGOptions
    private let handle: OpaquePointer
    private let output = BoxList()

    public init(options: HOGOptions = HOGOptions()) throws {
        guard options.winStride > 0, options.padding >= 0, options.scale > 1 else {
            throw DetectionError(.badSpec, "hog: winStride must be positive, padding non-negative, scale above 1")
        }
        var params = rtd_hog_params(
            win_stride: Int32(clamping: options.winStride), padding: Int32(clamping: options.padding),
            scale: options.scale, hit_threshold: options.hitThreshold,
            group_threshold: options.groupThreshold, nms_iou: Float(options.nmsIoU),
            engine: Int32(options.engine == .rtd ? RTD_HOG_RTD : RTD_HOG_OPENCV))
        let created = try OpenCVBridge.call(.opencv, "hog") { rtd_hog_create(&params, $0) }
        guard let created else { throw DetectionError(.opencv, "hog: cannot create the detector") }
        self.options = options
        handle = created
    }

    deinit { rtd_hog_destroy(handle) }

    public func detect(_ frame: Frame) throws -> [Detection] {
        try OpenCVBridge.withImage(frame) { image in
            _ = try OpenCVBridge.call(.opencv, "hog, frame \(frame.index)") {
                rtd_hog_detect(handle, image, output.handle, $0)
            }
        }
        return output.detections { _ in "person" }
    }

    /// The SVM score of every window of the unscaled frame, in raster order (engine comparisons).
    func windowScores(_ frame: Frame) throws -> [Double] {
        // Room for a window at every pixel of the padded frame: more than any stride gives.
        let pad = options.padding + 8
        var scores = [Double](repeating: 0, count: (frame.width + 2 * pad) * (frame.height + 2 * pad))
        let count = try OpenCVBridge.withImage(frame) { image in
            try OpenCVBridge.call(.opencv, "hog scores") { rtd_hog_window_scores(handle, image, &scores, Int32(scores.count), $0) }
        }
        return Array(scores.prefix(Int(count)))
    }
}
