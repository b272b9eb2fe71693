#if canImport(Glibc)
import Glibc
#endif
import CNet
import NIOCore

/// A peer's address as the kernel takes it, made once per path instead of once per datagram.
struct RawSocketAddress {
    fileprivate var storage = sockaddr_storage()
    fileprivate var length: socklen_t = 0

    init(_ address: SocketAddress) {
        length = address.withSockAddr { pointer, size in
            withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(start: pointer, count: size)) }
            return socklen_t(size)
        }
    }
}

/// Everything a network loop sends, written into one preallocated arena and handed to the kernel
/// with `sendmmsg`, up to `slots` datagrams a call: no buffer, envelope or queue entry per packet,
/// which NIO's datagram channel spends. A datagram the kernel refuses (a path that went away:
/// EPERM from a firewall, ENETUNREACH) is skipped, where NIO would close the socket and cut
/// every viewer of the loop; a full send buffer drops the rest of the batch (real-time: never
/// queue behind it). Confined to one event loop.
final class DatagramBatch {
    static let slots = 512
    /// More than any RTP, DTLS, SCTP or STUN datagram this endpoint writes.
    static let slotSize = 2048

    struct Counts {
        var sent = 0
        var refused = 0
        var dropped = 0
    }

    private(set) var counts = Counts()
    /// The socket's descriptor; -1 while it has none (closed, being replaced).
    var descriptor: CInt = -1
    private let arena: UnsafeMutableRawPointer
    private let bases: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    private let lengths: UnsafeMutablePointer<Int>
    private let names: UnsafeMutablePointer<sockaddr_storage>
    private let nameLengths: UnsafeMutablePointer<socklen_t>
    private var count = 0

    init() {
        arena = .allocate(byteCount: Self.slots * Self.slotSize, alignment: 16)
        bases = .allocate(capacity: Self.slots)
        lengths = .allocate(capacity: Self.slots)
        names = .allocate(capacity: Self.slots)
        nameLengths = .allocate(capacity: Self.slots)
        for i in 0..<Self.slots { bases[i] = arena + i * Self.slotSize }
    }

    deinit {
        arena.deallocate()
        bases.deallocate()
        lengths.deallocate()
        names.deallocate()
        nameLengths.deallocate()
    }

    var isEmpty: Bool { count == 0 }

    /// Lets `fill` write one datagram for `address` in place (it returns the length; 0 writes
    /// nothing). Sends the batch first when it is full.
    func write(to address: RawSocketAddress, capacity: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Int) {
        precondition(capacity <= Self.slotSize, "datagram of \(capacity) bytes exceeds the batch slot")
        if count == Self.slots { flush() }
        let slot = arena + count * Self.slotSize
        let length = fill(UnsafeMutableRawBufferPointer(start: slot, count: Self.slotSize))
        guard length > 0 else { return }
        lengths[count] = length
        names[count] = address.storage
        nameLengths[count] = address.length
        count += 1
    }

    /// Copies one finished datagram in.
    func write(_ datagram: [UInt8], to address: RawSocketAddress) {
        guard datagram.count <= Self.slotSize else { return sendAlone(datagram, to: address) }
        write(to: address, capacity: datagram.count) { buffer in
            datagram.withUnsafeBytes { buffer.copyMemory(from: $0) }
            return datagram.count
        }
    }

    /// Hands everything written to the kernel.
    func flush() {
        var next = 0
        defer { count = 0 }
        guard descriptor >= 0 else {
            counts.dropped += count
            return
        }
        while next < count {
            let sent = rtd_sendmmsg(descriptor, bases + next, lengths + next, names + next, nameLengths + next, UInt32(count - next))
            if sent > 0 {
                next += Int(sent)
                counts.sent += Int(sent)
                continue
            }
            switch -sent {
            case EAGAIN, ENOBUFS:
                counts.dropped += count - next
                return
            default:
                // The first datagram left failed alone (sendmmsg reports an error only when none went).
                counts.refused += 1
                next += 1
            }
        }
    }

    private func sendAlone(_ datagram: [UInt8], to address: RawSocketAddress) {
        guard descriptor >= 0 else { return }
        let sent = datagram.withUnsafeBytes { bytes in
            withUnsafeBytes(of: address.storage) { name in
                sendto(descriptor, bytes.baseAddress, bytes.count, 0, name.baseAddress!.assumingMemoryBound(to: sockaddr.self), address.length)
            }
        }
        if sent < 0 { counts.refused += 1 } else { counts.sent += 1 }
    }
}

/// The endpoint's sockets, made here rather than by NIO's bootstrap so the loop knows the
/// descriptor its `DatagramBatch` writes to.
enum SharedUDPSocket {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// A non-blocking UDP socket bound to `host:port` with SO_REUSEPORT, so one per loop can share
    /// the port (0: the kernel picks one; read it back with `port(of:)`).
    static func open(host: String, port: Int, bufferBytes: Int) throws -> CInt {
        let address = try SocketAddress.makeAddressResolvingHost(host, port: port)
        let family = address.protocol == .inet6 ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "cannot open a UDP socket: \(String(cString: strerror(errno)))") }
        let size = CInt(clamping: bufferBytes)
        for (option, value) in [(SO_REUSEADDR, 1), (SO_REUSEPORT, 1), (SO_SNDBUF, size), (SO_RCVBUF, size)] {
            var value = value
            // Buffers are capped at wmem_max/rmem_max by Linux; a refusal of either is no reason to stop.
            _ = setsockopt(fd, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<CInt>.size))
        }
        let bound = address.withSockAddr { bind(fd, $0, socklen_t($1)) }
        guard bound == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw Failure(description: "cannot bind UDP \(host):\(port): \(reason)")
        }
        return fd
    }
}
