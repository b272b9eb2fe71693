import Synchronization
import Testing
@testable import RTDWebRTC

@Suite("Data channels over an in-memory SCTP pipe")
struct DataChannelTests {
    @Test func channelsOpenFromBothSidesWithDCEPAck() async throws {
        let pair = try LinkedPair()
        defer { pair.close() }
        #expect(await pair.start())

        let fromClient = try pair.client.openChannel(label: "detections", options: DataChannelOptions(protocolName: "rtd-v1"))
        let fromServer = try pair.server.openChannel(label: "control")
        #expect(fromClient.streamID % 2 == 0)
        #expect(fromServer.streamID % 2 == 1)

        #expect(await pair.serverLog.wait { $0.opened.contains { $0.label == "detections" && $0.openedByPeer } })
        #expect(await pair.clientLog.wait { $0.opened.contains { $0.label == "control" && $0.openedByPeer } })
        let remote = try #require(pair.serverLog.opened.first { $0.label == "detections" })
        #expect(remote.streamID == fromClient.streamID)
        #expect(remote.options.protocolName == "rtd-v1")
        #expect(remote.options.ordered && remote.options.reliability == .reliable)

        // The DATA_CHANNEL_ACK reaches each opener.
        let acked = await pair.clientLog.wait { _ in fromClient.status.withLock { $0.acknowledged } }
        #expect(acked)
        #expect(await pair.serverLog.wait { _ in fromServer.status.withLock { $0.acknowledged } })
        #expect(fromClient.state == .open && fromServer.state == .open)

        try fromClient.send("hello server")
        try fromServer.send([1, 2, 3])
        #expect(await pair.serverLog.wait { $0.messages(onStream: fromClient.streamID) == [.text("hello server")] })
        #expect(await pair.clientLog.wait { $0.messages(onStream: fromServer.streamID) == [.binary([1, 2, 3])] })
        #expect(pair.clientLog.protocolErrors.isEmpty && pair.serverLog.protocolErrors.isEmpty)
    }

    @Test func channelOpenedBeforeAssociationIsUpOpensOnceEstablished() async throws {
        let pair = try LinkedPair()
        defer { pair.close() }
        let early = try pair.client.openChannel(label: "early")
        #expect(early.state == .connecting)
        #expect(throws: DataChannelError.notOpen) { try early.send("too soon") }
        #expect(await pair.start())
        #expect(await pair.clientLog.wait { $0.opened.contains { $0 === early } })
        try early.send("now")
        #expect(await pair.serverLog.wait { $0.messages == [.text("now")] })
    }

    @Test func thousandOrderedMessagesArriveInOrderBothWays() async throws {
        let pair = try LinkedPair()
        defer { pair.close() }
        #expect(await pair.start())
        let a = try pair.client.openChannel(label: "a")
        #expect(await pair.serverLog.wait { $0.opened.count == 1 })
        let b = try #require(pair.serverLog.opened.first)
        for i in 0 ..< 1000 {
            try a.send("c\(i)")
            try b.send(Array("s\(i)".utf8))
        }
        let expectedAtServer = (0 ..< 1000).map { DataChannelMessage.text("c\($0)") }
        let expectedAtClient = (0 ..< 1000).map { DataChannelMessage.binary(Array("s\($0)".utf8)) }
        #expect(await pair.serverLog.wait { $0.messages.count >= 1000 })
        #expect(await pair.clientLog.wait { $0.messages.count >= 1000 })
        #expect(pair.serverLog.messages == expectedAtServer)
        #expect(pair.clientLog.messages == expectedAtClient)
        #expect(await pair.clientLog.wait { _ in a.bufferedAmount == 0 })
    }

    @Test func largeBinaryMessagesArriveIntact() async throws {
        var configuration = SCTPAssociation.Configuration(remoteMaxMessageSize: 262_144)
        configuration.localMaxMessageSize = 262_144
        let pair = try LinkedPair(configuration: configuration)
        defer { pair.close() }
        #expect(await pair.start())
        let channel = try pair.client.openChannel(label: "bulk")
        #expect(await pair.serverLog.wait { $0.opened.count == 1 })
        let peer = try #require(pair.serverLog.opened.first)

        let big = (0 ..< 65_536).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        let bigger = (0 ..< 200_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try channel.send(big)
        try channel.send(bigger)
        try peer.send(big)
        #expect(await pair.serverLog.wait { $0.messages.count == 2 })
        #expect(pair.serverLog.messages == [.binary(big), .binary(bigger)])
        #expect(await pair.clientLog.wait { $0.messages == [.binary(big)] })
    }

    @Test func messagesLargerThanRemoteLimitAreRefused() async throws {
        let pair = try LinkedPair(configuration: SCTPAssociation.Configuration(remoteMaxMessageSize: 65_536))
        defer { pair.close() }
        #expect(await pair.start())
        let channel = try pair.client.openChannel(label: "x")
        #expect(await pair.clientLog.wait { $0.opened.count == 1 })
        #expect(throws: DataChannelError.messageTooLarge(size: 65_537, limit: 65_536)) {
            try channel.send([UInt8](repeating: 0, count: 65_537))
        }
        try channel.send([UInt8](repeating: 9, count: 65_536))
        #expect(await pair.serverLog.wait { $0.messages == [.binary([UInt8](repeating: 9, count: 65_536))] })
    }

    @Test(arguments: [
        DataChannelOptions(ordered: false, reliability: .maxRetransmits(0)),
        DataChannelOptions(ordered: false, reliability: .reliable),
        DataChannelOptions(ordered: true, reliability: .maxRetransmits(3)),
        DataChannelOptions(ordered: false, reliability: .maxPacketLifetime(milliseconds: 500)),
        DataChannelOptions(ordered: true, reliability: .maxPacketLifetime(milliseconds: 500)),
    ])
    func partiallyReliableAndUnorderedChannelsDeliver(options: DataChannelOptions) async throws {
        let pair = try LinkedPair()
        defer { pair.close() }
        #expect(await pair.start())
        let channel = try pair.server.openChannel(label: "pr", options: options)
        #expect(await pair.clientLog.wait { $0.opened.count == 1 })
        let remote = try #require(pair.clientLog.opened.first)
        #expect(remote.options.ordered == options.ordered)
        #expect(remote.options.reliability == options.reliability)
        #expect(await pair.serverLog.wait { _ in channel.status.withLock { $0.acknowledged } })
        for i in 0 ..< 50 { try channel.send("m\(i)") }
        // On a loss-free pipe every message arrives, though unordered ones may be reordered.
        #expect(await pair.clientLog.wait { $0.messages.count == 50 })
        let got = Set(pair.clientLog.messages.map { if case .text(let t) = $0 { t } else { "" } })
        #expect(got == Set((0 ..< 50).map { "m\($0)" }))
    }

    @Test func stringBinaryAndEmptyPayloadsKeepTheirKind() async throws {
        let pair = try LinkedPair()
        defer { pair.close() }
        #expect(await pair.start())
        let channel = try pair.client.openChannel(label: "kinds")
        #expect(await pair.clientLog.wait { $0.opened.count == 1 })
        try channel.send("text ✓")
        try channel.send(Array("text ✓".utf8))
        try channel.send("")
        try channel.send([UInt8]())
        try channel.send(.text("last"))
        #expect(await pair.serverLog.wait { $0.messages.count == 5 })
        #expect(pair.serverLog.messages == [
            .text("text ✓"), .binary(Array("text ✓".utf8)), .text(""), .binary([]), .text("last"),
        ])
    }

    @Test func closeResetsStreamAndNotifiesPeerThenStreamIsReusable() async throws {
        let pair = try LinkedPair()
        defer { pair.close() }
        #expect(await pair.start())
        let channel = try pair.client.openChannel(label: "short-lived")
        #expect(await pair.serverLog.wait { $0.opened.count == 1 })
        let sid = channel.streamID
        #expect(await eventually { channel.state == .open })
        try channel.send("before close")
        channel.close()
        #expect(channel.state == .closing)
        #expect(throws: DataChannelError.notOpen) { try channel.send("after close") }
        #expect(await pair.serverLog.wait { $0.closedStreams == [sid] })
        #expect(await pair.clientLog.wait { $0.closedStreams == [sid] })
        #expect(pair.serverLog.messages == [.text("before close")])
        // State and the channel tables settle on the association's queue, just after the events.
        #expect(await eventually { channel.state == .closed })
        #expect(await eventually { pair.client.channels.isEmpty && pair.server.channels.isEmpty })

        // The peer can close too, and the freed stream id is reused for a new channel.
        let again = try pair.client.openChannel(label: "second")
        #expect(again.streamID == sid)
        #expect(await pair.serverLog.wait { $0.opened.count == 2 })
        let peerSide = try #require(pair.serverLog.opened.last)
        #expect(await eventually { again.state == .open })
        try again.send("second life")
        #expect(await pair.serverLog.wait { $0.messages(onStream: sid).last == .text("second life") })
        peerSide.close()
        #expect(await pair.clientLog.wait { $0.closedStreams == [sid, sid] })
        #expect(await pair.serverLog.wait { $0.closedStreams == [sid, sid] })
    }

    @Test func negotiatedChannelsNeedNoDCEP() async throws {
        let pair = try LinkedPair()
        defer { pair.close() }
        #expect(await pair.start())
        let a = try pair.client.openChannel(label: "neg", negotiatedID: 42)
        let b = try pair.server.openChannel(label: "neg", negotiatedID: 42)
        #expect(await pair.clientLog.wait { _ in a.state == .open })
        #expect(await pair.serverLog.wait { _ in b.state == .open })
        try a.send("via negotiated")
        #expect(await pair.serverLog.wait { $0.messages == [.text("via negotiated")] })
        #expect(throws: DataChannelError.streamInUse(42)) { try pair.client.openChannel(label: "dup", negotiatedID: 42) }
    }

    @Test func theOutgoingQueueIsBoundedAndCountsWhatItRefuses() throws {
        var configuration = SCTPAssociation.Configuration()
        configuration.maxQueuedBytes = 100_000
        let pair = try LinkedPair(configuration: configuration)
        defer { pair.close() }
        // Not started: nothing drains, so every message accepted waits in the queue.
        let association = pair.client.association
        func send(_ count: Int) throws(SCTPAssociationError) {
            try association.send(streamID: 1, ppid: DataChannelPPID.binary, unordered: false, reliability: .reliable,
                                 data: [UInt8](repeating: 1, count: count))
        }
        try send(40_000)
        try send(40_000)
        #expect(throws: SCTPAssociationError.queueFull(queued: 80_000, limit: 100_000)) { try send(40_000) }
        try send(20_000)
        #expect(throws: SCTPAssociationError.queueFull(queued: 100_000, limit: 100_000)) { try send(1) }
        #expect(association.droppedMessages == 2)
        #expect(association.bufferedAmount(streamID: 1) == 100_000)
        // An empty queue takes one message of any allowed size, even above the limit.
        configuration.maxQueuedBytes = 30_000
        let small = try LinkedPair(configuration: configuration)
        defer { small.close() }
        let other = small.client.association
        try other.send(streamID: 1, ppid: DataChannelPPID.binary, unordered: false, reliability: .reliable,
                       data: [UInt8](repeating: 2, count: 60_000))
        #expect(other.droppedMessages == 0)
        #expect(throws: SCTPAssociationError.queueFull(queued: 60_000, limit: 30_000)) {
            try other.send(streamID: 1, ppid: DataChannelPPID.binary, unordered: false, reliability: .reliable, data: [1])
        }
    }

    @Test func bufferedAmountCountsBytesNotYetAcceptedByUsrsctp() async throws {
        let pair = try LinkedPair()
        defer { pair.close() }
        let channel = try pair.client.openChannel(label: "buffered", negotiatedID: 2)
        _ = try pair.server.openChannel(label: "buffered", negotiatedID: 2)
        // Before the association is up nothing can reach usrsctp; after it, everything drains.
        #expect(await pair.start())
        #expect(await pair.clientLog.wait { _ in channel.state == .open })
        let blob = [UInt8](repeating: 1, count: 60_000)
        for _ in 0 ..< 20 { try channel.send(blob) }
        // 1.2 MB exceeds the 256 KiB usrsctp send buffer, so some must be waiting with us.
        let peak = channel.bufferedAmount
        #expect(peak > 0 && peak <= 20 * 60_000)
        #expect(await pair.clientLog.wait { _ in channel.bufferedAmount == 0 })
        #expect(await pair.serverLog.wait { $0.messages.count == 20 })
        #expect(pair.serverLog.messages.allSatisfy { $0 == .binary(blob) })
    }

    @Test func associationCloseClosesChannelsOnBothSides() async throws {
        let pair = try LinkedPair()
        #expect(await pair.start())
        let channel = try pair.client.openChannel(label: "doomed")
        #expect(await pair.serverLog.wait { $0.opened.count == 1 })
        pair.client.close()
        #expect(await pair.clientLog.wait { $0.all.contains { if case .associationClosed(.local) = $0 { true } else { false } } })
        #expect(await pair.serverLog.wait { $0.all.contains { if case .associationClosed(.lost) = $0 { true } else { false } } })
        #expect(pair.clientLog.closedStreams == [channel.streamID])
        #expect(pair.serverLog.closedStreams == [channel.streamID])
        #expect(throws: DataChannelError.notOpen) { try channel.send("x") }
        #expect(throws: DataChannelError.transportClosed) { try pair.client.openChannel(label: "late") }
        pair.server.close()
    }

    /// What a browser does when its page closes: it resets the channel's stream and aborts the
    /// association at once, while the server still has messages for it queued and in flight.
    /// The server's sends and its answering reset then fail, as they must; that is the end of the
    /// session, not a protocol error.
    @Test func aPeerClosingWhileMessagesAreInFlightIsNoProtocolError() async throws {
        let pair = try LinkedPair()
        #expect(await pair.start())
        let channel = try pair.client.openChannel(label: "viewer")
        #expect(await pair.serverLog.wait { $0.opened.count == 1 })
        let serverSide = try #require(pair.serverLog.opened.first)
        #expect(await eventually { serverSide.state == .open })
        // More than usrsctp's send buffer, so some of it is unsent and some unacknowledged.
        let record = [UInt8](repeating: 7, count: 1000)
        for _ in 0..<400 { try serverSide.send(record) }
        #expect(await pair.clientLog.wait { $0.messages.count >= 10 })
        channel.close()
        pair.client.close()
        #expect(await pair.serverLog.wait { $0.all.contains { if case .associationClosed = $0 { true } else { false } } })
        // Everything the server's association had queued before this marker has been reported.
        let drained = Mutex(false)
        pair.server.association.enqueue { drained.withLock { $0 = true } }
        #expect(await eventually { drained.withLock { $0 } })
        #expect(pair.serverLog.closedStreams == [serverSide.streamID])
        #expect(pair.serverLog.protocolErrors.isEmpty, "\(pair.serverLog.protocolErrors)")
        pair.server.close()
    }

    @Test(arguments: [1188, 1000, 600])
    func noPacketExceedsTheConfiguredMTU(mtu: Int) async throws {
        let largest = Mutex(0)
        let pair = try LinkedPair(configuration: SCTPAssociation.Configuration(mtu: mtu)) { packet in
            largest.withLock { $0 = max($0, packet.count) }
            return packet
        }
        defer { pair.close() }
        #expect(await pair.start())
        let channel = try pair.client.openChannel(label: "mtu")
        #expect(await pair.clientLog.wait { _ in channel.state == .open })
        try channel.send([UInt8](repeating: 1, count: 60_000))
        #expect(await pair.serverLog.wait { $0.messages.count == 1 })
        // Full-sized DATA packets must reach the limit exactly, never pass it.
        #expect(largest.withLock { $0 } == mtu)
    }
}


/// Polls `condition` for up to 10 s: for state that settles on another queue.
func eventually(_ condition: () -> Bool) async -> Bool {
    for _ in 0..<2000 {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}
