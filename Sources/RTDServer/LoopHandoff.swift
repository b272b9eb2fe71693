import Metrics
import Synchronization
import RTDWebRTC
import RTDDetection

/// The bounded hand-off of one track's pictures from its encoder thread to the endpoint's loop.
/// At most one drain task is queued on the loop per track; pictures that arrive meanwhile wait
/// here, up to `limit`. A loop that falls further behind gets no queue: what waits is dropped
/// (counted), and so is every picture up to the next keyframe, which is asked for at once, so the
/// viewers' decoders resume cleanly instead of on a broken reference chain.
final class VideoHandoff: Sendable {
    static let limit = 8

    enum Outcome: Equatable {
        /// The first picture waiting: the caller queues one drain task on the loop.
        case scheduleDrain
        /// Waiting with others; the drain already queued takes it.
        case queued
        /// Dropped, as the loop is behind; the caller asks the track for a keyframe.
        case keyframeNeeded
        /// Dropped while the keyframe asked for is awaited.
        case dropped
    }

    private struct Pending {
        var batches: [RTPPacketBatch] = []
        var drainQueued = false
        var awaitingKeyframe = false
    }

    private let pending = Mutex(Pending())
    private let dropped: Counter

    init(camera: String) {
        dropped = Counter(label: "rtd_video_frames_dropped_total", dimensions: [("camera", camera)])
    }

    /// From the encoder thread.
    func offer(_ batch: RTPPacketBatch) -> Outcome {
        let (outcome, lost): (Outcome, Int) = pending.withLock { p in
            var lost = 0
            if batch.isKeyframe {
                // Everything waiting is older than a picture that needs none of it.
                lost = p.batches.count
                p.batches = [batch]
                p.awaitingKeyframe = false
            } else if p.awaitingKeyframe {
                return (.dropped, 1)
            } else if p.batches.count >= Self.limit {
                lost = p.batches.count + 1
                p.batches.removeAll()
                p.awaitingKeyframe = true
                return (.keyframeNeeded, lost)
            } else {
                p.batches.append(batch)
            }
            guard !p.drainQueued else { return (.queued, lost) }
            p.drainQueued = true
            return (.scheduleDrain, lost)
        }
        if lost > 0 { dropped.increment(by: lost) }
        return outcome
    }

    /// On the loop: what waits, oldest first; the next picture queues a new drain.
    func take() -> [RTPPacketBatch] {
        pending.withLock { p in
            p.drainQueued = false
            defer { p.batches.removeAll(keepingCapacity: true) }
            return p.batches
        }
    }
}

/// A detection record with its JSON line made once, split where each viewer's `rtp_timestamp` goes.
struct RecordItem: Sendable {
    let record: DetectionRecord
    let line: (head: String, tail: String)
}

/// The bounded hand-off of items (a camera's detection records, an audio track's packets) from
/// their thread to an endpoint's loop: at most one drain task queued, at most `limit` items
/// waiting; a loop further behind loses the oldest (a viewer wants the boxes of the picture it is
/// showing and the sound of now, not a backlog; Opus's FEC and concealment cover a gap).
final class LatestHandoff<Item: Sendable>: Sendable {
    static var limit: Int { 8 }

    private struct Pending {
        var items: [Item] = []
        var drainQueued = false
    }

    private let pending = Mutex(Pending())
    /// Counts the items lost to a loop that fell behind.
    private let dropped: Counter

    init(dropped: Counter) {
        self.dropped = dropped
    }

    /// From the producer's thread; true when the caller must queue a drain task.
    func offer(_ item: Item) -> Bool {
        let (schedule, lost): (Bool, Bool) = pending.withLock { p in
            var lost = false
            if p.items.count >= Self.limit {
                p.items.removeFirst()
                lost = true
            }
            p.items.append(item)
            defer { p.drainQueued = true }
            return (!p.drainQueued, lost)
        }
        if lost { dropped.increment() }
        return schedule
    }

    /// On the loop: what waits, oldest first; the next item queues a new drain.
    func take() -> [Item] {
        pending.withLock { p in
            p.drainQueued = false
            defer { p.items.removeAll(keepingCapacity: true) }
            return p.items
        }
    }
}

typealias RecordHandoff = LatestHandoff<RecordItem>
typealias AudioHandoff = LatestHandoff<RTPPacketBatch>
