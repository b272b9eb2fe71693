import NIOHTTP1
import Testing
@testable import RTDServer

@Suite struct WebSocketHandshakeTests {
    static let valid: [(String, String)] = [("Host", "x"), ("Upgrade", "websocket"), ("Connection", "keep-alive, Upgrade"),
                                            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13")]

    func verdict(_ headers: [(String, String)], method: HTTPMethod = .GET, uri: String = "/api/ws?camera=a",
                 version: HTTPVersion = .http1_1) -> WebSocketHandshake.Verdict {
        WebSocketHandshake.verdict(method: method, uri: uri, version: version, headers: HTTPHeaders(headers), webSocketPaths: ["/api/ws"])
    }

    func refusal(_ headers: [(String, String)], method: HTTPMethod = .GET, uri: String = "/api/ws?camera=a",
                 version: HTTPVersion = .http1_1) -> WebSocketHandshake.Refusal? {
        guard case .refuse(let r) = verdict(headers, method: method, uri: uri, version: version) else { return nil }
        return r
    }

    func replacing(_ name: String, with value: String?) -> [(String, String)] {
        Self.valid.filter { $0.0 != name } + (value.map { [(name, $0)] } ?? [])
    }

    @Test func validHandshakesAndPlainRequestsPass() {
        #expect(verdict(Self.valid) == .pass)
        #expect(verdict(replacing("Upgrade", with: "WebSocket")) == .pass)
        #expect(verdict(replacing("Upgrade", with: "websocket/13")) == .pass)
        #expect(verdict([("Host", "x")]) == .pass)
        // Another protocol elsewhere is ignored (RFC 9110 §7.8), so `curl --http2` still gets its answer.
        #expect(verdict([("Upgrade", "h2c"), ("Connection", "Upgrade, HTTP2-Settings")], uri: "/healthz") == .ignoreUpgrade)
    }

    @Test func malformedHandshakesAreRefusedWithTheirReason() {
        #expect(refusal(replacing("Sec-WebSocket-Key", with: nil)) == .init(status: .badRequest, reason: "missing Sec-WebSocket-Key"))
        #expect(refusal(replacing("Sec-WebSocket-Key", with: "c2hvcnQ=")) == .init(status: .badRequest, reason: "Sec-WebSocket-Key must be 16 bytes in base64"))
        #expect(refusal(replacing("Sec-WebSocket-Key", with: "!!!!!!!!!!!!!!!!!!!!!!==")) == .init(status: .badRequest, reason: "Sec-WebSocket-Key must be 16 bytes in base64"))
        #expect(refusal(Self.valid + [("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")]) == .init(status: .badRequest, reason: "more than one Sec-WebSocket-Key"))
        #expect(refusal(replacing("Sec-WebSocket-Version", with: "8"))
                == .init(status: .upgradeRequired, reason: "Sec-WebSocket-Version '8': this server speaks WebSocket version 13", versionHeader: true))
        #expect(refusal(replacing("Sec-WebSocket-Version", with: nil))?.status == .upgradeRequired)
        #expect(refusal(replacing("Connection", with: "keep-alive")) == .init(status: .badRequest, reason: "a WebSocket handshake needs 'Connection: Upgrade'"))
        #expect(refusal(Self.valid, method: .POST) == .init(status: .badRequest, reason: "a WebSocket handshake is a GET, not POST"))
        #expect(refusal(Self.valid, version: .http1_0)?.reason == "a WebSocket handshake needs HTTP/1.1")
        #expect(refusal(replacing("Upgrade", with: "foo")) == .init(status: .badRequest, reason: "this server upgrades only to websocket, not 'foo'"))
        #expect(refusal([("Upgrade", "h2c"), ("Connection", "Upgrade, HTTP2-Settings")], uri: "/api/ws")?.status == .badRequest)
    }
}
