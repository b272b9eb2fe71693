/// SCTP payload protocol identifiers used by WebRTC data channels (RFC 8831 §8, RFC 8832 §8.1).
public enum DataChannelPPID {
    public static let dcep: UInt32 = 50
    public static let string: UInt32 = 51
    public static let binary: UInt32 = 53
    /// Empty messages carry one dummy byte under these PPIDs, since SCTP cannot send zero bytes.
    public static let stringEmpty: UInt32 = 56
    public static let binaryEmpty: UInt32 = 57
}

/// Why a DCEP message or a data-channel payload was rejected. Rejections never tear anything down.
public enum DataChannelProtocolError: Swift.Error, Sendable, Equatable {
    case truncated(Int)
    case unknownMessageType(UInt8)
    case unknownChannelType(UInt8)
    case invalidUTF8
    /// An OPEN arrived for a stream that already carries a channel.
    case streamInUse(UInt16)
    /// User data or an ACK arrived on a stream with no channel.
    case unknownStream(UInt16)
    case unexpectedPPID(UInt32, streamID: UInt16)
    case oversizedMessage(streamID: UInt16, size: Int)
    case sendFailed(streamID: UInt16, error: UInt32)
    case streamResetFailed([UInt16])
}

/// The channel parameters carried by DATA_CHANNEL_OPEN.
public struct DataChannelOptions: Sendable, Equatable {
    public var ordered: Bool
    public var reliability: SCTPReliability
    public var priority: UInt16
    public var protocolName: String

    public init(ordered: Bool = true, reliability: SCTPReliability = .reliable, priority: UInt16 = 256, protocolName: String = "") {
        self.ordered = ordered
        self.reliability = reliability
        self.priority = priority
        self.protocolName = protocolName
    }
}

/// DATA_CHANNEL_OPEN / DATA_CHANNEL_ACK (RFC 8832 §5).
enum DCEPMessage: Equatable {
    case open(label: String, options: DataChannelOptions)
    case ack

    static let openType: UInt8 = 0x03
    static let ackType: UInt8 = 0x02

    // Channel types (RFC 8832 §5.1): the high bit means unordered.
    private static let reliable: UInt8 = 0x00
    private static let partialRexmit: UInt8 = 0x01
    private static let partialTimed: UInt8 = 0x02
    private static let unorderedBit: UInt8 = 0x80

    func encoded() -> [UInt8] {
        switch self {
        case .ack:
            return [Self.ackType]
        case .open(let label, let options):
            let labelBytes = Array(label.utf8)
            let protocolBytes = Array(options.protocolName.utf8)
            var channelType: UInt8
            let parameter: UInt32
            switch options.reliability {
            case .reliable: (channelType, parameter) = (Self.reliable, 0)
            case .maxRetransmits(let n): (channelType, parameter) = (Self.partialRexmit, n)
            case .maxPacketLifetime(let ms): (channelType, parameter) = (Self.partialTimed, ms)
            }
            if !options.ordered { channelType |= Self.unorderedBit }
            var out: [UInt8] = [Self.openType, channelType]
            out.reserveCapacity(12 + labelBytes.count + protocolBytes.count)
            appendBigEndian(&out, options.priority)
            appendBigEndian(&out, parameter)
            // Lengths were checked against UInt16.max when the channel was created.
            appendBigEndian(&out, UInt16(truncatingIfNeeded: labelBytes.count))
            appendBigEndian(&out, UInt16(truncatingIfNeeded: protocolBytes.count))
            out += labelBytes
            out += protocolBytes
            return out
        }
    }

    static func parse(_ bytes: [UInt8]) throws(DataChannelProtocolError) -> DCEPMessage {
        guard let type = bytes.first else { throw .truncated(0) }
        switch type {
        case ackType:
            return .ack
        case openType:
            guard bytes.count >= 12 else { throw .truncated(bytes.count) }
            let channelType = bytes[1]
            let priority = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
            let parameter = UInt32(bytes[4]) << 24 | UInt32(bytes[5]) << 16 | UInt32(bytes[6]) << 8 | UInt32(bytes[7])
            let labelLength = Int(bytes[8]) << 8 | Int(bytes[9])
            let protocolLength = Int(bytes[10]) << 8 | Int(bytes[11])
            guard bytes.count >= 12 + labelLength + protocolLength else { throw .truncated(bytes.count) }
            let reliability: SCTPReliability
            switch channelType & ~unorderedBit {
            case reliable: reliability = .reliable
            case partialRexmit: reliability = .maxRetransmits(parameter)
            case partialTimed: reliability = .maxPacketLifetime(milliseconds: parameter)
            default: throw .unknownChannelType(channelType)
            }
            guard let label = String(validating: bytes[12 ..< 12 + labelLength], as: UTF8.self),
                  let proto = String(validating: bytes[(12 + labelLength) ..< (12 + labelLength + protocolLength)], as: UTF8.self)
            else { throw .invalidUTF8 }
            let options = DataChannelOptions(ordered: channelType & unorderedBit == 0, reliability: reliability,
                                             priority: priority, protocolName: proto)
            return .open(label: label, options: options)
        default:
            throw .unknownMessageType(type)
        }
    }
}

private func appendBigEndian<T: FixedWidthInteger>(_ out: inout [UInt8], _ value: T) {
    withUnsafeBytes(of: value.bigEndian) { out += $0 }
}
