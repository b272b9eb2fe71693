import RTDCore
import RTDWebRTC

/// The fields of an RTP header (RFC 3550 §5.1) that load mode reads, straight from the received
/// bytes: no `RTPPacket`, no copy of the payload.
struct RTPHeaderFields: Equatable {
    var marker: Bool
    var payloadType: UInt8
    var sequenceNumber: UInt16
    var timestamp: UInt32
    var ssrc: UInt32
    /// The payload's bytes: after CSRCs and the header extension, before padding.
    var payload: Range<Int>

    /// nil for anything that is not a well-formed RTP version 2 header. `trailer`: for an SRTP
    /// packet read without decrypting it (RFC 3711 leaves the header, extensions included, in the
    /// clear), the authentication tag's length; the payload then ends before it, padding
    /// included (its length is encrypted).
    static func parse(_ bytes: UnsafeRawBufferPointer, trailer: Int = 0) -> RTPHeaderFields? {
        guard bytes.count >= 12 + trailer, bytes[0] >> 6 == 2 else { return nil }
        func u16(_ i: Int) -> Int { Int(bytes[i]) << 8 | Int(bytes[i + 1]) }
        func u32(_ i: Int) -> UInt32 { UInt32(u16(i)) << 16 | UInt32(u16(i + 2)) }
        var start = 12 + Int(bytes[0] & 0x0F) * 4
        if bytes[0] & 0x10 != 0 {
            guard bytes.count >= start + 4 else { return nil }
            start += 4 + u16(start + 2) * 4
        }
        var end = bytes.count - trailer
        if trailer == 0, bytes[0] & 0x20 != 0, end > start { end -= Int(bytes[end - 1]) }
        guard start <= end else { return nil }
        return RTPHeaderFields(marker: bytes[1] & 0x80 != 0, payloadType: bytes[1] & 0x7F, sequenceNumber: UInt16(u16(2)),
                               timestamp: u32(4), ssrc: u32(8), payload: start..<end)
    }
}

/// What the first bytes of a video payload say about its picture, without depacketizing.
struct PayloadStart: Equatable {
    /// The payload begins a picture.
    var startsFrame: Bool
    /// The payload carries (part of) a keyframe's start: an H.264 SPS or IDR slice, a VP8
    /// keyframe's first partition.
    var keyframe: Bool

    static let neither = PayloadStart(startsFrame: false, keyframe: false)

    static func inspect(_ payload: UnsafeRawBufferPointer, codec: VideoCodec) -> PayloadStart {
        guard let first = payload.first else { return .neither }
        switch codec {
        case .h264:
            // RFC 6184: NAL unit types 5 (IDR slice), 7 (SPS), 9 (access unit delimiter), 24
            // (STAP-A, aggregated units), 28 (FU-A, a fragment). rtd serve, like browsers, puts the
            // parameter sets first in a keyframe, alone or in a STAP-A.
            let type = first & 0x1F
            switch type {
            case 5: return PayloadStart(startsFrame: false, keyframe: true)
            case 7: return PayloadStart(startsFrame: true, keyframe: true)
            case 9: return PayloadStart(startsFrame: true, keyframe: false)
            case 24:
                var i = 1
                var key = false
                while i + 2 < payload.count {
                    let size = Int(payload[i]) << 8 | Int(payload[i + 1])
                    let inner = payload[i + 2] & 0x1F
                    if inner == 5 || inner == 7 { key = true }
                    i += 2 + size
                }
                return PayloadStart(startsFrame: true, keyframe: key)
            case 28:
                guard payload.count >= 2 else { return .neither }
                return PayloadStart(startsFrame: false, keyframe: payload[1] & 0x80 != 0 && payload[1] & 0x1F == 5)
            default:
                return .neither
            }
        case .vp8:
            // RFC 7741 §4.2: the payload descriptor, then (at a partition's start) the VP8 payload
            // header, whose lowest bit P is 0 for a keyframe.
            guard first & 0x10 != 0, first & 0x07 == 0 else { return .neither }
            var i = 1
            if first & 0x80 != 0 {
                guard payload.count > 1 else { return .neither }
                let x = payload[1]
                i = 2
                if x & 0x80 != 0 {
                    guard payload.count > i else { return .neither }
                    i += payload[i] & 0x80 != 0 ? 2 : 1
                }
                if x & 0x40 != 0 { i += 1 }
                if x & 0x30 != 0 { i += 1 }
            }
            guard payload.count > i else { return PayloadStart(startsFrame: true, keyframe: false) }
            return PayloadStart(startsFrame: true, keyframe: payload[i] & 0x01 == 0)
        }
    }
}

/// One load-mode viewer's reception, counted from RTP headers alone (no jitter buffer, no
/// depacketizing, no decoding):
///
/// - packets: every authentic packet of the video stream, duplicates included;
/// - frames: packets with the marker bit (the last packet of a picture);
/// - loss: sequence numbers between the first and the highest seen that never arrived (RFC 3550
///   A.3's cumulative loss: expected − received, extended over the 16-bit wrap). Load mode sends
///   no NACK, so nothing is repaired; a packet that comes late still counts as received;
/// - the first frame: the marker packet that completes the first keyframe received whole, i.e.
///   from the packet that starts it (the one after a marker, or one whose payload certainly starts
///   a picture) through its marker with no sequence gap.
struct RTPReceiveCounter: Equatable {
    private(set) var packets = 0
    private(set) var payloadBytes = 0
    private(set) var frames = 0
    private(set) var firstPacketAt: Int64?
    /// When the first complete keyframe's last packet arrived.
    private(set) var firstFrameAt: Int64?
    /// `frames` when the first complete keyframe arrived (it included).
    private(set) var framesAtFirstFrame = 0
    private var first: Int64?
    private var highest: Int64 = 0
    private var previous: Int64?
    private var previousWasMarker = false
    private var assembling = false
    private var assemblingKeyframe = false

    /// Packets the sender sent (by sequence number) that never arrived.
    var lost: Int {
        guard let first else { return 0 }
        return max(0, Int(highest - first + 1) - packets)
    }

    /// Sequence numbers from the first to the highest seen.
    var expected: Int { first.map { Int(highest - $0 + 1) } ?? 0 }

    /// Whether the first frame is still awaited (then `received` wants `start`).
    var awaitingFirstFrame: Bool { firstFrameAt == nil }

    /// A packet arrived at `now`; `start` is what its payload says (needed only while
    /// `awaitingFirstFrame`).
    mutating func received(sequence: UInt16, marker: Bool, payloadBytes bytes: Int, start: PayloadStart, now: Int64) {
        packets += 1
        payloadBytes += bytes
        if marker { frames += 1 }
        let extended: Int64
        if first == nil {
            // A cycle up, so a first packet just after the wrap has room below it.
            extended = Int64(sequence) + 65_536
            first = extended
            highest = extended
            firstPacketAt = now
        } else {
            extended = RTPSequence.extend(sequence, near: highest)
            highest = max(highest, extended)
        }
        defer {
            previous = extended
            previousWasMarker = marker
        }
        guard firstFrameAt == nil else { return }
        let contiguous = previous.map { extended == $0 + 1 } ?? false
        if (contiguous && previousWasMarker) || start.startsFrame {
            assembling = true
            assemblingKeyframe = false
        } else if !contiguous {
            assembling = false
        }
        if assembling, start.keyframe { assemblingKeyframe = true }
        if marker {
            if assembling, assemblingKeyframe {
                firstFrameAt = now
                framesAtFirstFrame = frames
            }
            assembling = false
        }
    }
}
