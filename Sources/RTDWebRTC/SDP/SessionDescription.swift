/// SDP document model, parser and serializer (RFC 8866).

/// An SDP line this model doesn't type (i=, u=, e=, p=, b=, z=, k=, or unknown letters),
/// preserved for round-trips.
public struct SDPField: Sendable, Hashable {
    public var type: Character
    public var value: String

    public init(type: Character, value: String) {
        self.type = type
        self.value = value
    }
}

public struct SDPOrigin: Sendable, Hashable {
    public var username: String
    /// Kept as text: browsers use 64-bit decimal ids and nothing interprets them numerically.
    public var sessionID: String
    public var sessionVersion: String
    public var networkType: String
    public var addressType: String
    public var address: String

    public init(username: String = "-", sessionID: String, sessionVersion: String = "2",
                networkType: String = "IN", addressType: String = "IP4", address: String = "127.0.0.1") {
        self.username = username
        self.sessionID = sessionID
        self.sessionVersion = sessionVersion
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }
}

public struct SDPConnection: Sendable, Hashable {
    public var networkType: String
    public var addressType: String
    public var address: String

    public init(networkType: String = "IN", addressType: String = "IP4", address: String = "0.0.0.0") {
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }
}

public struct SDPTiming: Sendable, Hashable {
    public var start: UInt64
    public var stop: UInt64
    /// Raw r= lines belonging to this t= line.
    public var repeats: [String]

    public init(start: UInt64 = 0, stop: UInt64 = 0, repeats: [String] = []) {
        self.start = start
        self.stop = stop
        self.repeats = repeats
    }
}

public struct MediaDescription: Sendable, Hashable, SDPAttributeContainer {
    /// "video", "audio", "application", ...
    public var media: String
    /// 0 means the section is rejected/disabled.
    public var port: Int
    public var portCount: Int?
    /// e.g. "UDP/TLS/RTP/SAVPF", "UDP/DTLS/SCTP".
    public var proto: String
    /// Payload type numbers for RTP, "webrtc-datachannel" for SCTP.
    public var formats: [String]
    public var connection: SDPConnection?
    /// i=, b=, k= lines in order.
    public var otherFields: [SDPField]
    public var attributes: [SDPAttribute]

    public init(media: String, port: Int, portCount: Int? = nil, proto: String, formats: [String],
                connection: SDPConnection? = nil, otherFields: [SDPField] = [], attributes: [SDPAttribute] = []) {
        self.media = media
        self.port = port
        self.portCount = portCount
        self.proto = proto
        self.formats = formats
        self.connection = connection
        self.otherFields = otherFields
        self.attributes = attributes
    }

    public var isRejected: Bool { port == 0 }

    /// Effective direction (absent means sendrecv, RFC 8866 §6.7).
    public var direction: SDPDirection { explicitDirection ?? .sendrecv }

    public var payloadTypes: [Int] { formats.compactMap { Int($0) } }
}

public struct SessionDescription: Sendable, Hashable, SDPAttributeContainer {
    public var version: Int
    public var origin: SDPOrigin
    public var sessionName: String
    public var connection: SDPConnection?
    public var timings: [SDPTiming]
    /// Session-level i=, u=, e=, p=, b=, z=, k= and unknown lines, in order.
    public var otherFields: [SDPField]
    public var attributes: [SDPAttribute]
    public var media: [MediaDescription]

    public init(version: Int = 0, origin: SDPOrigin, sessionName: String = "-", connection: SDPConnection? = nil,
                timings: [SDPTiming] = [SDPTiming()], otherFields: [SDPField] = [],
                attributes: [SDPAttribute] = [], media: [MediaDescription] = []) {
        self.version = version
        self.origin = origin
        self.sessionName = sessionName
        self.connection = connection
        self.timings = timings
        self.otherFields = otherFields
        self.attributes = attributes
        self.media = media
    }

    /// ice-ufrag for a section, falling back to the session level as RFC 8839 allows.
    public func iceUfrag(for section: MediaDescription) -> String? { section.iceUfrag ?? iceUfrag }
    public func icePwd(for section: MediaDescription) -> String? { section.icePwd ?? icePwd }
    public func fingerprints(for section: MediaDescription) -> [SDPFingerprint] {
        let local = section.fingerprints
        return local.isEmpty ? fingerprints : local
    }
    public func setup(for section: MediaDescription) -> SDPSetupRole? { section.setup ?? setup }
    public func direction(for section: MediaDescription) -> SDPDirection {
        section.explicitDirection ?? explicitDirection ?? .sendrecv
    }

    // MARK: Parsing

    /// Parses an SDP document. Accepts CRLF or bare LF line endings and ignores blank lines.
    public static func parse(_ text: String) throws(SDPParseError) -> SessionDescription {
        var version: Int?
        var origin: SDPOrigin?
        var sessionName: String?
        var sessionConnection: SDPConnection?
        var timings: [SDPTiming] = []
        var sessionFields: [SDPField] = []
        var sessionAttributes: [SDPAttribute] = []
        var media: [MediaDescription] = []

        // "\r\n" is a single Character in Swift, so both terminators are matched explicitly.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        for (index, line) in lines.enumerated() {
            let lineNumber = index + 1
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            func fail(_ reason: String) -> SDPParseError {
                SDPParseError(line: lineNumber, text: String(line.prefix(200)), reason: reason)
            }
            guard line.count >= 2, let type = line.first, type.isASCII, type.isLetter,
                  line[line.index(after: line.startIndex)] == "=" else {
                throw fail("expected \"<letter>=<value>\"")
            }
            let value = line.dropFirst(2)
            if version == nil && type != "v" { throw fail("SDP must start with v=") }

            do throws(SDPValueError) {
                switch type {
                case "v":
                    guard version == nil else { throw SDPValueError("duplicate v= line") }
                    version = try SDPText.int(value, "version", in: 0...0)
                case "o":
                    guard origin == nil, media.isEmpty else { throw SDPValueError("unexpected o= line") }
                    let fields = SDPText.fields(value)
                    guard fields.count == 6 else { throw SDPValueError("o= needs 6 fields, has \(fields.count)") }
                    origin = SDPOrigin(username: String(fields[0]), sessionID: String(fields[1]),
                                       sessionVersion: String(fields[2]), networkType: String(fields[3]),
                                       addressType: String(fields[4]), address: String(fields[5]))
                case "s":
                    guard sessionName == nil, media.isEmpty else { throw SDPValueError("unexpected s= line") }
                    sessionName = String(value)
                case "t":
                    guard media.isEmpty else { throw SDPValueError("t= inside a media section") }
                    let fields = SDPText.fields(value)
                    guard fields.count == 2, let start = UInt64(fields[0]), let stop = UInt64(fields[1]) else {
                        throw SDPValueError("t= must be \"<start> <stop>\"")
                    }
                    timings.append(SDPTiming(start: start, stop: stop))
                case "r":
                    guard media.isEmpty, !timings.isEmpty else { throw SDPValueError("r= without preceding t=") }
                    timings[timings.count - 1].repeats.append(String(value))
                case "c":
                    let connection = try parseConnection(value)
                    if media.isEmpty {
                        sessionConnection = connection
                    } else {
                        media[media.count - 1].connection = connection
                    }
                case "m":
                    media.append(try parseMediaLine(value))
                case "a":
                    let attribute = try SDPAttribute.parse(value)
                    if media.isEmpty {
                        sessionAttributes.append(attribute)
                    } else {
                        media[media.count - 1].attributes.append(attribute)
                    }
                default:
                    let field = SDPField(type: type, value: String(value))
                    if media.isEmpty {
                        sessionFields.append(field)
                    } else {
                        media[media.count - 1].otherFields.append(field)
                    }
                }
            } catch {
                throw fail(error.reason)
            }
        }
        let lastLine = lines.count
        guard let version else { throw SDPParseError(line: 1, text: "", reason: "empty SDP (no v= line)") }
        guard let origin else { throw SDPParseError(line: lastLine, text: "", reason: "missing o= line") }
        return SessionDescription(version: version, origin: origin, sessionName: sessionName ?? "-",
                                  connection: sessionConnection,
                                  timings: timings.isEmpty ? [SDPTiming()] : timings,
                                  otherFields: sessionFields, attributes: sessionAttributes, media: media)
    }

    private static func parseConnection(_ value: Substring) throws(SDPValueError) -> SDPConnection {
        let fields = SDPText.fields(value)
        guard fields.count == 3 else { throw SDPValueError("c= must be \"<nettype> <addrtype> <address>\"") }
        return SDPConnection(networkType: String(fields[0]), addressType: String(fields[1]), address: String(fields[2]))
    }

    private static func parseMediaLine(_ value: Substring) throws(SDPValueError) -> MediaDescription {
        let fields = SDPText.fields(value)
        guard fields.count >= 3 else { throw SDPValueError("m= must be \"<media> <port> <proto> <fmt> ...\"") }
        let portParts = fields[1].split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let port = try SDPText.int(portParts[0], "media port", in: 0...65535)
        let count = portParts.count > 1 ? try SDPText.int(portParts[1], "port count", in: 1...65535) : nil
        return MediaDescription(media: String(fields[0]), port: port, portCount: count, proto: String(fields[2]),
                                formats: fields.dropFirst(3).map(String.init))
    }

    // MARK: Serialization

    /// Serializes with CRLF line endings (RFC 8866 §5), in the RFC's mandated line order.
    public func serialized() -> String {
        var lines: [String] = []
        lines.append("v=\(version)")
        lines.append("o=\(origin.username) \(origin.sessionID) \(origin.sessionVersion) \(origin.networkType) \(origin.addressType) \(origin.address)")
        lines.append("s=\(sessionName)")
        let beforeConnection: Set<Character> = ["i", "u", "e", "p"]
        let afterTimings: Set<Character> = ["z", "k"]
        for field in otherFields where beforeConnection.contains(field.type) {
            lines.append("\(field.type)=\(field.value)")
        }
        if let connection { lines.append(Self.connectionLine(connection)) }
        for field in otherFields where field.type == "b" {
            lines.append("b=\(field.value)")
        }
        for timing in timings {
            lines.append("t=\(timing.start) \(timing.stop)")
            lines += timing.repeats.map { "r=\($0)" }
        }
        for field in otherFields where afterTimings.contains(field.type) {
            lines.append("\(field.type)=\(field.value)")
        }
        // Unknown letters have no defined slot; keep them just before the attributes.
        let known = beforeConnection.union(afterTimings).union(["b"])
        for field in otherFields where !known.contains(field.type) {
            lines.append("\(field.type)=\(field.value)")
        }
        lines += attributes.map { "a=" + $0.attributeText }
        for section in media {
            let port = section.portCount.map { "\(section.port)/\($0)" } ?? "\(section.port)"
            lines.append((["m=\(section.media)", port, section.proto] + section.formats).joined(separator: " "))
            for field in section.otherFields where field.type == "i" { lines.append("i=\(field.value)") }
            if let connection = section.connection { lines.append(Self.connectionLine(connection)) }
            for field in section.otherFields where field.type != "i" { lines.append("\(field.type)=\(field.value)") }
            lines += section.attributes.map { "a=" + $0.attributeText }
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    private static func connectionLine(_ connection: SDPConnection) -> String {
        "c=\(connection.networkType) \(connection.addressType) \(connection.address)"
    }
}
