import Testing
@testable import RTDCore
@testable import RTDServer

@Suite struct HostileMessageTests {
    struct NoBackend: SignalingBackend {
        func answer(offer sdp: String, cameras: [String], codec: VideoCodec?) async throws(SignalingHTTPError) -> (sdp: String, sessionID: String) {
            ("v=0\r\n", "s1")
        }
        func addCandidate(sessionID: String, candidate: String) async throws(SignalingHTTPError) {}
        func close(sessionID: String) async throws(SignalingHTTPError) {}
    }

    func refusal(_ body: some Collection<UInt8>) -> SignalingHTTPError? {
        do {
            _ = try SignalingProtocol.Request.parse(body)
            return nil
        } catch {
            return error
        }
    }

    /// A grid's offer names its cameras, bounded and distinct, in the order of its video sections.
    @Test func signalingReadsACameraListWithinBounds() throws {
        let many = (0...SignalingProtocol.maxCameras).map { "\"c\($0)\"" }.joined(separator: ",")
        #expect(refusal(#"{"type":"offer","sdp":"x","cameras":[]}"#.utf8) == .badRequest("field 'cameras' must list 1 to 16 cameras, not 0"))
        #expect(refusal(#"{"type":"offer","sdp":"x","cameras":[\#(many)]}"#.utf8) == .badRequest("field 'cameras' must list 1 to 16 cameras, not 17"))
        #expect(refusal(#"{"type":"offer","sdp":"x","cameras":["a",2]}"#.utf8) == .badRequest("field 'cameras[1]' must be a string, not number"))
        #expect(refusal(#"{"type":"offer","sdp":"x","cameras":["a","b","a"]}"#.utf8) == .badRequest("field 'cameras' names 'a' twice"))
        #expect(refusal(#"{"type":"offer","sdp":"x","cameras":"a"}"#.utf8)
                == .badRequest("field 'cameras' must be an array of camera names, not string"))
        #expect(refusal(#"{"type":"offer","sdp":"x","camera":"a","cameras":["b"]}"#.utf8) == .badRequest("give 'camera' or 'cameras', not both"))
        #expect(try SignalingProtocol.Request.parse(#"{"type":"offer","sdp":"x","cameras":["b","a"]}"#.utf8).cameras == ["b", "a"])
    }

    @Test func signalingRefusesHostileBodiesWithTypedErrors() async {
        #expect(refusal(Array(repeating: UInt8(ascii: "["), count: 513))
                == .badRequest("invalid JSON at byte 32: nested deeper than 32 levels"))
        #expect(refusal(#"{"type":"offer","sdp":"#.utf8) == .badRequest("invalid JSON at byte 22: unexpected end of input"))
        #expect(refusal("[1]".utf8) == .badRequest("expected a JSON object, got array"))
        #expect(refusal(#"{"type":"offer","sdp":3}"#.utf8) == .badRequest("field 'sdp' must be a string, not number"))
        #expect(refusal(#"{"type":"candidate","candidate":"x"}"#.utf8)
                == .badRequest("field 'candidate' must be an object, not string"))
        #expect(refusal(#"{"type":"candidate","candidate":{"candidate":[]}}"#.utf8)
                == .badRequest("field 'candidate.candidate' must be a string, not array"))
        let ok = try? SignalingProtocol.Request.parse(#"{"type":"candidate","session_id":"s","candidate":{"candidate":"c","sdpMid":"0"},"sdp":null}"#.utf8)
        #expect(ok == SignalingProtocol.Request(type: "candidate", sdp: nil, camera: nil, codec: nil, sessionID: "s", candidate: "c"))

        let deep = await SignalingProtocol.handle(body: Array(String(repeating: "[", count: 513).utf8), defaultCamera: "cam0", backend: NoBackend())
        #expect(deep.status == 400 && deep.json["type"] == "error" && deep.json["error"]?.contains("nested deeper") == true)
        let big = await SignalingProtocol.handle(body: Array(repeating: 0x20, count: SignalingProtocol.maxBodyBytes + 1),
                                                 defaultCamera: "cam0", backend: NoBackend())
        #expect(big.status == 413 && big.json["type"] == "error")
        let offer = await SignalingProtocol.handle(body: Array(#"{"type":"offer","sdp":"v=0"}"#.utf8), defaultCamera: "cam0", backend: NoBackend())
        #expect(offer.status == 200 && offer.json["session_id"] == "s1")
    }

    @Test func controlMessagesRefuseHostileText() {
        #expect(ViewerControl.parse(String(repeating: "[", count: 600)) == .invalid("invalid JSON at byte 16: nested deeper than 16 levels: control messages are JSON objects"))
        #expect(ViewerControl.parse(String(repeating: "{\"a\":", count: 20_000)) == .invalid("invalid JSON at byte 16384: document over 16384 bytes: control messages are JSON objects"))
        #expect(ViewerControl.parse("{\"type\":\"ping\",\"id\":\"\\ud800\"}") == .invalid("invalid JSON at byte 21: unpaired UTF-16 surrogate in \\u escape: control messages are JSON objects"))
        #expect(ViewerControl.parse(#"{"type":"ping","type":"subscribe"}"#) == .invalid("invalid JSON at byte 15: duplicate member name 'type': control messages are JSON objects"))
        #expect(ViewerControl.parse("7") == .invalid("invalid JSON: control messages are JSON objects, not number"))
        // The pong echoes exactly what was parsed, so it is valid JSON whatever the id was.
        guard case .ping(let id?) = ViewerControl.parse(#"{"type":"ping","id":["\u0000",1e5,{"k":null}]}"#) else {
            Issue.record("ping not parsed")
            return
        }
        #expect(id == #"["\u0000",1e5,{"k":null}]"#)
        #expect((try? JSONValue.parse(ViewerControl.pong(id: id)))?["id"]?.array?.count == 3)
    }
}
