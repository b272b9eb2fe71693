#if canImport(Glibc)
import Glibc
import RTDCore
#elseif canImport(Darwin)
import Darwin
#endif

/// An http:// or https:// URL split into what an HTTP/1.1 request needs.
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

    public var description: String { "\(tls ? "https" : "http")://\(hostHeader)\(path)" }
}

public struct HTTPReply: Sendable {
    public var status: Int
    /// Header names lowercased.
    public var headers: [String: String]
    public var body: [UInt8]

    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// A blocking HTTP/1.1 client for signaling: one request per connection, over TLS for https://.
/// Enough for a few small JSON/SDP exchanges; not a general-purpose client. Not thread-safe.
public final class HTTPClient {
    public static let maxResponseBytes = 1 << 20

    public let verification: TLSVerification
    /// Made at the first https:// request.
    private var madeContext: TLSContext?

    public init(verification: TLSVerification = .system) {
        self.verification = verification
    }

    public func request(_ method: String, _ url: HTTPURL, headers: [(String, String)] = [], body: [UInt8] = [],
                        timeout: Double) throws(SignalError) -> HTTPReply {
        let deadline = SystemClock.monotonicMicros() + Int64(timeout * 1e6)
        // Before connecting, so an unusable --ca-file is reported as such even if the server is down.
        let context = url.tls ? try tlsContext() : nil
        let fd = try Self.connect(url, deadline: deadline)
        defer { close(fd) }
        let tls: TLSStream? = if let context { try TLSStream(fd: fd, url: url, context: context, deadline: deadline) } else { nil }
        var head = "\(method) \(url.path) HTTP/1.1\r\nHost: \(url.hostHeader)\r\nConnection: close\r\nUser-Agent: rtd-signal\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        if let tls {
            try tls.write(Array(head.utf8) + body, deadline: deadline)
        } else {
            try Self.sendAll(fd, Array(head.utf8) + body, url: url, deadline: deadline)
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let n = if let tls {
                try tls.read(into: &buffer, deadline: deadline)
            } else {
                try Self.receive(fd, into: &buffer, url: url, deadline: deadline)
            }
            if n == 0 { break }
            received += buffer[0..<n]
            guard received.count <= Self.maxResponseBytes else {
                throw SignalError(.protocolError, "\(url): reply larger than \(Self.maxResponseBytes) bytes")
            }
            // Complete: stop reading (the server may keep the connection open). Not HTTP: fail now.
            if try Self.parseResponse(received) != nil { break }
        }
        guard let response = try Self.parseResponse(received) else {
            throw SignalError(.protocolError, "\(url): connection closed before a complete HTTP reply (\(received.count) bytes)")
        }
        return response
    }

    private func tlsContext() throws(SignalError) -> TLSContext {
        if let madeContext { return madeContext }
        let made = try TLSContext(verification)
        madeContext = made
        return made
    }

    /// Parses a complete response; nil while more bytes are needed (Content-Length or chunked not
    /// satisfied). Without either, the body runs to the end of `bytes` (connection close).
    static func parseResponse(_ bytes: [UInt8]) throws(SignalError) -> HTTPReply? {
        guard let end = firstIndex(of: [13, 10, 13, 10], in: bytes[...]) else { return nil }
        let head = String(decoding: bytes[..<end], as: UTF8.self)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]), (100...599).contains(status) else {
            throw SignalError(.protocolError, "not an HTTP reply: \(statusLine.prefix(80))")
        }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = String(line[line.index(after: colon)...].trimmingSpaces)
        }
        var body = Array(bytes[(end + 4)...])
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            guard let decoded = try dechunk(body) else { return nil }
            body = decoded
        } else if let lengthText = headers["content-length"] {
            guard let length = Int(lengthText), length >= 0 else { throw SignalError(.protocolError, "bad Content-Length \(lengthText)") }
            guard body.count >= length else { return nil }
            body = Array(body.prefix(length))
        }
        return HTTPReply(status: status, headers: headers, body: body)
    }

    /// Chunked transfer coding (RFC 9112 §7.1); nil while incomplete.
    static func dechunk(_ bytes: [UInt8]) throws(SignalError) -> [UInt8]? {
        var out: [UInt8] = []
        var position = 0
        while true {
            guard let lineEnd = firstIndex(of: [13, 10], in: bytes[position...]) else { return nil }
            let sizeText = String(decoding: bytes[position..<lineEnd], as: UTF8.self)
                .split(separator: ";").first.map { String($0.trimmingSpaces) } ?? ""
            guard let size = Int(sizeText, radix: 16), size >= 0, size <= maxResponseBytes else {
                throw SignalError(.protocolError, "bad chunk size \"\(sizeText.prefix(20))\"")
            }
            let dataStart = lineEnd + 2
            if size == 0 { return out }
            guard bytes.count >= dataStart + size + 2 else { return nil }
            out += bytes[dataStart..<(dataStart + size)]
            position = dataStart + size + 2
        }
    }

    private static func firstIndex(of pattern: [UInt8], in bytes: ArraySlice<UInt8>) -> Int? {
        guard bytes.count >= pattern.count else { return nil }
        var i = bytes.startIndex
        while i <= bytes.endIndex - pattern.count {
            if bytes[i] == pattern[0], bytes[i..<(i + pattern.count)].elementsEqual(pattern) { return i }
            i += 1
        }
        return nil
    }

    // MARK: Sockets

    private static func connect(_ url: HTTPURL, deadline: Int64) throws(SignalError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(url.host, String(url.port), &hints, &list)
        guard status == 0, let list else {
            throw SignalError(.unreachable, "cannot resolve \(url.host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { continue }
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
            if errno == EINPROGRESS {
                do {
                    try wait(fd, events: Int16(POLLOUT), url: url, deadline: deadline, doing: "connecting")
                } catch {
                    close(fd)
                    throw error
                }
                var soError: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length)
                if soError == 0 { return fd }
                lastError = String(cString: strerror(soError))
            } else {
                lastError = String(cString: strerror(errno))
            }
            close(fd)
        }
        throw SignalError(.unreachable, "cannot connect to \(url.hostHeader): \(lastError)")
    }

    private static func sendAll(_ fd: Int32, _ bytes: [UInt8], url: HTTPURL, deadline: Int64) throws(SignalError) {
        var offset = 0
        while offset < bytes.count {
            try wait(fd, events: Int16(POLLOUT), url: url, deadline: deadline, doing: "sending the request")
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw SignalError(.unreachable, "\(url): sending the request failed: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }

    /// Bytes read into `buffer`; 0 when the server has closed the connection.
    private static func receive(_ fd: Int32, into buffer: inout [UInt8], url: HTTPURL, deadline: Int64) throws(SignalError) -> Int {
        while true {
            try wait(fd, events: Int16(POLLIN), url: url, deadline: deadline, doing: "waiting for the reply")
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n >= 0 { return n }
            if errno == EINTR || errno == EAGAIN { continue }
            throw SignalError(.unreachable, "\(url): connection lost while reading the reply: \(String(cString: strerror(errno)))")
        }
    }

    static func wait(_ fd: Int32, events: Int16, url: HTTPURL, deadline: Int64, doing: String) throws(SignalError) {
        while true {
            let left = deadline - SystemClock.monotonicMicros()
            guard left > 0 else { throw SignalError(.timeout, "\(url): timed out \(doing)") }
            var p = pollfd(fd: fd, events: events, revents: 0)
            let r = poll(&p, 1, Int32(min(left / 1000 + 1, 1000)))
            if r > 0 { return }
            if r < 0, errno != EINTR { throw SignalError(.unreachable, "\(url): poll failed: \(String(cString: strerror(errno)))") }
        }
    }
}
