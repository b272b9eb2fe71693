import RTDWebRTC
import RTDMedia
/// Receive-side RTP reordering for one video stream: puts packets back in sequence order, hands
/// out whole frames (a run of packets from a frame start to the marker bit), lists the holes to
/// NACK, and gives up on a hole that retransmission did not fill in time, so the caller asks for
/// a keyframe (PLI) instead of waiting forever. Its holes are the log of a `NACKGenerator`.
///
/// Pure: no clock, no sockets; every call takes `now` in microseconds.
public struct JitterBuffer: Sendable {
    public struct Configuration: Sendable {
        /// A hole older than this is given up: the frames it breaks are dropped.
        public var maxHoleWait: Int64 = 400_000
        /// NACKs per missing packet before waiting out `maxHoleWait`.
        public var maxNackRetries = 8
        /// Least time between two NACKs of the same packet (the caller passes max(this, RTT)).
        public var minNackInterval: Int64 = 20_000
        /// Packets held at most; past it the oldest incomplete frame is given up.
        public var capacity = 2048

        public init() {}
    }

    /// One complete frame: its packets in sequence order, the last one with the marker bit.
    public struct Frame: Sendable {
        public var packets: [RTPPacket]
        public var timestamp: UInt32
        /// Something before this frame was given up, so it may reference a picture the decoder
        /// never got: decoding should resume at a keyframe.
        public var followsLoss: Bool
    }

    public enum InsertResult: Sendable, Equatable {
        case stored
        /// Already held, or already handed out.
        case duplicate
        /// Older than what was already handed out or given up.
        case tooLate
    }

    public struct Stats: Sendable, Equatable {
        public var received = 0
        public var duplicates = 0
        public var tooLate = 0
        /// Packets given up on (never received in time).
        public var lost = 0
        /// Holes filled after at least one NACK.
        public var recovered = 0
        public var nacked = 0
        public var framesOut = 0
        public var framesDropped = 0
    }

    public let configuration: Configuration
    /// Tells whether a payload certainly begins a frame (VP8 S=1 PartID=0; H.264 an SPS or STAP-A),
    /// used to resume after a hole whose frame boundary was lost with it.
    private let isFrameStart: @Sendable ([UInt8]) -> Bool
    private var packets: [Int64: RTPPacket] = [:]
    private var holes: NACKGenerator
    /// Extended sequence number of the first packet not yet handed out.
    private var next: Int64?
    private var highest: Int64 = 0
    private var lossPending = false
    public private(set) var stats = Stats()

    public init(configuration: Configuration = Configuration(), isFrameStart: @escaping @Sendable ([UInt8]) -> Bool) {
        self.configuration = configuration
        self.isFrameStart = isFrameStart
        var nack = NACKGenerator.Configuration()
        nack.maxRetries = configuration.maxNackRetries
        nack.minInterval = configuration.minNackInterval
        holes = NACKGenerator(configuration: nack)
    }

    /// The packet's 16-bit sequence number unwrapped next to the highest one seen; the first
    /// starts a cycle up, so one just after the wrap has room below it.
    private func extend(_ sequence: UInt16) -> Int64 {
        guard next != nil else { return Int64(sequence) + 65_536 }
        return RTPSequence.extend(sequence, near: highest)
    }

    public mutating func insert(_ packet: RTPPacket, now: Int64) -> InsertResult {
        let seq = extend(packet.sequenceNumber)
        guard let start = next else {
            next = seq
            highest = seq
            packets[seq] = packet
            stats.received += 1
            return .stored
        }
        if seq < start {
            stats.tooLate += 1
            return .tooLate
        }
        if packets[seq] != nil {
            stats.duplicates += 1
            return .duplicate
        }
        stats.received += 1
        packets[seq] = packet
        if seq > highest {
            // A jump this large is a restarted sender, not loss: start over from here.
            if seq - highest > Int64(configuration.capacity) {
                reset(at: seq, packet: packet)
                return .stored
            }
            holes.markMissing(highest + 1..<seq, now: now)
            highest = seq
        } else if holes.received(seq) {
            stats.recovered += 1
        }
        return .stored
    }

    private mutating func reset(at seq: Int64, packet: RTPPacket) {
        stats.lost += packets.count - 1
        packets = [seq: packet]
        holes.forgetAll()
        next = seq
        highest = seq
        lossPending = true
    }

    /// Frames that are complete, in order; gives up on holes older than `maxHoleWait` (or when over
    /// capacity) and moves on to the next frame start after them.
    public mutating func popFrames(now: Int64) -> [Frame] {
        var out: [Frame] = []
        while true {
            if let frame = takeCompleteFrame() {
                out.append(frame)
                continue
            }
            guard let start = next, start <= highest else { break }
            let firstHole = (start...highest).first { packets[$0] == nil }
            let overdue = firstHole.flatMap { holes.missingSince($0) }.map { now - $0 > configuration.maxHoleWait } ?? false
            guard overdue || packets.count > configuration.capacity else { break }
            skipBrokenFrame(from: start)
        }
        return out
    }

    /// The frame starting at `next` if all its packets are here.
    private mutating func takeCompleteFrame() -> Frame? {
        guard let start = next, let first = packets[start] else { return nil }
        var end = start
        while true {
            guard let packet = packets[end] else { return nil }
            if packet.marker { break }
            // No marker but the next packet is already another picture: the frame ends here.
            if let following = packets[end + 1], following.timestamp != packet.timestamp { break }
            end += 1
        }
        var frame: [RTPPacket] = []
        frame.reserveCapacity(Int(end - start + 1))
        for seq in start...end {
            if let packet = packets.removeValue(forKey: seq) { frame.append(packet) }
        }
        next = end + 1
        stats.framesOut += 1
        defer { lossPending = false }
        return Frame(packets: frame, timestamp: first.timestamp, followsLoss: lossPending)
    }

    /// Drops everything from `start` up to the next packet that certainly begins a frame.
    private mutating func skipBrokenFrame(from start: Int64) {
        var seq = start + 1
        var resume: Int64?
        while seq <= highest {
            if let packet = packets[seq] {
                if let previous = packets[seq - 1], previous.marker || previous.timestamp != packet.timestamp {
                    resume = seq
                    break
                }
                if isFrameStart(packet.payload), packets[seq - 1] == nil {
                    resume = seq
                    break
                }
            }
            seq += 1
        }
        let end = resume ?? highest + 1
        var s = start
        while s < end {
            if packets.removeValue(forKey: s) == nil { stats.lost += 1 }
            s += 1
        }
        holes.forget(start..<end)
        stats.framesDropped += 1
        next = end
        lossPending = true
    }

    /// Sequence numbers to NACK now: holes not asked for within `interval` and not asked too often.
    public mutating func nackList(now: Int64, interval: Int64) -> [UInt16] {
        let due = holes.due(now: now, interval: interval)
        stats.nacked += due.count
        return due.map { UInt16(truncatingIfNeeded: $0) }
    }

    /// Packets currently held.
    public var count: Int { packets.count }
    /// Sequence numbers currently missing.
    public var missingCount: Int { holes.count }
}
