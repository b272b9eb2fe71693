import Testing
import RTDTestSupport
@testable import RTDWebRTC

/// RFC 5769 §2.1–2.3 test vectors.
enum RFC5769 {
    static let password = "VOkJxbRl1RmTxUk/WvJxBt"
    static let transactionID = hexBytes("b7 e7 a7 01 bc 34 d6 86 fa 87 df ae")

    static let request = hexBytes("""
        00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86
        fa 87 df ae 80 22 00 10 53 54 55 4e 20 74 65 73
        74 20 63 6c 69 65 6e 74 00 24 00 04 6e 00 01 ff
        80 29 00 08 93 2f f9 b1 51 26 3b 36 00 06 00 09
        65 76 74 6a 3a 68 36 76 59 20 20 20 00 08 00 14
        9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49
        c1 b5 71 a2 80 28 00 04 e5 7a 3b cf
        """)

    static let ipv4Response = hexBytes("""
        01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86
        fa 87 df ae 80 22 00 0b 74 65 73 74 20 76 65 63
        74 6f 72 20 00 20 00 08 00 01 a1 47 e1 12 a6 43
        00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9
        2a f9 ba 53 f0 6b e7 d7 80 28 00 04 c0 7d 4c 96
        """)

    static let ipv6Response = hexBytes("""
        01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86
        fa 87 df ae 80 22 00 0b 74 65 73 74 20 76 65 63
        74 6f 72 20 00 20 00 14 00 02 a1 47 01 13 a9 fa
        a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9 00 08 00 14
        a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75
        bf e3 ed 41 80 28 00 04 c8 fb 0b 4c
        """)
}

@Suite struct STUNTests {
    @Test func parsesRFC5769Request() throws {
        let message = try STUNMessage.parse(RFC5769.request)
        #expect(message.type == .bindingRequest)
        #expect(message.transactionID == RFC5769.transactionID)
        #expect(message.username == "evtj:h6vY")
        #expect(message.priority == 0x6E00_01FF)
        #expect(message.iceControlled == 0x932F_F9B1_5126_3B36)
        #expect(message.attributes.first == .software("STUN test client"))
        #expect(STUNMessage.checkIntegrity(RFC5769.request, password: RFC5769.password) == .valid)
        #expect(STUNMessage.checkFingerprint(RFC5769.request) == .valid)
    }

    @Test func parsesRFC5769Responses() throws {
        let v4 = try STUNMessage.parse(RFC5769.ipv4Response)
        #expect(v4.type == .bindingSuccess)
        #expect(v4.xorMappedAddress == STUNAddress(host: "192.0.2.1", port: 32853))
        #expect(v4.xorMappedAddress?.description == "192.0.2.1:32853")
        #expect(STUNMessage.checkIntegrity(RFC5769.ipv4Response, password: RFC5769.password) == .valid)
        #expect(STUNMessage.checkFingerprint(RFC5769.ipv4Response) == .valid)

        let v6 = try STUNMessage.parse(RFC5769.ipv6Response)
        #expect(v6.xorMappedAddress == STUNAddress(host: "2001:db8:1234:5678:11:2233:4455:6677", port: 32853))
        #expect(STUNMessage.checkIntegrity(RFC5769.ipv6Response, password: RFC5769.password) == .valid)
        #expect(STUNMessage.checkFingerprint(RFC5769.ipv6Response) == .valid)
    }

    @Test func flippedBitFailsIntegrityAndFingerprint() {
        for vector in [RFC5769.request, RFC5769.ipv4Response, RFC5769.ipv6Response] {
            // Flip a bit inside the first attribute value (SOFTWARE), covered by both checks.
            var tampered = vector
            tampered[25] ^= 0x01
            #expect(STUNMessage.checkIntegrity(tampered, password: RFC5769.password) == .mismatch)
            #expect(STUNMessage.checkFingerprint(tampered) == .mismatch)
            #expect(STUNMessage.checkIntegrity(vector, password: RFC5769.password + "x") == .mismatch)
        }
    }

    @Test func serializerTrailersMatchRFCWhenPaddingMatches() throws {
        // The RFC pads with spaces; rebuild the IPv4 response body with the same padding bytes
        // (as an opaque SOFTWARE value) and let the serializer add MI + FINGERPRINT.
        let body = STUNMessage(type: .bindingSuccess, transactionID: RFC5769.transactionID,
                               attributes: [.other(type: 0x8022, value: Array("test vector ".utf8)),
                                            .xorMappedAddress(try #require(STUNAddress(host: "192.0.2.1", port: 32853)))])
        var bytes = body.serialized()
        bytes[23] = 0x0B // declare 11 bytes so the trailing space becomes padding, as in the RFC
        let reparsed = try STUNMessage.parse(bytes)
        let signed = STUNMessage(type: reparsed.type, transactionID: reparsed.transactionID,
                                 attributes: reparsed.attributes)
        // Re-serializing re-pads with zero, so compare only the parts independent of padding.
        let output = signed.serialized(integrityKey: Array(RFC5769.password.utf8), fingerprint: true)
        #expect(output.count == RFC5769.ipv4Response.count)
        #expect(Array(output[36..<48]) == Array(RFC5769.ipv4Response[36..<48]))
        #expect(STUNMessage.checkIntegrity(output, password: RFC5769.password) == .valid)
        #expect(STUNMessage.checkFingerprint(output) == .valid)
        // With the RFC's space padding restored, the serializer's own MAC equals the RFC MAC.
        var spaced = Array(output.prefix(48))
        spaced[35] = 0x20
        let mac = STUNCrypto.hmacSHA1(key: Array(RFC5769.password.utf8),
                                      data: Array(spaced[0..<2]) + [0x00, 0x3C - 8] + Array(spaced[4...]))
        #expect(mac == Array(RFC5769.ipv4Response[52..<72]))
    }

    @Test func messageTypeEncoding() {
        #expect(STUNMessageType.bindingRequest.rawValue == 0x0001)
        #expect(STUNMessageType.bindingSuccess.rawValue == 0x0101)
        #expect(STUNMessageType.bindingError.rawValue == 0x0111)
        #expect(STUNMessageType.bindingIndication.rawValue == 0x0011)
        for raw: UInt16 in [0x0001, 0x0101, 0x0111, 0x0011, 0x3EEF] {
            #expect(STUNMessageType(rawValue: raw).rawValue == raw)
        }
    }

    @Test func iceRequestResponseRoundTrip() throws {
        let (request, bytes) = STUNMessage.iceBindingRequest(
            remoteUfrag: "srv", localUfrag: "cli", remotePassword: "server-password-1234567",
            priority: 0x7E00_00FF, controllingTiebreaker: 0x0102_0304_0506_0708, useCandidate: true)
        #expect(WebRTCDatagramKind.classify(bytes) == .stun)

        guard case .valid(let parsed) = STUNMessage.validateICERequest(
            bytes, localUfrag: "srv", localPassword: "server-password-1234567") else {
            Issue.record("request should validate"); return
        }
        #expect(Array(parsed.attributes.prefix(4)) == request.attributes)
        #expect(parsed.username == "srv:cli")
        #expect(parsed.useCandidate)
        #expect(parsed.iceControlling == 0x0102_0304_0506_0708)
        #expect(parsed.priority == 0x7E00_00FF)

        let mapped = try #require(STUNAddress(host: "2001:db8::7", port: 50000))
        let response = STUNMessage.bindingSuccessResponse(to: parsed, mappedAddress: mapped,
                                                          password: "server-password-1234567")
        let decoded = try STUNMessage.parse(response)
        #expect(decoded.type == .bindingSuccess)
        #expect(decoded.transactionID == request.transactionID)
        #expect(decoded.xorMappedAddress == mapped)
        #expect(STUNMessage.checkIntegrity(response, password: "server-password-1234567") == .valid)
        #expect(STUNMessage.checkFingerprint(response) == .valid)
    }

    @Test func validationRejectsBadCredentials() throws {
        let (_, bytes) = STUNMessage.iceBindingRequest(
            remoteUfrag: "srv", localUfrag: "cli", remotePassword: "right",
            priority: 1, controllingTiebreaker: 1, useCandidate: false)
        guard case .reject(_, 401, _) = STUNMessage.validateICERequest(bytes, localUfrag: "srv", localPassword: "wrong") else {
            Issue.record("wrong password must give 401"); return
        }
        guard case .reject(_, 401, _) = STUNMessage.validateICERequest(bytes, localUfrag: "other", localPassword: "right") else {
            Issue.record("wrong ufrag must give 401"); return
        }
        var flipped = bytes
        flipped[flipped.count - 1] ^= 0x80
        guard case .discard = STUNMessage.validateICERequest(flipped, localUfrag: "srv", localPassword: "right") else {
            Issue.record("bad fingerprint must be discarded"); return
        }
        let noIntegrity = STUNMessage(type: .bindingRequest, attributes: [.username("srv:cli")]).serialized(fingerprint: true)
        guard case .reject(_, 400, _) = STUNMessage.validateICERequest(noIntegrity, localUfrag: "srv", localPassword: "right") else {
            Issue.record("missing integrity must give 400"); return
        }
    }

    @Test func errorResponsesCarryCodeAndUnknownAttributes() throws {
        let request = try STUNMessage.parse(RFC5769.request)
        for (code, reason) in [(400, "Bad Request"), (401, "Unauthorized"), (487, "Role Conflict")] {
            let bytes = STUNMessage.errorResponse(to: request, code: code, reason: reason)
            let parsed = try STUNMessage.parse(bytes)
            #expect(parsed.type == .bindingError)
            #expect(parsed.errorCode?.code == code)
            #expect(parsed.errorCode?.reason == reason)
            #expect(STUNMessage.checkFingerprint(bytes) == .valid)
            #expect(STUNMessage.checkIntegrity(bytes, password: "x") == .missing)
        }
        let withUnknown = STUNMessage.errorResponse(to: request, code: 420, reason: "Unknown Attribute",
                                                    password: RFC5769.password, unknownAttributes: [0x0031, 0x0042, 0x0077])
        let parsed = try STUNMessage.parse(withUnknown)
        #expect(parsed.attributes.contains(.unknownAttributes([0x0031, 0x0042, 0x0077])))
        #expect(STUNMessage.checkIntegrity(withUnknown, password: RFC5769.password) == .valid)
    }

    @Test func mappedAddressRoundTrip() throws {
        let address = try #require(STUNAddress(host: "10.1.2.3", port: 3478))
        let message = STUNMessage(type: .bindingSuccess, attributes: [.mappedAddress(address), .xorMappedAddress(address)])
        let parsed = try STUNMessage.parse(message.serialized())
        #expect(parsed.attributes == [.mappedAddress(address), .xorMappedAddress(address)])
    }

    @Test func parseErrorsNameTheOffset() {
        #expect(throws: PacketParseError.self) { try STUNMessage.parse([0x00, 0x01]) }
        var badCookie = RFC5769.request
        badCookie[4] = 0
        do {
            _ = try STUNMessage.parse(badCookie)
            Issue.record("expected failure")
        } catch {
            #expect(error.offset == 4)
            #expect(error.layer == .stun)
        }
        var overrun = RFC5769.request
        overrun[23] = 0xF0 // SOFTWARE length now past the end
        do {
            _ = try STUNMessage.parse(overrun)
            Issue.record("expected failure")
        } catch {
            #expect(error.reason.contains("truncated"))
        }
    }

    @Test func demuxByFirstByte() {
        #expect(WebRTCDatagramKind.classify([0x00, 0x01]) == .stun)
        #expect(WebRTCDatagramKind.classify([22, 0xFE, 0xFD]) == .dtls)
        #expect(WebRTCDatagramKind.classify([0x80, 96]) == .rtp)
        #expect(WebRTCDatagramKind.classify([0x80, 96 | 0x80]) == .rtp)
        #expect(WebRTCDatagramKind.classify([0x81, 200]) == .rtcp)
        #expect(WebRTCDatagramKind.classify([0x8F, 206]) == .rtcp)
        #expect(WebRTCDatagramKind.classify([0x80]) == .unknown)
        #expect(WebRTCDatagramKind.classify([UInt8]()) == .unknown)
        #expect(WebRTCDatagramKind.classify([70]) == .unknown)
        #expect(WebRTCDatagramKind.classify(ArraySlice<UInt8>([1, 1])) == .stun)
    }

    @Test func hostileInputsNeverCrash() {
        let seeds = [RFC5769.request, RFC5769.ipv4Response, RFC5769.ipv6Response]
        for input in hostileInputs(from: seeds, count: 5000, seed: 0x5354_554E) {
            _ = try? STUNMessage.parse(input)
            _ = STUNMessage.checkIntegrity(input, password: RFC5769.password)
            _ = STUNMessage.checkFingerprint(input)
            _ = STUNMessage.validateICERequest(input, localUfrag: "evtj", localPassword: RFC5769.password)
            _ = WebRTCDatagramKind.classify(input)
        }
    }
}
