import Foundation
import RTDCore

/// The HTTP half of `rtd signal`: sends the offer, returns the answer, and ends the session.
/// Two dialects: rtd's JSON (`POST /api/webrtc/signal`) and WHEP (`POST` of application/sdp →
/// 201 + Location; `DELETE` Location ends it).
public final class SignalingClient {
    public enum Dialect: Sendable { case rtd, whep }

    public let base: HTTPURL
    public let dialect: Dialect
    public let camera: String?
    public let token: String?
    public let codec: VideoCodec?
    public let timeout: Double
    private let http: HTTPClient
    /// Where to end the session: the rtd session id or the WHEP resource.
    public private(set) var sessionID: String?
    public private(set) var resource: HTTPURL?

    public init(url: String, dialect: Dialect, camera: String?, token: String?, codec: VideoCodec?,
                timeout: Double, verification: TLSVerification = .system) throws(SignalError) {
        base = try HTTPURL(url)
        http = HTTPClient(verification: verification)
        self.dialect = dialect
        self.camera = camera
        self.token = token
        self.codec = codec
        self.timeout = timeout
    }

    /// The URL offers go to: `{URL}/api/webrtc/signal`; for WHEP `{URL}/whep/{camera}` with a
    /// camera, else the URL itself (any WHEP endpoint).
    public var offerURL: HTTPURL {
        switch dialect {
        case .rtd: base.appending("/api/webrtc/signal")
        case .whep: camera.map { base.appending("/whep/" + (Self.escapePath($0))) } ?? base
        }
    }

    private static func escapePath(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? text
    }

    private var authorization: [(String, String)] { token.map { [("Authorization", "Bearer \($0)")] } ?? [] }

    public func offer(_ sdp: String) throws(SignalError) -> String {
        let url = offerURL
        switch dialect {
        case .rtd:
            var request: [String: String] = ["type": "offer", "sdp": sdp]
            if let camera { request["camera"] = camera }
            if let codec { request["codec"] = codec.rawValue }
            let body = (try? JSONSerialization.data(withJSONObject: request, options: [.sortedKeys])).map { Array($0) } ?? []
            let reply = try http.request("POST", url, headers: [("Content-Type", "application/json")] + authorization,
                                               body: body, timeout: timeout)
            let json = Self.jsonObject(reply.body)
            guard reply.status == 200 else { throw Self.httpError(reply, url: url, json: json) }
            guard let json else {
                throw SignalError(.protocolError, "\(url) answered 200 with a body that is not a JSON object: \(Self.snippet(reply.text))")
            }
            guard json["type"]?.string == "answer", let answer = json["sdp"]?.string else {
                throw SignalError(.protocolError, "\(url) answered without {\"type\":\"answer\",\"sdp\":...}: \(Self.snippet(reply.text))")
            }
            sessionID = json["session_id"]?.string
            return answer
        case .whep:
            let reply = try http.request("POST", url, headers: [("Content-Type", "application/sdp")] + authorization,
                                               body: Array(sdp.utf8), timeout: timeout)
            guard reply.status == 201 || reply.status == 200 else {
                throw Self.httpError(reply, url: url, json: Self.jsonObject(reply.body))
            }
            if let location = reply.headers["location"] { resource = try? url.resolving(location) }
            return reply.text
        }
    }

    /// Tells the server we are gone (best effort: the server also notices by itself).
    public func end() {
        switch dialect {
        case .rtd:
            guard let sessionID,
                  let body = try? JSONSerialization.data(withJSONObject: ["type": "bye", "session_id": sessionID]) else { return }
            _ = try? http.request("POST", offerURL, headers: [("Content-Type", "application/json")] + authorization,
                                        body: Array(body), timeout: min(timeout, 3))
        case .whep:
            guard let resource else { return }
            _ = try? http.request("DELETE", resource, headers: authorization, timeout: min(timeout, 3))
        }
    }

    /// The server's reply as a JSON object, or nil: parsed by the bounded parser, since a server
    /// (or whatever answers at that URL) is as untrusted as a client.
    static func jsonObject(_ body: [UInt8]) -> JSONObject? {
        (try? JSONValue.parse(body))?.object
    }

    static func httpError(_ reply: HTTPReply, url: HTTPURL, json: JSONObject?) -> SignalError {
        let text = json?["error"]?.string ?? snippet(reply.text)
        let hint = [401: " (wrong or missing --token)", 503: " (server busy)"][reply.status] ?? ""
        return SignalError(.httpError, "\(url) answered HTTP \(reply.status)\(hint): \(text.isEmpty ? "(no error text)" : text)")
    }

    static func snippet(_ text: String) -> String {
        let line = text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        return line.count > 200 ? String(line.prefix(200)) + "..." : line
    }
}
