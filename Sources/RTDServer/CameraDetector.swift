import Foundation
import Logging
import Metrics
import RTDMedia
import RTDDetection

/// Detection for one camera in a server: its own thread, on the newest frame only (it never
/// delays video and never builds a queue), one record per processed frame handed to every
/// subscriber. Runs only while someone subscribes.
public final class CameraDetector: @unchecked Sendable {
    public typealias Subscriber = @Sendable (DetectionRecord) -> Void

    public let camera: String
    public let detectorName: String
    private let broadcast: FrameBroadcast
    private let logger: Logger
    private let subscribers = SubscriberList<Subscriber>()
    // Guarded by `lock`.
    private let lock = NSLock()
    private var stopped = false
    private var processed = 0
    private let mailbox: LatestFrameMailbox

    private let tracking: Bool

    public convenience init(camera: String, broadcast: FrameBroadcast, detectorSpec: String, options: DetectorOptions,
                            logger: Logger) throws {
        try self.init(camera: camera, broadcast: broadcast,
                      detector: DetectorFactory.make(spec: detectorSpec, options: options), logger: logger)
    }

    /// `tracking: false` for detections that already carry their track ids (a replayed recording's).
    public init(camera: String, broadcast: FrameBroadcast, detector: any Detector, tracking: Bool = true, logger: Logger) {
        self.tracking = tracking
        self.camera = camera
        self.detectorName = detector.name
        self.broadcast = broadcast
        self.logger = logger
        self.mailbox = broadcast.subscribe()
        let thread = Thread { [self] in run(detector) }
        thread.name = "detect \(camera)"
        thread.start()
    }

    public func subscribe(_ subscriber: @escaping Subscriber) -> UInt64 { subscribers.add(subscriber) }

    public func unsubscribe(_ id: UInt64) { subscribers.remove(id) }

    public var framesProcessed: Int { lock.withLock { processed } }

    /// Frames detection skipped because a newer one had arrived.
    public var droppedFrames: Int { mailbox.droppedFrames }

    func stop() {
        lock.withLock { stopped = true }
        broadcast.unsubscribe(mailbox)
    }

    private func run(_ detector: any Detector) {
        let time = Metrics.Timer(label: "rtd_detection_seconds", dimensions: [("camera", camera)], preferredDisplayUnit: .seconds)
        var pipeline = DetectionPipeline(detector: detector, tracker: tracking ? IoUTracker() : nil, camera: camera)
        while true {
            let frame: Frame?
            do { frame = try mailbox.take() } catch { frame = nil }
            guard let frame else { break }
            if lock.withLock({ stopped }) { break }
            let targets = subscribers.snapshot
            guard !targets.isEmpty else { continue }
            do {
                let record = try pipeline.process(frame)
                lock.withLock { processed += 1 }
                time.recordMicroseconds(record.inferenceUs)
                for deliver in targets { deliver(record) }
            } catch {
                logger.error("\(camera): detection failed: \(error)")
            }
        }
    }
}
