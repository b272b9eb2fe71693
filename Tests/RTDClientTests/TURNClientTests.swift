import XCTest
import RTDTestSupport
@testable import RTDClient
@testable import RTDWebRTC

/// The TURN client's state machine against answers built the way RFC 8656 (and coturn) makes them.
final class TURNClientTests: XCTestCase {
    let relay = STUNAddress(host: "198.51.100.1", port: 50000)!
    let mapped = STUNAddress(host: "203.0.113.7", port: 40000)!
    let peer = STUNAddress(host: "192.0.2.9", port: 8443)!
    let realm = "rtd.test"

    func server(tcp: Bool = false, password: String = "secret") throws -> TURNServer {
        try TURNServer(url: "turn:192.0.2.1:3478\(tcp ? "?transport=tcp" : "")", username: "alice", password: password)
    }

    var key: [UInt8] { TURNCredentials.key(username: "alice", realm: realm, password: "secret") }

    func error(to request: [UInt8], _ code: Int, _ reason: String, nonce: String = "nonce1") throws -> [UInt8] {
        let message = try STUNMessage.parse(request)
        return STUNMessage(type: STUNMessageType(method: message.type.method, messageClass: .errorResponse),
                           transactionID: message.transactionID,
                           attributes: [.errorCode(code: code, reason: reason), .realm(realm), .nonce(nonce)]).serialized()
    }

    func success(to request: [UInt8], _ attributes: (STUNMessage) -> [STUNAttribute] = { _ in [] }, key: [UInt8]? = nil) throws -> [UInt8] {
        let message = try STUNMessage.parse(request)
        var answer = STUNMessage(type: STUNMessageType(method: message.type.method, messageClass: .successResponse),
                                 transactionID: message.transactionID)
        answer.attributes = attributes(answer)
        return answer.serialized(integrityKey: key ?? self.key)
    }

    func allocation(_ answer: STUNMessage) -> [STUNAttribute] {
        [.other(type: TURNAttributeType.xorRelayedAddress, value: STUNAttribute.encodeAddress(relay, xorWith: answer.transactionID)),
         .xorMappedAddress(mapped), .lifetime(600)]
    }

    /// Start, 401, authenticated Allocate, success.
    func allocated(tcp: Bool = false) throws -> TURNClient {
        var client = TURNClient(server: try server(tcp: tcp))
        let first = client.start(now: 0)[0]
        let retry = client.receive(try error(to: first, 401, "Unauthorized"), now: 1000).toServer
        XCTAssertEqual(retry.count, 1)
        _ = client.receive(try success(to: retry[0], allocation), now: 2000)
        XCTAssertEqual(client.state, .allocated(relayed: relay, mapped: mapped))
        return client
    }

    func testURLs() throws {
        let udp = try server()
        XCTAssertEqual([udp.host, "\(udp.port)", "\(udp.tcp)"], ["192.0.2.1", "3478", "false"])
        let tcp = try TURNServer(url: "turn:turn.example.org:5349?transport=tcp", username: "u", password: "p")
        XCTAssertEqual([tcp.host, "\(tcp.port)", "\(tcp.tcp)"], ["turn.example.org", "5349", "true"])
        XCTAssertEqual(try TURNServer(url: "turn:h", username: "u", password: "p").port, 3478)
        for bad in ["turns:h:5349", "stun:h:3478", "turn:h:0", "turn:h:3478?transport=sctp", "turn:[::1]:3478", "turn::3478"] {
            XCTAssertThrowsError(try TURNServer(url: bad, username: "u", password: "p"), bad)
        }
    }

    func testAllocateAnswersTheChallengeWithTheLongTermCredential() throws {
        var client = TURNClient(server: try server())
        let first = try STUNMessage.parse(client.start(now: 0)[0])
        XCTAssertEqual(first.type, .allocateRequest)
        XCTAssertNil(first.username, "the first Allocate goes without credentials")
        let retry = client.receive(try error(to: first.serialized(), 401, "Unauthorized"), now: 1).toServer
        let second = try STUNMessage.parse(retry[0])
        XCTAssertEqual(second.type, .allocateRequest)
        XCTAssertNotEqual(second.transactionID, first.transactionID)
        XCTAssertEqual([second.username, second.realm, second.nonce], ["alice", realm, "nonce1"])
        XCTAssertEqual(STUNMessage.checkIntegrity(retry[0], key: key), .valid)
        // An answer not keyed with our credential is ignored: anyone could forge it.
        _ = client.receive(try success(to: retry[0], allocation, key: [1, 2, 3]), now: 2)
        XCTAssertEqual(client.state, .allocating)
        _ = client.receive(try success(to: retry[0], allocation), now: 3)
        XCTAssertEqual(client.relayedAddress, relay)
        XCTAssertEqual(client.mappedAddress, mapped)
        // Refreshed a minute before the 600 s lifetime ends.
        XCTAssertEqual(client.nextDeadline(), 3 + 540_000_000)
        let refresh = try STUNMessage.parse(try XCTUnwrap(client.tick(now: 3 + 540_000_000).first))
        XCTAssertEqual(refresh.type, .refreshRequest)
        XCTAssertEqual(refresh.lifetime, 600)
    }

    func testRefusedCredentialsFailClearly() throws {
        var client = TURNClient(server: try server(password: "wrong"))
        let first = client.start(now: 0)[0]
        let retry = client.receive(try error(to: first, 401, "Unauthorized"), now: 1).toServer
        _ = client.receive(try error(to: retry[0], 401, "Unauthorized", nonce: "nonce2"), now: 2)
        XCTAssertEqual(client.state, .failed)
        let failure = try XCTUnwrap(client.failure)
        XCTAssertEqual(failure.kind, .iceFailed)
        XCTAssertTrue(failure.message.contains("refused the credentials"), failure.message)
        XCTAssertTrue(failure.kind.exitCode == 5)
    }

    func testStaleNonceIsRetriedWithTheNewOne() throws {
        var client = TURNClient(server: try server())
        let first = client.start(now: 0)[0]
        let retry = client.receive(try error(to: first, 401, "Unauthorized"), now: 1).toServer
        let again = client.receive(try error(to: retry[0], 438, "Stale Nonce", nonce: "nonce2"), now: 2).toServer
        XCTAssertEqual(try STUNMessage.parse(again[0]).nonce, "nonce2")
        XCTAssertNil(client.failure)
        _ = client.receive(try success(to: again[0], allocation), now: 3)
        XCTAssertEqual(client.relayedAddress, relay)
    }

    func testOtherAllocateErrorsFail() throws {
        var client = TURNClient(server: try server())
        let first = client.start(now: 0)[0]
        let retry = client.receive(try error(to: first, 401, "Unauthorized"), now: 1).toServer
        _ = client.receive(try error(to: retry[0], 486, "Allocation Quota Reached"), now: 2)
        XCTAssertEqual(client.failure?.kind, .iceFailed)
        XCTAssertTrue(client.failure?.message.contains("486 Allocation Quota Reached") == true)
    }

    func testRetransmitsOverUDPOnlyAndGivesUp() throws {
        var udp = TURNClient(server: try server())
        let first = udp.start(now: 0)[0]
        XCTAssertEqual(udp.nextDeadline(), TURNClient.initialRTO)
        XCTAssertEqual(udp.tick(now: TURNClient.initialRTO), [first], "the same request again")
        XCTAssertEqual(udp.nextDeadline(), TURNClient.initialRTO * 3)
        var tcp = TURNClient(server: try server(tcp: true))
        _ = tcp.start(now: 0)
        XCTAssertEqual(tcp.nextDeadline(), TURNClient.giveUp, "TCP is reliable: no retransmission")
        XCTAssertEqual(tcp.tick(now: TURNClient.initialRTO), [])
        _ = tcp.tick(now: TURNClient.giveUp)
        XCTAssertEqual(tcp.failure?.kind, .unreachable)
        XCTAssertTrue(tcp.failure?.message.contains("no answer from TURN server") == true)
    }

    func testPermissionsChannelsAndRelayedData() throws {
        var client = try allocated()
        let out = client.permit([peer], now: 10)
        let permission = try STUNMessage.parse(out[0])
        XCTAssertEqual(permission.type, .createPermissionRequest)
        XCTAssertEqual(permission.xorPeerAddress, peer)
        XCTAssertEqual(STUNMessage.checkIntegrity(out[0], key: key), .valid)
        let bind = try STUNMessage.parse(out[1])
        XCTAssertEqual(bind.type, .channelBindRequest)
        XCTAssertEqual(bind.channelNumber, 0x4000)
        XCTAssertEqual(bind.xorPeerAddress, peer)
        XCTAssertEqual(client.permit([peer], now: 11), [], "once per peer")
        // Until the channel is bound, data goes in Send indications.
        let sent = try STUNMessage.parse(client.wrap([1, 2, 3], to: peer, now: 12)[0])
        XCTAssertEqual(sent.type, .sendIndication)
        XCTAssertEqual(sent.xorPeerAddress, peer)
        XCTAssertEqual(sent.data, [1, 2, 3])
        _ = client.receive(try success(to: out[1]), now: 13)
        XCTAssertEqual(client.wrap([1, 2, 3], to: peer, now: 14), [[0x40, 0x00, 0x00, 0x03, 1, 2, 3]])
        // What the relay delivers: ChannelData of the bound channel, Data indications.
        let fromChannel = client.receive([0x40, 0x00, 0x00, 0x02, 9, 8], now: 15).data
        XCTAssertEqual(fromChannel?.from, peer)
        XCTAssertEqual(fromChannel?.payload, [9, 8])
        XCTAssertNil(client.receive([0x40, 0x01, 0x00, 0x01, 9], now: 15).data, "a channel never bound")
        var indication = STUNMessage(type: .dataIndication)
        indication.attributes = [.xorPeerAddress(peer, transactionID: indication.transactionID), .data([5, 6])]
        let fromIndication = client.receive(indication.serialized(), now: 16).data
        XCTAssertEqual(fromIndication?.from, peer)
        XCTAssertEqual(fromIndication?.payload, [5, 6])
        // Permissions and channels are refreshed before their 300 s run out.
        let refreshed = client.tick(now: 10 + TURNClient.permissionRefresh).compactMap { try? STUNMessage.parse($0).type }
        XCTAssertEqual(refreshed, [.createPermissionRequest, .channelBindRequest])
        // The end: Refresh with lifetime 0.
        let end = try STUNMessage.parse(try XCTUnwrap(client.close().first))
        XCTAssertEqual(end.type, .refreshRequest)
        XCTAssertEqual(end.lifetime, 0)
        XCTAssertEqual(client.wrap([1], to: peer, now: 20), [])
    }

    func testChannelDataIsPaddedOverTCP() throws {
        var client = try allocated(tcp: true)
        let out = client.permit([peer], now: 10)
        _ = client.receive(try success(to: out[1]), now: 11)
        XCTAssertEqual(client.wrap([1, 2, 3, 4, 5], to: peer, now: 12), [[0x40, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5, 0, 0, 0]])
    }

    func testRelayPairsInTheICEAgent() throws {
        let local = ICEAgent.Credentials(ufrag: "locl", password: "localpasswordlocalpasswd")
        let remote = ICEAgent.Credentials(ufrag: "remo", password: "remotepasswordremotepass")
        let candidate = ICECandidate(foundation: "1", priority: 2_130_706_431, address: "192.0.2.9", port: 8443, type: .host)
        var both = ICEAgent(local: local, remote: remote, remoteCandidates: [candidate], relayPriority: 16_777_215)
        XCTAssertEqual(both.candidateCount, 2)
        XCTAssertEqual(both.tick(now: 0).map(\.relayed), [false], "the direct pair ranks first")
        var relayOnly = ICEAgent(local: local, remote: remote, remoteCandidates: [candidate], relayPriority: 16_777_215, useHost: false)
        XCTAssertEqual(relayOnly.candidateCount, 1)
        let check = relayOnly.tick(now: 0)
        XCTAssertEqual(check.map(\.relayed), [true])
        guard case .valid(let request) = STUNMessage.validateICERequest(check[0].bytes, localUfrag: remote.ufrag, localPassword: remote.password) else {
            return XCTFail("the check does not validate")
        }
        let answer = STUNMessage.bindingSuccessResponse(to: request, mappedAddress: relay, password: remote.password)
        // The same answer straight to the socket is no path when only the relay may be used.
        _ = relayOnly.receive(answer, from: peer, relayed: false, now: 1000)
        XCTAssertEqual(relayOnly.pairs[0].state, .inProgress)
        // The only pair works: nominated at once, through the relay.
        var nomination = relayOnly.receive(answer, from: peer, relayed: true, now: 1000).first
        XCTAssertEqual(relayOnly.pairs[0].state, .inProgress, "the nominating check is on its way")
        var now: Int64 = 1000
        while nomination == nil, now < 1_000_000 {
            now += 10_000
            nomination = relayOnly.tick(now: now).first { (try? STUNMessage.parse($0.bytes))?.useCandidate == true }
        }
        let n = try XCTUnwrap(nomination)
        XCTAssertTrue(n.relayed)
        guard case .valid(let nominated) = STUNMessage.validateICERequest(n.bytes, localUfrag: remote.ufrag, localPassword: remote.password) else {
            return XCTFail("the nomination does not validate")
        }
        _ = relayOnly.receive(STUNMessage.bindingSuccessResponse(to: nominated, mappedAddress: relay, password: remote.password),
                              from: peer, relayed: true, now: now)
        XCTAssertEqual(relayOnly.state, .connected(peer))
        XCTAssertTrue(relayOnly.selectedRelayed)
        XCTAssertEqual(relayOnly.tick(now: now + 3_000_000).map(\.relayed), [true], "consent goes through the relay too")
    }
}
