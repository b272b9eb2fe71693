/// STUN message framing (RFC 8489 §5–6): header, message type encoding, attribute TLVs.

public enum STUNMessageClass: UInt8, Sendable {
    case request = 0
    case indication = 1
    case successResponse = 2
    case errorResponse = 3
}

public struct STUNMessageType: Hashable, Sendable {
    /// 12-bit method; 0x001 is Binding, the only method ICE uses.
    public var method: UInt16
    public var messageClass: STUNMessageClass

    public static let bindingMethod: UInt16 = 0x001
    public static let bindingRequest = STUNMessageType(method: bindingMethod, messageClass: .request)
    public static let bindingSuccess = STUNMessageType(method: bindingMethod, messageClass: .successResponse)
    public static let bindingError = STUNMessageType(method: bindingMethod, messageClass: .errorResponse)
    public static let bindingIndication = STUNMessageType(method: bindingMethod, messageClass: .indication)

    public init(method: UInt16, messageClass: STUNMessageClass) {
        self.method = method & 0x0FFF
        self.messageClass = messageClass
    }

    /// The class bits are interleaved with the method bits: M11..M7 C1 M6..M4 C0 M3..M0.
    public init(rawValue: UInt16) {
        let method = (rawValue & 0x000F) | ((rawValue & 0x00E0) >> 1) | ((rawValue & 0x3E00) >> 2)
        let classBits = UInt8(truncatingIfNeeded: ((rawValue >> 4) & 0x1) | ((rawValue >> 7) & 0x2))
        self.method = method
        self.messageClass = STUNMessageClass(rawValue: classBits) ?? .request
    }

    public var rawValue: UInt16 {
        let m = method & 0x0FFF
        let c = UInt16(messageClass.rawValue)
        return (m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2) | ((c & 0x1) << 4) | ((c & 0x2) << 7)
    }
}

public struct STUNMessage: Sendable, Equatable {
    public static let magicCookie: UInt32 = 0x2112_A442
    public static let headerLength = 20

    public var type: STUNMessageType
    /// Always 12 bytes.
    public var transactionID: [UInt8]
    /// In wire order. MESSAGE-INTEGRITY and FINGERPRINT appear here after parsing; when
    /// serializing, use `serialized(integrityKey:fingerprint:)` to have them computed.
    public var attributes: [STUNAttribute]

    public init(type: STUNMessageType, transactionID: [UInt8] = STUNMessage.randomTransactionID(),
                attributes: [STUNAttribute] = []) {
        self.type = type
        self.transactionID = transactionID
        self.attributes = attributes
    }

    public static func randomTransactionID() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<12).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// True when the first bytes look like STUN (top bits 00 and the magic cookie); cheap pre-check
    /// for demultiplexing before a full parse.
    public static func looksLikeSTUN(_ bytes: [UInt8]) -> Bool {
        bytes.count >= headerLength && bytes[0] & 0xC0 == 0 && bytes.wireU32(at: 4) == magicCookie
    }

    // MARK: Parsing

    public static func parse(_ bytes: [UInt8]) throws(PacketParseError) -> STUNMessage {
        var reader = WebRTCWireReader(bytes, layer: .stun)
        let rawType = try reader.readU16("message type")
        guard rawType & 0xC000 == 0 else {
            throw reader.error("first two bits of a STUN message must be zero", at: 0)
        }
        let length = Int(try reader.readU16("message length"))
        guard length % 4 == 0 else { throw reader.error("message length \(length) is not a multiple of 4", at: 2) }
        let cookie = try reader.readU32("magic cookie")
        guard cookie == magicCookie else { throw reader.error("bad magic cookie", at: 4) }
        let transactionID = try reader.readBytes(12, "transaction ID")
        guard bytes.count == headerLength + length else {
            throw reader.error("message length \(length) disagrees with datagram size \(bytes.count)", at: 2)
        }
        var attributes: [STUNAttribute] = []
        while !reader.isAtEnd {
            let start = reader.offset
            let type = try reader.readU16("attribute type")
            let valueLength = Int(try reader.readU16("attribute length"))
            let valueStart = reader.offset
            let value = try reader.readBytes(valueLength, "attribute 0x\(String(type, radix: 16)) value")
            try reader.skip((4 - valueLength % 4) % 4, "attribute padding")
            attributes.append(try STUNAttribute.decode(type: type, value: value, transactionID: transactionID,
                                                       valueOffset: valueStart, attributeOffset: start))
        }
        return STUNMessage(type: STUNMessageType(rawValue: rawType), transactionID: transactionID, attributes: attributes)
    }

    // MARK: Serialization

    /// Serializes the message. With `integrityKey`, a MESSAGE-INTEGRITY (HMAC-SHA1) is appended;
    /// with `fingerprint`, a FINGERPRINT is appended last. Existing integrity/fingerprint
    /// attributes in `attributes` are written verbatim, so don't pass both.
    public func serialized(integrityKey: [UInt8]? = nil, fingerprint: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        out.wireAppend(type.rawValue)
        out.wireAppend(UInt16(0))
        out.wireAppend(Self.magicCookie)
        out.append(contentsOf: transactionID.prefix(12))
        out.append(contentsOf: repeatElement(0, count: max(0, 12 - transactionID.count)))
        for attribute in attributes {
            attribute.encode(into: &out, transactionID: transactionID)
        }
        if let integrityKey {
            // The length field must already count the MESSAGE-INTEGRITY attribute being added.
            Self.setLength(&out, out.count - Self.headerLength + 24)
            let mac = STUNCrypto.hmacSHA1(key: integrityKey, data: out)
            STUNAttribute.messageIntegrity(mac).encode(into: &out, transactionID: transactionID)
        }
        if fingerprint {
            Self.setLength(&out, out.count - Self.headerLength + 8)
            let crc = WebRTCCRC32.checksum(out) ^ STUNCrypto.fingerprintXOR
            STUNAttribute.fingerprint(crc).encode(into: &out, transactionID: transactionID)
        }
        Self.setLength(&out, out.count - Self.headerLength)
        return out
    }

    private static func setLength(_ bytes: inout [UInt8], _ length: Int) {
        bytes.wireStore(UInt16(truncatingIfNeeded: length), at: 2)
    }

    // MARK: Convenience accessors

    public var username: String? {
        for case .username(let value) in attributes { return value }
        return nil
    }

    public var priority: UInt32? {
        for case .priority(let value) in attributes { return value }
        return nil
    }

    public var useCandidate: Bool { attributes.contains(.useCandidate) }

    public var xorMappedAddress: STUNAddress? {
        for case .xorMappedAddress(let value) in attributes { return value }
        return nil
    }

    public var errorCode: (code: Int, reason: String)? {
        for case .errorCode(let code, let reason) in attributes { return (code, reason) }
        return nil
    }

    public var iceControlling: UInt64? {
        for case .iceControlling(let value) in attributes { return value }
        return nil
    }

    public var iceControlled: UInt64? {
        for case .iceControlled(let value) in attributes { return value }
        return nil
    }

    /// Comprehension-required attribute types (< 0x8000) this implementation doesn't understand;
    /// a request carrying any must be answered with 420 and UNKNOWN-ATTRIBUTES.
    public var unknownComprehensionRequired: [UInt16] {
        attributes.compactMap {
            if case .other(let type, _) = $0, type < 0x8000 { return type }
            return nil
        }
    }
}
