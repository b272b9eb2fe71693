import Metrics
import NIOCore
import RTDWebRTC
import Synchronization

/// What the endpoint's network loops share: where each session lives, the peer limits, and the
/// peers answered but not yet placed on a loop. A peer is placed on the loop whose socket its
/// first ICE check reaches (the kernel hashes each remote address to one of the SO_REUSEPORT
/// sockets), so its datagrams need no hop; a second address of the same peer may hash to another
/// socket, whose loop finds the owner here. Taken per signaling call and per datagram that misses
/// its loop's own maps, never per packet sent.
final class PeerDirectory: Sendable {
    /// A peer answered but on no loop yet: touched by no thread until `claim` hands it, under the
    /// lock, to exactly one loop (or `removePending` takes it away).
    final class Pending: @unchecked Sendable {
        let entry: PeerEntry
        init(_ entry: PeerEntry) { self.entry = entry }
    }

    enum Place {
        case pending(Pending)
        case loop(Int)
    }

    enum Claim {
        case claimed(Pending)
        case elsewhere(Int)
        case unknown
    }

    private struct State {
        var sessions: [String: Place] = [:]
        /// ufrag → session.
        var ufrags: [String: String] = [:]
        /// Validated path (UDP address or ICE-TCP link) → the loop that owns its peer.
        var addresses: [PeerPath: Int] = [:]
        var perCamera: [String: Int] = [:]
    }

    private let state = Mutex(State())
    let maxPeers: Int
    let maxPeersPerCamera: Int

    init(maxPeers: Int, maxPeersPerCamera: Int, cameras: [String]) {
        self.maxPeers = maxPeers
        self.maxPeersPerCamera = maxPeersPerCamera
        // Every camera's series exists from the start, at 0.
        for name in cameras { Gauge(label: "rtd_peers", dimensions: [("camera", name)]).record(0) }
    }

    /// Refusal before any work is spent on an offer; `admit` checks again, exactly. A peer
    /// watching several cameras counts once towards the peer limit and once for each camera.
    func refusal(cameras: [String]) -> SignalingHTTPError? {
        state.withLock { Self.refusal(cameras: cameras, in: $0, maxPeers: maxPeers, maxPerCamera: maxPeersPerCamera) }
    }

    private static func refusal(cameras: [String], in s: State, maxPeers: Int, maxPerCamera: Int) -> SignalingHTTPError? {
        if s.sessions.count >= maxPeers { return .unavailable("peer limit reached (\(maxPeers))") }
        for camera in cameras where s.perCamera[camera, default: 0] >= maxPerCamera {
            return .unavailable("peer limit for camera '\(camera)' reached (\(maxPerCamera))")
        }
        return nil
    }

    /// Adds an answered peer, unplaced, if the limits still allow it.
    func admit(_ entry: PeerEntry) throws(SignalingHTTPError) {
        let (cameras, session, ufrag) = (entry.cameraNames, entry.peer.sessionID, entry.peer.localUfrag)
        let pending = Pending(entry)
        let refused: SignalingHTTPError? = state.withLock { s in
            if let refusal = Self.refusal(cameras: cameras, in: s, maxPeers: maxPeers, maxPerCamera: maxPeersPerCamera) { return refusal }
            s.sessions[session] = .pending(pending)
            s.ufrags[ufrag] = session
            for camera in cameras { Self.count(camera, by: 1, in: &s) }
            return nil
        }
        if let refused { throw refused }
    }

    /// The peer with this ufrag, handed to `loop` if it is on none yet.
    func claim(ufrag: String, loop: Int) -> Claim {
        state.withLock { s in
            guard let session = s.ufrags[ufrag], let place = s.sessions[session] else { return .unknown }
            switch place {
            case .loop(let owner):
                return .elsewhere(owner)
            case .pending(let pending):
                s.sessions[session] = .loop(loop)
                return .claimed(pending)
            }
        }
    }

    func place(of session: String) -> Place? { state.withLock { $0.sessions[session] } }

    func owner(of path: PeerPath) -> Int? { state.withLock { $0.addresses[path] } }

    /// Whether a session answered with this ufrag exists (an ICE-TCP connection's first check names one).
    func knows(ufrag: String) -> Bool { state.withLock { $0.ufrags[ufrag] != nil } }

    var count: Int { state.withLock { $0.sessions.count } }

    /// A placed peer has a new validated path (ICE check from another candidate pair).
    func validated(_ path: PeerPath, evicting old: PeerPath?, loop: Int) {
        state.withLock { s in
            if let old { s.addresses[old] = nil }
            s.addresses[path] = loop
        }
    }

    /// Takes a peer that is still unplaced away (bye, shutdown, never checked in time).
    func removePending(_ session: String) -> Pending? {
        state.withLock { s in
            guard case .pending(let pending)? = s.sessions[session] else { return nil }
            let e = pending.entry
            Self.forget(session: session, ufrag: e.peer.localUfrag, paths: e.paths.all, cameras: e.cameraNames, in: &s)
            return pending
        }
    }

    /// A placed peer is gone from its loop.
    func removed(_ entry: PeerEntry) {
        let (session, ufrag, paths, cameras) = (entry.peer.sessionID, entry.peer.localUfrag, entry.paths.all, entry.cameraNames)
        state.withLock { s in Self.forget(session: session, ufrag: ufrag, paths: paths, cameras: cameras, in: &s) }
    }

    /// Every unplaced peer, taken away (shutdown).
    func removeAllPending() -> [Pending] {
        state.withLock { s in
            let pending = s.sessions.values.compactMap { place -> Pending? in
                if case .pending(let p) = place { return p }
                return nil
            }
            for p in pending {
                Self.forget(session: p.entry.peer.sessionID, ufrag: p.entry.peer.localUfrag, paths: [], cameras: p.entry.cameraNames, in: &s)
            }
            return pending
        }
    }

    /// Statistics of the peers on no loop yet (read under the lock, which is what keeps them unplaced).
    func pendingStats() -> [PeerStreamStats] {
        state.withLock { s in
            s.sessions.values.flatMap { place -> [PeerStreamStats] in
                guard case .pending(let p) = place else { return [] }
                return p.entry.statsRows
            }
        }
    }

    /// A viewer switched camera on its data channel.
    func switched(from old: String, to new: String) {
        state.withLock { s in
            Self.count(old, by: -1, in: &s)
            Self.count(new, by: 1, in: &s)
        }
    }

    /// A placed peer lost a path (its TCP connection closed).
    func invalidated(_ path: PeerPath) {
        state.withLock { _ = $0.addresses.removeValue(forKey: path) }
    }

    private static func forget(session: String, ufrag: String, paths: [PeerPath], cameras: [String], in s: inout State) {
        guard s.sessions.removeValue(forKey: session) != nil else { return }
        s.ufrags[ufrag] = nil
        for path in paths { s.addresses[path] = nil }
        for camera in cameras { count(camera, by: -1, in: &s) }
    }

    /// Under the lock, so concurrent changes reach the gauge in order.
    private static func count(_ camera: String, by delta: Int, in s: inout State) {
        let n = s.perCamera[camera, default: 0] + delta
        s.perCamera[camera] = n
        Gauge(label: "rtd_peers", dimensions: [("camera", camera)]).record(n)
    }
}
