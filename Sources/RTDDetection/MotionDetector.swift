import COpenCVShim
import Foundation
import RTDMedia

public struct MotionOptions: Sendable, Equatable {
    /// 0…1, higher finds fainter changes. Mapped to MOG2's varThreshold as 16 · 4^(1 − 2·s):
    /// 0 → 64, 0.5 → 16 (OpenCV's default), 1 → 4.
    public var sensitivity: Double = 0.5
    /// Frames of history the background model adapts over.
    public var history: Int = 500
    /// Smallest reported box in frame pixels; nil = 0.1 % of the frame area.
    public var minArea: Int?
    /// Frames wider than this are downscaled (keeping the aspect) before background subtraction,
    /// which is what keeps 640x480 well above 300 frames/s on one core; boxes are scaled back.
    public var processWidth: Int = 320
    /// Frames learned but not reported. MOG2 starts from the first frame alone and adapts with
    /// rate 1/(2n) at first: the first frame is all foreground, and for about 15 frames after it
    /// anything moving slowly is absorbed into the background within a frame or two, so boxes
    /// are missing or cut to the leading edge. 20 frames is ~0.7 s at 30 fps.
    public var warmupFrames: Int = 20
    /// Morphological opening (removes isolated noise pixels), kernel side at processing scale.
    public var openKernel: Int = 3
    /// Morphological closing (joins fragments of one object), kernel side at processing scale.
    public var closeKernel: Int = 7

    public init() {}

    var varThreshold: Double { 16 * pow(4, 1 - 2 * min(max(sensitivity, 0), 1)) }
}

/// MOG2 background subtraction on the Y plane → cleaned foreground mask → one box per external
/// contour. Label `motion`; score = fraction of the box's pixels that are foreground in the
/// cleaned mask. A change of frame size restarts the model (and its warm-up).
public final class MotionDetector: Detector, @unchecked Sendable { // one detection thread at a time
    public let name = "motion"
    public let options: MotionOptions
    private var handle: OpaquePointer?
    private var size: (width: Int, height: Int) = (0, 0)
    private let output = BoxList()

    public init(options: MotionOptions = MotionOptions()) throws {
        guard options.history > 0, options.processWidth >= 0, options.warmupFrames >= 0,
              options.openKernel >= 0, options.closeKernel >= 0, (options.minArea ?? 0) >= 0 else {
            throw DetectionError(.badSpec, "motion: history must be positive and sizes/frame counts non-negative")
        }
        self.options = options
    }

    deinit {
        if let handle { rtd_motion_destroy(handle) }
    }

    public func detect(_ frame: Frame) throws -> [Detection] {
        let model = try model(for: frame)
        try OpenCVBridge.withImage(frame) { image in
            _ = try OpenCVBridge.call(.opencv, "motion, frame \(frame.index)") {
                rtd_motion_detect(model, image, output.handle, $0)
            }
        }
        return output.detections { _ in "motion" }
    }

    private func model(for frame: Frame) throws -> OpaquePointer {
        if let handle, size == (frame.width, frame.height) { return handle }
        if let handle { rtd_motion_destroy(handle) }
        handle = nil
        var params = rtd_motion_params(
            history: Int32(clamping: options.history),
            var_threshold: options.varThreshold,
            process_width: Int32(clamping: options.processWidth),
            min_area: Int32(clamping: options.minArea ?? (frame.width * frame.height + 999) / 1000),
            open_kernel: Int32(clamping: options.openKernel),
            close_kernel: Int32(clamping: options.closeKernel),
            warmup_frames: Int32(clamping: options.warmupFrames))
        let created = try OpenCVBridge.call(.opencv, "motion") { rtd_motion_create(&params, $0) }
        guard let created else { throw DetectionError(.opencv, "motion: cannot create the background model") }
        handle = created
        size = (frame.width, frame.height)
        return created
    }
}
