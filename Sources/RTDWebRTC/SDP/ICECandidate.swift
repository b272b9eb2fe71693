/// ICE candidate attribute (RFC 8839 §5.1), including the extensions browsers add.
public struct ICECandidate: Sendable, Hashable, CustomStringConvertible {
    public enum CandidateType: String, Sendable, Hashable {
        case host, srflx, prflx, relay
    }

    /// An extension pair kept verbatim (e.g. network-id, network-cost) so it survives round-trips.
    public struct Extension: Sendable, Hashable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public var foundation: String
    public var component: Int
    /// "udp" or "tcp" as written (case preserved).
    public var transport: String
    public var priority: UInt32
    /// IP literal or an mDNS name ending in ".local".
    public var address: String
    public var port: Int
    public var type: CandidateType
    public var relatedAddress: String?
    public var relatedPort: Int?
    /// active / passive / so for TCP candidates (RFC 6544).
    public var tcpType: String?
    public var generation: Int?
    public var ufrag: String?
    public var extensions: [Extension]

    public init(foundation: String, component: Int = 1, transport: String = "udp", priority: UInt32,
                address: String, port: Int, type: CandidateType, relatedAddress: String? = nil,
                relatedPort: Int? = nil, tcpType: String? = nil, generation: Int? = nil,
                ufrag: String? = nil, extensions: [Extension] = []) {
        self.foundation = foundation
        self.component = component
        self.transport = transport
        self.priority = priority
        self.address = address
        self.port = port
        self.type = type
        self.relatedAddress = relatedAddress
        self.relatedPort = relatedPort
        self.tcpType = tcpType
        self.generation = generation
        self.ufrag = ufrag
        self.extensions = extensions
    }

    public var isUDP: Bool { transport.lowercased() == "udp" }
    public var isTCP: Bool { transport.lowercased() == "tcp" }
    /// Browsers hide host addresses behind random mDNS names (draft-ietf-mmusic-mdns-ice-candidates).
    public var isMDNS: Bool { address.lowercased().hasSuffix(".local") }

    /// RFC 8445 §5.1.2.1 priority for a candidate of the given type preference.
    public static func priority(typePreference: UInt32, localPreference: UInt32, component: UInt32 = 1) -> UInt32 {
        let type = min(typePreference, 126) << 24
        let local = min(localPreference, 65535) << 8
        return type | local | (256 &- min(max(component, 1), 256))
    }

    /// Parses the attribute value, with or without the leading "candidate:" (trickle messages
    /// carry it, the SDP attribute value does not).
    public static func parse(_ text: String) throws(SDPParseError) -> ICECandidate {
        do {
            return try parseValue(Substring(text))
        } catch {
            throw SDPParseError(line: 1, text: text, reason: error.reason)
        }
    }

    static func parseValue(_ raw: Substring) throws(SDPValueError) -> ICECandidate {
        var text = raw
        if text.hasPrefix("candidate:") { text = text.dropFirst("candidate:".count) }
        let fields = SDPText.fields(text)
        guard fields.count >= 8 else { throw SDPValueError("candidate needs at least 8 fields, has \(fields.count)") }
        guard fields[6] == "typ" else { throw SDPValueError("candidate field 7 must be \"typ\"") }
        // RFC 8839 §5.1: foundation = 1*32 ice-char. Anything else (a second "candidate:" prefix,
        // say) would print as a different candidate than the one parsed.
        guard fields[0].utf8.count <= 32, fields[0].utf8.allSatisfy(isICEChar) else {
            throw SDPValueError("candidate foundation \"\(fields[0].prefix(40))\" is not 1 to 32 letters, digits, + or /")
        }
        guard let priority = UInt32(fields[3]) else { throw SDPValueError("candidate priority \"\(fields[3])\" is not a 32-bit integer") }
        guard let type = CandidateType(rawValue: String(fields[7]).lowercased()) else {
            throw SDPValueError("unknown candidate type \"\(fields[7])\"")
        }
        var candidate = ICECandidate(
            foundation: String(fields[0]),
            component: try SDPText.int(fields[1], "candidate component", in: 1...256),
            transport: String(fields[2]),
            priority: priority,
            address: String(fields[4]),
            port: try SDPText.int(fields[5], "candidate port", in: 0...65535),
            type: type)
        var index = 8
        while index < fields.count {
            guard index + 1 < fields.count else { throw SDPValueError("candidate extension \"\(fields[index])\" has no value") }
            let name = fields[index]
            let value = fields[index + 1]
            switch name {
            case "raddr": candidate.relatedAddress = String(value)
            case "rport": candidate.relatedPort = try SDPText.int(value, "candidate rport", in: 0...65535)
            case "tcptype": candidate.tcpType = String(value)
            case "generation": candidate.generation = try SDPText.int(value, "candidate generation", in: 0...Int(Int32.max))
            case "ufrag": candidate.ufrag = String(value)
            default: candidate.extensions.append(Extension(name: String(name), value: String(value)))
            }
            index += 2
        }
        return candidate
    }

    /// ALPHA / DIGIT / "+" / "/" (RFC 8839 §5.1).
    private static func isICEChar(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"): true
        default: false
        }
    }

    /// The attribute value (without "candidate:").
    public var attributeValue: String {
        var parts = [foundation, String(component), transport, String(priority), address, String(port), "typ", type.rawValue]
        if let relatedAddress { parts += ["raddr", relatedAddress] }
        if let relatedPort { parts += ["rport", String(relatedPort)] }
        if let tcpType { parts += ["tcptype", tcpType] }
        if let generation { parts += ["generation", String(generation)] }
        if let ufrag { parts += ["ufrag", ufrag] }
        for item in extensions { parts += [item.name, item.value] }
        return parts.joined(separator: " ")
    }

    public var description: String { "candidate:" + attributeValue }
}
