import Foundation

/// The consumers of one producer thread (an encoder, a detector): added and removed from any
/// thread, read as a snapshot once per item produced.
public final class SubscriberList<Value>: @unchecked Sendable { // `values` guarded by `lock`
    // Guarded by `lock`.
    private let lock = NSLock()
    private var values: [UInt64: Value] = [:]
    private var nextID: UInt64 = 0

    public init() {}

    public func add(_ value: Value) -> UInt64 {
        lock.withLock {
            nextID += 1
            values[nextID] = value
            return nextID
        }
    }

    public func remove(_ id: UInt64) {
        lock.withLock { _ = values.removeValue(forKey: id) }
    }

    public var snapshot: [Value] { lock.withLock { Array(values.values) } }

    public var count: Int { lock.withLock { values.count } }
}
