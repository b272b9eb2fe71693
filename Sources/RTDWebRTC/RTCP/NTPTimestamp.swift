import Foundation

/// 64-bit NTP timestamp (RFC 3550 §4): seconds since 1900 and a 32-bit binary fraction.
public struct NTPTimestamp: Sendable, Hashable {
    /// Seconds from 1900-01-01 to 1970-01-01.
    public static let unixToNTPOffset: Double = 2_208_988_800

    public var seconds: UInt32
    public var fraction: UInt32

    public init(seconds: UInt32, fraction: UInt32) {
        self.seconds = seconds
        self.fraction = fraction
    }

    public init(rawValue: UInt64) {
        seconds = UInt32(truncatingIfNeeded: rawValue >> 32)
        fraction = UInt32(truncatingIfNeeded: rawValue)
    }

    public init(date: Date) {
        self.init(ntpSeconds: date.timeIntervalSince1970 + Self.unixToNTPOffset)
    }

    /// From seconds since the NTP epoch; wraps like NTP era arithmetic does.
    public init(ntpSeconds: Double) {
        guard ntpSeconds.isFinite, ntpSeconds >= 0 else {
            self.init(seconds: 0, fraction: 0)
            return
        }
        let whole = ntpSeconds.rounded(.down)
        let era = whole.truncatingRemainder(dividingBy: 4_294_967_296)
        let fraction = ((ntpSeconds - whole) * 4_294_967_296).rounded(.down)
        self.init(seconds: UInt32(era), fraction: UInt32(min(fraction, 4_294_967_295)))
    }

    public var rawValue: UInt64 { UInt64(seconds) << 32 | UInt64(fraction) }

    /// The middle 32 bits, used as LSR in reception reports and for RTT (units of 1/65536 s).
    public var middle32: UInt32 { UInt32(truncatingIfNeeded: rawValue >> 16) }

    public var ntpSeconds: Double { Double(seconds) + Double(fraction) / 4_294_967_296 }

    public var date: Date { Date(timeIntervalSince1970: ntpSeconds - Self.unixToNTPOffset) }
}
