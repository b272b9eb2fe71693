import Foundation
import Testing

#if canImport(Glibc)
import Glibc
@testable import RTDWebRTC
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: In-process shuttling

/// Delivers datagrams between two transports until none are in flight; returns the application
/// data each side received.
@discardableResult
func shuttleDatagrams(_ a: DTLSTransport, _ b: DTLSTransport, aToB initialAToB: [[UInt8]], bToA initialBToA: [[UInt8]] = [])
    -> (receivedByA: [[UInt8]], receivedByB: [[UInt8]]) {
    var aToB = initialAToB, bToA = initialBToA
    var receivedByA: [[UInt8]] = [], receivedByB: [[UInt8]] = []
    for _ in 0..<100 where !(aToB.isEmpty && bToA.isEmpty) {
        var nextAToB: [[UInt8]] = [], nextBToA: [[UInt8]] = []
        for datagram in aToB {
            let out = b.feed(datagram)
            nextBToA += out.datagrams
            receivedByB += out.applicationData
        }
        for datagram in bToA {
            let out = a.feed(datagram)
            nextAToB += out.datagrams
            receivedByA += out.applicationData
        }
        aToB = nextAToB
        bToA = nextBToA
    }
    return (receivedByA, receivedByB)
}

struct DTLSPeerPair {
    let client: DTLSTransport
    let server: DTLSTransport
    let clientCertificate: DTLSCertificate
    let serverCertificate: DTLSCertificate
}

func makeDTLSPeers(clientProfiles: [SRTPProfile] = [.aeadAES128GCM, .aes128CMHmacSHA1_80],
               serverProfiles: [SRTPProfile] = [.aeadAES128GCM, .aes128CMHmacSHA1_80],
               clientExpects: DTLSFingerprint? = nil, serverExpects: DTLSFingerprint? = nil) throws -> DTLSPeerPair {
    let clientCertificate = try DTLSCertificate.generate(commonName: "client")
    let serverCertificate = try DTLSCertificate.generate(commonName: "server")
    var clientConfig = DTLSTransport.Configuration()
    clientConfig.srtpProfiles = clientProfiles
    var serverConfig = DTLSTransport.Configuration()
    serverConfig.srtpProfiles = serverProfiles
    let client = try DTLSTransport(role: .client, certificate: clientCertificate,
                                   remoteFingerprint: clientExpects ?? serverCertificate.fingerprint,
                                   configuration: clientConfig)
    let server = try DTLSTransport(role: .server, certificate: serverCertificate,
                                   remoteFingerprint: serverExpects ?? clientCertificate.fingerprint,
                                   configuration: serverConfig)
    return DTLSPeerPair(client: client, server: server, clientCertificate: clientCertificate,
                 serverCertificate: serverCertificate)
}

/// Runs a complete in-process handshake.
func handshakeInProcess(_ peers: DTLSPeerPair) {
    _ = peers.server.start()
    shuttleDatagrams(peers.client, peers.server, aToB: peers.client.start())
}

func flippedFingerprint(_ fingerprint: DTLSFingerprint) -> DTLSFingerprint {
    var digest = fingerprint.digest
    digest[digest.count - 1] ^= 0x01
    return DTLSFingerprint(algorithm: fingerprint.algorithm, digest: digest)!
}

/// The exporter output as RFC 5764 lays it out, rebuilt from a transport's mapped keys.
func rfc5764Material(_ keys: SRTPKeyingMaterial, isClient: Bool) -> [UInt8] {
    let client = isClient ? keys.local : keys.remote
    let server = isClient ? keys.remote : keys.local
    return client.key + server.key + client.salt + server.salt
}

func upperHex(_ bytes: [UInt8]) -> String {
    bytes.map { String(format: "%02X", $0) }.joined()
}

func makeTestRTPPacket(ssrc: UInt32, sequence: UInt16, payloadSize: Int) -> [UInt8] {
    var packet: [UInt8] = [0x80, 96, UInt8(sequence >> 8), UInt8(sequence & 0xFF), 0, 0, 0x12, 0x34]
    packet += withUnsafeBytes(of: ssrc.bigEndian, Array.init)
    packet += (0..<payloadSize).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    return packet
}

func makeTestRTCPReport(ssrc: UInt32) -> [UInt8] {
    // RR with no report blocks: V=2, PT=201, length=1 word after the header.
    [0x80, 201, 0x00, 0x01] + withUnsafeBytes(of: ssrc.bigEndian, Array.init)
}

// MARK: UDP on 127.0.0.1

final class LoopbackUDPSocket {
    let fd: Int32
    let port: UInt16

    init() throws {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_DGRAM, 0)
        #endif
        guard fd >= 0 else { throw POSIXError(.EBADF) }
        var address = LoopbackUDPSocket.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        port = UInt16(bigEndian: address.sin_port)
    }

    deinit { close(fd) }

    static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    /// A port that was free a moment ago, for a process that binds it itself.
    static func freePort() throws -> UInt16 { try LoopbackUDPSocket().port }

    func send(_ datagram: [UInt8], to address: sockaddr_in) {
        var address = address
        _ = datagram.withUnsafeBytes { bytes in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }

    func receive(timeout: Duration) -> (datagram: [UInt8], from: sockaddr_in)? {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ms = Int32(max(0, min(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000, 1000)))
        guard poll(&pfd, 1, ms) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var from = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let n = buffer.withUnsafeMutableBytes { bytes in
            withUnsafeMutablePointer(to: &from) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, bytes.baseAddress, bytes.count, 0, $0, &length) }
            }
        }
        guard n >= 0 else { return nil }
        return (Array(buffer[0..<n]), from)
    }
}

/// A minimal event loop for one transport on one socket: receive → feed → send, and run the
/// retransmission timer, until `done` or the deadline.
final class DTLSUDPDriver {
    let transport: DTLSTransport
    let socket: LoopbackUDPSocket
    var peer: sockaddr_in?
    var received: [[UInt8]] = []

    init(transport: DTLSTransport, socket: LoopbackUDPSocket, peer: sockaddr_in?) {
        self.transport = transport
        self.socket = socket
        self.peer = peer
    }

    func send(_ datagrams: [[UInt8]]) {
        guard let peer else { return }
        for datagram in datagrams { socket.send(datagram, to: peer) }
    }

    /// Returns whether `done` became true before `timeout`.
    @discardableResult
    func run(timeout: Duration = .seconds(10), until done: () -> Bool) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while !done() {
            guard clock.now < deadline else { return false }
            let wait = min(transport.nextTimeout ?? .milliseconds(20), .milliseconds(20))
            if let (datagram, from) = socket.receive(timeout: wait) {
                if peer == nil { peer = from }
                let output = transport.feed(datagram)
                received += output.applicationData
                send(output.datagrams)
            } else if let next = transport.nextTimeout, next <= .zero {
                send(transport.handleTimeout())
            }
        }
        return true
    }
}

// MARK: openssl CLI

/// An `openssl` child process with stdout+stderr captured in a file and a writable stdin.
final class OpenSSLCLIProcess {
    let process = Process()
    let stdin = Pipe()
    let outputURL: URL

    init(_ arguments: [String], in directory: URL) throws {
        outputURL = directory.appendingPathComponent("openssl-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        let output = try FileHandle(forWritingTo: outputURL)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardInput = stdin
        process.standardOutput = output
        process.standardError = output
        try process.run()
    }

    deinit {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    var output: String { (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "" }

    func write(_ text: String) { stdin.fileHandleForWriting.write(Data(text.utf8)) }

    func closeStdin() { try? stdin.fileHandleForWriting.close() }

    /// Polls the captured output; returns whether `text` appeared before the timeout.
    func waitForOutput(containing text: String, timeout: Duration = .seconds(10)) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if output.contains(text) { return true }
            usleep(20_000)
        }
        return output.contains(text)
    }

    /// The hex after "Keying material: " that `-keymatexport` prints.
    var keyingMaterial: String? {
        guard let range = output.range(of: "Keying material: ") else { return nil }
        return String(output[range.upperBound...].prefix { $0.isHexDigit })
    }
}

/// Runs a short openssl command to completion; returns its stdout+stderr.
@discardableResult
func runOpenSSLCLI(_ arguments: [String], in directory: URL) throws -> String {
    let child = try OpenSSLCLIProcess(arguments, in: directory)
    child.closeStdin()
    child.process.waitUntilExit()
    return child.output
}

func makeDTLSTestDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("rtd-dtls-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// An ECDSA P-256 self-signed certificate made by the openssl CLI (an implementation other than ours).
func makeOpenSSLCLICertificate(named name: String, in directory: URL) throws -> (cert: String, key: String) {
    let cert = directory.appendingPathComponent("\(name)-cert.pem").path
    let key = directory.appendingPathComponent("\(name)-key.pem").path
    try runOpenSSLCLI(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=\(name)"], in: directory)
    return (cert, key)
}
