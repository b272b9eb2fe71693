#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A transport address as carried in (XOR-)MAPPED-ADDRESS.
public struct STUNAddress: Hashable, Sendable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6, network order.
    public let ip: [UInt8]
    public let port: UInt16

    public var isIPv6: Bool { ip.count == 16 }

    /// nil unless `ip` is 4 or 16 bytes.
    public init?(ip: [UInt8], port: UInt16) {
        guard ip.count == 4 || ip.count == 16 else { return nil }
        self.ip = ip
        self.port = port
    }

    /// Parses a numeric IPv4 or IPv6 literal (no brackets, no hostnames).
    public init?(host: String, port: UInt16) {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            self.ip = withUnsafeBytes(of: &v4) { Array($0) }
            self.port = port
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            self.ip = withUnsafeBytes(of: &v6) { Array($0) }
            self.port = port
            return
        }
        return nil
    }

    /// Numeric host string, e.g. "192.0.2.1" or "2001:db8::1".
    public var host: String {
        var buffer = [CChar](repeating: 0, count: 64)
        let family = isIPv6 ? AF_INET6 : AF_INET
        let ok = ip.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil
        }
        guard ok else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

public enum STUNAttribute: Sendable, Equatable {
    case mappedAddress(STUNAddress)
    case xorMappedAddress(STUNAddress)
    case username(String)
    /// 20-byte HMAC-SHA1.
    case messageIntegrity([UInt8])
    /// Already XOR-ed with 0x5354554e, as on the wire.
    case fingerprint(UInt32)
    case errorCode(code: Int, reason: String)
    case unknownAttributes([UInt16])
    case software(String)
    case priority(UInt32)
    case useCandidate
    case iceControlled(UInt64)
    case iceControlling(UInt64)
    /// Any attribute type not modelled above, kept verbatim.
    case other(type: UInt16, value: [UInt8])

    public enum TypeCode {
        public static let mappedAddress: UInt16 = 0x0001
        public static let username: UInt16 = 0x0006
        public static let messageIntegrity: UInt16 = 0x0008
        public static let errorCode: UInt16 = 0x0009
        public static let unknownAttributes: UInt16 = 0x000A
        public static let xorMappedAddress: UInt16 = 0x0020
        public static let priority: UInt16 = 0x0024
        public static let useCandidate: UInt16 = 0x0025
        public static let software: UInt16 = 0x8022
        public static let fingerprint: UInt16 = 0x8028
        public static let iceControlled: UInt16 = 0x8029
        public static let iceControlling: UInt16 = 0x802A
    }

    public var typeCode: UInt16 {
        switch self {
        case .mappedAddress: TypeCode.mappedAddress
        case .xorMappedAddress: TypeCode.xorMappedAddress
        case .username: TypeCode.username
        case .messageIntegrity: TypeCode.messageIntegrity
        case .fingerprint: TypeCode.fingerprint
        case .errorCode: TypeCode.errorCode
        case .unknownAttributes: TypeCode.unknownAttributes
        case .software: TypeCode.software
        case .priority: TypeCode.priority
        case .useCandidate: TypeCode.useCandidate
        case .iceControlled: TypeCode.iceControlled
        case .iceControlling: TypeCode.iceControlling
        case .other(let type, _): type
        }
    }

    // MARK: Decoding

    static func decode(type: UInt16, value: [UInt8], transactionID: [UInt8],
                       valueOffset: Int, attributeOffset: Int) throws(PacketParseError) -> STUNAttribute {
        func fail(_ reason: String) -> PacketParseError {
            PacketParseError(layer: .stun, offset: attributeOffset, reason: reason)
        }
        func exactLength(_ n: Int, _ name: String) throws(PacketParseError) {
            guard value.count == n else { throw fail("\(name) must be \(n) bytes, got \(value.count)") }
        }
        var reader = WebRTCWireReader(value, layer: .stun)
        switch type {
        case TypeCode.mappedAddress:
            return .mappedAddress(try decodeAddress(value, xorWith: nil, fail: fail))
        case TypeCode.xorMappedAddress:
            return .xorMappedAddress(try decodeAddress(value, xorWith: transactionID, fail: fail))
        case TypeCode.username:
            guard value.count <= 513 else { throw fail("USERNAME longer than 513 bytes") }
            return .username(try utf8(value, "USERNAME", fail: fail))
        case TypeCode.messageIntegrity:
            try exactLength(20, "MESSAGE-INTEGRITY")
            return .messageIntegrity(value)
        case TypeCode.fingerprint:
            try exactLength(4, "FINGERPRINT")
            return .fingerprint(value.wireU32(at: 0))
        case TypeCode.errorCode:
            guard value.count >= 4 else { throw fail("ERROR-CODE shorter than 4 bytes") }
            let classDigit = Int(value[2] & 0x07)
            let number = Int(value[3])
            guard (3...6).contains(classDigit), number < 100 else {
                throw fail("ERROR-CODE class \(classDigit) number \(number) out of range")
            }
            // RFC 8489 §14.8: under 128 characters, so at most 763 bytes (what encode keeps).
            guard value.count - 4 <= 763 else { throw fail("ERROR-CODE reason longer than 763 bytes") }
            return .errorCode(code: classDigit * 100 + number, reason: try utf8(value[4...], "ERROR-CODE reason", fail: fail))
        case TypeCode.unknownAttributes:
            guard value.count % 2 == 0 else { throw fail("UNKNOWN-ATTRIBUTES length is odd") }
            var types: [UInt16] = []
            while !reader.isAtEnd { types.append(try reader.readU16("UNKNOWN-ATTRIBUTES entry")) }
            return .unknownAttributes(types)
        case TypeCode.software:
            return .software(try utf8(value, "SOFTWARE", fail: fail))
        case TypeCode.priority:
            try exactLength(4, "PRIORITY")
            return .priority(value.wireU32(at: 0))
        case TypeCode.useCandidate:
            try exactLength(0, "USE-CANDIDATE")
            return .useCandidate
        case TypeCode.iceControlled:
            try exactLength(8, "ICE-CONTROLLED")
            return .iceControlled(try reader.readU64("ICE-CONTROLLED"))
        case TypeCode.iceControlling:
            try exactLength(8, "ICE-CONTROLLING")
            return .iceControlling(try reader.readU64("ICE-CONTROLLING"))
        default:
            return .other(type: type, value: value)
        }
    }

    /// Text attributes are UTF-8 (RFC 8489 §14). Decoding anything else with replacement
    /// characters would change the bytes (and can triple them past USERNAME's bound) when sent on.
    private static func utf8(_ bytes: some Collection<UInt8>, _ name: String,
                             fail: (String) -> PacketParseError) throws(PacketParseError) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw fail("\(name) is not UTF-8") }
        return text
    }

    /// Address family 0x01 = IPv4, 0x02 = IPv6; XOR variant masks the port with the cookie's top
    /// 16 bits and the address with cookie ‖ transaction ID.
    static func decodeAddress(_ value: [UInt8], xorWith transactionID: [UInt8]?,
                                      fail: (String) -> PacketParseError) throws(PacketParseError) -> STUNAddress {
        guard value.count >= 4 else { throw fail("address attribute shorter than 4 bytes") }
        let family = value[1]
        let ipLength: Int
        switch family {
        case 0x01: ipLength = 4
        case 0x02: ipLength = 16
        default: throw fail("unknown address family 0x\(String(family, radix: 16))")
        }
        guard value.count == 4 + ipLength else { throw fail("address attribute length \(value.count) wrong for family") }
        var port = UInt16(value[2]) << 8 | UInt16(value[3])
        var ip = Array(value[4...])
        if let transactionID {
            port ^= UInt16(STUNMessage.magicCookie >> 16)
            let mask = xorMask(transactionID)
            for i in ip.indices { ip[i] ^= mask[i] }
        }
        // Length is 4 or 16 here, so the failable init always succeeds.
        guard let address = STUNAddress(ip: ip, port: port) else { throw fail("bad address length") }
        return address
    }

    private static func xorMask(_ transactionID: [UInt8]) -> [UInt8] {
        var mask: [UInt8] = []
        mask.wireAppend(STUNMessage.magicCookie)
        mask.append(contentsOf: transactionID.prefix(12))
        mask.append(contentsOf: repeatElement(0, count: max(0, 12 - transactionID.count)))
        return mask
    }

    // MARK: Encoding

    func encode(into out: inout [UInt8], transactionID: [UInt8]) {
        var value: [UInt8] = []
        switch self {
        case .mappedAddress(let address):
            value = Self.encodeAddress(address, xorWith: nil)
        case .xorMappedAddress(let address):
            value = Self.encodeAddress(address, xorWith: transactionID)
        case .username(let text), .software(let text):
            value = Array(text.utf8)
        case .messageIntegrity(let mac):
            value = mac
        case .fingerprint(let crc):
            value.wireAppend(crc)
        case .errorCode(let code, let reason):
            let clamped = min(max(code, 300), 699)
            value = [0, 0, UInt8(clamped / 100), UInt8(clamped % 100)]
            value.append(contentsOf: reason.utf8.prefix(763))
        case .unknownAttributes(let types):
            for type in types { value.wireAppend(type) }
        case .priority(let priority):
            value.wireAppend(priority)
        case .useCandidate:
            break
        case .iceControlled(let tiebreaker), .iceControlling(let tiebreaker):
            value.wireAppend(tiebreaker)
        case .other(_, let raw):
            value = raw
        }
        let length = min(value.count, Int(UInt16.max))
        out.wireAppend(typeCode)
        out.wireAppend(UInt16(length))
        out.append(contentsOf: value.prefix(length))
        out.wirePadTo4()
    }

    static func encodeAddress(_ address: STUNAddress, xorWith transactionID: [UInt8]?) -> [UInt8] {
        var port = address.port
        var ip = address.ip
        if let transactionID {
            port ^= UInt16(STUNMessage.magicCookie >> 16)
            let mask = xorMask(transactionID)
            for i in ip.indices { ip[i] ^= mask[i] }
        }
        var value: [UInt8] = [0, address.isIPv6 ? 0x02 : 0x01]
        value.wireAppend(port)
        value.append(contentsOf: ip)
        return value
    }
}
