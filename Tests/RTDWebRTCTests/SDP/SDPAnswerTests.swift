import Foundation
import Testing
@testable import RTDWebRTC
@testable import RTDCore

@Suite struct SDPAnswerTests {
    static let fingerprint = SDPFingerprint(digest: Array(0..<32))

    static func serverConfig(codecs: [VideoCodec] = [.h264, .vp8], forced: VideoCodec? = nil,
                             dataChannels: Bool = true) -> SDPAnswerConfig {
        SDPAnswerConfig(
            iceUfrag: "srvU", icePwd: "server-password-0123456789", fingerprint: fingerprint,
            candidates: [ICECandidate(foundation: "1", priority: 2_130_706_431, address: "192.0.2.10", port: 40000, type: .host),
                         ICECandidate(foundation: "2", transport: "tcp", priority: 1_518_280_447, address: "192.0.2.10",
                                      port: 40000, type: .host, tcpType: "passive")],
            videoSenders: [SDPVideoSender(ssrc: 0x1234_5678, streamID: "rtd-stream", trackID: "rtd-video")], cname: "rtd-cname",
            codecs: codecs, forcedCodec: forced, dataChannelsSupported: dataChannels, sessionID: 42)
    }

    private func answer(_ fixture: String, _ config: SDPAnswerConfig = SDPAnswerTests.serverConfig()) throws
        -> (offer: SessionDescription, answer: SessionDescription, negotiated: NegotiatedSession) {
        let offer = try SessionDescription.parse(fixture)
        let (answer, negotiated) = try SDPAnswerer.makeAnswer(offer: offer, config: config)
        // The answer must survive our own parser unchanged.
        let reparsed = try SessionDescription.parse(answer.serialized())
        #expect(reparsed == answer)
        #expect(answer.serialized().contains("\r\n"))
        #expect(!answer.serialized().replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        return (offer, reparsed, negotiated)
    }

    @Test func answersChromiumOfferWithH264() throws {
        let (offer, answer, negotiated) = try answer(SDPFixtures.chromiumRecvonlyWithDataChannel)
        #expect(answer.isICELite)
        #expect(answer.bundleGroup?.mids == ["0", "1"])
        #expect(answer.media.map(\.mid) == offer.media.map(\.mid))

        let video = answer.media[0]
        // 108 is Chromium's constrained-baseline 42e01f with packetization-mode=1.
        #expect(video.formats == ["108"])
        #expect(video.formatParameters(for: 108)?.parameters == "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f")
        #expect(video.rtpMap(for: 108)?.encodingName == "H264")
        #expect(video.direction == .sendonly)
        #expect(video.setup == .passive)
        #expect(video.hasRTCPMux && video.hasRTCPReducedSize)
        #expect(video.iceUfrag == "srvU")
        #expect(video.candidates.count == 2)
        #expect(video.hasEndOfCandidates)
        #expect(video.port == 40000)
        #expect(video.connection?.address == "192.0.2.10")
        #expect(video.extmaps.map(\.id) == [2, 4])
        #expect(Set(video.rtcpFeedback(for: 108).map { "\($0.type) \($0.parameter ?? "")" }) ==
                ["goog-remb ", "transport-cc ", "ccm fir", "nack ", "nack pli"])
        #expect(video.ssrcAttributes.contains(SDPSSRCAttribute(ssrc: 0x1234_5678, name: "cname", value: "rtd-cname")))
        #expect(video.ssrcAttributes.contains(SDPSSRCAttribute(ssrc: 0x1234_5678, name: "msid", value: "rtd-stream rtd-video")))
        #expect(video.msid == SDPMediaStreamID(streamID: "rtd-stream", trackID: "rtd-video"))

        let data = answer.media[1]
        #expect(data.port == 40000)
        #expect(data.sctpPort == 5000)
        #expect(data.maxMessageSize == 262_144)

        let v = try #require(negotiated.video)
        #expect(v.codec == .h264)
        #expect(v.payloadType == 108)
        #expect(v.absSendTimeID == 2)
        #expect(v.transportCCID == 4)
        #expect(v.feedback == RTCPFeedbackSupport(nack: true, pli: true, fir: true, remb: true, transportCC: true))
        #expect(v.localDirection == .sendonly)
        #expect(negotiated.remoteICEUfrag == "mdV0")
        #expect(negotiated.remoteICEPwd == "OEvUQBRPA6wJ/Z8TLQD07SOc")
        #expect(negotiated.remoteSetup == .actpass)
        #expect(negotiated.localSetup == .passive)
        #expect(negotiated.remoteFingerprints.count == 1)
        #expect(negotiated.remoteCandidates.count == 2)
        #expect(negotiated.dataChannel == NegotiatedDataChannel(mid: "1", remoteSCTPPort: 5000, localSCTPPort: 5000,
                                                               remoteMaxMessageSize: 262_144))
        #expect(negotiated.bundleMids == ["0", "1"])
        #expect(negotiated.rejectedMids.isEmpty)
    }

    @Test func forcedH264PicksPacketizationMode1Baseline() throws {
        for fixture in SDPParseTests.h264Fixtures {
            let (_, answer, negotiated) = try answer(fixture, Self.serverConfig(codecs: [.vp8, .h264], forced: .h264))
            let video = try #require(negotiated.video)
            #expect(video.codec == .h264)
            let parameters = try #require(answer.media.first { $0.formats == [String(video.payloadType)] }?
                .formatParameters(for: Int(video.payloadType))?.parameterMap)
            #expect(parameters["packetization-mode"] == "1")
            #expect(["42e01f", "42001f"].contains(parameters["profile-level-id"]))
        }
    }

    @Test func vp8PreferenceKeepsOfferedPayloadType() throws {
        let chromium = try answer(SDPFixtures.chromiumRecvonlyWithDataChannel, Self.serverConfig(codecs: [.vp8, .h264])).negotiated
        #expect(chromium.video?.codec == .vp8)
        #expect(chromium.video?.payloadType == 96)
        let aiortc = try answer(SDPFixtures.aiortcRecvonlyWithDataChannel, Self.serverConfig(forced: .vp8)).negotiated
        #expect(aiortc.video?.payloadType == 97)
    }

    @Test func answersAiortcOffer() throws {
        let (_, answer, negotiated) = try answer(SDPFixtures.aiortcRecvonlyWithDataChannel)
        let video = try #require(negotiated.video)
        #expect(video.payloadType == 101) // aiortc's 42e01f, preferred over its 42001f (99)
        #expect(video.absSendTimeID == 3)
        #expect(video.transportCCID == nil)
        #expect(video.feedback == RTCPFeedbackSupport(nack: true, pli: true, remb: true))
        #expect(video.rtcpReducedSize == false)
        #expect(video.remoteSSRCs == [1361047393, 2046988864])
        #expect(answer.media[0].extmaps.map(\.uri) == [SDPExtmap.absSendTimeURI])
        #expect(negotiated.remoteCandidates.map(\.port) == [47820, 56807])
        #expect(negotiated.remoteEndOfCandidates)
        #expect(negotiated.remoteFingerprints.count == 3)
        #expect(negotiated.dataChannel?.remoteSCTPPort == 5000)
        #expect(answer.bundleGroup?.mids == ["0", "1"])
    }

    @Test func answersFirefoxOfferWithVP8AndSessionLevelFingerprint() throws {
        let (offer, answer, negotiated) = try answer(SDPFixtures.firefoxRecvonlyWithDataChannel)
        #expect(offer.media[0].fingerprints.isEmpty) // Firefox puts it at session level
        #expect(offer.media[0].candidates.contains { $0.isTCP && $0.tcpType == "active" && $0.port == 9 })
        let video = try #require(negotiated.video)
        #expect(video.codec == .vp8)
        #expect(video.payloadType == 120)
        #expect(video.absSendTimeID == 4)
        #expect(video.transportCCID == 7)
        #expect(negotiated.remoteFingerprints.first?.value.hasPrefix("B4:5A") == true)
        #expect(negotiated.remoteICEUfrag == "b937c576")
        #expect(negotiated.dataChannel?.remoteMaxMessageSize == 1_073_741_823)
        #expect(answer.media[0].direction == .sendonly)
        #expect(answer.bundleGroup?.mids == ["0", "1"])

        // Without OpenH264, Firefox offers no H.264 at all.
        let offerParsed = try SessionDescription.parse(SDPFixtures.firefoxRecvonlyWithDataChannel)
        #expect(throws: SDPNegotiationError.self) {
            try SDPAnswerer.makeAnswer(offer: offerParsed, config: Self.serverConfig(forced: .h264))
        }
    }

    @Test func rejectsDataChannelWhenUnsupported() throws {
        for fixture in [SDPFixtures.chromiumRecvonlyWithDataChannel, SDPFixtures.aiortcRecvonlyWithDataChannel,
                        SDPFixtures.firefoxRecvonlyWithDataChannel] {
            let (_, answer, negotiated) = try answer(fixture, Self.serverConfig(dataChannels: false))
            let data = answer.media[1]
            #expect(data.port == 0)
            #expect(data.mid == "1")
            #expect(data.sctpPort == nil)
            #expect(data.candidates.isEmpty)
            #expect(answer.bundleGroup?.mids == ["0"])
            #expect(negotiated.dataChannel == nil)
            #expect(negotiated.rejectedMids == ["1"])
        }
    }

    /// No sound to send (the camera has none): the audio section is answered inactive, in the
    /// bundle, with no stream of ours; the video is answered as before.
    @Test func audioWithoutSoundToSendIsInactive() throws {
        let (offer, answer, negotiated) = try answer(SDPFixtures.chromiumAudioVideoDataChannel)
        #expect(offer.media.map(\.media) == ["audio", "video", "application"])
        let audio = answer.media[0]
        #expect(audio.media == "audio" && audio.mid == "0" && audio.port == 40000)
        #expect(audio.direction == .inactive && audio.msid == nil && audio.ssrcAttributes.isEmpty)
        #expect(audio.formats == ["111"] && audio.hasRTCPMux)
        #expect(answer.media[1].port != 0 && answer.media[1].direction == .sendonly)
        #expect(answer.bundleGroup?.mids == ["0", "1", "2"])
        #expect(negotiated.rejectedMids.isEmpty && negotiated.bundleMids == ["0", "1", "2"])
        #expect(negotiated.audio?.localDirection == .inactive)
        #expect(negotiated.video?.mid == "1")
        #expect(negotiated.dataChannel?.mid == "2")
    }

    static func audioConfig() -> SDPAnswerConfig {
        var config = serverConfig()
        config.audioSender = SDPAudioSender(ssrc: 0x0A0D_10, streamID: "rtd-stream")
        return config
    }

    /// The audio section of an answer that sends Opus: sendonly, the offer's Opus payload type,
    /// RFC 7587 fmtp, its own SSRC in the video's media stream, no feedback and no extensions.
    private func expectOpus(_ audio: MediaDescription, pt: Int) {
        #expect(audio.media == "audio" && audio.port == 40000)
        #expect(audio.formats == [String(pt)])
        #expect(audio.rtpMap(for: pt) == SDPRTPMap(payloadType: pt, encodingName: "opus", clockRate: 48_000, encodingParameters: "2"))
        #expect(audio.formatParameters(for: pt)?.parameters == "minptime=10;useinbandfec=1")
        #expect(audio.direction == .sendonly && audio.setup == .passive && audio.hasRTCPMux)
        #expect(audio.msid == SDPMediaStreamID(streamID: "rtd-stream", trackID: "audio"))
        #expect(audio.ssrcAttributes.contains(SDPSSRCAttribute(ssrc: 0x0A0D_10, name: "cname", value: "rtd-cname")))
        #expect(audio.ssrcAttributes.contains(SDPSSRCAttribute(ssrc: 0x0A0D_10, name: "msid", value: "rtd-stream audio")))
        #expect(audio.extmaps.isEmpty && audio.rtcpFeedback(for: pt).isEmpty)
    }

    @Test func answersChromiumAudioWithOpus() throws {
        let (_, answer, negotiated) = try answer(SDPFixtures.chromiumAudioVideoDataChannel, Self.audioConfig())
        #expect(answer.media.map(\.mid) == ["0", "1", "2"])
        expectOpus(answer.media[0], pt: 111)
        #expect(answer.media[0].hasRTCPReducedSize)
        #expect(answer.media[1].direction == .sendonly && answer.media[2].sctpPort == 5000)
        #expect(answer.bundleGroup?.mids == ["0", "1", "2"])
        #expect(negotiated.audio == NegotiatedAudio(mid: "0", payloadType: 111, localDirection: .sendonly,
                                                    remoteFormatParameters: "minptime=10;useinbandfec=1"))
        #expect(negotiated.video?.mid == "1" && negotiated.dataChannel?.mid == "2" && negotiated.rejectedMids.isEmpty)
        #expect(answer.serialized().contains("a=msid-semantic: WMS rtd-stream\r\n"), "one stream for audio and video")
    }

    @Test func answersAiortcAudioWithOpus() throws {
        let (_, answer, negotiated) = try answer(SDPFixtures.aiortcAudioVideoDataChannel, Self.audioConfig())
        expectOpus(answer.media[0], pt: 96)
        #expect(!answer.media[0].hasRTCPReducedSize)
        #expect(negotiated.audio?.payloadType == 96 && negotiated.audio?.remoteFormatParameters == nil)
        #expect(answer.media[1].direction == .sendonly && negotiated.video?.codec == .h264)
        #expect(negotiated.dataChannel?.mid == "2" && answer.bundleGroup?.mids == ["0", "1", "2"])
    }

    /// An audio section without Opus at 48 kHz stereo is rejected (port 0, its mid kept, out of
    /// the bundle), and the video is answered as before.
    @Test func rejectsAudioWithoutOpus() throws {
        var offer = try SessionDescription.parse(SDPFixtures.chromiumAudioVideoDataChannel)
        offer.media[0].formats.removeAll { $0 == "111" || $0 == "63" }
        offer.media[0].attributes.removeAll {
            switch $0 {
            case .rtpmap(let map): map.payloadType == 111 || map.payloadType == 63
            case .fmtp(let fmtp): fmtp.format == "111" || fmtp.format == "63"
            default: false
            }
        }
        let (answer, negotiated) = try SDPAnswerer.makeAnswer(offer: offer, config: Self.audioConfig())
        #expect(answer.media[0].port == 0 && answer.media[0].mid == "0" && answer.media[0].direction == .inactive)
        #expect(negotiated.audio == nil && negotiated.rejectedMids == ["0"])
        #expect(answer.media[1].direction == .sendonly && negotiated.video?.mid == "1")
        #expect(answer.bundleGroup?.mids == ["1", "2"])
    }

    /// Sound is extra: an audio section without a=rtcp-mux is rejected, not the whole offer.
    @Test func audioWithoutRTCPMuxIsRejected() throws {
        var offer = try SessionDescription.parse(SDPFixtures.aiortcAudioVideoDataChannel)
        offer.media[0].attributes.removeAll { $0 == .rtcpMux }
        let (answer, negotiated) = try SDPAnswerer.makeAnswer(offer: offer, config: Self.audioConfig())
        #expect(answer.media[0].port == 0 && negotiated.audio == nil && negotiated.rejectedMids == ["0"])
        #expect(answer.media[1].direction == .sendonly && negotiated.video?.mid == "1")
    }

    /// An offer that sends audio but does not want to receive any gets an inactive section (and
    /// nothing sent on it).
    @Test func audioTheOfferDoesNotReceiveIsInactive() throws {
        var offer = try SessionDescription.parse(SDPFixtures.aiortcAudioVideoDataChannel)
        offer.media[0].attributes = offer.media[0].attributes.map { if case .direction = $0 { .direction(.sendonly) } else { $0 } }
        let (answer, negotiated) = try SDPAnswerer.makeAnswer(offer: offer, config: Self.audioConfig())
        #expect(answer.media[0].port != 0 && answer.media[0].direction == .inactive && answer.media[0].msid == nil)
        #expect(negotiated.audio?.localDirection == .inactive)
    }

    /// A grid on one connection: Chromium's offer with three recvonly video sections (one per
    /// transceiver) and the data channel, answered with two streams. Each of the first two sections
    /// sends its own SSRC and a=msid; the third is rejected; one stream's own forced codec holds.
    @Test func answersSeveralVideoSectionsOneStreamEach() throws {
        var offer = try SessionDescription.parse(SDPFixtures.chromiumRecvonlyWithDataChannel)
        let video = offer.media[0]
        for mid in ["2", "3"] {
            var copy = video
            copy.attributes = copy.attributes.map { if case .mid = $0 { .mid(mid) } else { $0 } }
            offer.media.append(copy)
        }
        offer.attributes = offer.attributes.map { if case .group = $0 { .group(SDPGroup(semantics: "BUNDLE", mids: ["0", "1", "2", "3"])) } else { $0 } }
        var config = Self.serverConfig()
        config.videoSenders = [SDPVideoSender(ssrc: 11, streamID: "rtd-a"), SDPVideoSender(ssrc: 22, streamID: "rtd-b", forcedCodec: .vp8)]
        let (answer, negotiated) = try SDPAnswerer.makeAnswer(offer: offer, config: config)
        #expect(try SessionDescription.parse(answer.serialized()) == answer)
        #expect(answer.media.map(\.mid) == ["0", "1", "2", "3"])
        #expect(negotiated.videos.map(\.mid) == ["0", "2"])
        #expect(negotiated.videos.map(\.codec) == [.h264, .vp8])
        #expect(answer.media[0].ssrcs == [11] && answer.media[0].msid?.streamID == "rtd-a" && answer.media[0].direction == .sendonly)
        #expect(answer.media[2].ssrcs == [22] && answer.media[2].msid?.streamID == "rtd-b" && answer.media[2].direction == .sendonly)
        #expect(answer.media[2].rtpMap(for: Int(negotiated.videos[1].payloadType))?.encodingName == "VP8")
        #expect(answer.media[3].port == 0 && negotiated.rejectedMids == ["3"])
        #expect(answer.bundleGroup?.mids == ["0", "1", "2"])
        #expect(answer.serialized().contains("a=msid-semantic: WMS rtd-a rtd-b\r\n"))
        #expect(negotiated.dataChannel?.mid == "1")
    }

    @Test func sendonlyOfferGetsInactiveAnswer() throws {
        let text = SDPFixtures.chromiumRecvonlyWithDataChannel.replacingOccurrences(of: "a=recvonly", with: "a=sendonly")
        let (_, answer, negotiated) = try answer(text)
        #expect(answer.media[0].direction == .inactive)
        #expect(answer.media[0].ssrcs.isEmpty)
        #expect(negotiated.video == nil)
        #expect(negotiated.dataChannel != nil)
    }

    @Test func negotiationErrorsAreSpecific() throws {
        let base = SDPFixtures.chromiumRecvonlyWithDataChannel
        func failure(_ text: String, _ config: SDPAnswerConfig = SDPAnswerTests.serverConfig()) throws -> SDPNegotiationError? {
            let offer = try SessionDescription.parse(text)
            do {
                _ = try SDPAnswerer.makeAnswer(offer: offer, config: config)
                return nil
            } catch {
                return error
            }
        }
        func removingLines(_ prefix: String) -> String {
            base.split(separator: "\n").filter { !$0.hasPrefix(prefix) }.joined(separator: "\n")
        }
        #expect(try failure(removingLines("a=ice-ufrag")) == .missingICEUfrag(mid: "0"))
        #expect(try failure(removingLines("a=ice-pwd")) == .missingICEPwd(mid: "0"))
        #expect(try failure(removingLines("a=fingerprint")) == .missingFingerprint(mid: "0"))
        #expect(try failure(removingLines("a=rtcp-mux")) == .rtcpMuxRequired(mid: "0"))
        #expect(try failure(base.replacingOccurrences(of: "a=setup:actpass", with: "a=setup:passive"))
                == .unsupportedSetupRole(mid: "0", role: .passive))

        let vp9Only = removingLines("a=rtpmap:96").replacingOccurrences(of: "H264/90000", with: "H265/90000")
        guard case .noAcceptableCodec(let mid, let offered, let acceptable)? = try failure(vp9Only) else {
            Issue.record("expected noAcceptableCodec"); return
        }
        #expect(mid == "0")
        #expect(offered.contains("98 VP9"))
        let text = SDPNegotiationError.noAcceptableCodec(mid: mid, offered: offered, acceptable: acceptable).description
        #expect(text.contains("no acceptable video codec") && text.contains("H.264") && text.contains("VP8"), "\(text)")

        // Forced H.264 with only packetization-mode=0 / non-baseline profiles on offer: the error
        // says H.264 is what is needed, and does not suggest the VP8 that was offered.
        let noMode1 = base.replacingOccurrences(of: "packetization-mode=1;profile-level-id=42", with: "packetization-mode=0;profile-level-id=42")
        let forced = try failure(noMode1, Self.serverConfig(forced: .h264))
        #expect(forced == .noAcceptableCodec(mid: "0", offered: try SessionDescription.parse(noMode1).media[0].rtpMaps.map { "\($0.payloadType) \($0.encodingName)" },
                                             acceptable: [.h264]))
        #expect(forced.map { $0.description.contains("need H.264 packetization-mode=1 constrained baseline)") } == true)
    }

    @Test func sessionLevelCredentialsAreHonoured() throws {
        // Firefox-style: ICE credentials and fingerprint at session level only.
        var offer = try SessionDescription.parse(SDPFixtures.aiortcRecvonlyWithDataChannel)
        let moved: [SDPAttribute] = [.iceUfrag("sessU"), .icePwd("session-password-xxxxxxxx"),
                                     .fingerprint(SDPFingerprint(hashFunction: "sha-256", value: "AA:BB"))]
        offer.attributes += moved
        for i in offer.media.indices {
            offer.media[i].attributes.removeAll { attribute in
                switch attribute {
                case .iceUfrag, .icePwd, .fingerprint: true
                default: false
                }
            }
        }
        let (_, negotiated) = try SDPAnswerer.makeAnswer(offer: offer, config: Self.serverConfig())
        #expect(negotiated.remoteICEUfrag == "sessU")
        #expect(negotiated.remoteFingerprints.map(\.value) == ["AA:BB"])
    }

    @Test func offererAndAnswererAgree() throws {
        let clientConfig = SDPOfferConfig(
            iceUfrag: "cliU", icePwd: "client-password-0123456789",
            fingerprint: SDPFingerprint(digest: Array(repeating: 0xAB, count: 32)),
            candidates: [ICECandidate(foundation: "9", priority: 2_130_706_431, address: "198.51.100.4", port: 50000, type: .host)],
            sessionID: 7)
        let offer = SDPOfferer.makeOffer(config: clientConfig)
        let offerText = offer.serialized()
        #expect(offerText.contains("a=fmtp:96 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"))
        #expect(offerText.contains("a=setup:actpass\r\n"))
        #expect(offerText.contains("a=group:BUNDLE 0 1\r\n"))
        #expect(offerText.contains("m=application 50000 UDP/DTLS/SCTP webrtc-datachannel\r\n"))

        let parsedOffer = try SessionDescription.parse(offerText)
        #expect(parsedOffer == offer)
        let (answer, serverSide) = try SDPAnswerer.makeAnswer(offer: parsedOffer, config: Self.serverConfig())
        #expect(serverSide.video?.payloadType == 96)
        #expect(serverSide.video?.absSendTimeID == 2)
        #expect(serverSide.video?.transportCCID == 3)
        #expect(serverSide.remoteCandidates.first?.port == 50000)

        let clientSide = try SDPOfferer.parseAnswer(try SessionDescription.parse(answer.serialized()), offer: parsedOffer)
        let video = try #require(clientSide.video)
        #expect(video.codec == .h264)
        #expect(video.payloadType == 96)
        #expect(video.localDirection == .recvonly)
        #expect(video.remoteSSRCs == [0x1234_5678])
        #expect(video.absSendTimeID == 2 && video.transportCCID == 3)
        #expect(video.feedback == RTCPFeedbackSupport(nack: true, pli: true, fir: true, remb: true, transportCC: true))
        #expect(clientSide.remoteICELite)
        #expect(clientSide.remoteICEUfrag == "srvU")
        #expect(clientSide.remoteSetup == .passive)
        #expect(clientSide.localSetup == .active)
        #expect(clientSide.remoteCandidates.count == 2)
        #expect(clientSide.dataChannel?.remoteSCTPPort == 5000)
        #expect(clientSide.bundleMids == ["0", "1"])

        let vp8 = try SDPAnswerer.makeAnswer(offer: parsedOffer, config: Self.serverConfig(forced: .vp8)).answer
        #expect(try SDPOfferer.parseAnswer(vp8, offer: parsedOffer).video?.codec == .vp8)

        var wrong = answer
        wrong.media.removeLast()
        #expect(throws: SDPNegotiationError.self) { try SDPOfferer.parseAnswer(wrong, offer: parsedOffer) }
    }

    /// Writes answers for the fixtures when RTD_WRITE_ANSWERS_DIR is set, so that
    /// tools/verify_answer_in_chromium.py can feed them to a real browser.
    @Test func writesAnswersForBrowserCheckWhenAsked() throws {
        guard let directory = ProcessInfo.processInfo.environment["RTD_WRITE_ANSWERS_DIR"] else { return }
        let fixtures = [("chromium_recvonly_dc_h264", SDPFixtures.chromiumRecvonlyWithDataChannel, Self.serverConfig()),
                        ("chromium_recvonly_dc_vp8", SDPFixtures.chromiumRecvonlyWithDataChannel, Self.serverConfig(forced: .vp8)),
                        ("chromium_audio_video_dc", SDPFixtures.chromiumAudioVideoDataChannel, Self.serverConfig()),
                        ("chromium_recvonly_nodc", SDPFixtures.chromiumRecvonlyWithDataChannel, Self.serverConfig(dataChannels: false)),
                        ("firefox_recvonly_dc_vp8", SDPFixtures.firefoxRecvonlyWithDataChannel, Self.serverConfig())]
        for (name, fixture, config) in fixtures {
            let answer = try SDPAnswerer.makeAnswer(offer: try SessionDescription.parse(fixture), config: config).answer
            try answer.serialized().write(toFile: "\(directory)/\(name).sdp", atomically: true, encoding: .utf8)
        }
    }
}
