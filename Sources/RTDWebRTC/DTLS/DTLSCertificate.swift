import CDTLS
import Foundation

/// A DTLS identity: an X.509 certificate and its private key. WebRTC peers use self-signed
/// certificates; the peer trusts this one only through its fingerprint in our SDP.
///
/// Immutable after creation, so one instance can serve every transport on any thread.
public final class DTLSCertificate: @unchecked Sendable { // immutable after init: OpenSSL reads it concurrently
    let handle: OpaquePointer

    /// SHA-256 fingerprint, the one to put in SDP (`a=fingerprint:` + `fingerprint.sdpValue`).
    public let fingerprint: DTLSFingerprint

    private init(handle: OpaquePointer) throws(DTLSError) {
        self.handle = handle
        guard let fingerprint = Self.fingerprint(of: handle, algorithm: .sha256) else {
            rtd_dtls_cert_free(handle)
            throw .certificate("cannot compute the SHA-256 fingerprint")
        }
        self.fingerprint = fingerprint
    }

    deinit { rtd_dtls_cert_free(handle) }

    /// Generates a fresh self-signed ECDSA P-256 certificate (SHA-256 signature, random serial).
    public static func generate(commonName: String = "rtd", validityDays: Int = 30) throws(DTLSError) -> DTLSCertificate {
        guard (1...36_500).contains(validityDays) else {
            throw .certificate("validity of \(validityDays) days is out of range")
        }
        var err = [CChar](repeating: 0, count: 256)
        guard let handle = rtd_dtls_cert_generate(commonName, Int32(validityDays), &err, err.count) else {
            throw .certificate(String(decoding: err.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return try DTLSCertificate(handle: handle)
    }

    /// Loads a PEM certificate and its unencrypted PEM private key (any key type OpenSSL reads).
    public static func load(certificatePEM: String, privateKeyPEM: String) throws(DTLSError) -> DTLSCertificate {
        var err = [CChar](repeating: 0, count: 256)
        let handle = certificatePEM.utf8CString.withUnsafeBufferPointer { cert in
            privateKeyPEM.utf8CString.withUnsafeBufferPointer { key in
                rtd_dtls_cert_from_pem(cert.baseAddress, cert.count - 1, key.baseAddress, key.count - 1, &err, err.count)
            }
        }
        guard let handle else {
            throw .certificate(String(decoding: err.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return try DTLSCertificate(handle: handle)
    }

    /// Loads the files given to `--cert` and `--key`.
    public static func load(certificateFile: String, privateKeyFile: String) throws(DTLSError) -> DTLSCertificate {
        func read(_ path: String, _ what: String) throws(DTLSError) -> String {
            do {
                return try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw .certificate("cannot read \(what) file \(path): \(error.localizedDescription)")
            }
        }
        let cert = try read(certificateFile, "certificate")
        let key = try read(privateKeyFile, "private key")
        do {
            return try load(certificatePEM: cert, privateKeyPEM: key)
        } catch {
            throw .certificate("\(certificateFile) / \(privateKeyFile): \(error)")
        }
    }

    /// The fingerprint with another hash function, for peers that ask for one.
    public func fingerprint(_ algorithm: DTLSFingerprint.Algorithm) -> DTLSFingerprint? {
        Self.fingerprint(of: handle, algorithm: algorithm)
    }

    /// The certificate as PEM, e.g. to persist a generated identity.
    public var certificatePEM: String { pem(privateKey: false) }

    /// The private key as unencrypted PKCS#8 PEM. Handle with care.
    public var privateKeyPEM: String { pem(privateKey: true) }

    private func pem(privateKey: Bool) -> String {
        let flag: Int32 = privateKey ? 1 : 0
        let length = rtd_dtls_cert_pem(handle, flag, nil, 0)
        let bytes = [UInt8](unsafeUninitializedCapacity: length) { buffer, count in
            count = buffer.baseAddress.map { base in
                base.withMemoryRebound(to: CChar.self, capacity: length) { rtd_dtls_cert_pem(handle, flag, $0, length) }
            } ?? 0
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func fingerprint(of handle: OpaquePointer, algorithm: DTLSFingerprint.Algorithm) -> DTLSFingerprint? {
        var digest = [UInt8](repeating: 0, count: 64)
        let length = rtd_dtls_cert_fingerprint(handle, algorithm.opensslName, &digest, digest.count)
        return DTLSFingerprint(algorithm: algorithm, digest: Array(digest.prefix(length)))
    }
}
