@testable import RTDWebRTC

/// Every UDP datagram on the media port goes through the demultiplexer, and STUN ones through
/// the ICE-lite request check. Property: a parsed message serializes to bytes that parse back
/// to the same message, and the error response we would send parses.
func fuzzSTUN(_ bytes: [UInt8]) {
    _ = WebRTCDatagramKind.classify(bytes)
    let validation = STUNMessage.validateICERequest(bytes, localUfrag: "fzUf", localPassword: "fuzzpasswordfuzzpassword")
    if case .reject(let request, let code, let reason) = validation {
        let response = STUNMessage.errorResponse(to: request, code: code, reason: reason)
        require((try? STUNMessage.parse(response)) != nil, "error response to a rejected request does not parse")
    }
    let message: STUNMessage
    do { message = try STUNMessage.parse(bytes) } catch { return }
    require(message.attributes.count <= bytes.count / 4, "\(message.attributes.count) attributes from \(bytes.count) bytes")
    let serialized = message.serialized()
    do {
        let again = try STUNMessage.parse(serialized)
        require(again == message, "STUN message changed in a round-trip: \(message) became \(again)")
    } catch {
        propertyFailed("serialized STUN message does not parse: \(error)")
    }
}

/// ICE over TCP: every byte a connection to the media's TCP port sends is cut into RFC 4571
/// frames. Property: the frames lie in order, back to back, within what is consumed; framing
/// their payloads again gives exactly the consumed bytes; what is left is no complete frame; a
/// failure names a length above the bound; a slice is cut the same way as an array.
func fuzzICETCP(_ bytes: [UInt8]) {
    let result = ICETCPFraming.frames(in: bytes)
    switch result {
    case .failure(.frameTooLong(let length)):
        require(length > ICETCPFraming.maxFrameLength, "frame of \(length) bytes refused under the bound")
    case .success(let (frames, consumed)):
        require(consumed <= bytes.count, "consumed \(consumed) of \(bytes.count) bytes")
        var again: [UInt8] = []
        for range in frames {
            require(range.lowerBound == again.count + 2 && range.upperBound <= consumed, "frame \(range) out of place")
            guard let framed = ICETCPFraming.frame(bytes[range]) else { propertyFailed("frame of \(range.count) bytes cannot be framed") }
            again += framed
        }
        require(again == Array(bytes[..<consumed]), "frames do not give back the consumed bytes")
        if bytes.count - consumed >= 2 {
            let length = Int(bytes[consumed]) << 8 | Int(bytes[consumed + 1])
            require(length > bytes.count - consumed - 2, "a complete frame of \(length) bytes was left")
        }
    }
    let shifted: [UInt8] = [0x55] + bytes
    let sliced = ICETCPFraming.frames(in: shifted.dropFirst())
    switch (result, sliced) {
    case (.success(let a), .success(let b)):
        require(a.frames == b.frames && a.consumed == b.consumed, "a slice is cut differently")
    case (.failure(let a), .failure(let b)):
        require(a == b, "a slice fails differently")
    default:
        propertyFailed("a slice is cut differently")
    }
}

/// RTP from a sending peer (`rtd signal`). Property: parse → serialize → parse is the identity,
/// serializing never grows the packet, and depacketizing a payload stays within its size.
func fuzzRTP(_ bytes: [UInt8]) {
    let packet: RTPPacket
    do { packet = try RTPPacket.parse(bytes) } catch { return }
    let serialized = packet.serialized()
    require(serialized.count <= bytes.count, "RTP packet grew from \(bytes.count) to \(serialized.count) bytes")
    do {
        let again = try RTPPacket.parse(serialized)
        require(again == packet, "RTP packet changed in a round-trip: \(packet) became \(again)")
    } catch {
        propertyFailed("serialized RTP packet does not parse: \(error)")
    }
    // Each NAL unit gains at most a 4-byte start code and loses at least a 2-byte STAP-A size.
    if let frame = try? H264Depacketizer.assemble(payloads: [packet.payload]) {
        require(frame.data.count <= 2 * packet.payload.count + 4, "H.264 frame of \(frame.data.count) bytes from \(packet.payload.count)")
    }
    if let frame = try? VP8Depacketizer.assemble(payloads: [packet.payload]) {
        require(frame.data.count < packet.payload.count, "VP8 frame of \(frame.data.count) bytes from \(packet.payload.count)")
    }
}

/// Compound RTCP from viewers: reports, NACK, PLI, FIR, REMB, transport-cc. Property: the
/// serialized packets parse back to the same ones, except where the wire form is lossy
/// (see `sameRTCP`), and serializing the result again changes nothing.
func fuzzRTCP(_ bytes: [UInt8]) {
    let packets: [RTCPPacket]
    do { packets = try RTCPPacket.parseCompound(bytes) } catch { return }
    require(packets.count <= bytes.count / 4, "\(packets.count) RTCP packets from \(bytes.count) bytes")
    let serialized = RTCPPacket.serializeCompound(packets)
    let again: [RTCPPacket]
    do { again = try RTCPPacket.parseCompound(serialized) } catch {
        propertyFailed("serialized RTCP does not parse: \(error)\n\(packets)")
    }
    require(again.count == packets.count, "\(packets.count) RTCP packets became \(again.count)")
    for (before, after) in zip(packets, again) {
        require(sameRTCP(before, after), "RTCP packet changed in a round-trip: \(before) became \(after)")
    }
    require(RTCPPacket.serializeCompound(again) == serialized, "RTCP serialization is not stable")
    for case .transportFeedback(let feedback) in packets {
        require(feedback.packets.count <= Int(UInt16.max), "\(feedback.packets.count) transport-cc results")
        _ = feedback.arrivals
    }
}

/// Equality up to what the wire form cannot carry: repeated NACK sequence numbers, REMB
/// bitrates beyond 18 bits of mantissa, SDES and BYE text that was not UTF-8 or is cut to 255
/// bytes, and bytes after the last item of a fixed-size feedback message.
private func sameRTCP(_ a: RTCPPacket, _ b: RTCPPacket) -> Bool {
    switch (a, b) {
    case (.sourceDescription(let x), .sourceDescription(let y)):
        return x.chunks.map(\.ssrc) == y.chunks.map(\.ssrc)
            && zip(x.chunks, y.chunks).allSatisfy { $0.items.map(\.type) == $1.items.map(\.type) }
    case (.goodbye(let x), .goodbye(let y)):
        return x.ssrcs == y.ssrcs && (x.reason == nil) == (y.reason == nil)
    case (.nack(let x), .nack(let y)):
        return x.senderSSRC == y.senderSSRC && x.mediaSSRC == y.mediaSSRC
            && Set(x.lostSequenceNumbers) == Set(y.lostSequenceNumbers)
    case (.remb(let x), .remb(let y)):
        return x.senderSSRC == y.senderSSRC && x.ssrcs == y.ssrcs && y.bitrate <= x.bitrate
    default:
        return a == b
    }
}

/// DATA_CHANNEL_OPEN / ACK from the peer's SCTP stream. Property: encode(parse(x)) parses to
/// the same message.
func fuzzDCEP(_ bytes: [UInt8]) {
    let message: DCEPMessage
    do { message = try DCEPMessage.parse(bytes) } catch { return }
    let encoded = message.encoded()
    require(encoded.count <= bytes.count, "DCEP message grew from \(bytes.count) to \(encoded.count) bytes")
    do {
        let again = try DCEPMessage.parse(encoded)
        require(again == message, "DCEP message changed in a round-trip: \(message) became \(again)")
    } catch {
        propertyFailed("encoded DCEP message does not parse: \(error)")
    }
}
