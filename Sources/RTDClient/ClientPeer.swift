import Foundation
import Logging
import RTDCore
import RTDWebRTC
import RTDMedia

/// One received video frame, still encoded, as the depacketizer rebuilt it.
public struct ReceivedVideoFrame: Sendable {
    public var data: [UInt8]
    public var isKeyframe: Bool
    public var rtpTimestamp: UInt32
    /// Monotonic µs when its last packet arrived.
    public var arrivedAt: Int64
    /// The sender's wall clock for this RTP timestamp (unix µs), from its RTCP sender reports.
    public var senderTime: Int64?
}

/// The receiving peer, client side: controlling ICE agent, DTLS (either role, usually client
/// against rtd serve), SRTP/SRTCP in, RTCP feedback out (receiver reports, NACK, PLI), a jitter
/// buffer and depacketizer for the negotiated codec, and SCTP data channels. Its RTCP is made by
/// the receiving-side interceptors of RTDWebRTC (the jitter buffer's NACK generator, the receiver
/// report generator) and the keyframe gate for PLI.
///
/// Socket-free and confined to one thread: datagrams and ticks in, datagrams out. Data-channel
/// events arrive on usrsctp's queue; the owner hands them back through `handle(_:)`.
public final class ClientPeer {
    public enum Event: Sendable {
        case connected
        case frame(ReceivedVideoFrame)
        case text(String)
        case channelOpened
    }

    public struct Stats: Sendable {
        public var connectedAt: Int64?
        public var firstPacketAt: Int64?
        public var firstFrameAt: Int64?
        public var packets = 0
        public var payloadBytes = 0
        public var framesAssembled = 0
        public var framesDropped = 0
        public var depacketizeErrors = 0
        public var nacksSent = 0
        public var nackedPackets = 0
        public var plisSent = 0
        /// Packets that failed SRTP authentication (forged, replayed or corrupt).
        public var srtpErrors = 0
        public var jitter = JitterBuffer.Stats()
    }

    public let negotiated: NegotiatedSession
    public let video: NegotiatedVideo
    public var ice: ICEAgent { transport.ice }
    public private(set) var stats = Stats()
    public var failure: SignalError? { transport.failure }
    public var events: [Event] {
        get { transport.events }
        set { transport.events = newValue }
    }
    public var dataChannelSink: (@Sendable (DataChannelEvent) -> Void)? {
        get { transport.dataChannelSink }
        set { transport.dataChannelSink = newValue }
    }
    /// Where the association's SCTP work and `dataChannelSink` calls run: the client's event loop.
    public var dataChannelExecutor: SCTPExecutor? {
        get { transport.dataChannelExecutor }
        set { transport.dataChannelExecutor = newValue }
    }

    private let transport: ClientTransport
    private var jitter: JitterBuffer
    private let ssrc: UInt32
    private var mediaSSRC: UInt32?
    private var keyframes = KeyframeGate()
    private var reports: ReceiverReportGenerator
    private let logger: Logger

    /// `relayPriority`, `useHost`: our TURN relay candidate's priority, and whether the socket's own
    /// candidates are used too (see `ICEAgent.init`).
    public init(negotiated: NegotiatedSession, local: ICEAgent.Credentials, certificate: DTLSCertificate,
                relayPriority: UInt32? = nil, useHost: Bool = true, logger: Logger) throws(SignalError) {
        guard let video = negotiated.video else { throw SignalError(.protocolError, "the answer accepted no video") }
        guard video.localDirection == .recvonly || video.localDirection == .sendrecv else {
            throw SignalError(.protocolError, "the answer does not send video (direction \(video.localDirection))")
        }
        transport = try ClientTransport(negotiated: negotiated, local: local, certificate: certificate,
                                        relayPriority: relayPriority, useHost: useHost, logger: logger)
        self.negotiated = negotiated
        self.video = video
        self.logger = logger
        ssrc = UInt32.random(in: 1...UInt32.max)
        reports = ReceiverReportGenerator(ssrc: ssrc)
        jitter = JitterBuffer(isFrameStart: video.codec.rtp.certainlyStartsFrame)
        mediaSSRC = video.remoteSSRCs.first
    }

    // MARK: Input

    /// `relayed`: it came through the TURN allocation.
    public func receive(_ datagram: [UInt8], from source: STUNAddress, relayed: Bool = false, now: Int64) -> [ICEAgent.Outgoing] {
        switch WebRTCDatagramKind.classify(datagram) {
        case .stun:
            return transport.receiveSTUN(datagram, from: source, relayed: relayed, now: now)
        case .dtls:
            let out = datagram.withUnsafeBytes { transport.receiveDTLS($0, from: source, relayed: relayed, now: now) }
            if stats.connectedAt == nil { stats.connectedAt = transport.connectedAt }
            return out
        case .rtp:
            receiveRTP(datagram, now: now)
            return []
        case .rtcp:
            receiveRTCP(datagram, now: now)
            return []
        case .unknown:
            return []
        }
    }

    private func fail(_ kind: SignalErrorKind, _ message: String) { transport.fail(kind, message) }

    // MARK: RTP

    private func receiveRTP(_ datagram: [UInt8], now: Int64) {
        guard let srtp = transport.srtp else { return }
        var bytes = datagram
        do {
            try srtp.inbound.unprotect(&bytes)
        } catch {
            stats.srtpErrors += 1
            return
        }
        guard let packet = try? RTPPacket.parse(bytes), packet.payloadType == video.payloadType else { return }
        if mediaSSRC == nil { mediaSSRC = packet.ssrc }
        guard packet.ssrc == mediaSSRC else { return }
        if stats.firstPacketAt == nil { stats.firstPacketAt = now }
        stats.packets += 1
        stats.payloadBytes += packet.payload.count
        reports.received(packet, now: now)
        guard jitter.insert(packet, now: now) == .stored else { return }
        for frame in jitter.popFrames(now: now) { deliver(frame, now: now) }
    }

    private func deliver(_ frame: JitterBuffer.Frame, now: Int64) {
        let assembled: AssembledVideoFrame
        do {
            assembled = try video.codec.rtp.assemble(frame.packets)
        } catch {
            stats.depacketizeErrors += 1
            keyframes.lost()
            logger.debug("frame \(frame.timestamp) dropped: \(error)")
            return
        }
        guard keyframes.admit(isKeyframe: assembled.isKeyframe, followsLoss: frame.followsLoss) else {
            stats.framesDropped += 1
            return
        }
        stats.framesAssembled += 1
        if stats.firstFrameAt == nil { stats.firstFrameAt = now }
        events.append(.frame(ReceivedVideoFrame(data: assembled.data, isKeyframe: assembled.isKeyframe,
                                                rtpTimestamp: frame.timestamp, arrivedAt: now,
                                                senderTime: reports.senderTime(rtp: frame.timestamp))))
    }

    /// The decoder lost its reference (it fell behind or hit a corrupt frame): start again at a keyframe.
    public func requestKeyframe() { keyframes.lost() }

    // MARK: RTCP

    private func receiveRTCP(_ datagram: [UInt8], now: Int64) {
        guard let srtp = transport.srtp else { return }
        var bytes = datagram
        do {
            try srtp.inbound.unprotectRTCP(&bytes)
        } catch {
            stats.srtpErrors += 1
            return
        }
        guard let packets = try? RTCPPacket.parseCompound(bytes) else { return }
        for packet in packets {
            switch packet {
            case .senderReport(let sr) where mediaSSRC == nil || sr.ssrc == mediaSSRC:
                reports.receivedSenderReport(sr, now: now)
            case .goodbye(let bye) where mediaSSRC.map(bye.ssrcs.contains) ?? false:
                fail(.unreachable, "the server ended the stream (RTCP BYE\(bye.reason.map { ": \($0)" } ?? ""))")
            default:
                break
            }
        }
    }

    // MARK: Timers

    public func tick(now: Int64) -> [ICEAgent.Outgoing] {
        var out = transport.tick(now: now)
        if stats.connectedAt == nil { stats.connectedAt = transport.connectedAt }
        guard let srtp = transport.srtp else { return out }
        for frame in jitter.popFrames(now: now) { deliver(frame, now: now) }
        stats.jitter = jitter.stats
        var feedback: [RTCPPacket] = []
        if video.feedback.nack, let media = mediaSSRC {
            let lost = jitter.nackList(now: now, interval: (ice.roundTripTime ?? 10_000) + 10_000)
            if !lost.isEmpty {
                feedback.append(.nack(RTCPGenericNACK(senderSSRC: ssrc, mediaSSRC: media, lostSequenceNumbers: lost)))
                stats.nacksSent += 1
                stats.nackedPackets += lost.count
            }
        }
        if stats.packets > 0, let media = mediaSSRC, keyframes.shouldRequest(now: now, roundTripTime: ice.roundTripTime) {
            stats.plisSent += 1
            feedback.append(.pictureLossIndication(RTCPPictureLossIndication(senderSSRC: ssrc, mediaSSRC: media)))
        }
        // A compound packet starts with a report (RFC 3550 §6.1), so feedback brings one forward.
        if let report = reports.report(now: now, force: !feedback.isEmpty),
           let bytes = srtp.protect(rtcp: [.receiverReport(report)] + feedback) {
            out += transport.toPeer([bytes])
        }
        return out
    }

    /// When `tick` next has work: the earliest of ICE's, DTLS's retransmission, the jitter
    /// buffer's give-up and NACK times, the keyframe request and the next receiver report; nil when
    /// nothing is pending. Mirrors `tick`'s conditions so that a deadline is never one `tick` ignores.
    public func nextDeadline(now: Int64) -> Int64? {
        var next = transport.nextDeadline(now: now)
        func consider(_ time: Int64?) { if let time { next = min(next ?? time, time) } }
        guard transport.srtp != nil else { return next }
        consider(reports.deadline)
        let nacking = video.feedback.nack && mediaSSRC != nil
        consider(jitter.nextDeadline(nackInterval: nacking ? (ice.roundTripTime ?? 10_000) + 10_000 : nil))
        if stats.packets > 0, mediaSSRC != nil { consider(keyframes.nextDeadline(roundTripTime: ice.roundTripTime)) }
        return next
    }

    // MARK: Data channels

    public func handle(_ event: DataChannelEvent) -> [ICEAgent.Outgoing] { transport.handle(event) }

    /// Ends the session: close_notify to the peer.
    public func close() -> [ICEAgent.Outgoing] { transport.close() }
}
