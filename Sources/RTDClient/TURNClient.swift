import RTDWebRTC

/// Where `rtd signal --turn` relays through, and as whom.
public struct TURNServer: Sendable, Equatable {
    public var host: String
    public var port: UInt16
    /// `?transport=tcp`: TURN over a TCP connection to the server (the relay is UDP either way).
    public var tcp: Bool
    public var username: String
    public var password: String

    /// Parses `turn:HOST[:PORT][?transport=udp|tcp]` (port 3478 by default). `turns:` (TLS) and
    /// IPv6 literals are refused: this client does not do them.
    public init(url: String, username: String, password: String) throws(SignalError) {
        var rest = Substring(url)
        guard rest.lowercased().hasPrefix("turn:") else {
            if rest.lowercased().hasPrefix("turns:") { throw SignalError(.badInput, "--turn: turns: (TURN over TLS) is not supported; use turn:") }
            throw SignalError(.badInput, "--turn needs a turn:HOST:PORT URL, not \(url)")
        }
        rest = rest.dropFirst(5)
        if rest.hasPrefix("//") { rest = rest.dropFirst(2) }
        var tcp = false
        if let question = rest.firstIndex(of: "?") {
            switch rest[rest.index(after: question)...].lowercased() {
            case "transport=udp": tcp = false
            case "transport=tcp": tcp = true
            default: throw SignalError(.badInput, "--turn: unknown parameter in \(url) (only ?transport=udp or ?transport=tcp)")
            }
            rest = rest[..<question]
        }
        var port: UInt16 = 3478
        if rest.hasPrefix("[") { throw SignalError(.badInput, "--turn: IPv6 TURN servers are not supported (\(url))") }
        if let colon = rest.lastIndex(of: ":") {
            guard let p = UInt16(rest[rest.index(after: colon)...]), p > 0 else { throw SignalError(.badInput, "--turn: bad port in \(url)") }
            port = p
            rest = rest[..<colon]
        }
        guard !rest.isEmpty else { throw SignalError(.badInput, "--turn: no host in \(url)") }
        host = String(rest)
        self.port = port
        self.tcp = tcp
        self.username = username
        self.password = password
    }

    public var description: String { "turn:\(host):\(port)\(tcp ? "?transport=tcp" : "")" }
}

/// A TURN client (RFC 8656) for one allocation: Allocate with the long-term credential (401 →
/// retry with realm and nonce, 438 → retry with the new nonce), Refresh before the lifetime
/// ends, CreatePermission and ChannelBind for the peers, ChannelData (or Send indications until
/// a channel is bound) out, ChannelData and Data indications in, Refresh 0 at the end.
///
/// Socket-free: messages to the server out (the owner sends each as a datagram, or writes them
/// back to back on the TCP stream), what the server sent in, time passed in (µs).
struct TURNClient {
    enum State: Equatable {
        case allocating
        case allocated(relayed: STUNAddress, mapped: STUNAddress?)
        case failed
    }

    private enum Kind: Equatable {
        case allocate
        case refresh(UInt32)
        case permission([STUNAddress])
        case channelBind(UInt16, STUNAddress)

        var name: String {
            switch self {
            case .allocate: "Allocate"
            case .refresh: "Refresh"
            case .permission(let peers): "CreatePermission for \(peers.map(\.host).joined(separator: ", "))"
            case .channelBind(let channel, let peer): "ChannelBind 0x\(String(channel, radix: 16)) to \(peer)"
            }
        }
    }

    private struct Request {
        var kind: Kind
        var bytes: [UInt8]
        var sentAt: Int64
        var firstSentAt: Int64
        var retransmits = 0
        /// Sent with MESSAGE-INTEGRITY: a 401 to it means the credentials are wrong.
        var authenticated: Bool
    }

    /// RFC 8489 §6.2.1 with a shorter first RTO (the server is usually close): retransmitted at
    /// 250 ms, doubling, six sends in all over UDP; one over TCP. Either way an answer must come
    /// within `giveUp`.
    static let initialRTO: Int64 = 250_000
    static let maxRetransmits = 5
    static let giveUp: Int64 = 7_750_000
    /// Permissions last 300 s, channel bindings 600 s (RFC 8656 §9, §12): both refreshed every 240 s.
    static let permissionRefresh: Int64 = 240_000_000
    /// Peers one allocation talks to: the answer's candidates and peer-reflexive ones; bounded
    /// so a peer cannot make us bind channels without end.
    static let maxPeers = 64
    /// 438 retries in a row before giving up (a server that never keeps its nonce).
    static let maxStaleNonce = 3

    let server: TURNServer
    private(set) var state: State = .allocating
    private(set) var failure: SignalError?
    private var realm: String?
    private var nonce: String?
    private var key: [UInt8]?
    private var pending: [[UInt8]: Request] = [:]
    private var staleNonces = 0
    private var refreshAt = Int64.max
    private var permissionsAt = Int64.max
    private var peers: [STUNAddress] = []
    private var channels: [STUNAddress: UInt16] = [:]
    private var bound: Set<UInt16> = []
    private var peerOfChannel: [UInt16: STUNAddress] = [:]
    /// The latest thing that went wrong with a permission or channel (for the failure message).
    private(set) var lastProblem: String?

    init(server: TURNServer) {
        self.server = server
    }

    var relayedAddress: STUNAddress? {
        if case .allocated(let relayed, _) = state { return relayed }
        return nil
    }

    var mappedAddress: STUNAddress? {
        if case .allocated(_, let mapped) = state { return mapped }
        return nil
    }

    // MARK: Requests

    /// The first Allocate, without credentials (the server's 401 names the realm and a nonce).
    mutating func start(now: Int64) -> [[UInt8]] {
        [send(.allocate, now: now)]
    }

    private mutating func send(_ kind: Kind, now: Int64) -> [UInt8] {
        let transaction = STUNMessage.randomTransactionID()
        var attributes: [STUNAttribute]
        let type: STUNMessageType
        switch kind {
        case .allocate:
            type = .allocateRequest
            attributes = [.requestedTransport()]
        case .refresh(let lifetime):
            type = .refreshRequest
            attributes = [.lifetime(lifetime)]
        case .permission(let addresses):
            type = .createPermissionRequest
            attributes = addresses.map { .xorPeerAddress($0, transactionID: transaction) }
        case .channelBind(let channel, let peer):
            type = .channelBindRequest
            attributes = [.channelNumber(channel), .xorPeerAddress(peer, transactionID: transaction)]
        }
        var integrity: [UInt8]?
        if let key, let realm, let nonce {
            attributes += [.username(server.username), .realm(realm), .nonce(nonce)]
            integrity = key
        }
        let bytes = STUNMessage(type: type, transactionID: transaction, attributes: attributes).serialized(integrityKey: integrity)
        pending[transaction] = Request(kind: kind, bytes: bytes, sentAt: now, firstSentAt: now, authenticated: integrity != nil)
        return bytes
    }

    /// Lets `peers` send to us through the relay: a permission for all, a channel for each.
    mutating func permit(_ addresses: [STUNAddress], now: Int64) -> [[UInt8]] {
        guard relayedAddress != nil else { return [] }
        let fresh = addresses.filter { !$0.isIPv6 && !peers.contains($0) }.prefix(max(0, Self.maxPeers - peers.count))
        guard !fresh.isEmpty else { return [] }
        peers += fresh
        var out = [send(.permission(Array(fresh)), now: now)]
        for peer in fresh {
            let channel = TURNChannelData.channels.lowerBound + UInt16(channels.count)
            channels[peer] = channel
            peerOfChannel[channel] = peer
            out.append(send(.channelBind(channel, peer), now: now))
        }
        if permissionsAt == .max { permissionsAt = now + Self.permissionRefresh }
        return out
    }

    /// `payload` to `peer` through the relay: ChannelData once its channel is bound, a Send
    /// indication until then. A peer not yet permitted gets its permission and channel first.
    mutating func wrap(_ payload: [UInt8], to peer: STUNAddress, now: Int64) -> [[UInt8]] {
        guard relayedAddress != nil else { return [] }
        var out = channels[peer] == nil ? permit([peer], now: now) : []
        if let channel = channels[peer], bound.contains(channel) {
            out.append(TURNChannelData.encode(channel: channel, payload: payload, padded: server.tcp))
        } else {
            var message = STUNMessage(type: .sendIndication)
            message.attributes = [.xorPeerAddress(peer, transactionID: message.transactionID), .data(payload)]
            out.append(message.serialized())
        }
        return out
    }

    /// Ends the allocation (Refresh with lifetime 0); nothing is expected back.
    mutating func close() -> [[UInt8]] {
        guard relayedAddress != nil else { return [] }
        let bytes = send(.refresh(0), now: 0)
        pending.removeAll()
        state = .failed
        return [bytes]
    }

    // MARK: Timers

    mutating func tick(now: Int64) -> [[UInt8]] {
        guard state != .failed else { return [] }
        var out: [[UInt8]] = []
        for (transaction, request) in pending {
            if now - request.firstSentAt >= Self.giveUp {
                pending[transaction] = nil
                timedOut(request.kind)
                if state == .failed { return [] }
                continue
            }
            guard !server.tcp, request.retransmits < Self.maxRetransmits,
                  now - request.sentAt >= Self.initialRTO << Int64(request.retransmits) else { continue }
            pending[transaction]?.retransmits += 1
            pending[transaction]?.sentAt = now
            out.append(request.bytes)
        }
        if now >= refreshAt {
            refreshAt = .max
            out.append(send(.refresh(600), now: now))
        }
        if now >= permissionsAt {
            permissionsAt = now + Self.permissionRefresh
            out.append(send(.permission(peers), now: now))
            for (peer, channel) in channels.sorted(by: { $0.value < $1.value }) { out.append(send(.channelBind(channel, peer), now: now)) }
        }
        return out
    }

    func nextDeadline() -> Int64? {
        guard state != .failed else { return nil }
        var next = min(refreshAt, permissionsAt)
        for request in pending.values {
            next = min(next, request.firstSentAt + Self.giveUp)
            if !server.tcp, request.retransmits < Self.maxRetransmits {
                next = min(next, request.sentAt + Self.initialRTO << Int64(request.retransmits))
            }
        }
        return next == .max ? nil : next
    }

    private mutating func timedOut(_ kind: Kind) {
        switch kind {
        case .allocate:
            fail(.unreachable, "no answer from TURN server \(server.description) within \(Double(Self.giveUp) / 1e6) s")
        case .refresh:
            fail(.unreachable, "TURN server \(server.description) stopped answering (Refresh)")
        case .permission, .channelBind:
            lastProblem = "no answer from TURN server \(server.description) to \(kind.name)"
        }
    }

    private mutating func fail(_ kind: SignalErrorKind, _ message: String) {
        if failure == nil { failure = SignalError(kind, message) }
        state = .failed
        pending.removeAll()
    }

    // MARK: Input

    /// One message from the server (a datagram, or one message of the TCP stream): answers to our
    /// requests go in `toServer` when they need a retry; relayed data comes out as `data`.
    mutating func receive(_ bytes: [UInt8], now: Int64) -> (toServer: [[UInt8]], data: (from: STUNAddress, payload: [UInt8])?) {
        guard state != .failed, let first = bytes.first else { return ([], nil) }
        if first >> 6 == 1 {
            guard let (channel, payload) = TURNChannelData.parse(bytes), let peer = peerOfChannel[channel] else { return ([], nil) }
            return ([], (peer, payload))
        }
        guard let message = try? STUNMessage.parse(bytes) else { return ([], nil) }
        if message.type == .dataIndication {
            guard let peer = message.xorPeerAddress, let payload = message.data else { return ([], nil) }
            return ([], (peer, payload))
        }
        guard message.type.messageClass == .successResponse || message.type.messageClass == .errorResponse,
              let request = pending[message.transactionID] else { return ([], nil) }
        if message.type.messageClass == .successResponse {
            // A success must be keyed with our credential: anyone can forge an unauthenticated one.
            guard let key, STUNMessage.checkIntegrity(bytes, key: key) == .valid else { return ([], nil) }
            pending[message.transactionID] = nil
            staleNonces = 0
            succeeded(request.kind, message, now: now)
            return ([], nil)
        }
        pending[message.transactionID] = nil
        return (failed(request, message, now: now), nil)
    }

    private mutating func succeeded(_ kind: Kind, _ message: STUNMessage, now: Int64) {
        switch kind {
        case .allocate:
            guard let relayed = message.xorRelayedAddress, !relayed.isIPv6 else {
                return fail(.protocolError, "TURN server \(server.description) allocated no IPv4 relay address")
            }
            state = .allocated(relayed: relayed, mapped: message.xorMappedAddress)
            scheduleRefresh(message.lifetime ?? 600, now: now)
        case .refresh(let lifetime):
            if lifetime > 0 { scheduleRefresh(message.lifetime ?? lifetime, now: now) }
        case .permission:
            break
        case .channelBind(let channel, _):
            bound.insert(channel)
        }
    }

    /// A minute before the allocation expires (half way for a short lifetime).
    private mutating func scheduleRefresh(_ lifetime: UInt32, now: Int64) {
        let seconds = Int64(lifetime)
        refreshAt = now + max(seconds - 60, seconds / 2) * 1_000_000
    }

    private mutating func failed(_ request: Request, _ message: STUNMessage, now: Int64) -> [[UInt8]] {
        let code = message.errorCode?.code ?? 0
        let reason = message.errorCode?.reason ?? ""
        switch code {
        case 401 where !request.authenticated:
            guard let realm = message.realm, let nonce = message.nonce else {
                fail(.protocolError, "TURN server \(server.description) asked for credentials (401) without a realm and nonce")
                return []
            }
            self.realm = realm
            self.nonce = nonce
            key = TURNCredentials.key(username: server.username, realm: realm, password: server.password)
            return [send(request.kind, now: now)]
        case 401:
            fail(.iceFailed, "TURN server \(server.description) refused the credentials for user '\(server.username)' (401 \(reason))")
            return []
        case 438:
            staleNonces += 1
            guard staleNonces <= Self.maxStaleNonce, let nonce = message.nonce else {
                fail(.protocolError, "TURN server \(server.description) keeps answering 438 Stale Nonce")
                return []
            }
            self.nonce = nonce
            if let realm = message.realm { self.realm = realm }
            return [send(request.kind, now: now)]
        default:
            switch request.kind {
            case .allocate:
                fail(.iceFailed, "TURN server \(server.description) refused the allocation: \(code) \(reason)")
            case .refresh(let lifetime):
                if lifetime > 0 { fail(.unreachable, "TURN server \(server.description) refused to refresh the allocation: \(code) \(reason)") }
            case .permission, .channelBind:
                // Send indications still work for a peer whose channel failed; one without a
                // permission just stays unreachable through the relay.
                lastProblem = "TURN server \(server.description) refused \(request.kind.name): \(code) \(reason)"
            }
            return []
        }
    }
}
