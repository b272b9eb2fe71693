import NIOCore
import NIOPosix
import XCTest
import RTDCore
import RTDTestSupport
@testable import RTDClient

/// Signaling's HTTP against real sockets: a canned-reply TCP server on loopback answers each
/// connection with the bytes a test gives it (well-formed, hostile, or nothing at all).
final class SignalHTTPTests: XCTestCase {
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

    func testCAFileThatCannotBeUsedIsBadInput() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        XCTAssertThrowsError(try SignalHTTP(verification: .caFile("/nonexistent/ca.pem"), timeout: 2, group: group)) { error in
            XCTAssertEqual((error as? SignalError)?.kind, .badInput)
            XCTAssertTrue("\(error)".contains("/nonexistent/ca.pem"), "\(error)")
        }
        let notPEM = FileManager.default.temporaryDirectory.appendingPathComponent("rtd-not-a-cert-\(getpid()).pem")
        try Data("not a certificate\n".utf8).write(to: notPEM)
        defer { try? FileManager.default.removeItem(at: notPEM) }
        XCTAssertThrowsError(try SignalHTTP(verification: .caFile(notPEM.path), timeout: 2, group: group)) { error in
            XCTAssertEqual((error as? SignalError)?.kind, .badInput)
            XCTAssertTrue("\(error)".contains("no PEM certificate"), "\(error)")
        }
        try await group.shutdownGracefully()
    }

    func testResponses() async throws {
        try await withCannedServer { server, http in
            server.reply = Array("HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello".utf8)
            let plain = try await http.request(.GET, server.url("/a"), timeout: 5)
            XCTAssertEqual(plain.status, 404)
            XCTAssertEqual(plain.text, "hello")
            XCTAssertEqual(plain.headers["x-a"], "b")
            XCTAssertTrue(server.requests.last?.hasPrefix("GET /a HTTP/1.1\r\n") ?? false, server.requests.last ?? "")
            XCTAssertTrue(server.requests.last?.contains("User-Agent: rtd-signal\r\n") ?? false)

            server.reply = Array("HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nLocation: /r/1\r\n\r\n4\r\nv=0\n\r\n3;x=y\r\nabc\r\n0\r\n\r\n".utf8)
            let chunked = try await http.request(.POST, server.url("/whep"), headers: [("Content-Type", "application/sdp")],
                                                 body: Array("v=0\r\n".utf8), timeout: 5)
            XCTAssertEqual(chunked.status, 201)
            XCTAssertEqual(chunked.text, "v=0\nabc")
            XCTAssertEqual(chunked.headers["location"], "/r/1")
            let post = server.requests.last ?? ""
            XCTAssertTrue(post.hasPrefix("POST /whep HTTP/1.1\r\n") && post.contains("Content-Length: 5\r\n") && post.hasSuffix("\r\n\r\nv=0\r\n"), post)
        }
    }

    func testBadRepliesAreProtocolErrors() async throws {
        try await withCannedServer { server, http in
            let big = SignalHTTP.maxResponseBytes + 1
            let cases: [(String, [UInt8], String)] = [
                ("not HTTP", Array("SSH-2.0-OpenSSH\r\n\r\n".utf8), "not an HTTP reply"),
                ("bad chunk", Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".utf8), "chunk size"),
                ("declared too large", Array("HTTP/1.1 200 OK\r\nContent-Length: \(big)\r\n\r\n".utf8), "larger than"),
                ("chunked too large", Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
                    + Array("\(String(big, radix: 16))\r\n".utf8) + [UInt8](repeating: 0x61, count: big) + Array("\r\n0\r\n\r\n".utf8), "larger than"),
                ("cut short", Array("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhell".utf8), "connection closed before a complete HTTP reply"),
            ]
            for (name, reply, words) in cases {
                server.reply = reply
                do {
                    let answer = try await http.request(.GET, server.url("/"), timeout: 5)
                    XCTFail("\(name): answered \(answer.status)")
                } catch let error as SignalError {
                    XCTAssertEqual(error.kind, .protocolError, "\(name): \(error)")
                    XCTAssertTrue(error.message.contains(words) && error.message.contains(server.url("/").description), "\(name): \(error)")
                }
            }
        }
    }

    func testSilentServerTimesOut() async throws {
        try await withCannedServer { server, http in
            server.reply = nil
            let start = SystemClock.monotonicMicros()
            do {
                _ = try await http.request(.GET, server.url("/"), timeout: 0.5)
                XCTFail("answered")
            } catch let error as SignalError {
                XCTAssertEqual(error.kind, .timeout, "\(error)")
                XCTAssertTrue(error.message.contains("timed out"), "\(error)")
            }
            XCTAssertLessThan(SystemClock.monotonicMicros() - start, 3_000_000)
        }
    }

    /// Mangled replies over a real connection: each ends in a reply or a SignalError, never a crash
    /// or a hang.
    func testHostileResponsesNeverCrash() async throws {
        let seeds = [Array("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc".utf8),
                     Array("HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nv=0\n\r\n0\r\n\r\n".utf8)]
        try await withCannedServer { server, http in
            for input in hostileInputs(from: seeds, count: 300, seed: 3) {
                server.reply = input
                _ = try? await http.request(.GET, server.url("/"), timeout: 2)
            }
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

    func testConnectionRefusedIsUnreachable() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let http = try SignalHTTP(timeout: 2, group: group)
        // Nothing listens on port 1.
        for (url, words) in [("http://127.0.0.1:1", "cannot connect to 127.0.0.1:1"), ("http://no-such-host.invalid:80", "cannot resolve no-such-host.invalid")] {
            do {
                _ = try await http.request(.GET, try HTTPURL(url), timeout: 2)
                XCTFail(url)
            } catch {
                XCTAssertEqual(error.kind, .unreachable, "\(error)")
                XCTAssertTrue(error.message.contains(words), "\(error)")
            }
        }
        await http.shutdown()
        try await group.shutdownGracefully()
    }

    /// The explanation of a refused certificate: OpenSSL's verdict on the chain, with the same
    /// trust anchors and name check, in its own words (scripts and the e2e tests read them).
    func testOpenSSLExplainsARefusedCertificate() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rtd-verify-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let pem = dir.appendingPathComponent("cert.pem").path, der = dir.appendingPathComponent("cert.der").path
        for arguments in [["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                           "-subj", "/CN=rtd-test", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", dir.appendingPathComponent("key.pem").path,
                           "-out", pem],
                          ["x509", "-in", pem, "-outform", "DER", "-out", der]] {
            let openssl = Process()
            openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            openssl.arguments = arguments
            openssl.standardError = FileHandle.nullDevice
            try openssl.run()
            openssl.waitUntilExit()
            XCTAssertEqual(openssl.terminationStatus, 0, "\(arguments)")
        }
        let chain = [Array(try Data(contentsOf: URL(fileURLWithPath: der)))]
        let untrusted = SignalHTTP.verify(chain, host: "127.0.0.1", isIPAddress: true, verification: .system)
        XCTAssertEqual(untrusted?.reason, "self-signed certificate")
        XCTAssertEqual(untrusted?.nameMismatch, false)
        XCTAssertNil(SignalHTTP.verify(chain, host: "127.0.0.1", isIPAddress: true, verification: .caFile(pem)))
        let otherIP = SignalHTTP.verify(chain, host: "10.0.0.1", isIPAddress: true, verification: .caFile(pem))
        XCTAssertEqual(otherIP?.reason, "IP address mismatch")
        XCTAssertEqual(otherIP?.nameMismatch, true)
        XCTAssertEqual(SignalHTTP.verify(chain, host: "localhost", isIPAddress: false, verification: .caFile(pem))?.reason, "hostname mismatch")
        // Whatever a server presents, garbage included, gives an answer or nil, never a crash.
        for input in hostileInputs(from: chain, count: 300, seed: 5) {
            _ = SignalHTTP.verify([input], host: "127.0.0.1", isIPAddress: true, verification: .caFile(pem))
        }
        XCTAssertNil(SignalHTTP.verify([], host: "127.0.0.1", isIPAddress: true, verification: .system))
    }

    // MARK: A canned-reply server

    /// Answers each connection's first bytes with `reply` and closes; nil never answers.
    final class CannedServer: @unchecked Sendable {
        private let lock = NSLock()
        private var _reply: [UInt8]? = []
        private var _requests: [String] = []
        var port = 0
        var reply: [UInt8]? {
            get { lock.withLock { _reply } }
            set { lock.withLock { _reply = newValue } }
        }
        var requests: [String] { lock.withLock { _requests } }
        func record(_ request: String) { lock.withLock { _requests.append(request) } }
        func url(_ path: String) -> HTTPURL { HTTPURL(host: "127.0.0.1", port: port, path: path) }
    }

    final class CannedHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let server: CannedServer
        var answered = false
        init(server: CannedServer) { self.server = server }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            server.record(String(buffer: unwrapInboundIn(data)))
            guard !answered, let reply = server.reply else { return }
            answered = true
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: reply))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }

    private func withCannedServer(_ body: (CannedServer, SignalHTTP) async throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = CannedServer()
        let listener = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(CannedHandler(server: server)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        server.port = listener.localAddress?.port ?? 0
        let http = try SignalHTTP(timeout: 5, group: group)
        do {
            try await body(server, http)
        } catch {
            XCTFail("\(error)")
        }
        await http.shutdown()
        try await listener.close()
        try await group.shutdownGracefully()
    }
}
