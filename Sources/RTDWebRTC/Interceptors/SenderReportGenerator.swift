/// RTCP sender reports (RFC 3550 §6.4.1) for one outgoing stream, with its CNAME (§6.5.1), every
/// `interval` once media flows. A report maps the sender's wall clock to the stream's RTP clock
/// (receivers use it for lip sync and latency) and gives the counts receivers compute loss from.
/// When pictures come with their capture time, the mapping is by capture: the RTP time reported
/// is that of media captured at the report's wall-clock time, so every stream of one source
/// (audio and video of a camera) is mapped on the one capture clock, whatever each stream's own
/// encoding delay. Otherwise it is by sending time.
///
/// Pure: the caller says what it sent and passes `now` (monotonic µs) and the wall clock.
public struct SenderReportGenerator: Sendable {
    public static let defaultInterval: Int64 = 1_000_000

    /// The last picture sent: its RTP timestamp and when (monotonic µs).
    public struct Picture: Sendable, Equatable {
        public var timestamp: UInt32
        public var at: Int64
        /// Unix µs it was captured, if known.
        public var capturedAt: Int64?
    }

    public let ssrc: UInt32
    public let cname: String
    public let clockRate: Int64
    public let interval: Int64
    public private(set) var packetCount = 0
    public private(set) var octetCount = 0
    public private(set) var lastPicture: Picture?
    private var lastReport: Int64?

    public init(ssrc: UInt32, cname: String, clockRate: Int64 = 90_000, interval: Int64 = SenderReportGenerator.defaultInterval) {
        self.ssrc = ssrc
        self.cname = cname
        self.clockRate = clockRate
        self.interval = interval
    }

    /// One picture went out as `packets` packets of `octets` bytes in all.
    public mutating func sent(timestamp: UInt32, packets: Int, octets: Int, now: Int64, capturedAt: Int64? = nil) {
        packetCount += packets
        octetCount += octets
        lastPicture = Picture(timestamp: timestamp, at: now, capturedAt: capturedAt)
    }

    /// The stream's RTP time at `now`: the last picture's timestamp moved on by the time since.
    public func rtpTimestamp(at now: Int64) -> UInt32? {
        guard let last = lastPicture else { return nil }
        return last.timestamp &+ UInt32(truncatingIfNeeded: (now - last.at) * clockRate / 1_000_000)
    }

    /// When the next report is due; nil before the first picture (there is nothing to report).
    public var deadline: Int64? {
        guard lastPicture != nil else { return nil }
        return lastReport.map { $0 + interval } ?? .min
    }

    /// The RTP time of media captured at `wallClock`: the last picture's timestamp moved on by
    /// the time since its capture; nil without a picture with a capture time.
    public func rtpTimestamp(capturedAt wallClock: NTPTimestamp) -> UInt32? {
        guard let last = lastPicture, let captured = last.capturedAt else { return nil }
        let wallMicros = Int64(((wallClock.ntpSeconds - NTPTimestamp.unixToNTPOffset) * 1_000_000).rounded())
        return last.timestamp &+ UInt32(truncatingIfNeeded: (wallMicros - captured) * clockRate / 1_000_000)
    }

    /// The report and CNAME to send now, if one is due.
    public mutating func report(now: Int64, wallClock: NTPTimestamp) -> [RTCPPacket]? {
        guard let deadline, now >= deadline,
              let rtpNow = rtpTimestamp(capturedAt: wallClock) ?? rtpTimestamp(at: now) else { return nil }
        lastReport = now
        let sr = RTCPSenderReport(ssrc: ssrc, ntpTimestamp: wallClock, rtpTimestamp: rtpNow,
                                  packetCount: UInt32(truncatingIfNeeded: packetCount),
                                  octetCount: UInt32(truncatingIfNeeded: octetCount))
        return [.senderReport(sr), .sourceDescription(RTCPSourceDescription(ssrc: ssrc, cname: cname))]
    }
}
