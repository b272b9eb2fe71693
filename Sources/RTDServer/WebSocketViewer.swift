import Foundation
import HummingbirdWebSocket
import Logging
import NIOCore
import RTDCore
import RTDDetection

/// One browser on `/api/ws`: JPEG stills of its camera (the newest only; one that the
/// connection is not ready for is replaced, never queued) and detection records as text.
///
/// Producers (a camera's JPEG and detector threads, the reader) only fill the outbox; one writer
/// task sends from it, so a frame's announcement and its JPEG are always adjacent.
final class WebSocketViewer: @unchecked Sendable { // mutable state guarded by `lock`
    /// Records waiting beyond this many are stale: the oldest are dropped.
    static let maxQueuedRecords = 8
    static let maxQueuedReplies = 32
    /// SO_SNDBUF of a WebSocket connection (Linux doubles it): a few pictures, enough for the
    /// bandwidth-delay product of 10 pictures a second, far from the megabytes autotuning allows.
    static let socketSendBuffer = 96 << 10

    private let hub: CameraHub
    private let maxFPS: Double
    private let logger: Logger
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    // Guarded by `lock`.
    private let lock = NSLock()
    private var camera: Camera?
    private var pictureSubscription: UInt64?
    private var recordSubscription: UInt64?
    private var picture: JPEGPicture?
    private var replies: [String] = []
    private var records: [String] = []

    init(hub: CameraHub, maxFPS: Double, logger: Logger) {
        self.hub = hub
        self.maxFPS = maxFPS
        self.logger = logger
        (wakeups, wake) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    static func hello(_ camera: Camera) -> String {
        message(["type": "hello", "camera": camera.name, "width": camera.capture.size.width,
                 "height": camera.capture.size.height, "fps": camera.capture.frameRate.value])
    }

    static func message(_ object: [String: Any]) -> String { ViewerControl.message(object) }

    /// Serves one connection until either side ends it.
    static func serve(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, cameraName: String,
                      hub: CameraHub, maxFPS: Double, logger: Logger) async {
        guard let camera = hub.camera(named: cameraName) else {
            let reason = "no camera '\(cameraName)' (cameras: \(hub.names.joined(separator: ", ")))"
            try? await outbound.write(.text(message(["type": "error", "error": reason])))
            // Close reasons are at most 123 bytes (RFC 6455 5.5); 4404 is ours (4000-4999: private use).
            try? await outbound.close(.unknown(4404), reason: String(decoding: Array(reason.utf8.prefix(120)), as: UTF8.self))
            return
        }
        let viewer = WebSocketViewer(hub: hub, maxFPS: maxFPS, logger: logger)
        viewer.watch(camera)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do { try await viewer.send(to: outbound) } catch { logger.debug("ws viewer: write failed: \(error)") }
            }
            do {
                for try await incoming in inbound.messages(maxSize: 64 << 10) {
                    guard case .text(let text) = incoming else {
                        viewer.reply(message(["type": "error", "error": "binary messages are not understood; send JSON text"]))
                        continue
                    }
                    viewer.control(text)
                }
            } catch {
                logger.debug("ws viewer: read failed: \(error)")
            }
            viewer.finish()
            group.cancelAll()
        }
    }

    private func control(_ text: String) {
        reply(ViewerControl.respond(to: text, hub: hub) { camera in
            watch(camera)
            return [:]
        })
    }

    /// Switches to `camera`: its hello goes out before any of its pictures.
    private func watch(_ camera: Camera) {
        let feed = camera.jpegFeed(maxFPS: maxFPS)
        let name = camera.name
        let (old, oldPictures, oldRecords): (Camera?, UInt64?, UInt64?) = lock.withLock {
            defer {
                self.camera = camera
                picture = nil
                records.removeAll()
                replies.append(Self.hello(camera))
            }
            return (self.camera, pictureSubscription, recordSubscription)
        }
        if let old {
            if let s = oldPictures { old.jpegFeed(maxFPS: maxFPS).unsubscribe(s) }
            if let s = oldRecords { old.detector.unsubscribe(s) }
        }
        let newPictures = feed.subscribe { [weak self] p in self?.offer(p, from: name) }
        let newRecords = camera.detector.subscribe { [weak self] r in self?.offer(r, from: name) }
        lock.withLock {
            pictureSubscription = newPictures
            recordSubscription = newRecords
        }
        wake.yield()
    }

    private func offer(_ p: JPEGPicture, from name: String) {
        let current = lock.withLock {
            guard camera?.name == name else { return false }
            picture = p
            return true
        }
        if current { wake.yield() }
    }

    private func offer(_ r: DetectionRecord, from name: String) {
        let current = lock.withLock {
            guard camera?.name == name else { return false }
            records.append(r.jsonLine())
            if records.count > Self.maxQueuedRecords { records.removeFirst(records.count - Self.maxQueuedRecords) }
            return true
        }
        if current { wake.yield() }
    }

    private func reply(_ text: String) {
        lock.withLock {
            replies.append(text)
            if replies.count > Self.maxQueuedReplies { replies.removeFirst(replies.count - Self.maxQueuedReplies) }
        }
        wake.yield()
    }

    private enum Outgoing {
        case text(String)
        case picture(JPEGPicture)
    }

    private func next() -> Outgoing? {
        lock.withLock {
            if !replies.isEmpty { return .text(replies.removeFirst()) }
            if !records.isEmpty { return .text(records.removeFirst()) }
            if let p = picture {
                picture = nil
                return .picture(p)
            }
            return nil
        }
    }

    private func send(to outbound: WebSocketOutboundWriter) async throws {
        for await _ in wakeups {
            while let item = next() {
                switch item {
                case .text(let text):
                    try await outbound.write(.text(text))
                case .picture(let p):
                    try await outbound.write(.text(p.announcement))
                    // Awaiting the write is the backpressure: pictures arriving meanwhile replace
                    // each other in the outbox.
                    try await outbound.write(.binary(p.jpeg))
                }
            }
        }
    }

    private func finish() {
        let (cam, pictures, records): (Camera?, UInt64?, UInt64?) = lock.withLock {
            defer { camera = nil }
            return (camera, pictureSubscription, recordSubscription)
        }
        if let cam {
            if let s = pictures { cam.jpegFeed(maxFPS: maxFPS).unsubscribe(s) }
            if let s = records { cam.detector.unsubscribe(s) }
        }
        wake.finish()
    }
}
