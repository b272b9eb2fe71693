import Foundation
import Logging
import Testing
import RTDCore
@testable import RTDWebRTC

/// The server-side peer, driven without sockets: a real DTLS client (our own, in the client role)
/// completes the handshake; SRTP contexts made from its exported keys read what the peer sends and
/// write the RTCP feedback it reacts to.
@Suite struct PeerConnectionTests {
    struct Rig {
        let peer: PeerConnection
        let client: DTLSTransport
        let srtpIn: SRTPContext
        let srtcpOut: SRTPContext
        let address = STUNAddress(ip: [127, 0, 0, 1], port: 40000)!
        var keyframeRequests: Int { counter.keyframes }
        var connects: Int { counter.connects }
        let counter: Counter
    }

    final class Counter {
        var keyframes = 0
        var connects = 0
        var estimates: [Int] = []
        /// Which stream each keyframe request was for.
        var keyframeStreams: [Int] = []
    }

    /// A connected peer; with `ssrcs` of more than one, it sends that many streams (a grid on
    /// one connection: the offer gets a copy of its video section for each), stream i from track i + 1.
    /// With `audioSSRC`, the offer also has an Opus section (mid "a", payload type 111) and the peer sends audio on it.
    func makeRig(consentTimeout: Int64 = PeerConnection.defaultConsentTimeout, ssrcs: [UInt32] = [1234], audioSSRC: UInt32? = nil) throws -> Rig {
        let serverCert = try DTLSCertificate.generate(commonName: "server")
        let clientCert = try DTLSCertificate.generate(commonName: "client")
        var offer = SDPOfferer.makeOffer(config: SDPOfferConfig(
            iceUfrag: "cliU", icePwd: "clientpassword0123456789",
            fingerprint: SDPFingerprint(hashFunction: "sha-256", value: clientCert.fingerprint.hex)))
        for k in 1..<ssrcs.count {
            var copy = offer.media[0]
            copy.attributes = copy.attributes.map { if case .mid = $0 { .mid("v\(k)") } else { $0 } }
            offer.media.append(copy)
        }
        if audioSSRC != nil {
            var audio = offer.media[0]
            audio.media = "audio"
            audio.formats = ["111"]
            audio.attributes = audio.attributes.compactMap {
                switch $0 {
                case .mid: .mid("a")
                case .rtpmap, .fmtp, .rtcpFeedback, .extmap: nil
                default: $0
                }
            } + [.rtpmap(SDPRTPMap(payloadType: 111, encodingName: "opus", clockRate: 48_000, encodingParameters: "2"))]
            offer.media.append(audio)
        }
        let (_, negotiated) = try SDPAnswerer.makeAnswer(offer: offer, config: SDPAnswerConfig(
            iceUfrag: "srvU", icePwd: "serverpassword0123456789",
            fingerprint: SDPFingerprint(hashFunction: "sha-256", value: serverCert.fingerprint.hex),
            candidates: [], videoSenders: ssrcs.map { SDPVideoSender(ssrc: $0, streamID: "rtd-\($0)") },
            audioSender: audioSSRC.map { SDPAudioSender(ssrc: $0, streamID: "rtd-\(ssrcs[0])") }, cname: "test",
            forcedCodec: .vp8, dataChannelsSupported: false))
        let peer = try PeerConnection(sessionID: "s1", negotiated: negotiated, localUfrag: "srvU",
                                      localPassword: "serverpassword0123456789", certificate: serverCert, ssrcs: ssrcs,
                                      audioSSRC: audioSSRC, cname: "test", consentTimeout: consentTimeout, logger: Logger(label: "test"))
        let counter = Counter()
        peer.events.keyframeNeeded = { stream in
            counter.keyframes += 1
            counter.keyframeStreams.append(stream)
        }
        peer.events.connected = { counter.connects += 1 }
        peer.events.bitrateEstimate = { _, kbps in counter.estimates.append(kbps) }
        for i in ssrcs.indices { peer.restartVideo(track: UInt64(i + 1), stream: i) }
        let client = try DTLSTransport(role: .client, certificate: clientCert, remoteFingerprint: serverCert.fingerprint)
        // ICE first: a valid check picks the path.
        let check = STUNMessage.iceBindingRequest(remoteUfrag: "srvU", localUfrag: "cliU", remotePassword: "serverpassword0123456789",
                                                  priority: 100, controllingTiebreaker: 1, useCandidate: true)
        let response = peer.receiveBindingRequest(check.message, from: STUNAddress(ip: [127, 0, 0, 1], port: 40000)!)
        #expect(STUNMessage.checkIntegrity(response, password: "serverpassword0123456789") == .valid)
        var toPeer = client.start()
        for _ in 0..<10 where !toPeer.isEmpty {
            var toClient: [[UInt8]] = []
            for d in toPeer { toClient += peer.receiveDTLS(d) }
            toPeer = []
            for d in toClient { toPeer += client.feed(d).datagrams }
        }
        #expect(peer.state == .connected && client.state == .connected)
        let keys = try #require(client.srtpKeys)
        return Rig(peer: peer, client: client,
                   srtpIn: try SRTPContext(profile: keys.profile, masterKey: keys.remote, direction: .inbound),
                   srtcpOut: try SRTPContext(profile: keys.profile, masterKey: keys.local, direction: .outbound),
                   counter: counter)
    }

    /// One picture of `track`: its payload bytes are its sequence number (mod 256), its RTP
    /// timestamp 3000 per sequence number.
    func batch(_ seq: Int, key: Bool, packets: Int = 3, track: UInt64 = 1) -> RTPPacketBatch {
        RTPPacketBatch(packets: (0..<packets).map { i in
            RTPOutboundPacket(payloadType: 0, timestamp: 0, marker: i == packets - 1, payload: [UInt8](repeating: UInt8(truncatingIfNeeded: seq), count: 100 + i))
        }, rtpTimestamp: UInt32(seq * 3000), isKeyframe: key, picture: seq, track: track)
    }

    /// Sends `packets` to the peer, at `now` (monotonic µs) if given, else when it is called.
    func rtcp(_ rig: Rig, _ packets: [RTCPPacket], now: Int64? = nil) throws -> [[UInt8]] {
        var bytes = RTCPPacket.serializeCompound(packets)
        bytes.reserveCapacity(bytes.count + SRTPContext.maxTrailerLength)
        try rig.srtcpOut.protectRTCP(&bytes)
        guard let now else { return rig.peer.receiveRTCP(bytes) }
        return rig.peer.receiveRTCP(bytes, now: now, wallClock: NTPTimestamp(date: Date()))
    }

    /// ICE-lite: media follows the pair the controlling agent nominates, not whichever pair it
    /// checked last (a multi-homed viewer checks several; following the last sent media, and
    /// routed DTLS, down a path it had not chosen).
    @Test func mediaGoesWhereTheViewerNominates() throws {
        let rig = try makeRig()
        #expect(rig.peer.remoteAddress == rig.address)
        func check(from address: STUNAddress, nominate: Bool) {
            let request = STUNMessage.iceBindingRequest(remoteUfrag: "srvU", localUfrag: "cliU",
                                                        remotePassword: "serverpassword0123456789", priority: 100,
                                                        controllingTiebreaker: 1, useCandidate: nominate)
            _ = rig.peer.receiveBindingRequest(request.message, from: address)
        }
        let other = STUNAddress(ip: [10, 0, 0, 7], port: 5000)!
        check(from: other, nominate: false)
        #expect(rig.peer.remoteAddress == rig.address, "a check alone does not move the media")
        check(from: other, nominate: true)
        #expect(rig.peer.remoteAddress == other, "a nomination does")
        check(from: rig.address, nominate: false)
        #expect(rig.peer.remoteAddress == other)
    }

    @Test func sendsOnlyFromAKeyframeAndStampsItsOwnHeader() throws {
        let rig = try makeRig()
        #expect(rig.connects == 1)
        #expect(rig.peer.send(batch(0, key: false)).isEmpty)
        #expect(rig.keyframeRequests == 1)
        let sent = rig.peer.send(batch(1, key: true))
        #expect(sent.count == 3)
        var seqs: [UInt16] = []
        for var p in sent {
            try rig.srtpIn.unprotect(&p)
            let rtp = try RTPPacket.parse(p)
            #expect(rtp.ssrc == 1234 && rtp.payloadType == rig.peer.video.payloadType && rtp.timestamp == 3000)
            #expect(rtp.payload == [UInt8](repeating: 1, count: rtp.payload.count))
            seqs.append(rtp.sequenceNumber)
        }
        #expect(seqs == [seqs[0], seqs[0] &+ 1, seqs[0] &+ 2])
        // The same picture again (a join burst overlapping live delivery) is not sent twice.
        #expect(rig.peer.send(batch(1, key: true)).isEmpty)
        #expect(rig.peer.send(batch(2, key: false)).count == 3)
    }

    /// A camera switch under load: pictures of the old camera's track were already queued for
    /// the peer when it switched, and arrive after the new track's keyframe (or before it). The
    /// viewer's decoder must get the new track's keyframe and then only that track's pictures:
    /// an old delta after it breaks the picture, and the old track's higher picture numbers
    /// must not make the peer drop the new track's pictures as already sent.
    @Test func aCameraSwitchSendsOnlyTheNewTracksPictures() throws {
        let rig = try makeRig()
        func sent(_ b: RTPPacketBatch) throws -> [UInt32] {
            try rig.peer.send(b).map { p in
                var p = p
                try rig.srtpIn.unprotect(&p)
                return try RTPPacket.parse(p).timestamp
            }
        }
        #expect(try sent(batch(500, key: true)).count == 3)
        #expect(try sent(batch(501, key: false)).count == 3)
        let asked = rig.keyframeRequests
        rig.peer.restartVideo(track: 2)
        // The old track's next pictures, queued before the switch: neither its keyframe nor its
        // deltas may start or continue the new stream.
        #expect(try sent(batch(502, key: false)).isEmpty)
        #expect(try sent(batch(503, key: true)).isEmpty)
        #expect(rig.keyframeRequests == asked, "the old track's pictures ask nothing of the new one")
        // The new track's delta before its keyframe asks for one at once.
        #expect(try sent(batch(6, key: false, track: 2)).isEmpty)
        #expect(rig.keyframeRequests == asked + 1)
        // The viewer's clock goes on from the old track's last picture, not back to the new
        // track's own (earlier) timestamps; records are stamped the same way.
        let key = try sent(batch(7, key: true, track: 2))
        #expect(key.count == 3 && Set(key).count == 1 && key[0] > 501 * 3000 && key[0] < 501 * 3000 + 90_000)
        #expect(rig.peer.viewerTimestamp(8 * 3000) == key[0] &+ 3000)
        #expect(try sent(batch(504, key: false)).isEmpty, "an old delta after the new keyframe")
        #expect(try sent(batch(8, key: false, track: 2)) == Array(repeating: key[0] &+ 3000, count: 3))
        #expect(try sent(batch(505, key: true)).isEmpty)
        #expect(try sent(batch(9, key: false, track: 2)).count == 3)
    }

    /// A grid on one connection: each stream sends its own track's pictures under its own SSRC,
    /// sequence and keyframe start; NACK, PLI and receiver reports reach the stream they name.
    @Test func severalStreamsEachKeepTheirOwnSenderState() throws {
        let rig = try makeRig(ssrcs: [1234, 5678])
        #expect(rig.peer.videos.count == 2 && rig.peer.videos.map(\.mid) == ["0", "v1"])
        func parsed(_ packets: [[UInt8]]) throws -> [RTPPacket] {
            try packets.map { p in
                var p = p
                try rig.srtpIn.unprotect(&p)
                return try RTPPacket.parse(p)
            }
        }
        // Stream 1 waits for its own keyframe even once stream 0 has started.
        #expect(try parsed(rig.peer.send(batch(1, key: true, track: 1))).map(\.ssrc) == [1234, 1234, 1234])
        #expect(rig.peer.send(batch(1, key: false, track: 2)).isEmpty)
        #expect(rig.counter.keyframeStreams == [1])
        let b = try parsed(rig.peer.send(batch(2, key: true, track: 2)))
        #expect(b.map(\.ssrc) == [5678, 5678, 5678] && b.map(\.timestamp) == [6000, 6000, 6000])
        #expect(b[1].sequenceNumber == b[0].sequenceNumber &+ 1)
        #expect(rig.peer.send(batch(9, key: false, track: 3)).isEmpty, "a track no stream sends")
        let a = try parsed(rig.peer.send(batch(2, key: false, track: 1)))
        #expect(a.map(\.ssrc) == [1234, 1234, 1234])

        // A NACK for stream 1's sequence numbers resends stream 1's packet, not stream 0's.
        let sentB = rig.peer.send(batch(3, key: false, track: 2))
        let lost = try parsed([sentB[0]])[0].sequenceNumber
        #expect(try rtcp(rig, [.nack(RTCPGenericNACK(senderSSRC: 1, mediaSSRC: 5678, lostSequenceNumbers: [lost]))]) == [sentB[0]])
        #expect(rig.peer.stats(stream: 1).retransmissions == 1 && rig.peer.stats(stream: 0).retransmissions == 0)
        // A PLI for stream 0 asks stream 0's encoder only; one for no stream of ours asks none.
        _ = try rtcp(rig, [.pictureLossIndication(RTCPPictureLossIndication(senderSSRC: 1, mediaSSRC: 1234))])
        _ = try rtcp(rig, [.pictureLossIndication(RTCPPictureLossIndication(senderSSRC: 1, mediaSSRC: 999))])
        #expect(rig.counter.keyframeStreams == [1, 0])
        #expect(rig.peer.stats(stream: 0).pli == 1 && rig.peer.stats.pli == 1)
        // Each stream's sender report carries its own SSRC and counts.
        let reports = rig.peer.tick().flatMap { datagram -> [RTCPPacket] in
            var d = datagram
            guard (try? rig.srtpIn.unprotectRTCP(&d)) != nil else { return [] }
            return (try? RTCPPacket.parseCompound(d)) ?? []
        }
        let srs = reports.compactMap { if case .senderReport(let sr) = $0 { sr } else { nil } }
        #expect(Set(srs.map(\.ssrc)) == [1234, 5678])
        #expect(srs.first { $0.ssrc == 5678 }?.packetCount == 6 && srs.first { $0.ssrc == 1234 }?.packetCount == 6)
        #expect(rig.peer.stats.packetsSent == 12 && rig.peer.stats(stream: 1).framesSent == 2)
    }

    @Test func nackResendsTheSameProtectedPackets() throws {
        let rig = try makeRig()
        let sent = rig.peer.send(batch(1, key: true))
        var first = sent[1]
        try rig.srtpIn.unprotect(&first)
        let lost = try RTPPacket.parse(first).sequenceNumber
        let resent = try rtcp(rig, [.nack(RTCPGenericNACK(senderSSRC: 1, mediaSSRC: 1234, lostSequenceNumbers: [lost, lost &+ 500]))])
        #expect(resent == [sent[1]])
        #expect(rig.peer.stats.retransmissions == 1 && rig.peer.stats.nacks == 1)
    }

    /// A resend is the shared packet protected again: byte for byte the first send, also for a
    /// packet far behind the newest (a lost keyframe's first packets, after hundreds more),
    /// and nothing for one the history no longer holds.
    @Test func nackResendsOldPacketsExactlyFromTheSharedHistory() throws {
        let rig = try makeRig()
        let first = rig.peer.send(batch(1, key: true))
        var sent = first
        for seq in 2...300 { sent += rig.peer.send(batch(seq, key: false)) }
        #expect(sent.count == 900)
        func sequence(_ p: [UInt8]) throws -> UInt16 {
            var p = p
            try rig.srtpIn.unprotect(&p)
            return try RTPPacket.parse(p).sequenceNumber
        }
        let oldest = try sequence(first[0])
        let resent = try rtcp(rig, [.nack(RTCPGenericNACK(senderSSRC: 1, mediaSSRC: 1234, lostSequenceNumbers: [oldest, oldest &+ 450]))])
        #expect(resent == [first[0], sent[450]])
        // 1024 later the slot holds another packet: nothing stale is sent.
        for seq in 301...700 { _ = rig.peer.send(batch(seq, key: false)) }
        #expect(try rtcp(rig, [.nack(RTCPGenericNACK(senderSSRC: 1, mediaSSRC: 1234, lostSequenceNumbers: [oldest]))]).isEmpty)
    }

    @Test func pliAndFirAskForAKeyframeAndRembIsReported() throws {
        let rig = try makeRig()
        _ = rig.peer.send(batch(1, key: true))
        let before = rig.keyframeRequests
        _ = try rtcp(rig, [.pictureLossIndication(RTCPPictureLossIndication(senderSSRC: 1, mediaSSRC: 1234))])
        #expect(rig.keyframeRequests == before + 1)
        #expect(rig.peer.stats.pli == 1)
        _ = try rtcp(rig, [.remb(RTCPREMB(senderSSRC: 1, bitrate: 800_000, ssrcs: [1234]))])
        #expect(rig.counter.estimates.last == 800)
    }

    /// A PLI inside the ask interval (the keyframe just asked for was lost) is kept and made
    /// when the interval ends, not dropped: the viewer would stay frozen until the next periodic
    /// keyframe, since a receiver like aiortc's sends one PLI per loss.
    @Test func aPLIRightAfterAnotherAskIsAnsweredWhenTheIntervalEnds() throws {
        let rig = try makeRig()
        _ = rig.peer.send(batch(1, key: true))
        let pli = RTCPPacket.pictureLossIndication(RTCPPictureLossIndication(senderSSRC: 1, mediaSSRC: 1234))
        let start = SystemClock.monotonicMicros()
        let interval = KeyframeRequester.defaultInterval
        let wall = NTPTimestamp(date: Date())
        _ = try rtcp(rig, [pli], now: start)
        #expect(rig.keyframeRequests == 1)
        _ = try rtcp(rig, [pli], now: start + 10_000)
        _ = rig.peer.tick(now: start + 20_000, wallClock: wall)
        _ = rig.peer.tick(now: start + interval - 1, wallClock: wall)
        #expect(rig.keyframeRequests == 1, "not before the interval ends")
        _ = rig.peer.tick(now: start + interval, wallClock: wall)
        #expect(rig.keyframeRequests == 2)
        // Nothing more is pending: further ticks ask for nothing.
        for i in 1...5 { _ = rig.peer.tick(now: start + interval + Int64(i) * 100_000, wallClock: wall) }
        #expect(rig.keyframeRequests == 2)
    }

    /// Once a picture went out, a tick sends a protected sender report with the stream's counts
    /// and CNAME, and then not again within the interval.
    /// One Opus packet of `track`, the `k`-th 20 ms of it, captured at `base` + k × 20 ms.
    func audioBatch(_ k: Int, track: UInt64, timestampBase: UInt32 = 0, capturedBase: Int64 = 1_700_000_000_000_000) -> RTPPacketBatch {
        let ts = timestampBase &+ UInt32(k * 960)
        return RTPPacketBatch(packets: [RTPOutboundPacket(payloadType: 0, timestamp: ts, marker: false, payload: [0x78, UInt8(k)],
                                                          reserveAbsSendTime: false, reserveTransportSequence: false)],
                              rtpTimestamp: ts, isKeyframe: true, picture: k, track: track, capturedAt: capturedBase + Int64(k) * 20_000)
    }

    /// Audio goes on its own SSRC and payload type, one packet per batch, the marker on the first
    /// packet of a talkspurt only (RFC 7587); a new source's packets go on from the last timestamp
    /// sent, as much later as they were captured; the old source's no longer go out. Its sender
    /// report maps the wall clock by capture time, like the video's.
    @Test func audioHasItsOwnStreamAndFollowsASwitchOfSource() throws {
        let rig = try makeRig(audioSSRC: 777)
        #expect(rig.peer.sendsAudio)
        rig.peer.restartAudio(track: 50)
        func parsed(_ packets: [[UInt8]]) throws -> [RTPPacket] {
            try packets.map { p in
                var p = p
                try rig.srtpIn.unprotect(&p)
                return try RTPPacket.parse(p)
            }
        }
        let first = try parsed((0..<3).flatMap { rig.peer.send(audioBatch($0, track: 50)) })
        #expect(first.map(\.ssrc) == [777, 777, 777] && first.map(\.payloadType) == [111, 111, 111])
        #expect(first.map(\.marker) == [true, false, false])
        #expect(first.map(\.timestamp) == [0, 960, 1920])
        #expect(first[1].sequenceNumber == first[0].sequenceNumber &+ 1 && first[2].sequenceNumber == first[1].sequenceNumber &+ 1)
        #expect(first.allSatisfy { $0.headerExtension == nil && $0.payload.count == 2 })

        // Another camera: its clock started elsewhere, its next packet was captured 20 ms after the last one sent.
        rig.peer.restartAudio(track: 51)
        #expect(rig.peer.send(audioBatch(3, track: 50)).isEmpty, "the old source's packets stop")
        let next = try parsed(rig.peer.send(audioBatch(3, track: 51, timestampBase: 123_456)))
        #expect(next.map(\.timestamp) == [2880] && next.map(\.marker) == [true])
        #expect(next[0].sequenceNumber == first[2].sequenceNumber &+ 1)
        #expect(rig.peer.audioStats.packets == 4)

        // The last packet (viewer timestamp 2880) was captured at base + 60 ms; a report at base + 100 ms says 2880 + 40 ms × 48.
        let wall = NTPTimestamp(ntpSeconds: 1_700_000_000.1 + NTPTimestamp.unixToNTPOffset)
        let reports = rig.peer.tick(now: SystemClock.monotonicMicros(), wallClock: wall).flatMap { datagram -> [RTCPPacket] in
            var d = datagram
            guard (try? rig.srtpIn.unprotectRTCP(&d)) != nil else { return [] }
            return (try? RTCPPacket.parseCompound(d)) ?? []
        }
        let sr = try #require(reports.compactMap { if case .senderReport(let sr) = $0, sr.ssrc == 777 { sr } else { nil } }.first)
        #expect(abs(Int(sr.rtpTimestamp) - (2880 + 1920)) <= 1, "\(sr.rtpTimestamp)")
        #expect(sr.packetCount == 4)
    }

    @Test func tickSendsSenderReports() throws {
        let rig = try makeRig()
        #expect(rig.peer.tick().isEmpty, "nothing sent, nothing to report")
        let sent = rig.peer.send(batch(1, key: true))
        let out = rig.peer.tick()
        #expect(out.count == 1)
        var bytes = try #require(out.first)
        try rig.srtpIn.unprotectRTCP(&bytes)
        let packets = try RTCPPacket.parseCompound(bytes)
        guard packets.count == 2, case .senderReport(let sr) = packets[0], case .sourceDescription(let sdes) = packets[1] else {
            Issue.record("\(packets)"); return
        }
        #expect(sr.ssrc == 1234 && sr.packetCount == 3 && Int(sr.octetCount) == sent.map(\.count).reduce(0, +))
        #expect(sdes == RTCPSourceDescription(ssrc: 1234, cname: "test"))
        #expect(rig.peer.tick().isEmpty)
    }

    /// A NACK for a packet the history no longer holds cannot be repaired: a keyframe is asked for.
    @Test func aNackForAPacketNoLongerHeldAsksForAKeyframe() throws {
        let rig = try makeRig()
        var first = rig.peer.send(batch(1, key: true))[0]
        try rig.srtpIn.unprotect(&first)
        let oldest = try RTPPacket.parse(first).sequenceNumber
        _ = try rtcp(rig, [.nack(RTCPGenericNACK(senderSSRC: 1, mediaSSRC: 1234, lostSequenceNumbers: [oldest]))])
        #expect(rig.keyframeRequests == 0, "a packet still held is resent, no keyframe needed")
        for seq in 2...400 { _ = rig.peer.send(batch(seq, key: false)) }
        _ = try rtcp(rig, [.nack(RTCPGenericNACK(senderSSRC: 1, mediaSSRC: 1234, lostSequenceNumbers: [oldest]))])
        #expect(rig.keyframeRequests == 1)
    }

    @Test func forgedOrGarbledRTCPIsDropped() throws {
        let rig = try makeRig()
        _ = rig.peer.send(batch(1, key: true))
        var plain = RTCPPacket.serializeCompound([.pictureLossIndication(RTCPPictureLossIndication(senderSSRC: 1, mediaSSRC: 1234))])
        #expect(rig.peer.receiveRTCP(plain).isEmpty)
        plain.reserveCapacity(plain.count + SRTPContext.maxTrailerLength)
        try rig.srtcpOut.protectRTCP(&plain)
        plain[plain.count - 3] ^= 0xFF
        let before = rig.keyframeRequests
        #expect(rig.peer.receiveRTCP(plain).isEmpty)
        #expect(rig.peer.receiveRTCP([0x80, 0xC9, 0x00]).isEmpty)
        #expect(rig.keyframeRequests == before)
    }

    /// Consent (RFC 7675) is kept by ICE checks or by RTCP that authenticates: some full-ICE
    /// agents (libnice) stop checking once connected and send only RTCP. Forged RTCP keeps nothing.
    @Test func authenticatedRTCPKeepsConsentForgedRTCPDoesNot() throws {
        let rig = try makeRig(consentTimeout: 1_000_000)
        // The last check was during the set-up, before this.
        let start = SystemClock.monotonicMicros()
        let wall = NTPTimestamp(date: Date())
        let report = RTCPPacket.serializeCompound([.pictureLossIndication(RTCPPictureLossIndication(senderSSRC: 1, mediaSSRC: 1234))])
        _ = try rtcp(rig, [.pictureLossIndication(RTCPPictureLossIndication(senderSSRC: 1, mediaSSRC: 1234))], now: start + 600_000)
        _ = rig.peer.tick(now: start + 1_200_000, wallClock: wall)
        #expect(rig.peer.state == .connected, "1.2 s after the last check, 0.6 s after authenticated RTCP")
        #expect(rig.peer.receiveRTCP(report, now: start + 1_300_000, wallClock: wall).isEmpty) // not protected: ignored
        _ = rig.peer.tick(now: start + 1_800_000, wallClock: wall)
        guard case .closed(let reason) = rig.peer.state else {
            Issue.record("still \(rig.peer.state) 1.2 s after the last authenticated RTCP"); return
        }
        #expect(reason.contains("consent expired"), "\(reason)")
    }

    @Test func closeSendsCloseNotify() throws {
        let rig = try makeRig()
        let out = rig.peer.close(reason: "bye")
        #expect(!out.isEmpty)
        for d in out { _ = rig.client.feed(d) }
        #expect(rig.client.state == .closed)
        #expect(rig.peer.send(batch(1, key: true)).isEmpty)
    }
}
