import Foundation
import Hummingbird
import Logging
import NIOCore

/// The HTTP side of `rtd serve`: signaling, camera list, health, and the viewer page.
public struct HTTPServer {
    public struct Settings: Sendable {
        public var host = "0.0.0.0"
        public var port = 8080
        public var defaultCamera = "cam0"
        public init() {}
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
        let router = Router()
        router.post("/api/webrtc/signal") { request, _ -> Response in
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
        router.get("/healthz") { _, _ -> Response in
            jsonResponse(["status": "ok", "peers": await endpoint.peerCount], status: 200)
        }
        router.get("/") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                     body: .init(byteBuffer: ByteBuffer(string: ViewerPage.html)))
        }
        router.get("/favicon.ico") { _, _ -> Response in Response(status: .noContent) }
        return Application(router: router, configuration: .init(address: .hostname(settings.host, port: settings.port),
                                                                serverName: "rtd"),
                           onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? settings.port) },
                           logger: logger)
    }

    static func jsonResponse(_ object: Any, status: Int) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return Response(status: HTTPResponse.Status(code: status), headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
