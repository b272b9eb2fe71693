/// RTP sequence numbers are 16 bits and wrap every 65,536 packets; a receiver counts them on
/// (RFC 3550 A.1's extended sequence number) by taking each as the nearest to one already seen.
public enum RTPSequence {
    /// `sequence` unwrapped to the extended number nearest `reference` (within ±32,768).
    public static func extend(_ sequence: UInt16, near reference: Int64) -> Int64 {
        reference + Int64(Int16(bitPattern: sequence &- UInt16(truncatingIfNeeded: reference)))
    }
}
