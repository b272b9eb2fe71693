import RTDCore

/// Why `rtd signal` stopped, each kind with its own exit status so scripts can tell them apart.
public typealias SignalError = KindedError<SignalErrorKind>

public enum SignalErrorKind: Sendable, Equatable, CaseIterable {
    /// Bad arguments or a file that cannot be written.
    case badInput
    /// DNS failure, connection refused or reset; or the server went away mid-session.
    case unreachable
    /// The server answered with an HTTP error status.
    case httpError
    /// The server's reply is not what the protocol says (bad JSON, garbage SDP, wrong answer).
    case protocolError
    case iceFailed
    case dtlsFailed
    /// The https:// handshake failed: a certificate that does not verify, a server that does
    /// not speak TLS. Shares DTLS's exit status: both mean "no secure channel to the server".
    case tlsFailed
    case timeout

    public var exitCode: Int32 {
        switch self {
        case .badInput: 1
        case .protocolError: 2
        case .unreachable: 3
        case .httpError: 4
        case .iceFailed: 5
        case .dtlsFailed, .tlsFailed: 6
        case .timeout: 7
        }
    }
}
