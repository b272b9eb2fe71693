import Testing
import RTDTestSupport
@testable import RTDWebRTC

@Suite struct SDPParseTests {
    static let allFixtures = [SDPFixtures.chromiumRecvonlyWithDataChannel,
                              SDPFixtures.chromiumAudioVideoDataChannel,
                              SDPFixtures.aiortcRecvonlyWithDataChannel,
                              SDPFixtures.firefoxRecvonlyWithDataChannel]
    static let h264Fixtures = [SDPFixtures.chromiumRecvonlyWithDataChannel,
                               SDPFixtures.chromiumAudioVideoDataChannel,
                               SDPFixtures.aiortcRecvonlyWithDataChannel]

    @Test func parsesChromiumOffer() throws {
        let offer = try SessionDescription.parse(SDPFixtures.chromiumRecvonlyWithDataChannel)
        #expect(offer.version == 0)
        #expect(offer.origin.sessionID == "2832702918810880045")
        #expect(offer.bundleGroup?.mids == ["0", "1"])
        #expect(offer.otherAttributes(named: "extmap-allow-mixed") == [nil])
        #expect(offer.media.count == 2)

        let video = offer.media[0]
        #expect(video.media == "video")
        #expect(video.proto == "UDP/TLS/RTP/SAVPF")
        #expect(video.mid == "0")
        #expect(video.direction == .recvonly)
        #expect(video.hasRTCPMux && video.hasRTCPReducedSize)
        #expect(video.iceUfrag == "mdV0")
        #expect(video.icePwd == "OEvUQBRPA6wJ/Z8TLQD07SOc")
        #expect(video.iceOptions == ["trickle"])
        #expect(video.setup == .actpass)
        #expect(video.fingerprints.first?.hashFunction == "sha-256")
        #expect(video.fingerprints.first?.digest?.count == 32)
        #expect(video.payloadTypes.count == video.formats.count)
        #expect(video.rtpMap(for: 96) == SDPRTPMap(payloadType: 96, encodingName: "VP8", clockRate: 90000))
        #expect(video.formatParameters(for: 108)?.parameterMap["profile-level-id"] == "42e01f")
        #expect(video.rtcpFeedback(for: 102).count == 5)
        #expect(video.extmaps.first { $0.uri == SDPExtmap.transportWideCCURI }?.id == 4)

        let candidates = video.candidates
        #expect(candidates.count == 2)
        #expect(candidates.allSatisfy { $0.isMDNS && $0.isUDP && $0.type == .host })
        #expect(candidates[0].generation == 0)
        #expect(candidates[0].extensions == [ICECandidate.Extension(name: "network-cost", value: "999")])

        let data = offer.media[1]
        #expect(data.formats == ["webrtc-datachannel"])
        #expect(data.sctpPort == 5000)
        #expect(data.maxMessageSize == 262144)
    }

    @Test func parsesAiortcOffer() throws {
        let offer = try SessionDescription.parse(SDPFixtures.aiortcRecvonlyWithDataChannel)
        let video = offer.media[0]
        #expect(video.port == 47820)
        #expect(video.connection == SDPConnection(address: "192.0.2.2"))
        #expect(video.candidates.map(\.address) == ["192.0.2.2", "fd00::2"])
        #expect(video.hasEndOfCandidates)
        #expect(video.fingerprints.map(\.hashFunction) == ["sha-256", "sha-384", "sha-512"])
        #expect(video.ssrcGroups == [SDPSSRCGroup(semantics: "FID", ssrcs: [1361047393, 2046988864])])
        #expect(video.ssrcs == [1361047393, 2046988864])
        #expect(video.msid?.trackID == "52d8a085-809c-4032-bce2-e59e4f0ac475")
    }

    @Test(arguments: allFixtures)
    func roundTripsFixturesExactly(_ text: String) throws {
        let parsed = try SessionDescription.parse(text)
        let serialized = parsed.serialized()
        #expect(serialized == text.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n")
        #expect(try SessionDescription.parse(serialized) == parsed)
    }

    @Test func preservesUnknownAttributesAndFields() throws {
        let text = """
            v=0
            o=- 1 1 IN IP4 127.0.0.1
            s=-
            i=session info
            b=AS:300
            t=0 0
            a=x-custom:some value
            a=flag-only
            m=video 9 UDP/TLS/RTP/SAVPF 96
            i=media info
            c=IN IP6 ::
            b=TIAS:100000
            a=x-media:1 2 3
            a=rtpmap:96 VP8/90000
            """
        let parsed = try SessionDescription.parse(text)
        #expect(parsed.otherAttributes(named: "x-custom") == ["some value"])
        #expect(parsed.media[0].otherAttributes(named: "x-media") == ["1 2 3"])
        #expect(parsed.media[0].otherFields.map(\.type) == ["i", "b"])
        #expect(parsed.serialized() == text.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n")
    }

    @Test func parsesCandidateVariants() throws {
        let tcp = try ICECandidate.parse("candidate:1 1 tcp 1518280447 192.168.1.5 9 typ host tcptype active generation 0 ufrag abcd network-id 1")
        #expect(tcp.isTCP)
        #expect(tcp.tcpType == "active")
        #expect(tcp.port == 9)
        #expect(tcp.ufrag == "abcd")
        #expect(tcp.extensions == [ICECandidate.Extension(name: "network-id", value: "1")])
        #expect(tcp.attributeValue == "1 1 tcp 1518280447 192.168.1.5 9 typ host tcptype active generation 0 ufrag abcd network-id 1")

        let srflx = try ICECandidate.parse("842163049 1 udp 1677729535 203.0.113.7 61234 typ srflx raddr 0.0.0.0 rport 0 generation 0")
        #expect(srflx.type == .srflx)
        #expect(srflx.relatedAddress == "0.0.0.0")
        #expect(srflx.relatedPort == 0)

        let mdns = try ICECandidate.parse("candidate:3 1 UDP 2122252543 4f1d-11aa.local 50000 typ host")
        #expect(mdns.isMDNS && mdns.isUDP)

        #expect(ICECandidate.priority(typePreference: 126, localPreference: 65535) == 2_130_706_431)

        for bad in ["1 1 udp", "1 1 udp 99999999999 1.2.3.4 5 typ host", "1 1 udp 1 1.2.3.4 70000 typ host",
                    "1 1 udp 1 1.2.3.4 5 type host", "1 1 udp 1 1.2.3.4 5 typ weird", "1 1 udp 1 1.2.3.4 5 typ host raddr"] {
            #expect(throws: SDPParseError.self) { try ICECandidate.parse(bad) }
        }
    }

    @Test func reportsLineNumbers() {
        let cases: [(String, Int)] = [
            ("o=- 1 1 IN IP4 1.1.1.1\n", 1),
            ("v=0\no=- 1 1 IN IP4 1.1.1.1\ns=-\nt=0 0\nm=video abc UDP/TLS/RTP/SAVPF 96\n", 5),
            ("v=0\r\no=- 1 1 IN IP4 1.1.1.1\r\ns=-\r\nt=0 0\r\nm=video 9 RTP/AVP 96\r\na=rtpmap:96 VP8\r\n", 6),
            ("v=0\no=- 1 1 IN IP4 1.1.1.1\ns=-\nnonsense\n", 4),
            ("v=0\no=- 1 1\n", 2),
            ("v=0\no=- 1 1 IN IP4 x\ns=-\nt=0 0\nm=video 9 P 96\na=setup:sideways\n", 6),
            ("v=0\no=- 1 1 IN IP4 x\ns=-\nt=0 0\nm=video 9 P 96\na=ssrc:notanumber cname:x\n", 6),
            ("v=0\no=- 1 1 IN IP4 x\ns=-\nt=0 0\nm=video 9 P 96\na=candidate:1 1 udp 1 x 1 typ host\na=extmap:0 urn:x\n", 7),
        ]
        for (text, line) in cases {
            do {
                _ = try SessionDescription.parse(text)
                Issue.record("expected an error for \(text)")
            } catch {
                #expect(error.line == line, "\(error)")
                #expect(!error.reason.isEmpty)
            }
        }
    }

    @Test func hostileTextNeverCrashes() {
        var rng = SeededRandom(seed: 0x5D9)
        let seeds = Self.allFixtures.map { Array($0.utf8) }
        let alphabet = Array("v=o-sctm a:/0123456789 \r\n\t.;*".utf8) + [0xFF, 0xC3]
        let config = SDPAnswerTests.serverConfig()
        for (i, input) in hostileInputs(from: seeds, count: 2000, seed: 0xABCD).enumerated() {
            var bytes = input
            // Text-aware mutations too: swap in SDP-significant characters.
            if i % 3 == 0 {
                for _ in 0..<8 where !bytes.isEmpty {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = alphabet.randomElement(using: &rng) ?? 0
                }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            if let parsed = try? SessionDescription.parse(text) {
                _ = parsed.serialized()
                _ = try? SDPAnswerer.makeAnswer(offer: parsed, config: config)
            }
        }
        // Whole-line deletions and duplications keep lines valid but break structure.
        let lines = SDPFixtures.chromiumRecvonlyWithDataChannel.split(separator: "\n")
        for _ in 0..<1000 {
            var mutated = lines
            for _ in 0..<3 where !mutated.isEmpty {
                let index = Int.random(in: 0..<mutated.count, using: &rng)
                if Bool.random(using: &rng) { mutated.remove(at: index) } else { mutated.insert(mutated[index], at: Int.random(in: 0...mutated.count, using: &rng)) }
            }
            if let parsed = try? SessionDescription.parse(mutated.joined(separator: "\n")) {
                _ = try? SDPAnswerer.makeAnswer(offer: parsed, config: config)
            }
        }
    }
}
