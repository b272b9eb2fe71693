import RTDWebRTC
/// A full ICE agent in the controlling role (RFC 8445) for one component over one local UDP
/// socket: it checks every remote candidate it can reach, answers the remote agent's own checks
/// (a full agent such as aiortc checks too), nominates the best pair that works with a second
/// check carrying USE-CANDIDATE, and then keeps consent fresh (RFC 7675).
///
/// Socket-free: datagrams in, datagrams (with their destination) out, time passed in.
/// Local candidates have one of two bases: the UDP socket (host and server-reflexive candidates)
/// or a TURN allocation (the relay candidate); a pair is its remote address and whether it goes
/// through the relay (`Outgoing.relayed`, which the owner wraps for the TURN server).
public struct ICEAgent: Sendable {
    public struct Credentials: Sendable, Equatable {
        public var ufrag: String
        public var password: String
        public init(ufrag: String, password: String) {
            self.ufrag = ufrag
            self.password = password
        }

        /// Random ICE credentials: 8 and 24 characters of the ice-char set (RFC 8839 §5.4).
        public static func random() -> Credentials {
            let chars = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/")
            func make(_ n: Int) -> String { String((0..<n).map { _ in chars.randomElement()! }) }
            return Credentials(ufrag: make(8), password: make(24))
        }
    }

    public struct Timing: Sendable {
        /// Pacing between new checks (RFC 8445 Ta).
        public var pace: Int64 = 20_000
        /// First retransmission timeout of a check; doubles per retry.
        public var initialRTO: Int64 = 100_000
        /// Retransmissions before a pair fails.
        public var maxRetransmits = 5
        /// After the first pair works, how long to wait for a better one before nominating.
        public var nominationDelay: Int64 = 60_000
        /// Consent checks on the selected pair, and how long without an answer ends the session.
        public var consentInterval: Int64 = 2_000_000
        public var consentTimeout: Int64 = 30_000_000
        public init() {}
    }

    public enum State: Sendable, Equatable {
        case checking
        case connected(STUNAddress)
        case failed(String)
    }

    public struct Outgoing: Sendable, Equatable {
        public var bytes: [UInt8]
        public var destination: STUNAddress
        /// Through the TURN allocation rather than straight from the socket.
        public var relayed = false
    }

    enum PairState: Sendable, Equatable { case waiting, inProgress, succeeded, failed }

    struct Pair: Sendable {
        var remote: STUNAddress
        var relayed: Bool
        var priority: UInt64
        var state: PairState = .waiting
        var transaction: [UInt8] = []
        var sentAt: Int64 = 0
        var retransmits = 0
        var nominating = false
    }

    public let local: Credentials
    public let remote: Credentials
    public let tiebreaker: UInt64
    public let timing: Timing
    /// PRIORITY sent in checks: what a peer-reflexive candidate learnt from them would get.
    let checkPriority = ICECandidate.priority(typePreference: 110, localPreference: 65535)
    private(set) var pairs: [Pair] = []
    public private(set) var state: State = .checking
    /// Whether the selected pair (`selected`) goes through the TURN relay.
    public private(set) var selectedRelayed = false
    /// Which bases pairs are made for: the socket's, and the relay's when there is one.
    private let useHost: Bool
    private let relayPriority: UInt32?
    /// Round-trip time of the latest answered check, microseconds.
    public private(set) var roundTripTime: Int64?
    public private(set) var startedAt: Int64?
    private var lastPaced = Int64.min / 2
    private var firstSuccess: Int64?
    private var lastConsentSent: Int64 = 0
    private var lastConsentAnswer: Int64 = 0
    private var consentTransactions: [[UInt8]: Int64] = [:]
    /// Reasons remote checks or answers were refused, for the failure message.
    public private(set) var lastProblem: String?

    /// `remoteCandidates`: the answer's candidates; those an IPv4 UDP socket cannot use (TCP, mDNS,
    /// IPv6) are skipped. `relayPriority`: the priority of our relay candidate when we have a TURN
    /// allocation (every remote candidate is then paired with it too); `useHost` false pairs them
    /// with the relay only (`--ice relay`).
    public init(local: Credentials, remote: Credentials, remoteCandidates: [ICECandidate],
                timing: Timing = Timing(), tiebreaker: UInt64 = UInt64.random(in: 0...UInt64.max),
                relayPriority: UInt32? = nil, useHost: Bool = true) {
        self.local = local
        self.remote = remote
        self.timing = timing
        self.tiebreaker = tiebreaker
        self.relayPriority = relayPriority
        self.useHost = useHost || relayPriority == nil
        for candidate in remoteCandidates where candidate.isUDP && !candidate.isMDNS && candidate.component == 1 {
            guard let port = UInt16(exactly: candidate.port), port > 0,
                  let address = STUNAddress(host: candidate.address, port: port), !address.isIPv6 else { continue }
            if self.useHost { addPair(address, relayed: false, remotePriority: candidate.priority) }
            if relayPriority != nil { addPair(address, relayed: true, remotePriority: candidate.priority) }
        }
    }

    /// RFC 8445 §6.1.2.3 pair priority, with us controlling (G = our priority).
    static func pairPriority(controlling g: UInt32, controlled d: UInt32) -> UInt64 {
        UInt64(min(g, d)) << 32 + UInt64(max(g, d)) * 2 + (g > d ? 1 : 0)
    }

    private mutating func addPair(_ address: STUNAddress, relayed: Bool, remotePriority: UInt32) {
        guard !pairs.contains(where: { $0.remote == address && $0.relayed == relayed }) else { return }
        // A relayed pair ranks by the relay candidate's priority, below every direct one.
        let localPriority = relayed ? relayPriority ?? 0 : checkPriority
        pairs.append(Pair(remote: address, relayed: relayed,
                          priority: Self.pairPriority(controlling: localPriority, controlled: remotePriority)))
        pairs.sort { $0.priority > $1.priority }
    }

    /// Pairs by base, for the failure message and the report.
    private func describe(_ pair: Pair) -> String { pair.relayed ? "\(pair.remote) (via TURN)" : pair.remote.description }

    public var candidateCount: Int { pairs.count }

    public var selected: STUNAddress? {
        if case .connected(let address) = state { return address }
        return nil
    }

    // MARK: Timers

    /// Sends new checks (paced), retransmits unanswered ones, nominates, keeps consent.
    public mutating func tick(now: Int64) -> [Outgoing] {
        if startedAt == nil { startedAt = now }
        var out: [Outgoing] = []
        switch state {
        case .failed:
            return []
        case .connected(let address):
            if now - lastConsentAnswer > timing.consentTimeout {
                state = .failed("no answer to consent checks for \(timing.consentTimeout / 1_000_000) s: the server went away")
                return []
            }
            if now - lastConsentSent >= timing.consentInterval {
                lastConsentSent = now
                let check = request(useCandidate: false)
                consentTransactions[check.message.transactionID] = now
                if consentTransactions.count > 32, let oldest = consentTransactions.min(by: { $0.value < $1.value }) {
                    consentTransactions.removeValue(forKey: oldest.key)
                }
                out.append(Outgoing(bytes: check.bytes, destination: address, relayed: selectedRelayed))
            }
            return out
        case .checking:
            break
        }
        for i in pairs.indices where pairs[i].state == .inProgress && now - pairs[i].sentAt >= rto(pairs[i].retransmits) {
            if pairs[i].retransmits >= timing.maxRetransmits {
                pairs[i].state = .failed
                continue
            }
            pairs[i].retransmits += 1
            out.append(send(&pairs[i], now: now))
        }
        if now - lastPaced >= timing.pace, let i = pairs.firstIndex(where: { $0.state == .waiting }) {
            lastPaced = now
            out.append(send(&pairs[i], now: now))
        }
        out += nominateIfReady(now: now)
        if pairs.allSatisfy({ $0.state == .failed }) {
            state = .failed(pairs.isEmpty
                ? "the answer has no candidate reachable over UDP/IPv4"
                : "no answer to connectivity checks from \(pairs.map { describe($0) }.joined(separator: ", "))"
                    + (lastProblem.map { " (\($0))" } ?? ""))
        }
        return out
    }

    private func rto(_ retransmits: Int) -> Int64 { timing.initialRTO << Int64(min(retransmits, 10)) }

    /// When `tick` next has something to do (a check to pace out or retransmit, a nomination, a
    /// consent check or its timeout); nil when nothing is pending. The owner arms one timer for it.
    public func nextDeadline() -> Int64? {
        guard let started = startedAt else { return Int64.min }
        switch state {
        case .failed:
            return nil
        case .connected:
            return min(lastConsentSent + timing.consentInterval, lastConsentAnswer + timing.consentTimeout + 1)
        case .checking:
            var next = Int64.max
            for pair in pairs where pair.state == .inProgress { next = min(next, pair.sentAt + rto(pair.retransmits)) }
            if pairs.contains(where: { $0.state == .waiting }) { next = min(next, max(started, lastPaced + timing.pace)) }
            if let first = firstSuccess, !pairs.contains(where: { $0.nominating && $0.state != .failed }),
               pairs.contains(where: { $0.state == .succeeded }) {
                next = min(next, first + timing.nominationDelay)
            }
            // Nothing in flight and nothing to send: the next tick declares failure.
            return next == .max ? started : next
        }
    }

    private func request(useCandidate: Bool) -> (message: STUNMessage, bytes: [UInt8]) {
        STUNMessage.iceBindingRequest(remoteUfrag: remote.ufrag, localUfrag: local.ufrag, remotePassword: remote.password,
                                      priority: checkPriority, controllingTiebreaker: tiebreaker, useCandidate: useCandidate)
    }

    private func send(_ pair: inout Pair, now: Int64) -> Outgoing {
        let check = request(useCandidate: pair.nominating)
        pair.state = .inProgress
        pair.transaction = check.message.transactionID
        pair.sentAt = now
        return Outgoing(bytes: check.bytes, destination: pair.remote, relayed: pair.relayed)
    }

    /// Nominates the best working pair once no better pair is still pending, or after a short grace.
    private mutating func nominateIfReady(now: Int64) -> [Outgoing] {
        guard !pairs.contains(where: { $0.nominating && $0.state != .failed }), let first = firstSuccess,
              let best = pairs.firstIndex(where: { $0.state == .succeeded }) else { return [] }
        let betterPending = pairs[..<best].contains { $0.state == .waiting || $0.state == .inProgress }
        guard !betterPending || now - first >= timing.nominationDelay else { return [] }
        pairs[best].nominating = true
        pairs[best].retransmits = 0
        return [send(&pairs[best], now: now)]
    }

    // MARK: Input

    /// A STUN datagram from `source`: answers a check from the remote agent, or takes in the
    /// answer to one of ours. Other STUN is dropped.
    /// `relayed`: it came through the TURN allocation (a Data indication or ChannelData).
    public mutating func receive(_ bytes: [UInt8], from source: STUNAddress, relayed: Bool = false, now: Int64) -> [Outgoing] {
        guard let message = try? STUNMessage.parse(bytes) else { return [] }
        // A base we do not use (`--ice relay`: the socket's) is not a path.
        guard relayed ? relayPriority != nil : useHost else { return [] }
        switch message.type.messageClass {
        case .request:
            return answer(message, bytes: bytes, from: source, relayed: relayed, now: now)
        case .successResponse, .errorResponse:
            handleResponse(message, bytes: bytes, from: source, relayed: relayed, now: now)
            // Nominate at once rather than on the next tick: it is on the path to the first frame.
            guard case .checking = state else { return [] }
            return nominateIfReady(now: now)
        case .indication:
            return []
        }
    }

    private mutating func answer(_ message: STUNMessage, bytes: [UInt8], from source: STUNAddress, relayed: Bool,
                                 now: Int64) -> [Outgoing] {
        switch STUNMessage.validateICERequest(message, bytes: bytes, localUfrag: local.ufrag, localPassword: local.password) {
        case .discard(let reason):
            lastProblem = "dropped a check from \(source): \(reason)"
            return []
        case .reject(let request, let code, let reason):
            lastProblem = "refused a check from \(source): \(code) \(reason)"
            return [Outgoing(bytes: STUNMessage.errorResponse(to: request, code: code, reason: reason), destination: source, relayed: relayed)]
        case .valid(let request):
            // Both sides controlling: the larger tiebreaker keeps the role (RFC 8445 §7.3.1.1).
            if let theirs = request.iceControlling, tiebreaker >= theirs {
                return [Outgoing(bytes: STUNMessage.errorResponse(to: request, code: 487, reason: "Role Conflict",
                                                                  password: local.password), destination: source, relayed: relayed)]
            }
            var out = [Outgoing(bytes: STUNMessage.bindingSuccessResponse(to: request, mappedAddress: source, password: local.password),
                                destination: source, relayed: relayed)]
            // A check from an address we did not know is a peer-reflexive candidate: check it back.
            if case .checking = state, !source.isIPv6, !pairs.contains(where: { $0.remote == source && $0.relayed == relayed }) {
                addPair(source, relayed: relayed, remotePriority: request.priority ?? 0)
                if let i = pairs.firstIndex(where: { $0.remote == source && $0.relayed == relayed }) { out.append(send(&pairs[i], now: now)) }
            }
            return out
        }
    }

    private mutating func handleResponse(_ message: STUNMessage, bytes: [UInt8], from source: STUNAddress, relayed: Bool,
                                         now: Int64) {
        let transaction = message.transactionID
        let authentic = STUNMessage.checkIntegrity(bytes, password: remote.password) == .valid
            && STUNMessage.checkFingerprint(bytes) != .mismatch
        if let sent = consentTransactions.removeValue(forKey: transaction) {
            guard authentic, message.type.messageClass == .successResponse, source == selected, relayed == selectedRelayed else { return }
            lastConsentAnswer = now
            roundTripTime = now - sent
            return
        }
        guard let i = pairs.firstIndex(where: { $0.transaction == transaction && $0.state == .inProgress }) else { return }
        // RFC 8445 §7.2.5.2.1: the answer must come from where the check went.
        guard source == pairs[i].remote, relayed == pairs[i].relayed else {
            lastProblem = "answer from \(source)\(relayed ? " (via TURN)" : "") to a check sent to \(describe(pairs[i]))"
            return
        }
        guard authentic else {
            lastProblem = "answer from \(source) failed MESSAGE-INTEGRITY with the answer's ice-pwd"
            return
        }
        if message.type.messageClass == .errorResponse {
            let error = message.errorCode
            lastProblem = "\(source) answered a check with \(error?.code ?? 0) \(error?.reason ?? "")"
            pairs[i].state = .failed
            return
        }
        roundTripTime = now - pairs[i].sentAt
        pairs[i].state = .succeeded
        if firstSuccess == nil { firstSuccess = now }
        if pairs[i].nominating {
            state = .connected(pairs[i].remote)
            selectedRelayed = pairs[i].relayed
            lastConsentAnswer = now
            lastConsentSent = now
        }
    }
}
