import Foundation
import Logging
import Metrics
import Synchronization
import RTDCore
import RTDMedia
import RTDWebRTC

/// The sound of one camera, encoded once as Opus and packetized once for every listener: a
/// thread reads the source in real time and encodes each 20 ms frame while anyone listens; it
/// starts with the first listener and ends after the last (the source is opened again on the
/// next). RTP timestamps are 48 kHz from capture time, relative to the track's first packet, as
/// video's are 90 kHz from the same clock: sender reports map both to the wall clock by capture.
public final class AudioTrack: @unchecked Sendable { // `state` guarded by `lock`
    public typealias Subscriber = @Sendable (RTPPacketBatch) -> Void

    public let camera: String
    /// Tags this track's batches (`RTPPacketBatch.track`), from the same sequence as video tracks'.
    public let id = nextTrackID.add(1, ordering: .relaxed).newValue
    private let makeSource: @Sendable () throws(MediaError) -> any AudioSource
    private let logger: Logger
    private let encoded: Counter

    private struct State {
        var subscribers: [UInt64: Subscriber] = [:]
        var nextID: UInt64 = 0
        var running = false
        var stopped = false
        /// Capture time that maps to RTP timestamp 0 (set by the first packet, kept across restarts).
        var origin: Int64?
    }

    private let lock = NSLock()
    private var state = State()

    init(camera: String, logger: Logger, makeSource: @escaping @Sendable () throws(MediaError) -> any AudioSource) {
        self.camera = camera
        self.logger = logger
        self.makeSource = makeSource
        encoded = Counter(label: "rtd_audio_frames_encoded_total", dimensions: [("camera", camera)])
    }

    /// Adds a listener; the first starts the capture and encoder.
    public func subscribe(_ subscriber: @escaping Subscriber) -> UInt64 {
        let (id, start): (UInt64, Bool) = lock.withLock {
            state.nextID += 1
            state.subscribers[state.nextID] = subscriber
            let start = !state.running && !state.stopped
            if start { state.running = true }
            return (state.nextID, start)
        }
        if start { startThread() }
        return id
    }

    /// The last listener leaving ends the thread at its next frame.
    public func unsubscribe(_ id: UInt64) {
        lock.withLock { _ = state.subscribers.removeValue(forKey: id) }
    }

    public var isEncoding: Bool { lock.withLock { state.running } }

    func stop() { lock.withLock { state.stopped = true } }

    /// 48 kHz from capture time (µs), relative to the track's first packet.
    static func rtpTimestamp(capturedAt: Int64, origin: Int64) -> UInt32 {
        UInt32(truncatingIfNeeded: (capturedAt - origin) * 48 / 1000)
    }

    private func startThread() {
        let thread = Thread { [self] in run() }
        // The camera's name, not the source's (a URL may carry credentials).
        thread.name = "audio \(camera)"
        thread.qualityOfService = .userInteractive
        thread.start()
    }

    /// The listeners now, or nil (and the thread ends) when there are none left.
    private func listeners() -> [Subscriber]? {
        lock.withLock {
            guard !state.subscribers.isEmpty, !state.stopped else {
                state.running = false
                return nil
            }
            return Array(state.subscribers.values)
        }
    }

    private func run() {
        let source: any AudioSource
        let encoder: OpusEncoder
        do throws(MediaError) {
            source = try makeSource()
            encoder = try OpusEncoder(channels: source.channels)
        } catch {
            logger.error("audio: \(error.message)")
            lock.withLock { state.running = false }
            return
        }
        var sequence = 0
        while let targets = listeners() {
            do throws(MediaError) {
                guard let frame = try source.nextFrame() else { throw MediaError(.io, "the audio source ended") }
                for packet in try encoder.encode(frame) {
                    encoded.increment()
                    let origin = lock.withLock {
                        if state.origin == nil { state.origin = packet.capturedAt }
                        return state.origin!
                    }
                    let ts = Self.rtpTimestamp(capturedAt: packet.capturedAt, origin: origin)
                    let rtp = RTPOutboundPacket(payloadType: 0, timestamp: ts, marker: false, payload: packet.data,
                                                reserveAbsSendTime: false, reserveTransportSequence: false)
                    let batch = RTPPacketBatch(packets: [rtp], rtpTimestamp: ts, isKeyframe: true, picture: sequence, track: id,
                                               capturedAt: packet.capturedAt)
                    sequence += 1
                    for deliver in targets { deliver(batch) }
                }
            } catch {
                logger.error("audio: \(error.message)")
                lock.withLock { state.running = false }
                return
            }
        }
    }
}
