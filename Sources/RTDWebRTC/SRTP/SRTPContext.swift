import CSRTP

/// libsrtp wants exactly one srtp_init per process; a global is initialised once, thread-safely.
private let libsrtpStatus: srtp_err_status_t = rtd_srtp_init()

/// One direction of SRTP + SRTCP for one peer: an outbound context protects everything we send
/// (any SSRC, streams are created on first use), an inbound context unprotects everything the
/// peer sends, with replay protection (libsrtp's default 128-packet window).
///
/// Not thread-safe: use it from the peer's event loop only. Packets are processed in place; the
/// buffer must have `maxTrailerLength` bytes of room after the packet for protect.
public final class SRTPContext {
    public enum Direction: Sendable {
        /// Protects RTP/RTCP we send (libsrtp `ssrc_any_outbound`).
        case outbound
        /// Unprotects RTP/RTCP we receive (libsrtp `ssrc_any_inbound`).
        case inbound
    }

    /// libsrtp's documented worst case for bytes written past the packet by protect.
    public static let maxTrailerLength = Int(SRTP_MAX_TRAILER_LEN)

    public let profile: SRTPProfile
    public let direction: Direction
    private let session: OpaquePointer
    /// Outbound AES-GCM RTP goes through OpenSSL instead of libsrtp (see rtd_srtp_gcm.c), with the
    /// rollover counter kept here per SSRC.
    private let gcm: OpaquePointer?
    private var rollover: [(ssrc: UInt32, highest: UInt16, roc: UInt32)] = []

    /// - Parameters:
    ///   - allowRepeatTransmit: outbound only; lets the same RTP sequence number be protected
    ///     again, as NACK retransmission without RTX needs. The payload must then be identical,
    ///     otherwise the keystream is reused.
    ///   - replayWindow: packets behind the newest that may still be protected again (outbound)
    ///     or accepted (inbound); libsrtp's default is 128, shorter than a keyframe's worth of NACKs.
    public init(profile: SRTPProfile, masterKey: SRTPMasterKey, direction: Direction,
                allowRepeatTransmit: Bool = false, replayWindow: Int? = nil) throws(SRTPError) {
        guard libsrtpStatus == srtp_err_status_ok else { throw SRTPError(libsrtpStatus) }
        guard masterKey.key.count == profile.keyLength, masterKey.salt.count == profile.saltLength else {
            throw .invalidKeyLength(profile: profile)
        }
        var policy = srtp_policy_t()
        switch profile {
        case .aes128CMHmacSHA1_80:
            srtp_crypto_policy_set_rtp_default(&policy.rtp)
            srtp_crypto_policy_set_rtcp_default(&policy.rtcp)
        case .aeadAES128GCM:
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp)
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp)
        }
        policy.ssrc.type = direction == .outbound ? ssrc_any_outbound : ssrc_any_inbound
        policy.allow_repeat_tx = allowRepeatTransmit && direction == .outbound ? 1 : 0
        if let replayWindow { policy.window_size = UInt(min(max(replayWindow, 64), 0x7FFF)) }
        gcm = profile == .aeadAES128GCM && direction == .outbound
            ? rtd_gcm_sender_create(masterKey.key, masterKey.salt) : nil
        var keyAndSalt = masterKey.key + masterKey.salt
        var created: srtp_t?
        // srtp_create copies the key, so the buffer only needs to live for this call.
        let status = keyAndSalt.withUnsafeMutableBufferPointer { key in
            policy.key = key.baseAddress
            return srtp_create(&created, &policy)
        }
        for i in keyAndSalt.indices { keyAndSalt[i] = 0 }
        guard status == srtp_err_status_ok, let created else { throw SRTPError(status) }
        self.profile = profile
        self.direction = direction
        self.session = created
    }

    /// The context for one direction of a DTLS-SRTP session: outbound uses the local key,
    /// inbound the remote one.
    public convenience init(keys: SRTPKeyingMaterial, direction: Direction,
                            allowRepeatTransmit: Bool = false) throws(SRTPError) {
        try self.init(profile: keys.profile, masterKey: direction == .outbound ? keys.local : keys.remote,
                      direction: direction, allowRepeatTransmit: allowRepeatTransmit)
    }

    deinit {
        srtp_dealloc(session)
        rtd_gcm_sender_free(gcm)
    }

    /// Initialises libsrtp now rather than in the first context: its crypto backend's start-up and
    /// self-tests take tens of milliseconds, which a client can spend while it signals instead of
    /// after DTLS connects.
    public static func prepare() {
        _ = libsrtpStatus
    }

    // MARK: In place, caller-owned buffers (no allocation)

    /// Protects the RTP packet in the first `length` bytes of `buffer`; returns the SRTP length.
    /// `buffer` must be at least `length + maxTrailerLength` bytes.
    public func protect(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        if let gcm {
            guard length >= 12, length <= buffer.count, let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
                throw .insufficientTailroom(needed: max(length, 12) + Self.maxTrailerLength, available: buffer.count)
            }
            let ssrc = UInt32(base[8]) << 24 | UInt32(base[9]) << 16 | UInt32(base[10]) << 8 | UInt32(base[11])
            let roc = rolloverCounter(ssrc: ssrc, sequence: UInt16(base[2]) << 8 | UInt16(base[3]))
            let protected = rtd_gcm_protect(gcm, base, Int32(length), Int32(clamping: buffer.count), roc)
            guard protected > 0 else { throw .insufficientTailroom(needed: length + 16, available: buffer.count) }
            return Int(protected)
        }
        return try run(srtp_protect, buffer, length, tailroom: Self.maxTrailerLength)
    }

    /// The rollover counter of an outbound packet (RFC 3711 §3.3.1): a sequence number more than
    /// half the space behind the highest sent is a resend from before the last wrap.
    private func rolloverCounter(ssrc: UInt32, sequence: UInt16) -> UInt32 {
        guard let i = rollover.firstIndex(where: { $0.ssrc == ssrc }) else {
            if rollover.count == 8 { rollover.removeFirst() }
            rollover.append((ssrc, sequence, 0))
            return 0
        }
        let highest = rollover[i].highest, roc = rollover[i].roc
        let ahead = sequence &- highest
        if ahead == 0 { return roc }
        if ahead < 0x8000 {
            // Newer: a wrap when it passes 65535.
            let next = sequence < highest ? roc &+ 1 : roc
            rollover[i].highest = sequence
            rollover[i].roc = next
            return next
        }
        // Older (a resend): before the wrap if it is numerically above the highest.
        return sequence > highest ? roc &- 1 : roc
    }

    /// Unprotects the SRTP packet in the first `length` bytes of `buffer`; returns the RTP length.
    public func unprotect(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        try run(srtp_unprotect, buffer, length, tailroom: 0)
    }

    /// Protects a (compound) RTCP packet in place; returns the SRTCP length.
    public func protectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        try run(srtp_protect_rtcp, buffer, length, tailroom: Self.maxTrailerLength)
    }

    /// Unprotects an SRTCP packet in place; returns the RTCP length.
    public func unprotectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        try run(srtp_unprotect_rtcp, buffer, length, tailroom: 0)
    }

    // MARK: Arrays (reuse the array's capacity; reserve `count + maxTrailerLength` to avoid growth)

    public func protect(_ packet: inout [UInt8]) throws(SRTPError) {
        guard gcm != nil else { return try runArray(srtp_protect, &packet, tailroom: Self.maxTrailerLength) }
        let length = packet.count
        packet.append(contentsOf: repeatElement(0, count: Self.maxTrailerLength))
        let result = packet.withUnsafeMutableBytes { buffer in
            Result { () throws(SRTPError) -> Int in try protect(buffer, length: length) }
        }
        switch result {
        case .success(let newLength): packet.removeLast(packet.count - newLength)
        case .failure(let error):
            packet.removeLast(packet.count - length)
            throw error
        }
    }

    public func unprotect(_ packet: inout [UInt8]) throws(SRTPError) {
        try runArray(srtp_unprotect, &packet, tailroom: 0)
    }

    public func protectRTCP(_ packet: inout [UInt8]) throws(SRTPError) {
        try runArray(srtp_protect_rtcp, &packet, tailroom: Self.maxTrailerLength)
    }

    public func unprotectRTCP(_ packet: inout [UInt8]) throws(SRTPError) {
        try runArray(srtp_unprotect_rtcp, &packet, tailroom: 0)
    }

    private typealias Operation = (srtp_t?, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int32>?) -> srtp_err_status_t

    @inline(__always)
    private func run(_ operation: Operation, _ buffer: UnsafeMutableRawBufferPointer, _ length: Int,
                     tailroom: Int) throws(SRTPError) -> Int {
        guard length >= 0, length <= Int(Int32.max) - tailroom, buffer.count >= length + tailroom,
              let base = buffer.baseAddress else {
            throw .insufficientTailroom(needed: max(length, 0) + tailroom, available: buffer.count)
        }
        var len = Int32(length)
        let status = operation(session, base, &len)
        guard status == srtp_err_status_ok else { throw SRTPError(status) }
        return Int(len)
    }

    @inline(__always)
    private func runArray(_ operation: Operation, _ packet: inout [UInt8], tailroom: Int) throws(SRTPError) {
        let length = packet.count
        if tailroom > 0 { packet.append(contentsOf: repeatElement(0, count: tailroom)) }
        let result = packet.withUnsafeMutableBytes { buffer in
            Result { () throws(SRTPError) -> Int in try run(operation, buffer, length, tailroom: tailroom) }
        }
        switch result {
        case .success(let newLength): packet.removeLast(packet.count - newLength)
        case .failure(let error):
            packet.removeLast(packet.count - length)
            throw error
        }
    }
}
