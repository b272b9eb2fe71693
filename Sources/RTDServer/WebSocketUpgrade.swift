import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1
import RTDCore

/// HTTP/1 with WebSocket upgrades through `router`, like `.http1WebSocketUpgrade(webSocketRouter:)`,
/// except that a refused upgrade gets the router's own answer (the token check's 401, a 404, ...):
/// HummingbirdWebSocket answers every refusal with a bare `400`, which hides why from the client.
/// A malformed handshake (to any path; to another protocol than WebSocket on `webSocketPaths`)
/// gets a 400 or 426 that says why.
func webSocketUpgradeServer(router: Router<ServeRequestContext>, webSocketPaths: Set<String>) -> HTTPServerBuilder {
    let webSocketResponder = RefusalForwardingResponder(base: router.buildResponder())
    return HTTPServerBuilder { responder in
        RefusalAnsweringChannel(base: HTTP1WebSocketUpgradeChannel(responder: responder, webSocketResponder: webSocketResponder,
                                                                   configuration: .init()),
                                webSocketPaths: webSocketPaths)
    }
}

/// The router's answer to a refused upgrade, on its way to the connection's `UpgradeRefusalHandler`.
struct UpgradeRefusal: Sendable {
    let status: HTTPResponseStatus
    let headers: HTTPHeaders
    let body: ByteBuffer
}

/// Runs the upgrade request through the router; when it refuses, hands the answer to the connection's
/// `UpgradeRefusalHandler` before HummingbirdWebSocket declines the upgrade.
struct RefusalForwardingResponder<Base: HTTPResponder>: HTTPResponder where Base.Context == ServeRequestContext {
    let base: Base

    func respond(to request: Request, context: ServeRequestContext) async throws -> Response {
        let response: Response
        do {
            response = try await base.respond(to: request, context: context)
        } catch {
            // What the application answers for an error that is not an HTTP error.
            response = Response(status: .internalServerError)
        }
        guard response.status != .ok else { return response }
        let collector = BodyCollector()
        try await response.body.write(collector)
        var headers = HTTPHeaders(response.headers.map { ($0.name.rawName, $0.value) })
        headers.replaceOrAdd(name: "Content-Length", value: String(collector.buffer.readableBytes))
        headers.replaceOrAdd(name: "Connection", value: "close")
        let refusal = UpgradeRefusal(status: HTTPResponseStatus(statusCode: response.status.code, reasonPhrase: response.status.reasonPhrase),
                                     headers: headers, body: collector.buffer)
        try await context.channel.triggerUserOutboundEvent(refusal).get()
        return response
    }
}

private final class BodyCollector: ResponseBodyWriter {
    var buffer = ByteBuffer()
    func write(_ part: ByteBuffer) async throws { buffer.writeImmutableBuffer(part) }
    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

/// `HTTP1WebSocketUpgradeChannel` plus an `UpgradeRefusalHandler` in every connection's pipeline.
struct RefusalAnsweringChannel: ServerChildChannel {
    let base: HTTP1WebSocketUpgradeChannel
    let webSocketPaths: Set<String>

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1WebSocketUpgradeChannel.Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            // Last for now: between NIO's upgrade handler and the HTTP handlers added when an upgrade
            // is declined, so it sees the response then written.
            try channel.pipeline.syncOperations.addHandler(UpgradeRefusalHandler())
            // Ahead of NIO's upgrade handler, which drops a malformed handshake without an answer.
            let upgrader = try channel.pipeline.syncOperations.handler(type: NIOTypedHTTPServerUpgradeHandler<HTTP1WebSocketUpgradeChannel.UpgradeResult>.self)
            try channel.pipeline.syncOperations.addHandler(WebSocketHandshakeCheck(webSocketPaths: webSocketPaths), position: .before(upgrader))
            return value
        }
    }

    func handle(value: HTTP1WebSocketUpgradeChannel.Value, logger: Logger) async {
        // Its one error-level line is "Error handling upgrade result", which a connection that
        // never spoke HTTP (garbage, a TLS hello; answered 400 by UpgradeRefusalHandler) causes:
        // the client's fault, not the server's, so it is not worth an error in every log.
        var logger = logger
        if logger.logLevel > .debug { logger.logLevel = .critical }
        await base.handle(value: value, logger: logger)
    }
}

/// Replaces the bare `400` written for a declined upgrade with the router's refusal. Only a
/// connection's first request can be an upgrade, so the handler leaves once that is settled.
final class UpgradeRefusalHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var refusal: UpgradeRefusal?

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let refusal = event as? UpgradeRefusal else { return context.triggerUserOutboundEvent(event, promise: promise) }
        self.refusal = refusal
        promise?.succeed()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard let refusal else { return context.write(data, promise: promise) }
        switch unwrapOutboundIn(data) {
        case .head(let head):
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: refusal.status, headers: refusal.headers))),
                          promise: promise)
            context.write(wrapOutboundOut(.body(.byteBuffer(refusal.body))), promise: nil)
        case .body:
            promise?.succeed()  // the refusal's body replaces it
        case .end:
            context.write(data, promise: promise)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
        // A plain request: no upgrade was tried on this connection.
        if refusal == nil { context.pipeline.syncOperations.removeHandler(context: context, promise: nil) }
    }

    /// Bytes that are not HTTP (a TLS hello sent to a plain server, garbage) get a 400 and a
    /// hang-up; nothing else answers them before the upgrade decision, so the connection would
    /// otherwise stay open, silent.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError else { return context.fireErrorCaught(error) }
        let headers = HTTPHeaders([("Content-Length", "0"), ("Connection", "close")])
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .badRequest, headers: headers))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        context.fireUserInboundEventTriggered(event)
        if event is HTTPServerUpgradeEvents { context.pipeline.syncOperations.removeHandler(context: context, promise: nil) }
    }
}

/// RFC 6455 §4.2.1's checks of an opening handshake, as a pure function: a request that asks for
/// an upgrade but cannot get one is told why, rather than seeing its connection dropped.
enum WebSocketHandshake {
    struct Refusal: Equatable {
        let status: HTTPResponseStatus
        let reason: String
        /// Sent with a 426: the versions this server speaks (RFC 6455 §4.4).
        var versionHeader = false
    }

    enum Verdict: Equatable {
        case pass
        /// An upgrade to another protocol off the WebSocket paths: served as plain HTTP/1.1 with the
        /// Upgrade header removed (RFC 9110 §7.8 lets a server ignore it), so `curl --http2` gets its
        /// answer; left in, the request's connection would be dropped unanswered.
        case ignoreUpgrade
        case refuse(Refusal)
    }

    /// `.pass` for a request that is no upgrade attempt (no `Upgrade` header) or a valid WebSocket handshake.
    static func verdict(method: NIOHTTP1.HTTPMethod, uri: String, version: NIOHTTP1.HTTPVersion, headers: HTTPHeaders,
                        webSocketPaths: Set<String>) -> Verdict {
        let upgrade = headers[canonicalForm: "upgrade"].map { $0.lowercased() }
        guard !upgrade.isEmpty else { return .pass }
        // `websocket` or `websocket/13` (RFC 9110 §7.8 protocol/version).
        guard upgrade.contains(where: { $0 == "websocket" || $0.hasPrefix("websocket/") }) else {
            let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? uri
            guard webSocketPaths.contains(path) else { return .ignoreUpgrade }
            let asked = headers["upgrade"].joined(separator: ", ")
            return .refuse(Refusal(status: .badRequest, reason: "this server upgrades only to websocket, not '\(asked.prefix(100))'"))
        }
        return refusal(method: method, version: version, headers: headers).map(Verdict.refuse) ?? .pass
    }

    /// RFC 6455 §4.2.1's requirements of a request that asks for `Upgrade: websocket`.
    private static func refusal(method: NIOHTTP1.HTTPMethod, version: NIOHTTP1.HTTPVersion, headers: HTTPHeaders) -> Refusal? {
        guard method == .GET else { return Refusal(status: .badRequest, reason: "a WebSocket handshake is a GET, not \(method.rawValue)") }
        guard version.major == 1, version.minor >= 1 else { return Refusal(status: .badRequest, reason: "a WebSocket handshake needs HTTP/1.1") }
        guard headers[canonicalForm: "connection"].contains(where: { $0.lowercased() == "upgrade" }) else {
            return Refusal(status: .badRequest, reason: "a WebSocket handshake needs 'Connection: Upgrade'")
        }
        let versions = headers[canonicalForm: "sec-websocket-version"]
        guard versions == ["13"] else {
            let got = versions.isEmpty ? "no Sec-WebSocket-Version" : "Sec-WebSocket-Version '\(versions.joined(separator: ", ").prefix(40))'"
            return Refusal(status: .upgradeRequired, reason: "\(got): this server speaks WebSocket version 13", versionHeader: true)
        }
        let keys = headers["sec-websocket-key"]
        guard keys.count == 1, let key = keys.first else {
            return Refusal(status: .badRequest, reason: keys.isEmpty ? "missing Sec-WebSocket-Key" : "more than one Sec-WebSocket-Key")
        }
        // The key is 16 random bytes in base64 (24 characters).
        guard key.utf8.count == 24, Data(base64Encoded: key)?.count == 16 else {
            return Refusal(status: .badRequest, reason: "Sec-WebSocket-Key must be 16 bytes in base64")
        }
        return nil
    }
}

/// Answers a malformed upgrade request (the connection's first request; see `WebSocketHandshake`)
/// with a 400 or 426 and its reason, then closes; strips an Upgrade to be ignored; anything else
/// passes through, and the handler leaves.
final class WebSocketHandshakeCheck: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let webSocketPaths: Set<String>
    private var refused = false

    init(webSocketPaths: Set<String>) { self.webSocketPaths = webSocketPaths }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // The rest of a refused request (its body) goes nowhere: the connection is closing.
        guard !refused else { return }
        guard case .head(var head) = unwrapInboundIn(data) else { return context.fireChannelRead(data) }
        let refusal: WebSocketHandshake.Refusal
        switch WebSocketHandshake.verdict(method: head.method, uri: head.uri, version: head.version, headers: head.headers,
                                          webSocketPaths: webSocketPaths) {
        case .pass:
            context.fireChannelRead(data)
            return context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        case .ignoreUpgrade:
            let connection = head.headers[canonicalForm: "connection"].filter { $0.lowercased() != "upgrade" }
            head.headers.remove(name: "Upgrade")
            head.headers.remove(name: "Connection")
            if !connection.isEmpty { head.headers.add(name: "Connection", value: connection.joined(separator: ", ")) }
            context.fireChannelRead(wrapInboundOut(.head(head)))
            return context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        case .refuse(let r):
            refusal = r
        }
        refused = true
        // The same shapes as the router's errors: JSON under /api/, text elsewhere.
        let json = head.uri.hasPrefix("/api/")
        let body = ByteBuffer(string: json ? JSONValue.object(JSONObject([("type", .string("error")), ("error", .string(refusal.reason))])).serialized()
                                           : refusal.reason + "\n")
        var headers = HTTPHeaders([("Content-Type", json ? "application/json" : "text/plain; charset=utf-8"),
                                   ("Content-Length", String(body.readableBytes)), ("Connection", "close")])
        if refusal.versionHeader { headers.add(name: "Sec-WebSocket-Version", value: "13") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: refusal.status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
