import Dispatch
import Synchronization
@testable import RTDWebRTC

/// Collects a transport's events and lets a test wait for a condition over them.
final class EventLog: Sendable {
    private let events = Mutex<[DataChannelEvent]>([])

    func append(_ event: DataChannelEvent) { events.withLock { $0.append(event) } }

    var all: [DataChannelEvent] { events.withLock { $0 } }

    var messages: [DataChannelMessage] {
        all.compactMap { if case .message(_, let m) = $0 { m } else { nil } }
    }

    func messages(onStream sid: UInt16) -> [DataChannelMessage] {
        all.compactMap { if case .message(let c, let m) = $0, c.streamID == sid { m } else { nil } }
    }

    var opened: [DataChannel] {
        all.compactMap { if case .channelOpened(let c) = $0 { c } else { nil } }
    }

    var closedStreams: [UInt16] {
        all.compactMap { if case .channelClosed(let c) = $0 { c.streamID } else { nil } }
    }

    var protocolErrors: [DataChannelProtocolError] {
        all.compactMap { if case .protocolError(let e) = $0 { e } else { nil } }
    }

    var established: Bool {
        all.contains { if case .associationEstablished = $0 { true } else { false } }
    }

    /// Polls until `condition` holds; returns false on timeout so the caller's #expect fails.
    func wait(timeout: Duration = .seconds(10), _ condition: (EventLog) -> Bool) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if condition(self) { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return condition(self)
    }
}

/// Late-bound reference so each side's sink can forward to the other side.
final class PeerSlot: Sendable {
    private let slot = Mutex<DataChannelTransport?>(nil)
    func set(_ t: DataChannelTransport?) { slot.withLock { $0 = t } }
    var transport: DataChannelTransport? { slot.withLock { $0 } }
}

/// Two transports (DTLS client and server roles) joined by an in-memory packet pipe.
/// `filter` may drop or rewrite packets in flight (nil = drop).
struct LinkedPair {
    let client: DataChannelTransport
    let server: DataChannelTransport
    let clientLog = EventLog()
    let serverLog = EventLog()

    init(configuration: SCTPAssociation.Configuration = SCTPAssociation.Configuration(),
         filter: (@Sendable ([UInt8]) -> [UInt8]?)? = nil) throws {
        let toServer = PeerSlot()
        let toClient = PeerSlot()
        let clientLog = self.clientLog
        let serverLog = self.serverLog
        client = try DataChannelTransport(role: .client, configuration: configuration, executor: serialExecutor("client")) { event in
            if case .outgoingPacket(let p) = event {
                let forwarded: [UInt8]? = if let filter { filter(p) } else { p }
                if let forwarded { toServer.transport?.receive(forwarded) }
            } else {
                clientLog.append(event)
            }
        }
        server = try DataChannelTransport(role: .server, configuration: configuration, executor: serialExecutor("server")) { event in
            if case .outgoingPacket(let p) = event {
                let forwarded: [UInt8]? = if let filter { filter(p) } else { p }
                if let forwarded { toClient.transport?.receive(forwarded) }
            } else {
                serverLog.append(event)
            }
        }
        toServer.set(server)
        toClient.set(client)
    }

    func start() async -> Bool {
        client.start()
        server.start()
        let a = await clientLog.wait { $0.established }
        let b = await serverLog.wait { $0.established }
        return a && b
    }

    func close() {
        client.close()
        server.close()
    }
}

/// A serial executor of its own for one transport in a test (rtd gives each its peer's event loop).
func serialExecutor(_ label: String) -> SCTPExecutor {
    let queue = DispatchQueue(label: "test.sctp.\(label)")
    let key = DispatchSpecificKey<Bool>()
    queue.setSpecific(key: key, value: true)
    return SCTPExecutor(execute: { queue.async(execute: $0) }, isCurrent: { DispatchQueue.getSpecific(key: key) == true })
}
