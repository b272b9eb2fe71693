/// Types shared by the H.264 and VP8 payload formats.

/// One RTP payload produced by a packetizer, plus whether the packet carrying it gets the
/// marker bit (last packet of the frame). The payload is written after room for the RTP header,
/// so the packet is made in the same buffer (`RTPOutboundPacket(fragment:)`) without copying it.
public struct RTPPayloadFragment: Sendable, Hashable {
    /// The header rtd sends: 12 fixed bytes, then a one-byte extension block with slots for
    /// abs-send-time and the transport-wide sequence number (4 + 8).
    public static let headerRoom = 24
    /// `headerRoom` bytes, then the payload.
    public private(set) var storage: [UInt8]
    public var marker: Bool

    public var payload: [UInt8] { Array(storage[Self.headerRoom...]) }

    public init(payload: [UInt8], marker: Bool) {
        var storage = Self.buffer(capacity: payload.count)
        storage += payload
        self.init(storage: storage, marker: marker)
    }

    /// `storage` starts with `headerRoom` bytes (from `buffer(capacity:)`).
    init(storage: [UInt8], marker: Bool) {
        self.storage = storage
        self.marker = marker
    }

    /// A buffer holding the header room, with capacity for `capacity` more payload bytes.
    static func buffer(capacity: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(headerRoom + capacity)
        bytes.append(contentsOf: repeatElement(0, count: headerRoom))
        return bytes
    }
}

/// A frame rebuilt from RTP packets: Annex-B access unit for H.264, raw frame for VP8.
public struct AssembledVideoFrame: Sendable, Hashable {
    public var data: [UInt8]
    public var isKeyframe: Bool
    public var timestamp: UInt32

    public init(data: [UInt8], isKeyframe: Bool, timestamp: UInt32) {
        self.data = data
        self.isKeyframe = isKeyframe
        self.timestamp = timestamp
    }
}

public enum RTPDepacketizeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Packets or fragments are missing; the frame must be dropped (and a keyframe requested).
    case incompleteFrame(String)
    /// A payload violates its format; `packetIndex` is its position in the input list.
    case malformed(packetIndex: Int, PacketParseError)

    public var description: String {
        switch self {
        case .incompleteFrame(let reason): "incomplete frame: \(reason)"
        case .malformed(let index, let error): "packet \(index): \(error)"
        }
    }
}

enum FrameContinuity {
    /// The caller hands over the packets of one timestamp in sequence order; gaps or a missing
    /// marker mean packets were lost and the frame can't be trusted.
    static func check(_ packets: [RTPPacket]) throws(RTPDepacketizeError) -> UInt32 {
        guard let first = packets.first, let last = packets.last else {
            throw .incompleteFrame("no packets")
        }
        for (previous, next) in zip(packets, packets.dropFirst()) {
            guard next.timestamp == first.timestamp else {
                throw .incompleteFrame("packets span timestamps \(first.timestamp) and \(next.timestamp)")
            }
            guard next.sequenceNumber == previous.sequenceNumber &+ 1 else {
                throw .incompleteFrame("sequence gap between \(previous.sequenceNumber) and \(next.sequenceNumber)")
            }
        }
        guard last.marker else { throw .incompleteFrame("last packet \(last.sequenceNumber) lacks the marker bit") }
        return first.timestamp
    }

    /// Splits `total` bytes into the fewest chunks of at most `limit`, with sizes differing by at
    /// most one, so the last packet isn't a tiny runt.
    static func balancedChunks(total: Int, limit: Int) -> [Range<Int>] {
        guard total > 0, limit > 0 else { return [] }
        let count = (total + limit - 1) / limit
        let base = total / count
        let extra = total % count
        var ranges: [Range<Int>] = []
        var start = 0
        for index in 0..<count {
            let size = base + (index < extra ? 1 : 0)
            ranges.append(start..<(start + size))
            start += size
        }
        return ranges
    }
}
