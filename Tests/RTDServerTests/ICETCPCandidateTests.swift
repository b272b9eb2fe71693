import NIOCore
import Testing
@testable import RTDServer
@testable import RTDWebRTC

@Suite struct ICETCPCandidateTests {
    @Test func everyAddressGetsAPassiveTCPCandidateRankedBelowEveryUDPOne() {
        let candidates = WebRTCEndpoint.hostCandidates(host: "10.1.2.3", port: 5000, tcpPort: 5001, publicIP: "203.0.113.7")
        let udp = candidates.filter(\.isUDP), tcp = candidates.filter(\.isTCP)
        #expect(udp.map { $0.address } == ["203.0.113.7", "10.1.2.3"] && udp.allSatisfy { $0.port == 5000 })
        #expect(tcp.map { $0.address } == ["203.0.113.7", "10.1.2.3"] && tcp.allSatisfy { $0.port == 5001 && $0.tcpType == "passive" })
        let (lowestUDP, highestTCP) = (udp.map { $0.priority }.min()!, tcp.map { $0.priority }.max()!)
        #expect(highestTCP < lowestUDP, "UDP wins whenever it works")
        let foundations = Set(candidates.map { $0.foundation })
        #expect(foundations.count == candidates.count, "a foundation per address and transport")
        #expect(tcp[1].attributeValue == "4 1 tcp \(tcp[1].priority) 10.1.2.3 5001 typ host tcptype passive")
        #expect(tcp[1].priority >> 24 == 90)
    }

    @Test func withoutATCPPortThereAreOnlyUDPCandidates() {
        #expect(WebRTCEndpoint.hostCandidates(host: "10.1.2.3", port: 5000, tcpPort: nil, publicIP: nil).allSatisfy { $0.isUDP })
    }

    @Test func theFrameWriterPrefixesEachDatagramWithItsLength() {
        var writer = TCPFrameWriter(buffer: ByteBuffer())
        writer.write(capacity: 100) { space in
            space.copyBytes(from: [1, 2, 3])
            return 3
        }
        writer.write(capacity: 10) { _ in 0 }
        writer.write(capacity: 300) { space in
            for i in 0..<258 { space[i] = 7 }
            return 258
        }
        let bytes = Array(writer.buffer.readableBytesView)
        #expect(bytes.count == 2 + 3 + 2 + 258)
        #expect(Array(bytes[0..<5]) == [0, 3, 1, 2, 3] && Array(bytes[5..<7]) == [1, 2], "nothing for a datagram not written")
        let (frames, consumed) = try! ICETCPFraming.frames(in: bytes).get()
        #expect(frames.count == 2 && consumed == bytes.count)
    }
}
