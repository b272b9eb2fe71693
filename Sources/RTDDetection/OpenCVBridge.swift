import COpenCVShim
import RTDMedia

/// Thin Swift helpers over the C shim: error strings, frame wrapping, box lists.
enum OpenCVBridge {
    typealias ErrorOut = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>

    /// Calls a shim function and turns its error string, if any, into a `DetectionError`.
    static func call<T>(_ kind: DetectionErrorKind, _ context: String, _ body: (ErrorOut) -> T) throws -> T {
        var error: UnsafeMutablePointer<CChar>?
        let result = body(&error)
        if let error {
            let message = String(cString: error)
            rtd_cv_free_string(error)
            throw DetectionError(kind, "\(context): \(message)")
        }
        return result
    }

    /// Gives `body` the frame's planes wrapped for OpenCV, valid only during the call.
    static func withImage<R>(_ frame: Frame, _ body: (OpaquePointer) throws -> R) throws -> R {
        try frame.data.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress!
            var planes = rtd_i420(
                y: base, u: base + frame.uOffset, v: base + frame.vOffset,
                y_stride: Int32(frame.width), uv_stride: Int32(frame.chromaWidth),
                width: Int32(frame.width), height: Int32(frame.height))
            let image = try call(.opencv, "frame \(frame.index)") { rtd_image_wrap(&planes, $0) }
            guard let image else { throw DetectionError(.opencv, "frame \(frame.index): cannot wrap planes") }
            defer { rtd_image_release(image) }
            return try body(image)
        }
    }
}

/// Output buffer the shim fills with boxes; reused for every frame of one detector.
final class BoxList {
    let handle: OpaquePointer

    init() {
        guard let handle = rtd_boxes_create() else { fatalError("out of memory allocating a box list") }
        self.handle = handle
    }

    deinit { rtd_boxes_destroy(handle) }

    var boxes: UnsafeBufferPointer<rtd_box> {
        UnsafeBufferPointer(start: rtd_boxes_data(handle), count: rtd_boxes_count(handle))
    }

    func detections(label: (Int) -> String) -> [Detection] {
        boxes.map { b in
            Detection(label: label(Int(b.class_id)), score: b.score,
                      box: BoundingBox(x: Int(b.x), y: Int(b.y), width: Int(b.w), height: Int(b.h)))
        }
    }
}

/// OpenCV's worker pool is process-wide.
public enum OpenCVThreads {
    /// Sets how many threads OpenCV may use inside one call (cv::setNumThreads). rtd runs each
    /// detector on its own thread next to capture and encoders, so 1 (no internal pool) is the
    /// recommended setting for motion, hog and haar: on a small machine the pool only competes
    /// with those threads, and motion's ≤ 320 px work per frame is too small to split well.
    /// A yolo model is the exception worth a pool (dnn layers parallelise well) when cores are free.
    public static func set(_ count: Int) {
        rtd_cv_set_num_threads(Int32(clamping: count))
    }
}
