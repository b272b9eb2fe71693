import Foundation
import Synchronization
import Testing
@testable import RTDWebRTC

private let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
private let repositoryRoot = testsDirectory.appendingPathComponent("../../../..").standardizedFileURL
// scripts/test makes this venv (with aiortc) before it runs swift test.
private let venvPython = repositoryRoot.appendingPathComponent(".venv/bin/python").path

/// Our DTLSTransport + DataChannelTransport against aiortc (its own DTLS and pure-Python SCTP),
/// with DTLS records framed over the child's stdin/stdout. The DTLS transport is not thread-safe,
/// so everything touching it runs on `loop`, standing in for the owner's NIO event loop.
private final class AiortcHarness: @unchecked Sendable {
    let log = EventLog()
    private let loop = DispatchQueue(label: "interop.loop")
    private let process = Process()
    private let toChild = Pipe()
    private let fromChild = Pipe()
    private let role: DataChannelTransport.Role
    private let certificate: DTLSCertificate
    // Confined to `loop`.
    private var dtls: DTLSTransport?
    private var readBuffer: [UInt8] = []
    private let transportSlot = Mutex<DataChannelTransport?>(nil)
    /// SCTP packets DTLS refused (e.g. larger than a record): must stay zero.
    let writeFailures = Atomic(0)

    var transport: DataChannelTransport? { transportSlot.withLock { $0 } }

    init(role: DataChannelTransport.Role) throws {
        self.role = role
        certificate = try DTLSCertificate.generate()
        // Through sh so the interpreter runs under its venv path (Process resolves the symlink,
        // which would lose the venv's site-packages).
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "exec \"$0\" \"$@\"", venvPython, repositoryRoot.appendingPathComponent("Tests/python/aiortc_sctp_peer.py").path,
                             role == .client ? "server" : "client", certificate.fingerprint.sdpValue]
        process.standardInput = toChild
        process.standardOutput = fromChild
        process.standardError = FileHandle.nullDevice
    }

    func run() throws {
        try process.run()
        // A plain reader thread: Foundation's readabilityHandler misbehaves at EOF on Linux.
        let reader = fromChild.fileHandleForReading
        Thread.detachNewThread { [self] in
            while true {
                let chunk = [UInt8](reader.availableData)
                if chunk.isEmpty { return }
                loop.async { self.consume(chunk) }
            }
        }
        tick()
    }

    func stop() {
        loop.sync {
            transport?.close()
            try? toChild.fileHandleForWriting.close()
        }
        process.terminate()
        process.waitUntilExit()
    }

    private func tick() {
        loop.asyncAfter(deadline: .now() + .milliseconds(20)) { [weak self] in
            guard let self, let dtls = self.dtls else { self?.tick(); return }
            self.send(dtls.handleTimeout())
            if dtls.state == .connecting || dtls.state == .new { self.tick() }
        }
    }

    private func send(_ datagrams: [[UInt8]]) {
        for d in datagrams {
            var frame = withUnsafeBytes(of: UInt32(d.count).bigEndian) { Array($0) }
            frame += d
            try? toChild.fileHandleForWriting.write(contentsOf: frame)
        }
    }

    private func consume(_ chunk: [UInt8]) {
        readBuffer += chunk
        while readBuffer.count >= 4 {
            let n = Int(readBuffer[0]) << 24 | Int(readBuffer[1]) << 16 | Int(readBuffer[2]) << 8 | Int(readBuffer[3])
            guard readBuffer.count >= 4 + n else { break }
            let frame = Array(readBuffer[4 ..< 4 + n])
            readBuffer.removeFirst(4 + n)
            handle(frame)
        }
    }

    private func handle(_ frame: [UInt8]) {
        guard let dtls else {
            // First frame: aiortc's certificate fingerprint.
            guard let fingerprint = DTLSFingerprint(sdpValue: String(decoding: frame, as: UTF8.self)),
                  let created = try? DTLSTransport(role: role == .client ? .client : .server, certificate: certificate,
                                                   remoteFingerprint: fingerprint)
            else { return }
            dtls = created
            send(created.start())
            return
        }
        let wasConnected = dtls.state == .connected
        let output = dtls.feed(frame)
        send(output.datagrams)
        if !wasConnected, dtls.state == .connected { startSCTP(dtls) }
        for record in output.applicationData { transport?.receive(record) }
    }

    private func startSCTP(_ dtls: DTLSTransport) {
        // The SCTP MTU must fit one DTLS record.
        let mtu = min(1188, dtls.maxApplicationDataSize ?? 1188)
        let log = self.log
        let created = try? DataChannelTransport(role: role, configuration: SCTPAssociation.Configuration(mtu: mtu),
                                                  executor: serialExecutor("interop")) { [weak self] event in
            guard case .outgoingPacket(let packet) = event else { log.append(event); return }
            guard let self else { return }
            self.loop.async {
                guard let dtls = self.dtls else { return }
                do { self.send(try dtls.write(packet)) } catch { self.writeFailures.add(1, ordering: .relaxed) }
            }
        }
        transportSlot.withLock { $0 = created }
        created?.start()
    }
}

@Suite("Interop with aiortc", .enabled(if: FileManager.default.isExecutableFile(atPath: venvPython)), .serialized)
struct AiortcInteropTests {
    @Test(arguments: [DataChannelTransport.Role.client, .server])
    func dataChannelsInteroperate(role: DataChannelTransport.Role) async throws {
        let peer = try AiortcHarness(role: role)
        try peer.run()
        defer { peer.stop() }
        let log = peer.log
        #expect(await log.wait(timeout: .seconds(20)) { $0.established })
        let transport = try #require(peer.transport)

        // Reliable ordered: small text, 64 KiB binary (aiortc's max-message-size), 1,000 in order.
        let echo = try transport.openChannel(label: "echo", options: DataChannelOptions(protocolName: "rtd"))
        #expect(echo.streamID % 2 == (role == .client ? 0 : 1))
        #expect(await log.wait { _ in echo.state == .open })
        try echo.send("hi aiortc")
        #expect(await log.wait { $0.messages(onStream: echo.streamID) == [.text("hi aiortc")] })
        #expect(await log.wait { _ in echo.status.withLock { $0.acknowledged } })

        let big = (0 ..< 65_536).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) }
        try echo.send(big)
        #expect(await log.wait(timeout: .seconds(20)) { $0.messages(onStream: echo.streamID).count == 2 })
        #expect(log.messages(onStream: echo.streamID).last == .binary(big))

        for i in 0 ..< 1000 { try echo.send("n\(i)") }
        #expect(await log.wait(timeout: .seconds(30)) { $0.messages(onStream: echo.streamID).count == 1002 })
        #expect(Array(log.messages(onStream: echo.streamID).dropFirst(2)) == (0 ..< 1000).map { .text("n\($0)") })

        // Unordered, no retransmissions (PR-SCTP): still delivered on a loss-free pipe.
        let fast = try transport.openChannel(label: "fast", options: DataChannelOptions(ordered: false, reliability: .maxRetransmits(0)))
        #expect(await log.wait { _ in fast.state == .open })
        for i in 0 ..< 20 { try fast.send([UInt8(i)]) }
        #expect(await log.wait { $0.messages(onStream: fast.streamID).count == 20 })
        #expect(Set(log.messages(onStream: fast.streamID).map { "\($0)" }) == Set((0 ..< 20).map { "\(DataChannelMessage.binary([UInt8($0)]))" }))

        // A channel aiortc opens: DCEP OPEN from the other stack, then text, binary and empty text.
        try echo.send("open-yours")
        #expect(await log.wait { $0.opened.contains { $0.label == "from-aiortc" } })
        let theirs = try #require(log.opened.first { $0.label == "from-aiortc" })
        #expect(theirs.openedByPeer && theirs.options.protocolName == "demo")
        #expect(theirs.streamID % 2 == (role == .client ? 1 : 0))
        #expect(await log.wait { $0.messages(onStream: theirs.streamID).count == 3 })
        #expect(log.messages(onStream: theirs.streamID) == [
            .text("hello from aiortc"), .binary(Array((0 ..< 1024).map { UInt8(truncatingIfNeeded: $0) })), .text(""),
        ])

        // Clean close by stream reset: aiortc resets its side back and we report the channel closed.
        echo.close()
        #expect(await log.wait { $0.closedStreams.contains(echo.streamID) })
        #expect(log.protocolErrors.isEmpty)
        #expect(peer.writeFailures.load(ordering: .relaxed) == 0)
    }
}
