import Foundation
import Testing
@testable import RTDWebRTC

/// Interop with a different DTLS implementation: the openssl CLI (s_server / s_client) over real
/// UDP on 127.0.0.1. These compare the RFC 5764 keying material byte for byte with what OpenSSL's
/// `-keymatexport` prints.
@Suite struct OpenSSLInteropTests {
    @Test func ourClientAgainstOpenSSLServer() throws {
        let directory = try makeDTLSTestDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let serverFiles = try makeOpenSSLCLICertificate(named: "s_server", in: directory)
        let serverFingerprint = try DTLSCertificate.load(certificateFile: serverFiles.cert,
                                                         privateKeyFile: serverFiles.key).fingerprint
        let ours = try DTLSCertificate.generate(commonName: "rtd-client")

        let port = try LoopbackUDPSocket.freePort()
        let server = try OpenSSLCLIProcess([
            "s_server", "-dtls1_2", "-accept", "127.0.0.1:\(port)", "-cert", serverFiles.cert, "-key", serverFiles.key,
            "-use_srtp", "SRTP_AES128_CM_SHA1_80", "-verify", "1",
            "-keymatexport", "EXTRACTOR-dtls_srtp", "-keymatexportlen", "60", "-naccept", "1",
        ], in: directory)
        try #require(server.waitForOutput(containing: "ACCEPT"), "\(server.output)")

        let transport = try DTLSTransport(role: .client, certificate: ours, remoteFingerprint: serverFingerprint)
        let driver = DTLSUDPDriver(transport: transport, socket: try LoopbackUDPSocket(), peer: LoopbackUDPSocket.loopback(port: port))
        driver.send(transport.start())
        try #require(driver.run { transport.state != .connecting }, "handshake timed out: \(server.output)")
        try #require(transport.state == .connected, "\(transport.state)")

        let keys = try #require(transport.srtpKeys)
        #expect(keys.profile == .aes128CMHmacSHA1_80)
        #expect(server.waitForOutput(containing: "Keying material: "))
        #expect(server.keyingMaterial == upperHex(rfc5764Material(keys, isClient: true)))
        // OpenSSL received and printed exactly our certificate.
        #expect(server.output.contains(ours.certificatePEM.trimmingCharacters(in: .whitespacesAndNewlines)))

        driver.send(try transport.write(Array("hello from rtd\n".utf8)))
        #expect(server.waitForOutput(containing: "hello from rtd"))

        server.write("hello from openssl\n")
        #expect(driver.run { driver.received.contains(Array("hello from openssl\n".utf8)) }, "\(driver.received)")

        driver.send(transport.close())
        #expect(transport.state == .closed)
        #expect(server.waitForOutput(containing: "CONNECTION CLOSED"), "\(server.output)")
    }

    @Test func openSSLClientAgainstOurServer() throws {
        let directory = try makeDTLSTestDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let clientFiles = try makeOpenSSLCLICertificate(named: "s_client", in: directory)
        let clientFingerprint = try DTLSCertificate.load(certificateFile: clientFiles.cert,
                                                         privateKeyFile: clientFiles.key).fingerprint
        let ours = try DTLSCertificate.generate(commonName: "rtd")

        let transport = try DTLSTransport(role: .server, certificate: ours, remoteFingerprint: clientFingerprint)
        #expect(transport.start().isEmpty)
        let socket = try LoopbackUDPSocket()
        let driver = DTLSUDPDriver(transport: transport, socket: socket, peer: nil)
        // The client prefers AES-CM; our server's preference (GCM first) must win.
        let client = try OpenSSLCLIProcess([
            "s_client", "-dtls1_2", "-connect", "127.0.0.1:\(socket.port)", "-cert", clientFiles.cert,
            "-key", clientFiles.key, "-use_srtp", "SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM",
            "-keymatexport", "EXTRACTOR-dtls_srtp", "-keymatexportlen", "56",
        ], in: directory)

        try #require(driver.run { transport.state != .connecting }, "handshake timed out: \(client.output)")
        try #require(transport.state == .connected, "\(transport.state)")
        let keys = try #require(transport.srtpKeys)
        #expect(keys.profile == .aeadAES128GCM)
        #expect(transport.peerFingerprint() == clientFingerprint)
        #expect(client.waitForOutput(containing: "Keying material: "), "\(client.output)")
        #expect(client.keyingMaterial == upperHex(rfc5764Material(keys, isClient: false)))
        #expect(client.output.contains("SRTP Extension negotiated, profile=SRTP_AEAD_AES_128_GCM"))
        #expect(client.output.contains("Protocol  : DTLSv1.2"))
        // s_client prints these only when the server sent a CertificateRequest.
        #expect(client.output.contains("Client Certificate Types"))

        client.write("hello from openssl\n")
        #expect(driver.run { driver.received.contains(Array("hello from openssl\n".utf8)) }, "\(driver.received)")
        driver.send(try transport.write(Array("hello from rtd\n".utf8)))
        #expect(client.waitForOutput(containing: "hello from rtd"), "\(client.output)")

        // EOF on its stdin makes s_client send close_notify.
        client.closeStdin()
        #expect(driver.run { transport.state == .closed }, "\(transport.state)")
    }

    @Test func openSSLServerWithAnotherCertificateIsRejected() throws {
        let directory = try makeDTLSTestDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let serverFiles = try makeOpenSSLCLICertificate(named: "impostor", in: directory)
        let expected = try DTLSCertificate.generate().fingerprint  // what the SDP promised

        let port = try LoopbackUDPSocket.freePort()
        let server = try OpenSSLCLIProcess([
            "s_server", "-dtls1_2", "-accept", "127.0.0.1:\(port)", "-cert", serverFiles.cert, "-key", serverFiles.key,
            "-use_srtp", "SRTP_AES128_CM_SHA1_80", "-verify", "1", "-naccept", "1",
        ], in: directory)
        try #require(server.waitForOutput(containing: "ACCEPT"), "\(server.output)")

        let transport = try DTLSTransport(role: .client, certificate: try DTLSCertificate.generate(),
                                          remoteFingerprint: expected)
        let driver = DTLSUDPDriver(transport: transport, socket: try LoopbackUDPSocket(), peer: LoopbackUDPSocket.loopback(port: port))
        driver.send(transport.start())
        #expect(driver.run { transport.state != .connecting })
        guard case .failed(.fingerprintMismatch(let want, let got)) = transport.state else {
            Issue.record("state \(transport.state)")
            return
        }
        #expect(want == expected && got != nil && got != expected)
        #expect(transport.srtpKeys == nil)
        #expect(server.waitForOutput(containing: "bad certificate"), "\(server.output)")
    }
}
