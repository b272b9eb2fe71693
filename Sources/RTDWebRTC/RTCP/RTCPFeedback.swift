/// RTP/AVPF feedback messages (RFC 4585, RFC 5104) and REMB (draft-alvestrand-rmcat-remb).

/// Generic NACK (RTPFB FMT 1): lost sequence numbers, carried as PID + 16-bit BLP pairs.
public struct RTCPGenericNACK: Sendable, Hashable {
    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32
    public var lostSequenceNumbers: [UInt16]

    public init(senderSSRC: UInt32, mediaSSRC: UInt32, lostSequenceNumbers: [UInt16]) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.lostSequenceNumbers = lostSequenceNumbers
    }

    /// Packs the list (expected in ascending, wrapping order) into PID/BLP pairs.
    var pairs: [(pid: UInt16, blp: UInt16)] {
        var pairs: [(pid: UInt16, blp: UInt16)] = []
        for sequence in lostSequenceNumbers {
            if let last = pairs.last {
                let distance = sequence &- last.pid
                if (1...16).contains(distance) {
                    pairs[pairs.count - 1].blp |= 1 << (distance - 1)
                    continue
                }
                if distance == 0 { continue }
            }
            pairs.append((sequence, 0))
        }
        return pairs
    }

    static func expand(pid: UInt16, blp: UInt16) -> [UInt16] {
        [pid] + (0..<16).compactMap { bit in blp & (1 << bit) != 0 ? pid &+ UInt16(bit + 1) : nil }
    }
}

/// Picture Loss Indication (PSFB FMT 1).
public struct RTCPPictureLossIndication: Sendable, Hashable {
    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32

    public init(senderSSRC: UInt32, mediaSSRC: UInt32) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
    }
}

/// Full Intra Request (PSFB FMT 4, RFC 5104 §4.3.1).
public struct RTCPFullIntraRequest: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public var ssrc: UInt32
        /// Incremented by the requester for each new request.
        public var sequenceNumber: UInt8

        public init(ssrc: UInt32, sequenceNumber: UInt8) {
            self.ssrc = ssrc
            self.sequenceNumber = sequenceNumber
        }
    }

    public var senderSSRC: UInt32
    /// RFC 5104 says 0; kept because some senders don't comply.
    public var mediaSSRC: UInt32
    public var entries: [Entry]

    public init(senderSSRC: UInt32, mediaSSRC: UInt32 = 0, entries: [Entry]) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.entries = entries
    }
}

/// Receiver Estimated Maximum Bitrate (PSFB FMT 15 with "REMB" identifier).
public struct RTCPREMB: Sendable, Hashable {
    public var senderSSRC: UInt32
    /// Bits per second. Encoded as 18-bit mantissa × 2^exponent, so it is rounded down.
    public var bitrate: UInt64
    public var ssrcs: [UInt32]

    public init(senderSSRC: UInt32, bitrate: UInt64, ssrcs: [UInt32]) {
        self.senderSSRC = senderSSRC
        self.bitrate = bitrate
        self.ssrcs = ssrcs
    }

    static let identifier: [UInt8] = Array("REMB".utf8)

    /// (exponent, mantissa) with mantissa < 2^18.
    var encodedBitrate: (exponent: UInt8, mantissa: UInt32) {
        var mantissa = bitrate
        var exponent: UInt8 = 0
        while mantissa > 0x3_FFFF {
            mantissa >>= 1
            exponent += 1
        }
        return (exponent, UInt32(mantissa))
    }

    /// Saturates instead of overflowing for hostile exponents.
    static func decodeBitrate(exponent: UInt8, mantissa: UInt32) -> UInt64 {
        let value = UInt64(mantissa)
        guard value != 0 else { return 0 }
        guard exponent < 64, value <= UInt64.max >> UInt64(exponent) else { return UInt64.max }
        return value << UInt64(exponent)
    }
}
