/// Why a DTLS certificate or transport could not do what was asked.
public enum DTLSError: Swift.Error, Sendable, Equatable, CustomStringConvertible {
    /// Generating, loading or reading a certificate or key failed.
    case certificate(String)
    /// The transport could not be set up with the given configuration.
    case configuration(String)
    /// The peer's certificate does not match the fingerprint from its SDP. A fatal
    /// bad_certificate alert was sent and no keys were derived.
    case fingerprintMismatch(expected: DTLSFingerprint, received: DTLSFingerprint?)
    /// The handshake failed (OpenSSL's reason and the last alert sent or received) or timed out.
    case handshakeFailed(String)
    /// A fatal error after the handshake (for example a fatal alert from the peer).
    case connectionFailed(String)
    /// The handshake finished but the RFC 5764 keying material could not be exported.
    case keyExportFailed(String)
    /// Application data can only be written while connected.
    case notConnected
    /// A DTLS record must fit one datagram at the configured MTU.
    case applicationDataTooLarge(size: Int, limit: Int)

    public var description: String {
        switch self {
        case .certificate(let why): "DTLS certificate: \(why)"
        case .configuration(let why): "DTLS configuration: \(why)"
        case .fingerprintMismatch(let expected, let received):
            "DTLS peer certificate fingerprint \(received.map { $0.sdpValue } ?? "(none)") does not match the SDP fingerprint \(expected.sdpValue)"
        case .handshakeFailed(let why): why
        case .connectionFailed(let why): why
        case .keyExportFailed(let why): "DTLS-SRTP key export failed: \(why)"
        case .notConnected: "DTLS transport is not connected"
        case .applicationDataTooLarge(let size, let limit):
            "DTLS application data of \(size) bytes exceeds the \(limit)-byte record limit at this MTU"
        }
    }
}
