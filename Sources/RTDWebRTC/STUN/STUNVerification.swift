/// Verification of MESSAGE-INTEGRITY and FINGERPRINT over the raw bytes of a received message.
/// These work on the original bytes because both checks cover exactly what was sent.

public enum STUNCheckResult: Sendable, Equatable {
    case valid
    case missing
    case mismatch
    /// The bytes are not a well-formed STUN message (reason says why).
    case malformed(String)
}

extension STUNMessage {
    /// Locates attributes without decoding their values; returns (type, offset of TLV header, value length).
    private static func attributeLayout(_ bytes: [UInt8]) -> Result<[(type: UInt16, offset: Int, length: Int)], PacketParseError> {
        guard bytes.count >= headerLength else {
            return .failure(PacketParseError(layer: .stun, offset: 0, reason: "shorter than STUN header"))
        }
        let declared = Int(UInt16(bytes[2]) << 8 | UInt16(bytes[3]))
        guard declared + headerLength == bytes.count else {
            return .failure(PacketParseError(layer: .stun, offset: 2, reason: "length field disagrees with size"))
        }
        var layout: [(type: UInt16, offset: Int, length: Int)] = []
        var offset = headerLength
        while offset < bytes.count {
            guard bytes.count - offset >= 4 else {
                return .failure(PacketParseError(layer: .stun, offset: offset, reason: "truncated attribute header"))
            }
            let type = UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
            let length = Int(UInt16(bytes[offset + 2]) << 8 | UInt16(bytes[offset + 3]))
            let padded = (length + 3) & ~3
            guard padded <= bytes.count - offset - 4 else {
                return .failure(PacketParseError(layer: .stun, offset: offset, reason: "attribute overruns message"))
            }
            layout.append((type, offset, length))
            offset += 4 + padded
        }
        return .success(layout)
    }

    /// Checks MESSAGE-INTEGRITY with a short-term credential (key = password, RFC 8489 §9.1.1).
    public static func checkIntegrity(_ bytes: [UInt8], password: String) -> STUNCheckResult {
        checkIntegrity(bytes, key: Array(password.utf8))
    }

    public static func checkIntegrity(_ bytes: [UInt8], key: [UInt8]) -> STUNCheckResult {
        let layout: [(type: UInt16, offset: Int, length: Int)]
        switch attributeLayout(bytes) {
        case .success(let value): layout = value
        case .failure(let error): return .malformed(error.description)
        }
        guard let integrity = layout.first(where: { $0.type == STUNAttribute.TypeCode.messageIntegrity }) else {
            return .missing
        }
        guard integrity.length == 20 else { return .malformed("MESSAGE-INTEGRITY is not 20 bytes") }
        // The MAC covers everything before the attribute, with the length field set as if the
        // message ended right after MESSAGE-INTEGRITY.
        var covered = Array(bytes[0..<integrity.offset])
        covered.wireStore(UInt16(truncatingIfNeeded: integrity.offset - headerLength + 24), at: 2)
        let expected = STUNCrypto.hmacSHA1(key: key, data: covered)
        let received = Array(bytes[(integrity.offset + 4)..<(integrity.offset + 24)])
        return STUNCrypto.constantTimeEqual(expected, received) ? .valid : .mismatch
    }

    /// Checks FINGERPRINT, which must be the last attribute.
    public static func checkFingerprint(_ bytes: [UInt8]) -> STUNCheckResult {
        let layout: [(type: UInt16, offset: Int, length: Int)]
        switch attributeLayout(bytes) {
        case .success(let value): layout = value
        case .failure(let error): return .malformed(error.description)
        }
        guard let last = layout.last, last.type == STUNAttribute.TypeCode.fingerprint else {
            return layout.contains(where: { $0.type == STUNAttribute.TypeCode.fingerprint })
                ? .malformed("FINGERPRINT is not the last attribute") : .missing
        }
        guard last.length == 4 else { return .malformed("FINGERPRINT is not 4 bytes") }
        let expected = WebRTCCRC32.checksum(Array(bytes[0..<last.offset])) ^ STUNCrypto.fingerprintXOR
        return bytes.wireU32(at: last.offset + 4) == expected ? .valid : .mismatch
    }
}
