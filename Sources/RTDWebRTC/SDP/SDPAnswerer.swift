import RTDCore
/// Server-side answerer: ICE-lite, DTLS passive, send-only video plus optional data channel.

/// One video stream the answerer sends: its SSRC, its a=msid (stream and track ids), and the
/// one codec it must use, if its source allows only one.
public struct SDPVideoSender: Sendable, Hashable {
    public var ssrc: UInt32
    public var streamID: String
    public var trackID: String
    public var forcedCodec: VideoCodec?

    public init(ssrc: UInt32, streamID: String, trackID: String = "video", forcedCodec: VideoCodec? = nil) {
        self.ssrc = ssrc
        self.streamID = streamID
        self.trackID = trackID
        self.forcedCodec = forcedCodec
    }
}

/// The audio stream the answerer sends, if its source has sound: Opus, in the same media stream
/// (`streamID`) as the video it belongs with, so a browser plays the two in sync.
public struct SDPAudioSender: Sendable, Hashable {
    public var ssrc: UInt32
    public var streamID: String
    public var trackID: String
    /// Whether the source is stereo (the answer's `stereo=1`); Opus on RTP is always `opus/48000/2`.
    public var stereo: Bool

    public init(ssrc: UInt32, streamID: String, trackID: String = "audio", stereo: Bool = false) {
        self.ssrc = ssrc
        self.streamID = streamID
        self.trackID = trackID
        self.stereo = stereo
    }
}

public struct SDPAnswerConfig: Sendable {
    public var iceUfrag: String
    public var icePwd: String
    /// Our certificate fingerprint (sha-256).
    public var fingerprint: SDPFingerprint
    public var candidates: [ICECandidate]
    /// The streams to send: the offer's video sections that want to receive get them in order
    /// (one each); further such sections are rejected.
    public var videoSenders: [SDPVideoSender]
    /// The sound to send on the offer's first audio section that receives Opus; nil: no sound, and
    /// that section is answered inactive (kept in the bundle, so peers that cannot take a rejected
    /// section, such as aiortc, play the video as before).
    public var audioSender: SDPAudioSender?
    public var cname: String
    /// Codecs we can send, most preferred first.
    public var codecs: [VideoCodec]
    /// When set, only this codec is acceptable.
    public var forcedCodec: VideoCodec?
    public var dataChannelsSupported: Bool
    public var sctpPort: Int
    public var maxMessageSize: Int
    /// o= session id; random by default.
    public var sessionID: UInt64

    public init(iceUfrag: String, icePwd: String, fingerprint: SDPFingerprint, candidates: [ICECandidate],
                videoSenders: [SDPVideoSender], audioSender: SDPAudioSender? = nil, cname: String,
                codecs: [VideoCodec] = [.h264, .vp8], forcedCodec: VideoCodec? = nil,
                dataChannelsSupported: Bool = true, sctpPort: Int = 5000, maxMessageSize: Int = 262_144,
                sessionID: UInt64 = UInt64.random(in: 1...UInt64(Int64.max))) {
        self.iceUfrag = iceUfrag
        self.icePwd = icePwd
        self.fingerprint = fingerprint
        self.candidates = candidates
        self.videoSenders = videoSenders
        self.audioSender = audioSender
        self.cname = cname
        self.codecs = codecs
        self.forcedCodec = forcedCodec
        self.dataChannelsSupported = dataChannelsSupported
        self.sctpPort = sctpPort
        self.maxMessageSize = maxMessageSize
        self.sessionID = sessionID
    }
}

public enum SDPAnswerer {
    /// Builds the answer to a browser's (or any JSEP peer's) offer. Throws `SDPNegotiationError`.
    public static func makeAnswer(offer: SessionDescription, config: SDPAnswerConfig) throws(SDPNegotiationError)
        -> (answer: SessionDescription, negotiated: NegotiatedSession) {
        var sections: [MediaDescription] = []
        var videos: [NegotiatedVideo] = []
        var audio: NegotiatedAudio?
        var dataChannel: NegotiatedDataChannel?
        var acceptedIndices: [Int] = []
        var rejectedMids: [String] = []
        let codecOrder = config.forcedCodec.map { [$0] } ?? config.codecs

        for (index, offered) in offer.media.enumerated() {
            var accepted: MediaDescription?
            if !offered.isRejected {
                if offered.isRTPVideo {
                    accepted = try answerVideo(offered, offer: offer, config: config, codecOrder: codecOrder, videos: &videos)
                } else if offered.isRTPAudio, audio == nil {
                    accepted = try answerAudio(offered, offer: offer, config: config, audio: &audio)
                } else if offered.isWebRTCDataChannel, config.dataChannelsSupported, dataChannel == nil {
                    try checkTransport(offered, offer: offer)
                    dataChannel = NegotiatedDataChannel(mid: offered.mid, remoteSCTPPort: offered.sctpPort ?? 5000,
                                                        localSCTPPort: config.sctpPort,
                                                        remoteMaxMessageSize: offered.maxMessageSize ?? 65_536)
                    accepted = MediaDescription(media: offered.media, port: 0, proto: offered.proto,
                                                formats: offered.formats,
                                                attributes: [.sctpPort(config.sctpPort), .maxMessageSize(config.maxMessageSize)])
                }
            }
            if var section = accepted {
                addTransport(to: &section, mid: offered.mid, config: config)
                sections.append(section)
                acceptedIndices.append(index)
            } else {
                sections.append(rejected(offered, config: config))
                if let mid = offered.mid { rejectedMids.append(mid) }
            }
        }

        let acceptedMids = Set(acceptedIndices.compactMap { offer.media[$0].mid })
        var sessionAttributes: [SDPAttribute] = [.iceLite]
        var bundleMids: [String] = []
        if let group = offer.bundleGroup {
            bundleMids = group.mids.filter { acceptedMids.contains($0) }
            if !bundleMids.isEmpty { sessionAttributes.append(.group(SDPGroup(semantics: "BUNDLE", mids: bundleMids))) }
        }
        var streamIDs = videos.indices.map { config.videoSenders[$0].streamID }
        if let sender = config.audioSender, audio?.localDirection == .sendonly, !streamIDs.contains(sender.streamID) {
            streamIDs.append(sender.streamID)
        }
        sessionAttributes.append(.other(name: "msid-semantic", value: " WMS" + streamIDs.map { " " + $0 }.joined()))

        // The transport in use is the one of the first bundled section (or the first accepted one).
        let transportIndex = bundleMids.first.flatMap { mid in offer.media.firstIndex { $0.mid == mid } }
            ?? acceptedIndices.first
        guard let transportIndex else {
            throw SDPNegotiationError.noAcceptableMedia(offered: offer.media.map { "\($0.media) \($0.proto)" })
        }
        let transport = offer.media[transportIndex]
        // checkTransport already guaranteed these for every accepted section.
        let negotiated = NegotiatedSession(
            videos: videos, audio: audio, dataChannel: dataChannel,
            remoteICEUfrag: offer.iceUfrag(for: transport) ?? "",
            remoteICEPwd: offer.icePwd(for: transport) ?? "",
            remoteICELite: offer.isICELite,
            remoteFingerprints: offer.fingerprints(for: transport),
            remoteSetup: offer.setup(for: transport) ?? .active,
            localSetup: .passive,
            remoteCandidates: transport.candidates,
            remoteEndOfCandidates: transport.hasEndOfCandidates,
            bundleMids: bundleMids, rejectedMids: rejectedMids)

        let answer = SessionDescription(
            origin: SDPOrigin(sessionID: String(config.sessionID)),
            attributes: sessionAttributes, media: sections)
        return (answer, negotiated)
    }

    /// A video section: sendonly with the next of `config.videoSenders` if the offer wants to
    /// receive it (appended to `videos`), inactive if it does not, nil (rejected) once every sender is given.
    private static func answerVideo(_ offered: MediaDescription, offer: SessionDescription, config: SDPAnswerConfig,
                                    codecOrder: [VideoCodec],
                                    videos: inout [NegotiatedVideo]) throws(SDPNegotiationError) -> MediaDescription? {
        let offeredDirection = offer.direction(for: offered)
        guard videos.count < config.videoSenders.count else { return nil }
        let sender = config.videoSenders[videos.count]
        let codecOrder = sender.forcedCodec.map { [$0] } ?? codecOrder
        let choice = codecOrder.lazy.compactMap { codec in
            offered.acceptablePayloadTypes(for: codec).first.map { (codec, $0) }
        }.first
        guard let (codec, pt) = choice else {
            // A section that wants our video but can't decode any of it is a hard error; one
            // that doesn't want video is simply rejected.
            if offeredDirection.receives {
                throw SDPNegotiationError.noAcceptableCodec(mid: offered.mid, offered: offered.rtpMaps.map {
                    "\($0.payloadType) \($0.encodingName)"
                }, acceptable: codecOrder)
            }
            return nil
        }
        try checkTransport(offered, offer: offer)
        guard offered.hasRTCPMux else { throw SDPNegotiationError.rtcpMuxRequired(mid: offered.mid) }

        let sending = offeredDirection.receives
        let direction: SDPDirection = sending ? .sendonly : .inactive
        var attributes: [SDPAttribute] = []
        let absSendTime = offered.extmapID(SDPExtmap.absSendTimeURI)
        let transportCC = offered.extmapID(SDPExtmap.transportWideCCURI)
        for extmap in offered.extmaps where extmap.uri == SDPExtmap.absSendTimeURI || extmap.uri == SDPExtmap.transportWideCCURI {
            attributes.append(.extmap(SDPExtmap(id: extmap.id, uri: extmap.uri)))
        }
        attributes.append(.direction(direction))
        if sending { attributes.append(.msid(SDPMediaStreamID(streamID: sender.streamID, trackID: sender.trackID))) }
        attributes.append(.rtcpMux)
        if offered.hasRTCPReducedSize { attributes.append(.rtcpReducedSize) }
        attributes.append(.rtpmap(SDPRTPMap(payloadType: pt, encodingName: codec.rtp.encodingName, clockRate: codec.rtp.clockRate)))
        let feedback = offered.rtcpFeedback(for: pt).filter(RTCPFeedbackSupport.isSupported)
        var seen = Set<SDPRTCPFeedback>()
        for line in feedback {
            let normalized = SDPRTCPFeedback(format: String(pt), type: line.type, parameter: line.parameter)
            if seen.insert(normalized).inserted { attributes.append(.rtcpFeedback(normalized)) }
        }
        let fmtp = offered.formatParameters(for: pt)
        if let fmtp { attributes.append(.fmtp(fmtp)) }
        if sending {
            attributes.append(.ssrc(SDPSSRCAttribute(ssrc: sender.ssrc, name: "cname", value: config.cname)))
            attributes.append(.ssrc(SDPSSRCAttribute(ssrc: sender.ssrc, name: "msid",
                                                     value: "\(sender.streamID) \(sender.trackID)")))
            videos.append(NegotiatedVideo(
                mid: offered.mid, codec: codec, payloadType: UInt8(pt), formatParameters: fmtp?.parameters,
                localDirection: direction, feedback: RTCPFeedbackSupport(Array(seen)),
                absSendTimeID: absSendTime, transportCCID: transportCC,
                rtcpReducedSize: offered.hasRTCPReducedSize, remoteSSRCs: offered.ssrcs))
        }
        return MediaDescription(media: offered.media, port: 0, proto: offered.proto, formats: [String(pt)],
                                attributes: attributes)
    }

    /// An audio section (set as `audio`): sendonly Opus if the offer wants to receive it and there
    /// is sound (`config.audioSender`), inactive otherwise; nil (rejected, RFC 8829 5.3.1) when it
    /// offers no Opus at 48 kHz, 2 channels (RFC 7587 §7). No RTCP feedback and no header extensions: the sound is 20 ms packets with
    /// in-band FEC, nothing is resent.
    private static func answerAudio(_ offered: MediaDescription, offer: SessionDescription, config: SDPAnswerConfig,
                                    audio: inout NegotiatedAudio?) throws(SDPNegotiationError) -> MediaDescription? {
        guard let pt = offered.payloadTypes.first(where: { pt in
            offered.rtpMaps.contains {
                $0.payloadType == pt && $0.encodingName.uppercased() == "OPUS" && $0.clockRate == 48_000 && $0.encodingParameters == "2"
            }
        }) else { return nil }
        // Sound is extra: an audio section we cannot take is rejected, the video still answered.
        guard offered.hasRTCPMux else { return nil }
        try checkTransport(offered, offer: offer)
        let sender = offer.direction(for: offered).receives ? config.audioSender : nil
        let direction: SDPDirection = sender != nil ? .sendonly : .inactive
        var attributes: [SDPAttribute] = [.direction(direction)]
        if let sender { attributes.append(.msid(SDPMediaStreamID(streamID: sender.streamID, trackID: sender.trackID))) }
        attributes.append(.rtcpMux)
        if offered.hasRTCPReducedSize { attributes.append(.rtcpReducedSize) }
        attributes.append(.rtpmap(SDPRTPMap(payloadType: pt, encodingName: "opus", clockRate: 48_000, encodingParameters: "2")))
        // What we send: 20 ms frames (so minptime 10 holds), FEC in every packet, stereo only from a stereo source.
        let fmtp = "minptime=10;useinbandfec=1" + (sender?.stereo == true ? ";stereo=1;sprop-stereo=1" : "")
        attributes.append(.fmtp(SDPFormatParameters(format: String(pt), parameters: fmtp)))
        if let sender {
            attributes.append(.ssrc(SDPSSRCAttribute(ssrc: sender.ssrc, name: "cname", value: config.cname)))
            attributes.append(.ssrc(SDPSSRCAttribute(ssrc: sender.ssrc, name: "msid", value: "\(sender.streamID) \(sender.trackID)")))
        }
        audio = NegotiatedAudio(mid: offered.mid, payloadType: UInt8(pt), localDirection: direction,
                                remoteFormatParameters: offered.formatParameters(for: pt)?.parameters)
        return MediaDescription(media: offered.media, port: 0, proto: offered.proto, formats: [String(pt)], attributes: attributes)
    }

    /// ICE credentials, a fingerprint and a compatible DTLS role are needed for every section we accept.
    private static func checkTransport(_ section: MediaDescription, offer: SessionDescription) throws(SDPNegotiationError) {
        guard offer.iceUfrag(for: section) != nil else { throw SDPNegotiationError.missingICEUfrag(mid: section.mid) }
        guard offer.icePwd(for: section) != nil else { throw SDPNegotiationError.missingICEPwd(mid: section.mid) }
        guard !offer.fingerprints(for: section).isEmpty else { throw SDPNegotiationError.missingFingerprint(mid: section.mid) }
        // RFC 8842: absent setup in an offer means actpass-compatible "active"; passive/holdconn
        // would require us to be the DTLS client, which an ICE-lite server doesn't do.
        let role = offer.setup(for: section) ?? .active
        guard role == .actpass || role == .active else {
            throw SDPNegotiationError.unsupportedSetupRole(mid: section.mid, role: role)
        }
    }

    /// Port, connection, ICE, DTLS and candidate lines common to every accepted section.
    private static func addTransport(to section: inout MediaDescription, mid: String?, config: SDPAnswerConfig) {
        let defaultCandidate = config.candidates.first { $0.isUDP && !$0.isMDNS }
        section.port = defaultCandidate?.port ?? 9
        if let address = defaultCandidate?.address {
            section.connection = SDPConnection(addressType: address.contains(":") ? "IP6" : "IP4", address: address)
        } else {
            section.connection = SDPConnection()
        }
        var transport: [SDPAttribute] = config.candidates.map { .candidate($0) }
        transport.append(.endOfCandidates)
        transport += [.iceUfrag(config.iceUfrag), .icePwd(config.icePwd), .fingerprint(config.fingerprint), .setup(.passive)]
        if let mid { transport.append(.mid(mid)) }
        section.attributes = transport + section.attributes
    }

    /// JSEP §5.3.1: a rejected section keeps media and proto, gets port 0 and mirrors the mid.
    /// It still carries our ICE credentials and fingerprint: some peers (aiortc) refuse an answer
    /// with any section lacking them, and browsers ignore them on a rejected section.
    private static func rejected(_ offered: MediaDescription, config: SDPAnswerConfig) -> MediaDescription {
        var attributes: [SDPAttribute] = [.iceUfrag(config.iceUfrag), .icePwd(config.icePwd),
                                          .fingerprint(config.fingerprint), .setup(.passive)]
        if let mid = offered.mid { attributes.append(.mid(mid)) }
        if offered.proto.uppercased().contains("RTP") { attributes.append(.direction(.inactive)) }
        return MediaDescription(media: offered.media, port: 0, proto: offered.proto,
                                formats: Array(offered.formats.prefix(1)),
                                connection: SDPConnection(), attributes: attributes)
    }
}
