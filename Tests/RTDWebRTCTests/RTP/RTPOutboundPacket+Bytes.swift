@testable import RTDWebRTC

/// The per-peer form of a shared packet as a plain array: what `write(into:…)` puts in a datagram
/// buffer, for tests to compare and parse.
extension RTPOutboundPacket {
    /// `write(into:…)` into a new array with `tailroom` spare capacity (for SRTP's tag).
    func bytes(payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32,
               absSendTimeID: UInt8?, absSendTime: UInt32, transportSequenceID: UInt8?, transportSequence: UInt16,
               tailroom: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: bytes.count)
        out.reserveCapacity(bytes.count + tailroom)
        out.withUnsafeMutableBytes { buffer in
            _ = write(into: buffer, payloadType: payloadType, sequenceNumber: sequenceNumber, timestamp: timestamp, ssrc: ssrc,
                      absSendTimeID: absSendTimeID, absSendTime: absSendTime, transportSequenceID: transportSequenceID,
                      transportSequence: transportSequence)
        }
        return out
    }
}
