/// What a receiver's feedback says of the path to it: loss, jitter and round-trip time from its
/// reception reports about our stream, its REMB, and loss from transport-wide congestion control
/// feedback (TWCC). Each loss figure feeds the loss-based estimate; the bitrates returned are
/// for the encoder's controller.
///
/// Pure: `now` is monotonic µs; `arrival` is the wall clock (NTP) when the reports arrived, the
/// clock the receiver's LSR/DLSR fields refer to.
public struct ReceiverEstimator: Sendable {
    public let mediaSSRC: UInt32
    public private(set) var fractionLost = 0.0
    /// Interarrival jitter the receiver reports, in RTP units.
    public private(set) var jitter: UInt32 = 0
    public private(set) var roundTripTime: Double?
    public private(set) var rembKbps: Int?
    public private(set) var loss = LossBasedEstimate()

    public init(mediaSSRC: UInt32) {
        self.mediaSSRC = mediaSSRC
    }

    /// Reception report blocks from an RR or SR; returns the estimates (kbit/s) they changed.
    public mutating func receive(reports: [RTCPReportBlock], now: Int64, arrival: NTPTimestamp) -> [Int] {
        var estimates: [Int] = []
        for block in reports where block.ssrc == mediaSSRC {
            fractionLost = Double(block.fractionLost) / 256
            jitter = block.jitter
            if let rtt = block.roundTripTime(arrival: arrival) { roundTripTime = rtt }
            if let kbps = loss.update(lossFraction: fractionLost, now: now) { estimates.append(kbps) }
        }
        return estimates
    }

    /// The receiver's own estimate, in kbit/s.
    public mutating func receive(_ remb: RTCPREMB) -> Int {
        let kbps = Int(clamping: remb.bitrate / 1000)
        rembKbps = kbps
        return kbps
    }

    /// TWCC feedback: the share of the packets it covers that never arrived; returns the
    /// estimate (kbit/s) when it changed.
    public mutating func receive(_ feedback: RTCPTransportFeedback, now: Int64) -> Int? {
        let results = feedback.packets
        let lost = results.count(where: { $0.receiveDelta == nil })
        return loss.update(lossFraction: results.isEmpty ? 0 : Double(lost) / Double(results.count), now: now)
    }
}
