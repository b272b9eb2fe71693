import Foundation
import RTDCore

/// A signaling failure with the HTTP status it maps to (400 bad JSON/SDP, 404 unknown
/// camera or session, 401 auth, 503 peer limit).
public struct SignalingHTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    public let status: Int
    public let message: String
    public init(_ status: Int, _ message: String) {
        self.status = status
        self.message = message
    }
    public var description: String { message }
    public static func badRequest(_ m: String) -> SignalingHTTPError { SignalingHTTPError(400, m) }
    public static func notFound(_ m: String) -> SignalingHTTPError { SignalingHTTPError(404, m) }
    public static func unavailable(_ m: String) -> SignalingHTTPError { SignalingHTTPError(503, m) }
}

/// What the peer engine offers to signaling: sessions are created from offers and ended by bye.
public protocol SignalingBackend: Sendable {
    /// `cameras`: one, or one per video section of the offer (a grid on one connection).
    /// `codec` (an rtd extension of the offer) restricts the answer to that codec.
    func answer(offer sdp: String, cameras: [String], codec: VideoCodec?) async throws(SignalingHTTPError) -> (sdp: String, sessionID: String)
    func addCandidate(sessionID: String, candidate: String) async throws(SignalingHTTPError)
    func close(sessionID: String) async throws(SignalingHTTPError)
}

/// The JSON protocol of `POST /api/webrtc/signal`, as pure functions from request bytes to a
/// status and response body, so every error path is testable without a server.
public enum SignalingProtocol {
    /// A signaling message, read from the bounded JSON parser's value (never from Foundation's
    /// decoders, which trap on hostile nesting).
    public struct Request: Sendable, Equatable {
        public var type: String?
        public var sdp: String?
        public var camera: String?
        /// Several cameras on one connection, in the order of the offer's video sections.
        public var cameras: [String]?
        public var codec: String?
        public var sessionID: String?
        public var candidate: String?

        /// Throws `.badRequest` naming what is wrong and where (a byte offset for bad JSON, a
        /// field for a wrong type). A member that is null counts as absent.
        public static func parse(_ body: some Collection<UInt8>) throws(SignalingHTTPError) -> Request {
            let value: JSONValue
            do {
                value = try JSONValue.parse(body, limits: SignalingProtocol.limits)
            } catch {
                throw .badRequest("invalid JSON at \(error)")
            }
            guard let object = value.object else { throw .badRequest("expected a JSON object, got \(value.typeName)") }
            func text(_ key: String, in o: JSONObject, path: String? = nil) throws(SignalingHTTPError) -> String? {
                switch o[key] {
                case nil, .null?: return nil
                case .string(let s)?: return s
                case let other?: throw .badRequest("field '\(path ?? key)' must be a string, not \(other.typeName)")
                }
            }
            var r = Request()
            r.type = try text("type", in: object)
            r.sdp = try text("sdp", in: object)
            r.camera = try text("camera", in: object)
            switch object["cameras"] {
            case nil, .null?: break
            case .array(let items)?:
                guard (1...SignalingProtocol.maxCameras).contains(items.count) else {
                    throw .badRequest("field 'cameras' must list 1 to \(SignalingProtocol.maxCameras) cameras, not \(items.count)")
                }
                var names: [String] = []
                for (i, item) in items.enumerated() {
                    guard case .string(let name) = item else { throw .badRequest("field 'cameras[\(i)]' must be a string, not \(item.typeName)") }
                    guard !names.contains(name) else { throw .badRequest("field 'cameras' names '\(name)' twice") }
                    names.append(name)
                }
                r.cameras = names
            case let other?: throw .badRequest("field 'cameras' must be an array of camera names, not \(other.typeName)")
            }
            if r.camera != nil, r.cameras != nil { throw .badRequest("give 'camera' or 'cameras', not both") }
            r.codec = try text("codec", in: object)
            r.sessionID = try text("session_id", in: object)
            switch object["candidate"] {
            case nil, .null?: break
            case .object(let c)?: r.candidate = try text("candidate", in: c, path: "candidate.candidate")
            case let other?: throw .badRequest("field 'candidate' must be an object, not \(other.typeName)")
            }
            return r
        }
    }

    public static let maxBodyBytes = 64 * 1024
    /// Most cameras one connection may show (a grid of 4×4).
    public static let maxCameras = 16
    /// The body limit bounds the size; nesting, strings and counts are bounded as well.
    static let limits = JSONLimits(maxBytes: maxBodyBytes, maxDepth: 32, maxStringBytes: maxBodyBytes,
                                   maxContainerCount: 1_024, maxValues: 8_192)

    /// `admitOffer` returns why an offer is refused now (rate limit → 429), or nil.
    public static func handle(body: [UInt8], defaultCamera: String, backend: any SignalingBackend,
                              admitOffer: @Sendable () async -> String? = { nil }) async -> (status: Int, json: [String: String]) {
        do throws(SignalingHTTPError) {
            guard body.count <= maxBodyBytes else { throw .init(413, "request body over \(maxBodyBytes) bytes") }
            let request = try Request.parse(body)
            switch request.type {
            case "offer":
                guard let sdp = request.sdp, !sdp.isEmpty else { throw .badRequest("offer without 'sdp'") }
                if let refusal = await admitOffer() { throw .init(429, refusal) }
                // An unknown codec name restricts nothing, as before there was a codec field.
                let (answer, id) = try await backend.answer(offer: sdp, cameras: request.cameras ?? [request.camera ?? defaultCamera],
                                                            codec: request.codec.flatMap(VideoCodec.init(rawValue:)))
                return (200, ["type": "answer", "sdp": answer, "session_id": id])
            case "candidate":
                guard let id = request.sessionID else { throw .badRequest("candidate without 'session_id'") }
                guard let c = request.candidate else { throw .badRequest("candidate without 'candidate.candidate'") }
                try await backend.addCandidate(sessionID: id, candidate: c)
                return (200, ["type": "ok"])
            case "bye":
                guard let id = request.sessionID else { throw .badRequest("bye without 'session_id'") }
                try await backend.close(sessionID: id)
                return (200, ["type": "ok"])
            case nil:
                throw .badRequest("missing 'type' (offer, candidate or bye)")
            case let other?:
                throw .badRequest("unknown type '\(other)' (expected offer, candidate or bye)")
            }
        } catch {
            return (error.status, ["type": "error", "error": error.message])
        }
    }
}
