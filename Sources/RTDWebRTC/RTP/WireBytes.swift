/// Shared big-endian byte reading/writing for the binary protocols (STUN, RTP, RTCP).

/// Error thrown by every binary parser in this module: which layer, at which byte offset, and why.
public struct PacketParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Layer: String, Sendable {
        case stun = "STUN"
        case rtp = "RTP"
        case rtcp = "RTCP"
        case h264 = "H.264 RTP payload"
        case vp8 = "VP8 RTP payload"
    }

    public let layer: Layer
    /// Byte offset into the parsed buffer where the problem was detected.
    public let offset: Int
    public let reason: String

    public init(layer: Layer, offset: Int, reason: String) {
        self.layer = layer
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "\(layer.rawValue): \(reason) at byte \(offset)" }
}

/// Bounds-checked cursor over a byte array. Every read checks the remaining length first, so
/// hostile length fields turn into `PacketParseError`s instead of traps.
struct WebRTCWireReader {
    let bytes: [UInt8]
    let layer: PacketParseError.Layer
    private(set) var offset: Int
    /// Exclusive end of the region this reader may consume (lets callers scope a sub-packet).
    let end: Int

    init(_ bytes: [UInt8], layer: PacketParseError.Layer, from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        self.layer = layer
        let limit = min(end ?? bytes.count, bytes.count)
        self.end = max(limit, 0)
        self.offset = min(max(start, 0), self.end)
    }

    var remaining: Int { end - offset }
    var isAtEnd: Bool { offset >= end }

    func error(_ reason: String, at position: Int? = nil) -> PacketParseError {
        PacketParseError(layer: layer, offset: position ?? offset, reason: reason)
    }

    private func require(_ count: Int, _ what: String) throws(PacketParseError) {
        guard count >= 0, count <= remaining else {
            throw error("truncated \(what): need \(count) bytes, have \(remaining)")
        }
    }

    mutating func readU8(_ what: String) throws(PacketParseError) -> UInt8 {
        try require(1, what)
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func readU16(_ what: String) throws(PacketParseError) -> UInt16 {
        try require(2, what)
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    mutating func readU24(_ what: String) throws(PacketParseError) -> UInt32 {
        try require(3, what)
        defer { offset += 3 }
        return UInt32(bytes[offset]) << 16 | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2])
    }

    mutating func readU32(_ what: String) throws(PacketParseError) -> UInt32 {
        try require(4, what)
        defer { offset += 4 }
        return bytes.wireU32(at: offset)
    }

    mutating func readU64(_ what: String) throws(PacketParseError) -> UInt64 {
        let high = try readU32(what)
        let low = try readU32(what)
        return UInt64(high) << 32 | UInt64(low)
    }

    mutating func readBytes(_ count: Int, _ what: String) throws(PacketParseError) -> [UInt8] {
        try require(count, what)
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    mutating func skip(_ count: Int, _ what: String) throws(PacketParseError) {
        try require(count, what)
        offset += count
    }
}

extension Array where Element == UInt8 {
    /// Caller guarantees `index + 3 < count`.
    func wireU32(at index: Int) -> UInt32 {
        UInt32(self[index]) << 24 | UInt32(self[index + 1]) << 16
            | UInt32(self[index + 2]) << 8 | UInt32(self[index + 3])
    }

    mutating func wireAppend(_ value: UInt8) { append(value) }

    mutating func wireAppend(_ value: UInt16) {
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value))
    }

    mutating func wireAppend24(_ value: UInt32) {
        append(UInt8(truncatingIfNeeded: value >> 16))
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value))
    }

    mutating func wireAppend(_ value: UInt32) {
        append(UInt8(truncatingIfNeeded: value >> 24))
        append(UInt8(truncatingIfNeeded: value >> 16))
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value))
    }

    mutating func wireAppend(_ value: UInt64) {
        wireAppend(UInt32(truncatingIfNeeded: value >> 32))
        wireAppend(UInt32(truncatingIfNeeded: value))
    }

    /// Caller guarantees `index + 1 < count`.
    mutating func wireStore(_ value: UInt16, at index: Int) {
        self[index] = UInt8(truncatingIfNeeded: value >> 8)
        self[index + 1] = UInt8(truncatingIfNeeded: value)
    }

    /// Caller guarantees `index + 3 < count`.
    mutating func wireStore(_ value: UInt32, at index: Int) {
        self[index] = UInt8(truncatingIfNeeded: value >> 24)
        self[index + 1] = UInt8(truncatingIfNeeded: value >> 16)
        self[index + 2] = UInt8(truncatingIfNeeded: value >> 8)
        self[index + 3] = UInt8(truncatingIfNeeded: value)
    }

    /// Zero bytes up to the next multiple of four, as STUN attributes and RTCP packets require.
    mutating func wirePadTo4() {
        while count % 4 != 0 { append(0) }
    }
}
