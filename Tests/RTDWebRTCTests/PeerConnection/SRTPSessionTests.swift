import Testing
@testable import RTDWebRTC

/// Both ends of a real DTLS handshake make their SRTP from it the same way, whichever role each
/// had: what one side protects the other reads, in both directions, for RTP and RTCP.
@Suite struct SRTPSessionTests {
    @Test(arguments: [SRTPProfile.aeadAES128GCM, .aes128CMHmacSHA1_80])
    func bothRolesGetMatchingContexts(profile: SRTPProfile) throws {
        let pair = try makeDTLSPeers(clientProfiles: [profile], serverProfiles: [profile])
        shuttleDatagrams(pair.client, pair.server, aToB: pair.client.start())
        let client = try SRTPSession(dtls: pair.client)
        let server = try SRTPSession(dtls: pair.server, retransmissionWindow: 1024)
        #expect(client.profile == profile && server.profile == profile)

        var rtp = RTPPacket(marker: true, payloadType: 96, sequenceNumber: 7, timestamp: 1, ssrc: 5, payload: [1, 2, 3]).serialized()
        let plain = rtp
        rtp.reserveCapacity(rtp.count + SRTPContext.maxTrailerLength)
        try server.outbound.protect(&rtp)
        #expect(rtp != plain)
        var resent = plain
        resent.reserveCapacity(resent.count + SRTPContext.maxTrailerLength)
        try server.outbound.protect(&resent)
        #expect(resent == rtp, "a sender with a retransmission window protects a resend under the same index")
        try client.inbound.unprotect(&rtp)
        #expect(rtp == plain)

        let pli = RTCPPacket.pictureLossIndication(RTCPPictureLossIndication(senderSSRC: 1, mediaSSRC: 5))
        var rtcp = try #require(client.protect(rtcp: [pli]))
        try server.inbound.unprotectRTCP(&rtcp)
        #expect(try RTCPPacket.parseCompound(rtcp) == [pli])
    }

    /// A resend answering a NACK inside a large keyframe can arrive hundreds of packets behind the
    /// newest; libsrtp's default window (128) would refuse it.
    @Test func inboundTakesAResendFarBehindTheNewest() throws {
        let pair = try makeDTLSPeers()
        shuttleDatagrams(pair.client, pair.server, aToB: pair.client.start())
        let client = try SRTPSession(dtls: pair.client)
        let server = try SRTPSession(dtls: pair.server, retransmissionWindow: 1024)
        func sent(_ sequence: UInt16) throws -> [UInt8] {
            var rtp = RTPPacket(marker: false, payloadType: 96, sequenceNumber: sequence, timestamp: 1, ssrc: 5,
                                payload: [UInt8(truncatingIfNeeded: sequence)]).serialized()
            rtp.reserveCapacity(rtp.count + SRTPContext.maxTrailerLength)
            try server.outbound.protect(&rtp)
            return rtp
        }
        let late = try sent(100)
        for sequence in UInt16(101)...700 {
            var rtp = try sent(sequence)
            try client.inbound.unprotect(&rtp)
        }
        var resend = late
        try client.inbound.unprotect(&resend)
        #expect(resend.last == 100)
        var again = late
        #expect(throws: SRTPError.self) { try client.inbound.unprotect(&again) }
    }

    @Test func noSessionBeforeDTLSIsUp() throws {
        let pair = try makeDTLSPeers()
        #expect(throws: SRTPSession.SetupError.self) { try SRTPSession(dtls: pair.client) }
    }
}
