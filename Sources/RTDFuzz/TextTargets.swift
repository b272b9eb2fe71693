@testable import RTDCore
@testable import RTDMedia
@testable import RTDServer

/// Any JSON from outside (signaling, control messages, `rtd signal`'s replies, detection records).
/// Property: a value parses back from its serialization to itself, under the same limits; the
/// serialization never grows past what the limits allow for.
func fuzzJSON(_ bytes: [UInt8]) {
    for limits in [JSONLimits.default, .control] {
        guard let value = try? JSONValue.parse(bytes, limits: limits) else { continue }
        let text = value.serialized()
        let again: JSONValue
        do { again = try JSONValue.parse(text, limits: limits) } catch {
            propertyFailed("serialization of a parsed value does not parse (\(error)): \(text.prefix(200))")
        }
        require(again == value, "JSON changed in a round-trip: \(text.prefix(200))")
        // Escapes at most sextuple a byte (\u00XX), so a serialization stays within 6× the input.
        require(text.utf8.count <= 6 * bytes.count + 2, "\(bytes.count) bytes serialized to \(text.utf8.count)")
    }
}

/// `POST /api/webrtc/signal` bodies (WHEP bodies are bare SDP: the sdp target). Property: the body
/// decodes or throws a typed error; a request that decodes survives a round-trip of its fields.
func fuzzSignal(_ bytes: [UInt8]) {
    guard let request = try? SignalingProtocol.Request.parse(bytes) else { return }
    if let sdp = request.sdp { require(sdp.utf8.count <= bytes.count, "sdp longer than the body") }
}

/// Control messages on the data channel and /api/ws. Property: a ping's pong is a JSON object of
/// type "pong" carrying the same id.
func fuzzControl(_ bytes: [UInt8]) {
    guard case .ping(let id) = ViewerControl.parse(String(decoding: bytes, as: UTF8.self)) else { return }
    let pong = ViewerControl.pong(id: id)
    guard let object = (try? JSONValue.parse(pong, limits: .control))?.object else { propertyFailed("pong is not a JSON object: \(pong)") }
    require(object["type"] == .string("pong"), "pong is not a JSON pong: \(pong)")
    require(object["id"]?.serialized() == id, "pong id \(String(describing: object["id"])) for ping id \(String(describing: id))")
}

/// Y4M streams on stdin (`rtd capture -`, `rtd detect`). Property: stream and frame headers read
/// back from their serialization, every frame has the size the header gives, and errors are typed.
func fuzzY4M(_ bytes: [UInt8]) {
    let line = bytes.prefix { $0 != 0x0A }
    if let header = try? Y4MStreamHeader.parse(line) {
        let again = try? Y4MStreamHeader.parse(header.serialized().dropLast())
        require(again == header, "Y4M header changed in a round-trip: \(header) became \(String(describing: again))")
    }
    if let frameHeader = try? Y4MFrameHeader.parse(line) {
        let again = try? Y4MFrameHeader.parse(frameHeader.serialized().dropLast())
        require(again == frameHeader, "Y4M frame header changed in a round-trip: \(frameHeader)")
    }
    guard let reader = try? Y4MReader(bytes: bytes, name: "fuzz") else { return }
    var frames = 0
    while let frame = try? reader.next() {
        frames += 1
        require(frame.data.count == reader.header.frameByteCount, "frame of \(frame.data.count) bytes, header says \(reader.header.frameByteCount)")
        require(frames <= bytes.count / 6, "\(frames) frames from \(bytes.count) bytes")
    }
}
