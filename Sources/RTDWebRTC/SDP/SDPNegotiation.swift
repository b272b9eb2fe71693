import RTDCore

/// Results and errors of offer/answer negotiation shared by the answerer (server) and the
/// offerer (client).

/// Which RTCP feedback messages both sides agreed on for the video payload type.
public struct RTCPFeedbackSupport: Sendable, Hashable {
    public var nack = false
    public var pli = false
    public var fir = false
    public var remb = false
    public var transportCC = false

    public init(nack: Bool = false, pli: Bool = false, fir: Bool = false, remb: Bool = false, transportCC: Bool = false) {
        self.nack = nack
        self.pli = pli
        self.fir = fir
        self.remb = remb
        self.transportCC = transportCC
    }

    /// Feedback lines we support, in the form (type, parameter).
    static let supported: [(type: String, parameter: String?)] = [
        ("goog-remb", nil), ("transport-cc", nil), ("ccm", "fir"), ("nack", nil), ("nack", "pli"),
    ]

    static func isSupported(_ feedback: SDPRTCPFeedback) -> Bool {
        supported.contains { $0.type == feedback.type.lowercased() && $0.parameter == feedback.parameter?.lowercased() }
    }

    init(_ lines: [SDPRTCPFeedback]) {
        for line in lines {
            switch (line.type.lowercased(), line.parameter?.lowercased()) {
            case ("nack", nil): nack = true
            case ("nack", "pli"): pli = true
            case ("ccm", "fir"): fir = true
            case ("goog-remb", nil): remb = true
            case ("transport-cc", nil): transportCC = true
            default: break
            }
        }
    }
}

public struct NegotiatedVideo: Sendable, Hashable {
    public var mid: String?
    public var codec: VideoCodec
    public var payloadType: UInt8
    /// The a=fmtp parameters for `payloadType`, verbatim (H.264 profile-level-id etc.).
    public var formatParameters: String?
    /// Our direction for this section (sendonly on the server, recvonly on the client).
    public var localDirection: SDPDirection
    public var feedback: RTCPFeedbackSupport
    public var absSendTimeID: UInt8?
    public var transportCCID: UInt8?
    /// Reduced-size RTCP (RFC 5506) agreed.
    public var rtcpReducedSize: Bool
    /// SSRCs the remote side announced for this section (the sender's media SSRC on the client side).
    public var remoteSSRCs: [UInt32]
}

/// The Opus stream a server sends (RFC 7587).
public struct NegotiatedAudio: Sendable, Hashable {
    public var mid: String?
    public var payloadType: UInt8
    /// sendonly, or inactive when the offer did not want to receive it.
    public var localDirection: SDPDirection
    /// The receiver's a=fmtp for the payload type, verbatim (what it would like to receive).
    public var remoteFormatParameters: String?
}

public struct NegotiatedDataChannel: Sendable, Hashable {
    public var mid: String?
    public var remoteSCTPPort: Int
    public var localSCTPPort: Int
    /// Largest message the remote side accepts (RFC 8841: 64 KiB when absent, 0 = unlimited).
    public var remoteMaxMessageSize: Int
}

public struct NegotiatedSession: Sendable, Hashable {
    /// The video sections that carry media, in SDP order (a server may send several streams).
    public var videos: [NegotiatedVideo]
    public var video: NegotiatedVideo? { videos.first }
    /// The audio section the server sends Opus on (sendonly or inactive), if the offer had one it accepted.
    public var audio: NegotiatedAudio?
    public var dataChannel: NegotiatedDataChannel?
    public var remoteICEUfrag: String
    public var remoteICEPwd: String
    public var remoteICELite: Bool
    public var remoteFingerprints: [SDPFingerprint]
    public var remoteSetup: SDPSetupRole
    /// Our DTLS role: passive means we are the DTLS server.
    public var localSetup: SDPSetupRole
    /// Candidates of the transport actually used (the BUNDLE-tagged section).
    public var remoteCandidates: [ICECandidate]
    public var remoteEndOfCandidates: Bool
    /// Accepted mids in the BUNDLE group, in order; empty when not bundling.
    public var bundleMids: [String]
    public var rejectedMids: [String]
}

public enum SDPNegotiationError: Error, Sendable, Equatable, CustomStringConvertible {
    case missingICEUfrag(mid: String?)
    case missingICEPwd(mid: String?)
    case missingFingerprint(mid: String?)
    /// `acceptable`: what this side would have taken (a server forced to one codec takes only it).
    case noAcceptableCodec(mid: String?, offered: [String], acceptable: [VideoCodec])
    case unsupportedSetupRole(mid: String?, role: SDPSetupRole)
    case rtcpMuxRequired(mid: String?)
    /// Nothing in the offer is usable (no video we can send, no data channel we may accept).
    case noAcceptableMedia(offered: [String])
    /// An answer that doesn't correspond to our offer.
    case answerMismatch(String)

    public var description: String {
        func name(_ mid: String?) -> String { mid.map { "m-section mid=\($0)" } ?? "m-section without mid" }
        switch self {
        case .missingICEUfrag(let mid): return "\(name(mid)) has no a=ice-ufrag (media or session level)"
        case .missingICEPwd(let mid): return "\(name(mid)) has no a=ice-pwd (media or session level)"
        case .missingFingerprint(let mid): return "\(name(mid)) has no a=fingerprint; DTLS cannot be authenticated"
        case .noAcceptableCodec(let mid, let offered, let acceptable):
            let need = acceptable.map(\.rtp.requirement)
            return "\(name(mid)) offers no acceptable video codec (need \(need.joined(separator: " or "))); offered: \(offered.joined(separator: ", "))"
        case .unsupportedSetupRole(let mid, let role):
            return "\(name(mid)) has a=setup:\(role.rawValue); we are always DTLS passive, so the offer must be actpass or active"
        case .rtcpMuxRequired(let mid): return "\(name(mid)) lacks a=rtcp-mux, which is required"
        case .noAcceptableMedia(let offered):
            return "offer has no m-section we can accept (video with H.264/VP8 or a WebRTC data channel); offered: \(offered.joined(separator: ", "))"
        case .answerMismatch(let reason): return "answer does not match offer: \(reason)"
        }
    }
}

/// H.264 profile-level-id helpers (RFC 6184 §8.1).
public enum H264ProfileLevelID {
    /// profile_idc 0x42 (Baseline family). Constrained baseline additionally sets constraint_set1
    /// (0x40 in profile-iop); plain Baseline decoders accept a constrained-baseline stream, so
    /// both are acceptable, but constrained ones are preferred.
    public static func isBaselineFamily(_ profileLevelID: String) -> Bool {
        parse(profileLevelID)?.profileIDC == 0x42
    }

    public static func isConstrainedBaseline(_ profileLevelID: String) -> Bool {
        guard let value = parse(profileLevelID) else { return false }
        return value.profileIDC == 0x42 && value.profileIOP & 0x40 != 0
    }

    static func parse(_ text: String) -> (profileIDC: UInt8, profileIOP: UInt8, level: UInt8)? {
        guard text.count == 6, let value = UInt32(text, radix: 16) else { return nil }
        return (UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value))
    }
}

extension MediaDescription {
    /// Payload types (in offer order) whose rtpmap says `codec` and whose parameters we can send.
    func acceptablePayloadTypes(for codec: VideoCodec) -> [Int] {
        // Index once: browser offers carry dozens of formats and hundreds of attribute lines.
        var maps: [Int: SDPRTPMap] = [:]
        var parameters: [Int: [String: String]] = [:]
        for attribute in attributes {
            switch attribute {
            case .rtpmap(let map) where maps[map.payloadType] == nil:
                maps[map.payloadType] = map
            case .fmtp(let fmtp):
                if let pt = fmtp.payloadType, parameters[pt] == nil { parameters[pt] = fmtp.parameterMap }
            default:
                break
            }
        }
        var candidates: [(pt: Int, preferred: Bool)] = []
        for pt in payloadTypes {
            let descriptor = codec.rtp
            guard let map = maps[pt], map.encodingName.uppercased() == descriptor.encodingName,
                  map.clockRate == descriptor.clockRate, let acceptance = descriptor.accepts(parameters[pt] ?? [:]) else { continue }
            candidates.append((pt, acceptance == .preferred))
        }
        return candidates.filter(\.preferred).map(\.pt) + candidates.filter { !$0.preferred }.map(\.pt)
    }

    var isRTPVideo: Bool { media == "video" && proto.uppercased().contains("RTP") }

    var isRTPAudio: Bool { media == "audio" && proto.uppercased().contains("RTP") }

    var isWebRTCDataChannel: Bool {
        media == "application" && proto.uppercased().hasSuffix("DTLS/SCTP") && formats == ["webrtc-datachannel"]
    }

    func extmapID(_ uri: String) -> UInt8? {
        extmaps.first { $0.uri == uri && (1...255).contains($0.id) }.map { UInt8($0.id) }
    }
}
