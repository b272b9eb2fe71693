import Synchronization
import Testing
@testable import RTDWebRTC

/// Deterministic generator so a failure can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// CRC32c as SCTP uses it (RFC 4960 appendix B), so fuzz packets get past the checksum.
func crc32c(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0 ..< 8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
    }
    return ~crc
}

func withChecksum(_ packet: [UInt8]) -> [UInt8] {
    var p = packet
    p[8 ..< 12] = [0, 0, 0, 0]
    let crc = crc32c(p)
    // The checksum goes on the wire little-endian (it is reflected).
    p[8] = UInt8(truncatingIfNeeded: crc)
    p[9] = UInt8(truncatingIfNeeded: crc >> 8)
    p[10] = UInt8(truncatingIfNeeded: crc >> 16)
    p[11] = UInt8(truncatingIfNeeded: crc >> 24)
    return p
}

@Suite("Hostile input")
struct HostileInputTests {
    @Test func randomDatagramsDoNotBreakTheAssociation() async throws {
        let pair = try LinkedPair()
        defer { pair.close() }
        #expect(await pair.start())
        let channel = try pair.client.openChannel(label: "survivor")
        #expect(await pair.serverLog.wait { $0.opened.count == 1 })

        var rng = SplitMix64(state: 0x5C7B)
        for i in 0 ..< 3000 {
            let length = Int.random(in: 0 ... 1400, using: &rng)
            var packet = (0 ..< length).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }
            if i % 2 == 0 && length >= 16 {
                // Plausible SCTP: our ports and a valid checksum, so usrsctp parses the chunks.
                packet[0 ..< 4] = [0x13, 0x88, 0x13, 0x88]
                if i % 4 == 0 { packet[4 ..< 8] = [0, 0, 0, 0] }
                packet = withChecksum(packet)
            }
            pair.server.receive(packet)
            pair.client.receive(packet)
        }
        try channel.send("still alive")
        #expect(await pair.serverLog.wait { $0.messages == [.text("still alive")] })
        let back = try #require(pair.serverLog.opened.first)
        try back.send("and back")
        #expect(await pair.clientLog.wait { $0.messages == [.text("and back")] })
        #expect(channel.state == .open)
    }

    @Test func malformedDCEPIsDroppedWithAnErrorEvent() async throws {
        let pair = try LinkedPair()
        defer { pair.close() }
        #expect(await pair.start())
        let raw = pair.client.association
        func dcep(_ sid: UInt16, _ bytes: [UInt8]) throws {
            try raw.send(streamID: sid, ppid: DataChannelPPID.dcep, unordered: false, reliability: .reliable, data: bytes)
        }
        try dcep(10, [0x03])                                                    // truncated OPEN
        try dcep(12, [0x03, 0x00, 0, 0, 0, 0, 0, 0, 0x00, 0x20, 0, 0, 0x41])    // label length past the end
        try dcep(14, [0x07])                                                    // unknown message type
        try dcep(16, [0x03, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])               // unknown channel type
        try dcep(18, [0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0xC3, 0x28])   // invalid UTF-8 label
        try dcep(20, [0x02])                                                    // ACK for no channel
        try raw.send(streamID: 22, ppid: DataChannelPPID.string, unordered: false, reliability: .reliable, data: Array("orphan".utf8))
        let good = try pair.client.openChannel(label: "good")
        #expect(await pair.serverLog.wait { $0.opened.count == 1 })
        try raw.send(streamID: good.streamID, ppid: 52, unordered: false, reliability: .reliable, data: [1]) // deprecated PPID
        try dcep(good.streamID, [0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])   // second OPEN on a live stream

        let expected: [DataChannelProtocolError] = [
            .truncated(1), .truncated(13), .unknownMessageType(0x07), .unknownChannelType(0x05), .invalidUTF8,
            .unknownStream(20), .unknownStream(22), .unexpectedPPID(52, streamID: good.streamID), .streamInUse(good.streamID),
        ]
        #expect(await pair.serverLog.wait { $0.protocolErrors.count >= expected.count })
        #expect(Set(pair.serverLog.protocolErrors.map { "\($0)" }) == Set(expected.map { "\($0)" }))
        #expect(pair.server.channels.map(\.label) == ["good"])

        try good.send("fine")
        #expect(await pair.serverLog.wait { $0.messages == [.text("fine")] })
    }

    @Test func oversizedIncomingMessageIsDroppedNotDelivered() async throws {
        var small = SCTPAssociation.Configuration(remoteMaxMessageSize: 1 << 20)
        small.localMaxMessageSize = 10_000
        let pair = try LinkedPair(configuration: small)
        defer { pair.close() }
        #expect(await pair.start())
        let channel = try pair.client.openChannel(label: "big")
        #expect(await pair.serverLog.wait { $0.opened.count == 1 })
        try channel.send([UInt8](repeating: 7, count: 100_000))
        try channel.send([UInt8](repeating: 8, count: 100))
        #expect(await pair.serverLog.wait { $0.messages == [.binary([UInt8](repeating: 8, count: 100))] })
        #expect(pair.serverLog.protocolErrors == [.oversizedMessage(streamID: channel.streamID, size: 100_000)])
    }

    @Test func lossyPipeStillDeliversReliableDataInOrder() async throws {
        let counter = Mutex<UInt64>(0)
        // Drop every 7th packet in each direction (after the handshake had a chance to complete).
        let pair = try LinkedPair { packet in
            let n = counter.withLock { $0 += 1; return $0 }
            return n > 20 && n % 7 == 0 ? nil : packet
        }
        defer { pair.close() }
        #expect(await pair.start())
        let channel = try pair.client.openChannel(label: "lossy")
        #expect(await pair.serverLog.wait { $0.opened.count == 1 })
        let lossyPR = try pair.client.openChannel(label: "pr", options: DataChannelOptions(ordered: false, reliability: .maxRetransmits(0)))
        #expect(await pair.serverLog.wait { $0.opened.count == 2 })
        for i in 0 ..< 300 {
            try channel.send("r\(i)")
            try lossyPR.send("p\(i)")
        }
        #expect(await pair.serverLog.wait(timeout: .seconds(30)) { $0.messages(onStream: channel.streamID).count == 300 })
        #expect(pair.serverLog.messages(onStream: channel.streamID) == (0 ..< 300).map { .text("r\($0)") })
        // Unreliable messages may be lost but never duplicated or invented.
        let pr = pair.serverLog.messages(onStream: lossyPR.streamID)
        #expect(pr.count <= 300 && Set(pr.map { "\($0)" }).count == pr.count)
    }
}

@Suite("DCEP codec")
struct DCEPCodecTests {
    @Test(arguments: [
        DataChannelOptions(),
        DataChannelOptions(ordered: false, reliability: .maxRetransmits(0), priority: 512, protocolName: "p"),
        DataChannelOptions(ordered: true, reliability: .maxPacketLifetime(milliseconds: 1500), protocolName: "ü"),
    ])
    func openRoundTrips(options: DataChannelOptions) throws {
        let message = DCEPMessage.open(label: "label ✓", options: options)
        #expect(try DCEPMessage.parse(message.encoded()) == message)
    }

    @Test func openWireFormatMatchesRFC8832() {
        let bytes = DCEPMessage.open(label: "ab", options: DataChannelOptions(ordered: false, reliability: .maxRetransmits(3),
                                                                               priority: 256, protocolName: "x")).encoded()
        #expect(bytes == [0x03, 0x81, 0x01, 0x00, 0, 0, 0, 3, 0, 2, 0, 1, 0x61, 0x62, 0x78])
        #expect(DCEPMessage.ack.encoded() == [0x02])
    }

    @Test func rejectsEmptyMessage() {
        #expect(throws: DataChannelProtocolError.truncated(0)) { try DCEPMessage.parse([]) }
    }
}
