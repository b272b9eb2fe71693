import Foundation
import Testing
@testable import RTDWebRTC

@Suite struct DTLSTransportTests {
    @Test(arguments: [SRTPProfile.aeadAES128GCM, .aes128CMHmacSHA1_80])
    func handshakeExportsCrosswiseKeysAndSRTPRoundTrips(profile: SRTPProfile) throws {
        let peers = try makeDTLSPeers(serverProfiles: [profile])
        #expect(peers.server.start().isEmpty, "a passive server waits for the ClientHello")
        #expect(peers.server.state == .connecting)
        shuttleDatagrams(peers.client, peers.server, aToB: peers.client.start())

        #expect(peers.client.state == .connected)
        #expect(peers.server.state == .connected)
        #expect(peers.client.peerFingerprint() == peers.serverCertificate.fingerprint)
        #expect(peers.server.peerFingerprint() == peers.clientCertificate.fingerprint)
        #expect(peers.client.cipherSuite == "ECDHE-ECDSA-AES128-GCM-SHA256")
        #expect(peers.client.nextTimeout == nil && peers.server.nextTimeout == nil)

        let clientKeys = try #require(peers.client.srtpKeys)
        let serverKeys = try #require(peers.server.srtpKeys)
        #expect(clientKeys.profile == profile && serverKeys.profile == profile)
        #expect(clientKeys.local == serverKeys.remote)
        #expect(clientKeys.remote == serverKeys.local)
        #expect(clientKeys.local != clientKeys.remote)
        #expect(clientKeys.local.key.count == 16 && clientKeys.local.salt.count == profile.saltLength)

        // Client → server and server → client, RTP and RTCP.
        for (sender, receiver) in [(clientKeys, serverKeys), (serverKeys, clientKeys)] {
            let outbound = try SRTPContext(keys: sender, direction: .outbound)
            let inbound = try SRTPContext(keys: receiver, direction: .inbound)
            let rtp = makeTestRTPPacket(ssrc: 0x1111_2222, sequence: 1, payloadSize: 1000)
            var packet = rtp
            try outbound.protect(&packet)
            #expect(packet.count == rtp.count + profile.rtpOverhead)
            #expect(packet[12...] != rtp[12...])
            try inbound.unprotect(&packet)
            #expect(packet == rtp)

            let rtcp = makeTestRTCPReport(ssrc: 0x1111_2222)
            var control = rtcp
            try outbound.protectRTCP(&control)
            #expect(control.count == rtcp.count + profile.rtpOverhead + 4)
            try inbound.unprotectRTCP(&control)
            #expect(control == rtcp)
        }
    }

    @Test func serverPreferenceDecidesTheProfile() throws {
        let peers = try makeDTLSPeers(clientProfiles: [.aes128CMHmacSHA1_80, .aeadAES128GCM],
                                  serverProfiles: [.aeadAES128GCM, .aes128CMHmacSHA1_80])
        handshakeInProcess(peers)
        #expect(peers.client.srtpKeys?.profile == .aeadAES128GCM)
    }

    @Test func applicationDataFlowsBothWays() throws {
        let peers = try makeDTLSPeers()
        handshakeInProcess(peers)
        let toServer = try peers.client.write(Array("sctp from client".utf8))
        let toClient = try peers.server.write(Array("sctp from server".utf8))
        let received = shuttleDatagrams(peers.client, peers.server, aToB: toServer, bToA: toClient)
        #expect(received.receivedByB == [Array("sctp from client".utf8)])
        #expect(received.receivedByA == [Array("sctp from server".utf8)])

        let limit = try #require(peers.client.maxApplicationDataSize)
        #expect(limit > 1000 && limit < 1200)
        let full = try peers.client.write([UInt8](repeating: 7, count: limit))
        #expect(full.count == 1 && full[0].count <= 1200)
        #expect(throws: DTLSError.applicationDataTooLarge(size: limit + 1, limit: limit)) {
            try peers.client.write([UInt8](repeating: 7, count: limit + 1))
        }
    }

    @Test func writeBeforeConnectedThrows() throws {
        let peers = try makeDTLSPeers()
        #expect(throws: DTLSError.notConnected) { try peers.client.write([1, 2, 3]) }
    }

    @Test func clientRejectsServerWithWrongFingerprint() throws {
        let clientCertificate = try DTLSCertificate.generate()
        let serverCertificate = try DTLSCertificate.generate()
        let wrong = flippedFingerprint(serverCertificate.fingerprint)
        let client = try DTLSTransport(role: .client, certificate: clientCertificate, remoteFingerprint: wrong)
        let server = try DTLSTransport(role: .server, certificate: serverCertificate,
                                       remoteFingerprint: clientCertificate.fingerprint)
        shuttleDatagrams(client, server, aToB: client.start())

        #expect(client.state == .failed(.fingerprintMismatch(expected: wrong, received: serverCertificate.fingerprint)))
        #expect(client.srtpKeys == nil && server.srtpKeys == nil)
        // The client's fatal alert reached the server, which failed too, with a clear reason.
        guard case .failed(.handshakeFailed(let reason)) = server.state else {
            Issue.record("server state \(server.state)")
            return
        }
        #expect(reason.contains("bad certificate"), "\(reason)")
        if case .failed(let error) = client.state {
            #expect(error.description.contains("does not match the SDP fingerprint"))
        }
        // A failed transport ignores further input and sends nothing.
        #expect(client.feed([22, 0xFE, 0xFD] + [UInt8](repeating: 0, count: 20)).datagrams.isEmpty)
        #expect(client.close().isEmpty)
    }

    @Test func serverRejectsClientWithWrongFingerprint() throws {
        let clientCertificate = try DTLSCertificate.generate()
        let peers = try makeDTLSPeers(serverExpects: flippedFingerprint(clientCertificate.fingerprint))
        handshakeInProcess(peers)
        guard case .failed(.fingerprintMismatch(_, let received)) = peers.server.state else {
            Issue.record("server state \(peers.server.state)")
            return
        }
        #expect(received == peers.clientCertificate.fingerprint)
        #expect(peers.server.srtpKeys == nil)
        guard case .failed(.handshakeFailed(let reason)) = peers.client.state else {
            Issue.record("client state \(peers.client.state)")
            return
        }
        #expect(reason.contains("received fatal alert: bad certificate"), "\(reason)")
        #expect(peers.client.srtpKeys == nil)
    }

    @Test func closeNotifyClosesThePeer() throws {
        let peers = try makeDTLSPeers()
        handshakeInProcess(peers)
        let alert = peers.client.close()
        #expect(alert.count == 1)
        #expect(peers.client.state == .closed)
        let reply = peers.server.feed(alert[0])
        #expect(peers.server.state == .closed)
        #expect(reply.datagrams.count == 1, "the server answers with its own close_notify")
        #expect(peers.client.feed(reply.datagrams[0]).datagrams.isEmpty)
        #expect(peers.client.close().isEmpty)
        #expect(throws: DTLSError.notConnected) { try peers.server.write([1]) }
    }

    @Test func lostFlightIsRetransmittedAfterTheTimeout() async throws {
        let peers = try makeDTLSPeers()
        _ = peers.client.start()  // ClientHello lost
        let timeout = try #require(peers.client.nextTimeout)
        #expect(timeout > .zero && timeout <= .milliseconds(100))
        #expect(peers.client.handleTimeout().isEmpty, "nothing is due before the timer expires")
        try await Task.sleep(for: timeout + .milliseconds(20))
        let retransmitted = peers.client.handleTimeout()
        #expect(retransmitted.count == 1)
        // The back-off doubled.
        #expect(try #require(peers.client.nextTimeout) > .milliseconds(150))
        shuttleDatagrams(peers.client, peers.server, aToB: retransmitted)
        #expect(peers.client.state == .connected && peers.server.state == .connected)
    }

    @Test func lostFinalFlightIsRepeatedByTheConnectedServer() async throws {
        let peers = try makeDTLSPeers()
        var toClient: [[UInt8]] = []
        for datagram in peers.client.start() { toClient += peers.server.feed(datagram).datagrams }
        var toServer: [[UInt8]] = []
        for datagram in toClient { toServer += peers.client.feed(datagram).datagrams }
        for datagram in toServer { _ = peers.server.feed(datagram) }  // server's last flight lost
        #expect(peers.server.state == .connected)
        #expect(peers.client.state == .connecting)

        let timeout = try #require(peers.client.nextTimeout)
        try await Task.sleep(for: timeout + .milliseconds(20))
        let repeated = peers.client.handleTimeout()
        #expect(!repeated.isEmpty)
        shuttleDatagrams(peers.client, peers.server, aToB: repeated)
        #expect(peers.client.state == .connected)
        #expect(peers.client.srtpKeys?.local == peers.server.srtpKeys?.remote)
    }

    @Test func handshakeFailsAfterTooManyRetransmissions() async throws {
        // 1 ms is below OpenSSL's 15 ms timer granularity, so the first few retransmissions happen
        // at once inside start(); the total is what matters: the first flight plus 12 repeats.
        var config = DTLSTransport.Configuration()
        config.initialRetransmitTimeout = .milliseconds(1)
        let certificate = try DTLSCertificate.generate()
        let client = try DTLSTransport(role: .client, certificate: certificate,
                                       remoteFingerprint: certificate.fingerprint, configuration: config)
        var clientHellos = client.start().count  // nobody answers
        while let timeout = client.nextTimeout, clientHellos < 20 {
            try await Task.sleep(for: timeout + .milliseconds(1))
            clientHellos += client.handleTimeout().count
        }
        guard case .failed(.handshakeFailed(let reason)) = client.state else {
            Issue.record("state \(client.state)")
            return
        }
        #expect(reason.contains("timed out"), "\(reason)")
        #expect(clientHellos == 13)
        #expect(client.nextTimeout == nil)
    }

    @Test func hostileDatagramsDoNotBreakAWaitingServer() throws {
        let peers = try makeDTLSPeers()
        var generator = SystemRandomNumberGenerator()
        func random(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) } }

        // Random bytes of every size, including empty and oversized.
        for size in [0, 1, 12, 13, 14, 100, 1500, 70_000] + (0..<300).map({ _ in Int.random(in: 0...400) }) {
            let out = peers.server.feed(random(size))
            #expect(out.datagrams.isEmpty && out.applicationData.isEmpty)
        }
        // Record headers that look like DTLS, followed by garbage of a length that disagrees with
        // the header's length field (the record is malformed and dropped).
        for _ in 0..<300 {
            let body = random(Int.random(in: 0...300))
            var record: [UInt8] = [UInt8.random(in: 20...23), 0xFE, 0xFD] + random(8)
            let declared = body.count + Int.random(in: 1...100)
            record += [UInt8(declared >> 8), UInt8(declared & 0xFF)] + body
            _ = peers.server.feed(record)
        }
        // Every truncation of a real ClientHello.
        let probe = try makeDTLSPeers()
        let clientHello = try #require(probe.client.start().first)
        for length in 0..<clientHello.count { _ = peers.server.feed(Array(clientHello.prefix(length))) }

        #expect(peers.server.state == .connecting)
        shuttleDatagrams(peers.client, peers.server, aToB: peers.client.start())
        #expect(peers.client.state == .connected && peers.server.state == .connected)
    }

    @Test func wellFormedGarbageHandshakeFailsTheServerCleanly() throws {
        let peers = try makeDTLSPeers()
        // A correctly framed handshake record whose body is not a valid ClientHello.
        let body: [UInt8] = [1, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 4, 0xDE, 0xAD, 0xBE, 0xEF]
        let record: [UInt8] = [22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, UInt8(body.count)] + body
        let out = peers.server.feed(record)
        guard case .failed(.handshakeFailed(let reason)) = peers.server.state else {
            Issue.record("server state \(peers.server.state)")
            return
        }
        #expect(!reason.isEmpty)
        #expect(out.datagrams.count <= 1, "at most a fatal alert")
    }

    @Test func hostileDatagramsAfterConnectingAreDropped() throws {
        let peers = try makeDTLSPeers()
        handshakeInProcess(peers)
        for _ in 0..<300 {
            let size = Int.random(in: 13...300)
            var datagram = (0..<size).map { _ in UInt8.random(in: 0...255) }
            datagram[0] = UInt8.random(in: 20...23)
            datagram[1] = 0xFE
            datagram[2] = 0xFD
            _ = peers.server.feed(datagram)
        }
        #expect(peers.server.state == .connected)
        let received = shuttleDatagrams(peers.client, peers.server, aToB: try peers.client.write([42]))
        #expect(received.receivedByB == [[42]])
    }

    @Test func invalidConfigurationIsRejected() throws {
        let certificate = try DTLSCertificate.generate()
        var config = DTLSTransport.Configuration()
        config.srtpProfiles = []
        #expect(throws: DTLSError.configuration("no SRTP profile")) {
            try DTLSTransport(role: .server, certificate: certificate, remoteFingerprint: certificate.fingerprint,
                              configuration: config)
        }
        config = DTLSTransport.Configuration()
        config.mtu = 100
        #expect(throws: DTLSError.self) {
            try DTLSTransport(role: .server, certificate: certificate, remoteFingerprint: certificate.fingerprint,
                              configuration: config)
        }
    }
}
