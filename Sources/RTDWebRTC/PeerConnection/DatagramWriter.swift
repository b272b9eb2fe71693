/// Where a peer writes the datagrams it sends: the caller's own send buffers (a NIO ByteBuffer,
/// say), so a packet is written once, where it is sent from, and encrypted there.
public protocol DatagramWriter {
    /// Calls `fill` with at least `capacity` writable bytes; `fill` returns how many it wrote
    /// (0: nothing to send).
    mutating func write(capacity: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Int)
}

/// Datagrams collected as arrays (tests, and paths where a copy does not matter).
public struct DatagramList: DatagramWriter {
    public private(set) var datagrams: [[UInt8]] = []

    public init() {}

    public mutating func write(capacity: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Int) {
        var bytes = [UInt8](repeating: 0, count: capacity)
        let written = bytes.withUnsafeMutableBytes { fill($0) }
        guard written > 0 else { return }
        bytes.removeLast(capacity - written)
        datagrams.append(bytes)
    }
}
