import Foundation
import Logging

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
/// camera starts a new segment. Only files named like segments are ever touched.
public final class RecordingRetention: @unchecked Sendable {
    public let directory: String
    private let retain: Double?
    private let maxBytes: Int64?
    private let logger: Logger
    // Guarded by `lock`: full paths (without extension) of segments being written.
    private let lock = NSLock()
    private var active: Set<String> = []
    private var stopped = false
    private let sweepLock = NSLock()

    public init(settings: RecordingSettings, logger: Logger) {
        directory = settings.directory
        retain = settings.retainSeconds
        maxBytes = settings.maxBytes
        self.logger = logger
    }

    var hasLimits: Bool { retain != nil || maxBytes != nil }

    func markActive(_ stem: String) { lock.withLock { _ = active.insert(stem) } }
    func markDone(_ stem: String) { lock.withLock { _ = active.remove(stem) } }

    /// Sweeps every `interval` seconds on its own thread until stopped.
    public func startPeriodic(interval: Double = 60) {
        guard hasLimits else { return }
        let thread = Thread { [self] in
            while true {
                let until = Date().addingTimeInterval(interval)
                while Date() < until {
                    if lock.withLock({ stopped }) { return }
                    Thread.sleep(forTimeInterval: 0.25)
                }
                sweep()
            }
        }
        thread.name = "retention"
        thread.start()
    }

    public func stop() { lock.withLock { stopped = true } }

    /// Deletes what the limits say must go; returns the deleted paths.
    @discardableResult
    public func sweep(now: Double = Date().timeIntervalSince1970) -> [String] {
        guard hasLimits else { return [] }
        return sweepLock.withLock {
            let segments = scan()
            let activeNow = lock.withLock { active }
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
