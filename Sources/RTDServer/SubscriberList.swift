import Foundation

/// The consumers of one producer thread (an encoder, a detector): added and removed from any
/// thread, read as a snapshot once per item produced.
final class SubscriberList<Value>: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var values: [UInt64: Value] = [:]
    private var nextID: UInt64 = 0

    func add(_ value: Value) -> UInt64 {
        lock.withLock {
            nextID += 1
            values[nextID] = value
            return nextID
        }
    }

    func remove(_ id: UInt64) {
        lock.withLock { _ = values.removeValue(forKey: id) }
    }

    var snapshot: [Value] { lock.withLock { Array(values.values) } }

    var count: Int { lock.withLock { values.count } }
}
