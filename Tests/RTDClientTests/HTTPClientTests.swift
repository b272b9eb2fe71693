import XCTest
import RTDTestSupport
@testable import RTDClient

final class HTTPClientTests: XCTestCase {
    func testURLs() throws {
        XCTAssertEqual(try HTTPURL("http://127.0.0.1:8080"), HTTPURL(host: "127.0.0.1", port: 8080, path: "/"))
        XCTAssertEqual(try HTTPURL("http://example.org/base/").appending("/api/webrtc/signal").path, "/base/api/webrtc/signal")
        XCTAssertEqual(try HTTPURL("host:81").port, 81)
        XCTAssertEqual(try HTTPURL("http://[::1]:9000/x").host, "::1")
        XCTAssertEqual(try HTTPURL("http://h/whep/cam0").resolving("/whep/cam0/abc").path, "/whep/cam0/abc")
        XCTAssertEqual(try HTTPURL("http://h/whep/cam0").resolving("cam0/abc").path, "/whep/cam0/abc")
        XCTAssertEqual(try HTTPURL("http://h/whep/cam0").resolving("http://other:1/r"), HTTPURL(host: "other", port: 1, path: "/r"))
        for bad in ["http://", "https://", "https://h:0", "http://h:0", "http://h:99999", "http://[::1", "ftp://x"] {
            XCTAssertThrowsError(try HTTPURL(bad), bad) { XCTAssertEqual(($0 as? SignalError)?.kind, .badInput) }
        }
    }

    func testHTTPSURLs() throws {
        XCTAssertEqual(try HTTPURL("https://example.org"), HTTPURL(tls: true, host: "example.org", port: 443, path: "/"))
        XCTAssertEqual(try HTTPURL("HTTPS://127.0.0.1:8443/base"), HTTPURL(tls: true, host: "127.0.0.1", port: 8443, path: "/base"))
        XCTAssertEqual(try HTTPURL("https://[::1]/").port, 443)
        XCTAssertEqual(try HTTPURL("https://h:80").port, 80)
        XCTAssertFalse(try HTTPURL("http://h").tls)
        XCTAssertFalse(try HTTPURL("h:443").tls, "no scheme means http")
        // The default port is left out of Host and of messages; another port is kept.
        XCTAssertEqual(try HTTPURL("https://example.org:443/x").description, "https://example.org/x")
        XCTAssertEqual(try HTTPURL("https://example.org:80").hostHeader, "example.org:80")
        XCTAssertEqual(try HTTPURL("https://[::1]:8443").description, "https://[::1]:8443/")
        // Derived URLs stay on TLS unless the reference names its own scheme.
        let whep = try HTTPURL("https://h:8443/whep/cam0")
        XCTAssertEqual(whep.appending("/x"), HTTPURL(tls: true, host: "h", port: 8443, path: "/whep/cam0/x"))
        XCTAssertEqual(try whep.resolving("/whep/cam0/abc"), HTTPURL(tls: true, host: "h", port: 8443, path: "/whep/cam0/abc"))
        XCTAssertEqual(try whep.resolving("http://h:8080/r"), HTTPURL(host: "h", port: 8080, path: "/r"))
    }

    func testCAFileThatCannotBeUsedIsBadInput() throws {
        let url = try HTTPURL("https://127.0.0.1:1")
        let missing = HTTPClient(verification: .caFile("/nonexistent/ca.pem"))
        XCTAssertThrowsError(try missing.request("GET", url, timeout: 2)) { error in
            XCTAssertEqual((error as? SignalError)?.kind, .badInput)
            XCTAssertTrue("\(error)".contains("/nonexistent/ca.pem"), "\(error)")
        }
        let notPEM = FileManager.default.temporaryDirectory.appendingPathComponent("rtd-not-a-cert-\(getpid()).pem")
        try Data("not a certificate\n".utf8).write(to: notPEM)
        defer { try? FileManager.default.removeItem(at: notPEM) }
        XCTAssertThrowsError(try HTTPClient(verification: .caFile(notPEM.path)).request("GET", url, timeout: 2)) { error in
            XCTAssertEqual((error as? SignalError)?.kind, .badInput)
            XCTAssertTrue("\(error)".contains("no PEM certificate"), "\(error)")
        }
    }

    func testResponses() throws {
        let plain = try XCTUnwrap(HTTPClient.parseResponse(Array("HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello".utf8)))
        XCTAssertEqual(plain.status, 404)
        XCTAssertEqual(plain.text, "hello")
        XCTAssertEqual(plain.headers["x-a"], "b")
        XCTAssertNil(try HTTPClient.parseResponse(Array("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhell".utf8)), "incomplete")
        let chunked = try XCTUnwrap(HTTPClient.parseResponse(Array("HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nLocation: /r/1\r\n\r\n4\r\nv=0\n\r\n3;x=y\r\nabc\r\n0\r\n\r\n".utf8)))
        XCTAssertEqual(chunked.text, "v=0\nabc")
        XCTAssertEqual(chunked.headers["location"], "/r/1")
        XCTAssertNil(try HTTPClient.parseResponse(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nv=".utf8)))
        XCTAssertThrowsError(try HTTPClient.parseResponse(Array("SSH-2.0-OpenSSH\r\n\r\n".utf8)))
        XCTAssertThrowsError(try HTTPClient.parseResponse(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".utf8)))
    }

    func testHostileResponsesNeverCrash() {
        let seeds = [Array("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc".utf8),
                     Array("HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nv=0\n\r\n0\r\n\r\n".utf8)]
        for input in hostileInputs(from: seeds, count: 5000, seed: 3) {
            _ = try? HTTPClient.parseResponse(input)
        }
    }

    func testHostileURLsNeverCrash() {
        let seeds = ["http://127.0.0.1:8080/a?b", "http://[::1]:9/x", "host:1"].map { Array($0.utf8) }
        for input in hostileInputs(from: seeds, count: 5000, seed: 9) {
            let text = String(decoding: input, as: UTF8.self)
            if let url = try? HTTPURL(text) {
                XCTAssertTrue((1...65535).contains(url.port), text)
                _ = try? url.resolving(text)
            }
        }
    }

    func testConnectionRefusedIsUnreachable() throws {
        // Nothing listens on port 1.
        let url = try HTTPURL("http://127.0.0.1:1")
        XCTAssertThrowsError(try HTTPClient().request("GET", url, timeout: 2)) { XCTAssertEqual(($0 as? SignalError)?.kind, .unreachable) }
        XCTAssertThrowsError(try HTTPClient().request("GET", try HTTPURL("http://no-such-host.invalid:80"), timeout: 2)) {
            XCTAssertEqual(($0 as? SignalError)?.kind, .unreachable)
        }
    }
}
