import Foundation
import Logging
import NIOCore
import Synchronization
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

/// The JPEG stills of one camera for WebSocket viewers: a `FrameWorker` takes the newest frame,
/// at most `maxFPS` a second, encodes it ONCE and hands the same bytes to every subscriber.
/// Encodes only while someone subscribes.
public final class JPEGFeed: Sendable {
    public typealias Subscriber = @Sendable (JPEGPicture) -> Void

    public let maxFPS: Double
    private let worker: FrameWorker<Frame, JPEGPicture>
    private let broadcast: FrameBroadcast
    private let encoded = Atomic<Int>(0)

    private struct EncoderState {
        var encoder: JPEGEncoder?
        var lastPts: Int64?
    }

    init(camera: String, broadcast: FrameBroadcast, maxFPS: Double, quality: Int = 5, logger: Logger) {
        self.maxFPS = maxFPS
        self.broadcast = broadcast
        worker = FrameWorker(name: "jpeg \(camera)", broadcast: broadcast)
        worker.start(makeState: { EncoderState() }, process: { [self] state, frame, targets in
            guard !targets.isEmpty, Self.isDue(pts: frame.pts, last: state.lastPts, maxFPS: maxFPS) else { return }
            do throws(MediaError) {
                let size = VideoSize(width: frame.width, height: frame.height)
                if state.encoder?.size != size { state.encoder = try JPEGEncoder(size: size, quality: quality) }
                let data = try state.encoder!.encode(frame)
                state.lastPts = frame.pts
                encoded.add(1, ordering: .relaxed)
                let picture = JPEGPicture(frame: frame.index, ptsUs: frame.pts, capturedAtUs: frame.capturedAt,
                                          width: frame.width, height: frame.height, jpeg: ByteBuffer(bytes: data))
                for deliver in targets { deliver(picture) }
            } catch {
                logger.error("\(camera): JPEG encoding failed: \(error.message)")
                state.encoder = nil
            }
        })
    }

    public func subscribe(_ subscriber: @escaping Subscriber) -> UInt64 {
        let id = worker.subscribe(subscriber)
        // A new viewer should not wait up to a frame interval for its first picture.
        if let latest = broadcast.latest { worker.put(latest) }
        return id
    }

    public func unsubscribe(_ id: UInt64) { worker.unsubscribe(id) }

    /// WebSocket viewers watching this camera now.
    public var viewerCount: Int { worker.subscriberCount }

    /// Pictures encoded so far (one per picture, however many viewers got it).
    public var picturesEncoded: Int { encoded.load(ordering: .relaxed) }

    func stop() { worker.stop() }

    /// Whether a frame `pts` may be sent after one at `last`: the cap with a little slack, so a
    /// 30 fps camera capped at 10 sends every third frame, not every fourth.
    static func isDue(pts: Int64, last: Int64?, maxFPS: Double) -> Bool {
        guard let last, pts >= last else { return true }
        return Double(pts - last) >= 0.9 * 1_000_000 / maxFPS
    }
}
