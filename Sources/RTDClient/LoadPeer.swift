import Logging
import RTDCore
import RTDWebRTC

/// One viewer of `rtd signal --viewers`: a `ClientTransport` (ICE, DTLS, SRTP keys, the data
/// channel, as a single `rtd signal` connects) and, for the video, counting instead of a jitter
/// buffer and a decoder: `RTPReceiveCounter` counts each packet from its header.
///
/// SRTP: until the first keyframe is in whole, each packet is authenticated and decrypted in
/// place, because the payload's first bytes tell where a keyframe starts. After that the header
/// is read where it lies, in the clear as SRTP leaves it, from the address ICE selected: the
/// server is what is measured, and decrypting every packet would be about an eighth of the load
/// client's own CPU, for figures (packets, frames, loss) the header alone gives.
///
/// What goes back keeps the server's view of a live viewer: consent checks (ICE, every 5 s),
/// a receiver report every second (loss, jitter, and the sender-report echo the server measures
/// its round trip with), and a PLI only while the first keyframe has not arrived whole. No NACK:
/// a lost packet stays lost and counts as loss (the server's retransmissions would otherwise hide
/// the load client's own drops).
///
/// Socket-free and confined to its shard's event loop.
final class LoadPeer {
    static let pliInterval: Int64 = 1_000_000
    /// How long after the first packet a keyframe may take to arrive whole before one is asked for.
    static let firstFrameGrace: Int64 = 500_000

    let transport: ClientTransport
    let video: NegotiatedVideo
    private(set) var counter = RTPReceiveCounter()
    private(set) var srtpErrors = 0
    private(set) var plisSent = 0
    private var reports: ReceiverReportGenerator
    private let ssrc: UInt32
    private var mediaSSRC: UInt32?
    private var lastPLI = Int64.min / 2

    init(negotiated: NegotiatedSession, local: ICEAgent.Credentials, certificate: DTLSCertificate,
         logger: Logger) throws(SignalError) {
        guard let video = negotiated.video else { throw SignalError(.protocolError, "the answer accepted no video") }
        guard video.localDirection == .recvonly || video.localDirection == .sendrecv else {
            throw SignalError(.protocolError, "the answer does not send video (direction \(video.localDirection))")
        }
        var timing = ICEAgent.Timing()
        // RFC 7675's consent checks every 5 s, as browsers send them (a single rtd signal checks
        // every 2 s, for its RTT figure); well within the server's 30 s consent timeout.
        timing.consentInterval = 5_000_000
        transport = try ClientTransport(negotiated: negotiated, local: local, certificate: certificate, iceTiming: timing, logger: logger)
        self.video = video
        ssrc = UInt32.random(in: 1...UInt32.max)
        reports = ReceiverReportGenerator(ssrc: ssrc)
        mediaSSRC = video.remoteSSRCs.first
    }

    var failure: SignalError? { transport.failure }

    /// Whether SRTP packets are still to be decrypted (`decryptRTP`), not just counted (`countRTP`).
    var decrypting: Bool { counter.awaitingFirstFrame || transport.srtp == nil }

    /// An SRTP packet, in a buffer the caller owns and lets us decrypt in place.
    func decryptRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int, now: Int64) {
        guard let srtp = transport.srtp else { return }
        let plain: Int
        do {
            plain = try srtp.inbound.unprotect(buffer, length: length)
        } catch {
            srtpErrors += 1
            return
        }
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[..<plain])
        guard let header = RTPHeaderFields.parse(bytes) else { return }
        let start = counter.awaitingFirstFrame
            ? PayloadStart.inspect(UnsafeRawBufferPointer(rebasing: bytes[header.payload]), codec: video.codec) : .neither
        count(header, start: start, now: now)
    }

    /// An SRTP packet once the first frame is in: counted from its header, not decrypted.
    func countRTP(_ bytes: UnsafeRawBufferPointer, now: Int64) {
        guard let srtp = transport.srtp, let header = RTPHeaderFields.parse(bytes, trailer: srtp.profile.rtpOverhead) else { return }
        count(header, start: .neither, now: now)
    }

    private func count(_ header: RTPHeaderFields, start: PayloadStart, now: Int64) {
        guard header.payloadType == video.payloadType else { return }
        if mediaSSRC == nil { mediaSSRC = header.ssrc }
        guard header.ssrc == mediaSSRC else { return }
        reports.received(ssrc: header.ssrc, sequenceNumber: header.sequenceNumber, timestamp: header.timestamp, now: now)
        counter.received(sequence: header.sequenceNumber, marker: header.marker, payloadBytes: header.payload.count,
                         start: start, now: now)
    }

    /// An SRTCP packet (sender reports for the round trip, BYE).
    func receiveRTCP(_ datagram: [UInt8]) {
        guard let srtp = transport.srtp else { return }
        var bytes = datagram
        do {
            try srtp.inbound.unprotectRTCP(&bytes)
        } catch {
            srtpErrors += 1
            return
        }
        guard let packets = try? RTCPPacket.parseCompound(bytes) else { return }
        for packet in packets {
            switch packet {
            case .senderReport(let sr) where mediaSSRC == nil || sr.ssrc == mediaSSRC:
                reports.receivedSenderReport(sr, now: SystemClock.monotonicMicros())
            case .goodbye(let bye) where mediaSSRC.map(bye.ssrcs.contains) ?? false:
                transport.fail(.unreachable, "the server ended the stream (RTCP BYE\(bye.reason.map { ": \($0)" } ?? ""))")
            default:
                break
            }
        }
    }

    /// ICE and DTLS timers, the receiver report, and a PLI while the first keyframe is missing.
    func tick(now: Int64) -> [ICEAgent.Outgoing] {
        var out = transport.tick(now: now)
        guard let srtp = transport.srtp else { return out }
        var feedback: [RTCPPacket] = []
        if wantsKeyframe(now: now), let media = mediaSSRC {
            lastPLI = now
            plisSent += 1
            feedback.append(.pictureLossIndication(RTCPPictureLossIndication(senderSSRC: ssrc, mediaSSRC: media)))
        }
        if let report = reports.report(now: now, force: !feedback.isEmpty),
           let bytes = srtp.protect(rtcp: [.receiverReport(report)] + feedback) {
            out += transport.toPeer([bytes])
        }
        return out
    }

    private func wantsKeyframe(now: Int64) -> Bool {
        guard counter.awaitingFirstFrame, let first = counter.firstPacketAt else { return false }
        return now >= max(first + Self.firstFrameGrace, lastPLI + Self.pliInterval)
    }

    /// When `tick` next has work; nil when nothing is pending.
    func nextDeadline(now: Int64) -> Int64? {
        var next = transport.nextDeadline(now: now)
        guard transport.srtp != nil else { return next }
        next = min(next ?? reports.deadline, reports.deadline)
        if counter.awaitingFirstFrame, let first = counter.firstPacketAt {
            let pli = max(first + Self.firstFrameGrace, lastPLI + Self.pliInterval)
            next = min(next ?? pli, pli)
        }
        return next
    }
}
