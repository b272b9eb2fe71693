import Foundation

/// Fans one producer's frames out to any number of consumers, each with its own latest-wins
/// mailbox: a slow consumer (a detector) drops its own stale frames without holding back a fast
/// one (an encoder). Frames are shared by reference, never copied.
public final class FrameBroadcast: @unchecked Sendable { // state guarded by `lock`
    // Guarded by `lock`.
    private let lock = NSLock()
    private var mailboxes: [ObjectIdentifier: LatestFrameMailbox] = [:]
    private var latestFrame: Frame?
    private var closed = false

    public init() {}

    /// A new consumer. It starts with the newest frame, if there is one, so it never waits a
    /// whole frame interval for its first picture.
    public func subscribe() -> LatestFrameMailbox {
        let box = LatestFrameMailbox()
        lock.withLock {
            if closed {
                box.close()
            } else {
                mailboxes[ObjectIdentifier(box)] = box
                if let latestFrame { box.put(latestFrame) }
            }
        }
        return box
    }

    public func unsubscribe(_ box: LatestFrameMailbox) {
        lock.withLock { _ = mailboxes.removeValue(forKey: ObjectIdentifier(box)) }
        box.close()
    }

    public func publish(_ frame: Frame) {
        let targets = lock.withLock {
            latestFrame = frame
            return Array(mailboxes.values)
        }
        for box in targets { box.put(frame) }
    }

    public func close(error: MediaError? = nil) {
        let targets = lock.withLock {
            closed = true
            return Array(mailboxes.values)
        }
        for box in targets { box.close(error: error) }
    }

    public var latest: Frame? { lock.withLock { latestFrame } }
}
