/// Typed SDP attributes (RFC 8866 §6 and the WebRTC extensions). Anything unrecognised is kept
/// as `.other` so it survives a parse/serialize round-trip.

public struct SDPRTPMap: Sendable, Hashable {
    public var payloadType: Int
    public var encodingName: String
    public var clockRate: Int
    /// Audio channel count or other encoding parameters after the second slash.
    public var encodingParameters: String?

    public init(payloadType: Int, encodingName: String, clockRate: Int, encodingParameters: String? = nil) {
        self.payloadType = payloadType
        self.encodingName = encodingName
        self.clockRate = clockRate
        self.encodingParameters = encodingParameters
    }
}

public struct SDPFormatParameters: Sendable, Hashable {
    /// Usually a payload type number; kept as text because the grammar allows any format token.
    public var format: String
    /// Verbatim parameter string, e.g. "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f".
    public var parameters: String

    public init(format: String, parameters: String) {
        self.format = format
        self.parameters = parameters
    }

    public var payloadType: Int? { Int(format) }

    /// "key=value" pairs split on ';' (keys lowercased; a bare token maps to "").
    public var parameterMap: [String: String] {
        var map: [String: String] = [:]
        for item in parameters.split(separator: ";") {
            let trimmed = item.trimmingSpaces
            guard !trimmed.isEmpty else { continue }
            if let eq = trimmed.firstIndex(of: "=") {
                map[String(trimmed[..<eq]).lowercased()] = String(trimmed[trimmed.index(after: eq)...])
            } else {
                map[String(trimmed).lowercased()] = ""
            }
        }
        return map
    }
}

public struct SDPRTCPFeedback: Sendable, Hashable {
    /// Payload type number or "*" for all formats.
    public var format: String
    /// e.g. "nack", "ccm", "goog-remb", "transport-cc".
    public var type: String
    /// e.g. "pli" for "nack pli", "fir" for "ccm fir".
    public var parameter: String?

    public init(format: String, type: String, parameter: String? = nil) {
        self.format = format
        self.type = type
        self.parameter = parameter
    }

    public func applies(to payloadType: Int) -> Bool { format == "*" || Int(format) == payloadType }
}

public struct SDPExtmap: Sendable, Hashable {
    public static let absSendTimeURI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
    public static let transportWideCCURI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

    public var id: Int
    public var direction: SDPDirection?
    public var uri: String
    public var extensionAttributes: String?

    public init(id: Int, direction: SDPDirection? = nil, uri: String, extensionAttributes: String? = nil) {
        self.id = id
        self.direction = direction
        self.uri = uri
        self.extensionAttributes = extensionAttributes
    }
}

public struct SDPFingerprint: Sendable, Hashable {
    /// Hash function name as in the textual names registry, e.g. "sha-256".
    public var hashFunction: String
    /// Colon-separated uppercase hex.
    public var value: String

    public init(hashFunction: String, value: String) {
        self.hashFunction = hashFunction
        self.value = value
    }

    /// Formats a raw digest (e.g. SHA-256 of the DER certificate) as "AB:CD:...".
    public init(hashFunction: String = "sha-256", digest: [UInt8]) {
        let hex = Array("0123456789ABCDEF")
        self.hashFunction = hashFunction
        self.value = digest.map { String([hex[Int($0 >> 4)], hex[Int($0 & 0xF)]]) }.joined(separator: ":")
    }

    /// The digest bytes, or nil if `value` is not colon-separated hex.
    public var digest: [UInt8]? {
        var bytes: [UInt8] = []
        for part in value.split(separator: ":") {
            guard part.count == 2, let byte = UInt8(part, radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes.isEmpty ? nil : bytes
    }
}

public enum SDPSetupRole: String, Sendable, Hashable {
    case active, passive, actpass, holdconn
}

public enum SDPDirection: String, Sendable, Hashable {
    case sendrecv, sendonly, recvonly, inactive

    /// The direction the other side sees for this one.
    public var reversed: SDPDirection {
        switch self {
        case .sendonly: .recvonly
        case .recvonly: .sendonly
        case .sendrecv, .inactive: self
        }
    }

    public var sends: Bool { self == .sendrecv || self == .sendonly }
    public var receives: Bool { self == .sendrecv || self == .recvonly }
}

public struct SDPGroup: Sendable, Hashable {
    public var semantics: String
    public var mids: [String]

    public init(semantics: String, mids: [String]) {
        self.semantics = semantics
        self.mids = mids
    }
}

public struct SDPSSRCAttribute: Sendable, Hashable {
    public var ssrc: UInt32
    /// e.g. "cname", "msid".
    public var name: String
    public var value: String?

    public init(ssrc: UInt32, name: String, value: String? = nil) {
        self.ssrc = ssrc
        self.name = name
        self.value = value
    }
}

public struct SDPSSRCGroup: Sendable, Hashable {
    public var semantics: String
    public var ssrcs: [UInt32]

    public init(semantics: String, ssrcs: [UInt32]) {
        self.semantics = semantics
        self.ssrcs = ssrcs
    }
}

public struct SDPMediaStreamID: Sendable, Hashable {
    public var streamID: String
    public var trackID: String?

    public init(streamID: String, trackID: String? = nil) {
        self.streamID = streamID
        self.trackID = trackID
    }
}

public enum SDPAttribute: Sendable, Hashable {
    case rtpmap(SDPRTPMap)
    case fmtp(SDPFormatParameters)
    case rtcpFeedback(SDPRTCPFeedback)
    case extmap(SDPExtmap)
    case iceUfrag(String)
    case icePwd(String)
    case iceOptions([String])
    case iceLite
    case fingerprint(SDPFingerprint)
    case setup(SDPSetupRole)
    case mid(String)
    case group(SDPGroup)
    case rtcpMux
    case rtcpReducedSize
    case candidate(ICECandidate)
    case endOfCandidates
    case ssrc(SDPSSRCAttribute)
    case ssrcGroup(SDPSSRCGroup)
    case msid(SDPMediaStreamID)
    case direction(SDPDirection)
    case sctpPort(Int)
    case maxMessageSize(Int)
    /// Unrecognised attribute, kept verbatim (`value` nil for flag attributes).
    case other(name: String, value: String?)

    // MARK: Parsing

    /// Parses the text after "a=".
    static func parse(_ text: Substring) throws(SDPValueError) -> SDPAttribute {
        let (name, value) = SDPText.splitAttribute(text)
        func required() throws(SDPValueError) -> Substring {
            guard let value, !value.isEmpty else { throw SDPValueError("a=\(name) needs a value") }
            return value
        }
        switch name {
        case "rtpmap":
            let value = try required()
            let fields = SDPText.fields(value)
            guard fields.count == 2 else { throw SDPValueError("rtpmap must be \"<pt> <encoding>/<clock rate>\"") }
            let encoding = fields[1].split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
            guard encoding.count >= 2, !encoding[0].isEmpty else { throw SDPValueError("rtpmap encoding must be \"name/clock\"") }
            return .rtpmap(SDPRTPMap(
                payloadType: try SDPText.int(fields[0], "rtpmap payload type", in: 0...127),
                encodingName: String(encoding[0]),
                clockRate: try SDPText.int(encoding[1], "rtpmap clock rate", in: 1...Int(UInt32.max)),
                encodingParameters: encoding.count > 2 ? String(encoding[2]) : nil))
        case "fmtp":
            let value = try required()
            guard let space = value.unicodeScalars.firstIndex(where: { $0 == " " || $0 == "\t" }) else {
                throw SDPValueError("fmtp must be \"<format> <parameters>\"")
            }
            return .fmtp(SDPFormatParameters(format: String(value[..<space]),
                                             parameters: String(value[value.unicodeScalars.index(after: space)...].trimmingSpaces)))
        case "rtcp-fb":
            let fields = SDPText.fields(try required())
            guard fields.count >= 2 else { throw SDPValueError("rtcp-fb must be \"<format> <type> [<param>]\"") }
            return .rtcpFeedback(SDPRTCPFeedback(format: String(fields[0]), type: String(fields[1]),
                                                 parameter: fields.count > 2 ? fields[2...].joined(separator: " ") : nil))
        case "extmap":
            let fields = SDPText.fields(try required())
            guard fields.count >= 2 else { throw SDPValueError("extmap must be \"<id>[/<direction>] <uri>\"") }
            let idParts = fields[0].split(separator: "/", maxSplits: 1)
            var direction: SDPDirection?
            if idParts.count == 2 {
                guard let parsed = SDPDirection(rawValue: String(idParts[1])) else {
                    throw SDPValueError("extmap direction \"\(idParts[1])\" is unknown")
                }
                direction = parsed
            }
            return .extmap(SDPExtmap(
                id: try SDPText.int(idParts.first ?? "", "extmap id", in: 1...4095),
                direction: direction, uri: String(fields[1]),
                extensionAttributes: fields.count > 2 ? fields[2...].joined(separator: " ") : nil))
        case "ice-ufrag": return .iceUfrag(String(try required()))
        case "ice-pwd": return .icePwd(String(try required()))
        case "ice-options": return .iceOptions(SDPText.fields(try required()).map(String.init))
        case "ice-lite": return .iceLite
        case "fingerprint":
            let fields = SDPText.fields(try required())
            guard fields.count == 2 else { throw SDPValueError("fingerprint must be \"<hash> <value>\"") }
            return .fingerprint(SDPFingerprint(hashFunction: fields[0].lowercased(), value: String(fields[1])))
        case "setup":
            let value = try required()
            guard let role = SDPSetupRole(rawValue: value.lowercased()) else {
                throw SDPValueError("setup role \"\(value)\" is not active/passive/actpass/holdconn")
            }
            return .setup(role)
        case "mid": return .mid(String(try required()))
        case "group":
            let fields = SDPText.fields(try required())
            guard let semantics = fields.first else { throw SDPValueError("group needs semantics") }
            return .group(SDPGroup(semantics: String(semantics), mids: fields.dropFirst().map(String.init)))
        case "rtcp-mux": return .rtcpMux
        case "rtcp-rsize": return .rtcpReducedSize
        case "candidate": return .candidate(try ICECandidate.parseValue(try required()))
        case "end-of-candidates": return .endOfCandidates
        case "ssrc":
            let value = try required()
            guard let space = value.unicodeScalars.firstIndex(of: " ") else {
                throw SDPValueError("ssrc must be \"<ssrc> <attribute>[:<value>]\"")
            }
            guard let ssrc = UInt32(value[..<space]) else { throw SDPValueError("ssrc \"\(value[..<space])\" is not a 32-bit integer") }
            let (attribute, attributeValue) = SDPText.splitAttribute(value[value.unicodeScalars.index(after: space)...])
            guard !attribute.isEmpty else { throw SDPValueError("ssrc attribute name is empty") }
            return .ssrc(SDPSSRCAttribute(ssrc: ssrc, name: String(attribute), value: attributeValue.map(String.init)))
        case "ssrc-group":
            let fields = SDPText.fields(try required())
            guard let semantics = fields.first else { throw SDPValueError("ssrc-group needs semantics") }
            var ssrcs: [UInt32] = []
            for field in fields.dropFirst() {
                guard let ssrc = UInt32(field) else { throw SDPValueError("ssrc-group member \"\(field)\" is not a 32-bit integer") }
                ssrcs.append(ssrc)
            }
            return .ssrcGroup(SDPSSRCGroup(semantics: String(semantics), ssrcs: ssrcs))
        case "msid":
            let fields = SDPText.fields(try required())
            guard let stream = fields.first, fields.count <= 2 else { throw SDPValueError("msid must be \"<stream> [<track>]\"") }
            return .msid(SDPMediaStreamID(streamID: String(stream), trackID: fields.count > 1 ? String(fields[1]) : nil))
        case "sendrecv", "sendonly", "recvonly", "inactive":
            guard value == nil, let direction = SDPDirection(rawValue: String(name)) else {
                throw SDPValueError("direction attribute takes no value")
            }
            return .direction(direction)
        case "sctp-port": return .sctpPort(try SDPText.int(try required(), "sctp-port", in: 0...65535))
        case "max-message-size": return .maxMessageSize(try SDPText.int(try required(), "max-message-size", in: 0...Int.max))
        default:
            return .other(name: String(name), value: value.map(String.init))
        }
    }

    // MARK: Serialization

    /// The text after "a=".
    public var attributeText: String {
        switch self {
        case .rtpmap(let map):
            var text = "rtpmap:\(map.payloadType) \(map.encodingName)/\(map.clockRate)"
            if let parameters = map.encodingParameters { text += "/\(parameters)" }
            return text
        case .fmtp(let fmtp): return "fmtp:\(fmtp.format) \(fmtp.parameters)"
        case .rtcpFeedback(let fb):
            return "rtcp-fb:\(fb.format) \(fb.type)" + (fb.parameter.map { " \($0)" } ?? "")
        case .extmap(let extmap):
            var text = "extmap:\(extmap.id)"
            if let direction = extmap.direction { text += "/\(direction.rawValue)" }
            text += " \(extmap.uri)"
            if let attributes = extmap.extensionAttributes { text += " \(attributes)" }
            return text
        case .iceUfrag(let ufrag): return "ice-ufrag:\(ufrag)"
        case .icePwd(let pwd): return "ice-pwd:\(pwd)"
        case .iceOptions(let options): return "ice-options:" + options.joined(separator: " ")
        case .iceLite: return "ice-lite"
        case .fingerprint(let fp): return "fingerprint:\(fp.hashFunction) \(fp.value)"
        case .setup(let role): return "setup:\(role.rawValue)"
        case .mid(let mid): return "mid:\(mid)"
        case .group(let group): return "group:" + ([group.semantics] + group.mids).joined(separator: " ")
        case .rtcpMux: return "rtcp-mux"
        case .rtcpReducedSize: return "rtcp-rsize"
        case .candidate(let candidate): return "candidate:" + candidate.attributeValue
        case .endOfCandidates: return "end-of-candidates"
        case .ssrc(let ssrc): return "ssrc:\(ssrc.ssrc) \(ssrc.name)" + (ssrc.value.map { ":\($0)" } ?? "")
        case .ssrcGroup(let group): return "ssrc-group:" + ([group.semantics] + group.ssrcs.map(String.init)).joined(separator: " ")
        case .msid(let msid): return "msid:\(msid.streamID)" + (msid.trackID.map { " \($0)" } ?? "")
        case .direction(let direction): return direction.rawValue
        case .sctpPort(let port): return "sctp-port:\(port)"
        case .maxMessageSize(let size): return "max-message-size:\(size)"
        case .other(let name, let value): return value.map { "\(name):\($0)" } ?? name
        }
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs, by scalar like `SDPText.fields` (a space
    /// before a combining mark is still a space).
    package var trimmingSpaces: Substring {
        let isText = { (scalar: Unicode.Scalar) in scalar != " " && scalar != "\t" }
        guard let first = unicodeScalars.firstIndex(where: isText), let last = unicodeScalars.lastIndex(where: isText) else {
            return self[endIndex...]
        }
        return self[first..<unicodeScalars.index(after: last)]
    }
}

/// Typed lookups shared by session- and media-level attribute lists.
public protocol SDPAttributeContainer {
    var attributes: [SDPAttribute] { get }
}

extension SDPAttributeContainer {
    public var mid: String? {
        for case .mid(let value) in attributes { return value }
        return nil
    }

    public var iceUfrag: String? {
        for case .iceUfrag(let value) in attributes { return value }
        return nil
    }

    public var icePwd: String? {
        for case .icePwd(let value) in attributes { return value }
        return nil
    }

    public var iceOptions: [String] {
        attributes.flatMap { attribute -> [String] in
            if case .iceOptions(let options) = attribute { return options }
            return []
        }
    }

    public var isICELite: Bool { attributes.contains(.iceLite) }

    public var fingerprints: [SDPFingerprint] {
        attributes.compactMap { if case .fingerprint(let value) = $0 { return value } else { return nil } }
    }

    public var setup: SDPSetupRole? {
        for case .setup(let value) in attributes { return value }
        return nil
    }

    /// The explicit direction attribute, if any (RFC 8866: absent means sendrecv).
    public var explicitDirection: SDPDirection? {
        for case .direction(let value) in attributes { return value }
        return nil
    }

    public var groups: [SDPGroup] {
        attributes.compactMap { if case .group(let value) = $0 { return value } else { return nil } }
    }

    public var bundleGroup: SDPGroup? { groups.first { $0.semantics.uppercased() == "BUNDLE" } }

    public var hasRTCPMux: Bool { attributes.contains(.rtcpMux) }
    public var hasRTCPReducedSize: Bool { attributes.contains(.rtcpReducedSize) }

    public var rtpMaps: [SDPRTPMap] {
        attributes.compactMap { if case .rtpmap(let value) = $0 { return value } else { return nil } }
    }

    public func rtpMap(for payloadType: Int) -> SDPRTPMap? {
        rtpMaps.first { $0.payloadType == payloadType }
    }

    public func formatParameters(for payloadType: Int) -> SDPFormatParameters? {
        for case .fmtp(let value) in attributes where value.payloadType == payloadType { return value }
        return nil
    }

    public func rtcpFeedback(for payloadType: Int) -> [SDPRTCPFeedback] {
        attributes.compactMap {
            if case .rtcpFeedback(let value) = $0, value.applies(to: payloadType) { return value }
            return nil
        }
    }

    public var extmaps: [SDPExtmap] {
        attributes.compactMap { if case .extmap(let value) = $0 { return value } else { return nil } }
    }

    public var candidates: [ICECandidate] {
        attributes.compactMap { if case .candidate(let value) = $0 { return value } else { return nil } }
    }

    public var hasEndOfCandidates: Bool { attributes.contains(.endOfCandidates) }

    public var ssrcAttributes: [SDPSSRCAttribute] {
        attributes.compactMap { if case .ssrc(let value) = $0 { return value } else { return nil } }
    }

    /// Distinct SSRCs in order of first appearance.
    public var ssrcs: [UInt32] {
        var seen = Set<UInt32>()
        return ssrcAttributes.map(\.ssrc).filter { seen.insert($0).inserted }
    }

    public var ssrcGroups: [SDPSSRCGroup] {
        attributes.compactMap { if case .ssrcGroup(let value) = $0 { return value } else { return nil } }
    }

    public var msid: SDPMediaStreamID? {
        for case .msid(let value) in attributes { return value }
        return nil
    }

    public var sctpPort: Int? {
        for case .sctpPort(let value) in attributes { return value }
        return nil
    }

    public var maxMessageSize: Int? {
        for case .maxMessageSize(let value) in attributes { return value }
        return nil
    }

    /// Values of unrecognised attributes with this name.
    public func otherAttributes(named name: String) -> [String?] {
        attributes.compactMap {
            if case .other(let otherName, let value) = $0, otherName == name { return .some(value) }
            return nil
        }
    }
}
