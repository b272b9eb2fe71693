import CFFmpeg
import Foundation
import Testing
@testable import RTDMedia

@Suite struct JPEGEncoderTests {
    /// Mean absolute difference of two equally sized planes.
    func meanDifference(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Double {
        Double(zip(a, b).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }) / Double(a.count)
    }

    @Test func jpegDecodesBackToThePictureWithItsLevels() throws {
        let frame = TestPattern(width: 640, height: 480, stamp: false).render(index: 7, pts: 1_500_000, capturedAt: 1)
        let encoder = try JPEGEncoder(size: VideoSize(width: 640, height: 480))
        let jpeg = try encoder.encode(frame)
        #expect(Array(jpeg.prefix(2)) == [0xFF, 0xD8] && Array(jpeg.suffix(2)) == [0xFF, 0xD9])
        // Quality 5 of a 640x480 test pattern: far below the raw size, not a degenerate picture.
        #expect(jpeg.count > 5_000 && jpeg.count < 120_000, "\(jpeg.count) bytes")
        // libavcodec's own MJPEG decoder reads it back, and converting to I420 undoes the range
        // stretch: levels (black 16, white 235) and positions come back, not a brightened picture.
        let decoder = try VideoDecoder(codecID: AV_CODEC_ID_MJPEG)
        let back = try jpeg.withUnsafeBytes { bytes throws(MediaError) in
            try decoder.decodeImage(bytes, size: nil, pts: 0, capturedAt: 0, index: 0)
        }
        let decoded = try #require(back)
        #expect(decoded.width == 640 && decoded.height == 480)
        let luma = meanDifference(frame.data[0..<frame.lumaCount], decoded.data[0..<frame.lumaCount])
        let chroma = meanDifference(frame.data[frame.lumaCount...], decoded.data[frame.lumaCount...])
        #expect(luma < 3 && chroma < 3, "mean error luma \(luma), chroma \(chroma)")
        for o in TestPattern.objects(width: 640, height: 480, pts: 1_500_000) {
            let i = (o.box[1] + o.box[3] / 2) * 640 + o.box[0] + o.box[2] / 2
            #expect(abs(Int(decoded.data[i]) - Int(frame.data[i])) <= 4, "\(o.label) centre")
        }
    }

    @Test func qualityTradesSizeAndWrongSizesAreRefused() throws {
        let frame = TestPattern(width: 320, height: 240, stamp: true).render(index: 0, pts: 0, capturedAt: 0)
        let fine = try JPEGEncoder(size: VideoSize(width: 320, height: 240), quality: 2).encode(frame)
        let coarse = try JPEGEncoder(size: VideoSize(width: 320, height: 240), quality: 20).encode(frame)
        #expect(coarse.count < fine.count)
        let encoder = try JPEGEncoder(size: VideoSize(width: 320, height: 240))
        let other = TestPattern(width: 640, height: 480, stamp: false).render(index: 0, pts: 0, capturedAt: 0)
        #expect(throws: MediaError.self) { try encoder.encode(other) }
        #expect(throws: MediaError.self) { try JPEGEncoder(size: VideoSize(width: 320, height: 240), quality: 1) }
        // Successive pictures from one encoder are each a whole JPEG.
        let again = try encoder.encode(frame)
        #expect(Array(again.prefix(2)) == [0xFF, 0xD8])
    }
}
