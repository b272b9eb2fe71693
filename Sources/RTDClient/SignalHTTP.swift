import AsyncHTTPClient
import COpenSSL
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization
import RTDCore

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

/// An http:// or https:// URL split into what a request needs.
public struct HTTPURL: Sendable, Equatable, CustomStringConvertible {
    /// https://: the request goes over TLS.
    public var tls: Bool
    public var host: String
    public var port: Int
    /// Path and query, starting with "/".
    public var path: String

    /// Accepts `http[s]://host[:port][/path]`, `host:port` (http assumed) and IPv6 in brackets.
    public init(_ text: String) throws(SignalError) {
        var rest = Substring(text)
        tls = false
        if let scheme = rest.range(of: "://") {
            let name = rest[..<scheme.lowerBound].lowercased()
            guard name == "http" || name == "https" else {
                throw SignalError(.badInput, "\(name):// URLs are not supported (only http:// and https://): \(text)")
            }
            tls = name == "https"
            rest = rest[scheme.upperBound...]
        }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        path = slash == rest.endIndex ? "/" : String(rest[slash...])
        var hostPart = authority
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw SignalError(.badInput, "bad IPv6 address in URL \(text)") }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { portPart = after.dropFirst() } else if !after.isEmpty {
                throw SignalError(.badInput, "bad URL \(text)")
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        }
        guard !hostPart.isEmpty, !hostPart.contains(where: { $0 == " " || $0 == "@" }) else {
            throw SignalError(.badInput, "no host in URL \(text)")
        }
        host = String(hostPart)
        if let portPart {
            guard let p = Int(portPart), (1...65535).contains(p) else { throw SignalError(.badInput, "bad port in URL \(text)") }
            port = p
        } else {
            port = tls ? 443 : 80
        }
    }

    public init(tls: Bool = false, host: String, port: Int, path: String) {
        self.tls = tls
        self.host = host
        self.port = port
        self.path = path
    }

    /// The same server, another path (absolute) or a Location header value (absolute URL or path).
    public func resolving(_ reference: String) throws(SignalError) -> HTTPURL {
        if reference.contains("://") { return try HTTPURL(reference) }
        let base = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        if reference.hasPrefix("/") { return HTTPURL(tls: tls, host: host, port: port, path: reference) }
        let directory = base.hasSuffix("/") ? base : String(base[...(base.lastIndex(of: "/") ?? base.startIndex)])
        return HTTPURL(tls: tls, host: host, port: port, path: directory + reference)
    }

    /// `path` with `suffix` appended, one slash between.
    public func appending(_ suffix: String) -> HTTPURL {
        let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
        return HTTPURL(tls: tls, host: host, port: port, path: trimmed + suffix)
    }

    var hostHeader: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return port == (tls ? 443 : 80) ? h : "\(h):\(port)"
    }

    var isIPAddress: Bool { (try? SocketAddress(ipAddress: host, port: 0)) != nil }

    public var description: String { "\(tls ? "https" : "http")://\(hostHeader)\(path)" }
}

public struct HTTPReply: Sendable {
    public var status: Int
    /// Header names lowercased.
    public var headers: [String: String]
    public var body: [UInt8]

    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// Signaling's HTTP: AsyncHTTPClient on the session's event-loop group, with rtd's rules on top:
/// TLS 1.2 or newer checked as `verification` says, no redirects, a timeout per request, replies
/// capped at `maxResponseBytes` (whatever answers at the URL is untrusted), and every failure
/// turned into a `SignalError` that names what failed.
public final class SignalHTTP: Sendable {
    public static let maxResponseBytes = 1 << 20

    public let verification: TLSVerification
    private let client: HTTPClient
    private let group: any EventLoopGroup

    /// Reads `--ca-file` now, so an unusable one is reported as such even if the server is down.
    /// `shutdown()` must be awaited before the group is shut down.
    public init(verification: TLSVerification = .system, timeout: Double, group: any EventLoopGroup) throws(SignalError) {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        switch verification {
        case .system:
            break
        case .caFile(let path):
            tls.trustRoots = .certificates(try Self.loadCAFile(path))
        case .insecure:
            tls.certificateVerification = .none
        }
        let limit = TimeAmount.microseconds(Int64(max(timeout, 0.001) * 1e6))
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .disallow, timeout: .init(connect: limit, read: limit))
        // A refused connection is the answer; AsyncHTTPClient would otherwise retry until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.httpVersion = .http1Only
        client = HTTPClient(eventLoopGroupProvider: .shared(group), configuration: configuration)
        self.verification = verification
        self.group = group
    }

    public func shutdown() async {
        try? await client.shutdown()
    }

    private static func loadCAFile(_ path: String) throws(SignalError) -> [NIOSSLCertificate] {
        // NIOSSL's own message for a missing file names no reason; errno does.
        guard access(path, R_OK) == 0 else {
            throw SignalError(.badInput, "cannot read --ca-file \(path): \(String(cString: strerror(errno)))")
        }
        guard let certificates = try? NIOSSLCertificate.fromPEMFile(path), !certificates.isEmpty else {
            throw SignalError(.badInput, "--ca-file \(path) holds no PEM certificate")
        }
        return certificates
    }

    public func request(_ method: HTTPMethod, _ url: HTTPURL, headers: [(String, String)] = [], body: [UInt8] = [],
                        timeout: Double) async throws(SignalError) -> HTTPReply {
        var request = HTTPClientRequest(url: url.description)
        request.method = method
        // Spelt as browsers and the old client did (AsyncHTTPClient's own is "host").
        request.headers.add(name: "Host", value: url.hostHeader)
        request.headers.add(name: "User-Agent", value: "rtd-signal")
        // One request per connection, as before: a session makes two (offer, bye) seconds apart, and
        // a pooled connection the server has meanwhile closed would fail the second.
        request.headers.add(name: "Connection", value: "close")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if !body.isEmpty || method == .POST { request.body = .bytes(body) }
        let deadline = NIODeadline.now() + .microseconds(Int64(timeout * 1e6))
        do {
            let response = try await client.execute(request, deadline: deadline)
            var bytes = try await response.body.collect(upTo: Self.maxResponseBytes)
            var fields: [String: String] = [:]
            for (name, value) in response.headers { fields[name.lowercased()] = value }
            return HTTPReply(status: Int(response.status.code), headers: fields, body: bytes.readBytes(length: bytes.readableBytes) ?? [])
        } catch {
            throw await explain(error, url: url)
        }
    }

    // MARK: Errors

    /// What failed, in the words of the old blocking client (scripts and tests read them).
    private func explain(_ error: any Error, url: HTTPURL) async -> SignalError {
        switch error {
        case is NIOTooManyBytesError:
            return SignalError(.protocolError, "\(url): reply larger than \(Self.maxResponseBytes) bytes")
        case let error as HTTPClientError:
            switch error {
            case .readTimeout, .deadlineExceeded:
                return SignalError(.timeout, "\(url): timed out waiting for the reply")
            case .connectTimeout:
                return SignalError(.timeout, "\(url): timed out connecting")
            case .tlsHandshakeTimeout:
                return SignalError(.timeout, "\(url): timed out during the TLS handshake: no reply to the TLS hello (a plain http:// server?)")
            case .remoteConnectionClosed:
                return SignalError(.protocolError, "\(url): connection closed before a complete HTTP reply")
            default:
                return SignalError(.unreachable, "\(url): \(error)")
            }
        case let error as NIOConnectionError:
            if error.connectionErrors.isEmpty {
                let why = (error.dnsAError ?? error.dnsAAAAError).map { "\($0)" } ?? "no address"
                return SignalError(.unreachable, "cannot resolve \(url.host): \(why)")
            }
            return SignalError(.unreachable, "cannot connect to \(url.hostHeader): \(Self.reason(error.connectionErrors[0].error))")
        case let error as IOError:
            return SignalError(.unreachable, "cannot connect to \(url.hostHeader): \(Self.reason(error))")
        case is SocketAddressError:
            return SignalError(.unreachable, "cannot resolve \(url.host): \(error)")
        case let error as NIOSSLExtraError where error == .failedToValidateHostname:
            let why = url.isIPAddress ? "IP address mismatch" : "hostname mismatch"
            return SignalError(.tlsFailed, "\(url): the server's certificate does not verify: \(why) (\(Self.nameHint(url)))")
        case NIOSSLError.handshakeFailed(let failure):
            let text = "\(failure)"
            if text.contains("CERTIFICATE_VERIFY_FAILED") {
                let why = await diagnoseCertificate(url) ?? (reason: "the chain is not trusted", nameMismatch: false)
                let hint = why.nameMismatch ? Self.nameHint(url) : "--ca-file FILE trusts your server's certificate, --insecure skips the check"
                return SignalError(.tlsFailed, "\(url): the server's certificate does not verify: \(why.reason) (\(hint))")
            }
            // A plain HTTP server answers the hello with "HTTP/1.1 400 ...", which is no TLS record.
            if ["WRONG_VERSION_NUMBER", "PACKET_LENGTH_TOO_LONG", "HTTP_REQUEST", "UNEXPECTED_RECORD", "WRONG_VERSION"]
                .contains(where: text.contains) {
                return SignalError(.tlsFailed, "\(url): TLS handshake failed: the server does not speak TLS (a plain http:// server?)")
            }
            return SignalError(.tlsFailed, "\(url): TLS handshake failed: \(text)")
        case NIOSSLError.uncleanShutdown:
            return SignalError(.tlsFailed, "\(url): TLS handshake failed: the server closed the connection (not a TLS server?)")
        case is NIOSSLError:
            return SignalError(.tlsFailed, "\(url): TLS handshake failed: \(error)")
        case HTTPParserError.invalidEOFState:
            return SignalError(.protocolError, "\(url): connection closed before a complete HTTP reply")
        case is HTTPParserError:
            return SignalError(.protocolError, "\(url): not an HTTP reply (\(error))")
        default:
            return SignalError(.unreachable, "\(url): \(error)")
        }
    }

    private static func reason(_ error: any Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) }
        return "\(error)"
    }

    private static func nameHint(_ url: HTTPURL) -> String {
        "the certificate is not for \(url.host): use a name it lists, or --insecure to skip the check"
    }

    /// NIOSSL says only that the certificate did not verify. To say why (self-signed, expired, an
    /// unknown issuer...), fetch the chain the server presents on a second connection and check it
    /// with OpenSSL against the same trust anchors. Only on this error path.
    private func diagnoseCertificate(_ url: HTTPURL) async -> (reason: String, nameMismatch: Bool)? {
        let chain = Mutex<[[UInt8]]>([])
        do {
            let context = try NIOSSLContext(configuration: .makeClientConfiguration())
            let serverName = url.isIPAddress ? nil : url.host
            let channel = try await ClientBootstrap(group: group)
                .connectTimeout(.seconds(2))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let capture: NIOSSLCustomVerificationCallback = { certificates, promise in
                            chain.withLock { $0 = certificates.compactMap { try? $0.toDERBytes() } }
                            promise.succeed(NIOSSLVerificationResult.failed)
                        }
                        let handler = try NIOSSLClientHandler(context: context, serverHostname: serverName,
                                                              customVerificationCallback: capture)
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                }
                .connect(host: url.host, port: url.port).get()
            // The refused handshake closes the channel; a server that stalls is cut off.
            let cutoff = channel.eventLoop.scheduleTask(in: TimeAmount.seconds(2)) { channel.close(promise: nil) }
            try? await channel.closeFuture.get()
            cutoff.cancel()
        } catch {
            return nil
        }
        return Self.verify(chain.withLock { $0 }, host: url.host, isIPAddress: url.isIPAddress, verification: verification)
    }

    /// OpenSSL's verdict on a DER chain (leaf first): nil if it verifies.
    static func verify(_ chain: [[UInt8]], host: String, isIPAddress: Bool,
                       verification: TLSVerification) -> (reason: String, nameMismatch: Bool)? {
        let certificates: [OpaquePointer] = chain.compactMap { der in
            der.withUnsafeBufferPointer { buffer in
                var cursor = buffer.baseAddress
                return d2i_X509(nil, &cursor, buffer.count)
            }
        }
        defer { certificates.forEach { X509_free($0) } }
        guard let leaf = certificates.first, let store = X509_STORE_new() else { return nil }
        defer { X509_STORE_free(store) }
        switch verification {
        case .caFile(let path): guard X509_STORE_load_file(store, path) == 1 else { return nil }
        case .system: guard X509_STORE_set_default_paths(store) == 1 else { return nil }
        case .insecure: return nil
        }
        guard let untrusted = OPENSSL_sk_new_null() else { return nil }
        defer { OPENSSL_sk_free(untrusted) }
        for certificate in certificates.dropFirst() { OPENSSL_sk_push(untrusted, UnsafeRawPointer(certificate)) }
        guard let context = X509_STORE_CTX_new() else { return nil }
        defer { X509_STORE_CTX_free(context) }
        guard X509_STORE_CTX_init(context, store, leaf, untrusted) == 1 else { return nil }
        let parameters = X509_STORE_CTX_get0_param(context)
        _ = isIPAddress ? X509_VERIFY_PARAM_set1_ip_asc(parameters, host) : X509_VERIFY_PARAM_set1_host(parameters, host, 0)
        guard X509_verify_cert(context) != 1 else { return nil }
        let code = X509_STORE_CTX_get_error(context)
        return (String(cString: X509_verify_cert_error_string(Int(code))),
                code == X509_V_ERR_HOSTNAME_MISMATCH || code == X509_V_ERR_IP_ADDRESS_MISMATCH)
    }
}
