/// RTCP packets and compound-packet framing (RFC 3550 §6.1, RFC 4585 §6.1).
public enum RTCPPacket: Sendable, Hashable {
    case senderReport(RTCPSenderReport)
    case receiverReport(RTCPReceiverReport)
    case sourceDescription(RTCPSourceDescription)
    case goodbye(RTCPGoodbye)
    case nack(RTCPGenericNACK)
    case transportFeedback(RTCPTransportFeedback)
    case pictureLossIndication(RTCPPictureLossIndication)
    case fullIntraRequest(RTCPFullIntraRequest)
    case remb(RTCPREMB)
    /// Any other packet type or feedback format, body kept verbatim (without the 4-byte header).
    case other(packetType: UInt8, countOrFormat: UInt8, body: [UInt8])

    enum PacketType {
        static let senderReport: UInt8 = 200
        static let receiverReport: UInt8 = 201
        static let sourceDescription: UInt8 = 202
        static let goodbye: UInt8 = 203
        static let transportLayerFeedback: UInt8 = 205
        static let payloadSpecificFeedback: UInt8 = 206
    }

    // MARK: Parsing

    /// Parses every packet of a (possibly reduced-size, RFC 5506) compound RTCP datagram.
    public static func parseCompound(_ bytes: [UInt8]) throws(PacketParseError) -> [RTCPPacket] {
        guard !bytes.isEmpty else { throw PacketParseError(layer: .rtcp, offset: 0, reason: "empty datagram") }
        var packets: [RTCPPacket] = []
        var offset = 0
        while offset < bytes.count {
            var header = WebRTCWireReader(bytes, layer: .rtcp, from: offset)
            let first = try header.readU8("packet header")
            guard first >> 6 == 2 else { throw header.error("RTCP version \(first >> 6) is not 2", at: offset) }
            let packetType = try header.readU8("packet type")
            let words = Int(try header.readU16("packet length"))
            let total = (words + 1) * 4
            guard total <= bytes.count - offset else {
                throw header.error("packet length \(total) exceeds the \(bytes.count - offset) bytes left", at: offset + 2)
            }
            var end = offset + total
            if first & 0x20 != 0 {
                let padding = Int(bytes[end - 1])
                guard padding >= 1, padding <= total - 4 else {
                    throw header.error("padding count \(padding) invalid for a \(total)-byte packet", at: end - 1)
                }
                end -= padding
            }
            var body = WebRTCWireReader(bytes, layer: .rtcp, from: offset + 4, to: end)
            packets.append(try parseBody(type: packetType, count: first & 0x1F, &body))
            offset += total
        }
        return packets
    }

    private static func parseBody(type: UInt8, count: UInt8,
                                  _ reader: inout WebRTCWireReader) throws(PacketParseError) -> RTCPPacket {
        switch type {
        case PacketType.senderReport:
            let ssrc = try reader.readU32("SR SSRC")
            let ntp = NTPTimestamp(rawValue: try reader.readU64("NTP timestamp"))
            let rtpTimestamp = try reader.readU32("RTP timestamp")
            let packetCount = try reader.readU32("sender packet count")
            let octetCount = try reader.readU32("sender octet count")
            let reports = try parseReportBlocks(count: count, &reader)
            return .senderReport(RTCPSenderReport(ssrc: ssrc, ntpTimestamp: ntp, rtpTimestamp: rtpTimestamp,
                                                  packetCount: packetCount, octetCount: octetCount, reports: reports,
                                                  profileExtension: try reader.readBytes(reader.remaining, "extension")))
        case PacketType.receiverReport:
            let ssrc = try reader.readU32("RR SSRC")
            let reports = try parseReportBlocks(count: count, &reader)
            return .receiverReport(RTCPReceiverReport(ssrc: ssrc, reports: reports,
                                                      profileExtension: try reader.readBytes(reader.remaining, "extension")))
        case PacketType.sourceDescription:
            return .sourceDescription(try parseSourceDescription(count: count, &reader))
        case PacketType.goodbye:
            var ssrcs: [UInt32] = []
            for _ in 0..<count { ssrcs.append(try reader.readU32("BYE SSRC")) }
            var reason: String?
            if !reader.isAtEnd {
                let length = Int(try reader.readU8("BYE reason length"))
                reason = String(decoding: try reader.readBytes(length, "BYE reason"), as: UTF8.self)
            }
            return .goodbye(RTCPGoodbye(ssrcs: ssrcs, reason: reason))
        case PacketType.transportLayerFeedback:
            let sender = try reader.readU32("sender SSRC")
            let media = try reader.readU32("media SSRC")
            switch count {
            case 1:
                guard reader.remaining % 4 == 0 else { throw reader.error("NACK FCI length is not a multiple of 4") }
                var lost: [UInt16] = []
                while !reader.isAtEnd {
                    let pid = try reader.readU16("NACK PID")
                    lost += RTCPGenericNACK.expand(pid: pid, blp: try reader.readU16("NACK BLP"))
                }
                return .nack(RTCPGenericNACK(senderSSRC: sender, mediaSSRC: media, lostSequenceNumbers: lost))
            case 15:
                return .transportFeedback(try RTCPTransportFeedback.parseFCI(senderSSRC: sender, mediaSSRC: media, &reader))
            default:
                return try other(type, count, sender: sender, media: media, &reader)
            }
        case PacketType.payloadSpecificFeedback:
            let sender = try reader.readU32("sender SSRC")
            let media = try reader.readU32("media SSRC")
            switch count {
            case 1:
                return .pictureLossIndication(RTCPPictureLossIndication(senderSSRC: sender, mediaSSRC: media))
            case 4:
                guard reader.remaining % 8 == 0 else { throw reader.error("FIR FCI length is not a multiple of 8") }
                var entries: [RTCPFullIntraRequest.Entry] = []
                while !reader.isAtEnd {
                    let ssrc = try reader.readU32("FIR SSRC")
                    let sequence = try reader.readU8("FIR sequence number")
                    try reader.skip(3, "FIR reserved")
                    entries.append(RTCPFullIntraRequest.Entry(ssrc: ssrc, sequenceNumber: sequence))
                }
                return .fullIntraRequest(RTCPFullIntraRequest(senderSSRC: sender, mediaSSRC: media, entries: entries))
            case 15 where reader.remaining >= 4 && Array(reader.bytes[reader.offset..<(reader.offset + 4)]) == RTCPREMB.identifier:
                try reader.skip(4, "REMB identifier")
                let ssrcCount = Int(try reader.readU8("REMB SSRC count"))
                let encoded = try reader.readU24("REMB bitrate")
                let bitrate = RTCPREMB.decodeBitrate(exponent: UInt8(encoded >> 18), mantissa: encoded & 0x3_FFFF)
                var ssrcs: [UInt32] = []
                for _ in 0..<ssrcCount { ssrcs.append(try reader.readU32("REMB SSRC")) }
                return .remb(RTCPREMB(senderSSRC: sender, bitrate: bitrate, ssrcs: ssrcs))
            default:
                return try other(type, count, sender: sender, media: media, &reader)
            }
        default:
            return .other(packetType: type, countOrFormat: count, body: try reader.readBytes(reader.remaining, "body"))
        }
    }

    private static func other(_ type: UInt8, _ format: UInt8, sender: UInt32, media: UInt32,
                              _ reader: inout WebRTCWireReader) throws(PacketParseError) -> RTCPPacket {
        var body: [UInt8] = []
        body.wireAppend(sender)
        body.wireAppend(media)
        body += try reader.readBytes(reader.remaining, "FCI")
        return .other(packetType: type, countOrFormat: format, body: body)
    }

    private static func parseReportBlocks(count: UInt8, _ reader: inout WebRTCWireReader) throws(PacketParseError) -> [RTCPReportBlock] {
        var blocks: [RTCPReportBlock] = []
        for _ in 0..<count { blocks.append(try RTCPReportBlock.parse(&reader)) }
        return blocks
    }

    private static func parseSourceDescription(count: UInt8,
                                               _ reader: inout WebRTCWireReader) throws(PacketParseError) -> RTCPSourceDescription {
        var chunks: [RTCPSourceDescription.Chunk] = []
        for _ in 0..<count {
            let ssrc = try reader.readU32("SDES SSRC")
            var items: [RTCPSourceDescription.Item] = []
            while true {
                let type = try reader.readU8("SDES item type")
                if type == 0 {
                    // The null item ends the chunk, padded out to a 32-bit boundary. Packets
                    // start 4-aligned in the datagram, so absolute alignment is chunk alignment.
                    try reader.skip((4 - reader.offset % 4) % 4, "SDES chunk padding")
                    break
                }
                let length = Int(try reader.readU8("SDES item length"))
                items.append(RTCPSourceDescription.Item(type: type, text: String(decoding: try reader.readBytes(length, "SDES item"), as: UTF8.self)))
            }
            chunks.append(RTCPSourceDescription.Chunk(ssrc: ssrc, items: items))
        }
        return RTCPSourceDescription(chunks: chunks)
    }

    // MARK: Serialization

    public func serialized() -> [UInt8] {
        var body: [UInt8] = []
        let type: UInt8
        var count: UInt8 = 0
        switch self {
        case .senderReport(let report):
            type = PacketType.senderReport
            let blocks = report.reports.prefix(31)
            count = UInt8(blocks.count)
            body.wireAppend(report.ssrc)
            body.wireAppend(report.ntpTimestamp.rawValue)
            body.wireAppend(report.rtpTimestamp)
            body.wireAppend(report.packetCount)
            body.wireAppend(report.octetCount)
            for block in blocks { block.encode(into: &body) }
            body += report.profileExtension
        case .receiverReport(let report):
            type = PacketType.receiverReport
            let blocks = report.reports.prefix(31)
            count = UInt8(blocks.count)
            body.wireAppend(report.ssrc)
            for block in blocks { block.encode(into: &body) }
            body += report.profileExtension
        case .sourceDescription(let description):
            type = PacketType.sourceDescription
            let chunks = description.chunks.prefix(31)
            count = UInt8(chunks.count)
            for chunk in chunks {
                body.wireAppend(chunk.ssrc)
                for item in chunk.items where item.type != 0 {
                    let text = Self.utf8Prefix(item.text, maxBytes: 255)
                    body.append(item.type)
                    body.append(UInt8(text.count))
                    body += text
                }
                // Null terminator plus padding: always at least one zero byte.
                body.append(0)
                body.wirePadTo4()
            }
        case .goodbye(let bye):
            type = PacketType.goodbye
            let ssrcs = bye.ssrcs.prefix(31)
            count = UInt8(ssrcs.count)
            for ssrc in ssrcs { body.wireAppend(ssrc) }
            if let reason = bye.reason {
                let text = Self.utf8Prefix(reason, maxBytes: 255)
                body.append(UInt8(text.count))
                body += text
            }
        case .nack(let nack):
            type = PacketType.transportLayerFeedback
            count = 1
            body.wireAppend(nack.senderSSRC)
            body.wireAppend(nack.mediaSSRC)
            for pair in nack.pairs {
                body.wireAppend(pair.pid)
                body.wireAppend(pair.blp)
            }
        case .transportFeedback(let feedback):
            type = PacketType.transportLayerFeedback
            count = 15
            body.wireAppend(feedback.senderSSRC)
            body.wireAppend(feedback.mediaSSRC)
            feedback.encodeFCI(into: &body)
        case .pictureLossIndication(let pli):
            type = PacketType.payloadSpecificFeedback
            count = 1
            body.wireAppend(pli.senderSSRC)
            body.wireAppend(pli.mediaSSRC)
        case .fullIntraRequest(let fir):
            type = PacketType.payloadSpecificFeedback
            count = 4
            body.wireAppend(fir.senderSSRC)
            body.wireAppend(fir.mediaSSRC)
            for entry in fir.entries {
                body.wireAppend(entry.ssrc)
                body += [entry.sequenceNumber, 0, 0, 0]
            }
        case .remb(let remb):
            type = PacketType.payloadSpecificFeedback
            count = 15
            body.wireAppend(remb.senderSSRC)
            body.wireAppend(UInt32(0))
            body += RTCPREMB.identifier
            let ssrcs = remb.ssrcs.prefix(255)
            body.append(UInt8(ssrcs.count))
            let (exponent, mantissa) = remb.encodedBitrate
            body.wireAppend24(UInt32(exponent) << 18 | mantissa)
            for ssrc in ssrcs { body.wireAppend(ssrc) }
        case .other(let otherType, let format, let raw):
            type = otherType
            count = format & 0x1F
            body = raw
        }
        var first: UInt8 = 0x80 | (count & 0x1F)
        switch self {
        case .senderReport, .receiverReport, .other:
            // Opaque trailing bytes of any length: zeros would read back as part of them, so pad
            // with the P bit and a count (RFC 3550 §6.4.1), which the parser strips.
            let padding = (4 - body.count % 4) % 4
            if padding > 0 {
                body += repeatElement(0, count: padding - 1)
                body.append(UInt8(padding))
                first |= 0x20
            }
        default:
            // SDES and BYE end in zero padding by definition; the rest are whole words.
            body.wirePadTo4()
        }
        var out: [UInt8] = [first, type]
        out.reserveCapacity(4 + body.count)
        out.wireAppend(UInt16(truncatingIfNeeded: body.count / 4))
        out += body
        return out
    }

    /// At most `maxBytes` of UTF-8, cut between characters so the text reads back the same.
    static func utf8Prefix(_ text: String, maxBytes: Int) -> [UInt8] {
        var out: [UInt8] = []
        for scalar in text.unicodeScalars {
            let encoded = Array(String(scalar).utf8)
            guard out.count + encoded.count <= maxBytes else { break }
            out += encoded
        }
        return out
    }

    public static func serializeCompound(_ packets: [RTCPPacket]) -> [UInt8] {
        packets.flatMap { $0.serialized() }
    }
}
