/// What a sender sent lately, by RTP sequence number, to answer NACKs (pion's send buffer).
///
/// A ring whose size is a power of two, indexed by the sequence number's low bits: as 2^16 is a
/// multiple of the size, the ring runs on across the 16-bit wrap with no special case, and the
/// one wrap-aware step is the age test in `entry(sequence:)`. It keeps the packet it was given
/// (an `RTPOutboundPacket` shares its bytes with every peer that sent that picture) and this
/// peer's header fields, not the protected bytes: a copy of every packet per peer was most of a
/// viewer's memory. A resend is the same packet protected again under the same index, so it is
/// byte for byte what was sent first.
public struct RetransmissionHistory: Sendable {
    public struct Entry: Sendable {
        public let packet: RTPOutboundPacket
        public let sequence: UInt16
        public let timestamp: UInt32
        public let absSendTime: UInt32
        public let transportSequence: UInt16

        public init(packet: RTPOutboundPacket, sequence: UInt16, timestamp: UInt32, absSendTime: UInt32, transportSequence: UInt16) {
            self.packet = packet
            self.sequence = sequence
            self.timestamp = timestamp
            self.absSendTime = absSendTime
            self.transportSequence = transportSequence
        }
    }

    private var slots: [Entry?]
    private let mask: Int
    /// The newest sequence number stored; older ones are found by their distance to it.
    private var newest: UInt16?

    /// `capacity` is rounded up to a power of two, at most 2^15 (half the sequence space, so that
    /// "older than the newest" stays meaningful).
    public init(capacity: Int) {
        var size = 1
        while size < min(max(capacity, 1), 1 << 15) { size <<= 1 }
        slots = Array(repeating: nil, count: size)
        mask = size - 1
    }

    public var capacity: Int { slots.count }

    public mutating func store(_ entry: Entry) {
        slots[Int(entry.sequence) & mask] = entry
        if let newest, Int16(bitPattern: entry.sequence &- newest) < 0 { return }
        newest = entry.sequence
    }

    /// The packet sent under `sequence`, if it is among the last `capacity` sent.
    public func entry(sequence: UInt16) -> Entry? {
        guard let newest, Int(newest &- sequence) < slots.count,
              let entry = slots[Int(sequence) & mask], entry.sequence == sequence else { return nil }
        return entry
    }
}
