import Foundation
import Logging
import Metrics
import Synchronization
import RTDMedia
import RTDDetection

/// Detection for one camera in a server: a `FrameWorker` on the newest frame only (it never
/// delays video and never builds a queue), one record per processed frame handed to every
/// subscriber. Detects only while someone subscribes.
public final class CameraDetector: Sendable {
    public typealias Subscriber = @Sendable (DetectionRecord) -> Void

    public let camera: String
    public let detectorName: String
    private let worker: FrameWorker<Frame, DetectionRecord>
    private let processed = Atomic<Int>(0)

    public convenience init(camera: String, broadcast: FrameBroadcast, detectorSpec: String, options: DetectorOptions,
                            logger: Logger) throws {
        try self.init(camera: camera, broadcast: broadcast,
                      detector: DetectorFactory.make(spec: detectorSpec, options: options), logger: logger)
    }

    /// `tracking: false` for detections that already carry their track ids (a replayed recording's).
    public init(camera: String, broadcast: FrameBroadcast, detector: any Detector, tracking: Bool = true, logger: Logger) {
        self.camera = camera
        self.detectorName = detector.name
        worker = FrameWorker(name: "detect \(camera)", broadcast: broadcast)
        let time = Metrics.Timer(label: "rtd_detection_seconds", dimensions: [("camera", camera)], preferredDisplayUnit: .seconds)
        worker.start(makeState: {
            DetectionPipeline(detector: detector, tracker: tracking ? IoUTracker() : nil, camera: camera)
        }) { [self] pipeline, frame, targets in
            guard !targets.isEmpty else { return }
            do {
                let record = try pipeline.process(frame)
                processed.add(1, ordering: .relaxed)
                time.recordMicroseconds(record.inferenceUs)
                for deliver in targets { deliver(record) }
            } catch {
                logger.error("\(camera): detection failed: \(error)")
            }
        }
    }

    public func subscribe(_ subscriber: @escaping Subscriber) -> UInt64 { worker.subscribe(subscriber) }

    public func unsubscribe(_ id: UInt64) { worker.unsubscribe(id) }

    public var framesProcessed: Int { processed.load(ordering: .relaxed) }

    /// Frames detection skipped because a newer one had arrived.
    public var droppedFrames: Int { worker.droppedInputs }

    func stop() { worker.stop() }
}
