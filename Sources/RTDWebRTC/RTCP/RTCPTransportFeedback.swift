/// Transport-wide congestion control feedback (RTPFB FMT 15,
/// draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1).

/// One packet's arrival as observed by the receiver, for building feedback.
public struct TransportPacketArrival: Sendable, Hashable {
    public var sequenceNumber: UInt16
    /// Receive time in microseconds on any monotonic clock; nil if the packet was not received.
    public var arrivalMicroseconds: Int64?

    public init(sequenceNumber: UInt16, arrivalMicroseconds: Int64?) {
        self.sequenceNumber = sequenceNumber
        self.arrivalMicroseconds = arrivalMicroseconds
    }
}

public struct RTCPTransportFeedback: Sendable, Hashable {
    public struct PacketResult: Sendable, Hashable {
        public var sequenceNumber: UInt16
        /// Receive delta in 250 µs ticks from the previous received packet (the first one is
        /// relative to the reference time); nil when the packet was not received.
        public var receiveDelta: Int16?

        public init(sequenceNumber: UInt16, receiveDelta: Int16?) {
            self.sequenceNumber = sequenceNumber
            self.receiveDelta = receiveDelta
        }
    }

    public static let deltaTickMicroseconds: Int64 = 250
    public static let referenceTimeMicroseconds: Int64 = 64_000

    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32
    public var baseSequenceNumber: UInt16
    /// 24-bit signed, in multiples of 64 ms.
    public var referenceTime: Int32
    public var feedbackPacketCount: UInt8
    /// One entry per reported sequence number, starting at `baseSequenceNumber`.
    public var packets: [PacketResult]

    public init(senderSSRC: UInt32, mediaSSRC: UInt32, baseSequenceNumber: UInt16, referenceTime: Int32,
                feedbackPacketCount: UInt8, packets: [PacketResult]) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.baseSequenceNumber = baseSequenceNumber
        self.referenceTime = referenceTime
        self.feedbackPacketCount = feedbackPacketCount
        self.packets = packets
    }

    /// Absolute arrival times (µs, in the feedback sender's time base) per reported packet.
    public var arrivals: [TransportPacketArrival] {
        var time = Int64(referenceTime) * Self.referenceTimeMicroseconds
        return packets.map { result in
            guard let delta = result.receiveDelta else {
                return TransportPacketArrival(sequenceNumber: result.sequenceNumber, arrivalMicroseconds: nil)
            }
            time += Int64(delta) * Self.deltaTickMicroseconds
            return TransportPacketArrival(sequenceNumber: result.sequenceNumber, arrivalMicroseconds: time)
        }
    }

    /// Builds feedback for consecutive transport sequence numbers (the list must start with the
    /// first sequence number to report and have no gaps; lost packets have nil arrival). A new
    /// feedback packet is started whenever a delta wouldn't fit in 16 bits or the status count
    /// would overflow; `firstFeedbackCount` numbers them.
    public static func build(senderSSRC: UInt32, mediaSSRC: UInt32, firstFeedbackCount: UInt8,
                             arrivals: [TransportPacketArrival]) -> [RTCPTransportFeedback] {
        let ticksPerReference = referenceTimeMicroseconds / deltaTickMicroseconds
        var feedbacks: [RTCPTransportFeedback] = []
        var current: RTCPTransportFeedback?
        var previousTicks: Int64?
        var count = firstFeedbackCount

        func startFeedback(at sequence: UInt16) {
            if let finished = current { feedbacks.append(finished) }
            current = RTCPTransportFeedback(senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, baseSequenceNumber: sequence,
                                            referenceTime: 0, feedbackPacketCount: count, packets: [])
            count &+= 1
            previousTicks = nil
        }

        for arrival in arrivals {
            if current == nil || (current?.packets.count ?? 0) >= Int(UInt16.max) { startFeedback(at: arrival.sequenceNumber) }
            guard let micros = arrival.arrivalMicroseconds else {
                current?.packets.append(PacketResult(sequenceNumber: arrival.sequenceNumber, receiveDelta: nil))
                continue
            }
            let ticks = floorDivide(micros + deltaTickMicroseconds / 2, deltaTickMicroseconds)
            var delta = previousTicks.map { ticks - $0 }
            if let value = delta, Int16(exactly: value) == nil {
                // Too far from the previous arrival for 16 bits: continue in a new feedback.
                startFeedback(at: arrival.sequenceNumber)
                delta = nil
            }
            if delta == nil {
                // First arrival of a feedback sets its reference time; the delta is from there.
                let reference = floorDivide(micros, referenceTimeMicroseconds)
                current?.referenceTime = signExtend24(reference)
                delta = ticks - reference * ticksPerReference
            }
            current?.packets.append(PacketResult(sequenceNumber: arrival.sequenceNumber,
                                                 receiveDelta: Int16(clamping: delta ?? 0)))
            previousTicks = ticks
        }
        if let finished = current { feedbacks.append(finished) }
        return feedbacks
    }

    /// The field is 24-bit; the time base is arbitrary, so wrapping is harmless.
    private static func signExtend24(_ value: Int64) -> Int32 {
        let low = Int32(truncatingIfNeeded: value & 0xFF_FFFF)
        return low & 0x80_0000 != 0 ? low - 0x100_0000 : low
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let quotient = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient
    }

    // MARK: Wire format

    /// Status symbols: 0 not received, 1 small delta (1 byte), 2 large or negative delta (2 bytes).
    private static func symbol(_ result: PacketResult) -> UInt8 {
        guard let delta = result.receiveDelta else { return 0 }
        return (0...255).contains(delta) ? 1 : 2
    }

    /// FCI after the two SSRCs.
    func encodeFCI(into out: inout [UInt8]) {
        let symbols = packets.map(Self.symbol)
        out.wireAppend(baseSequenceNumber)
        out.wireAppend(UInt16(truncatingIfNeeded: symbols.count))
        out.wireAppend24(UInt32(bitPattern: referenceTime) & 0xFF_FFFF)
        out.append(feedbackPacketCount)

        var index = 0
        while index < symbols.count {
            var run = 1
            while index + run < symbols.count, symbols[index + run] == symbols[index], run < 0x1FFF { run += 1 }
            if run >= 14 {
                out.wireAppend(UInt16(symbols[index]) << 13 | UInt16(run))
                index += run
                continue
            }
            let window = symbols[index..<min(index + 14, symbols.count)]
            if window.allSatisfy({ $0 <= 1 }) {
                var chunk: UInt16 = 0x8000
                for (position, value) in window.enumerated() where value == 1 { chunk |= 1 << (13 - position) }
                out.wireAppend(chunk)
                index += window.count
            } else {
                var chunk: UInt16 = 0xC000
                for (position, value) in symbols[index..<min(index + 7, symbols.count)].enumerated() {
                    chunk |= UInt16(value) << (12 - 2 * position)
                }
                out.wireAppend(chunk)
                index += min(7, symbols.count - index)
            }
        }
        for result in packets {
            guard let delta = result.receiveDelta else { continue }
            if (0...255).contains(delta) {
                out.append(UInt8(delta))
            } else {
                out.wireAppend(UInt16(bitPattern: delta))
            }
        }
    }

    static func parseFCI(senderSSRC: UInt32, mediaSSRC: UInt32,
                         _ reader: inout WebRTCWireReader) throws(PacketParseError) -> RTCPTransportFeedback {
        let base = try reader.readU16("base sequence number")
        let statusCount = Int(try reader.readU16("packet status count"))
        let rawReference = try reader.readU24("reference time")
        let reference = rawReference & 0x80_0000 != 0 ? Int32(rawReference) - 0x100_0000 : Int32(rawReference)
        let feedbackCount = try reader.readU8("feedback packet count")

        var symbols: [UInt8] = []
        symbols.reserveCapacity(statusCount)
        while symbols.count < statusCount {
            let chunkOffset = reader.offset
            let chunk = try reader.readU16("packet status chunk")
            let remaining = statusCount - symbols.count
            if chunk & 0x8000 == 0 {
                let value = UInt8((chunk >> 13) & 0x3)
                guard value != 3 else { throw reader.error("run-length chunk uses reserved symbol 3", at: chunkOffset) }
                symbols += repeatElement(value, count: min(Int(chunk & 0x1FFF), remaining))
            } else if chunk & 0x4000 == 0 {
                for position in 0..<min(14, remaining) { symbols.append(UInt8((chunk >> (13 - position)) & 0x1)) }
            } else {
                for position in 0..<min(7, remaining) {
                    let value = UInt8((chunk >> (12 - 2 * position)) & 0x3)
                    guard value != 3 else { throw reader.error("status vector uses reserved symbol 3", at: chunkOffset) }
                    symbols.append(value)
                }
            }
        }
        var packets: [PacketResult] = []
        packets.reserveCapacity(statusCount)
        for (index, value) in symbols.enumerated() {
            let sequence = base &+ UInt16(truncatingIfNeeded: index)
            switch value {
            case 1: packets.append(PacketResult(sequenceNumber: sequence, receiveDelta: Int16(try reader.readU8("receive delta"))))
            case 2: packets.append(PacketResult(sequenceNumber: sequence, receiveDelta: Int16(bitPattern: try reader.readU16("receive delta"))))
            default: packets.append(PacketResult(sequenceNumber: sequence, receiveDelta: nil))
            }
        }
        // Anything left is zero padding.
        return RTCPTransportFeedback(senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, baseSequenceNumber: base,
                                     referenceTime: reference, feedbackPacketCount: feedbackCount, packets: packets)
    }
}
