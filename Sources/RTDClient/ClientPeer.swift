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
/// buffer and depacketizer for the negotiated codec, and SCTP data channels.
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
    public private(set) var ice: ICEAgent
    public private(set) var stats = Stats()
    public private(set) var failure: SignalError?
    public var events: [Event] = []
    public var dataChannelSink: (@Sendable (DataChannelEvent) -> Void)?

    private let dtls: DTLSTransport
    private var srtpIn: SRTPContext?
    private var srtcpOut: SRTPContext?
    private var jitter: JitterBuffer
    private var dataChannels: DataChannelTransport?
    private let ssrc = UInt32.random(in: 1...UInt32.max)
    private var mediaSSRC: UInt32?
    private var keyframes = KeyframeGate()
    private var lastReport: Int64 = 0
    private var lastSenderReport: (ntp: NTPTimestamp, rtp: UInt32, at: Int64)?
    private var dtlsPeer: STUNAddress?
    private var reportBaseline = (expected: Int64(0), received: 0)
    private var jitterEstimate = 0.0
    private var lastTransit: Int64?
    private var firstSequence: Int64?
    private var highestSequence: Int64 = 0
    private let logger: Logger

    public init(negotiated: NegotiatedSession, local: ICEAgent.Credentials, certificate: DTLSCertificate,
                logger: Logger) throws(SignalError) {
        guard let video = negotiated.video else { throw SignalError(.protocolError, "the answer accepted no video") }
        guard video.localDirection == .recvonly || video.localDirection == .sendrecv else {
            throw SignalError(.protocolError, "the answer does not send video (direction \(video.localDirection))")
        }
        guard let fingerprint = negotiated.remoteFingerprints.lazy.compactMap({ DTLSFingerprint(sdpValue: "\($0.hashFunction) \($0.value)") }).first else {
            throw SignalError(.protocolError, "the answer's a=fingerprint is not a certificate fingerprint")
        }
        let role: DTLSTransport.Role = negotiated.localSetup == .passive ? .server : .client
        do {
            dtls = try DTLSTransport(role: role, certificate: certificate, remoteFingerprint: fingerprint)
        } catch {
            throw SignalError(.dtlsFailed, "cannot set up DTLS: \(error)")
        }
        self.negotiated = negotiated
        self.video = video
        self.logger = logger
        ice = ICEAgent(local: local, remote: ICEAgent.Credentials(ufrag: negotiated.remoteICEUfrag, password: negotiated.remoteICEPwd),
                       remoteCandidates: negotiated.remoteCandidates)
        jitter = JitterBuffer(isFrameStart: video.codec.rtp.certainlyStartsFrame)
        mediaSSRC = video.remoteSSRCs.first
    }

    // MARK: Input

    public func receive(_ datagram: [UInt8], from source: STUNAddress, now: Int64) -> [ICEAgent.Outgoing] {
        switch WebRTCDatagramKind.classify(datagram) {
        case .stun:
            let out = ice.receive(datagram, from: source, now: now)
            return out + checkICE(now: now)
        case .dtls:
            dtlsPeer = source
            let output = dtls.feed(datagram)
            var out = toPeer(output.datagrams)
            out += checkDTLS(now: now)
            for data in output.applicationData { dataChannels?.receive(data) }
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

    private func toPeer(_ datagrams: [[UInt8]]) -> [ICEAgent.Outgoing] {
        guard let destination = ice.selected ?? dtlsPeer else { return [] }
        return datagrams.map { ICEAgent.Outgoing(bytes: $0, destination: destination) }
    }

    private func checkICE(now: Int64) -> [ICEAgent.Outgoing] {
        switch ice.state {
        case .failed(let reason):
            // Losing a path that worked means the server went away, not that ICE could not connect.
            if dtls.state == .new { fail(.iceFailed, "ICE failed: \(reason)") } else { fail(.unreachable, reason) }
            return []
        case .connected where dtls.state == .new:
            logger.debug("ICE connected to \(ice.selected.map(\.description) ?? "?") after \((now - (ice.startedAt ?? now)) / 1000) ms of checks")
            return toPeer(dtls.start())
        default:
            return []
        }
    }

    private func checkDTLS(now: Int64) -> [ICEAgent.Outgoing] {
        switch dtls.state {
        case .connected where srtpIn == nil:
            guard let keys = dtls.srtpKeys else {
                fail(.dtlsFailed, "DTLS connected but the server negotiated no SRTP profile")
                return []
            }
            do {
                srtpIn = try SRTPContext(keys: keys, direction: .inbound)
                srtcpOut = try SRTPContext(keys: keys, direction: .outbound)
            } catch {
                fail(.dtlsFailed, "SRTP setup failed: \(error)")
                return []
            }
            stats.connectedAt = now
            logger.debug("DTLS connected (\(keys.profile)) \((now - (ice.startedAt ?? now)) / 1000) ms after the first check")
            events.append(.connected)
            startDataChannels()
            return []
        case .failed(let error):
            fail(.dtlsFailed, "DTLS handshake failed: \(error)")
        case .closed:
            fail(.unreachable, "the server ended the session (DTLS close_notify)")
        default:
            break
        }
        return []
    }

    private func fail(_ kind: SignalErrorKind, _ message: String) {
        if failure == nil { failure = SignalError(kind, message) }
    }

    // MARK: RTP

    private func receiveRTP(_ datagram: [UInt8], now: Int64) {
        guard let srtpIn else { return }
        var bytes = datagram
        do {
            try srtpIn.unprotect(&bytes)
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
        updateJitter(packet, now: now)
        guard jitter.insert(packet, now: now) == .stored else { return }
        for frame in jitter.popFrames(now: now) { deliver(frame, now: now) }
    }

    /// RFC 3550 §6.4.1 interarrival jitter, in RTP units, and the highest sequence for reports.
    private func updateJitter(_ packet: RTPPacket, now: Int64) {
        let arrival = now * 9 / 100
        let transit = arrival - Int64(packet.timestamp)
        if let last = lastTransit {
            let d = Double(abs((transit - last) % (1 << 32)))
            if d < 90_000 { jitterEstimate += (d - jitterEstimate) / 16 }
        }
        lastTransit = transit
        let seq = jitter.extend(packet.sequenceNumber)
        if firstSequence == nil { firstSequence = seq; highestSequence = seq }
        highestSequence = max(highestSequence, seq)
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
                                                senderTime: senderTime(rtp: frame.timestamp))))
    }

    /// Maps an RTP timestamp to the sender's wall clock through its last sender report.
    private func senderTime(rtp: UInt32) -> Int64? {
        guard let sr = lastSenderReport else { return nil }
        let unix = (sr.ntp.ntpSeconds - NTPTimestamp.unixToNTPOffset) * 1e6
        return Int64(unix) + Int64(Int32(bitPattern: rtp &- sr.rtp)) * 100 / 9
    }

    /// The decoder lost its reference (it fell behind or hit a corrupt frame): start again at a keyframe.
    public func requestKeyframe() { keyframes.lost() }

    // MARK: RTCP

    private func receiveRTCP(_ datagram: [UInt8], now: Int64) {
        guard let srtpIn else { return }
        var bytes = datagram
        do {
            try srtpIn.unprotectRTCP(&bytes)
        } catch {
            stats.srtpErrors += 1
            return
        }
        guard let packets = try? RTCPPacket.parseCompound(bytes) else { return }
        for packet in packets {
            switch packet {
            case .senderReport(let sr) where mediaSSRC == nil || sr.ssrc == mediaSSRC:
                lastSenderReport = (sr.ntpTimestamp, sr.rtpTimestamp, now)
            case .goodbye(let bye) where mediaSSRC.map(bye.ssrcs.contains) ?? false:
                fail(.unreachable, "the server ended the stream (RTCP BYE\(bye.reason.map { ": \($0)" } ?? ""))")
            default:
                break
            }
        }
    }

    private func sendRTCP(_ packets: [RTCPPacket]) -> [ICEAgent.Outgoing] {
        guard let srtcpOut else { return [] }
        var bytes = RTCPPacket.serializeCompound([.receiverReport(receiverReport(now: SystemClock.monotonicMicros()))] + packets)
        bytes.reserveCapacity(bytes.count + SRTPContext.maxTrailerLength)
        do {
            try srtcpOut.protectRTCP(&bytes)
        } catch {
            return []
        }
        return toPeer([bytes])
    }

    private func receiverReport(now: Int64) -> RTCPReceiverReport {
        guard let media = mediaSSRC, let first = firstSequence else { return RTCPReceiverReport(ssrc: ssrc) }
        let expected = highestSequence - first + 1
        let received = stats.packets
        let expectedInterval = expected - reportBaseline.expected
        let receivedInterval = received - reportBaseline.received
        let lostInterval = max(0, expectedInterval - Int64(receivedInterval))
        reportBaseline = (expected, received)
        let fraction = expectedInterval > 0 ? UInt8(min(255, lostInterval * 256 / expectedInterval)) : 0
        var lsr: UInt32 = 0, dlsr: UInt32 = 0
        if let sr = lastSenderReport {
            lsr = sr.ntp.middle32
            dlsr = UInt32(clamping: (now - sr.at) * 65_536 / 1_000_000)
        }
        let block = RTCPReportBlock(ssrc: media, fractionLost: fraction,
                                    cumulativeLost: Int32(clamping: max(0, expected - Int64(received))),
                                    extendedHighestSequence: UInt32(truncatingIfNeeded: highestSequence),
                                    jitter: UInt32(jitterEstimate), lastSenderReport: lsr, delaySinceLastSenderReport: dlsr)
        return RTCPReceiverReport(ssrc: ssrc, reports: [block])
    }

    // MARK: Timers

    public func tick(now: Int64) -> [ICEAgent.Outgoing] {
        var out = ice.tick(now: now) + checkICE(now: now)
        if let timeout = dtls.nextTimeout, timeout <= .zero {
            out += toPeer(dtls.handleTimeout())
            out += checkDTLS(now: now)
        }
        guard srtcpOut != nil else { return out }
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
        if !feedback.isEmpty || now - lastReport >= 1_000_000 {
            lastReport = now
            out += sendRTCP(feedback)
        }
        return out
    }

    // MARK: Data channels

    private func startDataChannels() {
        guard let dc = negotiated.dataChannel, let sink = dataChannelSink else { return }
        let configuration = SCTPAssociation.Configuration(
            localPort: UInt16(clamping: dc.localSCTPPort), remotePort: UInt16(clamping: dc.remoteSCTPPort),
            remoteMaxMessageSize: dc.remoteMaxMessageSize == 0 ? Int.max : dc.remoteMaxMessageSize,
            mtu: min(1188, dtls.maxApplicationDataSize ?? 1163))
        do {
            // The client's one association runs its work, in order, on a serial queue of its own.
            let queue = DispatchQueue(label: "rtd.client.sctp")
            let transport = try DataChannelTransport(role: dtls.role == .client ? .client : .server,
                                                     configuration: configuration, executor: { queue.async(execute: $0) }, sink: sink)
            dataChannels = transport
            transport.start()
            // Browsers open the channel; rtd serve sends its records on the first one a viewer opens.
            _ = try transport.openChannel(label: "rtd")
        } catch {
            logger.warning("data channel unavailable: \(error)")
        }
    }

    public func handle(_ event: DataChannelEvent) -> [ICEAgent.Outgoing] {
        switch event {
        case .outgoingPacket(let packet):
            guard dtls.state == .connected else { return [] }
            return toPeer((try? dtls.write(packet)) ?? [])
        case .channelOpened:
            events.append(.channelOpened)
        case .message(_, .text(let text)):
            events.append(.text(text))
        case .protocolError(let error):
            logger.debug("data channel: \(error)")
        default:
            break
        }
        return []
    }

    /// Ends the session: close_notify to the peer.
    public func close() -> [ICEAgent.Outgoing] {
        dataChannels?.close()
        return dtls.state == .connected ? toPeer(dtls.close()) : []
    }
}
