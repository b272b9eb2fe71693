import Foundation
import Testing
import RTDTestSupport
@testable import RTDCore

@Suite struct JSONValueTests {
    func error(_ text: String, limits: JSONLimits = .default) -> JSONError? {
        do {
            _ = try JSONValue.parse(text, limits: limits)
            return nil
        } catch {
            return error
        }
    }

    func error(bytes: [UInt8]) -> JSONError? {
        do {
            _ = try JSONValue.parse(bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test func parsesEveryKindOfValue() throws {
        let v = try JSONValue.parse(#" {"a": [1, -2.5e3, true, false, null, "x"], "b": {}, "c": []} "#)
        #expect(v["a"]?.array?.count == 6)
        #expect(v["a"]?.array?[0].number?.int == 1)
        #expect(v["a"]?.array?[1].number?.double == -2500)
        #expect(v["a"]?.array?[2] == .bool(true) && v["a"]?.array?[4] == .null)
        #expect(v["b"] == .object(JSONObject()) && v["c"] == .array([]))
        #expect(v["missing"] == nil && v.typeName == "object")
        #expect(try JSONValue.parse("0") == .number(JSONNumber(0)))
        #expect(try JSONValue.parse("\"\"") == .string(""))
    }

    @Test func deepNestingIsRefusedWithATypedErrorNotATrap() {
        // The body that crashed `rtd serve` through JSONDecoder (SIGILL): 513 arrays, the last at the last byte.
        let crash = String(repeating: "[", count: 513)
        #expect(error(crash) == JSONError(offset: 64, reason: .tooDeep(limit: 64)))
        #expect(error(String(repeating: "[", count: 600)) == JSONError(offset: 64, reason: .tooDeep(limit: 64)))
        let balanced = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(error(balanced)?.reason == .tooDeep(limit: 64))
        let objects = String(repeating: #"{"a":"#, count: 65) + "1" + String(repeating: "}", count: 65)
        #expect(error(objects)?.reason == .tooDeep(limit: 64))
        let deepest = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(error(deepest) == nil)
    }

    @Test func sizeStringAndCountLimitsHold() {
        let limits = JSONLimits(maxBytes: 100, maxDepth: 4, maxStringBytes: 8, maxNumberLength: 5, maxContainerCount: 3, maxValues: 6)
        #expect(error(String(repeating: " ", count: 101) + "1", limits: limits) == JSONError(offset: 100, reason: .tooLarge(limit: 100)))
        #expect(error(#""123456789""#, limits: limits)?.reason == .stringTooLong(limit: 8))
        #expect(error(#""12345678""#, limits: limits) == nil)
        // Escapes count as what they decode to: six bytes of escape are one byte of string.
        #expect(error(#""\u0041\u0041\u0041\u0041\u0041\u0041\u0041\u0041""#, limits: limits) == nil)
        #expect(error("123456", limits: limits) == JSONError(offset: 0, reason: .numberTooLong(limit: 5)))
        #expect(error("[1,2,3,4]", limits: limits)?.reason == .tooManyElements(limit: 3))
        #expect(error(#"{"a":1,"b":2,"c":3,"d":4}"#, limits: limits)?.reason == .tooManyElements(limit: 3))
        #expect(error("[[1,2],[3,4]]", limits: limits)?.reason == .tooManyValues(limit: 6))
        #expect(error("[[1,2],[3]]", limits: limits) == nil)
    }

    @Test func escapesAndSurrogatePairsDecode() throws {
        let v = try JSONValue.parse(#""\"\\\/\b\f\n\r\t\u00e9\u20AC\ud83d\ude00""#)
        #expect(v == .string("\"\\/\u{8}\u{C}\n\r\té€😀"))
        #expect(try JSONValue.parse(#""\u0000""#) == .string("\u{0}"))
        #expect(error(#""\ud83d""#) == JSONError(offset: 1, reason: .unpairedSurrogate))
        #expect(error(#""\ud83dx""#)?.reason == .unpairedSurrogate)
        #expect(error(#""\ud83d\u0041""#)?.reason == .unpairedSurrogate)
        #expect(error(#""\ude00""#)?.reason == .unpairedSurrogate)
        #expect(error(#""\u12G4""#) == JSONError(offset: 5, reason: .invalidUnicodeEscape))
        #expect(error(#""\x""#) == JSONError(offset: 1, reason: .invalidEscape))
        #expect(error("\"a\nb\"") == JSONError(offset: 2, reason: .controlCharacterInString))
        #expect(error("\"abc") == JSONError(offset: 4, reason: .unexpectedEnd))
    }

    @Test func invalidUTF8IsRefusedAtItsByte() throws {
        #expect(try JSONValue.parse(Array("\"é😀\"".utf8)) == .string("é😀"))
        let q = UInt8(ascii: "\"")
        #expect(error(bytes: [q, 0xC3, q]) == JSONError(offset: 2, reason: .invalidUTF8))       // truncated
        #expect(error(bytes: [q, 0xC0, 0x80, q]) == JSONError(offset: 1, reason: .invalidUTF8)) // overlong NUL
        #expect(error(bytes: [q, 0xE0, 0x80, 0x80, q])?.reason == .invalidUTF8)                 // overlong
        #expect(error(bytes: [q, 0xED, 0xA0, 0x80, q]) == JSONError(offset: 2, reason: .invalidUTF8)) // a surrogate
        #expect(error(bytes: [q, 0xF4, 0x90, 0x80, 0x80, q])?.reason == .invalidUTF8)           // past U+10FFFF
        #expect(error(bytes: [q, 0xFF, q])?.reason == .invalidUTF8)
        #expect(error(bytes: [q, 0x80, q])?.reason == .invalidUTF8)
        #expect(error(bytes: [0xEF, 0xBB, 0xBF, UInt8(ascii: "1")]) == JSONError(offset: 0, reason: .unexpectedByte(0xEF))) // BOM
    }

    @Test func numbersFollowTheGrammarAndConvertWithoutTrapping() throws {
        for bad in ["01", "-", "1.", ".5", "1e", "1e+", "+1", "0x10", "1.e3", "-01", "NaN", "Infinity", "--1"] {
            #expect(error(bad) != nil, "accepted \(bad)")
        }
        func number(_ text: String) throws -> JSONNumber { try #require(JSONValue.parse(text).number) }
        #expect(try number("9223372036854775807").int64 == .max)
        #expect(try number("-9223372036854775808").int64 == .min)
        #expect(try number("9223372036854775808").int64 == nil)
        #expect(try number("-9223372036854775809").int64 == nil)
        #expect(try number("1e19").int64 == nil)
        #expect(try number("9223372036854775807.0").int64 == nil)  // rounds to 2^63 as a Double
        #expect(try number("9007199254740993e0").int64 == nil)     // past 2^53: not exact as a Double
        #expect(try number("9007199254740991.0").int64 == (1 << 53) - 1)
        #expect(try number("3e2").int == 300 && number("3.0").int == 3 && number("3.5").int == nil)
        #expect(try number("1e400").double == nil && number("1e400").int64 == nil)
        #expect(try number("-0").int == 0 && number("0.25").double == 0.25)
        #expect(try number("1E-2").double == 0.01)
    }

    @Test func structureErrorsNameTheirByte() {
        #expect(error("") == JSONError(offset: 0, reason: .unexpectedEnd))
        #expect(error("[1,]") == JSONError(offset: 3, reason: .unexpectedByte(UInt8(ascii: "]"))))
        #expect(error(#"{"a" 1}"#) == JSONError(offset: 5, reason: .unexpectedByte(UInt8(ascii: "1"))))
        #expect(error(#"{"a":1,}"#) == JSONError(offset: 7, reason: .unexpectedByte(UInt8(ascii: "}"))))
        #expect(error("{a:1}") == JSONError(offset: 1, reason: .unexpectedByte(UInt8(ascii: "a"))))
        #expect(error("[1] x") == JSONError(offset: 4, reason: .trailingData))
        #expect(error("[1 2]") == JSONError(offset: 3, reason: .unexpectedByte(UInt8(ascii: "2"))))
        #expect(error("tru") == JSONError(offset: 3, reason: .unexpectedEnd))
        #expect(error("nul1") == JSONError(offset: 3, reason: .unexpectedByte(UInt8(ascii: "1"))))
        #expect(error(#"{"a":1,"a":2}"#) == JSONError(offset: 7, reason: .duplicateKey("a")))
        #expect(error("[1,2") == JSONError(offset: 4, reason: .unexpectedEnd))
        #expect(error("\u{0B}1")?.reason == .unexpectedByte(0x0B))  // not JSON whitespace
        #expect(error("[1,2")?.description == "byte 4: unexpected end of input")
        #expect(error(String(repeating: "[", count: 600))?.description == "byte 64: nested deeper than 64 levels")
    }

    @Test func serializingRoundTrips() throws {
        let texts = [
            #"{"b":[1,-0.5,2E+10,true,false,null],"a":{"x":"y\n\"\\\u0001é😀"},"":""}"#,
            "[]", "{}", "\"\u{7F}\"", "[[[[]]]]", "-0", "1e-7", #""\u2028""#,
        ]
        for text in texts {
            let value = try JSONValue.parse(text)
            let again = try JSONValue.parse(value.serialized())
            #expect(again == value, "\(text)")
            #expect(again.serialized() == value.serialized())
        }
        #expect(try JSONValue.parse(#" { "a" : [ 1 , "\u0041" ] } "#).serialized() == #"{"a":[1,"A"]}"#)
    }

    /// Seeds mutated at random: the parser never traps, and whatever it accepts round-trips.
    @Test func mutatedDocumentsNeverTrapAndAcceptedOnesRoundTrip() {
        var random = SeededRandom(seed: 11)
        let seeds = [#"{"type":"ping","id":[1,-2.5e3,true,null,"a\u00e9\ud83d\ude00"]}"#, #"[{"a":{}},[],"x",0]"#].map { Array($0.utf8) }
        let alphabet = Array(#"{}[]":,\/tfnu0123456789.eE+-ab "#.utf8) + [0x00, 0x0A, 0xC3, 0xA9, 0xED, 0xF0, 0x9F, 0xFF]
        var accepted = 0
        for _ in 0..<20_000 {
            var bytes = seeds.randomElement(using: &random)!
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let at = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes[at] = alphabet.randomElement(using: &random)!
                case 1: bytes.insert(alphabet.randomElement(using: &random)!, at: at)
                default: if bytes.count > 1 { bytes.remove(at: at) }
                }
            }
            guard let value = try? JSONValue.parse(bytes) else { continue }
            accepted += 1
            #expect((try? JSONValue.parse(value.serialized())) == value, "\(bytes)")
        }
        #expect(accepted > 500)
    }
}
