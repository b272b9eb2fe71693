/// Writers for the hand-built JSON lines (records, signaling replies): fixed key order, no
/// Foundation encoder on the per-frame path.
public enum JSONLine {
    /// Scores carry 3 decimals at most; rounding here keeps the JSONEncoder path identical.
    public static func rounded(_ score: Double) -> Double {
        score.isFinite ? (score * 1000).rounded() / 1000 : 0
    }

    /// Writes a score with at most 3 decimals and no trailing zeros (0.91, 0.5, 1, 0.007).
    public static func appendScore(_ score: Double, to s: inout String) {
        let milli = score.isFinite ? Int((score * 1000).rounded()) : 0
        if milli < 0 { s += "-" }
        let magnitude = milli.magnitude
        s += String(magnitude / 1000)
        var fraction = magnitude % 1000
        guard fraction != 0 else { return }
        var digits = 3
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        let text = String(fraction)
        s += "." + String(repeating: "0", count: digits - text.count) + text
    }

    public static func appendString(_ value: String, to s: inout String) {
        s += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": s += "\\\""
            case "\\": s += "\\\\"
            case "\n": s += "\\n"
            case "\r": s += "\\r"
            case "\t": s += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                s += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: s.unicodeScalars.append(scalar)
            }
        }
        s += "\""
    }
}
