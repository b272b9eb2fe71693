import CDTLS

/// DTLS 1.2 for one WebRTC peer, driven by datagrams (no sockets, no threads, no clock of its own
/// beyond OpenSSL's retransmission timer).
///
/// The owner (one event loop) hands in every datagram the demultiplexer classifies as DTLS
/// (RFC 7983: first byte 20–63) with `feed`, sends every datagram any call returns, and calls
/// `handleTimeout()` when `nextTimeout` elapses. Mutual authentication as WebRTC requires: both
/// roles demand the peer's certificate and pin it to the fingerprint from the remote SDP during the
/// handshake; a mismatch sends a fatal bad_certificate alert and fails the transport before any
/// key exists. On success `srtpKeys` holds the RFC 5764 keys mapped to local/remote.
///
/// Not thread-safe: confine each instance to one event loop.
public final class DTLSTransport {
    public enum Role: Sendable {
        /// `a=setup:active`: sends the ClientHello on `start()`.
        case client
        /// `a=setup:passive`: waits for the ClientHello.
        case server
    }

    public enum State: Sendable, Equatable {
        case new
        case connecting
        case connected
        case failed(DTLSError)
        /// Either side sent close_notify.
        case closed
    }

    public struct Configuration: Sendable {
        /// use_srtp profiles in preference order. The server's order decides; GCM first because
        /// it is the cheaper per packet with our libsrtp, and every current browser offers it.
        public var srtpProfiles: [SRTPProfile] = [.aeadAES128GCM, .aes128CMHmacSHA1_80]
        /// Largest datagram written. 1200 keeps DTLS under any path MTU a browser uses.
        public var mtu: Int = 1200
        /// First handshake retransmission timeout; doubles after each expiry up to 60 s, and the
        /// handshake fails after 12 retransmissions. OpenSSL's default is 1 s; WebRTC stacks use
        /// less. OpenSSL treats a timer with under 15 ms left as expired, so smaller values only
        /// make sense in tests (the first flight is then repeated at once).
        public var initialRetransmitTimeout: Duration = .milliseconds(100)

        public init() {}
    }

    /// What one `feed` produced.
    public struct Output: Sendable {
        /// Datagrams to send to the peer, in order.
        public var datagrams: [[UInt8]] = []
        /// Decrypted application data records (e.g. SCTP packets), in order.
        public var applicationData: [[UInt8]] = []
    }

    public let role: Role
    /// The fingerprint from the remote SDP the peer's certificate must match.
    public let remoteFingerprint: DTLSFingerprint
    public private(set) var state: State = .new
    /// The SRTP keys, once connected (nil if the peer did not negotiate use_srtp).
    public private(set) var srtpKeys: SRTPKeyingMaterial?
    /// The negotiated cipher suite (OpenSSL name), once connected.
    public private(set) var cipherSuite: String?
    /// Largest `write` payload that fits one datagram at the MTU, once connected.
    public private(set) var maxApplicationDataSize: Int?

    /// The C engine; its SSL_CTX holds its own references to the certificate and key.
    private let handle: OpaquePointer
    /// Large enough for any DTLS record's plaintext (2^14 bytes).
    private var readBuffer = [UInt8](repeating: 0, count: 16_384)

    public init(role: Role, certificate: DTLSCertificate, remoteFingerprint: DTLSFingerprint,
                configuration: Configuration = Configuration()) throws(DTLSError) {
        guard !configuration.srtpProfiles.isEmpty else { throw .configuration("no SRTP profile") }
        guard (228...65_507).contains(configuration.mtu) else {
            throw .configuration("MTU \(configuration.mtu) out of range")
        }
        let initial = configuration.initialRetransmitTimeout
        guard initial > .zero, initial <= .seconds(60) else {
            throw .configuration("initial retransmit timeout \(initial) out of range")
        }
        let initialMicroseconds = UInt32(initial.components.seconds * 1_000_000
            + initial.components.attoseconds / 1_000_000_000_000)
        let profiles = configuration.srtpProfiles.map(\.opensslName).joined(separator: ":")
        var err = [CChar](repeating: 0, count: 256)
        let created = remoteFingerprint.digest.withUnsafeBufferPointer { fingerprint in
            profiles.withCString { profiles in
                remoteFingerprint.algorithm.opensslName.withCString { digestName in
                    var config = rtd_dtls_config(
                        is_server: role == .server ? 1 : 0, srtp_profiles: profiles,
                        mtu: Int32(configuration.mtu), initial_timeout_us: max(initialMicroseconds, 1),
                        fingerprint_digest: digestName, fingerprint: fingerprint.baseAddress,
                        fingerprint_len: fingerprint.count)
                    return rtd_dtls_new(certificate.handle, &config, &err, err.count)
                }
            }
        }
        guard let created else {
            throw .configuration(String(decoding: err.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        self.role = role
        self.remoteFingerprint = remoteFingerprint
        self.handle = created
    }

    deinit { rtd_dtls_free(handle) }

    /// Starts the handshake: a client returns its ClientHello flight, a server returns nothing and
    /// waits. Calling it again, or after the transport ended, does nothing.
    public func start() -> [[UInt8]] {
        guard state == .new else { return [] }
        state = .connecting
        if role == .client { advanceHandshake() }
        return drainDatagrams()
    }

    /// Processes one received datagram. Non-DTLS datagrams and anything after the transport ended
    /// are ignored; malformed records are dropped by OpenSSL (RFC 6347 §4.1.2.7). A server that
    /// was not started yet starts on its first datagram.
    public func feed(_ datagram: [UInt8]) -> Output {
        datagram.withUnsafeBytes { feed($0) }
    }

    /// `feed` for a borrowed buffer (e.g. a NIO ByteBuffer's readable bytes); not retained.
    public func feed(_ datagram: UnsafeRawBufferPointer) -> Output {
        var output = Output()
        guard Self.isDTLSRecord(datagram) else { return output }
        if state == .new, role == .server { state = .connecting }
        guard state == .connecting || state == .connected else { return output }

        rtd_dtls_set_input(handle, datagram.baseAddress?.assumingMemoryBound(to: UInt8.self), datagram.count)
        defer { rtd_dtls_set_input(handle, nil, 0) }
        if state == .connecting { advanceHandshake() }
        // Also right after the handshake: the datagram that completed it may carry app data.
        if state == .connected { output.applicationData = readApplicationData() }
        output.datagrams = drainDatagrams()
        return output
    }

    /// Time until `handleTimeout()` is due, or nil when no retransmission timer runs.
    public var nextTimeout: Duration? {
        guard state == .connecting else { return nil }
        let microseconds = rtd_dtls_timeout_us(handle)
        return microseconds < 0 ? nil : .microseconds(microseconds)
    }

    /// Retransmits the last flight if its timer expired (OpenSSL checks against its own clock, so
    /// an early call does nothing); fails the transport after too many retransmissions.
    public func handleTimeout() -> [[UInt8]] {
        guard state == .connecting else { return [] }
        if Int(rtd_dtls_handle_timeout(handle)) == RTD_DTLS_FAILED {
            state = .failed(.handshakeFailed(lastError))
        }
        return drainDatagrams()
    }

    /// Encrypts application data as one DTLS record; returns the datagram to send.
    public func write(_ data: [UInt8]) throws(DTLSError) -> [[UInt8]] {
        guard state == .connected, let limit = maxApplicationDataSize else { throw .notConnected }
        guard data.count <= limit else { throw .applicationDataTooLarge(size: data.count, limit: limit) }
        guard !data.isEmpty else { return [] }
        if Int(rtd_dtls_write(handle, data, data.count)) == RTD_DTLS_FAILED {
            let error = DTLSError.connectionFailed(lastError)
            state = .failed(error)
            throw error
        }
        return drainDatagrams()
    }

    /// Sends close_notify when connected and ends the transport. Idempotent.
    public func close() -> [[UInt8]] {
        switch state {
        case .connected:
            rtd_dtls_shutdown(handle)
            state = .closed
            return drainDatagrams()
        case .new, .connecting:
            // OpenSSL cannot send close_notify mid-handshake; the peer's timers clean up.
            state = .closed
            return []
        case .failed, .closed:
            return []
        }
    }

    /// The peer certificate's fingerprint, once connected (equal to `remoteFingerprint`).
    public func peerFingerprint(_ algorithm: DTLSFingerprint.Algorithm = .sha256) -> DTLSFingerprint? {
        guard state == .connected else { return nil }
        var digest = [UInt8](repeating: 0, count: 64)
        let length = rtd_dtls_peer_fingerprint(handle, algorithm.opensslName, &digest, digest.count)
        return DTLSFingerprint(algorithm: algorithm, digest: Array(digest.prefix(length)))
    }

    // MARK: Internals

    /// DTLS 1.0/1.2 record: ChangeCipherSpec, Alert, Handshake or ApplicationData with a 0xFE
    /// major version, and at least a full 13-byte record header. Cheap pre-filter so stray
    /// STUN/RTP or random bytes never reach OpenSSL.
    static func isDTLSRecord(_ datagram: UnsafeRawBufferPointer) -> Bool {
        datagram.count >= 13 && (20...23).contains(datagram[0]) && datagram[1] == 0xFE
    }

    private var lastError: String { String(cString: rtd_dtls_error(handle)) }

    private func advanceHandshake() {
        switch Int(rtd_dtls_handshake(handle)) {
        case RTD_DTLS_DONE: finishHandshake()
        case RTD_DTLS_FAILED: state = .failed(handshakeFailure())
        default: break
        }
    }

    private func handshakeFailure() -> DTLSError {
        var digest = [UInt8](repeating: 0, count: 64)
        let length = rtd_dtls_rejected_fingerprint(handle, &digest, digest.count)
        if length > 0 {
            return .fingerprintMismatch(
                expected: remoteFingerprint,
                received: DTLSFingerprint(algorithm: remoteFingerprint.algorithm, digest: Array(digest.prefix(length))))
        }
        return .handshakeFailed(lastError)
    }

    private func finishHandshake() {
        cipherSuite = rtd_dtls_cipher_name(handle).map { String(cString: $0) }
        maxApplicationDataSize = rtd_dtls_max_app_data(handle)
        let profileID = rtd_dtls_srtp_profile(handle)
        if profileID != 0 {
            guard let profile = SRTPProfile(rawValue: UInt16(truncatingIfNeeded: profileID)) else {
                state = .failed(.keyExportFailed("negotiated unknown SRTP profile \(profileID)"))
                return
            }
            var material = [UInt8](repeating: 0, count: 2 * (profile.keyLength + profile.saltLength))
            guard rtd_dtls_export_srtp_keying_material(handle, &material, material.count) == 1,
                  let keys = SRTPKeyingMaterial(exported: material, profile: profile, isClient: role == .client)
            else {
                state = .failed(.keyExportFailed("SSL_export_keying_material failed"))
                return
            }
            srtpKeys = keys
        }
        state = .connected
    }

    private func readApplicationData() -> [[UInt8]] {
        var records: [[UInt8]] = []
        let capacity = readBuffer.count
        while true {
            let n = Int(readBuffer.withUnsafeMutableBufferPointer { rtd_dtls_read(handle, $0.baseAddress, capacity) })
            if n > 0 {
                records.append(Array(readBuffer[0..<n]))
                continue
            }
            if n == RTD_DTLS_CLOSED {
                // Answer with our own close_notify, as TLS expects.
                rtd_dtls_shutdown(handle)
                state = .closed
            } else if n == RTD_DTLS_FAILED {
                state = .failed(.connectionFailed(lastError))
            }
            return records
        }
    }

    private func drainDatagrams() -> [[UInt8]] {
        var datagrams: [[UInt8]] = []
        while case let size = rtd_dtls_next_datagram_size(handle), size > 0 {
            datagrams.append([UInt8](unsafeUninitializedCapacity: size) { buffer, count in
                count = rtd_dtls_pop_datagram(handle, buffer.baseAddress, size)
            })
        }
        return datagrams
    }
}
