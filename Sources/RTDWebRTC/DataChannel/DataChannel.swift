import Synchronization

/// One received or sent data-channel message.
public enum DataChannelMessage: Sendable, Equatable {
    case text(String)
    case binary([UInt8])
}

public enum DataChannelError: Swift.Error, Sendable, Equatable {
    case notOpen
    case messageTooLarge(size: Int, limit: Int)
    case labelTooLong
    case noStreamAvailable
    case streamInUse(UInt16)
    case invalidStream(UInt16)
    case transportClosed
    /// The association's outgoing queue is full (a slow or silent peer): the message was dropped.
    case queueFull
}

/// A WebRTC data channel (RFC 8831) on one SCTP stream. Thread-safe; create it through
/// `DataChannelTransport.openChannel` or receive it in `.channelOpened`.
public final class DataChannel: Sendable {
    public enum State: Sendable, Equatable { case connecting, open, closing, closed }

    /// The SCTP stream id (even for channels the DTLS client opened, odd for the server's).
    public let streamID: UInt16
    public let label: String
    public let options: DataChannelOptions
    /// Pre-agreed out of band (no DCEP handshake).
    public let negotiated: Bool
    public let openedByPeer: Bool

    struct Status {
        var state: State = .connecting
        /// Until the peer's DATA_CHANNEL_ACK (or any user message) arrives, RFC 8832 §6 requires
        /// our messages to go out ordered.
        var acknowledged: Bool
        var incomingReset = false
        var outgoingResetRequested = false
        var outgoingReset = false
    }

    // The transport keeps channels alive while registered; it drops them once closed, which breaks
    // this reference cycle.
    let transport: DataChannelTransport
    let status: Mutex<Status>

    init(streamID: UInt16, label: String, options: DataChannelOptions, negotiated: Bool, openedByPeer: Bool,
         transport: DataChannelTransport) {
        self.streamID = streamID
        self.label = label
        self.options = options
        self.negotiated = negotiated
        self.openedByPeer = openedByPeer
        self.transport = transport
        self.status = Mutex(Status(acknowledged: negotiated || openedByPeer))
    }

    public var state: DataChannelState { status.withLock { $0.state } }

    /// Bytes passed to `send` that usrsctp has not accepted yet. usrsctp's own send buffer
    /// (`SCTPAssociation.Configuration.sendBufferSize`, shared by all channels) is not included;
    /// once it is full, everything further waits here and shows up in this figure.
    public var bufferedAmount: Int { transport.association.bufferedAmount(streamID: streamID) }

    public func send(_ text: String) throws(DataChannelError) {
        let bytes = Array(text.utf8)
        try send(bytes.isEmpty ? [0] : bytes, ppid: bytes.isEmpty ? DataChannelPPID.stringEmpty : DataChannelPPID.string)
    }

    public func send(_ data: [UInt8]) throws(DataChannelError) {
        try send(data.isEmpty ? [0] : data, ppid: data.isEmpty ? DataChannelPPID.binaryEmpty : DataChannelPPID.binary)
    }

    public func send(_ message: DataChannelMessage) throws(DataChannelError) {
        switch message {
        case .text(let text): try send(text)
        case .binary(let data): try send(data)
        }
    }

    private func send(_ payload: [UInt8], ppid: UInt32) throws(DataChannelError) {
        let (state, acknowledged) = status.withLock { ($0.state, $0.acknowledged) }
        guard state == .open else { throw .notOpen }
        do {
            try transport.association.send(streamID: streamID, ppid: ppid, unordered: !options.ordered && acknowledged,
                                           reliability: options.reliability, data: payload)
        } catch {
            switch error {
            case .messageTooLarge(let size, let limit): throw .messageTooLarge(size: size, limit: limit)
            case .invalidStream(let sid): throw .invalidStream(sid)
            case .closed, .createFailed: throw .transportClosed
            case .queueFull: throw .queueFull
            }
        }
    }

    /// Closes the channel by resetting our outgoing stream after queued data (RFC 8831 §6.7); the
    /// peer answers by resetting its side, then `.channelClosed` is delivered.
    public func close() {
        transport.closeChannel(self)
    }
}

public typealias DataChannelState = DataChannel.State
