import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import NIOCore
import RTDCore

/// The request context of every `rtd serve` route: WebSocket upgrades, the client's address (for
/// the signaling rate limit) and the connection's channel (to tune a WebSocket's socket).
public struct ServeRequestContext: RequestContext, RemoteAddressRequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    public let channel: any Channel
    public var remoteAddress: SocketAddress? { channel.remoteAddress }

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        channel = source.channel
    }

    /// Signaling bodies are SDP or small JSON; anything bigger is refused early.
    public var maxUploadSize: Int { 256 * 1024 }
}

/// Pure decisions about access, so each rule is testable without a server.
public enum AccessPolicy {
    /// Assets with no data in them; the page that loads them carries the token itself.
    static let publicPaths = Set(["/favicon.ico"] + ViewerAssets.publicPaths)

    /// The token from `Authorization: Bearer T` or, for the page and the WebSocket (browsers
    /// cannot set headers there), `?token=T`.
    public static func authorized(expected: String?, path: String, authorization: String?, queryToken: String?) -> Bool {
        guard let expected else { return true }
        if publicPaths.contains(path) { return true }
        if let authorization, authorization.lowercased().hasPrefix("bearer ") {
            return constantTimeEqual(String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces), expected)
        }
        if let queryToken { return constantTimeEqual(queryToken, expected) }
        return false
    }

    /// A browser opening a page without the token gets a page saying how to get in; API clients
    /// (and anything under /api/ or /whep/) keep the JSON error.
    public static func wantsHTML(path: String, accept: String?) -> Bool {
        guard let accept, !path.hasPrefix("/api/"), !path.hasPrefix("/whep/") else { return false }
        return accept.lowercased().contains("text/html")
    }

    /// The 401 page for a browser: no token (or a wrong one) and where to find the right one.
    /// Static text: nothing from the request is echoed into it.
    public static let tokenPage = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="color-scheme" content="dark"><title>rtd: access token needed</title>
        <style>body{font:16px/1.5 system-ui,sans-serif;background:#101214;color:#e3e6ea;max-width:40rem;margin:2rem auto;padding:0 1rem}
        code{background:#252a30;padding:.1rem .3rem;border-radius:4px;overflow-wrap:anywhere}input,button{font:inherit;padding:.3rem .5rem}</style>
        </head><body>
        <h1>This rtd server needs its access token</h1>
        <p>The page was opened without the token, or with a wrong one. Open the address that
        <code>rtd serve</code> printed when it started; it ends in <code>/?token=…</code>, for example
        <code>http://HOST:PORT/?token=TOKEN</code>. Whoever runs the server has it (it is the
        <code>--token</code> option or <code>token:</code> in the configuration file).</p>
        <form method="get" action=""><label>Token <input name="token" type="password" autocomplete="current-password" required></label>
        <button type="submit">Open the viewer</button></form>
        <p>API clients send <code>Authorization: Bearer TOKEN</code>.</p>
        </body></html>

        """

    /// Comparison time does not depend on where the strings differ (no timing oracle for the token).
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(truncatingIfNeeded: x.count ^ y.count)
        for i in 0..<max(x.count, y.count) {
            diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return diff == 0
    }

    /// The origin to echo in Access-Control-Allow-Origin, or nil (CORS is off unless allowed).
    public static func allowedOrigin(_ origin: String?, allowed: [String]) -> String? {
        guard let origin, !allowed.isEmpty else { return nil }
        if allowed.contains("*") { return "*" }
        return allowed.contains(origin) ? origin : nil
    }
}

/// CORS (off unless `--allow-origin`), then the token, on every route.
struct AccessMiddleware: RouterMiddleware {
    typealias Context = ServeRequestContext
    let token: String?
    let allowOrigins: [String]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let origin = AccessPolicy.allowedOrigin(request.headers[.origin], allowed: allowOrigins)
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            // A CORS preflight carries no credentials: answer it before the token check.
            var headers = HTTPFields()
            if let origin {
                headers[.accessControlAllowOrigin] = origin
                headers[.accessControlAllowMethods] = "GET, POST, PATCH, DELETE, OPTIONS"
                headers[.accessControlAllowHeaders] = "Authorization, Content-Type, If-Match"
                headers[.accessControlMaxAge] = "600"
                if origin != "*" { headers[.vary] = "Origin" }
            }
            if request.uri.path.hasPrefix("/whep/") { headers[HTTPField.Name("Accept-Post")!] = "application/sdp" }
            return Response(status: .noContent, headers: headers)
        }
        guard AccessPolicy.authorized(expected: token, path: request.uri.path, authorization: request.headers[.authorization],
                                      queryToken: request.uri.queryParameters["token"].map(String.init)) else {
            if AccessPolicy.wantsHTML(path: request.uri.path, accept: request.headers[.accept]) {
                var page = Response(status: .unauthorized, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                                    body: .init(byteBuffer: ByteBuffer(string: AccessPolicy.tokenPage)))
                page.headers[.wwwAuthenticate] = "Bearer realm=\"rtd\""
                return decorate(page, origin: origin)
            }
            var response = HTTPServer.jsonResponse(["type": "error", "error": "missing or wrong token: send Authorization: Bearer TOKEN (or ?token=TOKEN for the page)"],
                                                   status: 401)
            response.headers[.wwwAuthenticate] = "Bearer realm=\"rtd\""
            return decorate(response, origin: origin)
        }
        return decorate(try await next(request, context), origin: origin)
    }

    private func decorate(_ response: Response, origin: String?) -> Response {
        guard let origin else { return response }
        var r = response
        r.headers[.accessControlAllowOrigin] = origin
        r.headers[.accessControlExposeHeaders] = "Location, Link, ETag"
        if origin != "*" { r.headers[.vary] = "Origin" }
        return r
    }
}

/// A request body over a route's `limit`, answered 413 by `ErrorShapeMiddleware`.
struct BodyTooLarge: Error {
    let limit: Int
}

extension Request {
    /// The whole body, or `BodyTooLarge` naming the limit (NIO's error names only what was left of it).
    func readBody(limit: Int) async throws -> ByteBuffer {
        do {
            return try await body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw BodyTooLarge(limit: limit)
        }
    }
}

/// Errors thrown by a route (a body over its limit, an `HTTPError`) are
/// answered in rtd's own error shape: `{"type":"error","error":…}` under `/api/`, text elsewhere,
/// instead of Hummingbird's empty 413 or its differently shaped JSON.
struct ErrorShapeMiddleware: RouterMiddleware {
    typealias Context = ServeRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as BodyTooLarge {
            return Self.response("request body over \(error.limit) bytes", status: .contentTooLarge, path: request.uri.path)
        } catch is NIOTooManyBytesError {
            return Self.response("request body too large", status: .contentTooLarge, path: request.uri.path)
        } catch let error as HTTPError {
            var response = Self.response(error.body ?? error.status.reasonPhrase, status: error.status, path: request.uri.path)
            response.headers.append(contentsOf: error.headers)
            return response
        }
    }

    static func response(_ message: String, status: HTTPResponse.Status, path: String) -> Response {
        path.hasPrefix("/api/") ? HTTPServer.jsonResponse(["type": "error", "error": message], status: status.code)
            : WHEPRoutes.text(message, status: status)
    }
}

/// Offers per client address: a token bucket (`rate` per second, bursts of `burst`), so one
/// client cannot make the server spend all its time answering offers.
public actor SignalRateLimiter {
    private let rate: Double
    private let burst: Double
    private var buckets: [String: (tokens: Double, at: Int64)] = [:]

    public init(perSecond rate: Double, burst: Double? = nil) {
        self.rate = rate
        self.burst = burst ?? max(1, rate * 2)
    }

    /// True when the client may make another offer now (`now` in µs, for tests).
    public func allow(_ client: String, now: Int64 = SystemClock.monotonicMicros()) -> Bool {
        var b = buckets[client] ?? (burst, now)
        b.tokens = min(burst, b.tokens + Double(now - b.at) / 1e6 * rate)
        b.at = now
        let ok = b.tokens >= 1
        if ok { b.tokens -= 1 }
        buckets[client] = b
        if buckets.count > 10_000 { buckets = buckets.filter { $0.value.tokens < burst } }
        return ok
    }
}
