/// DTLS-SRTP protection profiles (RFC 5764 §4.1.2, RFC 7714 §14.2) that browsers negotiate.
public enum SRTPProfile: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    /// AES-128 counter mode + 80-bit HMAC-SHA1 tag (10 bytes per packet). Every browser has it.
    case aes128CMHmacSHA1_80 = 0x0001
    /// AES-128-GCM with a 16-byte tag. Chrome, Firefox and Safari support it, and with Debian's
    /// libsrtp2 (NSS backend) it protects about 6× faster than AES-CM + HMAC-SHA1.
    case aeadAES128GCM = 0x0007

    /// Master key length in bytes.
    public var keyLength: Int { 16 }

    /// Master salt length in bytes.
    public var saltLength: Int {
        switch self {
        case .aes128CMHmacSHA1_80: 14
        case .aeadAES128GCM: 12
        }
    }

    /// Bytes srtp_protect adds to an RTP packet (RTCP adds 4 more for the SRTCP index).
    public var rtpOverhead: Int {
        switch self {
        case .aes128CMHmacSHA1_80: 10
        case .aeadAES128GCM: 16
        }
    }

    /// The name in OpenSSL's `use_srtp` profile list.
    public var opensslName: String {
        switch self {
        case .aes128CMHmacSHA1_80: "SRTP_AES128_CM_SHA1_80"
        case .aeadAES128GCM: "SRTP_AEAD_AES_128_GCM"
        }
    }

    /// The RFC name (as in SDES `a=crypto` and in logs).
    public var description: String {
        switch self {
        case .aes128CMHmacSHA1_80: "AES_CM_128_HMAC_SHA1_80"
        case .aeadAES128GCM: "AEAD_AES_128_GCM"
        }
    }
}

/// One direction's SRTP master key and salt.
public struct SRTPMasterKey: Sendable, Equatable {
    public let key: [UInt8]
    public let salt: [UInt8]

    public init(key: [UInt8], salt: [UInt8]) {
        self.key = key
        self.salt = salt
    }
}

/// The keys a DTLS-SRTP handshake yields, already mapped to this endpoint: `local` protects what
/// we send, `remote` unprotects what the peer sends.
public struct SRTPKeyingMaterial: Sendable, Equatable {
    public let profile: SRTPProfile
    public let local: SRTPMasterKey
    public let remote: SRTPMasterKey

    public init(profile: SRTPProfile, local: SRTPMasterKey, remote: SRTPMasterKey) {
        self.profile = profile
        self.local = local
        self.remote = remote
    }

    /// Splits exporter output laid out as client key | server key | client salt | server salt
    /// (RFC 5764 §4.2). Returns nil when the length does not fit the profile.
    public init?(exported material: [UInt8], profile: SRTPProfile, isClient: Bool) {
        let k = profile.keyLength, s = profile.saltLength
        guard material.count == 2 * (k + s) else { return nil }
        let client = SRTPMasterKey(key: Array(material[0..<k]), salt: Array(material[2 * k..<2 * k + s]))
        let server = SRTPMasterKey(key: Array(material[k..<2 * k]), salt: Array(material[2 * k + s..<2 * (k + s)]))
        self.init(profile: profile, local: isClient ? client : server, remote: isClient ? server : client)
    }
}
