import Testing
@testable import RTDDetection

@Suite struct HostileRecordLineTests {
    @Test func detectionRecordLinesRefuseHostileInput() {
        let deep = #"{"type":"detections","detections":"# + String(repeating: "[", count: 600)
        let error = #expect(throws: DetectionRecordError.self) { try DetectionRecord.decode(jsonLine: deep, lineNumber: 2) }
        #expect(error?.message == "line 2: not valid JSON (byte 97: nested deeper than 64 levels)")
        // The line that made JSONDecoder trap, so `rtd replay` with such a sidecar crashed.
        let crash = #expect(throws: DetectionRecordError.self) { try DetectionRecord.decode(jsonLine: String(repeating: "[", count: 513)) }
        #expect(crash?.message == "not valid JSON (byte 64: nested deeper than 64 levels)")
        let huge = #"{"type":"detections","frame":1e999,"pts_us":0,"width":2,"height":2,"detector":"m","inference_us":3,"detections":[]}"#
        let e2 = #expect(throws: DetectionRecordError.self) { try DetectionRecord.decode(jsonLine: huge) }
        #expect(e2?.message == "field 'frame' has the wrong type (expected integer)")
        let rtp = #"{"type":"detections","frame":1,"pts_us":0,"rtp_timestamp":4294967296,"width":2,"height":2,"detector":"m","inference_us":3,"detections":[]}"#
        let e3 = #expect(throws: DetectionRecordError.self) { try DetectionRecord.decode(jsonLine: rtp) }
        #expect(e3?.message == "field 'rtp_timestamp' has the wrong type (expected 32-bit unsigned integer)")
    }
}
