import Foundation

/// The YUV4MPEG2 stream header (`YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg`).
/// Parsing is a pure function over the header line's bytes.
public struct Y4MStreamHeader: Sendable, Equatable {
    public static let magic = Array("YUV4MPEG2".utf8)
    /// The 4:2:0 chroma sitings rtd reads; they share one plane layout (only siting differs).
    public static let acceptedChroma: Set<String> = ["420jpeg", "420", "420mpeg2", "420paldv"]

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

    /// Parses one header line (without its `\n`). `name` is used in error messages.
    public static func parse(_ line: some Collection<UInt8>, name: String = "input") throws(MediaError) -> Y4MStreamHeader {
        let bytes = Array(line)
        guard bytes.starts(with: magic) else {
            let shown = String(decoding: bytes.prefix(16), as: UTF8.self)
                .unicodeScalars.map { $0.value >= 32 && $0.value < 127 ? String($0) : "." }.joined()
            throw MediaError(.badInput, "\(name): not a Y4M stream: expected 'YUV4MPEG2' at byte 0, found '\(shown)'")
        }
        var width: Int?, height: Int?
        var rate: FrameRate?
        var chroma = "420jpeg", interlacing = "p", aspect = "1:1"
        var extensions: [String] = []
        var position = magic.count
        for token in bytes[magic.count...].split(separator: 0x20, omittingEmptySubsequences: false) {
            defer { position += token.count + 1 }
            guard let tag = token.first else { continue }
            let value = String(decoding: token.dropFirst(), as: UTF8.self)
            let at = "\(name): Y4M header byte \(position + 1)"
            switch tag {
            case UInt8(ascii: "W"):
                guard let w = Int(value), w > 0, w <= 16384 else { throw MediaError(.badInput, "\(at): bad width 'W\(value)'") }
                width = w
            case UInt8(ascii: "H"):
                guard let h = Int(value), h > 0, h <= 16384 else { throw MediaError(.badInput, "\(at): bad height 'H\(value)'") }
                height = h
            case UInt8(ascii: "F"):
                let parts = value.split(separator: ":")
                guard parts.count == 2, let n = Int(parts[0]), let d = Int(parts[1]), n > 0, d > 0 else {
                    throw MediaError(.badInput, "\(at): bad frame rate 'F\(value)' (expected F30:1)")
                }
                rate = FrameRate(n, d)
            case UInt8(ascii: "C"):
                guard acceptedChroma.contains(value) else {
                    throw MediaError(.unsupported, "\(at): unsupported chroma format 'C\(value)': rtd reads 4:2:0 only "
                        + "(C420jpeg, C420, C420mpeg2, C420paldv); convert with ffmpeg -pix_fmt yuv420p")
                }
                chroma = value
            case UInt8(ascii: "I"):
                interlacing = value
            case UInt8(ascii: "A"):
                aspect = value
            case UInt8(ascii: "X"):
                extensions.append(value)
            default:
                throw MediaError(.badInput, "\(at): unknown header parameter '\(String(decoding: token, as: UTF8.self))'")
            }
        }
        guard let width, let height else {
            throw MediaError(.badInput, "\(name): Y4M header lacks the frame size (W and H parameters)")
        }
        return Y4MStreamHeader(width: width, height: height, frameRate: rate ?? FrameRate(25),
                               chroma: chroma, interlacing: interlacing, aspect: aspect, extensions: extensions)
    }

    public func serialized() -> [UInt8] {
        var s = "YUV4MPEG2 W\(width) H\(height) F\(frameRate.numerator):\(frameRate.denominator) I\(interlacing) A\(aspect) C\(chroma)"
        for x in extensions { s += " X\(x)" }
        s += "\n"
        return Array(s.utf8)
    }

    public var frameByteCount: Int { Frame.byteCount(width: width, height: height) }
}

/// The per-frame header: `FRAME` plus optional parameters. rtd writes
/// `Xpts=<µs since stream start>` and `Xts=<capture time, unix µs>`; other parameters are ignored.
public struct Y4MFrameHeader: Sendable, Equatable {
    public static let magic = Array("FRAME".utf8)
    public var pts: Int64?
    public var capturedAt: Int64?

    public init(pts: Int64? = nil, capturedAt: Int64? = nil) {
        self.pts = pts
        self.capturedAt = capturedAt
    }

    public static func parse(_ line: some Collection<UInt8>) -> Y4MFrameHeader? {
        let bytes = Array(line)
        guard bytes.starts(with: magic), bytes.count == magic.count || bytes[magic.count] == 0x20 else { return nil }
        var header = Y4MFrameHeader()
        for token in bytes[magic.count...].split(separator: 0x20) {
            if token.starts(with: Array("Xpts=".utf8)) {
                header.pts = Int64(String(decoding: token.dropFirst(5), as: UTF8.self))
            } else if token.starts(with: Array("Xts=".utf8)) {
                header.capturedAt = Int64(String(decoding: token.dropFirst(4), as: UTF8.self))
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

/// Reads a Y4M stream frame by frame. Frame payloads are read straight into each frame's storage.
public final class Y4MReader {
    public let header: Y4MStreamHeader
    private let input: FileDescriptorReader
    public private(set) var framesRead = 0

    public init(input: FileDescriptorReader) throws(MediaError) {
        self.input = input
        guard let line = try input.readLine(maxLength: 4096) else {
            throw MediaError(.badInput, "\(input.name): empty input, expected a Y4M stream")
        }
        header = try Y4MStreamHeader.parse(line, name: input.name)
        letPipeHoldOneFrame(input.fd, bytes: header.frameByteCount)
    }

    /// The next frame, or nil at a clean end of stream. A truncated frame is an error naming
    /// the frame number and byte offset.
    public func next() throws(MediaError) -> Frame? {
        let frameStart = input.offset
        guard let line = try input.readLine(maxLength: 4096) else { return nil }
        guard let fh = Y4MFrameHeader.parse(line) else {
            let shown = String(decoding: line.prefix(16), as: UTF8.self)
            throw MediaError(.badInput, "\(input.name): frame \(framesRead): expected 'FRAME' at byte \(frameStart), found '\(shown)'")
        }
        let size = header.frameByteCount
        let payloadStart = input.offset
        var got = 0
        var failure: MediaError?
        let data = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            do throws(MediaError) {
                got = try input.readFully(into: UnsafeMutableRawBufferPointer(buffer))
            } catch {
                failure = error
            }
            // Any unread tail is zeroed so the array is always initialised; it is discarded below.
            if got < size { (buffer.baseAddress! + got).initialize(repeating: 0, count: size - got) }
            count = size
        }
        if let failure { throw failure }
        guard got == size else {
            throw MediaError(.badInput, "\(input.name): frame \(framesRead) truncated at byte \(payloadStart + Int64(got)): "
                + "expected \(size) bytes of \(header.width)x\(header.height) I420, got \(got)")
        }
        let index = framesRead
        framesRead += 1
        let pts = fh.pts ?? Int64((Double(index) * header.frameRate.frameDurationMicros).rounded())
        let ts = fh.capturedAt ?? Clock.nowMicros()
        return Frame(width: header.width, height: header.height, pts: pts, capturedAt: ts, index: index, data: data)
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
            letPipeHoldOneFrame(output.fd, bytes: h.frameByteCount)
            try output.write(h.serialized())
            header = h
        }
        try output.write(Y4MFrameHeader(pts: frame.pts, capturedAt: frame.capturedAt).serialized())
        try frame.data.withUnsafeBufferPointer { (p) throws(MediaError) in try output.write(UnsafeRawBufferPointer(p)) }
        framesWritten += 1
    }
}
