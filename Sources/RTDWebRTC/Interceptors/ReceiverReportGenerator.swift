/// Reception statistics for one incoming stream and the RTCP receiver report made from them
/// (RFC 3550 §6.4.1, A.3): extended highest sequence number, cumulative and interval loss,
/// interarrival jitter, and LSR/DLSR from the sender's last report so the sender can measure
/// the round trip. It also maps the stream's RTP timestamps to the sender's wall clock through
/// that report. Pure: `now` is monotonic µs, passed in.
public struct ReceiverReportGenerator: Sendable {
    public static let defaultInterval: Int64 = 1_000_000

    /// The sender's last report: its wall clock, its RTP time then, and when it arrived.
    public struct SenderReportReceipt: Sendable, Equatable {
        public var ntp: NTPTimestamp
        public var rtp: UInt32
        public var at: Int64
    }

    /// This side's SSRC, the report's sender.
    public let ssrc: UInt32
    public let clockRate: Int64
    public let interval: Int64
    /// The stream reported on: the SSRC of the packets received.
    public private(set) var mediaSSRC: UInt32?
    public private(set) var received = 0
    public private(set) var jitter: InterarrivalJitter
    public private(set) var lastSenderReport: SenderReportReceipt?
    private var first: Int64?
    private var highest: Int64 = 0
    private var baseline = (expected: Int64(0), received: 0)
    private var lastReport: Int64?

    public init(ssrc: UInt32, clockRate: Int64 = 90_000, interval: Int64 = ReceiverReportGenerator.defaultInterval) {
        self.ssrc = ssrc
        self.clockRate = clockRate
        self.interval = interval
        jitter = InterarrivalJitter(clockRate: clockRate)
    }

    /// A packet of the stream arrived (duplicates count, as RFC 3550 A.3 says).
    public mutating func received(_ packet: RTPPacket, now: Int64) {
        received(ssrc: packet.ssrc, sequenceNumber: packet.sequenceNumber, timestamp: packet.timestamp, now: now)
    }

    /// The same from header fields alone (for a receiver that reads headers in place).
    public mutating func received(ssrc: UInt32, sequenceNumber: UInt16, timestamp: UInt32, now: Int64) {
        mediaSSRC = ssrc
        received += 1
        jitter.update(rtpTimestamp: timestamp, arrival: now)
        guard first != nil else {
            // Start a cycle up, so a first packet just after the wrap has room below it.
            let sequence = Int64(sequenceNumber) + 65_536
            first = sequence
            highest = sequence
            return
        }
        highest = max(highest, RTPSequence.extend(sequenceNumber, near: highest))
    }

    public mutating func receivedSenderReport(_ report: RTCPSenderReport, now: Int64) {
        lastSenderReport = SenderReportReceipt(ntp: report.ntpTimestamp, rtp: report.rtpTimestamp, at: now)
    }

    /// The sender's wall clock (unix µs) for RTP timestamp `rtp`, through its last report.
    public func senderTime(rtp: UInt32) -> Int64? {
        guard let sr = lastSenderReport else { return nil }
        let unix = (sr.ntp.ntpSeconds - NTPTimestamp.unixToNTPOffset) * 1e6
        return Int64(unix) + Int64(Int32(bitPattern: rtp &- sr.rtp)) * 1_000_000 / clockRate
    }

    /// When the next report is due.
    public var deadline: Int64 { lastReport.map { $0 + interval } ?? .min }

    /// A report now if one is due, or if `force` (feedback is going out, and RFC 3550 compound
    /// packets start with a report); starts the next interval.
    public mutating func report(now: Int64, force: Bool = false) -> RTCPReceiverReport? {
        guard force || now >= deadline else { return nil }
        lastReport = now
        guard let mediaSSRC, let first else { return RTCPReceiverReport(ssrc: ssrc) }
        let expected = highest - first + 1
        let expectedInterval = expected - baseline.expected
        let receivedInterval = Int64(received - baseline.received)
        let lostInterval = max(0, expectedInterval - receivedInterval)
        baseline = (expected, received)
        let fraction = expectedInterval > 0 ? UInt8(min(255, lostInterval * 256 / expectedInterval)) : 0
        var lsr: UInt32 = 0, dlsr: UInt32 = 0
        if let sr = lastSenderReport {
            lsr = sr.ntp.middle32
            dlsr = UInt32(clamping: (now - sr.at) * 65_536 / 1_000_000)
        }
        let block = RTCPReportBlock(ssrc: mediaSSRC, fractionLost: fraction,
                                    cumulativeLost: Int32(clamping: max(0, expected - Int64(received))),
                                    extendedHighestSequence: UInt32(truncatingIfNeeded: highest),
                                    jitter: UInt32(jitter.value), lastSenderReport: lsr, delaySinceLastSenderReport: dlsr)
        return RTCPReceiverReport(ssrc: ssrc, reports: [block])
    }
}
