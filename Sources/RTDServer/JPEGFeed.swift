import Foundation
import Logging
import NIOCore
import RTDMedia

/// One JPEG picture of a camera, with the timing of the frame it shows.
public struct JPEGPicture: Sendable {
    public let frame: Int
    public let ptsUs: Int64
    public let capturedAtUs: Int64
    public let width: Int
    public let height: Int
    /// Shared by every viewer's connection, never copied per viewer.
    public let jpeg: ByteBuffer

    /// The text message that announces this picture on /api/ws; the JPEG follows as binary.
    public var announcement: String {
        "{\"type\":\"frame\",\"frame\":\(frame),\"pts_us\":\(ptsUs),\"captured_at_us\":\(capturedAtUs),"
            + "\"width\":\(width),\"height\":\(height)}"
    }
}

/// The JPEG stills of one camera for WebSocket viewers: its own thread takes the newest frame,
/// at most `maxFPS` a second, encodes it ONCE and hands the same bytes to every subscriber.
/// Encodes only while someone subscribes.
public final class JPEGFeed: @unchecked Sendable {
    public typealias Subscriber = @Sendable (JPEGPicture) -> Void

    public let maxFPS: Double
    private let mailbox: LatestFrameMailbox
    private let broadcast: FrameBroadcast
    private let quality: Int
    private let logger: Logger
    private let subscribers = SubscriberList<Subscriber>()
    // Guarded by `lock`.
    private let lock = NSLock()
    private var stopped = false
    private var encoded = 0

    init(camera: String, broadcast: FrameBroadcast, maxFPS: Double, quality: Int = 5, logger: Logger) {
        self.maxFPS = maxFPS
        self.broadcast = broadcast
        self.mailbox = broadcast.subscribe()
        self.quality = quality
        self.logger = logger
        let thread = Thread { [self] in run(camera) }
        thread.name = "jpeg \(camera)"
        thread.start()
    }

    public func subscribe(_ subscriber: @escaping Subscriber) -> UInt64 {
        let id = subscribers.add(subscriber)
        // A new viewer should not wait up to a frame interval for its first picture.
        if let latest = broadcast.latest { mailbox.put(latest) }
        return id
    }

    public func unsubscribe(_ id: UInt64) { subscribers.remove(id) }

    /// WebSocket viewers watching this camera now.
    public var viewerCount: Int { subscribers.count }

    /// Pictures encoded so far (one per picture, however many viewers got it).
    public var picturesEncoded: Int { lock.withLock { encoded } }

    func stop() {
        lock.withLock { stopped = true }
        broadcast.unsubscribe(mailbox)
    }

    /// Whether a frame `pts` may be sent after one at `last`: the cap with a little slack, so a
    /// 30 fps camera capped at 10 sends every third frame, not every fourth.
    static func isDue(pts: Int64, last: Int64?, maxFPS: Double) -> Bool {
        guard let last, pts >= last else { return true }
        return Double(pts - last) >= 0.9 * 1_000_000 / maxFPS
    }

    private func run(_ camera: String) {
        var encoder: JPEGEncoder?
        var lastPts: Int64?
        while true {
            let frame: Frame?
            do { frame = try mailbox.take() } catch { frame = nil }
            guard let frame else { break }
            if lock.withLock({ stopped }) { break }
            let targets = subscribers.snapshot
            guard !targets.isEmpty, Self.isDue(pts: frame.pts, last: lastPts, maxFPS: maxFPS) else { continue }
            do {
                let size = VideoSize(width: frame.width, height: frame.height)
                if encoder?.size != size { encoder = try JPEGEncoder(size: size, quality: quality) }
                let data = try encoder!.encode(frame)
                lastPts = frame.pts
                lock.withLock { encoded += 1 }
                let picture = JPEGPicture(frame: frame.index, ptsUs: frame.pts, capturedAtUs: frame.capturedAt,
                                          width: frame.width, height: frame.height, jpeg: ByteBuffer(bytes: data))
                for deliver in targets { deliver(picture) }
            } catch {
                logger.error("\(camera): JPEG encoding failed: \(error.message)")
                encoder = nil
            }
        }
    }
}
