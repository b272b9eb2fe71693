import Dispatch
import Foundation
import Synchronization
import Testing
@testable import RTDMedia

/// The one frame worker: latest-wins input, subscribers of the moment, a stop that wakes it.
@Suite struct FrameWorkerTests {
    /// Blocks the worker inside `process` until the test lets it go, and reports each item done.
    final class Gate: Sendable {
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        let seen = Mutex<[Int]>([])
        func wait(_ s: DispatchSemaphore) -> Bool { s.wait(timeout: .now() + 5) == .success }
    }

    private func gatedWorker(_ gate: Gate) -> FrameWorker<Int, Int> {
        let worker = FrameWorker<Int, Int>(name: "test worker")
        worker.start { input, targets in
            gate.entered.signal()
            _ = gate.release.wait(timeout: .now() + 5)
            gate.seen.withLock { $0.append(input) }
            for deliver in targets { deliver(input * 10) }
            gate.done.signal()
        }
        return worker
    }

    @Test func dropsStaleInputAndProcessesTheLatest() {
        let gate = Gate()
        let worker = gatedWorker(gate)
        defer { worker.stop() }
        worker.put(1)
        #expect(gate.wait(gate.entered))
        // Busy with 1: of 2, 3 and 4 only the newest is kept.
        worker.put(2)
        worker.put(3)
        worker.put(4)
        gate.release.signal()
        #expect(gate.wait(gate.done))
        #expect(gate.wait(gate.entered))
        gate.release.signal()
        #expect(gate.wait(gate.done))
        #expect(gate.seen.withLock { $0 } == [1, 4])
        #expect(worker.droppedInputs == 2)
    }

    @Test func subscribersAddedAndRemovedWhileRunning() {
        let gate = Gate()
        let worker = gatedWorker(gate)
        defer { worker.stop() }
        let a = Mutex<[Int]>([]), b = Mutex<[Int]>([])
        let idA = worker.subscribe { v in a.withLock { $0.append(v) } }
        func step(_ n: Int) {
            worker.put(n)
            gate.release.signal()
            #expect(gate.wait(gate.done))
        }
        step(1)
        let idB = worker.subscribe { v in b.withLock { $0.append(v) } }
        step(2)
        worker.unsubscribe(idA)
        step(3)
        worker.unsubscribe(idB)
        step(4)
        #expect(a.withLock { $0 } == [10, 20])
        #expect(b.withLock { $0 } == [20, 30])
        #expect(worker.subscriberCount == 0)
        // With nobody subscribed the input is still taken (the process decides to skip the work).
        #expect(gate.seen.withLock { $0 } == [1, 2, 3, 4])
    }

    @Test func stopWakesAnIdleWorkerAtOnce() {
        let finished = Mutex(false)
        let worker = FrameWorker<Int, Never>(name: "idle worker")
        worker.start(process: { _, _ in }, finish: { finished.withLock { $0 = true } })
        let started = Date()
        worker.stop()
        #expect(worker.waitUntilStopped(timeout: 5))
        #expect(Date().timeIntervalSince(started) < 1)
        #expect(finished.withLock { $0 })
    }

    @Test func stopDiscardsInputNotYetStarted() {
        let gate = Gate()
        let worker = gatedWorker(gate)
        worker.put(1)
        #expect(gate.wait(gate.entered))
        worker.put(2)
        worker.stop()
        gate.release.signal()
        #expect(worker.waitUntilStopped(timeout: 5))
        #expect(gate.seen.withLock { $0 } == [1])
        // Put after stop goes nowhere.
        worker.put(3)
        #expect(gate.seen.withLock { $0 } == [1])
    }

    @Test func onABroadcastItStartsWithTheNewestFrameAndLeavesOnStop() {
        let broadcast = FrameBroadcast()
        let pattern = TestPattern(width: 16, height: 8, stamp: false)
        broadcast.publish(pattern.render(index: 7, pts: 0, capturedAt: 0))
        let got = Mutex<[Int]>([])
        let processed = DispatchSemaphore(value: 0)
        let worker = FrameWorker<Frame, Int>(name: "broadcast worker", broadcast: broadcast)
        worker.start { frame, _ in
            got.withLock { $0.append(frame.index) }
            processed.signal()
        }
        #expect(processed.wait(timeout: .now() + 5) == .success)
        broadcast.publish(pattern.render(index: 8, pts: 0, capturedAt: 0))
        #expect(processed.wait(timeout: .now() + 5) == .success)
        worker.stop()
        #expect(worker.waitUntilStopped(timeout: 5))
        broadcast.publish(pattern.render(index: 9, pts: 0, capturedAt: 0))
        #expect(got.withLock { $0 } == [7, 8])
        #expect(worker.mailbox.isClosed)
    }

    @Test func timedTakeTimesOutThenSeesTheClose() {
        let box = LatestMailbox<Int>()
        guard case .timedOut = box.take(until: Date(timeIntervalSinceNow: 0.05)) else { Issue.record("expected a timeout"); return }
        box.put(1)
        guard case .value(1) = box.take(until: Date(timeIntervalSinceNow: 5)) else { Issue.record("expected 1"); return }
        box.close()
        guard case .closed = box.take(until: Date(timeIntervalSinceNow: 5)) else { Issue.record("expected closed"); return }
    }
}
