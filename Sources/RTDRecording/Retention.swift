import Foundation
import Logging
import Synchronization
import RTDMedia

/// One recorded segment on disk: its video and sidecar (either may be missing), their total
/// size and the last time either was written.
struct SegmentFiles: Equatable {
    var stem: String
    var paths: [String]
    var bytes: Int64
    var modified: Double
}

enum RetentionPlan {
    /// Which segments to delete (pure): every one last written more than `retain` seconds ago,
    /// then the oldest while the total is above `maxBytes`. Segments in `active` (being written)
    /// are never deleted, but count towards the total.
    static func expired(_ segments: [SegmentFiles], active: Set<String>, now: Double, retain: Double?,
                        maxBytes: Int64?) -> [SegmentFiles] {
        var doomed: [SegmentFiles] = []
        var kept: [SegmentFiles] = []
        for s in segments.sorted(by: { ($0.modified, $0.stem) < ($1.modified, $1.stem) }) {
            if !active.contains(s.stem), let retain, now - s.modified > retain { doomed.append(s) } else { kept.append(s) }
        }
        if let maxBytes {
            var total = kept.reduce(Int64(0)) { $0 + $1.bytes }
            for s in kept where total > maxBytes && !active.contains(s.stem) {
                doomed.append(s)
                total -= s.bytes
            }
        }
        return doomed
    }
}

/// Applies retention to one recording folder (DIR/CAMERA/segments): periodically, and when a
/// camera starts a new segment, on one thread of its own (so sweeps never overlap and no lock is
/// held across the scan or the deletes). Only files named like segments are ever touched.
public final class RecordingRetention: Sendable {
    public let directory: String
    private let retain: Double?
    private let maxBytes: Int64?
    private let logger: Logger
    /// Full paths (without extension) of segments being written.
    private let active = Mutex<Set<String>>([])
    /// Sweeps asked for between two sweeps make one (latest wins); closing it ends the thread.
    private let requests = LatestMailbox<Bool>()

    public init(settings: RecordingSettings, logger: Logger) {
        directory = settings.directory
        retain = settings.retainSeconds
        maxBytes = settings.maxBytes
        self.logger = logger
    }

    var hasLimits: Bool { retain != nil || maxBytes != nil }

    func markActive(_ stem: String) { _ = active.withLock { $0.insert(stem) } }
    func markDone(_ stem: String) { _ = active.withLock { $0.remove(stem) } }

    /// Starts the sweeping thread: a sweep every `interval` seconds and one soon after each
    /// `requestSweep()`, until `stop()`.
    public func start(interval: Double = 60) {
        guard hasLimits else { return }
        let thread = Thread { [self] in
            while true {
                switch requests.take(until: Date(timeIntervalSinceNow: interval)) {
                case .closed: return
                case .value, .timedOut: sweep()
                }
            }
        }
        thread.name = "retention"
        thread.start()
    }

    /// A camera started a segment: the oldest may now have to go (swept on the retention thread).
    func requestSweep() {
        if hasLimits { requests.put(true) }
    }

    public func stop() { requests.close(discardingPending: true) }

    /// Deletes what the limits say must go; returns the deleted paths. Runs on the retention
    /// thread once started (or on the caller's before that).
    @discardableResult
    public func sweep(now: Double = Date().timeIntervalSince1970) -> [String] {
        guard hasLimits else { return [] }
        let segments = scan()
        let activeNow = active.withLock { $0 }
        var deleted: [String] = []
        for s in RetentionPlan.expired(segments, active: activeNow, now: now, retain: retain, maxBytes: maxBytes) {
            for p in s.paths {
                do {
                    try FileManager.default.removeItem(atPath: p)
                    deleted.append(p)
                } catch {
                    logger.warning("retention: cannot delete \(p): \(error.localizedDescription)")
                }
            }
        }
        if !deleted.isEmpty { logger.info("retention: deleted \(deleted.count) files under \(directory)") }
        return deleted
    }

    /// Segments under DIR/*/, grouped by stem.
    func scan() -> [SegmentFiles] {
        let fm = FileManager.default
        var byStem: [String: SegmentFiles] = [:]
        for camera in (try? fm.contentsOfDirectory(atPath: directory)) ?? [] {
            let folder = directory + "/" + camera
            for name in (try? fm.contentsOfDirectory(atPath: folder)) ?? [] where SegmentNaming.isSegmentFile(name, camera: camera) {
                let path = folder + "/" + name
                guard let attrs = try? fm.attributesOfItem(atPath: path) else { continue }
                let stem = folder + "/" + (name.hasSuffix(".mkv") ? String(name.dropLast(4)) : String(name.dropLast(6)))
                let size = (attrs[.size] as? NSNumber)?.int64Value ?? 0
                let modified = (attrs[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
                var s = byStem[stem] ?? SegmentFiles(stem: stem, paths: [], bytes: 0, modified: 0)
                s.paths.append(path)
                s.bytes += size
                s.modified = max(s.modified, modified)
                byStem[stem] = s
            }
        }
        return Array(byStem.values)
    }
}
