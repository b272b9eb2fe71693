import Foundation
import RTDCore
import RTDMedia
import RTDDetection

/// One camera of `rtd serve`, as the config file and the flags describe it.
public struct CameraConfig: Sendable, Equatable {
    public var name: String
    public var source: SourceSpec
    public var size: VideoSize?
    public var frameRate: FrameRate?
    public var detector: String = DetectorFactory.defaultSpec
    public var detectorOptions = DetectorOptions()
    /// Only this codec is offered for this camera (nil: whichever the viewer prefers).
    public var codec: VideoCodec?
    public var bitrateKbps: Int?
    /// Lower layers beside the full size (nil: as the server says).
    public var layers: LayerLadder?
    /// Boxes drawn into the video before encoding, for players that do not read the data channel.
    public var annotate = false
    /// Record this camera (nil: as the server-wide --record says).
    public var record: Bool?

    public init(name: String, source: SourceSpec) {
        self.name = name
        self.source = source
    }

    /// Camera names travel in URLs (`/whep/NAME`, `?camera=NAME`) and file names.
    public static func validName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && name.unicodeScalars.allSatisfy {
            CharacterSet.alphanumerics.contains($0) && $0.isASCII || $0 == "-" || $0 == "_"
        }
    }
}

/// A STUN or TURN server handed to browsers (RTCPeerConnection's iceServers).
public struct ICEServerConfig: Sendable, Equatable {
    public var urls: [String]
    public var username: String?
    public var credential: String?
    public init(urls: [String], username: String? = nil, credential: String? = nil) {
        self.urls = urls
        self.username = username
        self.credential = credential
    }

    var json: [String: Any] {
        var o: [String: Any] = ["urls": urls]
        if let username { o["username"] = username }
        if let credential { o["credential"] = credential }
        return o
    }
}

/// The `server:` part of the config file; nil fields fall back to the flags' defaults.
public struct ServerConfig: Sendable, Equatable {
    public var host: String?
    public var port: Int?
    public var udpPort: Int?
    /// ICE over TCP's port; nil: the UDP port's number; 0: none.
    public var tcpPort: Int?
    public var publicIP: String?
    public var iceServers: [ICEServerConfig] = []
    public var allowOrigins: [String] = []
    public var tlsCert: String?
    public var tlsKey: String?
    public var maxPeers: Int?
    public var maxPeersPerCamera: Int?
    public var signalRate: Double?
    public var record: String?
    /// Recording segment length, age and size limits, as the flags spell them ("10m", "7d", "50G").
    public var segment: String?
    public var retain: String?
    public var maxSize: String?
    /// false: no WebRTC, the page uses /api/ws.
    public var webrtc: Bool?
    public var wsMaxFPS: Double?
    public var minBitrateKbps: Int?
    public var maxBitrateKbps: Int?
    /// Every camera's lower layers unless it says otherwise (nil: `LayerLadder.standard`).
    public var layers: LayerLadder?
    public var keyframeInterval: Double?
    public var consentTimeout: Double?
    /// Busy share of a network loop beyond which new offers are refused (503).
    public var saturationBusy: Double?
    /// false: no UDP GSO (each datagram its own write), e.g. to compare.
    public var udpGSO: Bool?
    /// DTLS certificate and key (PEM) instead of a fresh self-signed pair.
    public var dtlsCert: String?
    public var dtlsKey: String?
    public init() {}
}

/// Everything `rtd serve --config FILE` reads.
public struct ServeConfig: Sendable, Equatable {
    public var cameras: [CameraConfig] = []
    public var server = ServerConfig()
    public var token: String?
    public init() {}
}

/// A config file problem, located: `rtd.yaml:12:5: cameras.door.fps: ...`.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public let file: String
    public let line: Int?
    public let column: Int?
    public let field: String
    public let message: String

    public var description: String {
        var place = file
        if let line { place += ":\(line)" }
        if let column { place += ":\(column)" }
        return field.isEmpty ? "\(place): \(message)" : "\(place): \(field): \(message)"
    }
}
