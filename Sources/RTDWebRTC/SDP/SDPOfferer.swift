import RTDCore
/// Client-side offerer: one recvonly video section (H.264 + VP8) and a data channel, and
/// interpretation of the server's answer.

public struct SDPOfferConfig: Sendable {
    public var iceUfrag: String
    public var icePwd: String
    public var fingerprint: SDPFingerprint
    public var candidates: [ICECandidate]
    public var includeDataChannel: Bool
    public var sctpPort: Int
    public var maxMessageSize: Int
    public var sessionID: UInt64

    public init(iceUfrag: String, icePwd: String, fingerprint: SDPFingerprint, candidates: [ICECandidate] = [],
                includeDataChannel: Bool = true, sctpPort: Int = 5000, maxMessageSize: Int = 262_144,
                sessionID: UInt64 = UInt64.random(in: 1...UInt64(Int64.max))) {
        self.iceUfrag = iceUfrag
        self.icePwd = icePwd
        self.fingerprint = fingerprint
        self.candidates = candidates
        self.includeDataChannel = includeDataChannel
        self.sctpPort = sctpPort
        self.maxMessageSize = maxMessageSize
        self.sessionID = sessionID
    }
}

public enum SDPOfferer {
    /// The codecs we offer, with their payload types, in preference order.
    public static let videoFormats: [(payloadType: Int, codec: VideoCodec)] = [(96, .h264), (97, .vp8)]
    public static let absSendTimeID = 2
    public static let transportCCID = 3
    public static let videoMid = "0"
    public static let dataMid = "1"

    public static func makeOffer(config: SDPOfferConfig) -> SessionDescription {
        let feedback: [(String, String?)] = [("goog-remb", nil), ("transport-cc", nil), ("ccm", "fir"), ("nack", nil), ("nack", "pli")]
        var video = transportAttributes(config: config, mid: videoMid)
        video += [
            .extmap(SDPExtmap(id: absSendTimeID, uri: SDPExtmap.absSendTimeURI)),
            .extmap(SDPExtmap(id: transportCCID, uri: SDPExtmap.transportWideCCURI)),
            .direction(.recvonly), .rtcpMux, .rtcpReducedSize,
        ]
        for (pt, codec) in videoFormats {
            let descriptor = codec.rtp
            video.append(.rtpmap(SDPRTPMap(payloadType: pt, encodingName: descriptor.encodingName, clockRate: descriptor.clockRate)))
            for (type, parameter) in feedback {
                video.append(.rtcpFeedback(SDPRTCPFeedback(format: String(pt), type: type, parameter: parameter)))
            }
            if let parameters = descriptor.offeredParameters {
                video.append(.fmtp(SDPFormatParameters(format: String(pt), parameters: parameters)))
            }
        }
        let (port, connection) = defaultAddress(config.candidates)
        var media = [MediaDescription(media: "video", port: port, proto: "UDP/TLS/RTP/SAVPF",
                                      formats: videoFormats.map { String($0.payloadType) },
                                      connection: connection, attributes: video)]
        var mids = [videoMid]
        if config.includeDataChannel {
            let data = transportAttributes(config: config, mid: dataMid)
                + [.sctpPort(config.sctpPort), .maxMessageSize(config.maxMessageSize)]
            media.append(MediaDescription(media: "application", port: port, proto: "UDP/DTLS/SCTP",
                                          formats: ["webrtc-datachannel"], connection: connection, attributes: data))
            mids.append(dataMid)
        }
        return SessionDescription(origin: SDPOrigin(sessionID: String(config.sessionID)),
                                  attributes: [.group(SDPGroup(semantics: "BUNDLE", mids: mids))],
                                  media: media)
    }

    /// Interprets the answer to an offer made by `makeOffer` (or any offer with the same layout).
    public static func parseAnswer(_ answer: SessionDescription, offer: SessionDescription) throws(SDPNegotiationError)
        -> NegotiatedSession {
        guard answer.media.count == offer.media.count else {
            throw .answerMismatch("offer has \(offer.media.count) m-sections, answer has \(answer.media.count)")
        }
        var video: NegotiatedVideo?
        var dataChannel: NegotiatedDataChannel?
        var accepted: [MediaDescription] = []
        var rejectedMids: [String] = []
        for (offered, answered) in zip(offer.media, answer.media) {
            guard answered.mid == offered.mid, answered.media == offered.media else {
                throw .answerMismatch("m-section \(offered.media) mid=\(offered.mid ?? "-") answered as \(answered.media) mid=\(answered.mid ?? "-")")
            }
            if answered.isRejected {
                if let mid = offered.mid { rejectedMids.append(mid) }
                continue
            }
            try checkTransport(answered, answer: answer)
            accepted.append(answered)
            if offered.isRTPVideo, video == nil {
                video = try negotiatedVideo(offered: offered, answered: answered, answer: answer)
            } else if offered.isWebRTCDataChannel, dataChannel == nil {
                dataChannel = NegotiatedDataChannel(mid: answered.mid, remoteSCTPPort: answered.sctpPort ?? 5000,
                                                    localSCTPPort: offered.sctpPort ?? 5000,
                                                    remoteMaxMessageSize: answered.maxMessageSize ?? 65_536)
            }
        }
        let acceptedMids = Set(accepted.compactMap(\.mid))
        let bundleMids = answer.bundleGroup?.mids.filter { acceptedMids.contains($0) } ?? []
        let transport = bundleMids.first.flatMap { mid in accepted.first { $0.mid == mid } } ?? accepted.first
        guard let transport else { throw .answerMismatch("every m-section was rejected") }
        let remoteSetup = answer.setup(for: transport) ?? .active
        return NegotiatedSession(
            videos: video.map { [$0] } ?? [], dataChannel: dataChannel,
            remoteICEUfrag: answer.iceUfrag(for: transport) ?? "",
            remoteICEPwd: answer.icePwd(for: transport) ?? "",
            remoteICELite: answer.isICELite,
            remoteFingerprints: answer.fingerprints(for: transport),
            remoteSetup: remoteSetup,
            localSetup: remoteSetup == .passive ? .active : .passive,
            remoteCandidates: transport.candidates,
            remoteEndOfCandidates: transport.hasEndOfCandidates,
            bundleMids: bundleMids, rejectedMids: rejectedMids)
    }

    private static func negotiatedVideo(offered: MediaDescription, answered: MediaDescription,
                                        answer: SessionDescription) throws(SDPNegotiationError) -> NegotiatedVideo {
        guard answered.hasRTCPMux else { throw .rtcpMuxRequired(mid: answered.mid) }
        let offeredTypes = Set(offered.payloadTypes)
        // The answerer lists formats in its preference order; the first one we offered wins.
        let match = answered.payloadTypes.lazy.compactMap { pt -> (Int, VideoCodec)? in
            guard offeredTypes.contains(pt), let map = offered.rtpMap(for: pt),
                  let codec = VideoCodec.allCases.first(where: { $0.rtp.encodingName == map.encodingName.uppercased() })
            else { return nil }
            return (pt, codec)
        }.first
        guard let (pt, codec) = match else {
            let ours = VideoCodec.allCases.filter { codec in
                offered.rtpMaps.contains { $0.encodingName.uppercased() == codec.rtp.encodingName }
            }
            throw .noAcceptableCodec(mid: answered.mid, offered: answered.formats, acceptable: ours)
        }
        let offeredFeedback = Set(offered.rtcpFeedback(for: pt).map { "\($0.type) \($0.parameter ?? "")" })
        let feedback = answered.rtcpFeedback(for: pt).filter { offeredFeedback.contains("\($0.type) \($0.parameter ?? "")") }
        let offeredURIs = Set(offered.extmaps.map(\.uri))
        func extensionID(_ uri: String) -> UInt8? { offeredURIs.contains(uri) ? answered.extmapID(uri) : nil }
        return NegotiatedVideo(
            mid: answered.mid, codec: codec, payloadType: UInt8(pt),
            formatParameters: answered.formatParameters(for: pt)?.parameters ?? offered.formatParameters(for: pt)?.parameters,
            localDirection: answer.direction(for: answered).reversed,
            feedback: RTCPFeedbackSupport(feedback),
            absSendTimeID: extensionID(SDPExtmap.absSendTimeURI),
            transportCCID: extensionID(SDPExtmap.transportWideCCURI),
            rtcpReducedSize: answered.hasRTCPReducedSize && offered.hasRTCPReducedSize,
            remoteSSRCs: answered.ssrcs)
    }

    private static func checkTransport(_ section: MediaDescription, answer: SessionDescription) throws(SDPNegotiationError) {
        guard answer.iceUfrag(for: section) != nil else { throw .missingICEUfrag(mid: section.mid) }
        guard answer.icePwd(for: section) != nil else { throw .missingICEPwd(mid: section.mid) }
        guard !answer.fingerprints(for: section).isEmpty else { throw .missingFingerprint(mid: section.mid) }
        // An answer must pick a definite role (RFC 8842 §5.3).
        if let role = answer.setup(for: section), role != .active, role != .passive {
            throw .unsupportedSetupRole(mid: section.mid, role: role)
        }
    }

    private static func transportAttributes(config: SDPOfferConfig, mid: String) -> [SDPAttribute] {
        var attributes: [SDPAttribute] = config.candidates.map { .candidate($0) }
        if !config.candidates.isEmpty { attributes.append(.endOfCandidates) }
        attributes += [.iceUfrag(config.iceUfrag), .icePwd(config.icePwd), .fingerprint(config.fingerprint),
                       .setup(.actpass), .mid(mid)]
        return attributes
    }

    private static func defaultAddress(_ candidates: [ICECandidate]) -> (Int, SDPConnection) {
        guard let candidate = candidates.first(where: { $0.isUDP && !$0.isMDNS }) else { return (9, SDPConnection()) }
        return (candidate.port, SDPConnection(addressType: candidate.address.contains(":") ? "IP6" : "IP4",
                                              address: candidate.address))
    }
}
