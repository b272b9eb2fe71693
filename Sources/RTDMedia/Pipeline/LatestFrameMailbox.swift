import Foundation

/// A one-slot, latest-wins hand-off between a producer running at its own pace (a camera) and a
/// consumer that may be slower. A frame not taken before the next one arrives is dropped and
/// counted: real-time paths never build a queue.
public final class LatestFrameMailbox: @unchecked Sendable {
    // All mutable state below is guarded by `condition`.
    private let condition = NSCondition()
    private var slot: Frame?
    private var closed = false
    private var failure: MediaError?
    private var dropped = 0

    public init() {}

    public func put(_ frame: Frame) {
        condition.lock()
        if slot != nil { dropped += 1 }
        slot = frame
        condition.signal()
        condition.unlock()
    }

    /// Ends the stream; `take` returns what is left, then nil (or throws `error`).
    public func close(error: MediaError? = nil) {
        condition.lock()
        closed = true
        failure = error
        condition.broadcast()
        condition.unlock()
    }

    /// Blocks for the newest frame.
    public func take() throws(MediaError) -> Frame? {
        condition.lock()
        defer { condition.unlock() }
        while slot == nil && !closed { condition.wait() }
        if let frame = slot {
            slot = nil
            return frame
        }
        if let failure { throw failure }
        return nil
    }

    public var isClosed: Bool {
        condition.lock()
        defer { condition.unlock() }
        return closed
    }

    public var droppedFrames: Int {
        condition.lock()
        defer { condition.unlock() }
        return dropped
    }
}
