import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOSSL
import RTDCore

/// The HTTP side of `rtd serve`: signaling, WHEP, camera list, health, metrics and the viewer page.
public struct HTTPServer {
    public struct Settings: Sendable {
        public var host = "0.0.0.0"
        public var port = 8080
        public var defaultCamera = "cam0"
        /// Required on every route but static assets (nil: no auth).
        public var token: String?
        /// Origins that may call the API from other sites ("*" for any); empty: CORS off.
        public var allowOrigins: [String] = []
        /// PEM files for HTTPS (nil: plain HTTP).
        public var tlsCertificate: String?
        public var tlsKey: String?
        /// Offers (signal and WHEP) per second per client address.
        public var signalRate: Double = 20
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

    struct Backend: SignalingBackend {
        let endpoint: WebRTCEndpoint
        func answer(offer sdp: String, cameras: [String], codec: VideoCodec?) async throws(SignalingHTTPError) -> (sdp: String, sessionID: String) {
            try await endpoint.answer(offer: sdp, cameraNames: cameras, codec: codec)
        }
        func addCandidate(sessionID: String, candidate: String) async throws(SignalingHTTPError) {
            // ICE-lite: the browser's checks reach us anyway; a trickled candidate only needs a known session.
            guard await endpoint.hasSession(sessionID) else { throw .notFound("no session '\(sessionID)'") }
        }
        func close(sessionID: String) async throws(SignalingHTTPError) {
            try await endpoint.close(sessionID: sessionID)
        }
    }

    public static func makeApplication(settings: Settings, hub: CameraHub, endpoint: WebRTCEndpoint, metrics: ServerMetrics?,
                                       logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void) throws -> some ApplicationProtocol {
        let router = Router(context: ServeRequestContext.self)
        router.add(middleware: AccessMiddleware(token: settings.token, allowOrigins: settings.allowOrigins))
        // Inside the access check, so the errors it shapes get the CORS headers too.
        router.add(middleware: ErrorShapeMiddleware())
        let limiter = SignalRateLimiter(perSecond: settings.signalRate)
        @Sendable func rateLimited(_ context: ServeRequestContext) async -> Bool {
            await !limiter.allow(context.remoteAddress?.ipAddress ?? "?")
        }
        let webSocketPath = "/api/ws"
        let tooMany = "too many offers from this address (limit \(settings.signalRate)/s): retry shortly"

        router.post("/api/webrtc/signal") { request, context -> Response in
            guard settings.webrtcEnabled else {
                return jsonResponse(["type": "error", "error": "WebRTC is disabled on this server (--no-webrtc)"], status: 503)
            }
            let body = try await request.readBody(limit: SignalingProtocol.maxBodyBytes)
            let (status, json) = await SignalingProtocol.handle(
                body: Array(body.readableBytesView), defaultCamera: settings.defaultCamera, backend: Backend(endpoint: endpoint),
                admitOffer: { await rateLimited(context) ? tooMany : nil })
            return jsonResponse(json, status: status)
        }
        WHEPRoutes.add(to: router, endpoint: endpoint, iceServers: settings.iceServers, rateLimited: rateLimited, tooMany: tooMany)
        router.get("/api/cameras") { _, _ -> Response in
            let peers = await endpoint.peerStats()
            let list: [[String: Any]] = hub.cameras.map { cam in
                let encoding = cam.encodingLayers
                let layers: [[String: Any]] = cam.layers.map { layer in
                    ["index": layer.index, "width": layer.size.width, "height": layer.size.height, "kbps": layer.kbps,
                     "viewers": peers.filter { $0.camera == cam.name && $0.layer == layer.index }.count,
                     "active": encoding.contains(layer.index)]
                }
                return [
                    "name": cam.name, "source": cam.spec.description,
                    "width": cam.capture.size.width, "height": cam.capture.size.height, "fps": cam.capture.frameRate.value,
                    "state": cam.capture.isStreaming ? "streaming" : "reconnecting",
                    "viewers": peers.filter { $0.camera == cam.name }.count,
                    "ws_viewers": cam.webSocketViewers,
                    "detector": cam.detector.detectorName,
                    "annotate": cam.config.annotate,
                    "codec": cam.config.codec?.rawValue ?? NSNull(),
                    "last_error": cam.capture.lastError ?? NSNull(),
                    "layers": layers,
                ]
            }
            return jsonResponse(["cameras": list], status: 200)
        }
        router.get("/api/config") { _, _ -> Response in
            jsonResponse(["cameras": hub.names, "default_camera": settings.defaultCamera, "webrtc": settings.webrtcEnabled,
                          "ice_servers": settings.iceServers.map(\.json), "ws_max_fps": settings.wsMaxFPS,
                          "version": settings.version], status: 200)
        }
        router.ws(RouterPath(webSocketPath), shouldUpgrade: { request, context in
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
        if let metrics {
            router.get("/metrics") { _, _ -> Response in
                let text = await metrics.render(hub: hub)
                return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                                body: .init(byteBuffer: ByteBuffer(bytes: text)))
            }
        }
        // The viewer: the page at "/", its stylesheet and JavaScript modules beside it.
        for file in ViewerAssets.files {
            router.get(RouterPath(file.path)) { _, _ -> Response in
                Response(status: .ok, headers: [.contentType: file.contentType, .cacheControl: "no-store"],
                         body: .init(byteBuffer: ByteBuffer(string: file.text)))
            }
        }
        router.get("/favicon.ico") { _, _ -> Response in Response(status: .noContent) }

        // WebSocket upgrades (/api/ws) go through the same router, and so through the token check.
        var server = webSocketUpgradeServer(router: router, webSocketPaths: [webSocketPath])
        if let cert = settings.tlsCertificate, let key = settings.tlsKey {
            let chain = try NIOSSLCertificate.fromPEMFile(cert).map { NIOSSLCertificateSource.certificate($0) }
            let tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            server = try .tls(server, tlsConfiguration: tls)
        }
        return Application(router: router, server: server,
                           configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "rtd"),
                           onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? settings.port) },
                           logger: logger)
    }

    static func jsonResponse(_ object: Any, status: Int) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return Response(status: HTTPResponse.Status(code: status), headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// WHEP (draft-ietf-wish-whep): any WHEP player can watch a camera with a plain HTTP exchange of
/// SDP. The session URL is `/whep/CAMERA/SESSION`; DELETE ends it; PATCH (trickle) is accepted.
enum WHEPRoutes {
    static func add(to router: Router<ServeRequestContext>, endpoint: WebRTCEndpoint, iceServers: [ICEServerConfig],
                    rateLimited: @escaping @Sendable (ServeRequestContext) async -> Bool, tooMany: String) {
        router.post("/whep/:camera") { request, context -> Response in
            let camera = context.parameters.get("camera") ?? ""
            guard mediaType(request) == "application/sdp" else {
                return text("WHEP offers are Content-Type: application/sdp", status: .unsupportedMediaType)
            }
            let body = try await request.readBody(limit: SignalingProtocol.maxBodyBytes)
            if await rateLimited(context) { return text(tooMany, status: .tooManyRequests) }
            do throws(SignalingHTTPError) {
                let (sdp, session) = try await endpoint.answer(offer: String(buffer: body), cameraNames: [camera], codec: nil)
                var headers: HTTPFields = [.contentType: "application/sdp", .location: "/whep/\(camera)/\(session)",
                                           .eTag: "\"\(session)\""]
                for server in iceServers {
                    for url in server.urls {
                        var link = "<\(url)>; rel=\"ice-server\""
                        if let u = server.username, let c = server.credential {
                            link += "; username=\"\(u)\"; credential=\"\(c)\"; credential-type=\"password\""
                        }
                        headers.append(HTTPField(name: HTTPField.Name("Link")!, value: link))
                    }
                }
                return Response(status: .created, headers: headers, body: .init(byteBuffer: ByteBuffer(string: sdp)))
            } catch {
                return text(error.message, status: HTTPResponse.Status(code: error.status))
            }
        }
        router.delete("/whep/:camera/:session") { _, context -> Response in
            do throws(SignalingHTTPError) {
                try await endpoint.close(sessionID: context.parameters.get("session") ?? "")
                return Response(status: .ok)
            } catch {
                return text(error.message, status: HTTPResponse.Status(code: error.status))
            }
        }
        router.patch("/whep/:camera/:session") { request, context -> Response in
            guard await endpoint.hasSession(context.parameters.get("session") ?? "") else {
                return text("no such WHEP session", status: .notFound)
            }
            guard mediaType(request) == "application/trickle-ice-sdpfrag" else {
                return text("PATCH takes Content-Type: application/trickle-ice-sdpfrag", status: .unsupportedMediaType)
            }
            _ = try await request.readBody(limit: SignalingProtocol.maxBodyBytes)
            // ICE-lite: the client's checks reach us from its candidates anyway, so trickled
            // candidates need no action; the answer already carried all of ours.
            return Response(status: .noContent)
        }
        router.on("/whep/:camera", method: .options) { _, _ -> Response in
            Response(status: .noContent, headers: [.allow: "POST, OPTIONS", HTTPField.Name("Accept-Post")!: "application/sdp"])
        }
        router.on("/whep/:camera/:session", method: .options) { _, _ -> Response in
            Response(status: .noContent, headers: [.allow: "PATCH, DELETE, OPTIONS"])
        }
    }

    static func mediaType(_ request: Request) -> String? {
        request.headers[.contentType]?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    }

    static func text(_ message: String, status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: message + "\n")))
    }
}
