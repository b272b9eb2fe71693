import Testing
import RTDTestSupport
@testable import RTDWebRTC

@Suite struct TURNCodecTests {
    let peer = STUNAddress(host: "192.0.2.9", port: 40000)!
    let relay = STUNAddress(host: "198.51.100.1", port: 50000)!

    @Test func methodsEncodeAsRFC8656Says() {
        #expect(STUNMessageType.allocateRequest.rawValue == 0x0003)
        #expect(STUNMessageType(method: TURNMethod.allocate, messageClass: .successResponse).rawValue == 0x0103)
        #expect(STUNMessageType(method: TURNMethod.allocate, messageClass: .errorResponse).rawValue == 0x0113)
        #expect(STUNMessageType.refreshRequest.rawValue == 0x0004)
        #expect(STUNMessageType.createPermissionRequest.rawValue == 0x0008)
        #expect(STUNMessageType.channelBindRequest.rawValue == 0x0009)
        #expect(STUNMessageType.sendIndication.rawValue == 0x0016)
        #expect(STUNMessageType.dataIndication.rawValue == 0x0017)
        #expect(STUNMessageType(rawValue: 0x0109) == STUNMessageType(method: TURNMethod.channelBind, messageClass: .successResponse))
    }

    @Test func attributesRoundTrip() throws {
        var message = STUNMessage(type: STUNMessageType(method: TURNMethod.allocate, messageClass: .successResponse))
        message.attributes = [.other(type: TURNAttributeType.xorRelayedAddress,
                                     value: STUNAttribute.encodeAddress(relay, xorWith: message.transactionID)),
                              .xorPeerAddress(peer, transactionID: message.transactionID),
                              .lifetime(600), .channelNumber(0x4001), .data([1, 2, 3, 4, 5]), .realm("rtd"), .nonce("n0nce"),
                              .requestedTransport()]
        let parsed = try STUNMessage.parse(message.serialized())
        #expect(parsed.xorRelayedAddress == relay)
        #expect(parsed.xorPeerAddress == peer)
        #expect(parsed.lifetime == 600)
        #expect(parsed.channelNumber == 0x4001)
        #expect(parsed.data == [1, 2, 3, 4, 5])
        #expect(parsed.realm == "rtd" && parsed.nonce == "n0nce")
        // XOR-PEER-ADDRESS is masked with the cookie: the plain address is not on the wire.
        let bytes = message.serialized()
        #expect(!bytes.indices.dropLast(3).contains { Array(bytes[$0..<($0 + 4)]) == peer.ip })
    }

    @Test func malformedTURNAttributesReadAsAbsent() throws {
        let message = STUNMessage(type: .allocateRequest, attributes: [
            .other(type: TURNAttributeType.lifetime, value: [0, 0, 2]),
            .other(type: TURNAttributeType.channelNumber, value: [0x40]),
            .other(type: TURNAttributeType.xorPeerAddress, value: [0, 3, 0, 0, 1, 2, 3, 4]),
            .other(type: TURNAttributeType.xorRelayedAddress, value: [0, 1, 0]),
            .other(type: TURNAttributeType.realm, value: [0xFF, 0xFE]),
            .other(type: TURNAttributeType.nonce, value: [UInt8](repeating: 0x61, count: 800)),
        ])
        let parsed = try STUNMessage.parse(message.serialized())
        #expect(parsed.lifetime == nil && parsed.channelNumber == nil)
        #expect(parsed.xorPeerAddress == nil && parsed.xorRelayedAddress == nil)
        #expect(parsed.realm == nil && parsed.nonce == nil)
    }

    @Test func longTermKeyIsMD5OfUserRealmPassword() {
        // python3 -c "import hashlib; print(hashlib.md5(b'user:realm:pass').hexdigest())"
        #expect(TURNCredentials.key(username: "user", realm: "realm", password: "pass") == hexBytes("8493fbc53ba582fb4c044c456bdc40eb"))
    }

    @Test func longTermIntegrityVerifies() throws {
        let key = TURNCredentials.key(username: "u", realm: "r", password: "p")
        let bytes = STUNMessage(type: .allocateRequest, attributes: [.requestedTransport(), .username("u"), .realm("r"), .nonce("n")])
            .serialized(integrityKey: key)
        #expect(STUNMessage.checkIntegrity(bytes, key: key) == .valid)
        #expect(STUNMessage.checkIntegrity(bytes, key: TURNCredentials.key(username: "u", realm: "r", password: "q")) == .mismatch)
    }

    @Test func channelData() {
        let padded = TURNChannelData.encode(channel: 0x4000, payload: [1, 2, 3, 4, 5], padded: true)
        #expect(padded == [0x40, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5, 0, 0, 0])
        #expect(TURNChannelData.parse(padded)?.channel == 0x4000)
        #expect(TURNChannelData.parse(padded)?.payload == [1, 2, 3, 4, 5])
        let bare = TURNChannelData.encode(channel: 0x4FFF, payload: [9], padded: false)
        #expect(bare == [0x4F, 0xFF, 0x00, 0x01, 9])
        #expect(TURNChannelData.parse(bare)?.payload == [9])
        // Outside the channel range, shorter than its length, or more than padding after it.
        #expect(TURNChannelData.parse([0x3F, 0xFF, 0, 0]) == nil)
        #expect(TURNChannelData.parse([0x50, 0x00, 0, 0]) == nil)
        #expect(TURNChannelData.parse([0x40, 0x00, 0, 4, 1, 2, 3]) == nil)
        #expect(TURNChannelData.parse([0x40, 0x00, 0, 0, 0, 0, 0, 0]) == nil)
        #expect(TURNChannelData.parse([0x40, 0x00]) == nil)
    }

    @Test func streamFramerSplitsSTUNAndChannelDataHoweverTheStreamIsCut() throws {
        let stun = STUNMessage(type: .refreshRequest, attributes: [.lifetime(0)]).serialized()
        let channel = TURNChannelData.encode(channel: 0x4001, payload: [7, 7, 7], padded: true)
        let stream = stun + channel + stun + channel
        for chunk in [1, 3, 7, stream.count] {
            var framer = TURNStreamFramer()
            var messages: [[UInt8]] = []
            var offset = 0
            while offset < stream.count {
                let end = min(stream.count, offset + chunk)
                messages += try framer.append(stream[offset..<end])
                offset = end
            }
            #expect(messages == [stun, channel, stun, channel], "chunks of \(chunk)")
            #expect(framer.pending == 0)
        }
    }

    @Test func streamFramerRefusesWhatIsNeitherSTUNNorChannelData() throws {
        var framer = TURNStreamFramer()
        #expect(throws: PacketParseError.self) { _ = try framer.append([0x80, 0x60, 0x00, 0x01]) }
        var odd = TURNStreamFramer()
        #expect(throws: PacketParseError.self) { _ = try odd.append([0x01, 0x01, 0x00, 0x03]) }
        // A partial message is kept, and only that.
        var partial = TURNStreamFramer()
        #expect(try partial.append([0x40, 0x00, 0xFF, 0xFF, 1, 2]).isEmpty)
        #expect(partial.pending == 6)
    }
}
