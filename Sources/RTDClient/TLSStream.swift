import COpenSSL
#if canImport(Glibc)
import Glibc
import RTDMedia
#elseif canImport(Darwin)
import Darwin
#endif

/// How the certificate of an https:// server is checked.
public enum TLSVerification: Sendable, Equatable {
    /// Against the system's trust store, and for the URL's host name or IP address.
    case system
    /// Against the certificates in this PEM file only (e.g. the self-signed one of your own server),
    /// and for the URL's host name or IP address.
    case caFile(String)
    /// Not at all: still encrypted, but anyone on the path can pose as the server.
    case insecure
}

/// An OpenSSL client context (TLS 1.2 or newer, the trust anchors `verification` names). Made once
/// per client so the trust store is read once, not on every request.
final class TLSContext {
    fileprivate let handle: OpaquePointer
    let verification: TLSVerification

    init(_ verification: TLSVerification) throws(SignalError) {
        guard let handle = SSL_CTX_new(TLS_client_method()) else {
            throw SignalError(.tlsFailed, "cannot create a TLS context: \(openSSLError())")
        }
        if let problem = Self.configure(handle, verification) {
            SSL_CTX_free(handle)
            throw problem
        }
        self.handle = handle
        self.verification = verification
    }

    deinit { SSL_CTX_free(handle) }

    private static func configure(_ handle: OpaquePointer, _ verification: TLSVerification) -> SignalError? {
        guard rtd_tls_ctx_setup(handle) == 1 else { return SignalError(.tlsFailed, "cannot require TLS 1.2: \(openSSLError())") }
        switch verification {
        case .system:
            guard SSL_CTX_set_default_verify_paths(handle) == 1 else {
                return SignalError(.tlsFailed, "cannot load the system's trusted certificates: \(openSSLError())")
            }
        case .caFile(let path):
            // OpenSSL's own message for a missing file is "system library"; errno says it better.
            guard access(path, R_OK) == 0 else {
                return SignalError(.badInput, "cannot read --ca-file \(path): \(String(cString: strerror(errno)))")
            }
            guard SSL_CTX_load_verify_locations(handle, path, nil) == 1 else {
                return SignalError(.badInput, "--ca-file \(path) holds no PEM certificate: \(openSSLError())")
            }
        case .insecure:
            break
        }
        SSL_CTX_set_verify(handle, verification == .insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nil)
        return nil
    }
}

/// TLS over a connected non-blocking TCP socket, for one request. OpenSSL reads and writes the
/// descriptor itself; when it wants to read or write more we poll, so every step honours the
/// request's deadline. The caller still owns (and closes) the descriptor.
final class TLSStream {
    private let ssl: OpaquePointer
    private let fd: Int32
    private let url: HTTPURL

    /// Connects: SNI for host names, certificate checked for the URL's host (name or IP address).
    init(fd: Int32, url: HTTPURL, context: TLSContext, deadline: Int64) throws(SignalError) {
        guard let ssl = SSL_new(context.handle) else { throw SignalError(.tlsFailed, "cannot create a TLS session: \(openSSLError())") }
        self.ssl = ssl
        self.fd = fd
        self.url = url
        SSL_set_fd(ssl, fd)
        // Writing to a server that already closed would raise SIGPIPE (OpenSSL uses write(2)).
        FileDescriptorWriter.ignoreSIGPIPE()
        let isAddress = Self.isIPAddress(url.host)
        if !isAddress { rtd_tls_set_sni(ssl, url.host) }
        if context.verification != .insecure {
            let param = SSL_get0_param(ssl)
            let set = isAddress ? X509_VERIFY_PARAM_set1_ip_asc(param, url.host) : X509_VERIFY_PARAM_set1_host(param, url.host, 0)
            guard set == 1 else { throw SignalError(.badInput, "\(url): cannot check a certificate for \(url.host)") }
        }
        // Some plain HTTP servers neither answer nor close on a ClientHello: say so on timeout.
        var heardBack = false
        while true {
            ERR_clear_error()
            let result = SSL_connect(ssl)
            let systemError = errno
            if result == 1 { return }
            let sslError = SSL_get_error(ssl, result)
            do {
                if try waitIfWanted(sslError, deadline: deadline, doing: "during the TLS handshake") {
                    heardBack = heardBack || sslError == SSL_ERROR_WANT_READ
                    continue
                }
            } catch where error.kind == .timeout && !heardBack {
                throw SignalError(.timeout, "\(error.message): no reply to the TLS hello (a plain http:// server?)")
            }
            throw handshakeError(sslError, systemError: systemError)
        }
    }

    deinit { SSL_free(ssl) }

    func write(_ bytes: [UInt8], deadline: Int64) throws(SignalError) {
        var offset = 0
        while offset < bytes.count {
            ERR_clear_error()
            let n = bytes.withUnsafeBytes { SSL_write(ssl, $0.baseAddress! + offset, Int32($0.count - offset)) }
            let systemError = errno
            if n > 0 {
                offset += Int(n)
                continue
            }
            let error = SSL_get_error(ssl, n)
            if try waitIfWanted(error, deadline: deadline, doing: "sending the request") { continue }
            throw SignalError(.unreachable, "\(url): sending the request failed: \(streamError(error, systemError: systemError))")
        }
    }

    /// Bytes read into `buffer`; 0 when the server has closed the connection.
    func read(into buffer: inout [UInt8], deadline: Int64) throws(SignalError) -> Int {
        while true {
            ERR_clear_error()
            let n = buffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
            let systemError = errno
            if n > 0 { return Int(n) }
            let error = SSL_get_error(ssl, n)
            if error == SSL_ERROR_ZERO_RETURN { return 0 }
            if try waitIfWanted(error, deadline: deadline, doing: "waiting for the reply") { continue }
            throw SignalError(.unreachable, "\(url): connection lost while reading the reply: \(streamError(error, systemError: systemError))")
        }
    }

    /// Polls for what OpenSSL asked for; false if `error` is not a request to wait.
    private func waitIfWanted(_ error: Int32, deadline: Int64, doing: String) throws(SignalError) -> Bool {
        switch error {
        case SSL_ERROR_WANT_READ: try HTTPClient.wait(fd, events: Int16(POLLIN), url: url, deadline: deadline, doing: doing)
        case SSL_ERROR_WANT_WRITE: try HTTPClient.wait(fd, events: Int16(POLLOUT), url: url, deadline: deadline, doing: doing)
        default: return false
        }
        return true
    }

    /// `systemError`: errno right after the failed call, for SSL_ERROR_SYSCALL.
    private func handshakeError(_ error: Int32, systemError: Int32) -> SignalError {
        let verify = SSL_get_verify_result(ssl)
        if verify != X509_V_OK {
            let why = String(cString: X509_verify_cert_error_string(verify))
            let hint = switch Int32(verify) {
            case X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH:
                "the certificate is not for \(url.host): use a name it lists, or --insecure to skip the check"
            default:
                "--ca-file FILE trusts your server's certificate, --insecure skips the check"
            }
            return SignalError(.tlsFailed, "\(url): the server's certificate does not verify: \(why) (\(hint))")
        }
        let code = ERR_peek_error()
        let reason = ERR_GET_REASON(code)
        if error == SSL_ERROR_SSL, ERR_GET_LIB(code) == ERR_LIB_SSL,
           reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_PACKET_LENGTH_TOO_LONG {
            return SignalError(.tlsFailed, "\(url): TLS handshake failed: the server does not speak TLS (a plain http:// server?)")
        }
        if error == SSL_ERROR_SYSCALL, code == 0 {
            let why = systemError == 0 ? "the server closed the connection" : String(cString: strerror(systemError))
            return SignalError(.tlsFailed, "\(url): TLS handshake failed: \(why) (not a TLS server?)")
        }
        return SignalError(.tlsFailed, "\(url): TLS handshake failed: \(openSSLError())")
    }

    private func streamError(_ error: Int32, systemError: Int32) -> String {
        if error == SSL_ERROR_SYSCALL, ERR_peek_error() == 0 {
            return systemError == 0 ? "connection closed" : String(cString: strerror(systemError))
        }
        return openSSLError()
    }

    private static func isIPAddress(_ host: String) -> Bool {
        var storage = in6_addr()
        return inet_pton(AF_INET, host, &storage) == 1 || inet_pton(AF_INET6, host, &storage) == 1
    }
}

/// The reason of the oldest queued OpenSSL error (e.g. "wrong version number"), then clears the queue.
private func openSSLError() -> String {
    let code = ERR_get_error()
    defer { ERR_clear_error() }
    guard code != 0 else { return "unknown error" }
    if let reason = ERR_reason_error_string(code) { return String(cString: reason) }
    var text = [CChar](repeating: 0, count: 256)
    ERR_error_string_n(code, &text, text.count)
    return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
