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
/// with `sendmmsg`, up to 64 messages a call: no buffer, envelope or queue entry per packet,
/// which NIO's datagram channel spends. A datagram the kernel refuses (a path that went away:
/// EPERM from a firewall, ENETUNREACH) is skipped, where NIO would close the socket and cut
/// every viewer of the loop; a full send buffer drops the rest of the batch (real-time: never
/// queue behind it). Confined to one event loop.
///
/// UDP GSO: a video frame to one viewer is a run of datagrams to one address, all of the
/// packetizer's size but the last. Each such run goes as ONE message (an iovec per datagram and a
/// UDP_SEGMENT cmsg) that the kernel cuts into the same datagrams only at the device (or the NIC
/// does): one pass through the socket, UDP and IP layers per run instead of per packet. Linux
/// refuses a segmented write on some paths (EIO without checksum offload or through IPsec, EINVAL
/// beyond the path's MTU): that run is sent again as plain datagrams at once and its address gets
/// no GSO any more, so no other viewer notices.
final class DatagramBatch {
    static let slots = Int(RTD_MMSG_DATAGRAMS_MAX)
    /// More than any RTP, DTLS, SCTP or STUN datagram this endpoint writes.
    static let slotSize = 2048
    /// Linux's UDP_MAX_SEGMENTS before 6.x raised it.
    static let maxSegments = 64
    /// Below IP's 65 535 less headers (UDP payload at most 65 507 over IPv4).
    static let maxGSOBytes = 65_000
    /// Addresses remembered as refusing GSO before the socket stops using it for everyone.
    static let maxRefusingPaths = 256

    struct Counts {
        var sent = 0
        var refused = 0
        var dropped = 0
        /// Messages that carried a run of datagrams as one GSO write, and those the kernel refused
        /// (their datagrams then went plain).
        var gsoWrites = 0
        var gsoRefused = 0
    }

    private(set) var counts = Counts()
    /// The socket's descriptor; -1 while it has none (closed, being replaced).
    var descriptor: CInt = -1 { didSet { probeGSO() } }
    /// false: every datagram is its own message (`server.udp_gso: false`).
    var gsoAllowed = true { didSet { probeGSO() } }
    /// Whether runs are coalesced on this socket: allowed, and the kernel knows UDP_SEGMENT.
    private(set) var gso = false
    private var refusingPaths = Set<PathKey>()
    private let arena: UnsafeMutableRawPointer
    private let bases: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    private let lengths: UnsafeMutablePointer<Int>
    private let names: UnsafeMutablePointer<sockaddr_storage>
    private let nameLengths: UnsafeMutablePointer<socklen_t>
    /// Datagrams per message of the call being made.
    private let segments: UnsafeMutablePointer<UInt16>
    private var count = 0

    init() {
        arena = .allocate(byteCount: Self.slots * Self.slotSize, alignment: 16)
        bases = .allocate(capacity: Self.slots)
        lengths = .allocate(capacity: Self.slots)
        names = .allocate(capacity: Self.slots)
        nameLengths = .allocate(capacity: Self.slots)
        segments = .allocate(capacity: Int(RTD_MMSG_MAX))
        for i in 0..<Self.slots { bases[i] = arena + i * Self.slotSize }
    }

    deinit {
        arena.deallocate()
        bases.deallocate()
        lengths.deallocate()
        names.deallocate()
        nameLengths.deallocate()
        segments.deallocate()
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
            let messages = plan(from: next)
            let sent = rtd_sendmmsg(descriptor, bases + next, lengths + next, names + next, nameLengths + next, segments, UInt32(messages))
            if sent > 0 {
                for m in 0..<Int(sent) {
                    let k = Int(segments[m])
                    next += k
                    counts.sent += k
                    if k > 1 { counts.gsoWrites += 1 }
                }
                continue
            }
            switch -sent {
            case EAGAIN, ENOBUFS:
                counts.dropped += count - next
                return
            case _ where segments[0] > 1:
                // The path refuses segmented writes: the next plan sends this run plain.
                counts.gsoRefused += 1
                refuseGSO(to: PathKey(names[next]))
            default:
                // The first datagram left failed alone (sendmmsg reports an error only when none went).
                counts.refused += 1
                next += 1
            }
        }
    }

    /// Fills `segments` with the messages of the next call, from datagram `first` on; returns how
    /// many. A message is one datagram, or (GSO) a run of up to `maxSegments` to one address where
    /// all but the last have the first one's length and the last is no longer.
    private func plan(from first: Int) -> Int {
        var i = first
        var messages = 0
        while i < count, messages < Int(RTD_MMSG_MAX) {
            var n = 1
            if gso {
                let size = lengths[i]
                var total = size
                while i + n < count, n < Self.maxSegments, lengths[i + n - 1] == size, lengths[i + n] <= size,
                      total + lengths[i + n] <= Self.maxGSOBytes, sameAddress(i, i + n) {
                    total += lengths[i + n]
                    n += 1
                }
                if n > 1, !refusingPaths.isEmpty, refusingPaths.contains(PathKey(names[i])) { n = 1 }
            }
            segments[messages] = UInt16(n)
            messages += 1
            i += n
        }
        return messages
    }

    private func sameAddress(_ a: Int, _ b: Int) -> Bool {
        nameLengths[a] == nameLengths[b] && memcmp(names + a, names + b, Int(nameLengths[a])) == 0
    }

    private func refuseGSO(to path: PathKey) {
        guard refusingPaths.count < Self.maxRefusingPaths else {
            // Many paths refuse it: the socket's route (a tunnel, IPsec) is the reason, not a few viewers'.
            gso = false
            return
        }
        refusingPaths.insert(path)
    }

    private func probeGSO() {
        gso = gsoAllowed && descriptor >= 0 && rtd_udp_gso_supported(descriptor) != 0
        refusingPaths.removeAll()
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

/// An IPv4 or IPv6 socket address as a set key: the first 32 bytes of its storage (sockaddr_in6
/// is 28), which `RawSocketAddress` leaves zero beyond the address.
private struct PathKey: Hashable {
    let words: (UInt64, UInt64, UInt64, UInt64)

    init(_ storage: sockaddr_storage) {
        words = withUnsafeBytes(of: storage) { bytes in
            (bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self), bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
             bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self), bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        }
    }

    static func == (a: PathKey, b: PathKey) -> Bool { a.words == b.words }

    func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
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
