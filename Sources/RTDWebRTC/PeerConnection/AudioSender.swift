/// The Opus stream a peer sends (RFC 7587): one packet of 20 ms per batch, 48 kHz RTP clock, its
/// own SSRC and sequence, sender reports on the capture clock the video's use (so the receiver
/// lines the two up), no retransmission (in-band FEC covers a lost packet).
struct AudioSender {
    let audio: NegotiatedAudio
    let ssrc: UInt32
    /// The stream it sends (`RTPPacketBatch.track`); packets of any other are not its.
    var track: UInt64?
    /// Added to the track's timestamps, so the viewer's clock goes on across a switch of source.
    var timestampOffset: UInt32 = 0
    /// The next packet starts a talkspurt (the stream's first, or a new source's): marker bit set
    /// (RFC 7587 §4.2) and the timestamp offset taken from it.
    var starting = true
    var sequence = UInt16.random(in: 0...UInt16.max)
    var senderReports: SenderReportGenerator
    var packetsSent = 0
    var bytesSent = 0

    static let clockRate: Int64 = 48_000

    init(audio: NegotiatedAudio, ssrc: UInt32, cname: String) {
        self.audio = audio
        self.ssrc = ssrc
        senderReports = SenderReportGenerator(ssrc: ssrc, cname: cname, clockRate: Self.clockRate)
    }

    mutating func restart(track: UInt64) {
        self.track = track
        starting = true
    }

    /// The timestamp offset that puts a new source's first packet (track timestamp `timestamp`,
    /// captured at `capturedAt`) as far after the last one sent as it really is.
    mutating func rebase(timestamp: UInt32, capturedAt: Int64?, now: Int64) {
        guard let last = senderReports.lastPicture else { return }
        let micros: Int64 = if let capturedAt, let before = last.capturedAt { capturedAt - before } else { now - last.at }
        let elapsed = UInt32(clamping: max(1, micros * Self.clockRate / 1_000_000))
        timestampOffset = (last.timestamp &+ elapsed) &- timestamp
    }
}
