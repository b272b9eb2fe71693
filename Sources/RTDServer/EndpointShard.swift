import CMalloc
import Foundation
import Logging
import Metrics
import NIOCore
import RTDCore
import RTDDetection
import RTDWebRTC

/// A peer's figures for one camera it watches: what /api and the metrics report (`layer`: the
/// index in the camera's ladder it is sent).
public typealias PeerStreamStats = (session: String, camera: String, codec: String, layer: Int, stats: PeerConnection.Stats)

/// What one of a peer's video sections shows, and its counters as last added to the metrics.
struct WatchedCamera {
    var camera: Camera
    /// The encode it is sent: one of the camera's layers.
    var track: VideoTrack
    /// The layer it moves to at that layer's next keyframe (until then it keeps `track`, so the
    /// picture never stops), and why.
    var pending: (track: VideoTrack, decision: LayerSelector.Decision)?
    var recordsSent = 0
    var recordsDropped = 0
    var reported = PeerConnection.Stats()
    var reportedRecords = (sent: 0, dropped: 0)

    init(camera: Camera, track: VideoTrack) {
        self.camera = camera
        self.track = track
    }

    /// What its counters did since the last report, in `EndpointShard.report`'s order; `now` is
    /// its stream's figures from the peer.
    mutating func takeDeltas(_ now: PeerConnection.Stats) -> [Int] {
        let was = reported
        reported = now
        defer { reportedRecords = (recordsSent, recordsDropped) }
        return [now.packetsSent - was.packetsSent, now.bytesSent - was.bytesSent, now.nacks - was.nacks,
                now.retransmissions - was.retransmissions, now.pli - was.pli + now.fir - was.fir,
                recordsSent - reportedRecords.sent, recordsDropped - reportedRecords.dropped]
    }
}

/// A peer and what the endpoint keeps beside it. Confined to the loop it is placed on.
final class PeerEntry {
    let peer: PeerConnection
    /// One per video section, in order: one camera for a single view, several for a grid on one connection.
    var streams: [WatchedCamera]
    /// The channel detection records go on (those of every camera watched): the first one the viewer opens.
    var recordChannel: DataChannel?
    /// The sound it is sent (its camera's), when its offer asked for audio and the camera has some.
    var audio: AudioTrack?
    /// Where media goes: the path the viewer's ICE agent nominated (see PeerConnection.remoteAddress).
    var path: PeerPath? {
        didSet { if path != oldValue { route = path.map(PeerRoute.init) } }
    }
    private(set) var route: PeerRoute?
    /// Every path (UDP address or ICE-TCP link) with a valid ICE check. Datagrams from any of them
    /// are the peer's: a viewer with several interfaces checks several pairs, and its DTLS may come
    /// over a pair other than the last one checked (dropping it cost a DTLS retransmission, 100 ms and more).
    var paths = ValidatedPaths<PeerPath>(limit: 8)
    init(peer: PeerConnection, streams: [WatchedCamera]) {
        self.peer = peer
        self.streams = streams
    }

    var cameraNames: [String] { streams.map(\.camera.name) }

    var statsRows: [PeerStreamStats] {
        streams.indices.map {
            (peer.sessionID, streams[$0].camera.name, peer.videos[$0].codec.rawValue, streams[$0].track.layer.index, peer.stats(stream: $0))
        }
    }

    /// The video section showing `camera`, if any.
    func stream(showing camera: String) -> Int? { streams.firstIndex { $0.camera.name == camera } }
}

/// Remote addresses with a valid ICE check, newest last; more than `limit` is no real viewer, and
/// the oldest is forgotten.
struct ValidatedPaths<Address: Equatable> {
    let limit: Int
    private(set) var all: [Address] = []

    init(limit: Int) { self.limit = limit }

    /// Records a validated path: whether it is new, and the path it displaced.
    mutating func add(_ path: Address) -> (new: Bool, evicted: Address?) {
        if let i = all.firstIndex(of: path) {
            all.append(all.remove(at: i))
            return (false, nil)
        }
        all.append(path)
        return (true, all.count > limit ? all.removeFirst() : nil)
    }

    /// Forgets a path that went away (its TCP connection closed).
    mutating func remove(_ path: Address) {
        all.removeAll { $0 == path }
    }
}

/// One network loop of the endpoint: its own SO_REUSEPORT socket on the shared port, the peers
/// placed on it, one subscription per track and per camera's records for all of them, and the
/// loop's load. Everything here is confined to `loop`; other threads reach it with `execute`/`submit`.
final class EndpointShard: @unchecked Sendable { // mutable state confined to `loop`
    let index: Int
    let loop: any EventLoop
    /// Set in the handler's `handlerAdded`, on the loop, before any datagram is read. Only read
    /// from: everything this loop sends goes through `outbox`, on the same socket.
    var channel: (any Channel)!
    let outbox = DatagramBatch()
    let load: LoopLoad
    private let directory: PeerDirectory
    private let hub: CameraHub
    let logger: Logger
    /// The other loops, to hand a datagram to the one that owns its peer.
    weak var endpoint: WebRTCEndpoint?

    private var byUfrag: [String: PeerEntry] = [:]
    private var byAddress: [PeerPath: PeerEntry] = [:]
    private var bySession: [String: PeerEntry] = [:]
    /// The tracks this loop's peers watch, by `VideoTrack.id`: each subscribed once, whatever its viewers.
    private var videoFeeds: [UInt64: VideoFeed] = [:]
    /// The audio tracks this loop's peers listen to, by `AudioTrack.id`: each subscribed once.
    private var audioFeeds: [UInt64: AudioFeed] = [:]
    /// Per camera name: the sessions with a record channel, and the detector subscription for them.
    private var recordViewers: [String: Set<String>] = [:]
    private var recordFeeds: [String: RecordFeed] = [:]
    private var trim: Scheduled<Void>?
    private var ticks = 0
    /// A flush is queued behind the data-channel packets waiting as loop tasks (see `sendSoon`).
    private var flushQueued = false

    private struct RecordFeed {
        let handoff: RecordHandoff
        let subscription: UInt64
    }

    /// One audio track's packets on their way to this loop, and the sessions that listen.
    private struct AudioFeed {
        let handoff: AudioHandoff
        let subscription: UInt64
        var sessions: Set<String>
    }

    /// One track's pictures on their way to this loop, and the sessions that watch it.
    private struct VideoFeed {
        let handoff: VideoHandoff
        let subscription: UInt64
        var sessions: Set<String>
    }

    init(index: Int, loop: any EventLoop, directory: PeerDirectory, hub: CameraHub, saturationBusy: Double, logger: Logger) {
        self.index = index
        self.loop = loop
        self.directory = directory
        self.hub = hub
        self.logger = logger
        load = LoopLoad(loop: index, saturationBusy: saturationBusy, logger: logger)
    }

    func start() {
        loop.scheduleRepeatedTask(initialDelay: .milliseconds(Int64(LoopLoad.tickMicros / 1000)),
                                  delay: .milliseconds(Int64(LoopLoad.tickMicros / 1000))) { [weak self] _ in
            self?.tick()
        }
    }

    // MARK: Peers

    /// Takes a peer claimed for this loop: from now on all its callbacks run here.
    private func adopt(_ entry: PeerEntry) {
        let sessionID = entry.peer.sessionID
        let peer = entry.peer
        peer.events.keyframeNeeded = { [unowned self] stream in self.bySession[sessionID]?.streams[stream].track.requestKeyframe() }
        peer.events.bitrateEstimate = { [unowned self] stream, kbps in
            guard let entry = self.bySession[sessionID] else { return }
            entry.streams[stream].track.updateEstimate(peer: sessionID, kbps: kbps)
        }
        peer.events.layerWanted = { [unowned self] stream, decision in self.moveLayer(sessionID, stream: stream, decision) }
        peer.events.connected = { [unowned self] in
            // Deferred: the DTLS flight that completes the handshake must leave before any SRTP.
            self.loop.execute { self.startVideo(sessionID) }
        }
        peer.events.stateChanged = { [unowned self] state in
            if case .closed = state { self.loop.execute { self.removeSession(sessionID) } }
        }
        peer.events.channelOpened = { [unowned self] channel in
            guard let entry = self.bySession[sessionID], entry.recordChannel == nil else { return }
            entry.recordChannel = channel
            self.addRecordViewer(entry)
            for i in entry.streams.indices { self.tellLayer(entry, stream: i, decision: nil) }
        }
        peer.events.channelClosed = { [unowned self] channel in
            guard let entry = self.bySession[sessionID], entry.recordChannel === channel else { return }
            self.removeRecordViewer(entry)
            entry.recordChannel = nil
        }
        peer.events.message = { [unowned self] message, channel in
            switch message {
            case .text(let text):
                self.control(text, on: channel, session: sessionID)
            case .binary:
                self.bySession[sessionID]?.peer.send(
                    text: #"{"type":"error","error":"binary messages are not understood; control messages are JSON text"}"#, on: channel)
            }
        }
        // SCTP runs on this loop too, so its events need no further hop.
        let loop = self.loop
        peer.dataChannelExecutor = SCTPExecutor(execute: { loop.execute($0) }, isCurrent: { loop.inEventLoop })
        peer.dataChannelSink = { [unowned self] event in
            guard let entry = self.bySession[sessionID] else { return }
            self.sendSoon(entry.peer.handle(event), to: entry.route)
        }
        for (i, watched) in entry.streams.enumerated() {
            subscribeVideo(watched.track, session: sessionID)
            peer.setLayers(stream: i, rates: watched.camera.layers.map(\.kbps), current: watched.track.layer.index,
                           probeIn: LayerSelector.joinProbe)
        }
        if let audio = entry.audio { subscribeAudio(audio, session: sessionID) }
        byUfrag[peer.localUfrag] = entry
        bySession[sessionID] = entry
    }

    func close(session: String, reason: String) -> Bool {
        guard let entry = bySession[session] else { return false }
        send(entry.peer.close(reason: reason), to: entry.route)
        remove(entry)
        return true
    }

    func closeAll(reason: String) {
        for entry in Array(bySession.values) {
            send(entry.peer.close(reason: reason), to: entry.route)
            remove(entry)
        }
    }

    /// One row per camera a peer watches (a grid peer has several).
    func stats() -> [PeerStreamStats] { bySession.values.flatMap(\.statsRows) }

    private func removeSession(_ id: String) {
        if let entry = bySession[id] { remove(entry) }
    }

    private func remove(_ entry: PeerEntry) {
        loop.preconditionInEventLoop()
        guard bySession.removeValue(forKey: entry.peer.sessionID) != nil else { return }
        report([entry])
        directory.removed(entry)
        logger.info("peer gone", metadata: ["session": "\(entry.peer.sessionID)", "camera": "\(entry.cameraNames.joined(separator: ","))",
                                            "packets_sent": "\(entry.peer.stats.packetsSent)", "nacks": "\(entry.peer.stats.nacks)"])
        byUfrag.removeValue(forKey: entry.peer.localUfrag)
        for path in entry.paths.all {
            byAddress.removeValue(forKey: path)
            if case .tcp(let link) = path { link.close(reason: .peerGone) }
        }
        for watched in entry.streams {
            unsubscribeVideo(watched.track, session: entry.peer.sessionID)
            watched.track.removeEstimate(peer: entry.peer.sessionID)
            if let pending = watched.pending { unsubscribeVideo(pending.track, session: entry.peer.sessionID) }
        }
        if let audio = entry.audio { unsubscribeAudio(audio, session: entry.peer.sessionID) }
        removeRecordViewer(entry)
        scheduleTrim()
    }

    /// Hands the memory of departed peers back to the system. glibc keeps freed pages in its
    /// arenas, so a server that once had 100 viewers would otherwise keep their footprint for
    /// good. Runs once departures have stopped for 10 s: a trim walks every arena, so once per burst.
    private func scheduleTrim() {
        trim?.cancel()
        trim = loop.scheduleTask(in: .seconds(10)) { [weak self] in
            guard let self else { return }
            self.trim = nil
            let released = rtd_malloc_trim() == 1
            self.logger.debug("heap trimmed after peers left", metadata: ["released": "\(released)"])
        }
    }

    // MARK: Video

    /// The first viewer of a track on this loop subscribes the loop to it: each picture then costs
    /// one task here, which sends it to every viewer of the track on this loop, however many.
    private func subscribeVideo(_ track: VideoTrack, session id: String) {
        if videoFeeds[track.id] != nil {
            videoFeeds[track.id]!.sessions.insert(id)
            return
        }
        let handoff = VideoHandoff(camera: track.camera)
        let loop = self.loop
        let subscription = track.subscribe { [weak self, weak track] batch in
            switch handoff.offer(batch) {
            case .scheduleDrain:
                guard let self else { return }
                loop.execute { self.drain(handoff, track: batch.track) }
            case .keyframeNeeded:
                track?.requestKeyframe()
            case .queued, .dropped:
                break
            }
        }
        videoFeeds[track.id] = VideoFeed(handoff: handoff, subscription: subscription, sessions: [id])
    }

    /// The last viewer of a track on this loop leaving stops the loop's deliveries (and, with no
    /// other subscriber, its encoding).
    private func unsubscribeVideo(_ track: VideoTrack, session id: String) {
        guard var feed = videoFeeds[track.id] else { return }
        feed.sessions.remove(id)
        if feed.sessions.isEmpty {
            track.unsubscribe(feed.subscription)
            videoFeeds[track.id] = nil
        } else {
            videoFeeds[track.id] = feed
        }
    }

    /// Sends what waits in `handoff` to every viewer of its track on this loop: every viewer's
    /// packets are written into the loop's outbox and go to the kernel in `sendmmsg` batches
    /// (`DatagramBatch.slots` datagrams a call) instead of one small batch per viewer.
    private func drain(_ handoff: VideoHandoff, track: UInt64) {
        let started = load.begin()
        defer { load.end(started) }
        let batches = handoff.take()
        guard let feed = videoFeeds[track], feed.handoff === handoff else { return }
        for batch in batches {
            for id in feed.sessions {
                guard let entry = bySession[id], let route = entry.route else { continue }
                if batch.isKeyframe, let stream = entry.streams.firstIndex(where: { $0.pending?.track.id == track }) {
                    completeMove(entry, stream: stream)
                }
                switch route {
                case .udp(let address):
                    var writer = BatchDatagramWriter(batch: outbox, address: address)
                    entry.peer.send(batch, to: &writer)
                case .tcp(let link):
                    // One buffer of frames per picture and viewer, dropped whole when its link is backed up.
                    var writer = TCPFrameWriter(buffer: link.channel.allocator.buffer(capacity: batch.packets.count * 1300))
                    entry.peer.send(batch, to: &writer)
                    link.enqueue(writer.buffer, video: true)
                }
            }
        }
        outbox.flush()
    }

    // MARK: Audio

    /// Like video: the first listener of a track on this loop subscribes the loop, and each
    /// packet costs one task here for all of them (fewer when packets wait together).
    private func subscribeAudio(_ track: AudioTrack, session id: String) {
        if audioFeeds[track.id] != nil {
            audioFeeds[track.id]!.sessions.insert(id)
            return
        }
        let handoff = AudioHandoff(dropped: Counter(label: "rtd_audio_frames_dropped_total", dimensions: [("camera", track.camera)]))
        let loop = self.loop
        let subscription = track.subscribe { [weak self] batch in
            guard handoff.offer(batch), let self else { return }
            loop.execute { self.drain(handoff, audio: batch.track) }
        }
        audioFeeds[track.id] = AudioFeed(handoff: handoff, subscription: subscription, sessions: [id])
    }

    private func unsubscribeAudio(_ track: AudioTrack, session id: String) {
        guard var feed = audioFeeds[track.id] else { return }
        feed.sessions.remove(id)
        if feed.sessions.isEmpty {
            track.unsubscribe(feed.subscription)
            audioFeeds[track.id] = nil
        } else {
            audioFeeds[track.id] = feed
        }
    }

    private func drain(_ handoff: AudioHandoff, audio track: UInt64) {
        let started = load.begin()
        defer { load.end(started) }
        let batches = handoff.take()
        guard let feed = audioFeeds[track], feed.handoff === handoff else { return }
        for batch in batches {
            for id in feed.sessions {
                guard let entry = bySession[id], let route = entry.route else { continue }
                switch route {
                case .udp(let address):
                    var writer = BatchDatagramWriter(batch: outbox, address: address)
                    entry.peer.send(batch, to: &writer)
                case .tcp(let link):
                    var writer = TCPFrameWriter(buffer: link.channel.allocator.buffer(capacity: 400))
                    entry.peer.send(batch, to: &writer)
                    // Like video: late sound is worth nothing, so a backed-up link drops it.
                    link.enqueue(writer.buffer, video: true)
                }
            }
        }
        outbox.flush()
    }

    // MARK: Layers

    /// The viewer's path carries another layer of the camera: it is subscribed to that layer at
    /// once and keeps its current one until the new layer's keyframe (`completeMove`).
    private func moveLayer(_ id: String, stream: Int, _ decision: LayerSelector.Decision) {
        guard let entry = bySession[id], entry.streams.indices.contains(stream) else { return }
        let watched = entry.streams[stream]
        let target = watched.camera.track(for: entry.peer.videos[stream].codec, layer: decision.layer)
        if let pending = watched.pending {
            guard pending.track !== target else { return }
            unsubscribeVideo(pending.track, session: id)
            entry.streams[stream].pending = nil
        }
        guard target !== watched.track else { return }
        entry.streams[stream].pending = (target, decision)
        subscribeVideo(target, session: id)
        target.requestKeyframe(minInterval: decision.up ? VideoTrack.relaxedKeyframeInterval : VideoTrack.keyframeMinInterval)
    }

    /// The new layer's keyframe is here: the viewer is sent that layer from it on, its clock
    /// going on where the old one left off (`restartVideo`), and is told.
    private func completeMove(_ entry: PeerEntry, stream: Int) {
        guard let pending = entry.streams[stream].pending else { return }
        let id = entry.peer.sessionID
        let old = entry.streams[stream].track
        unsubscribeVideo(old, session: id)
        old.moveEstimate(peer: id, to: pending.track)
        entry.streams[stream].track = pending.track
        entry.streams[stream].pending = nil
        entry.peer.restartVideo(track: pending.track.id, stream: stream)
        let camera = entry.streams[stream].camera.name
        Counter(label: "rtd_layer_switches_total", dimensions: [("camera", camera), ("direction", pending.decision.up ? "up" : "down")])
            .increment()
        logger.info("viewer moved \(pending.decision.up ? "up" : "down") to layer \(pending.track.layer.index)", metadata: [
            "session": "\(id)", "camera": "\(camera)", "size": "\(pending.track.layer.size)", "link_kbps": "\(pending.decision.linkKbps)",
        ])
        tellLayer(entry, stream: stream, decision: pending.decision)
    }

    /// Tells the viewer (on its record channel) which layer of a camera it is sent, and why.
    private func tellLayer(_ entry: PeerEntry, stream: Int, decision: LayerSelector.Decision?) {
        let watched = entry.streams[stream]
        // A camera with one layer has nothing to tell (and clients that predate layers get only records).
        guard let channel = entry.recordChannel, watched.camera.layers.count > 1 else { return }
        let layer = watched.track.layer
        let reason: String = switch (layer.index, decision) {
        case (0, _): "full size"
        case (_, let d?) where d.up: "your link carries at least \(d.linkKbps) kbit/s"
        case (_, let d?) where d.linkKbps >= 50: "your link carries ~\(d.linkKbps) kbit/s"
        case (let i, _?): "your link cannot carry \(watched.camera.layers[i - 1].kbps) kbit/s"
        case (_, nil): "starting small until your link is measured"
        }
        var message: [String: Any] = [
            "type": "layer", "camera": watched.camera.name, "index": layer.index, "count": watched.camera.layers.count,
            "width": layer.size.width, "height": layer.size.height, "kbps": layer.kbps, "reason": reason,
        ]
        message["link_kbps"] = decision.map { $0.linkKbps as Any } ?? NSNull()
        guard let data = try? JSONSerialization.data(withJSONObject: message, options: [.sortedKeys]),
              let text = String(data: data, encoding: .utf8) else { return }
        entry.peer.send(text: text, on: channel)
    }

    /// Each stream's recent pictures from its last keyframe, or a keyframe request.
    private func startVideo(_ id: String) {
        guard let entry = bySession[id] else { return }
        for watched in entry.streams {
            for batch in watched.track.joinBurst() { send(entry.peer.send(batch), to: entry.route) }
        }
    }

    // MARK: Records

    /// Detection records, from one subscription per camera that has a viewer with a record
    /// channel on this loop: each record is serialized once and reaches the loop through a bounded
    /// hand-off (one task for the records waiting), whatever the number of viewers; each viewer
    /// gets it stamped with the RTP timestamp its track gave that frame, so boxes are drawn on the
    /// exact picture they belong to.
    private func addRecordViewer(_ entry: PeerEntry) {
        for name in entry.cameraNames { addRecordViewer(entry.peer.sessionID, camera: name) }
    }

    private func addRecordViewer(_ session: String, camera name: String) {
        recordViewers[name, default: []].insert(session)
        guard recordFeeds[name] == nil, let camera = hub.camera(named: name) else { return }
        let handoff = RecordHandoff(dropped: Counter(label: "rtd_records_dropped_total", dimensions: [("camera", name)]))
        let loop = self.loop
        let subscription = camera.detector.subscribe { [weak self] record in
            guard let self, handoff.offer(RecordItem(record: record, line: record.jsonLineHalves())) else { return }
            loop.execute { self.drain(handoff, camera: name) }
        }
        recordFeeds[name] = RecordFeed(handoff: handoff, subscription: subscription)
    }

    private func removeRecordViewer(_ entry: PeerEntry) {
        guard entry.recordChannel != nil else { return }
        for name in entry.cameraNames { removeRecordViewer(entry.peer.sessionID, camera: name) }
    }

    private func removeRecordViewer(_ session: String, camera name: String) {
        recordViewers[name]?.remove(session)
        guard recordViewers[name]?.isEmpty ?? true else { return }
        recordViewers[name] = nil
        if let feed = recordFeeds.removeValue(forKey: name) {
            hub.camera(named: name)?.detector.unsubscribe(feed.subscription)
        }
    }

    private func drain(_ handoff: RecordHandoff, camera: String) {
        let started = load.begin()
        defer { load.end(started) }
        let items = handoff.take()
        guard recordFeeds[camera]?.handoff === handoff else { return }
        for item in items { deliver(item.record, line: item.line, camera: camera) }
    }

    /// A viewer whose record channel holds this much unsent loses records instead of growing memory.
    /// About 1.5 s of a camera's records: more is a backlog of records too late for their frames.
    static let maxBufferedRecordBytes = 16 * 1024
    /// On a lower layer the path is narrow, and a backlog of records is a backlog of seconds:
    /// records a viewer can no longer draw on their frames, taking the path from its video.
    static let maxBufferedRecordBytesOnLowerLayer = 4 * 1024

    private func deliver(_ record: DetectionRecord, line: (head: String, tail: String), camera: String) {
        var trackTimestamps: [UInt64: UInt32?] = [:]
        for id in recordViewers[camera] ?? [] {
            guard let entry = bySession[id], let channel = entry.recordChannel, let stream = entry.stream(showing: camera) else { continue }
            let track = entry.streams[stream].track
            let trackTimestamp: UInt32?
            if let known = trackTimestamps[track.id] {
                trackTimestamp = known
            } else {
                trackTimestamp = record.capturedAtUs.flatMap { track.rtpTimestamp(capturedAt: $0) }
                trackTimestamps[track.id] = trackTimestamp
            }
            // Before the viewer's track has encoded its first picture a record names no frame the
            // viewer will see; the channel can open first now that connecting is this fast.
            if record.capturedAtUs != nil, trackTimestamp == nil { continue }
            let text = trackTimestamp.map { line.head + ",\"rtp_timestamp\":\(entry.peer.viewerTimestamp($0, stream: stream))" + line.tail }
                ?? line.head + line.tail
            // A viewer on its way down is on a narrow path already.
            let lower = track.layer.index > 0 || (entry.streams[stream].pending.map { !$0.decision.up } ?? false)
            let limit = lower ? Self.maxBufferedRecordBytesOnLowerLayer : Self.maxBufferedRecordBytes
            if entry.peer.sendUnlessBacklogged(text: text, on: channel, maxBuffered: limit) {
                entry.streams[stream].recordsSent += 1
            } else if channel.state == .open {
                entry.streams[stream].recordsDropped += 1
            }
        }
    }

    /// Control messages on a viewer's data channel: ping, and subscribe (switch camera without
    /// renegotiation; a peer watching several cameras has no one camera to switch). Anything else
    /// is answered with an error; the peer stays connected.
    private func control(_ text: String, on channel: DataChannel, session id: String) {
        guard let entry = bySession[id] else { return }
        let reply = ViewerControl.respond(to: text, hub: hub, canSwitch: entry.streams.count == 1) { camera in
            let old = entry.streams[0]
            guard camera !== old.camera else { return [:] }
            unsubscribeVideo(old.track, session: id)
            old.track.removeEstimate(peer: id)
            if let pending = old.pending { unsubscribeVideo(pending.track, session: id) }
            report([entry])
            if entry.recordChannel != nil { removeRecordViewer(id, camera: old.camera.name) }
            directory.switched(from: old.camera.name, to: camera.name)
            // The viewer stays on the layer its path carries, of the new camera's ladder.
            let watched = WatchedCamera(camera: camera, track: camera.track(for: entry.peer.videos[0].codec, layer: old.track.layer.index))
            entry.streams[0] = watched
            entry.peer.restartVideo(track: watched.track.id, stream: 0)
            entry.peer.setLayers(stream: 0, rates: camera.layers.map(\.kbps), current: watched.track.layer.index)
            tellLayer(entry, stream: 0, decision: nil)
            subscribeVideo(watched.track, session: id)
            if entry.recordChannel != nil { addRecordViewer(id, camera: camera.name) }
            startVideo(id)
            return switchAudio(entry, to: camera)
        }
        entry.peer.send(text: reply, on: channel)
    }

    /// The sound follows a camera switch when the new camera has some; otherwise it stops, and
    /// the `subscribed` reply says so (`audio: false`). A viewer without an audio stream hears of none.
    private func switchAudio(_ entry: PeerEntry, to camera: Camera) -> [String: Any] {
        guard entry.peer.sendsAudio else { return [:] }
        let id = entry.peer.sessionID
        if let old = entry.audio { unsubscribeAudio(old, session: id) }
        entry.audio = camera.audio
        guard let audio = camera.audio else {
            return ["audio": false, "audio_note": "camera '\(camera.name)' has no audio"]
        }
        entry.peer.restartAudio(track: audio.id)
        subscribeAudio(audio, session: id)
        return ["audio": true]
    }

    // MARK: Timers and metrics

    private func tick() {
        let now = load.tick()
        defer { load.endTick(now) }
        let wallClock = NTPTimestamp(date: Date())
        for entry in Array(bySession.values) {
            send(entry.peer.tick(now: now, wallClock: wallClock), to: entry.route, flush: false)
        }
        outbox.flush()
        ticks += 1
        if ticks % LoopLoad.ticksPerWindow == 0 {
            report(Array(bySession.values))
            load.closeWindow(now: now, channel: channel, sends: outbox.counts)
        }
    }

    /// Adds what peers did since the last report to the per-camera counters: one registry update
    /// per camera and counter per second, not one per packet or per peer.
    private func report(_ entries: [PeerEntry]) {
        var deltas: [String: [Int]] = [:]
        for entry in entries {
            for i in entry.streams.indices {
                let d = entry.streams[i].takeDeltas(entry.peer.stats(stream: i))
                let name = entry.streams[i].camera.name
                deltas[name] = zip(deltas[name] ?? Array(repeating: 0, count: d.count), d).map { $0 + $1 }
            }
        }
        let labels = ["rtd_packets_sent_total", "rtd_bytes_sent_total", "rtd_nacks_total", "rtd_retransmissions_total",
                      "rtd_plis_total", "rtd_records_sent_total", "rtd_records_dropped_total"]
        for (camera, d) in deltas {
            for (label, delta) in zip(labels, d) where delta > 0 {
                Counter(label: label, dimensions: [("camera", camera)]).increment(by: delta)
            }
        }
    }

    // MARK: Datagrams

    /// Writes `datagrams` to `route`: UDP into the outbox, flushed unless told not to (a caller
    /// writing for many peers flushes once); TCP framed onto the link.
    private func send(_ datagrams: [[UInt8]], to route: PeerRoute?, flush: Bool = true) {
        guard let route, !datagrams.isEmpty else { return }
        switch route {
        case .udp(let address):
            for d in datagrams { outbox.write(d, to: address) }
            if flush { outbox.flush() }
        case .tcp(let link):
            link.send(datagrams)
        }
    }

    /// For data-channel output, which reaches the loop one task per SCTP packet (records to many
    /// viewers, their SACKs): one flush queued behind those tasks sends them together, instead of
    /// a system call per packet.
    private func sendSoon(_ datagrams: [[UInt8]], to route: PeerRoute?) {
        send(datagrams, to: route, flush: false)
        guard !flushQueued, case .udp(_)? = route, !datagrams.isEmpty else { return }
        flushQueued = true
        loop.execute { [weak self] in
            guard let self else { return }
            flushQueued = false
            outbox.flush()
        }
    }

    private func send(_ datagrams: [[UInt8]], to path: PeerPath) {
        guard !datagrams.isEmpty else { return } // no kernel address made for nothing to send
        send(datagrams, to: PeerRoute(path))
    }

    /// One datagram from a UDP address, or one frame from an ICE-TCP link (on the link's loop),
    /// into the same demultiplexing (RFC 7983).
    func receive(_ data: ByteBuffer, from: PeerPath) {
        let started = load.begin()
        defer { load.end(started) }
        var buffer = data
        // Classified where it lies; DTLS is fed to OpenSSL from NIO's buffer. STUN and SRTCP are
        // read into the one array they are parsed (and, for SRTCP, decrypted) in.
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return }
        switch first {
        case 0...3:
            handleSTUN(buffer.readBytes(length: buffer.readableBytes) ?? [], data: data, from: from)
        case 20...63:
            guard let entry = byAddress[from] else { return handOver(data, from: from) }
            send(buffer.withUnsafeReadableBytes { entry.peer.receiveDTLS($0) }, to: from)
        case 128...191:
            guard let entry = byAddress[from] else { return handOver(data, from: from) }
            // Only RTCP is expected from a receive-only viewer (payload type 192-223 per RFC 5761).
            if let type = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt8.self), (192...223).contains(type),
               let bytes = buffer.readBytes(length: buffer.readableBytes) {
                send(entry.peer.receiveRTCP(bytes), to: from)
            }
        default:
            logger.debug("dropped a datagram of unknown kind (first byte \(first)) from \(from)")
        }
    }

    /// A datagram from a path this loop has no peer for: its peer may live on another loop (a
    /// second candidate pair hashed to this socket, or a TCP connection accepted on this loop).
    private func handOver(_ data: ByteBuffer, from: PeerPath, to owner: Int? = nil) {
        guard let owner = owner ?? directory.owner(of: from), owner != index,
              let target = endpoint?.shards[owner] else { return }
        target.loop.execute { target.receive(data, from: from) }
    }

    /// On the link's loop: an ICE-TCP connection closed; its peer, wherever it lives, forgets the path.
    func linkClosed(_ link: TCPLink) {
        let path = PeerPath.tcp(link)
        if let entry = byAddress.removeValue(forKey: path) {
            entry.paths.remove(path)
            directory.invalidated(path)
            if entry.path == path { entry.path = nil }
        } else if let owner = directory.owner(of: path), owner != index, let target = endpoint?.shards[owner] {
            target.loop.execute { target.linkClosed(link) }
        }
    }

    private func handleSTUN(_ bytes: [UInt8], data: ByteBuffer, from: PeerPath) {
        // The username's first half is our ufrag: find the peer before checking integrity.
        logger.trace("STUN \(bytes.count) bytes from \(from)")
        guard let message = try? STUNMessage.parse(bytes) else {
            logger.debug("dropped a malformed STUN message from \(from)")
            return
        }
        if message.type.messageClass == .indication {
            // A keepalive (RFC 8445 11): unauthenticated, so it proves nothing and needs no answer.
            logger.trace("STUN keepalive from \(from)")
            return
        }
        guard let username = message.username, let ufrag = username.split(separator: ":", maxSplits: 1).first.map(String.init) else {
            logger.debug("dropped a STUN message without a username from \(from)")
            return
        }
        let entry: PeerEntry
        if let known = byUfrag[ufrag] {
            entry = known
        } else {
            switch directory.claim(ufrag: ufrag, loop: index) {
            case .claimed(let claimed):
                entry = claimed.entry
                adopt(entry)
            case .elsewhere(let owner):
                return handOver(data, from: from, to: owner)
            case .unknown:
                logger.debug("dropped a STUN message for no known session from \(from)")
                return
            }
        }
        switch STUNMessage.validateICERequest(message, bytes: bytes, localUfrag: entry.peer.localUfrag,
                                              localPassword: entry.peer.localPassword) {
        case .valid(let request):
            logger.trace("\(entry.peer.sessionID): ICE check from \(from)")
            guard let mapped = from.socketAddress.flatMap(WebRTCEndpoint.stunAddress) else { return }
            let before = entry.peer.remoteAddress
            let response = entry.peer.receiveBindingRequest(request, from: mapped)
            if case .tcp(let link) = from { link.verified() }
            let path = entry.paths.add(from)
            if path.new {
                byAddress[from] = entry
                if let evicted = path.evicted {
                    byAddress.removeValue(forKey: evicted)
                    if case .tcp(let link) = evicted { link.close(reason: .peerGone) }
                }
                directory.validated(from, evicting: path.evicted, loop: index)
            }
            // A UDP and a TCP path may share an address: the nominated one, or a move, decides.
            if entry.peer.remoteAddress == mapped, entry.path == nil || request.useCandidate || before != mapped { entry.path = from }
            // An ICE-lite agent sends no checks of its own, so a lost response costs the viewer a
            // STUN retransmission timeout (500 ms and doubling in aiortc and libwebrtc) before it
            // can start DTLS. Until the peer is connected the response goes twice: a random loss
            // must then take both. Extra copies match no open transaction and are ignored.
            send(entry.peer.state == .connected ? [response] : [response, response], to: from)
        case .reject(let request, let code, let reason):
            send([STUNMessage.errorResponse(to: request, code: code, reason: reason)], to: from)
        case .discard(let reason):
            logger.debug("dropped STUN from \(from): \(reason)")
        }
    }
}

/// The datagram handler of one shard's socket.
final class ShardDatagramHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let shard: EndpointShard

    init(shard: EndpointShard) {
        self.shard = shard
    }

    func handlerAdded(context: ChannelHandlerContext) {
        shard.channel = context.channel
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        shard.receive(envelope.data, from: .udp(envelope.remoteAddress))
    }

    func channelInactive(context: ChannelHandlerContext) {
        // The descriptor is closed now and its number may be reused: the outbox must forget it.
        shard.outbox.descriptor = -1
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP port unreachable from a vanished peer surfaces here; it must not close the socket.
    }
}

/// Writes a peer's datagrams straight into the loop's outbox for one address (no [UInt8] in between).
struct BatchDatagramWriter: DatagramWriter {
    let batch: DatagramBatch
    let address: RawSocketAddress

    mutating func write(capacity: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Int) {
        batch.write(to: address, capacity: capacity, fill)
    }
}
