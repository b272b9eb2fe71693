/// Sender/receiver reports, SDES and BYE (RFC 3550 §6.4–6.6).

public struct RTCPReportBlock: Sendable, Hashable {
    public var ssrc: UInt32
    /// Fraction lost since the last report, in 1/256 units.
    public var fractionLost: UInt8
    /// Cumulative packets lost (24-bit signed on the wire; duplicates can make it negative).
    public var cumulativeLost: Int32
    public var extendedHighestSequence: UInt32
    public var jitter: UInt32
    /// Middle 32 bits of the NTP timestamp of the last SR received from `ssrc` (0 if none).
    public var lastSenderReport: UInt32
    /// Delay since that SR, in 1/65536 s.
    public var delaySinceLastSenderReport: UInt32

    public init(ssrc: UInt32, fractionLost: UInt8 = 0, cumulativeLost: Int32 = 0, extendedHighestSequence: UInt32 = 0,
                jitter: UInt32 = 0, lastSenderReport: UInt32 = 0, delaySinceLastSenderReport: UInt32 = 0) {
        self.ssrc = ssrc
        self.fractionLost = fractionLost
        self.cumulativeLost = cumulativeLost
        self.extendedHighestSequence = extendedHighestSequence
        self.jitter = jitter
        self.lastSenderReport = lastSenderReport
        self.delaySinceLastSenderReport = delaySinceLastSenderReport
    }

    /// RFC 3550 §6.4.1: RTT = A − LSR − DLSR, where A is when this report arrived. Returns
    /// seconds, or nil when the peer hasn't seen an SR yet or clocks make the result negative.
    public func roundTripTime(arrival: NTPTimestamp) -> Double? {
        guard lastSenderReport != 0 else { return nil }
        let rtt = arrival.middle32 &- lastSenderReport &- delaySinceLastSenderReport
        guard rtt < 0x8000_0000 else { return nil }
        return Double(rtt) / 65_536
    }

    static let size = 24

    static func parse(_ reader: inout WebRTCWireReader) throws(PacketParseError) -> RTCPReportBlock {
        let ssrc = try reader.readU32("report block SSRC")
        let fraction = try reader.readU8("fraction lost")
        let lost = try reader.readU24("cumulative lost")
        // Sign-extend the 24-bit value.
        let cumulative = lost & 0x80_0000 != 0 ? Int32(lost) - 0x100_0000 : Int32(lost)
        return RTCPReportBlock(ssrc: ssrc, fractionLost: fraction, cumulativeLost: cumulative,
                               extendedHighestSequence: try reader.readU32("highest sequence"),
                               jitter: try reader.readU32("jitter"),
                               lastSenderReport: try reader.readU32("LSR"),
                               delaySinceLastSenderReport: try reader.readU32("DLSR"))
    }

    func encode(into out: inout [UInt8]) {
        out.wireAppend(ssrc)
        out.append(fractionLost)
        let clamped = min(max(cumulativeLost, -0x80_0000), 0x7F_FFFF)
        out.wireAppend24(UInt32(bitPattern: clamped) & 0xFF_FFFF)
        out.wireAppend(extendedHighestSequence)
        out.wireAppend(jitter)
        out.wireAppend(lastSenderReport)
        out.wireAppend(delaySinceLastSenderReport)
    }
}

public struct RTCPSenderReport: Sendable, Hashable {
    public var ssrc: UInt32
    public var ntpTimestamp: NTPTimestamp
    public var rtpTimestamp: UInt32
    public var packetCount: UInt32
    public var octetCount: UInt32
    public var reports: [RTCPReportBlock]
    /// Profile-specific extension bytes after the report blocks.
    public var profileExtension: [UInt8]

    public init(ssrc: UInt32, ntpTimestamp: NTPTimestamp, rtpTimestamp: UInt32, packetCount: UInt32,
                octetCount: UInt32, reports: [RTCPReportBlock] = [], profileExtension: [UInt8] = []) {
        self.ssrc = ssrc
        self.ntpTimestamp = ntpTimestamp
        self.rtpTimestamp = rtpTimestamp
        self.packetCount = packetCount
        self.octetCount = octetCount
        self.reports = reports
        self.profileExtension = profileExtension
    }
}

public struct RTCPReceiverReport: Sendable, Hashable {
    public var ssrc: UInt32
    public var reports: [RTCPReportBlock]
    public var profileExtension: [UInt8]

    public init(ssrc: UInt32, reports: [RTCPReportBlock] = [], profileExtension: [UInt8] = []) {
        self.ssrc = ssrc
        self.reports = reports
        self.profileExtension = profileExtension
    }
}

public struct RTCPSourceDescription: Sendable, Hashable {
    public struct Item: Sendable, Hashable {
        public static let cnameType: UInt8 = 1
        public var type: UInt8
        public var text: String

        public init(type: UInt8, text: String) {
            self.type = type
            self.text = text
        }
    }

    public struct Chunk: Sendable, Hashable {
        public var ssrc: UInt32
        public var items: [Item]

        public init(ssrc: UInt32, items: [Item]) {
            self.ssrc = ssrc
            self.items = items
        }
    }

    public var chunks: [Chunk]

    public init(chunks: [Chunk]) { self.chunks = chunks }

    public init(ssrc: UInt32, cname: String) {
        chunks = [Chunk(ssrc: ssrc, items: [Item(type: Item.cnameType, text: cname)])]
    }

    public var cnames: [UInt32: String] {
        var result: [UInt32: String] = [:]
        for chunk in chunks {
            if let item = chunk.items.first(where: { $0.type == Item.cnameType }) { result[chunk.ssrc] = item.text }
        }
        return result
    }
}

public struct RTCPGoodbye: Sendable, Hashable {
    public var ssrcs: [UInt32]
    public var reason: String?

    public init(ssrcs: [UInt32], reason: String? = nil) {
        self.ssrcs = ssrcs
        self.reason = reason
    }
}
