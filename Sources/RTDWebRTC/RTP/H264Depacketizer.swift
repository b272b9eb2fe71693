/// Rebuilds H.264 access units from RFC 6184 packetization-mode 1 payloads.
public enum H264Depacketizer {
    static let startCode: [UInt8] = [0, 0, 0, 1]

    /// `packets` are all packets of one timestamp, in sequence order (a jitter buffer's job).
    /// Gaps, a missing marker or broken FU-A runs yield `.incompleteFrame` rather than a
    /// corrupt access unit.
    public static func assemble(_ packets: [RTPPacket]) throws(RTPDepacketizeError) -> AssembledVideoFrame {
        let timestamp = try FrameContinuity.check(packets)
        return try assemble(payloads: packets.map(\.payload), timestamp: timestamp)
    }

    /// Same, for payloads already known to be complete and in order.
    public static func assemble(payloads: [[UInt8]], timestamp: UInt32 = 0) throws(RTPDepacketizeError) -> AssembledVideoFrame {
        var output: [UInt8] = []
        var isKeyframe = false
        var fragment: [UInt8]?

        func emit(_ nal: ArraySlice<UInt8>) {
            guard let header = nal.first else { return }
            if header & 0x1F == H264Packetizer.NALType.idr { isKeyframe = true }
            output += startCode
            output += nal
        }

        for (index, payload) in payloads.enumerated() {
            func malformed(_ reason: String, at offset: Int = 0) -> RTPDepacketizeError {
                .malformed(packetIndex: index, PacketParseError(layer: .h264, offset: offset, reason: reason))
            }
            guard let header = payload.first else { throw malformed("empty payload") }
            let type = header & 0x1F
            switch type {
            case 1...23:
                guard fragment == nil else { throw .incompleteFrame("FU-A run interrupted by a single NAL unit (end fragment lost)") }
                emit(payload[...])
            case H264Packetizer.NALType.stapA:
                guard fragment == nil else { throw .incompleteFrame("FU-A run interrupted by a STAP-A (end fragment lost)") }
                var offset = 1
                while offset < payload.count {
                    guard payload.count - offset >= 2 else { throw malformed("truncated STAP-A unit size", at: offset) }
                    let size = Int(UInt16(payload[offset]) << 8 | UInt16(payload[offset + 1]))
                    guard size > 0, size <= payload.count - offset - 2 else {
                        throw malformed("STAP-A unit size \(size) overruns the payload", at: offset)
                    }
                    emit(payload[(offset + 2)..<(offset + 2 + size)])
                    offset += 2 + size
                }
            case H264Packetizer.NALType.fuA:
                guard payload.count >= 3 else { throw malformed("FU-A shorter than 3 bytes") }
                let fuHeader = payload[1]
                let isStart = fuHeader & 0x80 != 0
                let isEnd = fuHeader & 0x40 != 0
                guard !(isStart && isEnd) else { throw malformed("FU-A with both start and end bits", at: 1) }
                if isStart {
                    guard fragment == nil else { throw .incompleteFrame("new FU-A started before the previous one ended") }
                    fragment = [(header & 0xE0) | (fuHeader & 0x1F)] + payload[2...]
                } else {
                    guard fragment != nil else { throw .incompleteFrame("FU-A continuation without its start fragment") }
                    fragment? += payload[2...]
                    if isEnd, let nal = fragment {
                        emit(nal[...])
                        fragment = nil
                    }
                }
            case 25, 26, 27, 29:
                throw malformed("NAL type \(type) (STAP-B/MTAP/FU-B) is not allowed in packetization-mode 1")
            default:
                // Types 0, 30, 31 are undefined; RFC 6184 §5.4 says to ignore them.
                continue
            }
        }
        guard fragment == nil else { throw .incompleteFrame("FU-A end fragment missing") }
        guard !output.isEmpty else { throw .incompleteFrame("no NAL units in payloads") }
        return AssembledVideoFrame(data: output, isKeyframe: isKeyframe, timestamp: timestamp)
    }
}
