import COpenSSL

/// TURN (RFC 8656) on top of the STUN codec: its methods, its attributes (carried as
/// `STUNAttribute.other` and read through accessors that return nil for a malformed value, so a
/// hostile server's answer never traps), the long-term credential key, and ChannelData framing
/// for UDP and for TURN over TCP.
public enum TURNMethod {
    public static let allocate: UInt16 = 0x003
    public static let refresh: UInt16 = 0x004
    public static let send: UInt16 = 0x006
    public static let data: UInt16 = 0x007
    public static let createPermission: UInt16 = 0x008
    public static let channelBind: UInt16 = 0x009
}

public enum TURNAttributeType {
    public static let channelNumber: UInt16 = 0x000C
    public static let lifetime: UInt16 = 0x000D
    public static let xorPeerAddress: UInt16 = 0x0012
    public static let data: UInt16 = 0x0013
    public static let realm: UInt16 = 0x0014
    public static let nonce: UInt16 = 0x0015
    public static let xorRelayedAddress: UInt16 = 0x0016
    public static let requestedTransport: UInt16 = 0x0019
}

extension STUNAttribute {
    public static func channelNumber(_ number: UInt16) -> STUNAttribute {
        var value: [UInt8] = []
        value.wireAppend(number)
        value.wireAppend(UInt16(0))
        return .other(type: TURNAttributeType.channelNumber, value: value)
    }

    public static func lifetime(_ seconds: UInt32) -> STUNAttribute {
        var value: [UInt8] = []
        value.wireAppend(seconds)
        return .other(type: TURNAttributeType.lifetime, value: value)
    }

    /// XOR-PEER-ADDRESS: the value depends on the transaction ID, so it is made for one message.
    public static func xorPeerAddress(_ address: STUNAddress, transactionID: [UInt8]) -> STUNAttribute {
        .other(type: TURNAttributeType.xorPeerAddress, value: encodeAddress(address, xorWith: transactionID))
    }

    public static func data(_ bytes: [UInt8]) -> STUNAttribute { .other(type: TURNAttributeType.data, value: bytes) }
    public static func realm(_ text: String) -> STUNAttribute { .other(type: TURNAttributeType.realm, value: Array(text.utf8)) }
    public static func nonce(_ text: String) -> STUNAttribute { .other(type: TURNAttributeType.nonce, value: Array(text.utf8)) }

    /// REQUESTED-TRANSPORT: the relay's protocol (17 = UDP, the only one RFC 8656 allocates).
    public static func requestedTransport(_ protocolNumber: UInt8 = 17) -> STUNAttribute {
        .other(type: TURNAttributeType.requestedTransport, value: [protocolNumber, 0, 0, 0])
    }
}

extension STUNMessageType {
    public static let allocateRequest = STUNMessageType(method: TURNMethod.allocate, messageClass: .request)
    public static let refreshRequest = STUNMessageType(method: TURNMethod.refresh, messageClass: .request)
    public static let createPermissionRequest = STUNMessageType(method: TURNMethod.createPermission, messageClass: .request)
    public static let channelBindRequest = STUNMessageType(method: TURNMethod.channelBind, messageClass: .request)
    public static let sendIndication = STUNMessageType(method: TURNMethod.send, messageClass: .indication)
    public static let dataIndication = STUNMessageType(method: TURNMethod.data, messageClass: .indication)
}

extension STUNMessage {
    private func otherValue(_ type: UInt16) -> [UInt8]? {
        for case .other(let t, let value) in attributes where t == type { return value }
        return nil
    }

    /// REALM and NONCE are under 128 characters (RFC 8656 §18.x), at most 763 bytes.
    private func text(_ type: UInt16) -> String? {
        guard let value = otherValue(type), value.count <= 763 else { return nil }
        return String(validating: value, as: UTF8.self)
    }

    public var realm: String? { text(TURNAttributeType.realm) }
    public var nonce: String? { text(TURNAttributeType.nonce) }

    public var lifetime: UInt32? {
        guard let value = otherValue(TURNAttributeType.lifetime), value.count == 4 else { return nil }
        return value.wireU32(at: 0)
    }

    public var channelNumber: UInt16? {
        guard let value = otherValue(TURNAttributeType.channelNumber), value.count == 4 else { return nil }
        return UInt16(value[0]) << 8 | UInt16(value[1])
    }

    public var data: [UInt8]? { otherValue(TURNAttributeType.data) }

    private func xorAddress(_ type: UInt16) -> STUNAddress? {
        guard let value = otherValue(type) else { return nil }
        return try? STUNAttribute.decodeAddress(value, xorWith: transactionID) {
            PacketParseError(layer: .stun, offset: 0, reason: $0)
        }
    }

    public var xorRelayedAddress: STUNAddress? { xorAddress(TURNAttributeType.xorRelayedAddress) }
    public var xorPeerAddress: STUNAddress? { xorAddress(TURNAttributeType.xorPeerAddress) }
}

public enum TURNCredentials {
    /// The long-term credential key (RFC 8489 §9.2.2, MD5 variant): MD5(username ":" realm ":"
    /// password). Without SASLprep: the strings are used as given.
    public static func key(username: String, realm: String, password: String) -> [UInt8] {
        let input = Array("\(username):\(realm):\(password)".utf8)
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = input.withUnsafeBufferPointer { p in
            EVP_Digest(p.baseAddress, p.count, &digest, &length, EVP_md5(), nil)
        }
        return ok == 1 ? Array(digest.prefix(Int(length))) : []
    }
}

/// ChannelData messages (RFC 8656 §12.4): channel number (0x4000–0x4FFF), length, application
/// data; padded to a multiple of four over TCP (always sent padded there, optional over UDP).
public enum TURNChannelData {
    public static let channels: ClosedRange<UInt16> = 0x4000...0x4FFF

    /// Serializes; `payload` past 65535 bytes is cut (no datagram carries that much).
    public static func encode(channel: UInt16, payload: [UInt8], padded: Bool) -> [UInt8] {
        let length = min(payload.count, Int(UInt16.max))
        var out: [UInt8] = []
        out.reserveCapacity(4 + length + 3)
        out.wireAppend(channel)
        out.wireAppend(UInt16(length))
        out.append(contentsOf: payload.prefix(length))
        if padded { out.wirePadTo4() }
        return out
    }

    /// Channel and payload of one ChannelData message; trailing padding is allowed, anything
    /// shorter than its length field or outside the channel range is nil.
    public static func parse(_ bytes: [UInt8]) -> (channel: UInt16, payload: [UInt8])? {
        guard bytes.count >= 4 else { return nil }
        let channel = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        let length = Int(UInt16(bytes[2]) << 8 | UInt16(bytes[3]))
        guard channels.contains(channel), bytes.count - 4 >= length, bytes.count - 4 - length < 4 else { return nil }
        return (channel, Array(bytes[4..<(4 + length)]))
    }
}

/// TURN over TCP (RFC 8656 §12.4/§10): STUN messages and ChannelData back to back on one
/// stream, each ChannelData padded to four. Splits the stream into whole messages; keeps at most
/// one message's worth of bytes (a STUN header's length field bounds it at 65555).
public struct TURNStreamFramer: Sendable {
    public static let maxMessage = 20 + 65535
    private var buffer: [UInt8] = []
    private var start = 0

    public init() {}

    /// Bytes not yet part of a whole message.
    public var pending: Int { buffer.count - start }

    /// Appends what the stream gave and returns the messages it completed. Throws when the
    /// stream carries neither STUN nor ChannelData: framing is lost and cannot be recovered.
    public mutating func append(_ bytes: some Collection<UInt8>) throws(PacketParseError) -> [[UInt8]] {
        buffer.append(contentsOf: bytes)
        var out: [[UInt8]] = []
        while buffer.count - start >= 4 {
            let first = buffer[start]
            let length = Int(UInt16(buffer[start + 2]) << 8 | UInt16(buffer[start + 3]))
            let total: Int
            switch first >> 6 {
            case 0:
                guard length % 4 == 0 else {
                    throw PacketParseError(layer: .stun, offset: start, reason: "STUN length \(length) on the TURN stream is not a multiple of 4")
                }
                total = STUNMessage.headerLength + length
            case 1:
                total = 4 + (length + 3) & ~3
            default:
                throw PacketParseError(layer: .stun, offset: start, reason: "byte 0x\(String(first, radix: 16)) starts neither STUN nor ChannelData on the TURN stream")
            }
            guard buffer.count - start >= total else { break }
            out.append(Array(buffer[start..<(start + total)]))
            start += total
        }
        // Drop consumed bytes once they dominate, so the buffer stays about one message long.
        if start > 0, start >= buffer.count - start {
            buffer.removeFirst(start)
            start = 0
        }
        return out
    }
}
