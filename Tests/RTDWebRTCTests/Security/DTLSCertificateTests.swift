import Foundation
import Testing
@testable import RTDWebRTC

@Suite struct DTLSCertificateTests {
    @Test func generatedCertificateHasAnSDPFingerprint() throws {
        let certificate = try DTLSCertificate.generate(commonName: "rtd", validityDays: 30)
        let value = certificate.fingerprint.sdpValue
        #expect(value.hasPrefix("sha-256 "))
        let hex = value.dropFirst("sha-256 ".count)
        #expect(hex.count == 32 * 3 - 1)
        #expect(hex.allSatisfy { $0 == ":" || ("0"..."9").contains($0) || ("A"..."F").contains($0) })
        #expect(DTLSFingerprint(sdpValue: value) == certificate.fingerprint)
        #expect(try DTLSCertificate.generate().fingerprint != certificate.fingerprint)
        #expect(certificate.fingerprint(.sha1)?.digest.count == 20)
    }

    @Test func fingerprintParsing() {
        let upper = DTLSFingerprint(sdpValue: "SHA-256 " + Array(repeating: "ab", count: 32).joined(separator: ":"))
        #expect(upper?.algorithm == .sha256)
        #expect(upper?.hex == Array(repeating: "AB", count: 32).joined(separator: ":"))
        #expect(DTLSFingerprint(sdpValue: "sha-256 AB:CD") == nil, "wrong length")
        #expect(DTLSFingerprint(sdpValue: "md5 AB:CD") == nil)
        #expect(DTLSFingerprint(sdpValue: "sha-1 " + Array(repeating: "0G", count: 20).joined(separator: ":")) == nil)
        #expect(DTLSFingerprint(sdpValue: "") == nil)
    }

    @Test func pemRoundTripAndOpenSSLAgreesOnTheFingerprint() throws {
        let directory = try makeDTLSTestDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificate = try DTLSCertificate.generate(commonName: "rtd")
        let certPath = directory.appendingPathComponent("cert.pem").path
        let keyPath = directory.appendingPathComponent("key.pem").path
        try certificate.certificatePEM.write(toFile: certPath, atomically: true, encoding: .utf8)
        try certificate.privateKeyPEM.write(toFile: keyPath, atomically: true, encoding: .utf8)

        let reloaded = try DTLSCertificate.load(certificateFile: certPath, privateKeyFile: keyPath)
        #expect(reloaded.fingerprint == certificate.fingerprint)

        let text = try runOpenSSLCLI(["x509", "-in", certPath, "-noout", "-fingerprint", "-sha256", "-subject",
                                   "-dates", "-text"], in: directory)
        #expect(text.contains("Fingerprint=\(certificate.fingerprint.hex)"), "\(text)")
        #expect(text.contains("CN = rtd") || text.contains("CN=rtd"))
        #expect(text.contains("ASN1 OID: prime256v1"))
        #expect(text.contains("ecdsa-with-SHA256"))
    }

    @Test func loadsAnOpenSSLMadeCertificate() throws {
        let directory = try makeDTLSTestDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let files = try makeOpenSSLCLICertificate(named: "other", in: directory)
        let certificate = try DTLSCertificate.load(certificateFile: files.cert, privateKeyFile: files.key)
        let text = try runOpenSSLCLI(["x509", "-in", files.cert, "-noout", "-fingerprint", "-sha256"], in: directory)
        #expect(text.contains("Fingerprint=\(certificate.fingerprint.hex)"))
    }

    @Test func mismatchedOrMissingFilesFailClearly() throws {
        let directory = try makeDTLSTestDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let a = try makeOpenSSLCLICertificate(named: "a", in: directory)
        let b = try makeOpenSSLCLICertificate(named: "b", in: directory)
        #expect {
            try DTLSCertificate.load(certificateFile: a.cert, privateKeyFile: b.key)
        } throws: { error in
            "\(error)".contains("private key does not match the certificate")
        }
        #expect {
            try DTLSCertificate.load(certificateFile: directory.appendingPathComponent("nope.pem").path,
                                     privateKeyFile: a.key)
        } throws: { error in
            "\(error)".contains("cannot read certificate file")
        }
        #expect(throws: DTLSError.self) {
            try DTLSCertificate.load(certificatePEM: "garbage", privateKeyPEM: "garbage")
        }
    }
}
