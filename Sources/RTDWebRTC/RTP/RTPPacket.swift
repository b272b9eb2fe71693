/// RTP packet model (RFC 3550 §5.1) with RFC 8285 header extensions.

public struct RTPExtensionElement: Sendable, Hashable {
    public var id: UInt8
    public var data: [UInt8]

    public init(id: UInt8, data: [UInt8]) {
        self.id = id
        self.data = data
    }
}

public enum RTPHeaderExtension: Sendable, Hashable {
    /// Profile 0xBEDE: ids 1–14, 1–16 bytes of data each.
    case oneByte([RTPExtensionElement])
    /// Profile 0x100x: ids 1–255, 0–255 bytes each; `appBits` is the low nibble of the profile.
    case twoByte(appBits: UInt8, [RTPExtensionElement])
    /// Any other profile, kept verbatim.
    case opaque(profile: UInt16, data: [UInt8])

    static let oneByteProfile: UInt16 = 0xBEDE
    static let twoByteProfileMask: UInt16 = 0xFFF0
    static let twoByteProfile: UInt16 = 0x1000

    public var elements: [RTPExtensionElement] {
        switch self {
        case .oneByte(let elements), .twoByte(_, let elements): elements
        case .opaque: []
        }
    }

    public func data(forID id: UInt8) -> [UInt8]? {
        elements.first { $0.id == id }?.data
    }

    /// Parses the extension block's payload (after the 4-byte profile/length header).
    static func parse(profile: UInt16, data: [UInt8], baseOffset: Int) throws(PacketParseError) -> RTPHeaderExtension {
        if profile == oneByteProfile {
            var elements: [RTPExtensionElement] = []
            var index = 0
            while index < data.count {
                let byte = data[index]
                let id = byte >> 4
                // RFC 8285 §4.2: id 0 is reserved for padding, a single byte whatever its length
                // nibble says (as libwebrtc reads it); kept as an element it could not be re-sent.
                if id == 0 { index += 1; continue }
                // RFC 8285 §4.2: id 15 means stop processing the rest of the block.
                if id == 15 { break }
                let length = Int(byte & 0x0F) + 1
                guard length <= data.count - index - 1 else {
                    throw PacketParseError(layer: .rtp, offset: baseOffset + index,
                                           reason: "one-byte extension id \(id) length \(length) overruns the block")
                }
                elements.append(RTPExtensionElement(id: id, data: Array(data[(index + 1)...(index + length)])))
                index += 1 + length
            }
            return .oneByte(elements)
        }
        if profile & twoByteProfileMask == twoByteProfile {
            var elements: [RTPExtensionElement] = []
            var index = 0
            while index < data.count {
                let id = data[index]
                if id == 0 { index += 1; continue } // padding
                guard index + 1 < data.count else {
                    throw PacketParseError(layer: .rtp, offset: baseOffset + index, reason: "two-byte extension id \(id) lacks a length")
                }
                let length = Int(data[index + 1])
                guard length <= data.count - index - 2 else {
                    throw PacketParseError(layer: .rtp, offset: baseOffset + index,
                                           reason: "two-byte extension id \(id) length \(length) overruns the block")
                }
                elements.append(RTPExtensionElement(id: id, data: Array(data[(index + 2)..<(index + 2 + length)])))
                index += 2 + length
            }
            return .twoByte(appBits: UInt8(profile & 0x000F), elements)
        }
        return .opaque(profile: profile, data: data)
    }

    /// Appends profile, length and the padded element data.
    func encode(into out: inout [UInt8]) {
        var body: [UInt8] = []
        let profile: UInt16
        switch self {
        case .oneByte(let elements) where elements.allSatisfy({ (1...14).contains($0.id) && (1...16).contains($0.data.count) }):
            profile = Self.oneByteProfile
            for element in elements {
                body.append(element.id << 4 | UInt8(element.data.count - 1))
                body += element.data
            }
        case .oneByte(let elements):
            // Elements the one-byte form can't carry fall back to the two-byte form.
            profile = Self.twoByteProfile
            Self.encodeTwoByte(elements, into: &body)
        case .twoByte(let appBits, let elements):
            profile = Self.twoByteProfile | UInt16(appBits & 0x0F)
            Self.encodeTwoByte(elements, into: &body)
        case .opaque(let opaqueProfile, let data):
            profile = opaqueProfile
            body = data
        }
        body.wirePadTo4()
        out.wireAppend(profile)
        out.wireAppend(UInt16(truncatingIfNeeded: body.count / 4))
        out += body
    }

    private static func encodeTwoByte(_ elements: [RTPExtensionElement], into body: inout [UInt8]) {
        for element in elements where element.id != 0 {
            let data = element.data.prefix(255)
            body.append(element.id)
            body.append(UInt8(data.count))
            body += data
        }
    }
}

public struct RTPPacket: Sendable, Hashable {
    public var marker: Bool
    /// 7 bits.
    public var payloadType: UInt8
    public var sequenceNumber: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32
    public var csrcs: [UInt32]
    public var headerExtension: RTPHeaderExtension?
    public var payload: [UInt8]
    /// Number of padding bytes at the end including the count byte itself; 0 = no padding.
    public var paddingLength: UInt8

    public init(marker: Bool = false, payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32,
                csrcs: [UInt32] = [], headerExtension: RTPHeaderExtension? = nil, payload: [UInt8],
                paddingLength: UInt8 = 0) {
        self.marker = marker
        self.payloadType = payloadType & 0x7F
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.csrcs = csrcs
        self.headerExtension = headerExtension
        self.payload = payload
        self.paddingLength = paddingLength
    }

    public static func parse(_ bytes: [UInt8]) throws(PacketParseError) -> RTPPacket {
        var reader = WebRTCWireReader(bytes, layer: .rtp)
        let first = try reader.readU8("header")
        guard first >> 6 == 2 else { throw reader.error("RTP version \(first >> 6) is not 2", at: 0) }
        let hasPadding = first & 0x20 != 0
        let hasExtension = first & 0x10 != 0
        let csrcCount = Int(first & 0x0F)
        let second = try reader.readU8("header")
        let sequenceNumber = try reader.readU16("sequence number")
        let timestamp = try reader.readU32("timestamp")
        let ssrc = try reader.readU32("SSRC")
        var csrcs: [UInt32] = []
        for _ in 0..<csrcCount { csrcs.append(try reader.readU32("CSRC list")) }
        var headerExtension: RTPHeaderExtension?
        if hasExtension {
            let profile = try reader.readU16("extension profile")
            let words = Int(try reader.readU16("extension length"))
            let dataOffset = reader.offset
            let data = try reader.readBytes(words * 4, "header extension")
            headerExtension = try RTPHeaderExtension.parse(profile: profile, data: data, baseOffset: dataOffset)
        }
        var paddingLength: UInt8 = 0
        var payloadEnd = reader.end
        if hasPadding {
            guard let last = bytes.last, reader.remaining > 0 else { throw reader.error("padding bit set but no payload") }
            guard last >= 1, Int(last) <= reader.remaining else {
                throw reader.error("padding length \(last) invalid for \(reader.remaining) payload bytes", at: bytes.count - 1)
            }
            paddingLength = last
            payloadEnd -= Int(last)
        }
        let payload = Array(bytes[reader.offset..<payloadEnd])
        return RTPPacket(marker: second & 0x80 != 0, payloadType: second & 0x7F, sequenceNumber: sequenceNumber,
                         timestamp: timestamp, ssrc: ssrc, csrcs: csrcs, headerExtension: headerExtension,
                         payload: payload, paddingLength: paddingLength)
    }

    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        let csrcList = csrcs.prefix(15)
        out.reserveCapacity(12 + csrcList.count * 4 + payload.count + 32)
        var first: UInt8 = 0x80 | UInt8(csrcList.count)
        if paddingLength > 0 { first |= 0x20 }
        if headerExtension != nil { first |= 0x10 }
        out.append(first)
        out.append((marker ? 0x80 : 0) | (payloadType & 0x7F))
        out.wireAppend(sequenceNumber)
        out.wireAppend(timestamp)
        out.wireAppend(ssrc)
        for csrc in csrcList { out.wireAppend(csrc) }
        headerExtension?.encode(into: &out)
        out += payload
        if paddingLength > 0 {
            out += repeatElement(0, count: Int(paddingLength) - 1)
            out.append(paddingLength)
        }
        return out
    }

    /// Rewrites PT, sequence number, timestamp and SSRC of an already-serialized packet in place
    /// (fixed offsets 1–11), leaving marker, extensions and payload untouched. Returns false if
    /// `bytes` is too short to be an RTP packet.
    @discardableResult
    public static func rewriteHeader(_ bytes: inout [UInt8], payloadType: UInt8, sequenceNumber: UInt16,
                                     timestamp: UInt32, ssrc: UInt32) -> Bool {
        guard bytes.count >= 12 else { return false }
        bytes[1] = (bytes[1] & 0x80) | (payloadType & 0x7F)
        bytes.wireStore(sequenceNumber, at: 2)
        bytes.wireStore(timestamp, at: 4)
        bytes.wireStore(ssrc, at: 8)
        return true
    }
}
