import Foundation
import Logging
import Metrics
import Synchronization
import RTDCore
import RTDWebRTC
import RTDMedia

/// Distinct for every track the process makes, video or audio (never reused, unlike an object address).
let nextTrackID = Atomic<UInt64>(0)

/// The encoder of one camera for one codec and layer: a `FrameWorker` takes the newest frame,
/// makes it the layer's size, encodes and packetizes it once, and hands the same packets to every
/// subscriber. Encodes only while someone watches (a viewer, or a recorder taking the encoded
/// frames themselves).
public final class VideoTrack: @unchecked Sendable { // mutable state below is guarded by `lock`
    public typealias Subscriber = @Sendable (RTPPacketBatch) -> Void
    /// Receives each encoded picture before packetization, with its size (a recorder muxes it).
    public typealias EncodedSubscriber = @Sendable (EncodedFrame, VideoSize) -> Void

    public let camera: String
    public let codec: VideoCodec
    /// Its place in the camera's ladder (index 0: the full size).
    public let layer: Layer
    /// Tags this track's batches (`RTPPacketBatch.track`).
    public let id = nextTrackID.add(1, ordering: .relaxed).newValue
    private let worker: FrameWorker<Frame, RTPPacketBatch>
    private let broadcast: FrameBroadcast
    private let settings: LiveEncoder.Settings
    private let frameRate: FrameRate
    private let logger: Logger
    private let encodedSubscribers = SubscriberList<EncodedSubscriber>()
    // Guarded by `lock`: touched by the encoder thread and by peers (keyframe requests, estimates).
    private let lock = NSLock()
    /// A keyframe is wanted, at most this long (µs) after the last forced one; nil: none wanted.
    private var keyframeWanted: Int64?
    private var lastForcedKeyframe: Int64 = 0
    private var targetKbps: Int
    /// The keyframe just sent and every frame since: a viewer that connects soon after a
    /// keyframe starts from these at once instead of waiting for (and forcing) another.
    private var gop: [RTPPacketBatch] = []
    private var gopStarted: Int64 = 0
    /// Capture time that maps to RTP timestamp 0 on this track (set by the first encoded frame).
    private var rtpOriginCapture: Int64?
    static let gopBurstMaxAge: Int64 = 400_000
    static let gopMaxFrames = 16

    /// Forced keyframes are at most this often, so many joiners do not flood the encoder.
    public static let keyframeMinInterval: Int64 = 100_000
    /// A viewer moving up to this layer is not waiting for a picture (it keeps its old layer
    /// meanwhile): its keyframe may wait this long, so that many viewers climbing (a crowd that
    /// joined on a smaller layer) cost the layer's other viewers a few keyframes, not ten a second.
    public static let relaxedKeyframeInterval: Int64 = 700_000

    private let bitrateRange: ClosedRange<Int>
    /// A viewer whose estimate is below this is moving to a lower layer: it must not pull this
    /// layer's bitrate down for the others (nil: the lowest layer, which follows everyone on it).
    private let estimateFloor: Int?
    private var estimates: [String: Int] = [:]

    private let encodeTime: Metrics.Timer
    private let keyframes: Counter
    private let framesEncoded: Counter

    init(camera: String, codec: VideoCodec, layer: Layer, broadcast: FrameBroadcast, frameRate: FrameRate, settings: LiveEncoder.Settings,
         bitrateRange: ClosedRange<Int>, estimateFloor: Int?, logger: Logger) {
        self.camera = camera
        self.layer = layer
        self.estimateFloor = estimateFloor
        var dims = [("camera", camera), ("codec", codec.rawValue)]
        if layer.index > 0 { dims.append(("layer", "\(layer.index)")) }
        encodeTime = Metrics.Timer(label: "rtd_encode_seconds", dimensions: dims, preferredDisplayUnit: .seconds)
        keyframes = Counter(label: "rtd_keyframes_total", dimensions: dims)
        framesEncoded = Counter(label: "rtd_frames_encoded_total", dimensions: dims)
        self.bitrateRange = bitrateRange
        self.codec = codec
        self.frameRate = frameRate
        self.broadcast = broadcast
        self.worker = FrameWorker(name: "encode \(codec.rawValue)\(layer.index > 0 ? " \(layer.index)" : "")", broadcast: broadcast)
        self.settings = settings
        self.targetKbps = settings.bitrateKbps
        self.logger = logger
        worker.start(qualityOfService: .userInteractive, makeState: { EncodeState(packetizer: codec.rtp.makePacketizer()) }) {
            [self] state, frame, targets in
            encode(frame, state: &state, targets: targets)
        }
    }

    /// No keyframe yet: the peer asks for one once DTLS is up and it can actually send.
    public func subscribe(_ subscriber: @escaping Subscriber) -> UInt64 { worker.subscribe(subscriber) }

    public func unsubscribe(_ id: UInt64) { worker.unsubscribe(id) }

    public func subscribeEncoded(_ subscriber: @escaping EncodedSubscriber) -> UInt64 { encodedSubscribers.add(subscriber) }

    public func unsubscribeEncoded(_ id: UInt64) { encodedSubscribers.remove(id) }

    /// Someone takes its pictures, so it encodes.
    public var isEncoding: Bool { worker.subscriberCount > 0 || encodedSubscribers.count > 0 }

    /// A viewer lost a picture (PLI/FIR) or joined with no recent keyframe to start from: the
    /// newest frame is encoded again as a keyframe right away (rate-limited), not at the next capture.
    public func requestKeyframe(minInterval: Int64 = VideoTrack.keyframeMinInterval) {
        let now = lock.withLock {
            keyframeWanted = min(keyframeWanted ?? .max, minInterval)
            return SystemClock.monotonicMicros() - lastForcedKeyframe >= minInterval
        }
        if now, let latest = broadcast.latest { worker.put(latest) }
    }

    /// What a viewer that just connected should be sent first: the frames since a recent
    /// keyframe, or nothing (and a keyframe is requested).
    public func joinBurst() -> [RTPPacketBatch] {
        let burst: [RTPPacketBatch] = lock.withLock {
            guard !gop.isEmpty, SystemClock.monotonicMicros() - gopStarted <= Self.gopBurstMaxAge else { return [] }
            return gop
        }
        if burst.isEmpty { requestKeyframe() }
        return burst
    }

    /// A viewer's bandwidth estimate (REMB, or loss-based from RTCP). One encoder serves every
    /// viewer of the layer, so it follows the lowest estimate, within the configured range; an
    /// estimate below the layer's floor is a viewer on its way down: kept (it goes with the viewer,
    /// `moveEstimate`), not counted.
    public func updateEstimate(peer: String, kbps: Int) {
        lock.withLock {
            estimates[peer] = kbps
            retarget()
        }
    }

    /// The viewer moved to `other` (another layer): its estimate goes with it.
    public func moveEstimate(peer: String, to other: VideoTrack) {
        let kbps = lock.withLock {
            defer { retarget() }
            return estimates.removeValue(forKey: peer)
        }
        if let kbps { other.updateEstimate(peer: peer, kbps: kbps) }
    }

    public func removeEstimate(peer: String) {
        lock.withLock {
            estimates.removeValue(forKey: peer)
            retarget()
        }
    }

    /// The bitrate the encoder is asked for now.
    var targetBitrate: Int { lock.withLock { targetKbps } }

    private func retarget() {
        let floor = estimateFloor ?? 0
        let lowest = estimates.values.filter { $0 >= floor }.min() ?? layer.kbps
        targetKbps = min(bitrateRange.upperBound, max(bitrateRange.lowerBound, lowest))
    }

    /// The RTP timestamp this track gives (or gave) the frame captured at `capturedAt`, so a
    /// detection record can name the exact video frame a viewer of this track sees.
    public func rtpTimestamp(capturedAt: Int64) -> UInt32? {
        lock.withLock { rtpOriginCapture.map { Self.rtpTimestamp(capturedAt: capturedAt, origin: $0) } }
    }

    /// 90 kHz from capture time (µs), relative to the track's first frame.
    static func rtpTimestamp(capturedAt: Int64, origin: Int64) -> UInt32 {
        UInt32(truncatingIfNeeded: (capturedAt - origin) * 9 / 100)
    }

    /// Frames the encoder skipped because a newer one had arrived (it was busy).
    public var droppedFrames: Int { worker.droppedInputs }

    func stop() { worker.stop() }

    /// What only the worker thread touches.
    private struct EncodeState {
        var encoder: LiveEncoder?
        var packetizer: any RTPVideoPacketizer
        var lastPts: Int64 = .min
        var lastCaptured: Int64 = .min
        var picture = 0
        /// Makes frames the layer's size (nil: the full layer).
        var converter: (input: VideoSize, converter: FrameConverter)?
    }

    private func encode(_ input: Frame, state: inout EncodeState, targets: [Subscriber]) {
        var frame = input
        func encoderFor(_ frame: Frame, _ encoder: LiveEncoder?) throws(MediaError) -> LiveEncoder {
            let size = VideoSize(width: frame.width, height: frame.height)
            if let encoder, encoder.size == size { return encoder }
            return try LiveEncoder(codec: codec, settings: settings, size: size, frameRate: frameRate)
        }
        let (forceKey, kbps): (Bool, Int) = lock.withLock {
            let now = SystemClock.monotonicMicros()
            var force = false
            if let wanted = keyframeWanted, now - lastForcedKeyframe >= max(Self.keyframeMinInterval, wanted) {
                force = true
                keyframeWanted = nil
                lastForcedKeyframe = now
            }
            return (force, targetKbps)
        }
        // Made before anyone watches, so the first viewer does not wait for encoder set-up (the
        // full layer's: a lower one is made when a viewer first moves to it).
        if state.encoder == nil, layer.scale == nil { state.encoder = try? encoderFor(frame, nil) }
        let encodedTargets = encodedSubscribers.snapshot
        guard !targets.isEmpty || !encodedTargets.isEmpty else { return }
        if frame.pts <= state.lastPts {
            // The same picture again, to make a keyframe now: one 90 kHz tick later, so
            // timestamps keep increasing for the encoder and for viewers.
            guard forceKey else { return }
            frame = frame.retimed(pts: state.lastPts + 12, capturedAt: state.lastCaptured + 12)
        }
        state.lastPts = frame.pts
        state.lastCaptured = frame.capturedAt
        do {
            if let scale = layer.scale {
                let full = VideoSize(width: frame.width, height: frame.height)
                if state.converter?.input != full { state.converter = (full, FrameConverter(target: scale.size(of: full))) }
                frame = try state.converter!.converter.convert(frame, index: frame.index)
            }
            let current = try encoderFor(frame, state.encoder)
            state.encoder = current
            current.setBitrate(kbps: kbps)
            let started = DispatchTime.now().uptimeNanoseconds
            let out = try current.encode(frame, keyframe: forceKey)
            encodeTime.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started))
            guard let encoded = out else { return }
            framesEncoded.increment()
            if encoded.isKeyframe { keyframes.increment() }
            for deliver in encodedTargets { deliver(encoded, current.size) }
            // 90 kHz from capture time, shared by every viewer of this camera.
            let origin = lock.withLock {
                if rtpOriginCapture == nil { rtpOriginCapture = encoded.capturedAt }
                return rtpOriginCapture!
            }
            let ts = Self.rtpTimestamp(capturedAt: encoded.capturedAt, origin: origin)
            let fragments = state.packetizer.packetize(encoded.data)
            let packets = fragments.map {
                RTPOutboundPacket(payloadType: 0, timestamp: ts, fragment: $0)
            }
            let batch = RTPPacketBatch(packets: packets, rtpTimestamp: ts, isKeyframe: encoded.isKeyframe, picture: state.picture,
                                      track: id, capturedAt: encoded.capturedAt)
            state.picture += 1
            lock.withLock {
                if encoded.isKeyframe {
                    // A periodic keyframe answers any ask made before it.
                    if !forceKey { keyframeWanted = nil }
                    gop = [batch]
                    gopStarted = SystemClock.monotonicMicros()
                } else if !gop.isEmpty {
                    gop.append(batch)
                    if gop.count > Self.gopMaxFrames { gop.removeAll() }
                }
            }
            for deliver in targets { deliver(batch) }
        } catch {
            logger.error("\(codec.rawValue) encoder: \(error.message)")
            state.encoder = nil
        }
    }
}
