import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The one way frame work runs (encode, detect, JPEG, burn-in): a named thread that takes the
/// newest input from a latest-wins mailbox (stale input is dropped and counted, never queued),
/// processes it with state only that thread touches, and hands each result to the subscribers
/// of the moment. `stop()` closes the mailbox, which wakes the thread: it finishes the item in
/// hand, if any, and exits; nothing polls.
///
/// The worker does not start itself: its owner creates it, finishes its own initialisation, then
/// calls `start` with a closure that may capture the owner.
public final class FrameWorker<Input: Sendable, Output: Sendable>: @unchecked Sendable { // `started`/`finished` guarded by `condition`
    public typealias Subscriber = @Sendable (Output) -> Void

    public let name: String
    /// Where input arrives: the worker's own, or one a `FrameBroadcast` feeds.
    public let mailbox: LatestMailbox<Input>
    private let subscribers = SubscriberList<Subscriber>()
    private let detach: @Sendable () -> Void
    // Guarded by `condition`: whether the thread has started and has exited.
    private let condition = NSCondition()
    private var started = false
    private var finished = false

    /// `detach` runs on `stop()`, before the mailbox closes (e.g. leaving a broadcast).
    public init(name: String, mailbox: LatestMailbox<Input> = LatestMailbox(), detach: @escaping @Sendable () -> Void = {}) {
        self.name = name
        self.mailbox = mailbox
        self.detach = detach
    }

    /// Starts the thread (once): `makeState` runs on it first, then `process` for every input
    /// taken, with the subscribers at that moment (empty: the work may be skipped); `finish` when
    /// the mailbox has closed (stopped, or its broadcast ended).
    public func start<State>(qualityOfService: QualityOfService = .default, makeState: @escaping @Sendable () -> State,
                             process: @escaping @Sendable (inout State, Input, [Subscriber]) -> Void,
                             finish: @escaping @Sendable (inout State) -> Void = { _ in }) {
        let first = condition.withLock {
            defer { started = true }
            return !started
        }
        guard first else { return }
        let thread = Thread { [name, mailbox, subscribers, condition] in
            nameCurrentThread(name)
            var state = makeState()
            // A closed mailbox with an error ends the worker like one closed without.
            while let input = try? mailbox.take() {
                process(&state, input, subscribers.snapshot)
            }
            finish(&state)
            condition.withLock { self.finished = true }
            condition.broadcast()
        }
        thread.name = name
        thread.qualityOfService = qualityOfService
        thread.start()
    }

    /// A worker without state of its own.
    public func start(qualityOfService: QualityOfService = .default, process: @escaping @Sendable (Input, [Subscriber]) -> Void,
                      finish: @escaping @Sendable () -> Void = {}) {
        start(qualityOfService: qualityOfService, makeState: {}, process: { _, input, targets in process(input, targets) },
              finish: { _ in finish() })
    }

    /// Latest wins: an input still waiting is replaced (and counted in `droppedInputs`).
    public func put(_ input: Input) { mailbox.put(input) }

    public func subscribe(_ subscriber: @escaping Subscriber) -> UInt64 { subscribers.add(subscriber) }

    public func unsubscribe(_ id: UInt64) { subscribers.remove(id) }

    public var subscriberCount: Int { subscribers.count }

    /// Inputs replaced before the thread took them (it was busy).
    public var droppedInputs: Int { mailbox.droppedFrames }

    /// Wakes the thread and lets it exit after the item in hand; returns at once.
    public func stop() {
        detach()
        mailbox.close(discardingPending: true)
    }

    /// Blocks until the thread has exited after `stop()` (or the mailbox closed); false on timeout.
    /// True at once for a worker never started.
    @discardableResult
    public func waitUntilStopped(timeout: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while started && !finished {
            if !condition.wait(until: deadline) { return finished }
        }
        return true
    }
}

extension FrameWorker where Input == Frame {
    /// A worker on the frames of `broadcast`: it starts with the newest frame, if there is one,
    /// and leaves the broadcast on `stop()`.
    public convenience init(name: String, broadcast: FrameBroadcast) {
        let mailbox = broadcast.subscribe()
        self.init(name: name, mailbox: mailbox) { broadcast.unsubscribe(mailbox) }
    }
}

/// Gives the calling thread its name in the kernel too (top -H, perf, /proc/PID/task/N/comm):
/// Foundation's `Thread.name` does not reach it on Linux, so every frame thread showed as a
/// dispatch queue's. Threads an encoder or OpenCV start from it inherit the name, so their CPU
/// is told apart as well. Written where proc(5) lets a thread rename itself (pthread_setname_np
/// is not in Swift's Glibc module); Linux keeps the first 15 bytes.
func nameCurrentThread(_ name: String) {
    #if canImport(Glibc)
    let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return }
    let bytes = Array(name.utf8.prefix(15))
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
    #endif
}
