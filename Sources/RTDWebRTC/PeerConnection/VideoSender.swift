/// One video stream a peer sends (one m-section, one SSRC): which track feeds it, its sequence
/// numbers and timestamp offset, and the RTCP pieces that belong to a stream (retransmission
/// history, keyframe requests, sender reports, what the receiver reports of it). A peer that
/// sends several (a grid of cameras over one connection) keeps one each; transport-wide state
/// (DTLS, SRTP, transport-cc sequence, consent) stays in the peer.
struct VideoSender {
    let video: NegotiatedVideo
    let ssrc: UInt32
    /// The stream it sends (`RTPPacketBatch.track`); batches of any other are not its.
    var track: UInt64?
    var lastBatch = Int.min
    var waitingForKeyframe = true
    /// Added to the current track's RTP timestamps. Each track counts from its own start, and the
    /// viewer sees one stream whose clock must go on across a switch: a jump back (to a track
    /// that started later) left Chromium's decoder stalled.
    var timestampOffset: UInt32 = 0
    var sequence = UInt16.random(in: 0...UInt16.max)
    var nacks: NACKResponder
    var keyframes = KeyframeRequester()
    var senderReports: SenderReportGenerator
    var estimator: ReceiverEstimator
    var stats = PeerConnection.Stats()
    /// Which of its source's layers the path carries (nil: the source has one).
    var layers: LayerSelector?
    /// Probe padding owed, in bytes, and when it was last reckoned.
    var probeCredit = 0.0
    var probeReckoned: Int64 = 0
    /// How far back in the history the next probe resend is taken from.
    var probeCursor: UInt16 = 0

    init(video: NegotiatedVideo, ssrc: UInt32, cname: String) {
        self.video = video
        self.ssrc = ssrc
        nacks = NACKResponder(mediaSSRC: ssrc)
        senderReports = SenderReportGenerator(ssrc: ssrc, cname: cname)
        estimator = ReceiverEstimator(mediaSSRC: ssrc)
    }

    /// The stream to send from now on; its first picture must be a keyframe.
    mutating func restart(track: UInt64) {
        self.track = track
        waitingForKeyframe = true
        // The new track numbers its pictures from its own start.
        lastBatch = Int.min
        // The new stream's first delta asks for its keyframe at once, not after the old one's limit.
        keyframes.restart()
        // What the receiver loses of the old stream tells nothing of the new one's path.
        nacks.restart(at: sequence)
    }

    /// Whether a keyframe request addressed to `mediaSSRC` is this stream's. A peer with one
    /// stream takes any: PLI from some receivers names no SSRC (0) or the wrong one.
    func isAddressed(by mediaSSRC: UInt32, onlyStream: Bool) -> Bool {
        mediaSSRC == ssrc || onlyStream
    }
}
