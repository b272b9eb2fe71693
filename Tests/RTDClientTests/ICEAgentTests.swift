import XCTest
import RTDTestSupport
@testable import RTDClient
@testable import RTDWebRTC

final class ICEAgentTests: XCTestCase {
    let local = ICEAgent.Credentials(ufrag: "locl", password: "localpasswordlocalpasswd")
    let remote = ICEAgent.Credentials(ufrag: "remo", password: "remotepasswordremotepass")

    func candidate(_ ip: String, _ port: Int, priority: UInt32 = 2_130_706_431, transport: String = "udp") -> ICECandidate {
        ICECandidate(foundation: "1", transport: transport, priority: priority, address: ip, port: port, type: .host)
    }

    /// What an ICE-lite server (rtd serve) does with a check: validate it and answer it.
    func liteAnswer(_ bytes: [UInt8], from source: STUNAddress) -> (STUNMessage, [UInt8])? {
        guard case .valid(let request) = STUNMessage.validateICERequest(bytes, localUfrag: remote.ufrag, localPassword: remote.password) else {
            return nil
        }
        return (request, STUNMessage.bindingSuccessResponse(to: request, mappedAddress: source, password: remote.password))
    }

    func testChecksCarryWhatICERequires() throws {
        var agent = ICEAgent(local: local, remote: remote, remoteCandidates: [candidate("192.0.2.1", 5000)], tiebreaker: 42)
        let out = agent.tick(now: 0)
        XCTAssertEqual(out.count, 1)
        XCTAssertEqual(out[0].destination, STUNAddress(host: "192.0.2.1", port: 5000))
        let message = try STUNMessage.parse(out[0].bytes)
        XCTAssertEqual(message.type, .bindingRequest)
        XCTAssertEqual(message.username, "remo:locl")
        XCTAssertEqual(message.iceControlling, 42)
        XCTAssertNotNil(message.priority)
        XCTAssertFalse(message.useCandidate, "the first check only tests the pair")
        XCTAssertEqual(STUNMessage.checkIntegrity(out[0].bytes, password: remote.password), .valid)
        XCTAssertEqual(STUNMessage.checkFingerprint(out[0].bytes), .valid)
    }

    func testNominatesBestWorkingPairAgainstALiteServer() throws {
        let lan = STUNAddress(host: "192.0.2.1", port: 5000)!
        let loop = STUNAddress(host: "127.0.0.1", port: 5000)!
        var agent = ICEAgent(local: local, remote: remote,
                             remoteCandidates: [candidate("127.0.0.1", 5000, priority: 100), candidate("192.0.2.1", 5000, priority: 200),
                                                candidate("example.local", 1), candidate("10.0.0.1", 9, transport: "tcp"),
                                                candidate("2001:db8::1", 5000)])
        XCTAssertEqual(agent.candidateCount, 2, "mDNS, TCP and IPv6 candidates are not usable on an IPv4 UDP socket")
        var now: Int64 = 0
        var sent: [ICEAgent.Outgoing] = []
        while sent.count < 2 {
            sent += agent.tick(now: now)
            now += 25_000
        }
        XCTAssertEqual(sent.map(\.destination), [lan, loop], "higher priority first")
        // Only the loopback pair works.
        let (_, answer) = try XCTUnwrap(liteAnswer(sent[1].bytes, from: STUNAddress(host: "127.0.0.1", port: 40000)!))
        _ = agent.receive(answer, from: loop, now: now)
        XCTAssertEqual(agent.state, .checking)
        // Nominated after the grace period while the LAN pair is still pending.
        var nomination: ICEAgent.Outgoing?
        while nomination == nil, now < 1_000_000 {
            now += 10_000
            for out in agent.tick(now: now) where (try? STUNMessage.parse(out.bytes))?.useCandidate == true { nomination = out }
        }
        let n = try XCTUnwrap(nomination)
        XCTAssertEqual(n.destination, loop)
        let (request, reply) = try XCTUnwrap(liteAnswer(n.bytes, from: STUNAddress(host: "127.0.0.1", port: 40000)!))
        XCTAssertTrue(request.useCandidate)
        _ = agent.receive(reply, from: loop, now: now)
        XCTAssertEqual(agent.state, .connected(loop))
        XCTAssertNotNil(agent.roundTripTime)
        // Consent checks keep going on the selected pair.
        let consent = agent.tick(now: now + 3_000_000)
        XCTAssertEqual(consent.map(\.destination), [loop])
    }

    func testAnswersFromTheWrongAddressOrWithTheWrongPasswordAreIgnored() throws {
        let server = STUNAddress(host: "192.0.2.1", port: 5000)!
        var agent = ICEAgent(local: local, remote: remote, remoteCandidates: [candidate("192.0.2.1", 5000)])
        let check = agent.tick(now: 0)[0]
        let request = try STUNMessage.parse(check.bytes)
        let forged = STUNMessage.bindingSuccessResponse(to: request, mappedAddress: server, password: "wrong-password")
        _ = agent.receive(forged, from: server, now: 1000)
        XCTAssertTrue(agent.lastProblem?.contains("MESSAGE-INTEGRITY") ?? false)
        let (_, good) = try XCTUnwrap(liteAnswer(check.bytes, from: server))
        _ = agent.receive(good, from: STUNAddress(host: "192.0.2.9", port: 5000)!, now: 1000)
        XCTAssertTrue(agent.lastProblem?.contains("192.0.2.9") ?? false)
        _ = agent.receive(good, from: server, now: 2000)
        XCTAssertNotNil(agent.roundTripTime, "the genuine answer counts")
    }

    func testFailsWhenNobodyAnswers() {
        var timing = ICEAgent.Timing()
        timing.maxRetransmits = 2
        var agent = ICEAgent(local: local, remote: remote, remoteCandidates: [candidate("192.0.2.1", 5000)], timing: timing)
        var now: Int64 = 0
        var sends = 0
        while case .checking = agent.state, now < 10_000_000 {
            sends += agent.tick(now: now).count
            now += 10_000
        }
        XCTAssertEqual(sends, 3)
        guard case .failed(let reason) = agent.state else { return XCTFail("\(agent.state)") }
        XCTAssertTrue(reason.contains("192.0.2.1:5000"), reason)
        XCTAssertEqual(ICEAgent(local: local, remote: remote, remoteCandidates: []).candidateCount, 0)
    }

    func testAnswersTheRemoteAgentsChecksAndLearnsPeerReflexiveAddresses() throws {
        var agent = ICEAgent(local: local, remote: remote, remoteCandidates: [candidate("192.0.2.1", 5000)])
        _ = agent.tick(now: 0)
        let source = STUNAddress(host: "198.51.100.7", port: 6000)!
        let theirs = STUNMessage(type: .bindingRequest, attributes: [.username("locl:remo"), .priority(1234), .iceControlled(7)])
        let bytes = theirs.serialized(integrityKey: Array(local.password.utf8), fingerprint: true)
        let out = agent.receive(bytes, from: source, now: 1000)
        XCTAssertEqual(out.count, 2, "an answer plus a triggered check towards the new address")
        let response = try STUNMessage.parse(out[0].bytes)
        XCTAssertEqual(response.type, .bindingSuccess)
        XCTAssertEqual(response.xorMappedAddress, source)
        XCTAssertEqual(STUNMessage.checkIntegrity(out[0].bytes, password: local.password), .valid)
        XCTAssertEqual(out[1].destination, source)
        XCTAssertEqual(agent.candidateCount, 2)
        // Wrong password: 401, and nothing learnt.
        let bad = theirs.serialized(integrityKey: Array("nope".utf8), fingerprint: true)
        let refused = agent.receive(bad, from: STUNAddress(host: "198.51.100.8", port: 1)!, now: 2000)
        XCTAssertEqual(try STUNMessage.parse(refused[0].bytes).errorCode?.code, 401)
        XCTAssertEqual(agent.candidateCount, 2)
    }

    func testRoleConflictIsAnswered() throws {
        var agent = ICEAgent(local: local, remote: remote, remoteCandidates: [], tiebreaker: .max)
        let theirs = STUNMessage(type: .bindingRequest, attributes: [.username("locl:remo"), .priority(1), .iceControlling(5)])
        let out = agent.receive(theirs.serialized(integrityKey: Array(local.password.utf8), fingerprint: true),
                                from: STUNAddress(host: "192.0.2.3", port: 9)!, now: 0)
        XCTAssertEqual(try STUNMessage.parse(out[0].bytes).errorCode?.code, 487)
    }

    func testHostileDatagramsNeverCrash() {
        var agent = ICEAgent(local: local, remote: remote, remoteCandidates: [candidate("192.0.2.1", 5000)])
        let check = agent.tick(now: 0)[0].bytes
        let source = STUNAddress(host: "192.0.2.1", port: 5000)!
        for input in hostileInputs(from: [check], count: 3000, seed: 11) {
            _ = agent.receive(input, from: source, now: 1)
        }
        XCTAssertEqual(agent.state, .checking)
    }

    func testPairPriorityFormula() {
        // RFC 8445 §6.1.2.3: 2^32*MIN(G,D) + 2*MAX(G,D) + (G>D?1:0)
        XCTAssertEqual(ICEAgent.pairPriority(controlling: 10, controlled: 20), (10 << 32) + 40)
        XCTAssertEqual(ICEAgent.pairPriority(controlling: 20, controlled: 10), (10 << 32) + 41)
    }
}
