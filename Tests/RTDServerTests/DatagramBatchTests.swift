#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import Testing
@testable import RTDServer

/// `DatagramBatch` through real loopback sockets. The receivers have no UDP_GRO, so the kernel
/// cuts every GSO write into its datagrams on delivery: what arrives is what a viewer gets.
@Suite struct DatagramBatchTests {
    /// A plain UDP socket on 127.0.0.1 (no GRO), closed with the value.
    final class Receiver {
        let fd: CInt
        let address: SocketAddress

        init() throws {
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var size: CInt = 1 << 20
            _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<CInt>.size))
            let any = try SocketAddress(ipAddress: "127.0.0.1", port: 0)
            let bound = any.withSockAddr { bind(fd, $0, socklen_t($1)) }
            var storage = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
            self.fd = fd
            address = try SocketAddress(ipAddress: "127.0.0.1", port: Int(UInt16(bigEndian: storage.sin_port)))
            #expect(bound == 0)
        }

        deinit { close(fd) }

        /// The next `count` datagrams, each waited for up to 2 s (nil: one did not come).
        func receive(_ count: Int) -> [[UInt8]]? {
            var out: [[UInt8]] = []
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while out.count < count {
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&poller, 1, 2000) == 1 else { return nil }
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                guard n >= 0 else { return nil }
                out.append(Array(buffer[..<n]))
            }
            return out
        }

        /// Nothing more is queued.
        var isDrained: Bool {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            return poll(&poller, 1, 0) == 0
        }
    }

    /// A datagram of `length` bytes that tells its number and length in every byte's pattern.
    static func datagram(_ index: Int, length: Int) -> [UInt8] {
        (0..<length).map { UInt8(truncatingIfNeeded: index &* 31 &+ $0 &+ length) }
    }

    static func sender() throws -> DatagramBatch {
        let batch = DatagramBatch()
        batch.descriptor = try SharedUDPSocket.open(host: "127.0.0.1", port: 0, bufferBytes: 1 << 20)
        return batch
    }

    /// Writes `plan` (receiver, length) in order and flushes; returns what each receiver should get.
    static func send(_ plan: [(Receiver, Int)], through batch: DatagramBatch, first: Int = 0) -> [ObjectIdentifier: [[UInt8]]] {
        var expected: [ObjectIdentifier: [[UInt8]]] = [:]
        for (i, (receiver, length)) in plan.enumerated() {
            let bytes = datagram(first + i, length: length)
            batch.write(bytes, to: RawSocketAddress(receiver.address))
            expected[ObjectIdentifier(receiver), default: []].append(bytes)
        }
        batch.flush()
        return expected
    }

    static func expectArrived(_ expected: [ObjectIdentifier: [[UInt8]]], at receivers: [Receiver]) {
        for receiver in receivers {
            let wanted = expected[ObjectIdentifier(receiver)] ?? []
            let got = receiver.receive(wanted.count)
            #expect(got?.map(\.count) == wanted.map(\.count))
            #expect(got == wanted)
            #expect(receiver.isDrained)
        }
    }

    @Test func aRunOfEqualDatagramsGoesAsOneWriteAndArrivesAsTheSameDatagrams() throws {
        let batch = try Self.sender()
        defer { close(batch.descriptor) }
        #expect(batch.gso, "this kernel has no UDP_SEGMENT")
        let viewer = try Receiver()
        let expected = Self.send(Array(repeating: (viewer, 1200), count: 10) + [(viewer, 301)], through: batch)
        #expect(batch.counts.gsoWrites == 1)
        #expect(batch.counts.sent == 11 && batch.counts.refused == 0 && batch.counts.dropped == 0)
        Self.expectArrived(expected, at: [viewer])
    }

    @Test func runsEndAtAnotherAddressALongerDatagramOrTheSegmentAndByteLimits() throws {
        let batch = try Self.sender()
        defer { close(batch.descriptor) }
        let a = try Receiver()
        let b = try Receiver()
        // Runs: a×2 | b×2 | a (1000, then a longer one) | a×2 | b×3 | b 1300 (longer than the run's).
        let mixed: [(Receiver, Int)] = [(a, 1200), (a, 1200), (b, 1200), (b, 800), (a, 1000), (a, 1200), (a, 500),
                                        (b, 1200), (b, 1200), (b, 1200), (b, 1300)]
        Self.expectArrived(Self.send(mixed, through: batch), at: [a, b])
        #expect(batch.counts.gsoWrites == 4 && batch.counts.sent == mixed.count)
        // 70 of 1000 bytes: 64 (Linux's most segments) + 6.
        Self.expectArrived(Self.send(Array(repeating: (a, 1000), count: 70), through: batch, first: 100), at: [a])
        #expect(batch.counts.gsoWrites == 6)
        // 50 of 1400 bytes: 46 (64 400 bytes, under 65 000) + 4.
        Self.expectArrived(Self.send(Array(repeating: (b, 1400), count: 50), through: batch, first: 200), at: [b])
        #expect(batch.counts.gsoWrites == 8 && batch.counts.sent == mixed.count + 120)
    }

    @Test func withoutGSOEveryDatagramIsItsOwnWrite() throws {
        let batch = try Self.sender()
        defer { close(batch.descriptor) }
        batch.gsoAllowed = false
        #expect(!batch.gso)
        let viewer = try Receiver()
        Self.expectArrived(Self.send(Array(repeating: (viewer, 1200), count: 5) + [(viewer, 99)], through: batch), at: [viewer])
        #expect(batch.counts.gsoWrites == 0 && batch.counts.sent == 6)
    }

    /// SO_NO_CHECK makes Linux refuse segmented writes (EINVAL), as a path without checksum
    /// offload does (EIO): each refused run goes again as plain datagrams, in order, and its
    /// address is not tried with GSO again; datagrams before and after it are not lost.
    @Test func aRefusedRunIsSentPlainAndItsAddressGetsNoGSOAgain() throws {
        let batch = try Self.sender()
        defer { close(batch.descriptor) }
        var on: CInt = 1
        #expect(setsockopt(batch.descriptor, SOL_SOCKET, SO_NO_CHECK, &on, socklen_t(MemoryLayout<CInt>.size)) == 0)
        let a = try Receiver()
        let b = try Receiver()
        let first: [(Receiver, Int)] = [(b, 90), (a, 1200), (a, 1200), (a, 700), (b, 1100), (b, 1100), (a, 60)]
        Self.expectArrived(Self.send(first, through: batch), at: [a, b])
        #expect(batch.counts.gsoRefused == 2 && batch.counts.gsoWrites == 0)
        #expect(batch.counts.sent == first.count && batch.counts.refused == 0)
        Self.expectArrived(Self.send(first, through: batch, first: 50), at: [a, b])
        #expect(batch.counts.gsoRefused == 2 && batch.counts.sent == 2 * first.count)
    }
}
