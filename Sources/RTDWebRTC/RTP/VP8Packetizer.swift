/// VP8 RTP packetization (RFC 7741) with a 4-byte payload descriptor: X=1, I=1 with a 15-bit
/// PictureID, S=1 on the first packet of a frame, PartID 0.
public struct VP8Packetizer: Sendable {
    public static let defaultMaxPayloadSize = 1200
    static let descriptorSize = 4

    public let maxPayloadSize: Int
    /// PictureID for the next frame (15 bits).
    public private(set) var pictureID: UInt16

    public init(maxPayloadSize: Int = VP8Packetizer.defaultMaxPayloadSize,
                initialPictureID: UInt16 = UInt16.random(in: 0...0x7FFF)) {
        self.maxPayloadSize = max(maxPayloadSize, Self.descriptorSize + 1)
        self.pictureID = initialPictureID & 0x7FFF
    }

    public mutating func packetize(frame: [UInt8]) -> [RTPPayloadFragment] {
        let chunks = FrameContinuity.balancedChunks(total: frame.count, limit: maxPayloadSize - Self.descriptorSize)
        guard !chunks.isEmpty else { return [] }
        let id = pictureID
        pictureID = (pictureID &+ 1) & 0x7FFF
        return chunks.enumerated().map { index, range in
            var payload = RTPPayloadFragment.buffer(capacity: Self.descriptorSize + range.count)
            payload += [
                index == 0 ? 0x90 : 0x80, // X=1, S on first, PartID 0
                0x80, // I=1
                0x80 | UInt8(id >> 8), // M=1: 15-bit PictureID
                UInt8(truncatingIfNeeded: id),
            ]
            payload += frame[range]
            return RTPPayloadFragment(storage: payload, marker: index == chunks.count - 1)
        }
    }
}

/// Parsed VP8 payload descriptor (RFC 7741 §4.2).
public struct VP8PayloadDescriptor: Sendable, Hashable {
    public var nonReference: Bool
    public var startOfPartition: Bool
    public var partitionID: UInt8
    public var pictureID: UInt16?
    public var tl0PictureIndex: UInt8?
    public var temporalLayer: UInt8?
    public var layerSync: Bool
    public var keyIndex: UInt8?
    /// Bytes the descriptor occupies; the VP8 payload starts here.
    public var size: Int

    public static func parse(_ payload: [UInt8]) throws(PacketParseError) -> VP8PayloadDescriptor {
        var reader = WebRTCWireReader(payload, layer: .vp8)
        let first = try reader.readU8("payload descriptor")
        var descriptor = VP8PayloadDescriptor(nonReference: first & 0x20 != 0, startOfPartition: first & 0x10 != 0,
                                              partitionID: first & 0x07, layerSync: false, size: 1)
        if first & 0x80 != 0 {
            let extended = try reader.readU8("extended control bits")
            if extended & 0x80 != 0 {
                let high = try reader.readU8("PictureID")
                if high & 0x80 != 0 {
                    let low = try reader.readU8("PictureID")
                    descriptor.pictureID = UInt16(high & 0x7F) << 8 | UInt16(low)
                } else {
                    descriptor.pictureID = UInt16(high)
                }
            }
            if extended & 0x40 != 0 { descriptor.tl0PictureIndex = try reader.readU8("TL0PICIDX") }
            if extended & 0x30 != 0 {
                let tidKey = try reader.readU8("TID/KEYIDX")
                if extended & 0x20 != 0 {
                    descriptor.temporalLayer = tidKey >> 6
                    descriptor.layerSync = tidKey & 0x20 != 0
                }
                if extended & 0x10 != 0 { descriptor.keyIndex = tidKey & 0x1F }
            }
        }
        descriptor.size = reader.offset
        return descriptor
    }
}

/// Rebuilds VP8 frames from RFC 7741 payloads.
public enum VP8Depacketizer {
    /// `packets` are all packets of one timestamp, in sequence order.
    public static func assemble(_ packets: [RTPPacket]) throws(RTPDepacketizeError) -> AssembledVideoFrame {
        let timestamp = try FrameContinuity.check(packets)
        return try assemble(payloads: packets.map(\.payload), timestamp: timestamp)
    }

    public static func assemble(payloads: [[UInt8]], timestamp: UInt32 = 0) throws(RTPDepacketizeError) -> AssembledVideoFrame {
        var frame: [UInt8] = []
        var isKeyframe = false
        for (index, payload) in payloads.enumerated() {
            let descriptor: VP8PayloadDescriptor
            do {
                descriptor = try VP8PayloadDescriptor.parse(payload)
            } catch {
                throw .malformed(packetIndex: index, error)
            }
            let startsFrame = descriptor.startOfPartition && descriptor.partitionID == 0
            if index == 0 {
                guard startsFrame else { throw .incompleteFrame("first packet of the frame (S=1, PartID=0) missing") }
                guard descriptor.size < payload.count else {
                    throw .malformed(packetIndex: 0, PacketParseError(layer: .vp8, offset: descriptor.size,
                                                                     reason: "first packet has no VP8 payload header"))
                }
                // VP8 payload header P bit (RFC 7741 §4.3): 0 = key frame.
                isKeyframe = payload[descriptor.size] & 0x01 == 0
            } else if startsFrame {
                throw .malformed(packetIndex: index, PacketParseError(layer: .vp8, offset: 0,
                                                                     reason: "second start of partition 0 within one frame"))
            }
            frame += payload[descriptor.size...]
        }
        guard !frame.isEmpty else { throw .incompleteFrame("no packets") }
        return AssembledVideoFrame(data: frame, isKeyframe: isKeyframe, timestamp: timestamp)
    }
}
