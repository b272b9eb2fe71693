import Foundation
import Logging
import RTDCore

/// One viewer, server side: ICE-lite responder, DTLS server, SRTP sender of one video stream per
/// negotiated video section (`VideoSender`; a grid of cameras is several), RTCP reader. Socket-free:
/// every input is a datagram or a clock tick and every output is a list of datagrams for the caller to send to `remoteAddress`. Confined to one event loop.
/// Why a PeerConnection cannot be made from a negotiated session.
public enum PeerConnectionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The offer lacks something this peer needs, or names something it cannot use.
    case unusableOffer(String)

    public var description: String {
        switch self {
        case .unusableOffer(let reason): reason
        }
    }
}

///
/// Its RTCP behaviour is composed of the pure pieces in Interceptors (NACK responder, keyframe
/// requester, sender reports, receiver estimate); the clock is read once per input, here, and
/// passed to them.
public final class PeerConnection {
    public enum State: Equatable, Sendable {
        case new, connecting, connected
        case closed(String)
    }

    /// What the peer asks of the streams it watches (`stream`: index in `videos`).
    public struct Events {
        public var keyframeNeeded: (_ stream: Int) -> Void = { _ in }
        /// DTLS is up: the peer can be sent media (start it from a keyframe).
        public var connected: () -> Void = {}
        public var bitrateEstimate: (_ stream: Int, _ kbps: Int) -> Void = { _, _ in }
        /// The path carries a different layer of `stream`'s source than it is sent now (see `setLayers`).
        public var layerWanted: (_ stream: Int, _ decision: LayerSelector.Decision) -> Void = { _, _ in }
        public var stateChanged: (State) -> Void = { _ in }
        /// A data channel the remote side opened (or one we opened) is open.
        public var channelOpened: (DataChannel) -> Void = { _ in }
        public var channelClosed: (DataChannel) -> Void = { _ in }
        public var message: (DataChannelMessage, DataChannel) -> Void = { _, _ in }
        public init() {}
    }

    public let sessionID: String
    public let localUfrag: String
    public let localPassword: String
    public let negotiated: NegotiatedSession
    /// The video sections it sends, in SDP order.
    public let videos: [NegotiatedVideo]
    /// The first (a single-camera viewer's only) stream.
    public var video: NegotiatedVideo { videos[0] }
    public let cname: String
    public private(set) var state: State = .new
    /// Where media goes: the path last nominated (USE-CANDIDATE), or the first valid one before any.
    public private(set) var remoteAddress: STUNAddress?
    public var events = Events()
    /// Figures of the connection (set-up times, round trip, REMB); stream counters are in `senders`.
    private var connectionStats = Stats()

    private let dtls: DTLSTransport
    private var srtp: SRTPSession?
    /// Where data-channel events go, on `dataChannelExecutor`; the owner hands them back
    /// through `handle(_:)`.
    public var dataChannelSink: (@Sendable (DataChannelEvent) -> Void)?
    /// Where the data channels' SCTP work and `dataChannelSink` calls run: the owner's event loop
    /// (`{ loop.execute($0) }`), so the events need no further hop.
    public var dataChannelExecutor: SCTPExecutor?
    private var dataChannels: DataChannelTransport?
    /// usrsctp's send buffer for this peer's association.
    private let dataChannelSendBuffer: Int
    private var senders: [VideoSender]
    /// The Opus stream, when the viewer's offer asked for sound and the server has some.
    private var audioSender: AudioSender?
    /// transport-cc's sequence (draft-holmer-rmcat-transport-wide-cc-extensions): one over every stream.
    private var transportSequence: UInt16 = 0
    private var lastConsent: Int64
    private let logger: Logger
    private let created: Int64

    public struct Stats: Sendable {
        public var packetsSent = 0
        public var bytesSent = 0
        public var framesSent = 0
        public var nacks = 0
        public var retransmissions = 0
        public var pli = 0
        public var fir = 0
        public var fractionLost = 0.0
        public var jitter: UInt32 = 0
        public var rttMillis: Double?
        public var rembKbps: Int?
        public var connectedAfterMicros: Int64?
        public var firstFrameAfterMicros: Int64?

        public init() {}
    }

    /// A peer that never completes ICE+DTLS, or stops sending consent checks and RTCP, is dropped (RFC 7675).
    public static let defaultConsentTimeout: Int64 = 30_000_000
    private let consentTimeout: Int64

    /// `ssrcs`: one per negotiated video section, in order; `audioSSRC`: the audio stream's, needed
    /// when the negotiation sends audio.
    public init(sessionID: String, negotiated: NegotiatedSession, localUfrag: String, localPassword: String,
                certificate: DTLSCertificate, ssrcs: [UInt32], audioSSRC: UInt32? = nil, cname: String,
                consentTimeout: Int64 = PeerConnection.defaultConsentTimeout, dataChannelSendBuffer: Int = 256 * 1024,
                logger: Logger) throws(PeerConnectionError) {
        self.consentTimeout = consentTimeout
        self.dataChannelSendBuffer = dataChannelSendBuffer
        guard !negotiated.videos.isEmpty else { throw .unusableOffer("the offer has no video section rtd can send to") }
        guard ssrcs.count == negotiated.videos.count, Set(ssrcs).count == ssrcs.count else {
            throw .unusableOffer("\(negotiated.videos.count) video sections need as many distinct SSRCs, not \(ssrcs)")
        }
        if let audio = negotiated.audio, audio.localDirection == .sendonly {
            guard let audioSSRC, !ssrcs.contains(audioSSRC) else {
                throw .unusableOffer("the audio section needs an SSRC of its own, not \(audioSSRC.map(String.init) ?? "none")")
            }
            audioSender = AudioSender(audio: audio, ssrc: audioSSRC, cname: cname)
        }
        guard let fp = negotiated.remoteFingerprints.lazy.compactMap({ DTLSFingerprint(sdpValue: "\($0.hashFunction) \($0.value)") }).first else {
            throw .unusableOffer("the offer's a=fingerprint is not a valid certificate fingerprint")
        }
        do {
            dtls = try DTLSTransport(role: .server, certificate: certificate, remoteFingerprint: fp)
        } catch {
            throw .unusableOffer("cannot set up DTLS: \(error)")
        }
        self.sessionID = sessionID
        self.negotiated = negotiated
        self.videos = negotiated.videos
        self.localUfrag = localUfrag
        self.localPassword = localPassword
        self.cname = cname
        self.logger = logger
        senders = zip(negotiated.videos, ssrcs).map { VideoSender(video: $0, ssrc: $1, cname: cname) }
        created = SystemClock.monotonicMicros()
        lastConsent = created
    }

    private func set(_ s: State) {
        guard s != state else { return }
        state = s
        events.stateChanged(s)
    }

    // MARK: ICE

    /// A connectivity check that already passed integrity: answer it and remember the address.
    public func receiveBindingRequest(_ request: STUNMessage, from address: STUNAddress) -> [UInt8] {
        let now = SystemClock.monotonicMicros()
        lastConsent = now
        // ICE-lite (RFC 8445 7.3.1.5): media goes where the controlling agent nominates (a check
        // with USE-CANDIDATE), until then to the first valid path. A check on another pair without
        // it is the agent still testing; following it sent media down a pair it had not chosen.
        if remoteAddress == nil || (request.useCandidate && remoteAddress != address) {
            if remoteAddress != nil { logger.debug("\(sessionID): path moved to \(address)") }
            remoteAddress = address
        }
        if state == .new {
            logger.debug("\(sessionID): first ICE check \((now - created) / 1000) ms after the offer")
            set(.connecting)
        }
        return STUNMessage.bindingSuccessResponse(to: request, mappedAddress: address, password: localPassword)
    }

    // MARK: DTLS

    public func receiveDTLS(_ datagram: [UInt8]) -> [[UInt8]] {
        datagram.withUnsafeBytes { receiveDTLS($0) }
    }

    /// A DTLS datagram read where it lies (e.g. a NIO buffer's readable bytes); not retained.
    public func receiveDTLS(_ datagram: UnsafeRawBufferPointer) -> [[UInt8]] {
        let out = dtls.feed(datagram)
        checkDTLS(now: SystemClock.monotonicMicros())
        for data in out.applicationData { dataChannels?.receive(data) }
        return out.datagrams
    }

    /// SCTP over DTLS (RFC 8261), once DTLS is up and the offer had an application section.
    private func startDataChannels() {
        guard let dc = negotiated.dataChannel, let sink = dataChannelSink, let executor = dataChannelExecutor,
              dataChannels == nil else { return }
        var configuration = SCTPAssociation.Configuration(
            localPort: UInt16(clamping: dc.localSCTPPort), remotePort: UInt16(clamping: dc.remoteSCTPPort),
            remoteMaxMessageSize: dc.remoteMaxMessageSize == 0 ? Int.max : dc.remoteMaxMessageSize,
            mtu: min(1188, dtls.maxApplicationDataSize ?? 1163))
        configuration.sendBufferSize = dataChannelSendBuffer
        // Messages beyond usrsctp's buffer wait in the association's queue, up to this much.
        configuration.maxQueuedBytes = 4 * dataChannelSendBuffer
        do {
            let transport = try DataChannelTransport(role: .server, configuration: configuration, executor: executor, sink: sink)
            dataChannels = transport
            transport.start()
        } catch {
            logger.warning("\(sessionID): data channels unavailable: \(error)")
        }
    }

    /// A data-channel event, on the owner's loop; returns datagrams to send.
    public func handle(_ event: DataChannelEvent) -> [[UInt8]] {
        switch event {
        case .outgoingPacket(let packet):
            guard dtls.state == .connected else { return [] }
            do {
                return try dtls.write(packet)
            } catch {
                logger.debug("\(sessionID): SCTP packet not sent: \(error)")
                return []
            }
        case .channelOpened(let channel):
            events.channelOpened(channel)
        case .message(let channel, let message):
            events.message(message, channel)
        case .channelClosed(let channel):
            events.channelClosed(channel)
        case .protocolError(let error):
            logger.info("\(sessionID): data channel protocol error: \(error)")
        case .failedWhileClosing(let error):
            logger.debug("\(sessionID): data channel closing: \(error)")
        default:
            break
        }
        return []
    }

    public func send(text: String, on channel: DataChannel) {
        do {
            try channel.send(text)
        } catch {
            logger.debug("\(sessionID): data channel send failed: \(error)")
        }
    }

    /// Sends a message that is worth nothing late (a live update): not sent, and false, when the
    /// channel already holds more than `maxBuffered` bytes, so a slow peer loses messages
    /// instead of growing memory.
    public func sendUnlessBacklogged(text: String, on channel: DataChannel, maxBuffered: Int) -> Bool {
        guard channel.state == .open, channel.bufferedAmount <= maxBuffered else { return false }
        send(text: text, on: channel)
        return true
    }

    /// The track video section `stream` sends from now on (at the start, and when the viewer
    /// switches camera). Its first picture must be a keyframe; pictures of the previous track that
    /// are still queued or in flight are dropped, as the viewer's decoder now follows the new one.
    public func restartVideo(track: UInt64, stream: Int = 0) {
        guard senders.indices.contains(stream) else { return }
        senders[stream].restart(track: track)
    }

    /// Whether the peer sends audio (its offer asked for it and the answer gave it).
    public var sendsAudio: Bool { audioSender != nil }

    /// The audio track sent from now on (at the start, and when the viewer switches camera): its
    /// first packet starts a talkspurt, its clock going on from the last packet of the one before.
    public func restartAudio(track: UInt64) {
        audioSender?.restart(track: track)
    }

    /// Packets and bytes of audio sent.
    public var audioStats: (packets: Int, bytes: Int) { (audioSender?.packetsSent ?? 0, audioSender?.bytesSent ?? 0) }

    /// The nominal bitrates of the layers `stream`'s source is encoded at (largest first), and the
    /// one it is sent now: from now on the peer judges which its path carries (`events.layerWanted`)
    /// and probes for the next one up. Fewer than two: no judging.
    public func setLayers(stream: Int, rates: [Int], current: Int, probeIn: Int64 = LayerSelector.firstProbe) {
        guard senders.indices.contains(stream) else { return }
        senders[stream].layers = rates.count > 1
            ? LayerSelector(rates: rates, layer: current, now: SystemClock.monotonicMicros(), probeIn: probeIn) : nil
    }

    /// One stream's counters (packets, frames, NACKs, keyframe requests, what its receiver
    /// reports) with the connection's figures (set-up times, round trip, REMB).
    public func stats(stream: Int) -> Stats {
        var s = senders[stream].stats
        s.rttMillis = connectionStats.rttMillis
        s.rembKbps = connectionStats.rembKbps
        s.connectedAfterMicros = connectionStats.connectedAfterMicros
        s.firstFrameAfterMicros = connectionStats.firstFrameAfterMicros
        return s
    }

    /// The connection's figures with every stream's counters added up.
    public var stats: Stats {
        var total = connectionStats
        for (i, sender) in senders.enumerated() {
            let s = sender.stats
            total.packetsSent += s.packetsSent
            total.bytesSent += s.bytesSent
            total.framesSent += s.framesSent
            total.nacks += s.nacks
            total.retransmissions += s.retransmissions
            total.pli += s.pli
            total.fir += s.fir
            if i == 0 { (total.fractionLost, total.jitter) = (s.fractionLost, s.jitter) }
        }
        return total
    }

    private func checkDTLS(now: Int64) {
        switch dtls.state {
        case .connected where srtp == nil:
            let session: SRTPSession
            do {
                // Resends are protected again under their first index, as far back as the history holds.
                session = try SRTPSession(dtls: dtls, retransmissionWindow: senders[0].nacks.history.capacity)
            } catch .noProfileNegotiated {
                close(reason: "the peer negotiated no SRTP profile")
                return
            } catch {
                close(reason: "\(error)")
                return
            }
            srtp = session
            connectionStats.connectedAfterMicros = now - created
            logger.debug("\(sessionID): DTLS connected \((connectionStats.connectedAfterMicros ?? 0) / 1000) ms after the offer (\(session.profile))")
            set(.connected)
            startDataChannels()
            events.connected()
        case .failed(let error):
            close(reason: "DTLS failed: \(error)")
        case .closed:
            close(reason: "the peer closed DTLS")
        default:
            break
        }
    }

    // MARK: Media out

    /// `send(_:to:)` collected into arrays.
    public func send(_ batch: RTPPacketBatch) -> [[UInt8]] {
        var list = DatagramList()
        send(batch, to: &list)
        return list.datagrams
    }

    /// Protects one frame's packets for this peer, each written once, straight into `writer`'s
    /// buffer and encrypted there; nothing until it is connected and until its stream's first
    /// keyframe (a decoder cannot start on a delta frame), and nothing from a track none of its
    /// streams was given with `restartVideo(track:stream:)`.
    public func send(_ batch: RTPPacketBatch, to writer: inout some DatagramWriter) {
        if let track = audioSender?.track, track == batch.track { return sendAudio(batch, to: &writer) }
        guard state == .connected, let srtp, let i = senders.firstIndex(where: { $0.track == batch.track }) else { return }
        // A frame may come twice: once in a join burst, once live. Send it once.
        guard batch.picture > senders[i].lastBatch else { return }
        let now = SystemClock.monotonicMicros()
        if senders[i].waitingForKeyframe {
            guard batch.isKeyframe else {
                askKeyframe(stream: i, now: now)
                return
            }
            senders[i].waitingForKeyframe = false
            if let last = senders[i].senderReports.lastPicture {
                // The new track goes on from the last picture sent, as much later as it really is.
                let elapsed = UInt32(clamping: max(1, (now - last.at) * 9 / 100))
                senders[i].timestampOffset = (last.timestamp &+ elapsed) &- batch.rtpTimestamp
            }
            if connectionStats.firstFrameAfterMicros == nil {
                connectionStats.firstFrameAfterMicros = now - created
                logger.debug("\(sessionID): first keyframe sent \((now - created) / 1000) ms after the offer")
            }
        }
        let absSendTime = AbsSendTime.value(seconds: Double(SystemClock.nowMicros()) / 1e6)
        let timestamp = batch.rtpTimestamp &+ senders[i].timestampOffset
        var packets = 0, octets = 0
        for packet in batch.packets {
            let entry = RetransmissionHistory.Entry(packet: packet, sequence: senders[i].sequence, timestamp: timestamp,
                                                    absSendTime: absSendTime, transportSequence: transportSequence)
            guard let length = protect(entry, stream: i, with: srtp.outbound, to: &writer) else { continue }
            senders[i].nacks.sent(entry)
            packets += 1
            octets += length
            senders[i].sequence &+= 1
            transportSequence &+= 1
        }
        senders[i].stats.packetsSent += packets
        senders[i].stats.bytesSent += octets
        senders[i].layers?.sent(packets: packets, bytes: octets)
        senders[i].stats.framesSent += 1
        senders[i].lastBatch = batch.picture
        senders[i].senderReports.sent(timestamp: timestamp, packets: packets, octets: octets, now: now, capturedAt: batch.capturedAt)
    }

    /// One Opus packet (a batch of one) for this peer, once connected.
    private func sendAudio(_ batch: RTPPacketBatch, to writer: inout some DatagramWriter) {
        guard state == .connected, let srtp, var sender = audioSender else { return }
        let now = SystemClock.monotonicMicros()
        if sender.starting { sender.rebase(timestamp: batch.rtpTimestamp, capturedAt: batch.capturedAt, now: now) }
        let timestamp = batch.rtpTimestamp &+ sender.timestampOffset
        var packets = 0, octets = 0
        for packet in batch.packets {
            var protected: Int?
            let (pt, ssrc, sequence, marker) = (sender.audio.payloadType, sender.ssrc, sender.sequence, sender.starting)
            writer.write(capacity: packet.bytes.count + SRTPContext.maxTrailerLength) { buffer in
                let length = packet.write(into: buffer, payloadType: pt, sequenceNumber: sequence, timestamp: timestamp, ssrc: ssrc,
                                          absSendTimeID: nil, absSendTime: 0, transportSequenceID: nil, transportSequence: 0)
                if marker { buffer[1] |= 0x80 }
                do {
                    protected = try srtp.outbound.protect(buffer, length: length)
                } catch {
                    logger.warning("\(sessionID): SRTP protect failed: \(error)")
                }
                return protected ?? 0
            }
            guard let length = protected else { continue }
            sender.starting = false
            sender.sequence &+= 1
            packets += 1
            octets += length
        }
        sender.packetsSent += packets
        sender.bytesSent += octets
        if packets > 0 {
            sender.senderReports.sent(timestamp: timestamp, packets: packets, octets: octets, now: now, capturedAt: batch.capturedAt)
        }
        audioSender = sender
    }

    /// The RTP timestamp the viewer sees on video section `stream` for a picture its track
    /// stamped `trackTimestamp` (a detection record names its frame by it).
    public func viewerTimestamp(_ trackTimestamp: UInt32, stream: Int = 0) -> UInt32 {
        trackTimestamp &+ senders[stream].timestampOffset
    }

    /// Writes and encrypts one packet of `stream` in `writer`'s buffer; its SRTP length, nil if it failed.
    private func protect(_ entry: RetransmissionHistory.Entry, stream: Int, with srtp: SRTPContext,
                         to writer: inout some DatagramWriter) -> Int? {
        var protected: Int?
        let (video, ssrc) = (senders[stream].video, senders[stream].ssrc)
        writer.write(capacity: entry.packet.bytes.count + SRTPContext.maxTrailerLength) { buffer in
            let length = entry.packet.write(into: buffer, payloadType: video.payloadType, sequenceNumber: entry.sequence,
                                            timestamp: entry.timestamp, ssrc: ssrc, absSendTimeID: video.absSendTimeID,
                                            absSendTime: entry.absSendTime, transportSequenceID: video.transportCCID,
                                            transportSequence: entry.transportSequence)
            do {
                protected = try srtp.protect(buffer, length: length)
            } catch {
                logger.warning("\(sessionID): SRTP protect failed: \(error)")
            }
            return protected ?? 0
        }
        return protected
    }

    /// Asks the encoder of `stream` for a keyframe now, or when `tick` finds the kept ask due (`KeyframeRequester`).
    private func askKeyframe(stream: Int, now: Int64) {
        if senders[stream].keyframes.request(now: now) { events.keyframeNeeded(stream) }
    }

    // MARK: RTCP in

    /// An SRTCP datagram, decrypted in the array it came in (taken, not copied).
    public func receiveRTCP(_ datagram: consuming [UInt8]) -> [[UInt8]] {
        receiveRTCP(datagram, now: SystemClock.monotonicMicros(), wallClock: NTPTimestamp(date: Date()))
    }

    /// `now` is monotonic µs; `wallClock` is when it arrived by the clock sender reports carry,
    /// which the viewer's LSR/DLSR refer to.
    func receiveRTCP(_ datagram: consuming [UInt8], now: Int64, wallClock: NTPTimestamp) -> [[UInt8]] {
        guard let srtp else { return [] }
        var bytes = datagram
        do {
            try srtp.inbound.unprotectRTCP(&bytes)
        } catch {
            logger.debug("\(sessionID): dropped SRTCP: \(error)")
            return []
        }
        // Authenticated RTCP proves the viewer still wants the stream as well as a consent check
        // does. Some full-ICE agents (libnice, so GStreamer's webrtcbin) send only keepalive
        // indications once a pair is nominated, and RTCP is all we hear from them.
        lastConsent = now
        let packets: [RTCPPacket]
        do {
            packets = try RTCPPacket.parseCompound(bytes)
        } catch {
            logger.debug("\(sessionID): dropped malformed RTCP: \(error)")
            return []
        }
        var out: [[UInt8]] = []
        let onlyStream = senders.count == 1
        for packet in packets {
            switch packet {
            case .receiverReport(let rr):
                readReports(rr.reports, now: now, wallClock: wallClock)
            case .senderReport(let sr):
                readReports(sr.reports, now: now, wallClock: wallClock)
            case .nack(let nack):
                guard let i = senders.firstIndex(where: { $0.ssrc == nack.mediaSSRC }),
                      let response = senders[i].nacks.respond(to: nack, now: now) else { break }
                senders[i].stats.nacks += 1
                if senders[i].layers != nil {
                    let lost = nack.lostSequenceNumbers.filter { senders[i].nacks.isCurrent($0) }
                    senders[i].layers?.lost(lost)
                }
                var resent = DatagramList()
                for entry in response.resend where protect(entry, stream: i, with: srtp.outbound, to: &resent) != nil {
                    senders[i].stats.retransmissions += 1
                }
                out += resent.datagrams
                if response.unrepairable { askKeyframe(stream: i, now: now) }
            case .pictureLossIndication(let pli):
                for i in senders.indices where senders[i].isAddressed(by: pli.mediaSSRC, onlyStream: onlyStream) {
                    senders[i].stats.pli += 1
                    askKeyframe(stream: i, now: now)
                }
            case .fullIntraRequest(let fir):
                for i in senders.indices where fir.entries.contains(where: { senders[i].isAddressed(by: $0.ssrc, onlyStream: onlyStream) }) {
                    senders[i].stats.fir += 1
                    askKeyframe(stream: i, now: now)
                }
            case .remb(let remb):
                // The receiver's estimate covers the whole connection: each stream gets its share.
                let kbps = senders[0].estimator.receive(remb)
                connectionStats.rembKbps = kbps
                for i in senders.indices { events.bitrateEstimate(i, kbps / senders.count) }
            case .transportFeedback(let feedback):
                // Loss on the shared path is every stream's loss.
                for i in senders.indices {
                    if let kbps = senders[i].estimator.receive(feedback, now: now) { events.bitrateEstimate(i, kbps) }
                }
            default:
                break
            }
        }
        return out
    }

    private func readReports(_ blocks: [RTCPReportBlock], now: Int64, wallClock: NTPTimestamp) {
        for i in senders.indices {
            let estimates = senders[i].estimator.receive(reports: blocks, now: now, arrival: wallClock)
            if blocks.contains(where: { $0.ssrc == senders[i].ssrc }) {
                senders[i].stats.fractionLost = senders[i].estimator.fractionLost
                let fraction = senders[i].estimator.fractionLost
                if let decision = senders[i].layers?.reported(lossFraction: fraction, now: now) { wantLayer(decision, stream: i, now: now) }
                senders[i].stats.jitter = senders[i].estimator.jitter
                if let rtt = senders[i].estimator.roundTripTime {
                    connectionStats.rttMillis = rtt * 1000
                    senders[i].nacks.minResendInterval = min(300_000, max(20_000, Int64(rtt * 1_000_000)))
                }
            }
            for kbps in estimates { events.bitrateEstimate(i, kbps) }
        }
    }

    // MARK: Timers

    /// Called every few tens of milliseconds: DTLS retransmissions, sender reports, consent,
    /// a kept keyframe ask.
    public func tick() -> [[UInt8]] {
        tick(now: SystemClock.monotonicMicros(), wallClock: NTPTimestamp(date: Date()))
    }

    /// `tick()` at a given time: a server ticking many peers reads the clocks once for all.
    public func tick(now: Int64, wallClock: NTPTimestamp) -> [[UInt8]] {
        if case .closed = state { return [] }
        if now - lastConsent > consentTimeout {
            close(reason: state == .connected ? "consent expired (no ICE check or RTCP for \(consentTimeout / 1_000_000) s)" : "never connected")
            return []
        }
        var out: [[UInt8]] = []
        for i in senders.indices where senders[i].keyframes.poll(now: now) { events.keyframeNeeded(i) }
        if let timeout = dtls.nextTimeout, timeout <= .zero {
            out += dtls.handleTimeout()
            checkDTLS(now: now)
        }
        if state == .connected, let srtp {
            for i in senders.indices {
                if let report = senders[i].senderReports.report(now: now, wallClock: wallClock), let bytes = srtp.protect(rtcp: report) {
                    out.append(bytes)
                }
                if senders[i].layers != nil { judgeLayers(stream: i, now: now, srtp: srtp.outbound, into: &out) }
                let again = senders[i].nacks.followUp(now: now)
                if !again.isEmpty {
                    var resent = DatagramList()
                    for entry in again where protect(entry, stream: i, with: srtp.outbound, to: &resent) != nil {
                        senders[i].stats.retransmissions += 1
                    }
                    out += resent.datagrams
                }
            }
            if let report = audioSender?.senderReports.report(now: now, wallClock: wallClock), let bytes = srtp.protect(rtcp: report) {
                out.append(bytes)
            }
        }
        return out
    }

    private func wantLayer(_ decision: LayerSelector.Decision, stream: Int, now: Int64) {
        logger.debug("\(sessionID): stream \(stream) wants layer \(decision.layer) \((now - created) / 1000) ms after the offer (path carries ~\(decision.linkKbps) kbit/s)")
        events.layerWanted(stream, decision)
    }

    /// Lets the stream's layer selector judge its path, and sends the probe padding it asks for:
    /// recent packets again, under their first index, which the receiver's SRTP replay check
    /// drops (or, for one it lost, takes as a repair) — load on the path, nothing for its decoder.
    private func judgeLayers(stream i: Int, now: Int64, srtp: SRTPContext, into out: inout [[UInt8]]) {
        if let decision = senders[i].layers?.tick(now: now) { wantLayer(decision, stream: i, now: now) }
        let kbps = senders[i].layers?.probeKbps ?? 0
        defer { senders[i].probeReckoned = now }
        guard kbps > 0, senders[i].probeReckoned > 0 else {
            senders[i].probeCredit = 0
            return
        }
        // bytes = kbit/s × µs / 8000, at most a few packets a tick so padding never comes in bursts.
        senders[i].probeCredit = min(6_000, senders[i].probeCredit + Double(kbps) * Double(now - senders[i].probeReckoned) / 8_000)
        var padding = DatagramList()
        var misses = 0
        while senders[i].probeCredit > 0, misses < 4 {
            senders[i].probeCursor &+= 1
            if senders[i].probeCursor > 64 { senders[i].probeCursor = 1 }
            guard let entry = senders[i].nacks.history.entry(sequence: senders[i].sequence &- senders[i].probeCursor),
                  let length = protect(entry, stream: i, with: srtp, to: &padding) else {
                misses += 1
                continue
            }
            senders[i].probeCredit -= Double(length)
        }
        out += padding.datagrams
    }

    /// Ends the peer: a close_notify if DTLS is up; the caller stops routing to it.
    @discardableResult
    public func close(reason: String) -> [[UInt8]] {
        if case .closed = state { return [] }
        dataChannels?.close()
        let out = dtls.state == .connected ? dtls.close() : []
        logger.info("\(sessionID): closed: \(reason)")
        set(.closed(reason))
        return out
    }
}
