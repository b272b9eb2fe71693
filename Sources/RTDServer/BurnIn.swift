import Foundation
import Logging
import Synchronization
import RTDMedia
import RTDDetection

/// `--annotate`: draws the newest detections into each captured frame before any encoder sees it,
/// for players that cannot read the data channel (WHEP players, recordings). One drawing per
/// frame per camera, shared by every encoder; the detector runs for as long as this exists.
final class BurnIn: Sendable {
    let output = FrameBroadcast()
    private let worker: FrameWorker<Frame, Frame>
    private let detector: CameraDetector
    private let subscription: UInt64

    /// The newest detections: written by the detector's thread, read by the drawing thread.
    private final class Latest: Sendable {
        let detections = Mutex<[Detection]>([])
    }

    init(input: FrameBroadcast, detector: CameraDetector, camera: String, logger: Logger) {
        self.detector = detector
        let latest = Latest()
        subscription = detector.subscribe { record in latest.detections.withLock { $0 = record.detections } }
        worker = FrameWorker(name: "annotate \(camera)", broadcast: input)
        let output = self.output
        _ = worker.subscribe { output.publish($0) }
        worker.start(process: { frame, targets in
            let boxes = latest.detections.withLock { $0 }
            var drawn = frame
            do {
                if !boxes.isEmpty { drawn = try Annotator.annotate(frame, with: boxes) }
            } catch {
                logger.error("\(camera): annotation failed: \(error)")
            }
            for deliver in targets { deliver(drawn) }
        }, finish: { output.close() })
    }

    func stop() {
        detector.unsubscribe(subscription)
        worker.stop()
    }
}
