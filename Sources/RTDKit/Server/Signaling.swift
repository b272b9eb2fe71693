import Foundation

/// A signaling failure with the HTTP status it maps to (DESIGN.md: 400 bad JSON/SDP, 404 unknown
/// camera or session, 401 auth, 503 peer limit).
public struct SignalingError: Error, Sendable, Equatable, CustomStringConvertible {
    public let status: Int
    public let message: String
    public init(_ status: Int, _ message: String) {
        self.status = status
        self.message = message
    }
    public var description: String { message }
    public static func badRequest(_ m: String) -> SignalingError { SignalingError(400, m) }
    public static func notFound(_ m: String) -> SignalingError { SignalingError(404, m) }
    public static func unavailable(_ m: String) -> SignalingError { SignalingError(503, m) }
}

/// What the peer engine offers to signaling: sessions are created from offers and ended by bye.
public protocol SignalingBackend: Sendable {
    /// `codec` (an rtd extension of the offer) restricts the answer to that codec.
    func answer(offer sdp: String, camera: String, codec: VideoCodecKind?) async throws(SignalingError) -> (sdp: String, sessionID: String)
    func addCandidate(sessionID: String, candidate: String) async throws(SignalingError)
    func close(sessionID: String) async throws(SignalingError)
}

/// The JSON protocol of `POST /api/webrtc/signal`, as pure functions from request bytes to a
/// status and response body, so every error path is testable without a server.
public enum SignalingProtocol {
    struct Request: Decodable {
        let type: String?
        let sdp: String?
        let camera: String?
        let codec: String?
        let session_id: String?
        let candidate: Candidate?
    }

    struct Candidate: Decodable {
        let candidate: String?
        let sdpMid: String?
        let sdpMLineIndex: Int?
    }

    public static let maxBodyBytes = 64 * 1024

    /// `admitOffer` returns why an offer is refused now (rate limit → 429), or nil.
    public static func handle(body: [UInt8], defaultCamera: String, backend: any SignalingBackend,
                              admitOffer: @Sendable () async -> String? = { nil }) async -> (status: Int, json: [String: String]) {
        do throws(SignalingError) {
            guard body.count <= maxBodyBytes else { throw .init(413, "request body over \(maxBodyBytes) bytes") }
            let request: Request
            do {
                request = try JSONDecoder().decode(Request.self, from: Data(body))
            } catch {
                throw .badRequest("invalid JSON: \(describe(error))")
            }
            switch request.type {
            case "offer":
                guard let sdp = request.sdp, !sdp.isEmpty else { throw .badRequest("offer without 'sdp'") }
                if let refusal = await admitOffer() { throw .init(429, refusal) }
                // An unknown codec name restricts nothing, as before there was a codec field.
                let (answer, id) = try await backend.answer(offer: sdp, camera: request.camera ?? defaultCamera,
                                                            codec: request.codec.flatMap(VideoCodecKind.init(rawValue:)))
                return (200, ["type": "answer", "sdp": answer, "session_id": id])
            case "candidate":
                guard let id = request.session_id else { throw .badRequest("candidate without 'session_id'") }
                guard let c = request.candidate?.candidate else { throw .badRequest("candidate without 'candidate.candidate'") }
                try await backend.addCandidate(sessionID: id, candidate: c)
                return (200, ["type": "ok"])
            case "bye":
                guard let id = request.session_id else { throw .badRequest("bye without 'session_id'") }
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

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let c): return c.underlyingError.map { "\($0.localizedDescription)" } ?? c.debugDescription
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            return "field '\(c.codingPath.map(\.stringValue).joined(separator: "."))': \(c.debugDescription)"
        default: return "\(error)"
        }
    }
}
