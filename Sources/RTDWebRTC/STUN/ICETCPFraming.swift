/// RFC 4571 framing of ICE over TCP (RFC 6544 §3): every STUN, DTLS, SRTP or SRTCP datagram goes
/// as a 16-bit big-endian length and that many bytes. A pure function over the bytes received so
/// far: the caller keeps what is not consumed and calls again when more arrives.
public enum ICETCPFraming {
    /// Larger than any datagram a WebRTC peer sends (browsers keep DTLS, SCTP and RTP under
    /// ~1,300 bytes) and than the UDP side reads (2 KiB slots): a longer frame is no peer's, and
    /// waiting for up to 64 KiB of it would only hold memory for an attacker.
    public static let maxFrameLength = 4096

    public enum Failure: Error, Equatable, Sendable {
        /// A length prefix above `maxFrameLength`.
        case frameTooLong(Int)
    }

    /// The complete frames at the start of `bytes` (as ranges of their payloads, in order, as
    /// offsets from the collection's start), and how many bytes they take with their prefixes. At most `limit` frames; an empty
    /// frame (length 0) is returned as an empty range. Fails on a prefix above `maxLength`.
    public static func frames(in bytes: some RandomAccessCollection<UInt8>, limit: Int = .max,
                              maxLength: Int = maxFrameLength) -> Result<(frames: [Range<Int>], consumed: Int), Failure> {
        var frames: [Range<Int>] = []
        var offset = 0
        let count = bytes.count
        let start = bytes.startIndex
        while frames.count < limit, count - offset >= 2 {
            let high = Int(bytes[bytes.index(start, offsetBy: offset)])
            let low = Int(bytes[bytes.index(start, offsetBy: offset + 1)])
            let length = high << 8 | low
            guard length <= maxLength else { return .failure(.frameTooLong(length)) }
            guard count - offset - 2 >= length else { break }
            frames.append(offset + 2 ..< offset + 2 + length)
            offset += 2 + length
        }
        return .success((frames, offset))
    }

    /// `payload` with its prefix; nil when it cannot be framed (longer than 65,535 bytes).
    public static func frame(_ payload: some Collection<UInt8>) -> [UInt8]? {
        guard payload.count <= Int(UInt16.max) else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(payload.count + 2)
        out.append(UInt8(payload.count >> 8))
        out.append(UInt8(payload.count & 0xFF))
        out.append(contentsOf: payload)
        return out
    }
}
