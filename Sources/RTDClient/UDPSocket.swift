#if canImport(Glibc)
import Glibc
import RTDWebRTC
#elseif canImport(Darwin)
import Darwin
#endif

/// A non-blocking IPv4 UDP socket on all interfaces, for a client that owns one peer. Plain POSIX:
/// one thread polls it, so no event-loop machinery sits between a datagram and the jitter buffer.
final class UDPSocket {
    let fd: Int32
    let port: UInt16
    private var buffer = [UInt8](repeating: 0, count: 65_536)

    init() throws(SignalError) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SignalError(.badInput, "cannot open a UDP socket: \(String(cString: strerror(errno)))") }
        // Room for a keyframe burst while the thread is busy elsewhere.
        var size: Int32 = 4 << 20
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            close(fd)
            throw SignalError(.badInput, "cannot bind a UDP socket: \(String(cString: strerror(errno)))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        port = UInt16(bigEndian: address.sin_port)
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8], to destination: STUNAddress) {
        guard !destination.isIPv6 else { return }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = destination.port.bigEndian
        withUnsafeMutableBytes(of: &address.sin_addr) { $0.copyBytes(from: destination.ip) }
        _ = bytes.withUnsafeBytes { raw in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL), $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }

    /// The next waiting datagram, or nil when none is.
    func receive() -> (bytes: [UInt8], source: STUNAddress)? {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let n = buffer.withUnsafeMutableBytes { raw in
            withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, raw.baseAddress, raw.count, 0, $0, &length) }
            }
        }
        guard n > 0 else { return nil }
        let ip = withUnsafeBytes(of: address.sin_addr) { Array($0) }
        guard let source = STUNAddress(ip: ip, port: UInt16(bigEndian: address.sin_port)) else { return nil }
        return (Array(buffer[0..<n]), source)
    }

    /// IPv4 addresses of the interfaces that are up, loopback included (a server on the same
    /// machine may only listen there).
    static func interfaceAddresses() -> [String] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return ["127.0.0.1"] }
        defer { freeifaddrs(list) }
        var out: [String] = []
        var entry = list
        while let item = entry {
            entry = item.pointee.ifa_next
            guard let addr = item.pointee.ifa_addr, addr.pointee.sa_family == sa_family_t(AF_INET),
                  item.pointee.ifa_flags & UInt32(IFF_UP) != 0 else { continue }
            let ip = addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { p in withUnsafeBytes(of: p.pointee.sin_addr) { Array($0) } }
            if let host = STUNAddress(ip: ip, port: 0)?.host, !out.contains(host) { out.append(host) }
        }
        // Non-loopback first, the order servers prefer too.
        return out.sorted { ($0.hasPrefix("127.") ? 1 : 0) < ($1.hasPrefix("127.") ? 1 : 0) }
    }

    /// Resolves `host:port` (or `stun:host:port`) to an IPv4 address.
    static func resolve(_ text: String, defaultPort: UInt16) throws(SignalError) -> STUNAddress {
        var spec = Substring(text)
        for prefix in ["stun://", "stun:"] where spec.hasPrefix(prefix) { spec = spec.dropFirst(prefix.count) }
        var host = spec
        var port = defaultPort
        if let colon = spec.lastIndex(of: ":") {
            guard let p = UInt16(spec[spec.index(after: colon)...]), p > 0 else { throw SignalError(.badInput, "bad port in \(text)") }
            host = spec[..<colon]
            port = p
        }
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(String(host), nil, &hints, &result)
        guard status == 0, let result, let addr = result.pointee.ai_addr else {
            throw SignalError(.unreachable, "cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(result) }
        let ip = addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { p in withUnsafeBytes(of: p.pointee.sin_addr) { Array($0) } }
        guard let address = STUNAddress(ip: ip, port: port) else { throw SignalError(.badInput, "bad address \(text)") }
        return address
    }
}
