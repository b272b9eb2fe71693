import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore

/// The HTTP side of `rtd serve`: signaling, camera list, health, and the viewer page.
public struct HTTPServer {
    public struct Settings: Sendable {
        public var host = "0.0.0.0"
        public var port = 8080
        public var defaultCamera = "cam0"
        /// Off (--no-webrtc): signaling answers 503 and the page goes straight to /api/ws.
        public var webrtcEnabled = true
        /// STUN/TURN servers the page gives its RTCPeerConnection. None is needed on a LAN or
        /// loopback: the server's host candidates are reachable directly.
        public var iceServers: [ICEServerConfig] = []
        /// Most JPEG pictures a second to each /api/ws viewer.
        public var wsMaxFPS: Double = 10
        public var version = "0.1.0"
        public init() {}
    }

    /// One entry of RTCConfiguration.iceServers.
    public struct ICEServerConfig: Sendable, Codable, Equatable {
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

    struct Backend: SignalingBackend {
        let endpoint: WebRTCEndpoint
        func answer(offer sdp: String, camera: String, codec: VideoCodecKind?) async throws(SignalingError) -> (sdp: String, sessionID: String) {
            try await endpoint.answer(offer: sdp, cameraName: camera, codec: codec)
        }
        func addCandidate(sessionID: String, candidate: String) async throws(SignalingError) {
            // ICE-lite: the browser's checks reach us anyway; a trickled candidate only needs a known session.
            guard await endpoint.hasSession(sessionID) else { throw .notFound("no session '\(sessionID)'") }
        }
        func close(sessionID: String) async throws(SignalingError) {
            try await endpoint.close(sessionID: sessionID)
        }
    }

    public static func makeApplication(settings: Settings, hub: CameraHub, endpoint: WebRTCEndpoint,
                                       logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        // WebSocket-capable context: /api/ws upgrades go through this same router (and so through
        // any middleware on it).
        let router = Router(context: ServerRequestContext.self)
        router.post("/api/webrtc/signal") { request, _ -> Response in
            guard settings.webrtcEnabled else {
                return jsonResponse(["type": "error", "error": "WebRTC is disabled on this server (--no-webrtc)"], status: 503)
            }
            let body = try await request.body.collect(upTo: SignalingProtocol.maxBodyBytes + 1)
            let (status, json) = await SignalingProtocol.handle(
                body: Array(body.readableBytesView), defaultCamera: settings.defaultCamera, backend: Backend(endpoint: endpoint))
            return jsonResponse(json, status: status)
        }
        router.get("/api/cameras") { _, _ -> Response in
            let peers = await endpoint.peerStats()
            let list: [[String: Any]] = hub.cameras.map { cam in
                [
                    "name": cam.name, "source": cam.spec.description,
                    "width": cam.capture.size.width, "height": cam.capture.size.height, "fps": cam.capture.frameRate.value,
                    "state": cam.capture.isStreaming ? "streaming" : "reconnecting",
                    "viewers": peers.filter { $0.camera == cam.name }.count,
                    "detector": cam.detector.detectorName,
                    "last_error": cam.capture.lastError ?? NSNull(),
                ]
            }
            return jsonResponse(["cameras": list], status: 200)
        }
        router.get("/api/config") { _, _ -> Response in
            jsonResponse(["cameras": hub.names, "default_camera": settings.defaultCamera, "webrtc": settings.webrtcEnabled,
                          "ice_servers": settings.iceServers.map(\.json), "ws_max_fps": settings.wsMaxFPS,
                          "version": settings.version], status: 200)
        }
        router.ws("/api/ws", shouldUpgrade: { request, context in
            // A plain GET (no Upgrade header) gets a readable error instead of an empty 200.
            guard request.headers[.upgrade]?.lowercased() == "websocket" else {
                throw HTTPError(.badRequest, message: "/api/ws is a WebSocket endpoint: connect with a WebSocket client")
            }
            // A small kernel send buffer: a picture the viewer cannot take yet then waits in our
            // one-picture outbox (where a newer one replaces it), not in megabytes of socket buffer.
            try await context.channel.setOption(.socketOption(.so_sndbuf), value: WebSocketViewer.socketSendBuffer).get()
            return .upgrade([:])
        }, onUpgrade: { inbound, outbound, context in
            let camera = context.request.uri.queryParameters.get("camera") ?? settings.defaultCamera
            await WebSocketViewer.serve(inbound: inbound, outbound: outbound, cameraName: camera, hub: hub,
                                        maxFPS: settings.wsMaxFPS, logger: logger)
        })
        router.get("/healthz") { _, _ -> Response in
            jsonResponse(["status": "ok", "peers": await endpoint.peerCount], status: 200)
        }
        router.get("/") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                     body: .init(byteBuffer: ByteBuffer(string: ViewerPage.html)))
        }
        router.get("/viewer.js") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "no-store"],
                     body: .init(byteBuffer: ByteBuffer(string: ViewerScript.js)))
        }
        router.get("/viewer.css") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "no-store"],
                     body: .init(byteBuffer: ByteBuffer(string: ViewerStyle.css)))
        }
        router.get("/favicon.ico") { _, _ -> Response in Response(status: .noContent) }
        return Application(router: router, server: .http1WebSocketUpgrade(webSocketRouter: router), configuration: .init(address: .hostname(settings.host, port: settings.port),
                                                                serverName: "rtd"),
                           onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? settings.port) },
                           logger: logger)
    }

    /// The request context of every route: WebSocket upgrades, and the connection's channel (to
    /// tune a WebSocket's socket).
    public struct ServerRequestContext: RequestContext, WebSocketRequestContext {
        public var coreContext: CoreRequestContextStorage
        public let webSocket: WebSocketHandlerReference<Self>
        public let channel: any Channel

        public init(source: ApplicationRequestContextSource) {
            coreContext = .init(source: source)
            webSocket = .init()
            channel = source.channel
        }
    }

    static func jsonResponse(_ object: Any, status: Int) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return Response(status: HTTPResponse.Status(code: status), headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
