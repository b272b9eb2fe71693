/// A serialized RTP packet built once per camera frame and re-headered cheaply per peer.
///
/// The header extension block reserves fixed slots for abs-send-time and the transport-wide
/// sequence number, so per-peer differences (negotiated ids, sequence numbers, SSRC, PT) are
/// plain byte stores at known offsets. The packet is made in its packetizer's buffer (the
/// payload already sits after the header room), and each peer copies it once, into the buffer
/// it is sent from, where SRTP encrypts it in place (each peer has its own keys).
public struct RTPOutboundPacket: Sendable, Hashable {
    public private(set) var bytes: [UInt8]
    /// Offset of the one-byte extension element header byte, if reserved.
    private let absSendTimeOffset: Int?
    private let transportSequenceOffset: Int?

    /// The packet in `fragment`'s own buffer: the header (with both extension slots) is written
    /// into its header room, the payload is not copied.
    public init(payloadType: UInt8, timestamp: UInt32, fragment: RTPPayloadFragment) {
        var bytes = fragment.storage
        let header: [UInt8] = [
            0x90, (fragment.marker ? 0x80 : 0) | (payloadType & 0x7F), 0, 0, // V=2, X=1; M, PT; sequence
            UInt8(truncatingIfNeeded: timestamp >> 24), UInt8(truncatingIfNeeded: timestamp >> 16),
            UInt8(truncatingIfNeeded: timestamp >> 8), UInt8(truncatingIfNeeded: timestamp),
            0, 0, 0, 0, // SSRC
            0xBE, 0xDE, 0, 2, // one-byte extensions (RFC 8285), 2 words
            0x12, 0, 0, 0, // placeholder id 1, abs-send-time (3 bytes)
            0x21, 0, 0, 0, // placeholder id 2, transport-wide sequence (2 bytes), padding
        ]
        bytes.withUnsafeMutableBufferPointer { buffer in
            for (i, byte) in header.enumerated() { buffer[i] = byte }
        }
        self.bytes = bytes
        absSendTimeOffset = 16
        transportSequenceOffset = 20
    }

    public init(payloadType: UInt8, sequenceNumber: UInt16 = 0, timestamp: UInt32, ssrc: UInt32 = 0,
                marker: Bool, payload: [UInt8], reserveAbsSendTime: Bool = true,
                reserveTransportSequence: Bool = true) {
        var elements: [RTPExtensionElement] = []
        // Placeholder ids; every peer overwrites them (or blanks them to padding).
        if reserveAbsSendTime { elements.append(RTPExtensionElement(id: 1, data: [0, 0, 0])) }
        if reserveTransportSequence { elements.append(RTPExtensionElement(id: 2, data: [0, 0])) }
        let packet = RTPPacket(marker: marker, payloadType: payloadType, sequenceNumber: sequenceNumber,
                               timestamp: timestamp, ssrc: ssrc,
                               headerExtension: elements.isEmpty ? nil : .oneByte(elements), payload: payload)
        bytes = packet.serialized()
        // Fixed header (12) + extension header (4); abs-send-time element first when present.
        absSendTimeOffset = reserveAbsSendTime ? 16 : nil
        transportSequenceOffset = reserveTransportSequence ? (reserveAbsSendTime ? 20 : 16) : nil
    }

    public var sequenceNumber: UInt16 { UInt16(bytes[2]) << 8 | UInt16(bytes[3]) }
    public var timestamp: UInt32 { bytes.wireU32(at: 4) }
    public var ssrc: UInt32 { bytes.wireU32(at: 8) }
    public var payloadType: UInt8 { bytes[1] & 0x7F }
    public var marker: Bool { bytes[1] & 0x80 != 0 }

    /// This packet as one peer sends it, written into `buffer` (at least `bytes.count` long):
    /// its header fields and extension values; returns the length. The one copy each peer
    /// needs (SRTP encrypts its own buffer), made straight into the buffer it is sent from.
    public func write(into buffer: UnsafeMutableRawBufferPointer, payloadType: UInt8, sequenceNumber: UInt16,
                      timestamp: UInt32, ssrc: UInt32, absSendTimeID: UInt8?, absSendTime: UInt32,
                      transportSequenceID: UInt8?, transportSequence: UInt16) -> Int {
        precondition(buffer.count >= bytes.count, "RTP packet buffer too small")
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
        buffer[1] = (bytes[1] & 0x80) | (payloadType & 0x7F)
        Self.store(sequenceNumber, at: 2, in: buffer)
        Self.store(timestamp, at: 4, in: buffer)
        Self.store(ssrc, at: 8, in: buffer)
        // Big-endian in place: this runs per packet per viewer, so no array per element.
        if let offset = absSendTimeOffset {
            Self.writeElement(buffer, at: offset, id: absSendTimeID, value: UInt64(absSendTime & 0xFF_FFFF), length: 3)
        }
        if let offset = transportSequenceOffset {
            Self.writeElement(buffer, at: offset, id: transportSequenceID, value: UInt64(transportSequence), length: 2)
        }
        return bytes.count
    }

    private static func store<T: FixedWidthInteger>(_ value: T, at offset: Int, in buffer: UnsafeMutableRawBufferPointer) {
        withUnsafeBytes(of: value.bigEndian) { bytes in
            for (i, byte) in bytes.enumerated() { buffer[offset + i] = byte }
        }
    }

    /// A one-byte-header element of `length` bytes, or padding of the same size when not negotiated.
    private static func writeElement(_ buffer: UnsafeMutableRawBufferPointer, at offset: Int, id: UInt8?,
                                     value: UInt64, length: Int) {
        if let id, (1...14).contains(id) {
            buffer[offset] = id << 4 | UInt8(length - 1)
            for i in 0..<length { buffer[offset + 1 + i] = UInt8(truncatingIfNeeded: value >> (8 * (length - 1 - i))) }
        } else {
            for i in 0...length { buffer[offset + i] = 0 }
        }
    }
}
