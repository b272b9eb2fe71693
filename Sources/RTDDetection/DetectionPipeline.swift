import RTDMedia
/// Detector + optional tracker + statistics: turns frames into records with consistent timing,
/// so every subcommand fills `inference_us` the same way (detector call only, tracking excluded).
public struct DetectionPipeline: Sendable {
    public let detector: any Detector
    public var tracker: IoUTracker?
    public private(set) var stats = DetectionStats()
    public var camera: String?

    public init(detector: any Detector, tracker: IoUTracker? = IoUTracker(), camera: String? = nil) {
        self.detector = detector
        self.tracker = tracker
        self.camera = camera
    }

    public mutating func process(_ frame: Frame, rtpTimestamp: UInt32? = nil) throws -> DetectionRecord {
        let clock = ContinuousClock()
        let start = clock.now
        var found = try detector.detect(frame)
        let elapsed = clock.now - start
        let inferenceUs = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        found = tracker?.update(found) ?? found
        let record = DetectionRecord(frame: frame, detector: detector.name, inferenceUs: inferenceUs,
                                     detections: found, camera: camera, rtpTimestamp: rtpTimestamp)
        stats.add(record)
        return record
    }
}
