import Foundation
import Testing
@testable import RTDDetection
@testable import RTDMedia

@Suite struct DetectionRecordTests {
    static let full = DetectionRecord(
        camera: "cam0", frame: 42, ptsUs: 1_400_000, capturedAtUs: 1_764_070_000_000_000, rtpTimestamp: 126_000,
        width: 640, height: 480, detector: "motion", inferenceUs: 850,
        detections: [Detection(label: "person", score: 0.91, box: BoundingBox(x: 120, y: 80, width: 64, height: 128),
                               trackId: 7)])

    @Test func encodesTheDocumentedLine() {
        #expect(Self.full.jsonLine() == #"{"type":"detections","camera":"cam0","frame":42,"pts_us":1400000,"#
            + #""captured_at_us":1764070000000000,"rtp_timestamp":126000,"width":640,"height":480,"#
            + #""detector":"motion","inference_us":850,"#
            + #""detections":[{"label":"person","score":0.91,"box":[120,80,64,128],"track_id":7}]}"#)
    }

    @Test func omitsNilOptionalFields() {
        var record = Self.full
        record.camera = nil
        record.capturedAtUs = nil
        record.rtpTimestamp = nil
        record.detections[0].trackId = nil
        record.detections.append(Detection(label: "car", score: 0.5, box: BoundingBox(x: 0, y: 0, width: 1, height: 2)))
        #expect(record.jsonLine() == #"{"type":"detections","frame":42,"pts_us":1400000,"width":640,"height":480,"#
            + #""detector":"motion","inference_us":850,"detections":[{"label":"person","score":0.91,"#
            + #""box":[120,80,64,128]},{"label":"car","score":0.5,"box":[0,0,1,2]}]}"#)
        #expect(!record.jsonLine().contains("null"))
    }

    @Test func scoresHaveAtMostThreeDecimals() {
        func line(_ score: Double) -> String {
            var record = Self.full
            record.detections[0].score = score
            return record.jsonLine()
        }
        #expect(line(0.123456).contains(#""score":0.123,"#))
        #expect(line(0.0049).contains(#""score":0.005,"#))
        #expect(line(0.9996).contains(#""score":1,"#))
        #expect(line(0.07).contains(#""score":0.07,"#))
        #expect(line(0).contains(#""score":0,"#))
        #expect(line(.nan).contains(#""score":0,"#))
    }

    @Test func escapesStrings() throws {
        var record = Self.full
        record.camera = "door \"front\"\\\n\u{1}é"
        let line = record.jsonLine()
        #expect(line.contains(#""camera":"door \"front\"\\\n\u0001é""#))
        #expect(try DetectionRecord.decode(jsonLine: line).camera == record.camera)
    }

    @Test func roundTripsThroughTheHandWrittenEncoderAndJSONEncoder() throws {
        #expect(try DetectionRecord.decode(jsonLine: Self.full.jsonLine()) == Self.full)
        let viaCodable = try JSONEncoder().encode(Self.full)
        #expect(try JSONDecoder().decode(DetectionRecord.self, from: viaCodable) == Self.full)
        let object = try JSONSerialization.jsonObject(with: viaCodable) as? [String: Any]
        #expect(Set(object?.keys.map { $0 } ?? []) == ["type", "camera", "frame", "pts_us", "captured_at_us",
                                                      "rtp_timestamp", "width", "height", "detector",
                                                      "inference_us", "detections"])
    }

    @Test func decoderIgnoresExtraFields() throws {
        let line = #"{"type":"detections","future":{"a":[1,2]},"frame":1,"pts_us":0,"width":2,"height":2,"#
            + #""detector":"none","inference_us":3,"detections":[{"label":"x","score":1,"box":[0,0,1,1],"extra":true}]}"#
        let record = try DetectionRecord.decode(jsonLine: line)
        #expect(record.frame == 1 && record.camera == nil && record.detections.count == 1)
    }

    @Test(arguments: [
        (#"{"type":"detections","pts_us":0,"width":2,"height":2,"detector":"m","inference_us":3,"detections":[]}"#,
         "missing field 'frame'"),
        (#"{"type":"detections","frame":"1","pts_us":0,"width":2,"height":2,"detector":"m","inference_us":3,"detections":[]}"#,
         "field 'frame' has the wrong type (expected integer)"),
        (#"{"type":"detections","frame":1,"pts_us":0,"width":2,"height":2,"detector":"m","inference_us":3,"detections":[{"label":"x","box":[0,0,1,1]}]}"#,
         "missing field 'detections[0].score'"),
        (#"{"type":"detections","frame":1,"pts_us":0,"width":2,"height":2,"detector":"m","inference_us":3,"detections":[{"label":"x","score":1,"box":[0,0,1]}]}"#,
         "field 'detections[0].box': expected [x,y,w,h], got 3 numbers"),
        (#"{"type":"other","frame":1}"#, "field 'type': expected \"detections\""),
        (#"{"type":"detections","#, "not valid JSON (byte 21: unexpected end of input)"),
    ])
    func decoderNamesTheBadField(line: String, message: String) {
        let error = #expect(throws: DetectionRecordError.self) { try DetectionRecord.decode(jsonLine: line, lineNumber: 5) }
        #expect(error?.message == "line 5: " + message)
    }

    @Test func recordFromFrameCopiesTiming() {
        let frame = Frame(width: 4, height: 2, pts: 99, capturedAt: 12_345, index: 7,
                          data: [UInt8](repeating: 0, count: Frame.byteCount(width: 4, height: 2)))
        let record = DetectionRecord(frame: frame, detector: "none", inferenceUs: 1, detections: [], camera: "c")
        #expect(record.frame == 7 && record.ptsUs == 99 && record.capturedAtUs == 12_345)
        #expect(record.width == 4 && record.height == 2 && record.camera == "c" && record.rtpTimestamp == nil)
    }
}
