import Foundation
import RTDCore

/// A Y4M stream that breaks the format or one of rtd's limits: which field, its value as found,
/// and where. One line, e.g.
/// `y4m: stream header, byte 19: frame rate 'F1:10000000000000' out of range (1/1000 .. 1000/1 fps)`.
public struct Y4MError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Field: String, Sendable, Equatable {
        case signature, width, height, frameSize = "frame size", frameRate = "frame rate"
        case interlacing, aspect = "aspect ratio", chroma, parameter
        case line = "header line", pts = "Xpts", capturedAt = "Xts", payload = "frame data", time = "frame time"
    }

    public enum Place: Sendable, Equatable {
        case streamHeader
        /// A frame header or payload; the index is known once a reader places it.
        case frame(Int?)
    }

    public var field: Field
    public var place: Place
    /// Byte offset of the offending text: within the line for the `parse` functions, within the
    /// stream once `Y4MReader` reports it.
    public var offset: Int64
    public var detail: String
    /// Well-formed, but not something rtd reads (e.g. 4:2:2 chroma).
    public var isUnsupported: Bool

    public init(_ field: Field, _ place: Place, at offset: Int, _ detail: String, unsupported: Bool = false) {
        self.field = field
        self.place = place
        self.offset = Int64(offset)
        self.detail = detail
        isUnsupported = unsupported
    }

    public var description: String {
        let where_: String
        switch place {
        case .streamHeader: where_ = "stream header"
        case .frame(let i?): where_ = "frame \(i)"
        case .frame(nil): where_ = "frame header"
        }
        return "y4m: \(where_), byte \(offset): \(detail)"
    }

    /// The same error, placed in a stream: frame `index`, its header line starting at `lineStart`.
    func placed(frame index: Int?, lineStart: Int64) -> Y4MError {
        var e = self
        if case .frame = place { e.place = .frame(index) }
        e.offset += lineStart
        return e
    }

    func mediaError(input name: String) -> MediaError {
        MediaError(isUnsupported ? .unsupported : .badInput, "\(name): \(description)")
    }

    /// Bytes as they may be shown in a one-line message: printable ASCII, others as \xNN, cut short.
    static func shown(_ bytes: some Collection<UInt8>) -> String {
        var s = ""
        for b in bytes.prefix(40) {
            s += (0x20..<0x7F).contains(b) ? String(UnicodeScalar(b)) : "\\x" + String(b, radix: 16, uppercase: true).leftPadded(2)
        }
        return bytes.count > 40 ? s + "…" : s
    }
}

private extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}

/// Header-line helpers shared by the stream and frame header parsers.
enum Y4MSyntax {
    /// Longest header line read (stream or frame). Real headers are under 100 bytes; the bound
    /// keeps a stream without newlines from being buffered whole.
    static let maxLine = 4096

    /// Splits at spaces (runs of them too), giving each token with its byte offset in the line.
    static func tokens(_ bytes: [UInt8], from start: Int) -> [(offset: Int, bytes: ArraySlice<UInt8>)] {
        var out: [(Int, ArraySlice<UInt8>)] = []
        var i = start
        while i < bytes.count {
            if bytes[i] == 0x20 { i += 1; continue }
            var end = i
            while end < bytes.count && bytes[end] != 0x20 { end += 1 }
            out.append((i, bytes[i..<end]))
            i = end
        }
        return out
    }

    /// A token must be printable ASCII: anything else is named with its offset.
    static func checkPrintable(_ token: ArraySlice<UInt8>, at offset: Int, _ place: Y4MError.Place) throws(Y4MError) {
        guard let bad = token.firstIndex(where: { !(0x21..<0x7F).contains($0) }) else { return }
        let hint = token[bad] == 0x0D ? " (CRLF line ends? Y4M lines end with \\n only)" : ""
        throw Y4MError(.parameter, place, at: offset + (bad - token.startIndex),
                       "parameter '\(Y4MError.shown(token))' contains byte 0x\(String(token[bad], radix: 16, uppercase: true).leftPadded(2))\(hint)")
    }

    /// Unsigned decimal digits only (no sign, no spaces). More than 18 digits saturates to
    /// Int.max, so a range check reports it as out of range rather than overflowing.
    static func unsigned(_ digits: some Collection<UInt8>) -> Int? {
        guard !digits.isEmpty, digits.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        guard digits.count <= 18 else { return .max }
        return digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }

    /// `-?digits`, saturating like `unsigned`.
    static func signed(_ text: ArraySlice<UInt8>) -> Int? {
        if text.first == UInt8(ascii: "-") { return unsigned(text.dropFirst()).map { -$0 } }
        return unsigned(text)
    }

    /// `N:D` with unsigned decimal terms.
    static func ratio(_ text: ArraySlice<UInt8>) -> (Int, Int)? {
        guard let colon = text.firstIndex(of: UInt8(ascii: ":")),
              let n = unsigned(text[..<colon]), let d = unsigned(text[(colon + 1)...]) else { return nil }
        return (n, d)
    }
}

/// The YUV4MPEG2 stream header (`YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg`).
/// Parsing is a pure function over the header line's bytes; every field is range-checked.
public struct Y4MStreamHeader: Sendable, Equatable {
    public static let magic = Array("YUV4MPEG2".utf8)
    /// The 4:2:0 chroma sitings rtd reads; they share one plane layout (only siting differs).
    public static let acceptedChroma: Set<String> = ["420jpeg", "420", "420mpeg2", "420paldv"]
    /// Interlacing values of the format (progressive, top/bottom field first, mixed, unknown).
    /// rtd treats every frame as one picture, so all of them are read the same way.
    public static let acceptedInterlacing: Set<String> = ["p", "t", "b", "m", "?"]
    public static let maxDimension = 16384
    /// At most 2²⁶ pixels (e.g. 8192x8192): a frame is then at most 96 MiB, and libavcodec's own
    /// size check ((w+128)·(h+128) < 2³¹/8) holds for every size that passes.
    public static let maxPixels = 1 << 26
    /// The rate used when the header gives none, or `F0:0` (unknown).
    public static let defaultFrameRate = FrameRate(25)

    public var width: Int
    public var height: Int
    public var frameRate: FrameRate
    public var chroma: String
    public var interlacing: String
    public var aspect: String
    /// `X…` parameters of the stream header, kept verbatim.
    public var extensions: [String]

    public init(width: Int, height: Int, frameRate: FrameRate, chroma: String = "420jpeg",
                interlacing: String = "p", aspect: String = "1:1", extensions: [String] = []) {
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.chroma = chroma
        self.interlacing = interlacing
        self.aspect = aspect
        self.extensions = extensions
    }

    /// Parses one header line (without its `\n`). Never traps; every problem is a `Y4MError`
    /// naming the field, its value and its byte offset in the line.
    public static func parse(_ line: some Collection<UInt8>) throws(Y4MError) -> Y4MStreamHeader {
        guard line.count <= Y4MSyntax.maxLine else {
            throw Y4MError(.line, .streamHeader, at: 0, "header line of \(line.count) bytes is longer than \(Y4MSyntax.maxLine)")
        }
        let bytes = Array(line)
        guard bytes.starts(with: magic), bytes.count == magic.count || bytes[magic.count] == 0x20 else {
            throw Y4MError(.signature, .streamHeader, at: 0,
                           "not a Y4M stream: expected 'YUV4MPEG2', found '\(Y4MError.shown(bytes.prefix(16)))'")
        }
        var width: Int?, height: Int?
        var rate: FrameRate?
        var chroma = "420jpeg", interlacing = "p", aspect = "1:1"
        var extensions: [String] = []
        var seen: [UInt8: Int] = [:]
        var sizeOffset = 0
        for (at, token) in Y4MSyntax.tokens(bytes, from: magic.count) {
            try Y4MSyntax.checkPrintable(token, at: at, .streamHeader)
            let tag = token.first!
            let raw = token.dropFirst()
            let value = String(decoding: raw, as: UTF8.self)
            let shown = Y4MError.shown(token)
            func fail(_ field: Y4MError.Field, _ detail: String, unsupported: Bool = false) -> Y4MError {
                Y4MError(field, .streamHeader, at: at, detail, unsupported: unsupported)
            }
            if tag != UInt8(ascii: "X") {
                if let first = seen[tag] { throw fail(.parameter, "parameter '\(shown)' repeated (first at byte \(first))") }
                seen[tag] = at
            }
            switch tag {
            case UInt8(ascii: "W"), UInt8(ascii: "H"):
                let field: Y4MError.Field = tag == UInt8(ascii: "W") ? .width : .height
                guard let n = Y4MSyntax.unsigned(raw) else { throw fail(field, "\(field.rawValue) '\(shown)' is not a number") }
                guard (1...maxDimension).contains(n) else {
                    throw fail(field, "\(field.rawValue) '\(shown)' out of range (1 .. \(maxDimension))")
                }
                if tag == UInt8(ascii: "W") { width = n } else { height = n }
                sizeOffset = max(sizeOffset, at)
            case UInt8(ascii: "F"):
                guard let (n, d) = Y4MSyntax.ratio(raw) else {
                    throw fail(.frameRate, "frame rate '\(shown)' malformed (expected e.g. F30:1 or F30000:1001)")
                }
                if n == 0 && d == 0 {
                    rate = defaultFrameRate
                } else {
                    let r = FrameRate(n, d)
                    guard r.isWithinLimits else {
                        throw fail(.frameRate, "frame rate '\(shown)' out of range (\(FrameRate.limitsText), "
                            + "terms at most \(FrameRate.maxTerm); F0:0 for unknown)")
                    }
                    rate = r
                }
            case UInt8(ascii: "C"):
                guard acceptedChroma.contains(value) else {
                    throw fail(.chroma, "unsupported chroma format '\(shown)': rtd reads 4:2:0 only "
                        + "(C420jpeg, C420, C420mpeg2, C420paldv); convert with ffmpeg -pix_fmt yuv420p", unsupported: true)
                }
                chroma = value
            case UInt8(ascii: "I"):
                guard acceptedInterlacing.contains(value) else {
                    throw fail(.interlacing, "interlacing '\(shown)' unknown (expected Ip, It, Ib, Im or I?)")
                }
                interlacing = value
            case UInt8(ascii: "A"):
                guard let (n, d) = Y4MSyntax.ratio(raw) else {
                    throw fail(.aspect, "aspect ratio '\(shown)' malformed (expected e.g. A1:1, or A0:0 for unknown)")
                }
                guard (n == 0 && d == 0) || ((1...FrameRate.maxTerm).contains(n) && (1...FrameRate.maxTerm).contains(d)) else {
                    throw fail(.aspect, "aspect ratio '\(shown)' out of range (A0:0, or terms 1 .. \(FrameRate.maxTerm))")
                }
                aspect = value
            case UInt8(ascii: "X"):
                extensions.append(value)
            default:
                throw fail(.parameter, "unknown parameter '\(shown)'")
            }
        }
        guard let width, let height else {
            throw Y4MError(.frameSize, .streamHeader, at: bytes.count, "frame size missing (the header needs W and H)")
        }
        guard width * height <= maxPixels else {
            throw Y4MError(.frameSize, .streamHeader, at: sizeOffset,
                           "frame size W\(width) H\(height) (\(width * height) pixels) above the limit of \(maxPixels) (8192x8192)")
        }
        return Y4MStreamHeader(width: width, height: height, frameRate: rate ?? defaultFrameRate,
                               chroma: chroma, interlacing: interlacing, aspect: aspect, extensions: extensions)
    }

    public func serialized() -> [UInt8] {
        var s = "YUV4MPEG2 W\(width) H\(height) F\(frameRate.numerator):\(frameRate.denominator) I\(interlacing) A\(aspect) C\(chroma)"
        for x in extensions { s += " X\(x)" }
        s += "\n"
        return Array(s.utf8)
    }

    /// I420 bytes of one frame; at most 96 MiB for a header that parsed.
    public var frameByteCount: Int { Frame.byteCount(width: width, height: height) }
}

/// The per-frame header: `FRAME` plus optional parameters. rtd writes
/// `Xpts=<µs since stream start>` and `Xts=<capture time, unix µs>`; other `X` parameters and
/// the per-frame `I` are ignored.
public struct Y4MFrameHeader: Sendable, Equatable {
    public static let magic = Array("FRAME".utf8)
    /// ±10¹⁵ µs (31 years): differences of two such times, and sums with a clock reading, never
    /// overflow Int64 downstream (pacing, --duration, the encoder's time base).
    public static let ptsRange: ClosedRange<Int64> = -1_000_000_000_000_000...1_000_000_000_000_000
    /// The Unix epoch up to the end of year 9999.
    public static let capturedAtRange: ClosedRange<Int64> = 0...253_402_300_799_999_999

    public var pts: Int64?
    public var capturedAt: Int64?

    public init(pts: Int64? = nil, capturedAt: Int64? = nil) {
        self.pts = pts
        self.capturedAt = capturedAt
    }

    /// Parses one frame header line (without its `\n`). Never traps; errors name the parameter.
    public static func parse(_ line: some Collection<UInt8>) throws(Y4MError) -> Y4MFrameHeader {
        let place = Y4MError.Place.frame(nil)
        guard line.count <= Y4MSyntax.maxLine else {
            throw Y4MError(.line, place, at: 0, "header line of \(line.count) bytes is longer than \(Y4MSyntax.maxLine)")
        }
        let bytes = Array(line)
        guard bytes.starts(with: magic), bytes.count == magic.count || bytes[magic.count] == 0x20 else {
            throw Y4MError(.signature, place, at: 0, "expected 'FRAME', found '\(Y4MError.shown(bytes.prefix(16)))'")
        }
        var header = Y4MFrameHeader()
        for (at, token) in Y4MSyntax.tokens(bytes, from: magic.count) {
            try Y4MSyntax.checkPrintable(token, at: at, place)
            let shown = Y4MError.shown(token)
            switch token.first! {
            case UInt8(ascii: "I"):
                continue
            case UInt8(ascii: "X"):
                for (key, field, range) in [("Xpts=", Y4MError.Field.pts, ptsRange), ("Xts=", .capturedAt, capturedAtRange)] {
                    guard token.starts(with: key.utf8) else { continue }
                    let digits = token.dropFirst(key.utf8.count)
                    guard let v = Y4MSyntax.signed(digits) else {
                        throw Y4MError(field, place, at: at, "\(field.rawValue) '\(shown)' is not an integer")
                    }
                    guard range.contains(Int64(v)) else {
                        throw Y4MError(field, place, at: at, "\(field.rawValue) '\(shown)' out of range (\(range.lowerBound) .. \(range.upperBound) µs)")
                    }
                    let old = field == .pts ? header.pts : header.capturedAt
                    guard old == nil else { throw Y4MError(field, place, at: at, "parameter '\(shown)' repeated") }
                    if field == .pts { header.pts = Int64(v) } else { header.capturedAt = Int64(v) }
                }
            default:
                throw Y4MError(.parameter, place, at: at, "unknown frame parameter '\(shown)' (frames take only I and X parameters)")
            }
        }
        return header
    }

    public func serialized() -> [UInt8] {
        var s = "FRAME"
        if let pts { s += " Xpts=\(pts)" }
        if let capturedAt { s += " Xts=\(capturedAt)" }
        s += "\n"
        return Array(s.utf8)
    }
}

/// One header line as read from a stream.
public enum HeaderLine: Sendable, Equatable {
    case line([UInt8])
    /// The stream ended cleanly before the line began.
    case end
    /// The stream ended inside the line, after this many bytes.
    case cutShort(Int)
    /// No newline within the length allowed; the first bytes, for the message.
    case tooLong(prefix: [UInt8])
}

/// What `Y4MReader` reads from: a file descriptor, or bytes in memory (tests, fuzzing).
public protocol Y4MByteSource: AnyObject {
    var name: String { get }
    /// Bytes consumed so far.
    var offset: Int64 { get }
    func readLine(maxLength: Int) throws(MediaError) -> HeaderLine
    /// Fills `destination`; returns fewer bytes only when the stream ended.
    func readFully(into destination: UnsafeMutableRawBufferPointer) throws(MediaError) -> Int
    /// Bytes left, when known ahead: a frame larger than that is refused without allocating it.
    var bytesLeft: Int? { get }
}

/// A byte buffer read as a stream.
public final class MemoryByteSource: Y4MByteSource {
    public let name: String
    private let bytes: [UInt8]
    private var position = 0

    public init(_ bytes: [UInt8], name: String = "memory") {
        self.bytes = bytes
        self.name = name
    }

    public var offset: Int64 { Int64(position) }
    public var bytesLeft: Int? { bytes.count - position }

    public func readLine(maxLength: Int) -> HeaderLine {
        guard position < bytes.count else { return .end }
        let window = bytes[position..<min(bytes.count, position + maxLength + 1)]
        guard let nl = window.firstIndex(of: 0x0A) else {
            if window.count > maxLength { return .tooLong(prefix: Array(window.prefix(16))) }
            return .cutShort(window.count)
        }
        let line = Array(bytes[position..<nl])
        position = nl + 1
        return .line(line)
    }

    public func readFully(into destination: UnsafeMutableRawBufferPointer) -> Int {
        let n = min(destination.count, bytes.count - position)
        bytes.withUnsafeBytes { src in
            destination.baseAddress?.copyMemory(from: src.baseAddress! + position, byteCount: n)
        }
        position += n
        return n
    }
}

/// Reads a Y4M stream frame by frame. Frame payloads are read straight into each frame's storage.
public final class Y4MReader {
    public let header: Y4MStreamHeader
    private let input: any Y4MByteSource
    public private(set) var framesRead = 0

    public init(input: any Y4MByteSource) throws(MediaError) {
        self.input = input
        switch try input.readLine(maxLength: Y4MSyntax.maxLine) {
        case .end:
            throw MediaError(.badInput, "\(input.name): empty input, expected a Y4M stream")
        case .cutShort(let n):
            throw Y4MError(.line, .streamHeader, at: n, "stream ends inside the header line").mediaError(input: input.name)
        case .tooLong(let prefix):
            guard prefix.starts(with: Y4MStreamHeader.magic) else {
                throw Y4MError(.signature, .streamHeader, at: 0, "not a Y4M stream: expected 'YUV4MPEG2', "
                    + "found '\(Y4MError.shown(prefix))'").mediaError(input: input.name)
            }
            throw Y4MError(.line, .streamHeader, at: 0, "header line longer than \(Y4MSyntax.maxLine) bytes")
                .mediaError(input: input.name)
        case .line(let line):
            do { header = try Y4MStreamHeader.parse(line) } catch { throw error.mediaError(input: input.name) }
        }
        if let fd = (input as? FileDescriptorReader)?.fd { letPipeHoldOneFrame(fd, bytes: header.frameByteCount) }
    }

    /// A reader over bytes in memory: the same checks as over a pipe (for tests and fuzzing).
    public convenience init(bytes: [UInt8], name: String = "memory") throws(MediaError) {
        try self.init(input: MemoryByteSource(bytes, name: name))
    }

    /// The next frame, or nil at a clean end of stream. Any problem is an error naming the
    /// frame number and byte offset.
    public func next() throws(MediaError) -> Frame? {
        let index = framesRead
        let frameStart = input.offset
        func fail(_ field: Y4MError.Field, at offset: Int64, _ detail: String) -> MediaError {
            Y4MError(field, .frame(index), at: Int(offset), detail).mediaError(input: input.name)
        }
        let fh: Y4MFrameHeader
        switch try input.readLine(maxLength: Y4MSyntax.maxLine) {
        case .end:
            return nil
        case .cutShort(let n):
            throw fail(.line, at: frameStart + Int64(n), "stream ends inside the frame header")
        case .tooLong(let prefix):
            throw fail(.line, at: frameStart, "frame header '\(Y4MError.shown(prefix))' longer than \(Y4MSyntax.maxLine) bytes")
        case .line(let line):
            do { fh = try Y4MFrameHeader.parse(line) } catch {
                throw error.placed(frame: index, lineStart: frameStart).mediaError(input: input.name)
            }
        }
        let size = header.frameByteCount
        let payloadStart = input.offset
        func truncated(_ got: Int) -> MediaError {
            fail(.payload, at: payloadStart + Int64(got),
                 "frame data truncated: expected \(size) bytes of \(header.width)x\(header.height) I420, got \(got)")
        }
        if let left = input.bytesLeft, left < size { throw truncated(left) }
        var got = 0
        var failure: MediaError?
        let data = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            do throws(MediaError) {
                got = try input.readFully(into: UnsafeMutableRawBufferPointer(buffer))
            } catch {
                failure = error
            }
            // Only what was read counts as initialised; a short array is discarded below, so a
            // truncated huge frame never touches the rest of its allocation.
            count = got
        }
        if let failure { throw failure }
        guard got == size else { throw truncated(got) }
        let pts: Int64
        if let p = fh.pts {
            pts = p
        } else {
            guard let p = header.frameRate.pts(ofFrame: index), Y4MFrameHeader.ptsRange.contains(p) else {
                throw fail(.time, at: frameStart, "frame time at \(header.frameRate.numerator):\(header.frameRate.denominator) fps "
                    + "leaves \(Y4MFrameHeader.ptsRange) µs (give Xpts)")
            }
            pts = p
        }
        framesRead += 1
        return Frame(width: header.width, height: header.height, pts: pts, capturedAt: fh.capturedAt ?? SystemClock.nowMicros(),
                     index: index, data: data)
    }
}

/// Writes frames as Y4M. The stream header is written with the first frame, from its size.
public final class Y4MWriter {
    private let output: FileDescriptorWriter
    private let frameRate: FrameRate
    private var header: Y4MStreamHeader?
    public private(set) var framesWritten = 0

    public init(output: FileDescriptorWriter, frameRate: FrameRate) {
        self.output = output
        self.frameRate = frameRate
    }

    public func write(_ frame: Frame) throws(MediaError) {
        if let header {
            guard header.width == frame.width, header.height == frame.height else {
                throw MediaError(.unsupported, "frame \(frame.index) is \(frame.width)x\(frame.height) but the Y4M stream is "
                    + "\(header.width)x\(header.height); Y4M cannot change size mid-stream (use --size)")
            }
        } else {
            let h = Y4MStreamHeader(width: frame.width, height: frame.height, frameRate: frameRate)
            // Never write a stream rtd itself would refuse to read (a source's odd rate or size).
            do { _ = try Y4MStreamHeader.parse(h.serialized().dropLast()) } catch {
                throw MediaError(.unsupported, "cannot write \(output.name): \(error)")
            }
            letPipeHoldOneFrame(output.fd, bytes: h.frameByteCount)
            try output.write(h.serialized())
            header = h
        }
        try output.write(Y4MFrameHeader(pts: frame.pts, capturedAt: frame.capturedAt).serialized())
        try frame.data.withUnsafeBufferPointer { (p) throws(MediaError) in try output.write(UnsafeRawBufferPointer(p)) }
        framesWritten += 1
    }
}
