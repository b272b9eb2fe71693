/// A certificate fingerprint as carried in SDP (`a=fingerprint:sha-256 AB:CD:…`, RFC 8122).
public struct DTLSFingerprint: Sendable, Hashable, CustomStringConvertible {
    /// Hash functions from the IANA "Hash Function Textual Names" registry that OpenSSL provides.
    public enum Algorithm: String, Sendable, CaseIterable {
        case sha1 = "sha-1"
        case sha224 = "sha-224"
        case sha256 = "sha-256"
        case sha384 = "sha-384"
        case sha512 = "sha-512"

        public var digestLength: Int {
            switch self {
            case .sha1: 20
            case .sha224: 28
            case .sha256: 32
            case .sha384: 48
            case .sha512: 64
            }
        }

        /// The name OpenSSL's EVP_get_digestbyname understands.
        var opensslName: String {
            switch self {
            case .sha1: "SHA1"
            case .sha224: "SHA224"
            case .sha256: "SHA256"
            case .sha384: "SHA384"
            case .sha512: "SHA512"
            }
        }
    }

    public let algorithm: Algorithm
    public let digest: [UInt8]

    /// Returns nil when the digest length does not fit the algorithm.
    public init?(algorithm: Algorithm, digest: [UInt8]) {
        guard digest.count == algorithm.digestLength else { return nil }
        self.algorithm = algorithm
        self.digest = digest
    }

    /// Parses the value of an `a=fingerprint` attribute: `sha-256 AB:CD:…` (hex in either case).
    public init?(sdpValue: some StringProtocol) {
        let parts = sdpValue.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, let algorithm = Algorithm(rawValue: parts[0].lowercased()) else { return nil }
        var digest: [UInt8] = []
        for pair in parts[1].split(separator: ":", omittingEmptySubsequences: false) {
            guard pair.count == 2, let byte = UInt8(pair, radix: 16) else { return nil }
            digest.append(byte)
        }
        self.init(algorithm: algorithm, digest: digest)
    }

    /// Uppercase hex with colons, as SDP writes it: `AB:CD:…`.
    public var hex: String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(digest.count * 3)
        for (i, byte) in digest.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ":")) }
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The attribute value: `sha-256 AB:CD:…`.
    public var sdpValue: String { "\(algorithm.rawValue) \(hex)" }

    public var description: String { sdpValue }
}
