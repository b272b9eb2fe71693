import Foundation

/// A one-slot, latest-wins hand-off between a producer running at its own pace (a camera) and a
/// consumer that may be slower. A value not taken before the next one arrives is dropped and
/// counted: real-time paths never build a queue.
public final class LatestMailbox<Value: Sendable>: @unchecked Sendable { // state guarded by `condition`
    // All mutable state below is guarded by `condition`.
    private let condition = NSCondition()
    private var slot: Value?
    private var closed = false
    private var failure: MediaError?
    private var dropped = 0

    public init() {}

    public func put(_ value: Value) {
        condition.lock()
        if slot != nil { dropped += 1 }
        slot = value
        condition.signal()
        condition.unlock()
    }

    /// Ends the stream; `take` returns what is left (unless `discardingPending`: a worker being
    /// stopped must not start on one more frame), then nil (or throws `error`).
    public func close(error: MediaError? = nil, discardingPending: Bool = false) {
        condition.lock()
        closed = true
        failure = error
        if discardingPending { slot = nil }
        condition.broadcast()
        condition.unlock()
    }

    /// Blocks for the newest value.
    public func take() throws(MediaError) -> Value? {
        condition.lock()
        defer { condition.unlock() }
        while slot == nil && !closed { condition.wait() }
        if let value = slot {
            slot = nil
            return value
        }
        if let failure { throw failure }
        return nil
    }

    public enum Timed {
        case value(Value)
        case timedOut
        /// Closed (with or without an error) and empty.
        case closed
    }

    /// Like `take`, but waits no later than `deadline`.
    public func take(until deadline: Date) -> Timed {
        condition.lock()
        defer { condition.unlock() }
        while slot == nil && !closed {
            if !condition.wait(until: deadline) { break }
        }
        if let value = slot {
            slot = nil
            return .value(value)
        }
        return closed ? .closed : .timedOut
    }

    public var isClosed: Bool {
        condition.lock()
        defer { condition.unlock() }
        return closed
    }

    /// Values replaced before they were taken.
    public var droppedFrames: Int {
        condition.lock()
        defer { condition.unlock() }
        return dropped
    }
}

/// What a frame consumer holds: the newest captured frame, drops counted.
public typealias LatestFrameMailbox = LatestMailbox<Frame>
