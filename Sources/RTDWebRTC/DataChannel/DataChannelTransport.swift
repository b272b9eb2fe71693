import Synchronization

/// Everything a `DataChannelTransport` reports to its owner.
public enum DataChannelEvent: Sendable {
    /// An SCTP packet: write it to the DTLS transport as application data.
    case outgoingPacket([UInt8])
    case associationEstablished
    /// A channel became open: one we opened (once the association is up) or one the peer opened.
    case channelOpened(DataChannel)
    case message(DataChannel, DataChannelMessage)
    /// Both directions of the channel's stream have been reset, or the association went away.
    case channelClosed(DataChannel)
    /// Malformed or unexpected input was dropped, or a send or stream reset failed while the
    /// channel and the association were meant to live on.
    case protocolError(DataChannelProtocolError)
    /// A send or stream reset failed because the peer is closing that channel or the whole
    /// association (a page being closed does both at once): the normal end of a session.
    case failedWhileClosing(DataChannelProtocolError)
    case associationClosed(SCTPCloseReason)
}

/// WebRTC data channels (RFC 8831) with DCEP (RFC 8832) over one SCTP association.
///
/// Threading: `sink` is called on the association's executor (the owner's event loop), never
/// concurrently and in order (see `SCTPAssociation`). Methods are callable from any thread and
/// never block; calling them from inside `sink` is fine.
public final class DataChannelTransport: Sendable {
    /// The DTLS role decides stream-id parity (RFC 8832 §6: the DTLS client uses even ids).
    public enum Role: Sendable { case client, server }

    public let role: Role
    public let association: SCTPAssociation
    private let sink: @Sendable (DataChannelEvent) -> Void

    private struct State {
        var channels: [UInt16: DataChannel] = [:]
        var established = false
        var closed = false
    }

    private let state = Mutex(State())

    /// Routes association events to the transport without the association owning it.
    private final class Relay: Sendable {
        private struct Target: Sendable { weak var transport: DataChannelTransport? }
        private let target = Mutex(Target())
        func set(_ transport: DataChannelTransport) { target.withLock { $0.transport = transport } }
        var transport: DataChannelTransport? { target.withLock { $0.transport } }
    }

    public init(role: Role, configuration: SCTPAssociation.Configuration, executor: SCTPExecutor,
                sink: @escaping @Sendable (DataChannelEvent) -> Void) throws(SCTPAssociationError) {
        let relay = Relay()
        self.role = role
        self.sink = sink
        self.association = try SCTPAssociation(configuration: configuration, executor: executor) { event in
            relay.transport?.handle(event)
        }
        relay.set(self)
    }

    /// Starts SCTP; call once DTLS is connected.
    public func start() { association.start() }

    /// Feeds one DTLS application-data record.
    public func receive(_ packet: [UInt8]) { association.receive(packet) }

    /// Aborts the association; every open channel then reports `.channelClosed`.
    public func close() { association.close() }

    /// Opens a channel. With `negotiatedID` the channel is pre-agreed (no DCEP) on that stream;
    /// otherwise the next free stream id of our parity is used and DATA_CHANNEL_OPEN is sent.
    /// The channel reports `.channelOpened` once the association is up (immediately if it is).
    public func openChannel(label: String, options: DataChannelOptions = DataChannelOptions(),
                            negotiatedID: UInt16? = nil) throws(DataChannelError) -> DataChannel {
        guard label.utf8.count <= Int(UInt16.max), options.protocolName.utf8.count <= Int(UInt16.max) else {
            throw .labelTooLong
        }
        let limit = association.configuration.streamCount
        let channel: DataChannel = try state.withLock { s throws(DataChannelError) in
            guard !s.closed else { throw .transportClosed }
            let sid: UInt16
            if let negotiatedID {
                guard negotiatedID < limit else { throw .invalidStream(negotiatedID) }
                guard s.channels[negotiatedID] == nil else { throw .streamInUse(negotiatedID) }
                sid = negotiatedID
            } else {
                var candidate: UInt16 = role == .client ? 0 : 1
                while candidate < limit, s.channels[candidate] != nil { candidate &+= 2 }
                guard candidate < limit else { throw .noStreamAvailable }
                sid = candidate
            }
            let channel = DataChannel(streamID: sid, label: label, options: options, negotiated: negotiatedID != nil,
                                      openedByPeer: false, transport: self)
            s.channels[sid] = channel
            return channel
        }
        if negotiatedID == nil {
            do {
                try association.send(streamID: channel.streamID, ppid: DataChannelPPID.dcep, unordered: false,
                                     reliability: .reliable, data: DCEPMessage.open(label: label, options: options).encoded())
            } catch {
                _ = state.withLock { $0.channels.removeValue(forKey: channel.streamID) }
                throw .transportClosed
            }
        }
        if state.withLock({ $0.established }) {
            // RFC 8832 §6: the opener may send as soon as its DATA_CHANNEL_OPEN is queued, and it is,
            // ahead of any data; so the channel is usable when this returns. The event still comes
            // on the association's executor, like every other.
            channel.status.withLock { if $0.state == .connecting { $0.state = .open } }
            association.enqueue { [self] in sink(.channelOpened(channel)) }
        } else {
            association.enqueue { [self] in
                if state.withLock({ $0.established }) { markOpen(channel) }
            }
        }
        return channel
    }

    /// All channels currently registered (not yet fully closed).
    public var channels: [DataChannel] {
        state.withLock { Array($0.channels.values) }.sorted { $0.streamID < $1.streamID }
    }

    func closeChannel(_ channel: DataChannel) {
        enum Action { case none, reset, closeNow }
        let established = state.withLock { $0.established }
        let action: Action = channel.status.withLock { st in
            switch st.state {
            case .closing, .closed: return .none
            case .connecting where !established:
                st.state = .closed
                return .closeNow
            case .connecting, .open:
                st.state = .closing
                st.outgoingResetRequested = true
                return .reset
            }
        }
        switch action {
        case .none: break
        case .reset: association.resetOutgoingStreams([channel.streamID])
        case .closeNow:
            _ = state.withLock { $0.channels.removeValue(forKey: channel.streamID) }
            association.enqueue { [self] in sink(.channelClosed(channel)) }
        }
    }

    // MARK: - Queue-confined event handling

    private func markOpen(_ channel: DataChannel) {
        let opened = channel.status.withLock { st in
            guard st.state == .connecting else { return false }
            st.state = .open
            return true
        }
        if opened { sink(.channelOpened(channel)) }
    }

    private func handle(_ event: SCTPAssociation.Event) {
        switch event {
        case .outgoingPacket(let packet):
            sink(.outgoingPacket(packet))
        case .established:
            let pending = state.withLock { s in
                s.established = true
                return s.channels.values.sorted { $0.streamID < $1.streamID }
            }
            sink(.associationEstablished)
            for channel in pending { markOpen(channel) }
        case .message(let sid, let ppid, _, let data):
            handleMessage(sid: sid, ppid: ppid, data: data)
        case .oversizedMessageDropped(let sid, let size):
            sink(.protocolError(.oversizedMessage(streamID: sid, size: size)))
        case .incomingStreamsReset(let sids):
            for sid in sids {
                guard let channel = state.withLock({ $0.channels[sid] }) else { continue }
                let resetOurs = channel.status.withLock { st in
                    st.incomingReset = true
                    guard !st.outgoingResetRequested else { return false }
                    st.outgoingResetRequested = true
                    st.state = .closing
                    return true
                }
                // The peer closed: answer by resetting our side too (RFC 8831 §6.7).
                if resetOurs { association.resetOutgoingStreams([sid]) }
                finishCloseIfDone(channel)
            }
        case .outgoingStreamsReset(let sids, let succeeded):
            if !succeeded { reportFailure(.streamResetFailed(sids), streams: sids) }
            for sid in sids {
                guard let channel = state.withLock({ $0.channels[sid] }) else { continue }
                channel.status.withLock { $0.outgoingReset = true }
                finishCloseIfDone(channel)
            }
        case .sendFailed(let sid, let error):
            // Abandoning messages is the point of partial reliability: only report reliable ones.
            let reliable = state.withLock { $0.channels[sid]?.options.reliability ?? .reliable } == .reliable
            if reliable { reportFailure(.sendFailed(streamID: sid, error: error), streams: [sid]) }
        case .closed(let reason):
            let all = state.withLock { s in
                s.closed = true
                defer { s.channels.removeAll() }
                return s.channels.values.sorted { $0.streamID < $1.streamID }
            }
            for channel in all {
                let wasLive = channel.status.withLock { st in
                    defer { st.state = .closed }
                    return st.state != .closed
                }
                if wasLive { sink(.channelClosed(channel)) }
            }
            sink(.associationClosed(reason))
        }
    }

    /// A failure is expected when the peer has reset the stream (closed its channel) or the
    /// association is over. An abort makes usrsctp report the sends and resets it cuts short just
    /// before the association's own end, in the same input, so the verdict waits for the events
    /// already queued behind this one.
    private func reportFailure(_ error: DataChannelProtocolError, streams: [UInt16]) {
        association.enqueue { [self] in
            let closing = state.withLock { s in
                s.closed || association.phase == .closed || streams.allSatisfy { sid in
                    s.channels[sid].map { $0.status.withLock { $0.incomingReset || $0.state == .closed } } ?? true
                }
            }
            sink(closing ? .failedWhileClosing(error) : .protocolError(error))
        }
    }

    private func finishCloseIfDone(_ channel: DataChannel) {
        let done = channel.status.withLock { st in
            guard st.incomingReset, st.outgoingReset, st.state != .closed else { return false }
            st.state = .closed
            return true
        }
        guard done else { return }
        _ = state.withLock { $0.channels.removeValue(forKey: channel.streamID) }
        sink(.channelClosed(channel))
    }

    private func handleMessage(sid: UInt16, ppid: UInt32, data: [UInt8]) {
        let existing = state.withLock { $0.channels[sid] }
        if ppid == DataChannelPPID.dcep {
            let message: DCEPMessage
            do {
                message = try DCEPMessage.parse(data)
            } catch {
                sink(.protocolError(error))
                return
            }
            switch message {
            case .ack:
                guard let existing else { sink(.protocolError(.unknownStream(sid))); return }
                existing.status.withLock { $0.acknowledged = true }
            case .open(let label, let options):
                guard existing == nil else { sink(.protocolError(.streamInUse(sid))); return }
                let channel = DataChannel(streamID: sid, label: label, options: options, negotiated: false,
                                          openedByPeer: true, transport: self)
                state.withLock { $0.channels[sid] = channel }
                do {
                    try association.send(streamID: sid, ppid: DataChannelPPID.dcep, unordered: false,
                                         reliability: .reliable, data: DCEPMessage.ack.encoded())
                } catch {
                    // The peer used a stream we cannot answer on (or we are closing): refuse it.
                    _ = state.withLock { $0.channels.removeValue(forKey: sid) }
                    sink(.protocolError(.unknownStream(sid)))
                    return
                }
                markOpen(channel)
            }
            return
        }
        guard let existing, existing.status.withLock({ st in
            // Any user message implies the ACK was sent (RFC 8832 §6).
            st.acknowledged = true
            return st.state == .open || st.state == .closing
        }) else {
            sink(.protocolError(.unknownStream(sid)))
            return
        }
        let message: DataChannelMessage
        switch ppid {
        case DataChannelPPID.string: message = .text(String(decoding: data, as: UTF8.self))
        case DataChannelPPID.binary: message = .binary(data)
        case DataChannelPPID.stringEmpty: message = .text("")
        case DataChannelPPID.binaryEmpty: message = .binary([])
        default:
            sink(.protocolError(.unexpectedPPID(ppid, streamID: sid)))
            return
        }
        sink(.message(existing, message))
    }
}
