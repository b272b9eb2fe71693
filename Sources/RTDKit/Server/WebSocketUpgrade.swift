import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1

/// HTTP/1 with WebSocket upgrades through `router`, like `.http1WebSocketUpgrade(webSocketRouter:)`,
/// except that a refused upgrade gets the router's own answer (the token check's 401, a 404, ...):
/// HummingbirdWebSocket answers every refusal with a bare `400`, which hides why from the client.
func webSocketUpgradeServer(router: Router<ServeRequestContext>) -> HTTPServerBuilder {
    let webSocketResponder = RefusalForwardingResponder(base: router.buildResponder())
    return HTTPServerBuilder { responder in
        RefusalAnsweringChannel(base: HTTP1WebSocketUpgradeChannel(responder: responder, webSocketResponder: webSocketResponder,
                                                                   configuration: .init()))
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

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1WebSocketUpgradeChannel.Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            // Last for now: between NIO's upgrade handler and the HTTP handlers added when an upgrade
            // is declined, so it sees the response then written.
            try channel.pipeline.syncOperations.addHandler(UpgradeRefusalHandler())
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
