/// A serialized RTP packet built once per camera frame and re-headered cheaply per peer.
///
/// The header extension block reserves fixed slots for abs-send-time and the transport-wide
/// sequence number, so per-peer differences (negotiated ids, sequence numbers, SSRC, PT) are
/// plain byte stores at known offsets. Copying the value for each peer costs one array copy,
/// which each peer needs anyway because SRTP encrypts its own buffer.
public struct RTPOutboundPacket: Sendable, Hashable {
    public private(set) var bytes: [UInt8]
    /// Offset of the one-byte extension element header byte, if reserved.
    private let absSendTimeOffset: Int?
    private let transportSequenceOffset: Int?

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

    /// This packet as one peer sends it: a new buffer holding its header fields and extension
    /// values, with `tailroom` spare capacity so SRTP can append its tag in place. The one copy
    /// each peer needs (SRTP encrypts its own buffer).
    public func bytes(payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32,
                      absSendTimeID: UInt8?, absSendTime: UInt32, transportSequenceID: UInt8?, transportSequence: UInt16,
                      tailroom: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + tailroom)
        out.append(contentsOf: bytes)
        RTPPacket.rewriteHeader(&out, payloadType: payloadType, sequenceNumber: sequenceNumber, timestamp: timestamp, ssrc: ssrc)
        if let offset = absSendTimeOffset { Self.writeElement(&out, at: offset, id: absSendTimeID, data: AbsSendTime.encode(absSendTime)) }
        if let offset = transportSequenceOffset {
            Self.writeElement(&out, at: offset, id: transportSequenceID, data: TransportSequenceNumber.encode(transportSequence))
        }
        return out
    }

    public mutating func setHeader(payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32) {
        RTPPacket.rewriteHeader(&bytes, payloadType: payloadType, sequenceNumber: sequenceNumber,
                                timestamp: timestamp, ssrc: ssrc)
    }

    /// Writes abs-send-time under the peer's negotiated id, or turns the slot into padding
    /// (zero bytes) when the peer didn't negotiate it (`id` nil or outside 1–14).
    public mutating func setAbsSendTime(id: UInt8?, value: UInt32) {
        guard let offset = absSendTimeOffset else { return }
        Self.writeElement(&bytes, at: offset, id: id, data: AbsSendTime.encode(value))
    }

    public mutating func setTransportSequenceNumber(id: UInt8?, value: UInt16) {
        guard let offset = transportSequenceOffset else { return }
        Self.writeElement(&bytes, at: offset, id: id, data: TransportSequenceNumber.encode(value))
    }

    private static func writeElement(_ bytes: inout [UInt8], at offset: Int, id: UInt8?, data: [UInt8]) {
        if let id, (1...14).contains(id) {
            bytes[offset] = id << 4 | UInt8(data.count - 1)
            for (i, byte) in data.enumerated() { bytes[offset + 1 + i] = byte }
        } else {
            for i in 0...data.count { bytes[offset + i] = 0 }
        }
    }
}
