import COpenSSL

/// HMAC-SHA1 via OpenSSL and the STUN fingerprint constant.
enum STUNCrypto {
    /// RFC 8489 §14.7: the CRC32 is XOR-ed with this so STUN traffic can't be mistaken for
    /// other protocols that also end in a CRC.
    static let fingerprintXOR: UInt32 = 0x5354_554E

    static func hmacSHA1(key: [UInt8], data: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var digestLength: UInt32 = 0
        // OpenSSL rejects a NULL key pointer, so an empty key still gets a valid buffer.
        let keyBuffer = key.isEmpty ? [0] : key
        let produced = keyBuffer.withUnsafeBufferPointer { keyPointer in
            data.withUnsafeBufferPointer { dataPointer in
                HMAC(EVP_sha1(), keyPointer.baseAddress, Int32(key.count),
                     dataPointer.baseAddress, dataPointer.count, &digest, &digestLength)
            }
        }
        guard produced != nil else { return [] }
        return Array(digest.prefix(Int(digestLength)))
    }

    /// Comparison time independent of where the first difference is, so a MAC can't be
    /// guessed byte by byte from response timing.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) as used by the STUN FINGERPRINT.
enum WebRTCCRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var c = UInt32(index)
        for _ in 0..<8 {
            c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1
        }
        return c
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return crc ^ 0xFFFF_FFFF
    }
}
