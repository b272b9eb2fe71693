import Foundation
import Logging
import RTDCore

/// One viewer, server side: ICE-lite responder, DTLS server, SRTP sender of one video stream,
/// RTCP reader. Socket-free: every input is a datagram or a clock tick and every output is a
/// list of datagrams for the caller to send to `remoteAddress`. Confined to one event loop.
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

public final class PeerConnection {
    public enum State: Equatable, Sendable {
        case new, connecting, connected
        case closed(String)
    }

    /// What the peer asks of the stream it watches.
    public struct Events {
        public var keyframeNeeded: () -> Void = {}
        /// DTLS is up: the peer can be sent media (start it from a keyframe).
        public var connected: () -> Void = {}
        public var bitrateEstimate: (Int) -> Void = { _ in }
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
    public let video: NegotiatedVideo
    public let ssrc: UInt32
    public let cname: String
    public private(set) var state: State = .new
    /// The address ICE nominated (the last one with a valid check, as an ICE-lite agent must).
    public private(set) var remoteAddress: STUNAddress?
    public var events = Events()
    public private(set) var stats = Stats()

    private let dtls: DTLSTransport
    private var srtp: SRTPContext?
    private var srtcpIn: SRTPContext?
    /// Where data-channel events go, on `dataChannelExecutor`; the owner hands them back
    /// through `handle(_:)`.
    public var dataChannelSink: (@Sendable (DataChannelEvent) -> Void)?
    /// Where the data channels' SCTP work and `dataChannelSink` calls run: the owner's event loop
    /// (`{ loop.execute($0) }`), so the events need no further hop.
    public var dataChannelExecutor: SCTPExecutor?
    private var dataChannels: DataChannelTransport?
    /// usrsctp's send buffer for this peer's association.
    private let dataChannelSendBuffer: Int
    private var waitingForKeyframe = true
    /// The stream this peer sends (`RTPPacketBatch.track`); batches of any other are dropped.
    private var videoTrack: UInt64?
    private var lastBatch = Int.min
    /// Added to the current track's RTP timestamps. Each track counts from its own start, and the
    /// viewer sees one stream whose clock must go on across a switch: a jump back (to a track
    /// that started later) left Chromium's decoder stalled.
    private var timestampOffset: UInt32 = 0
    private var sequence: UInt16 = UInt16.random(in: 0...UInt16.max)
    private var transportSequence: UInt16 = 0
    private var history = RetransmissionHistory(capacity: 1024)
    private var lastConsent: Int64
    private var lastSenderReport: Int64 = 0
    private var lastRTP: (timestamp: UInt32, at: Int64)?
    private var lastKeyframeAsk: Int64 = 0
    private var keyframeAskPending = false
    static let keyframeAskInterval: Int64 = 300_000
    private var lossEstimate = LossBasedEstimate()
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
    static let senderReportInterval: Int64 = 1_000_000

    public init(sessionID: String, negotiated: NegotiatedSession, localUfrag: String, localPassword: String,
                certificate: DTLSCertificate, ssrc: UInt32, cname: String,
                consentTimeout: Int64 = PeerConnection.defaultConsentTimeout, dataChannelSendBuffer: Int = 256 * 1024,
                logger: Logger) throws(PeerConnectionError) {
        self.consentTimeout = consentTimeout
        self.dataChannelSendBuffer = dataChannelSendBuffer
        guard let video = negotiated.video else { throw .unusableOffer("the offer has no video section rtd can send to") }
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
        self.video = video
        self.localUfrag = localUfrag
        self.localPassword = localPassword
        self.ssrc = ssrc
        self.cname = cname
        self.logger = logger
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
        lastConsent = SystemClock.monotonicMicros()
        if remoteAddress != address {
            // ICE-lite: the controlling agent's latest valid check decides where media goes.
            if remoteAddress != nil { logger.debug("\(sessionID): path moved to \(address)") }
            remoteAddress = address
        }
        if state == .new {
            logger.debug("\(sessionID): first ICE check \((SystemClock.monotonicMicros() - created) / 1000) ms after the offer")
            set(.connecting)
        }
        return STUNMessage.bindingSuccessResponse(to: request, mappedAddress: address, password: localPassword)
    }

    // MARK: DTLS

    public func receiveDTLS(_ datagram: [UInt8]) -> [[UInt8]] {
        let out = dtls.feed(datagram)
        checkDTLS()
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

    /// The stream to send from now on (at the start, and when the viewer switches camera). Its
    /// first picture must be a keyframe; pictures of the previous stream that are still queued
    /// or in flight are dropped, as the viewer's decoder now follows the new one.
    public func restartVideo(track: UInt64) {
        videoTrack = track
        waitingForKeyframe = true
        // The new track numbers its pictures from its own start.
        lastBatch = Int.min
        // The new stream's first delta asks for its keyframe at once, not after the old one's limit.
        lastKeyframeAsk = 0
    }

    private func checkDTLS() {
        switch dtls.state {
        case .connected where srtp == nil:
            guard let keys = dtls.srtpKeys else {
                close(reason: "the peer negotiated no SRTP profile")
                return
            }
            do {
                srtp = try SRTPContext(profile: keys.profile, masterKey: keys.local, direction: .outbound,
                                       allowRepeatTransmit: true, replayWindow: history.capacity)
                srtcpIn = try SRTPContext(profile: keys.profile, masterKey: keys.remote, direction: .inbound)
            } catch {
                close(reason: "SRTP setup failed: \(error)")
                return
            }
            stats.connectedAfterMicros = SystemClock.monotonicMicros() - created
            logger.debug("\(sessionID): DTLS connected \((stats.connectedAfterMicros ?? 0) / 1000) ms after the offer (\(keys.profile))")
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
    /// buffer and encrypted there; nothing until it is connected and until its first keyframe
    /// (a decoder cannot start on a delta frame), and nothing from a track other than the one
    /// chosen with `restartVideo(track:)`.
    public func send(_ batch: RTPPacketBatch, to writer: inout some DatagramWriter) {
        guard state == .connected, let srtp, batch.track == videoTrack else { return }
        // A frame may come twice: once in a join burst, once live. Send it once.
        guard batch.picture > lastBatch else { return }
        let now = SystemClock.monotonicMicros()
        if waitingForKeyframe {
            guard batch.isKeyframe else {
                askKeyframe()
                return
            }
            waitingForKeyframe = false
            if let last = lastRTP {
                // The new track goes on from the last picture sent, as much later as it really is.
                let elapsed = UInt32(clamping: max(1, (now - last.at) * 9 / 100))
                timestampOffset = (last.timestamp &+ elapsed) &- batch.rtpTimestamp
            }
            stats.firstFrameAfterMicros = now - created
            logger.debug("\(sessionID): first keyframe sent \((stats.firstFrameAfterMicros ?? 0) / 1000) ms after the offer")
        }
        let absSendTime = AbsSendTime.value(seconds: Double(SystemClock.nowMicros()) / 1e6)
        let timestamp = batch.rtpTimestamp &+ timestampOffset
        for packet in batch.packets {
            let entry = RetransmissionHistory.Entry(packet: packet, sequence: sequence, timestamp: timestamp,
                                                    absSendTime: absSendTime, transportSequence: transportSequence)
            guard let length = protect(entry, with: srtp, to: &writer) else { continue }
            history.store(entry)
            stats.packetsSent += 1
            stats.bytesSent += length
            sequence &+= 1
            transportSequence &+= 1
        }
        stats.framesSent += 1
        lastBatch = batch.picture
        lastRTP = (timestamp, now)
    }

    /// The RTP timestamp this viewer sees for a picture its current track stamped `trackTimestamp`
    /// (a detection record names its frame by it).
    public func viewerTimestamp(_ trackTimestamp: UInt32) -> UInt32 { trackTimestamp &+ timestampOffset }

    /// Writes and encrypts one packet in `writer`'s buffer; its SRTP length, nil if it failed.
    private func protect(_ entry: RetransmissionHistory.Entry, with srtp: SRTPContext,
                         to writer: inout some DatagramWriter) -> Int? {
        var protected: Int?
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

    private func protect(_ entry: RetransmissionHistory.Entry, with srtp: SRTPContext) -> [UInt8]? {
        var bytes = entry.packet.bytes(payloadType: video.payloadType, sequenceNumber: entry.sequence, timestamp: entry.timestamp,
                                       ssrc: ssrc, absSendTimeID: video.absSendTimeID, absSendTime: entry.absSendTime,
                                       transportSequenceID: video.transportCCID, transportSequence: entry.transportSequence,
                                       tailroom: SRTPContext.maxTrailerLength)
        do {
            try srtp.protect(&bytes)
            return bytes
        } catch {
            logger.warning("\(sessionID): SRTP protect failed: \(error)")
            return nil
        }
    }

    /// Asks the encoder for a keyframe at most every `keyframeAskInterval` (a peer waiting for
    /// one would otherwise ask at every delta frame). An ask inside the interval is kept, not
    /// dropped, and `tick()` makes it when the interval ends: a PLI for a keyframe that was lost
    /// right after an earlier ask must still be answered, or the viewer stays frozen until the
    /// next periodic keyframe (a receiver like aiortc's asks only once per loss).
    private func askKeyframe() {
        let now = SystemClock.monotonicMicros()
        if now - lastKeyframeAsk >= Self.keyframeAskInterval {
            lastKeyframeAsk = now
            keyframeAskPending = false
            events.keyframeNeeded()
        } else {
            keyframeAskPending = true
        }
    }

    // MARK: RTCP in

    public func receiveRTCP(_ datagram: [UInt8]) -> [[UInt8]] {
        guard let srtcpIn else { return [] }
        var bytes = datagram
        do {
            try srtcpIn.unprotectRTCP(&bytes)
        } catch {
            logger.debug("\(sessionID): dropped SRTCP: \(error)")
            return []
        }
        // Authenticated RTCP proves the viewer still wants the stream as well as a consent check
        // does. Some full-ICE agents (libnice, so GStreamer's webrtcbin) send only keepalive
        // indications once a pair is nominated, and RTCP is all we hear from them.
        lastConsent = SystemClock.monotonicMicros()
        let packets: [RTCPPacket]
        do {
            packets = try RTCPPacket.parseCompound(bytes)
        } catch {
            logger.debug("\(sessionID): dropped malformed RTCP: \(error)")
            return []
        }
        var out: [[UInt8]] = []
        for packet in packets {
            switch packet {
            case .receiverReport(let rr):
                readReports(rr.reports)
            case .senderReport(let sr):
                readReports(sr.reports)
            case .nack(let nack) where nack.mediaSSRC == ssrc:
                stats.nacks += 1
                guard let srtp else { break }
                var unavailable = false
                for seq in nack.lostSequenceNumbers {
                    if let entry = history.entry(sequence: seq), let p = protect(entry, with: srtp) {
                        out.append(p)
                        stats.retransmissions += 1
                    } else {
                        unavailable = true
                    }
                }
                // A packet the history no longer holds cannot be repaired: the viewer's picture
                // is broken until a keyframe, so it gets one now rather than when it gives up.
                if unavailable { askKeyframe() }
            case .pictureLossIndication:
                stats.pli += 1
                askKeyframe()
            case .fullIntraRequest:
                stats.fir += 1
                askKeyframe()
            case .remb(let remb):
                let kbps = Int(remb.bitrate / 1000)
                stats.rembKbps = kbps
                events.bitrateEstimate(kbps)
            case .transportFeedback(let fb):
                let results = fb.packets
                let lost = results.filter { $0.receiveDelta == nil }.count
                if let kbps = lossEstimate.update(lossFraction: results.isEmpty ? 0 : Double(lost) / Double(results.count)) {
                    events.bitrateEstimate(kbps)
                }
            default:
                break
            }
        }
        return out
    }

    private func readReports(_ blocks: [RTCPReportBlock]) {
        for block in blocks where block.ssrc == ssrc {
            stats.fractionLost = Double(block.fractionLost) / 256
            stats.jitter = block.jitter
            if let rtt = block.roundTripTime(arrival: NTPTimestamp(date: Date())) { stats.rttMillis = rtt * 1000 }
            if let kbps = lossEstimate.update(lossFraction: stats.fractionLost) { events.bitrateEstimate(kbps) }
        }
    }

    // MARK: Timers

    /// Called every few tens of milliseconds: DTLS retransmissions, sender reports, consent.
    public func tick() -> [[UInt8]] {
        let now = SystemClock.monotonicMicros()
        if case .closed = state { return [] }
        if now - lastConsent > consentTimeout {
            close(reason: state == .connected ? "consent expired (no ICE check or RTCP for \(consentTimeout / 1_000_000) s)" : "never connected")
            return []
        }
        var out: [[UInt8]] = []
        if keyframeAskPending { askKeyframe() }
        if let timeout = dtls.nextTimeout, timeout <= .zero {
            out += dtls.handleTimeout()
            checkDTLS()
        }
        if state == .connected, now - lastSenderReport >= Self.senderReportInterval, let srtp, let last = lastRTP {
            lastSenderReport = now
            let rtpNow = last.timestamp &+ UInt32(truncatingIfNeeded: (now - last.at) * 9 / 100)
            let sr = RTCPSenderReport(ssrc: ssrc, ntpTimestamp: NTPTimestamp(date: Date()), rtpTimestamp: rtpNow,
                                      packetCount: UInt32(truncatingIfNeeded: stats.packetsSent),
                                      octetCount: UInt32(truncatingIfNeeded: stats.bytesSent))
            var bytes = RTCPPacket.serializeCompound([.senderReport(sr), .sourceDescription(RTCPSourceDescription(ssrc: ssrc, cname: cname))])
            bytes.reserveCapacity(bytes.count + SRTPContext.maxTrailerLength)
            if (try? srtp.protectRTCP(&bytes)) != nil { out.append(bytes) }
        }
        return out
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

/// What a peer sent lately, by sequence number, to answer NACKs. It keeps the camera's shared
/// packet and this peer's header fields, not the protected bytes: a copy of every packet per peer
/// was most of a viewer's memory. A resend is the same packet protected again under the same
/// index, so it is byte for byte what was sent first.
struct RetransmissionHistory {
    struct Entry {
        let packet: RTPOutboundPacket
        let sequence: UInt16
        let timestamp: UInt32
        let absSendTime: UInt32
        let transportSequence: UInt16
    }

    private var slots: [Entry?]
    init(capacity: Int) { slots = Array(repeating: nil, count: capacity) }

    var capacity: Int { slots.count }

    mutating func store(_ entry: Entry) {
        slots[Int(entry.sequence) % slots.count] = entry
    }

    func entry(sequence: UInt16) -> Entry? {
        guard let entry = slots[Int(sequence) % slots.count], entry.sequence == sequence else { return nil }
        return entry
    }
}

/// The loss-based half of Google congestion control: back off on loss above 10%, probe up
/// slowly below 2%. Its output is an estimate in kbit/s for the encoder's controller.
struct LossBasedEstimate {
    var kbps = 2500
    private var lastChange: Int64 = 0

    mutating func update(lossFraction: Double) -> Int? {
        let now = SystemClock.monotonicMicros()
        guard now - lastChange >= 200_000 else { return nil }
        if lossFraction > 0.10 {
            kbps = max(100, Int(Double(kbps) * (1 - 0.5 * lossFraction)))
        } else if lossFraction < 0.02 {
            kbps = min(20_000, Int(Double(kbps) * 1.08) + 10)
        } else {
            return nil
        }
        lastChange = now
        return kbps
    }
}
