import Foundation

/// abs-send-time (http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time): the low 24 bits of
/// the NTP send time in 6.18 fixed point seconds, i.e. wrapping every 64 s.
public enum AbsSendTime {
    /// 6.18 fixed point value for a time in seconds (only the fractional 64 s window matters).
    public static func value(seconds: Double) -> UInt32 {
        guard seconds.isFinite else { return 0 }
        let ticks = (seconds * 262_144).rounded(.down) // 2^18 ticks per second
        let wrapped = ticks.truncatingRemainder(dividingBy: 16_777_216)
        return UInt32(wrapped < 0 ? wrapped + 16_777_216 : wrapped) & 0xFF_FFFF
    }

    /// Value for a wall-clock date (NTP epoch based, as the draft specifies).
    public static func value(date: Date) -> UInt32 {
        value(seconds: date.timeIntervalSince1970 + NTPTimestamp.unixToNTPOffset)
    }

    public static func decode(_ data: [UInt8]) -> UInt32? {
        guard data.count == 3 else { return nil }
        return UInt32(data[0]) << 16 | UInt32(data[1]) << 8 | UInt32(data[2])
    }

    /// Seconds represented by a 24-bit value (0 ..< 64).
    public static func seconds(_ value: UInt32) -> Double { Double(value & 0xFF_FFFF) / 262_144 }
}

/// Transport-wide sequence number extension (draft-holmer-rmcat-transport-wide-cc-extensions-01 §2).
public enum TransportSequenceNumber {
    public static func decode(_ data: [UInt8]) -> UInt16? {
        guard data.count == 2 else { return nil }
        return UInt16(data[0]) << 8 | UInt16(data[1])
    }
}
