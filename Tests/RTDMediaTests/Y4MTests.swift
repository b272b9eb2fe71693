import Foundation
import Testing
import RTDTestSupport
@testable import RTDMedia
@testable import RTDCore

/// The Y4MError a header line gives, or nil when it parses.
private func headerError(_ line: String) -> Y4MError? {
    do { _ = try Y4MStreamHeader.parse(Array(line.utf8)); return nil } catch { return error }
}

private func frameHeaderError(_ line: String) -> Y4MError? {
    do { _ = try Y4MFrameHeader.parse(Array(line.utf8)); return nil } catch { return error }
}

/// Every frame of a Y4M byte string read in memory, and the error that ended it (nil: clean end).
private func readAll(_ bytes: [UInt8]) -> (frames: [Frame], error: MediaError?) {
    var frames: [Frame] = []
    do {
        let r = try Y4MReader(bytes: bytes)
        while let f = try r.next() { frames.append(f) }
        return (frames, nil)
    } catch {
        return (frames, error)
    }
}

private func stream(_ header: String, frames: [String], size: Int) -> [UInt8] {
    var out = Array((header + "\n").utf8)
    for (i, fh) in frames.enumerated() {
        out += Array((fh + "\n").utf8)
        out += [UInt8](repeating: UInt8(i & 0xFF), count: size)
    }
    return out
}

@Suite struct Y4MHeaderTests {
    @Test func parsesAllAccepted420Chromas() throws {
        for c in ["420jpeg", "420", "420mpeg2", "420paldv"] {
            let h = try Y4MStreamHeader.parse(Array("YUV4MPEG2 W320 H240 F30000:1001 Ip A1:1 C\(c) XYSCSS=420JPEG".utf8))
            #expect(h.width == 320 && h.height == 240)
            #expect(h.frameRate == FrameRate(30000, 1001))
            #expect(h.chroma == c)
            #expect(h.extensions == ["YSCSS=420JPEG"])
        }
    }

    @Test func defaultsChromaAndRate() throws {
        let h = try Y4MStreamHeader.parse(Array("YUV4MPEG2 W16 H8".utf8))
        #expect(h.chroma == "420jpeg")
        #expect(h.frameRate == FrameRate(25))
        #expect(try Y4MStreamHeader.parse(Array("YUV4MPEG2 W16 H8 F0:0 A0:0 I?".utf8)).frameRate == FrameRate(25))
    }

    @Test func serializationRoundTrips() throws {
        let h = Y4MStreamHeader(width: 1920, height: 1080, frameRate: FrameRate(60), extensions: ["FOO=1"])
        let line = h.serialized()
        #expect(line.last == 0x0A)
        #expect(try Y4MStreamHeader.parse(line.dropLast()) == h)
    }

    /// Each field at and just past its bounds: the error names the field and its value.
    @Test(arguments: [
        ("W0", Y4MError.Field.width, "width 'W0' out of range (1 .. 16384)"),
        ("W16385", .width, "'W16385' out of range"),
        ("W-5", .width, "'W-5' is not a number"),
        ("W+5", .width, "'W+5' is not a number"),
        ("W99999999999999999999999", .width, "out of range"),
        ("W", .width, "'W' is not a number"),
        ("H0", .height, "height 'H0' out of range"),
        ("H16385", .height, "'H16385' out of range"),
        ("H1e3", .height, "not a number"),
        ("F30:0", .frameRate, "frame rate 'F30:0' out of range (1/1000 .. 1000/1 fps"),
        ("F0:1", .frameRate, "'F0:1' out of range"),
        ("F1:10000000000000", .frameRate, "frame rate 'F1:10000000000000' out of range (1/1000 .. 1000/1 fps"),
        ("F9223372036854775807:1", .frameRate, "'F9223372036854775807:1' out of range"),
        ("F1001:1", .frameRate, "'F1001:1' out of range"),
        ("F1:1001", .frameRate, "'F1:1001' out of range"),
        ("F2147483648:2147483648", .frameRate, "out of range"),
        ("F30", .frameRate, "'F30' malformed"),
        ("F30:1:1", .frameRate, "malformed"),
        ("F-30:1", .frameRate, "malformed"),
        ("A1:0", .aspect, "aspect ratio 'A1:0' out of range"),
        ("A0:1", .aspect, "out of range"),
        ("A4294967296:1", .aspect, "out of range"),
        ("Asquare", .aspect, "'Asquare' malformed"),
        ("Ix", .interlacing, "interlacing 'Ix' unknown"),
        ("Ipp", .interlacing, "'Ipp' unknown"),
        ("C422", .chroma, "unsupported chroma format 'C422'"),
        ("C420p10", .chroma, "'C420p10'"),
        ("Cmono", .chroma, "'Cmono'"),
        ("Z9", .parameter, "unknown parameter 'Z9'"),
        ("W32 W64", .parameter, "parameter 'W64' repeated (first at byte 10)"),
        ("Ip\r", .parameter, "contains byte 0x0D (CRLF"),
        ("X\u{1}", .parameter, "contains byte 0x01"),
    ])
    func eachFieldIsBounded(token: String, field: Y4MError.Field, message: String) throws {
        // The token first (at byte 10), then whichever of W32 H24 it does not replace.
        let line = (["YUV4MPEG2", token] + ["W32", "H24"].filter { $0.first != token.first }).joined(separator: " ")
        let e = try #require(headerError(line), "\(line) parsed")
        #expect(e.field == field)
        #expect(e.description.contains(message), "\(e)")
        #expect(e.description.hasPrefix("y4m: stream header, byte "))
        #expect(!e.description.contains("\n"))
        if field != .parameter { #expect(e.offset == 10, "\(e)") }
    }

    @Test func boundsThemselvesAreAccepted() throws {
        for line in ["YUV4MPEG2 W1 H1 F1:1000", "YUV4MPEG2 W16384 H4096 F1000:1", "YUV4MPEG2 W8192 H8192 F2147483647:2147483647",
                     "YUV4MPEG2 W3 H3 It A2147483647:1", "YUV4MPEG2 W3 H3 Ib", "YUV4MPEG2 W3 H3 Im", "YUV4MPEG2  W2   H2 "] {
            #expect(headerError(line) == nil, "\(line)")
        }
    }

    @Test func frameSizeIsBoundedAsAWhole() throws {
        let e = try #require(headerError("YUV4MPEG2 W16384 H16384"))
        #expect(e.field == .frameSize)
        #expect(e.description.contains("W16384 H16384 (268435456 pixels) above the limit of 67108864"))
        #expect(headerError("YUV4MPEG2 W16384 H4097")?.field == .frameSize)
        let missing = try #require(headerError("YUV4MPEG2 W320 F30:1"))
        #expect(missing.field == .frameSize && missing.description.contains("frame size missing"))
    }

    @Test func refusesOtherSignaturesAndLongLines() throws {
        #expect(headerError("GIF89a....")?.field == .signature)
        #expect(headerError("YUV4MPEG2X W2 H2")?.field == .signature)
        #expect(headerError("YUV4MPEG W2 H2")?.description.contains("expected 'YUV4MPEG2', found 'YUV4MPEG W2 H2'") == true)
        #expect(headerError("YUV4MPEG2 W2 H2 X" + String(repeating: "a", count: 5000))?.field == .line)
    }

    @Test func chromaIsUnsupportedNotMalformed() throws {
        let e = try #require(headerError("YUV4MPEG2 W320 H240 C444"))
        #expect(e.isUnsupported && e.mediaError(input: "stdin").kind == .unsupported)
        #expect(headerError("YUV4MPEG2 W0 H240")?.mediaError(input: "stdin").kind == .badInput)
    }

    @Test func frameHeaderFields() throws {
        #expect(try Y4MFrameHeader.parse(Array("FRAME Ixyz Xpts=33333 XFOO=bar Xts=1764070000000000".utf8))
            == Y4MFrameHeader(pts: 33333, capturedAt: 1_764_070_000_000_000))
        #expect(try Y4MFrameHeader.parse(Array("FRAME".utf8)) == Y4MFrameHeader())
        #expect(try Y4MFrameHeader.parse(Array("FRAME Xpts=-5".utf8)) == Y4MFrameHeader(pts: -5))
        #expect(frameHeaderError("FRAMES")?.field == .signature)
        #expect(frameHeaderError("FRAM")?.description.contains("expected 'FRAME', found 'FRAM'") == true)
        let out = Y4MFrameHeader(pts: 5, capturedAt: 7).serialized()
        #expect(String(decoding: out, as: UTF8.self) == "FRAME Xpts=5 Xts=7\n")
    }

    @Test(arguments: [
        ("FRAME Xpts=abc", Y4MError.Field.pts, "Xpts 'Xpts=abc' is not an integer"),
        ("FRAME Xpts=", .pts, "not an integer"),
        ("FRAME Xpts=1000000000000001", .pts, "out of range"),
        ("FRAME Xpts=-9223372036854775808", .pts, "out of range"),
        ("FRAME Xpts=99999999999999999999999", .pts, "out of range"),
        ("FRAME Xpts=1 Xpts=2", .pts, "repeated"),
        ("FRAME Xts=-1", .capturedAt, "Xts 'Xts=-1' out of range"),
        ("FRAME Xts=253402300800000000", .capturedAt, "out of range"),
        ("FRAME Xts=1.5", .capturedAt, "not an integer"),
        ("FRAME Q1", .parameter, "unknown frame parameter 'Q1'"),
        ("FRAME Xpts=1\r", .parameter, "0x0D"),
    ])
    func frameHeaderBounds(line: String, field: Y4MError.Field, message: String) throws {
        let e = try #require(frameHeaderError(line), "\(line) parsed")
        #expect(e.field == field)
        #expect(e.description.contains(message), "\(e)")
        #expect(e.description.hasPrefix("y4m: frame header, byte "), "\(e)")
    }

    /// Mutated headers: parsing never traps, and what parses survives serialize → parse unchanged.
    @Test func parsersSurviveHostileInputAndRoundTrip() {
        var rng = SeededRandom(seed: 42)
        let seeds = [Array("YUV4MPEG2 W320 H240 F30:1 Ip A1:1 C420jpeg XCOLORRANGE=FULL".utf8),
                     Array("FRAME Ixyz Xpts=33333 Xts=1764070000000000".utf8)]
        var parsed = 0
        for i in 0..<40_000 {
            var bytes = seeds[i % 2]
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                switch Int.random(in: 0..<4, using: &rng) {
                case 0 where !bytes.isEmpty: bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                case 1 where !bytes.isEmpty: bytes.remove(at: Int.random(in: 0..<bytes.count, using: &rng))
                case 2: bytes.insert(UInt8.random(in: 0x30...0x39, using: &rng), at: Int.random(in: 0...bytes.count, using: &rng))
                default: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...bytes.count, using: &rng))
                }
            }
            if let h = try? Y4MStreamHeader.parse(bytes) {
                parsed += 1
                #expect((try? Y4MStreamHeader.parse(h.serialized().dropLast())) == h, "\(String(decoding: bytes, as: UTF8.self))")
                #expect(h.frameByteCount <= 96 << 20)
            }
            if let fh = try? Y4MFrameHeader.parse(bytes) {
                parsed += 1
                #expect((try? Y4MFrameHeader.parse(fh.serialized().dropLast())) == fh)
            }
        }
        #expect(parsed > 1000, "the mutations should leave many inputs valid: \(parsed)")
    }
}

@Suite struct Y4MTimingTests {
    @Test func ptsIsExactAndNeverOverflows() {
        #expect(FrameRate(30000, 1001).pts(ofFrame: 3) == 100_100)
        #expect(FrameRate(1, 1000).pts(ofFrame: 2) == 2_000_000_000)
        #expect(FrameRate(3, 1).pts(ofFrame: 1) == 333_333)
        #expect(FrameRate(3, 2).pts(ofFrame: 1) == 666_667)
        #expect(FrameRate(1, 1000).pts(ofFrame: Int.max) == nil)
        #expect(FrameRate(1000, 1).pts(ofFrame: Int.max) == nil)
        #expect(FrameRate(1, 10_000_000_000_000).pts(ofFrame: 1) == nil)
        #expect(FrameRate(Int.max, 1).pts(ofFrame: 1) == nil)
        #expect(FrameRate(30, 1).pts(ofFrame: -1) == nil)
    }

    @Test func slowestRateTimesFramesWithoutXpts() throws {
        let (frames, error) = readAll(stream("YUV4MPEG2 W2 H2 F1:1000", frames: ["FRAME", "FRAME", "FRAME Xpts=7"], size: 6))
        #expect(error == nil)
        #expect(frames.map(\.pts) == [0, 1_000_000_000, 7])
    }

    /// The rates that used to trap in Y4MReader.next(): refused at the header, naming them.
    @Test(arguments: ["F1:10000000000000", "F9223372036854775807:1", "F1:9223372036854775807"])
    func overflowingRatesAreRefusedAtTheHeader(rate: String) throws {
        let (frames, error) = readAll(stream("YUV4MPEG2 W2 H2 \(rate)", frames: ["FRAME", "FRAME"], size: 6))
        #expect(frames.isEmpty)
        let e = try #require(error)
        #expect(e.kind == .badInput)
        #expect(e.message == "memory: y4m: stream header, byte 16: frame rate '\(rate)' out of range "
            + "(1/1000 .. 1000/1 fps, terms at most 2147483647; F0:0 for unknown)")
    }

    @Test func frameRateOptionIsBounded() throws {
        for bad in ["1e300", "1/9223372036854775807", "2147483648/1", "0.0001", "nan", "1/1001"] {
            #expect(throws: MediaError.self, "\(bad)") { try FrameRate.parse(bad) }
        }
        #expect(try FrameRate.parse("0.001") == FrameRate(1, 1000))
        #expect(try FrameRate.parse("4294967296/4294967296") == FrameRate(1))
    }
}

@Suite struct Y4MStreamTests {
    func write(_ frames: [Frame], to path: String, rate: FrameRate = FrameRate(30)) throws {
        let w = Y4MWriter(output: try FileDescriptorWriter.create(path: path), frameRate: rate)
        for f in frames { try w.write(f) }
    }

    @Test func roundTripIsBitExactAndKeepsTiming() throws {
        let dir = TempDir()
        let pattern = TestPattern(width: 64, height: 48, stamp: false)
        let frames = (0..<5).map { pattern.render(index: $0, pts: Int64($0) * 33_333, capturedAt: 1_700_000_000_000_000 + Int64($0)) }
        try write(frames, to: dir.path("a.y4m"))
        let reader = try Y4MReader(input: FileDescriptorReader.open(path: dir.path("a.y4m")))
        #expect(reader.header.width == 64 && reader.header.frameRate == FrameRate(30))
        var back: [Frame] = []
        while let f = try reader.next() { back.append(f) }
        #expect(back.count == 5)
        for (a, b) in zip(frames, back) {
            #expect(a.data == b.data)
            #expect(a.pts == b.pts && a.capturedAt == b.capturedAt && a.index == b.index)
        }
    }

    @Test func oddSizesUseRoundedUpChroma() throws {
        let dir = TempDir()
        let data = (0..<Frame.byteCount(width: 5, height: 3)).map { UInt8($0 % 251) }
        #expect(data.count == 15 + 2 * 3 * 2)
        try write([Frame(width: 5, height: 3, pts: 0, capturedAt: 1, index: 0, data: data)], to: dir.path("odd.y4m"))
        let reader = try Y4MReader(input: FileDescriptorReader.open(path: dir.path("odd.y4m")))
        #expect(try reader.next()?.data == data)
        #expect(try reader.next() == nil)
    }

    @Test func truncatedFrameNamesFrameAndOffset() throws {
        let dir = TempDir()
        let pattern = TestPattern(width: 32, height: 16, stamp: false)
        try write((0..<3).map { pattern.render(index: $0, pts: 0, capturedAt: 0) }, to: dir.path("t.y4m"))
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir.path("t.y4m"))))
        bytes.removeLast(100)
        try Data(bytes).write(to: URL(fileURLWithPath: dir.path("cut.y4m")))
        for reader in [try Y4MReader(input: FileDescriptorReader.open(path: dir.path("cut.y4m"))), try Y4MReader(bytes: bytes)] {
            _ = try reader.next(); _ = try reader.next()
            #expect { _ = try reader.next() } throws: { e in
                let m = (e as! MediaError).message
                return m.contains("y4m: frame 2, byte \(bytes.count): frame data truncated: expected 768 bytes of 32x16 I420, got 668")
            }
        }
    }

    @Test func truncatedHeadersAreNamed() throws {
        #expect(readAll(Array("YUV4MPEG2 W4 H2".utf8)).error?.message == "memory: y4m: stream header, byte 15: stream ends inside the header line")
        #expect(readAll(Array("YUV4MPEG2 W4 H2\nFRA".utf8)).error?.message == "memory: y4m: frame 0, byte 19: stream ends inside the frame header")
        #expect(readAll([]).error?.message == "memory: empty input, expected a Y4M stream")
        #expect(readAll(Array("YUV4MPEG2 W4 H2\n".utf8)).error == nil)
        let noNewline = readAll([UInt8](repeating: 0x41, count: 10_000)).error?.message ?? ""
        #expect(noNewline.contains("not a Y4M stream: expected 'YUV4MPEG2', found 'AAAAAAAAAAAAAAAA'"), "\(noNewline)")
        let longFrame = readAll(Array("YUV4MPEG2 W4 H2\nFRAME X\(String(repeating: "a", count: 5000))\n".utf8)).error?.message ?? ""
        #expect(longFrame.contains("frame 0, byte 16: frame header 'FRAME Xaaaaaaaaa' longer than 4096 bytes"), "\(longFrame)")
    }

    /// A huge frame size with a few bytes behind it is refused before its buffer is allocated.
    @Test func hugeTruncatedFrameInMemoryIsRefusedUpFront() throws {
        let e = readAll(Array("YUV4MPEG2 W8192 H8192\nFRAME\nabc".utf8)).error
        #expect(e?.message == "memory: y4m: frame 0, byte 31: frame data truncated: expected 100663296 bytes of 8192x8192 I420, got 3")
    }

    @Test func missingFrameMarkerIsReported() throws {
        let dir = TempDir()
        try Data("YUV4MPEG2 W4 H2 F30:1\nFRAMX\n".utf8).write(to: URL(fileURLWithPath: dir.path("bad.y4m")))
        let reader = try Y4MReader(input: FileDescriptorReader.open(path: dir.path("bad.y4m")))
        #expect { _ = try reader.next() } throws: { e in
            (e as! MediaError).message == "\(dir.path("bad.y4m")): y4m: frame 0, byte 22: expected 'FRAME', found 'FRAMX'"
        }
    }

    @Test func frameHeaderErrorsCarryStreamOffsets() throws {
        let bytes = stream("YUV4MPEG2 W2 H2", frames: ["FRAME", "FRAME Xts=x"], size: 6)
        let (frames, error) = readAll(bytes)
        #expect(frames.count == 1)
        #expect(error?.message == "memory: y4m: frame 1, byte \(16 + 6 + 6 + 6): Xts 'Xts=x' is not an integer")
    }

    @Test func writerRefusesSizeChange() throws {
        let dir = TempDir()
        let w = Y4MWriter(output: try FileDescriptorWriter.create(path: dir.path("s.y4m")), frameRate: FrameRate(30))
        try w.write(TestPattern(width: 32, height: 16, stamp: false).render(index: 0, pts: 0, capturedAt: 0))
        #expect(throws: MediaError.self) {
            try w.write(TestPattern(width: 64, height: 16, stamp: false).render(index: 1, pts: 0, capturedAt: 0))
        }
    }

    @Test func writerRefusesAStreamItCouldNotRead() throws {
        let dir = TempDir()
        let w = Y4MWriter(output: try FileDescriptorWriter.create(path: dir.path("r.y4m")), frameRate: FrameRate(1, 5000))
        #expect { try w.write(TestPattern(width: 32, height: 16, stamp: false).render(index: 0, pts: 0, capturedAt: 0)) } throws: { e in
            (e as! MediaError).message.contains("frame rate 'F1:5000' out of range")
        }
    }

    /// Mutated streams: the in-memory reader and the file reader agree frame for frame and error
    /// for error, and neither traps.
    @Test func readersSurviveMutatedStreamsAndAgree() throws {
        let dir = TempDir()
        let pattern = TestPattern(width: 16, height: 8, stamp: false)
        try write((0..<3).map { pattern.render(index: $0, pts: Int64($0), capturedAt: 9) }, to: dir.path("v.y4m"))
        let valid = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir.path("v.y4m"))))
        var rng = SeededRandom(seed: 7)
        for i in 0..<300 {
            var bytes = valid
            let cut = Int.random(in: 0...bytes.count, using: &rng)
            bytes = Array(bytes[..<cut])
            for _ in 0..<Int.random(in: 0...4, using: &rng) where !bytes.isEmpty {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            let p = dir.path("m\(i).y4m")
            try Data(bytes).write(to: URL(fileURLWithPath: p))
            var fromFile: [Frame] = []
            var fileError: MediaError?
            do {
                let r = try Y4MReader(input: FileDescriptorReader.open(path: p))
                while let f = try r.next() { fromFile.append(f) }
            } catch { fileError = error }
            let memory = readAll(bytes)
            #expect(memory.frames.map(\.data) == fromFile.map(\.data))
            #expect(memory.error?.message.replacingOccurrences(of: "memory: ", with: "\(p): ") == fileError?.message)
        }
    }
}

@Suite struct OddSizeEncodingTests {
    @Test func paddingRepeatsTheLastColumnAndRow() {
        let data: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17] // 3x3 luma, 2x2 U, 2x2 V
        let f = Frame(width: 3, height: 3, pts: 5, capturedAt: 6, index: 7, data: data).paddedToEven()
        #expect(f.width == 4 && f.height == 4 && f.pts == 5 && f.capturedAt == 6 && f.index == 7)
        #expect(f.data == [1, 2, 3, 3, 4, 5, 6, 6, 7, 8, 9, 9, 7, 8, 9, 9, 10, 11, 12, 13, 14, 15, 16, 17])
        let even = Frame(width: 2, height: 2, pts: 0, capturedAt: 0, index: 0, data: [1, 2, 3, 4, 5, 6])
        #expect(even.paddedToEven() === even)
        let row = Frame(width: 2, height: 1, pts: 0, capturedAt: 0, index: 0, data: [1, 2, 3, 4]).paddedToEven()
        #expect(row.data == [1, 2, 1, 2, 3, 4])
    }

    /// Sizes libx264 refuses (odd) are padded and encode; the recording reads back at the padded
    /// size with the picture intact.
    @Test(arguments: [(3, 3), (63, 47), (33, 1), (1, 1), (16384, 1)])
    func oddSizesEncodeAndReadBack(width: Int, height: Int) throws {
        let dir = TempDir()
        var options = EncoderOptions()
        options.preset = "ultrafast"
        options.crf = 0
        let writer = try VideoFileWriter(path: dir.path("odd.mkv"), size: VideoSize(width: width, height: height),
                                         frameRate: FrameRate(30), options: options)
        #expect(writer.encodedSize == VideoSize(width: width + width % 2, height: height + height % 2))
        let frames = (0..<3).map { i in
            Frame(width: width, height: height, pts: Int64(i) * 33_333, capturedAt: 0, index: i,
                  data: (0..<Frame.byteCount(width: width, height: height)).map { UInt8(truncatingIfNeeded: ($0 / 3 + i * 40) | 16) })
        }
        for f in frames { try writer.write(f) }
        try writer.finish()
        let source = try AVFormatSource(url: dir.path("odd.mkv"), live: false, options: SourceOptions())
        var back: [Frame] = []
        while let f = try source.nextFrame() { back.append(f) }
        #expect(back.count == 3)
        let first = try #require(back.first)
        #expect(first.width == writer.encodedSize.width && first.height == writer.encodedSize.height)
        // Lossless (crf 0): the top-left luma matches the input exactly.
        #expect(first.data[0] == frames[0].data[0])
    }

    @Test func sizesAndRatesTheEncoderCannotTakeAreRefusedBeforeOpening() throws {
        let dir = TempDir()
        for (size, rate, message) in [(VideoSize(width: 16385, height: 2), FrameRate(30), "width and height must be 1 .. 16384"),
                                      (VideoSize(width: 16384, height: 16384), FrameRate(30), "more than 67108864 pixels"),
                                      (VideoSize(width: 0, height: 2), FrameRate(30), "must be 1 .. 16384"),
                                      (VideoSize(width: 64, height: 48), FrameRate(1, 10_000_000_000_000), "fps: out of range"),
                                      (VideoSize(width: 64, height: 48), FrameRate(Int.max, 1), "out of range")] {
            #expect { _ = try VideoFileWriter(path: dir.path("x.mkv"), size: size, frameRate: rate) } throws: { e in
                (e as! MediaError).message.contains(message)
            }
            #expect(!FileManager.default.fileExists(atPath: dir.path("x.mkv")))
        }
        var options = EncoderOptions()
        options.bitrateKbps = Int.max
        #expect(throws: MediaError.self) { _ = try VideoFileWriter(path: dir.path("x.mkv"), size: VideoSize(width: 64, height: 48), frameRate: FrameRate(30), options: options) }
        options = EncoderOptions()
        options.keyframeInterval = Int(Int32.max) + 1
        #expect(throws: MediaError.self) { _ = try VideoFileWriter(path: dir.path("x.mkv"), size: VideoSize(width: 64, height: 48), frameRate: FrameRate(30), options: options) }
    }

    /// The live (WebRTC) encoders pad odd sizes the same way, and VP8's limit is refused before
    /// libvpx is opened.
    @Test(arguments: [VideoCodec.h264, .vp8])
    func liveEncodersPadOddSizes(codec: VideoCodec) throws {
        let encoder = try LiveEncoder(codec: codec, settings: .init(), size: VideoSize(width: 63, height: 47), frameRate: FrameRate(30))
        #expect(encoder.encodedSize == VideoSize(width: 64, height: 48))
        var out: [EncodedFrame] = []
        for i in 0..<3 {
            let frame = Frame(width: 63, height: 47, pts: Int64(i) * 33_333, capturedAt: 0, index: i,
                              data: [UInt8](repeating: UInt8(60 + i * 20), count: Frame.byteCount(width: 63, height: 47)))
            if let e = try encoder.encode(frame, keyframe: i == 0) { out.append(e) }
        }
        #expect(out.first?.isKeyframe == true)
        #expect { _ = try LiveEncoder(codec: .vp8, settings: .init(), size: VideoSize(width: 16384, height: 2), frameRate: FrameRate(30)) }
            throws: { e in (e as! MediaError).message.contains("at most 16383 per side") }
    }

    /// Every failure inside init frees each libav object once (this crashed in avcodec_send_frame
    /// from deinit, then freed the format context twice).
    @Test func failuresAfterAllocationDoNotCrash() throws {
        let dir = TempDir()
        #expect(throws: MediaError.self) {
            _ = try VideoFileWriter(path: dir.path("no/such/dir/x.mkv"), size: VideoSize(width: 64, height: 48), frameRate: FrameRate(30))
        }
        #expect(throws: MediaError.self) {
            _ = try VideoFileWriter(path: dir.path("x.unknown-container"), size: VideoSize(width: 64, height: 48), frameRate: FrameRate(30))
        }
        var options = EncoderOptions()
        options.preset = "no-such-preset"
        #expect(throws: MediaError.self) {
            _ = try VideoFileWriter(path: dir.path("p.mkv"), size: VideoSize(width: 64, height: 48), frameRate: FrameRate(30), options: options)
        }
    }
}
