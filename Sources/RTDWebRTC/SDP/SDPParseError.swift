/// Error for malformed SDP text: the 1-based line number, the offending line and what was wrong.
public struct SDPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let line: Int
    public let text: String
    public let reason: String

    public init(line: Int, text: String, reason: String) {
        self.line = line
        self.text = text
        self.reason = reason
    }

    public var description: String { "SDP line \(line) (\"\(text)\"): \(reason)" }
}

/// Thrown while parsing a single attribute value; the document parser adds line context.
struct SDPValueError: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

enum SDPText {
    /// Splits on single spaces but tolerates runs of whitespace some implementations emit. By
    /// scalar, not by Character: a combining mark after a space joins it into one grapheme that
    /// is not " ", so a line printed with single spaces would split differently than it parsed.
    static func fields(_ text: Substring) -> [Substring] {
        text.unicodeScalars.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(Substring.init)
    }

    static func int(_ text: Substring, _ what: String, in range: ClosedRange<Int>) throws(SDPValueError) -> Int {
        guard let value = Int(text), range.contains(value) else {
            throw SDPValueError("\(what) \"\(text)\" is not an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// Splits "name:value" at the first colon; attributes without a value give nil.
    static func splitAttribute(_ text: Substring) -> (name: Substring, value: Substring?) {
        guard let colon = text.firstIndex(of: ":") else { return (text, nil) }
        return (text[..<colon], text[text.index(after: colon)...])
    }
}
