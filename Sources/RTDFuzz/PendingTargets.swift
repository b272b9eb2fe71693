#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
@testable import RTDKit

// Targets for parsers being rewritten under issue 13 (JSON bounds, Y4M header ranges); they call
// today's API and are to be re-pointed at the new one.

/// `POST /api/webrtc/signal` bodies (WHEP bodies are bare SDP: the sdp target). Property: the
/// body decodes or throws; nothing traps.
func fuzzSignal(_ bytes: [UInt8]) {
    _ = try? JSONDecoder().decode(SignalingProtocol.Request.self, from: Data(bytes))
}

/// Control messages on the data channel and /api/ws. Property: a ping's pong is a JSON object
/// of type "pong" carrying the same id.
func fuzzControl(_ bytes: [UInt8]) {
    guard case .ping(let id) = ViewerControl.parse(String(decoding: bytes, as: UTF8.self)) else { return }
    let pong = ViewerControl.pong(id: id)
    let object = (try? JSONSerialization.jsonObject(with: Data(pong.utf8))) as? [String: Any]
    require(object?["type"] as? String == "pong", "pong is not a JSON pong: \(pong)")
}

/// Y4M streams on stdin (`rtd capture -`, `rtd detect`). Property: the stream header reads back
/// from its serialization, every frame has the size the header gives, and errors are typed.
func fuzzY4M(_ bytes: [UInt8]) {
    if let newline = bytes.firstIndex(of: 0x0A), let header = try? Y4MStreamHeader.parse(bytes[..<newline]) {
        let again = try? Y4MStreamHeader.parse(header.serialized().dropLast())
        require(again == header, "Y4M header changed in a round-trip: \(header) became \(String(describing: again))")
    }
    if let frameHeader = Y4MFrameHeader.parse(bytes.prefix { $0 != 0x0A }) {
        require(Y4MFrameHeader.parse(frameHeader.serialized().dropLast()) == frameHeader, "Y4M frame header changed: \(frameHeader)")
    }
    // Inputs are at most libFuzzer's max_len, well under a pipe's 64 KiB, so one write fits.
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { propertyFailed("pipe: \(errno)") }
    _ = bytes.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
    close(fds[1])
    let input = FileDescriptorReader(fd: fds[0], name: "fuzz", ownsDescriptor: true, blockSize: 1 << 16)
    guard let reader = try? Y4MReader(input: input) else { return }
    var frames = 0
    while let frame = try? reader.next() {
        frames += 1
        require(frame.data.count == reader.header.frameByteCount, "frame of \(frame.data.count) bytes, header says \(reader.header.frameByteCount)")
        require(frames <= bytes.count / 6, "\(frames) frames from \(bytes.count) bytes")
    }
}
