import Logging
import RTDCore
import RTDWebRTC

/// Everything of a receive-only client peer but its media: the controlling ICE agent, DTLS
/// (either role), the SRTP keys DTLS exports, and the SCTP association of the data channel. Both
/// `ClientPeer` (one `rtd signal`, with a jitter buffer and decoding) and `LoadPeer` (`--viewers`,
/// counting only) are built on it, so the two connect the same way.
///
/// Socket-free and confined to one thread, like its owners: datagrams and ticks in, datagrams out.
final class ClientTransport {
    let negotiated: NegotiatedSession
    private(set) var ice: ICEAgent
    private let dtls: DTLSTransport
    /// Set once DTLS has connected and exported keys.
    private(set) var srtp: SRTPSession?
    private var dataChannels: DataChannelTransport?
    /// Where DTLS came from before ICE selected a pair (the server may start it), and how.
    private var dtlsPeer: (address: STUNAddress, relayed: Bool)?
    private(set) var failure: SignalError?
    /// When DTLS connected (monotonic µs).
    private(set) var connectedAt: Int64?
    /// `.connected`, `.channelOpened` and `.text`, in order; the owner takes them.
    var events: [ClientPeer.Event] = []
    var dataChannelSink: (@Sendable (DataChannelEvent) -> Void)?
    /// Where the association's SCTP work and `dataChannelSink` calls run: the client's event loop.
    var dataChannelExecutor: SCTPExecutor?
    private let logger: Logger

    init(negotiated: NegotiatedSession, local: ICEAgent.Credentials, certificate: DTLSCertificate,
         iceTiming: ICEAgent.Timing = ICEAgent.Timing(), relayPriority: UInt32? = nil, useHost: Bool = true,
         logger: Logger) throws(SignalError) {
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
        self.logger = logger
        ice = ICEAgent(local: local, remote: ICEAgent.Credentials(ufrag: negotiated.remoteICEUfrag, password: negotiated.remoteICEPwd),
                       remoteCandidates: negotiated.remoteCandidates, timing: iceTiming,
                       relayPriority: relayPriority, useHost: useHost)
    }

    // MARK: Input

    func receiveSTUN(_ datagram: [UInt8], from source: STUNAddress, relayed: Bool = false, now: Int64) -> [ICEAgent.Outgoing] {
        let out = ice.receive(datagram, from: source, relayed: relayed, now: now)
        return out + checkICE(now: now)
    }

    func receiveDTLS(_ datagram: UnsafeRawBufferPointer, from source: STUNAddress, relayed: Bool = false,
                     now: Int64) -> [ICEAgent.Outgoing] {
        dtlsPeer = (source, relayed)
        let output = dtls.feed(datagram)
        var out = toPeer(output.datagrams)
        out += checkDTLS(now: now)
        for data in output.applicationData { dataChannels?.receive(data) }
        return out
    }

    func toPeer(_ datagrams: [[UInt8]]) -> [ICEAgent.Outgoing] {
        let path: (address: STUNAddress, relayed: Bool)? = ice.selected.map { (address: $0, relayed: ice.selectedRelayed) } ?? dtlsPeer
        guard let (destination, relayed) = path else { return [] }
        return datagrams.map { ICEAgent.Outgoing(bytes: $0, destination: destination, relayed: relayed) }
    }

    private func checkICE(now: Int64) -> [ICEAgent.Outgoing] {
        switch ice.state {
        case .failed(let reason):
            // Losing a path that worked means the server went away, not that ICE could not connect.
            if dtls.state == .new { fail(.iceFailed, "ICE failed: \(reason)") } else { fail(.unreachable, reason) }
            return []
        case .connected where dtls.state == .new:
            logger.debug("ICE connected to \(ice.selected.map(\.description) ?? "?")\(ice.selectedRelayed ? " via TURN" : "") after \((now - (ice.startedAt ?? now)) / 1000) ms of checks")
            return toPeer(dtls.start())
        default:
            return []
        }
    }

    private func checkDTLS(now: Int64) -> [ICEAgent.Outgoing] {
        switch dtls.state {
        case .connected where srtp == nil:
            let session: SRTPSession
            do {
                session = try SRTPSession(dtls: dtls)
            } catch .noProfileNegotiated {
                fail(.dtlsFailed, "DTLS connected but the server negotiated no SRTP profile")
                return []
            } catch {
                fail(.dtlsFailed, "\(error)")
                return []
            }
            srtp = session
            connectedAt = now
            logger.debug("DTLS connected (\(session.profile)) \((now - (ice.startedAt ?? now)) / 1000) ms after the first check")
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

    func fail(_ kind: SignalErrorKind, _ message: String) {
        if failure == nil { failure = SignalError(kind, message) }
    }

    // MARK: Timers

    /// ICE's checks and consent, DTLS's retransmissions.
    func tick(now: Int64) -> [ICEAgent.Outgoing] {
        var out = ice.tick(now: now) + checkICE(now: now)
        if let timeout = dtls.nextTimeout, timeout <= .zero {
            out += toPeer(dtls.handleTimeout())
            out += checkDTLS(now: now)
        }
        return out
    }

    /// When `tick` next has work (ICE's or DTLS's); nil when nothing is pending.
    func nextDeadline(now: Int64) -> Int64? {
        var next = ice.nextDeadline()
        if let timeout = dtls.nextTimeout {
            let at = now + timeout.components.seconds * 1_000_000 + timeout.components.attoseconds / 1_000_000_000_000
            next = min(next ?? at, at)
        }
        return next
    }

    // MARK: Data channels

    private func startDataChannels() {
        guard let dc = negotiated.dataChannel, let sink = dataChannelSink, let executor = dataChannelExecutor else { return }
        let configuration = SCTPAssociation.Configuration(
            localPort: UInt16(clamping: dc.localSCTPPort), remotePort: UInt16(clamping: dc.remoteSCTPPort),
            remoteMaxMessageSize: dc.remoteMaxMessageSize == 0 ? Int.max : dc.remoteMaxMessageSize,
            mtu: min(1188, dtls.maxApplicationDataSize ?? 1163))
        do {
            let transport = try DataChannelTransport(role: dtls.role == .client ? .client : .server,
                                                     configuration: configuration, executor: executor, sink: sink)
            dataChannels = transport
            transport.start()
            // Browsers open the channel; rtd serve sends its records on the first one a viewer opens.
            _ = try transport.openChannel(label: "rtd")
        } catch {
            logger.warning("data channel unavailable: \(error)")
        }
    }

    func handle(_ event: DataChannelEvent) -> [ICEAgent.Outgoing] {
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
    func close() -> [ICEAgent.Outgoing] {
        dataChannels?.close()
        return dtls.state == .connected ? toPeer(dtls.close()) : []
    }
}
