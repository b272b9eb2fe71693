/// Gives detections a stable `trackId` across frames by overlap with the previous frame.
///
/// Per label, all (track, detection) pairs are ranked by IoU and matched greedily, best first,
/// down to `minIoU`; a matched track takes the new box. Unmatched detections open new tracks;
/// a track unmatched for more than `maxMissed` consecutive frames is dropped. Ids only ever
/// grow, so an expired id is never reused. Cheap enough to run on every frame (O(tracks ×
/// detections) per label), which suits the few dozen objects a frame holds.
public struct IoUTracker: Sendable {
    private struct Track: Sendable {
        let id: Int
        let label: String
        var box: BoundingBox
        var missed: Int
    }

    public let minIoU: Double
    public let maxMissed: Int
    private var tracks: [Track] = []
    private var nextId = 1

    public init(minIoU: Double = 0.3, maxMissed: Int = 10) {
        self.minIoU = minIoU
        self.maxMissed = maxMissed
    }

    /// Number of live tracks (matched recently enough not to have expired).
    public var activeTracks: Int { tracks.count }

    /// Returns `detections` in the same order, each with its `trackId` set.
    public mutating func update(_ detections: [Detection]) -> [Detection] {
        var result = detections
        var trackMatched = [Bool](repeating: false, count: tracks.count)
        var detectionMatched = [Bool](repeating: false, count: detections.count)

        var pairs: [(iou: Double, track: Int, detection: Int)] = []
        for (t, track) in tracks.enumerated() {
            for (d, detection) in detections.enumerated() where detection.label == track.label {
                let iou = track.box.iou(detection.box)
                if iou >= minIoU { pairs.append((iou, t, d)) }
            }
        }
        // Ties keep the older track, so an established id wins over a newer neighbour.
        pairs.sort { $0.iou != $1.iou ? $0.iou > $1.iou : ($0.track, $0.detection) < ($1.track, $1.detection) }
        for pair in pairs where !trackMatched[pair.track] && !detectionMatched[pair.detection] {
            trackMatched[pair.track] = true
            detectionMatched[pair.detection] = true
            tracks[pair.track].box = detections[pair.detection].box
            tracks[pair.track].missed = 0
            result[pair.detection].trackId = tracks[pair.track].id
        }

        for t in tracks.indices where !trackMatched[t] { tracks[t].missed += 1 }
        tracks.removeAll { $0.missed > maxMissed }

        for (d, detection) in detections.enumerated() where !detectionMatched[d] {
            tracks.append(Track(id: nextId, label: detection.label, box: detection.box, missed: 0))
            result[d].trackId = nextId
            nextId += 1
        }
        return result
    }
}
