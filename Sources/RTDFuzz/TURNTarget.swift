@testable import RTDClient
import RTDWebRTC

/// What a TURN server (or anyone posing as one) sends `rtd signal --turn`: ChannelData, STUN
/// with TURN attributes, the TCP stream, and the client's handling of an answer to its Allocate.
/// Properties: ChannelData re-encodes to the bytes it came from; the TCP framer hands out exactly
/// the stream's bytes, in order, however the stream is cut, and keeps no more than one message.
func fuzzTURN(_ bytes: [UInt8]) {
    if let (channel, payload) = TURNChannelData.parse(bytes) {
        let again = TURNChannelData.encode(channel: channel, payload: payload, padded: false)
        require(Array(bytes.prefix(again.count)) == again, "ChannelData does not re-encode to its bytes")
    }
    if let message = try? STUNMessage.parse(bytes) {
        _ = (message.realm, message.nonce, message.lifetime, message.channelNumber, message.data,
             message.xorRelayedAddress, message.xorPeerAddress)
    }
    var framer = TURNStreamFramer()
    let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
    var messages: [[UInt8]] = []
    do {
        messages += try framer.append(bytes[..<cut])
        messages += try framer.append(bytes[cut...])
        let joined = Array(messages.joined())
        require(joined.count + framer.pending == bytes.count, "TURN stream: \(joined.count) + \(framer.pending) bytes of \(bytes.count)")
        require(joined == Array(bytes.prefix(joined.count)), "TURN stream messages are not the stream's bytes")
        require(framer.pending <= TURNStreamFramer.maxMessage, "TURN stream keeps \(framer.pending) bytes")
    } catch {}
    // The input as the server's answer to our Allocate: its transaction ID put in so the client reads it.
    guard let server = try? TURNServer(url: "turn:192.0.2.1:3478", username: "fuzz", password: "fuzzpass") else { return }
    var client = TURNClient(server: server)
    guard let request = client.start(now: 0).first else { return }
    var answer = bytes
    if answer.count >= 20 { answer.replaceSubrange(8..<20, with: request[8..<20]) }
    _ = client.receive(answer, now: 1)
    _ = client.tick(now: 10_000_000)
    _ = client.wrap([1, 2, 3], to: STUNAddress(ip: [192, 0, 2, 9], port: 9)!, now: 10_000_001)
}
