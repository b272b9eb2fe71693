import Foundation
import Logging
import RTDMedia
import RTDDetection

/// `--annotate`: draws the newest detections into each captured frame before any encoder sees it,
/// for players that cannot read the data channel (WHEP players, recordings). One drawing per
/// frame per camera, shared by every encoder; the detector runs for as long as this exists.
final class BurnIn: @unchecked Sendable {
    let output = FrameBroadcast()
    private let input: FrameBroadcast
    private let mailbox: LatestFrameMailbox
    private let detector: CameraDetector
    private var subscription: UInt64 = 0
    // Guarded by `lock`: written by the detector thread, read by the drawing thread.
    private let lock = NSLock()
    private var latest: [Detection] = []

    init(input: FrameBroadcast, detector: CameraDetector, camera: String, logger: Logger) {
        self.input = input
        self.detector = detector
        mailbox = input.subscribe()
        subscription = detector.subscribe { [weak self] record in
            guard let self else { return }
            lock.withLock { latest = record.detections }
        }
        let thread = Thread { [self] in
            while let frame = try? mailbox.take() {
                let boxes = lock.withLock { latest }
                do {
                    output.publish(boxes.isEmpty ? frame : try Annotator.annotate(frame, with: boxes))
                } catch {
                    logger.error("\(camera): annotation failed: \(error)")
                    output.publish(frame)
                }
            }
            output.close()
        }
        thread.name = "annotate \(camera)"
        thread.start()
    }

    func stop() {
        detector.unsubscribe(subscription)
        input.unsubscribe(mailbox)
    }
}
