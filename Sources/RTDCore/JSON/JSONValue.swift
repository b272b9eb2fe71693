/// A JSON document (RFC 8259) parsed from untrusted bytes by a pure, bounded parser.
///
/// Foundation's JSON scanners trap on some hostile inputs (arrays nested past 512 levels crash
/// the process), so no JSON from outside goes to them: every size, length, count and nesting
/// depth is bounded here first, and every failure is a `JSONError` naming the byte offset.
/// Numbers keep their text, so parse → serialize → parse gives the same document.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
}

/// A JSON number, kept as its (validated) text: no precision is lost and nothing is converted
/// until a caller asks for a type, and then out-of-range values give nil instead of trapping.
public struct JSONNumber: Sendable, Equatable, CustomStringConvertible {
    public let text: String

    /// `text` must already match the RFC 8259 number grammar (the parser and `init(_:)` ensure it).
    init(validated text: String) { self.text = text }
    public init(_ value: Int) { text = String(value) }

    public var description: String { text }

    /// The value when it is a whole number that fits an Int64 (`3`, `3.0`, `3e2`), else nil.
    public var int64: Int64? {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) else {
            return Int64(text)  // nil out of range
        }
        // A fraction or exponent goes through Double, which is exact only below 2^53.
        guard let d = Double(text), d.isFinite, d == d.rounded(.towardZero), d.magnitude < 0x1p53 else { return nil }
        return Int64(d)
    }

    public var int: Int? { int64.flatMap { Int(exactly: $0) } }

    /// The nearest Double, or nil when the number is beyond Double's range (`1e400`).
    public var double: Double? { Double(text).flatMap { $0.isFinite ? $0 : nil } }
}

/// An object's members in document order (duplicate names are refused by the parser).
public struct JSONObject: Sendable, Equatable {
    public var members: [(key: String, value: JSONValue)]

    public init(_ members: [(key: String, value: JSONValue)] = []) { self.members = members }

    public subscript(key: String) -> JSONValue? {
        members.first { $0.key == key }?.value
    }

    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        a.members.count == b.members.count && zip(a.members, b.members).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}

/// Bounds a parse stays within; past any of them it stops with a typed error.
public struct JSONLimits: Sendable, Equatable {
    /// Total input size in bytes.
    public var maxBytes: Int
    /// Arrays and objects inside one another (the document's top level is depth 1).
    public var maxDepth: Int
    /// Bytes of one decoded string (member names included).
    public var maxStringBytes: Int
    /// Characters of one number's text.
    public var maxNumberLength: Int
    /// Elements of one array or members of one object.
    public var maxContainerCount: Int
    /// Values in the whole document.
    public var maxValues: Int

    public init(maxBytes: Int, maxDepth: Int, maxStringBytes: Int, maxNumberLength: Int = 64,
                maxContainerCount: Int, maxValues: Int) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxStringBytes = maxStringBytes
        self.maxNumberLength = maxNumberLength
        self.maxContainerCount = maxContainerCount
        self.maxValues = maxValues
    }

    /// Request bodies and JSON Lines records: far above any legitimate message of rtd's.
    public static let `default` = JSONLimits(maxBytes: 1 << 20, maxDepth: 64, maxStringBytes: 256 << 10,
                                             maxContainerCount: 10_000, maxValues: 100_000)
    /// Viewer control messages (`ping`, `subscribe`): tiny by nature.
    public static let control = JSONLimits(maxBytes: 16 << 10, maxDepth: 16, maxStringBytes: 4 << 10,
                                           maxContainerCount: 256, maxValues: 1_024)
}

/// Why a JSON text was refused, and at which byte (0-based) of the input.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        case tooLarge(limit: Int)
        case tooDeep(limit: Int)
        case stringTooLong(limit: Int)
        case numberTooLong(limit: Int)
        case tooManyElements(limit: Int)
        case tooManyValues(limit: Int)
        case unexpectedEnd
        case unexpectedByte(UInt8)
        case invalidNumber
        case invalidEscape
        case invalidUnicodeEscape
        case unpairedSurrogate
        case controlCharacterInString
        case invalidUTF8
        case duplicateKey(String)
        case trailingData
    }

    public let offset: Int
    public let reason: Reason

    public init(offset: Int, reason: Reason) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "byte \(offset): \(reasonText)" }

    public var reasonText: String {
        switch reason {
        case .tooLarge(let n): "document over \(n) bytes"
        case .tooDeep(let n): "nested deeper than \(n) levels"
        case .stringTooLong(let n): "string over \(n) bytes"
        case .numberTooLong(let n): "number over \(n) characters"
        case .tooManyElements(let n): "array or object with more than \(n) elements"
        case .tooManyValues(let n): "more than \(n) values in the document"
        case .unexpectedEnd: "unexpected end of input"
        case .unexpectedByte(let b):
            (0x21..<0x7F).contains(b) ? "unexpected '\(Character(Unicode.Scalar(b)))'" : "unexpected byte 0x\(String(b, radix: 16, uppercase: true))"
        case .invalidNumber: "invalid number"
        case .invalidEscape: "invalid escape sequence"
        case .invalidUnicodeEscape: "invalid \\u escape (expected 4 hex digits)"
        case .unpairedSurrogate: "unpaired UTF-16 surrogate in \\u escape"
        case .controlCharacterInString: "unescaped control character in string"
        case .invalidUTF8: "invalid UTF-8"
        case .duplicateKey(let k): "duplicate member name '\(k.count > 40 ? String(k.prefix(40)) + "…" : k)'"
        case .trailingData: "data after the JSON value"
        }
    }
}

// MARK: - Access

extension JSONValue {
    public var object: JSONObject? { if case .object(let o) = self { o } else { nil } }
    public var array: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    public var string: String? { if case .string(let s) = self { s } else { nil } }
    public var number: JSONNumber? { if case .number(let n) = self { n } else { nil } }
    public var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var isNull: Bool { self == .null }

    /// A member of an object (nil for a missing member or a value that is not an object).
    public subscript(key: String) -> JSONValue? { object?[key] }

    /// The JSON type's name, for error messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

// MARK: - Parsing

extension JSONValue {
    /// Parses exactly one JSON value (surrounding whitespace allowed) from UTF-8 bytes.
    public static func parse(_ bytes: some Collection<UInt8>, limits: JSONLimits = .default) throws(JSONError) -> JSONValue {
        // Checked before copying, so an oversized input costs nothing.
        guard bytes.count <= limits.maxBytes else { throw JSONError(offset: limits.maxBytes, reason: .tooLarge(limit: limits.maxBytes)) }
        var parser = JSONParser(bytes: Array(bytes), limits: limits)
        return try parser.document()
    }

    public static func parse(_ text: String, limits: JSONLimits = .default) throws(JSONError) -> JSONValue {
        try parse(text.utf8, limits: limits)
    }
}

/// Recursive descent; recursion depth is bounded by `limits.maxDepth`, so the stack is too.
private struct JSONParser {
    let b: [UInt8]
    let limits: JSONLimits
    var i = 0
    var depth = 0
    var values = 0

    init(bytes: [UInt8], limits: JSONLimits) {
        b = bytes
        self.limits = limits
    }

    func fail(_ reason: JSONError.Reason, at offset: Int? = nil) -> JSONError {
        JSONError(offset: offset ?? i, reason: reason)
    }

    mutating func document() throws(JSONError) -> JSONValue {
        skipWhitespace()
        let value = try value()
        skipWhitespace()
        guard i == b.count else { throw fail(.trailingData) }
        return value
    }

    mutating func skipWhitespace() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
    }

    mutating func value() throws(JSONError) -> JSONValue {
        guard i < b.count else { throw fail(.unexpectedEnd) }
        values += 1
        guard values <= limits.maxValues else { throw fail(.tooManyValues(limit: limits.maxValues)) }
        switch b[i] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw fail(.unexpectedByte(b[i]))
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONError) {
        for k in 0..<word.utf8CodeUnitCount {
            guard i < b.count else { throw fail(.unexpectedEnd) }
            guard b[i] == word.utf8Start[k] else { throw fail(.unexpectedByte(b[i])) }
            i += 1
        }
    }

    mutating func enter() throws(JSONError) {
        depth += 1
        guard depth <= limits.maxDepth else { throw fail(.tooDeep(limit: limits.maxDepth)) }
        i += 1  // the opening bracket
    }

    /// Right after an opening bracket: true, past the closing one, when the container is empty.
    mutating func leave(ifNext close: UInt8) -> Bool {
        skipWhitespace()
        guard i < b.count, b[i] == close else { return false }
        i += 1
        depth -= 1
        return true
    }

    /// After an element: `,` goes on (false); `close` ends the container (true).
    mutating func leave(after close: UInt8) throws(JSONError) -> Bool {
        skipWhitespace()
        guard i < b.count else { throw fail(.unexpectedEnd) }
        switch b[i] {
        case UInt8(ascii: ","):
            i += 1
            return false
        case close:
            i += 1
            depth -= 1
            return true
        default: throw fail(.unexpectedByte(b[i]))
        }
    }

    mutating func array() throws(JSONError) -> JSONValue {
        try enter()
        var elements: [JSONValue] = []
        if leave(ifNext: UInt8(ascii: "]")) { return .array(elements) }
        repeat {
            guard elements.count < limits.maxContainerCount else { throw fail(.tooManyElements(limit: limits.maxContainerCount)) }
            skipWhitespace()
            elements.append(try value())
        } while try !leave(after: UInt8(ascii: "]"))
        return .array(elements)
    }

    mutating func object() throws(JSONError) -> JSONValue {
        try enter()
        var members: [(key: String, value: JSONValue)] = []
        var names = Set<String>()
        if leave(ifNext: UInt8(ascii: "}")) { return .object(JSONObject(members)) }
        repeat {
            guard members.count < limits.maxContainerCount else { throw fail(.tooManyElements(limit: limits.maxContainerCount)) }
            skipWhitespace()
            guard i < b.count else { throw fail(.unexpectedEnd) }
            guard b[i] == UInt8(ascii: "\"") else { throw fail(.unexpectedByte(b[i])) }
            let keyStart = i
            let key = try string()
            // A repeated name means different readers could see different values: refuse it.
            guard names.insert(key).inserted else { throw fail(.duplicateKey(key), at: keyStart) }
            skipWhitespace()
            guard i < b.count else { throw fail(.unexpectedEnd) }
            guard b[i] == UInt8(ascii: ":") else { throw fail(.unexpectedByte(b[i])) }
            i += 1
            skipWhitespace()
            members.append((key, try value()))
        } while try !leave(after: UInt8(ascii: "}"))
        return .object(JSONObject(members))
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, kept as text.
    mutating func number() throws(JSONError) -> JSONNumber {
        let start = i
        let b = self.b
        func isDigit(_ k: Int) -> Bool { k < b.count && b[k] >= UInt8(ascii: "0") && b[k] <= UInt8(ascii: "9") }
        if b[i] == UInt8(ascii: "-") { i += 1 }
        guard isDigit(i) else { throw fail(i < b.count ? .invalidNumber : .unexpectedEnd) }
        if b[i] == UInt8(ascii: "0") {
            i += 1
            if isDigit(i) { throw fail(.invalidNumber) }  // no leading zeros
        } else {
            while isDigit(i) { i += 1 }
        }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            guard isDigit(i) else { throw fail(i < b.count ? .invalidNumber : .unexpectedEnd) }
            while isDigit(i) { i += 1 }
        }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            guard isDigit(i) else { throw fail(i < b.count ? .invalidNumber : .unexpectedEnd) }
            while isDigit(i) { i += 1 }
        }
        guard i - start <= limits.maxNumberLength else { throw fail(.numberTooLong(limit: limits.maxNumberLength), at: start) }
        return JSONNumber(validated: String(decoding: b[start..<i], as: UTF8.self))
    }

    /// A string starting at the opening quote; escapes resolved, UTF-8 validated.
    mutating func string() throws(JSONError) -> String {
        let start = i
        i += 1
        var out: [UInt8] = []
        while true {
            guard out.count <= limits.maxStringBytes else { throw fail(.stringTooLong(limit: limits.maxStringBytes), at: start) }
            guard i < b.count else { throw fail(.unexpectedEnd) }
            let c = b[i]
            switch c {
            case UInt8(ascii: "\""):
                i += 1
                return String(decoding: out, as: UTF8.self)  // valid UTF-8 by construction
            case UInt8(ascii: "\\"):
                try escape(into: &out)
            case 0..<0x20:
                throw fail(.controlCharacterInString)
            case 0x20..<0x80:
                out.append(c)
                i += 1
            default:
                let n = try utf8Sequence()
                out.append(contentsOf: b[i..<i + n])
                i += n
            }
        }
    }

    /// Length of the well-formed UTF-8 sequence at `i` (RFC 3629: no overlongs, no surrogates,
    /// nothing past U+10FFFF), or an error at its first bad byte.
    func utf8Sequence() throws(JSONError) -> Int {
        let lead = b[i]
        let length: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF  // range of the first continuation byte
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: throw fail(.invalidUTF8)
        }
        for k in 1..<length {
            guard i + k < b.count else { throw fail(.invalidUTF8, at: i + k) }
            let byte = b[i + k]
            let (lo, hi) = k == 1 ? (low, high) : (UInt8(0x80), UInt8(0xBF))
            guard byte >= lo, byte <= hi else { throw fail(.invalidUTF8, at: i + k) }
        }
        return length
    }

    mutating func escape(into out: inout [UInt8]) throws(JSONError) {
        let start = i
        i += 1
        guard i < b.count else { throw fail(.unexpectedEnd) }
        let c = b[i]
        i += 1
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(c)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if (0xD800...0xDBFF).contains(scalar) {
                // A high surrogate must be followed at once by an escaped low surrogate.
                guard i + 1 < b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") else {
                    throw fail(.unpairedSurrogate, at: start)
                }
                i += 2
                let low = try hex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw fail(.unpairedSurrogate, at: start) }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw fail(.unpairedSurrogate, at: start)
            }
            // Not a surrogate now, and at most 0x10FFFF: always a valid scalar.
            guard let u = Unicode.Scalar(scalar) else { throw fail(.invalidUnicodeEscape, at: start) }
            out.append(contentsOf: String(Character(u)).utf8)
        default:
            throw fail(.invalidEscape, at: start)
        }
    }

    mutating func hex4() throws(JSONError) -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard i < b.count else { throw fail(.unexpectedEnd) }
            let c = b[i]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: throw fail(.invalidUnicodeEscape)
            }
            v = v << 4 | UInt32(d)
            i += 1
        }
        return v
    }
}

// MARK: - Serializing

extension JSONValue {
    /// Compact JSON text (members in their order, no whitespace); parsing it gives `self` back.
    public func serialized() -> String {
        var s = ""
        write(to: &s)
        return s
    }

    private func write(to s: inout String) {
        switch self {
        case .null: s += "null"
        case .bool(let v): s += v ? "true" : "false"
        case .number(let n): s += n.text
        case .string(let v): JSONLine.appendString(v, to: &s)
        case .array(let elements):
            s += "["
            for (k, e) in elements.enumerated() {
                if k > 0 { s += "," }
                e.write(to: &s)
            }
            s += "]"
        case .object(let o):
            s += "{"
            for (k, m) in o.members.enumerated() {
                if k > 0 { s += "," }
                JSONLine.appendString(m.key, to: &s)
                s += ":"
                m.value.write(to: &s)
            }
            s += "}"
        }
    }
}
