import CSRTP

/// A libsrtp failure (one case per `srtp_err_status_t`), or a buffer/key problem found before
/// calling libsrtp.
public enum SRTPError: Swift.Error, Sendable, Equatable, CustomStringConvertible {
    case fail, badParam, allocFail, deallocFail, initFail, terminus, authFail, cipherFail
    case replayFail, replayOld, algoFail, noSuchOp, noCtx, cantCheck, keyExpired, socketErr
    case signalErr, nonceBad, readFail, writeFail, parseErr, encodeErr, semaphoreErr, pfkeyErr
    case badMki, pktIdxOld, pktIdxAdv
    /// A status this version of the enum does not know.
    case unknownStatus(Int32)
    /// The buffer cannot hold the packet plus `SRTPContext.maxTrailerLength`.
    case insufficientTailroom(needed: Int, available: Int)
    /// Key or salt length does not fit the profile.
    case invalidKeyLength(profile: SRTPProfile)

    init(_ status: srtp_err_status_t) {
        self = switch status {
        case srtp_err_status_fail: .fail
        case srtp_err_status_bad_param: .badParam
        case srtp_err_status_alloc_fail: .allocFail
        case srtp_err_status_dealloc_fail: .deallocFail
        case srtp_err_status_init_fail: .initFail
        case srtp_err_status_terminus: .terminus
        case srtp_err_status_auth_fail: .authFail
        case srtp_err_status_cipher_fail: .cipherFail
        case srtp_err_status_replay_fail: .replayFail
        case srtp_err_status_replay_old: .replayOld
        case srtp_err_status_algo_fail: .algoFail
        case srtp_err_status_no_such_op: .noSuchOp
        case srtp_err_status_no_ctx: .noCtx
        case srtp_err_status_cant_check: .cantCheck
        case srtp_err_status_key_expired: .keyExpired
        case srtp_err_status_socket_err: .socketErr
        case srtp_err_status_signal_err: .signalErr
        case srtp_err_status_nonce_bad: .nonceBad
        case srtp_err_status_read_fail: .readFail
        case srtp_err_status_write_fail: .writeFail
        case srtp_err_status_parse_err: .parseErr
        case srtp_err_status_encode_err: .encodeErr
        case srtp_err_status_semaphore_err: .semaphoreErr
        case srtp_err_status_pfkey_err: .pfkeyErr
        case srtp_err_status_bad_mki: .badMki
        case srtp_err_status_pkt_idx_old: .pktIdxOld
        case srtp_err_status_pkt_idx_adv: .pktIdxAdv
        default: .unknownStatus(Int32(bitPattern: status.rawValue))
        }
    }

    /// libsrtp's name for the status, e.g. `srtp_err_status_auth_fail`.
    public var statusName: String {
        switch self {
        case .fail: "srtp_err_status_fail"
        case .badParam: "srtp_err_status_bad_param"
        case .allocFail: "srtp_err_status_alloc_fail"
        case .deallocFail: "srtp_err_status_dealloc_fail"
        case .initFail: "srtp_err_status_init_fail"
        case .terminus: "srtp_err_status_terminus"
        case .authFail: "srtp_err_status_auth_fail"
        case .cipherFail: "srtp_err_status_cipher_fail"
        case .replayFail: "srtp_err_status_replay_fail"
        case .replayOld: "srtp_err_status_replay_old"
        case .algoFail: "srtp_err_status_algo_fail"
        case .noSuchOp: "srtp_err_status_no_such_op"
        case .noCtx: "srtp_err_status_no_ctx"
        case .cantCheck: "srtp_err_status_cant_check"
        case .keyExpired: "srtp_err_status_key_expired"
        case .socketErr: "srtp_err_status_socket_err"
        case .signalErr: "srtp_err_status_signal_err"
        case .nonceBad: "srtp_err_status_nonce_bad"
        case .readFail: "srtp_err_status_read_fail"
        case .writeFail: "srtp_err_status_write_fail"
        case .parseErr: "srtp_err_status_parse_err"
        case .encodeErr: "srtp_err_status_encode_err"
        case .semaphoreErr: "srtp_err_status_semaphore_err"
        case .pfkeyErr: "srtp_err_status_pfkey_err"
        case .badMki: "srtp_err_status_bad_mki"
        case .pktIdxOld: "srtp_err_status_pkt_idx_old"
        case .pktIdxAdv: "srtp_err_status_pkt_idx_adv"
        case .unknownStatus(let code): "srtp_err_status \(code)"
        case .insufficientTailroom: "insufficient tailroom"
        case .invalidKeyLength: "invalid key length"
        }
    }

    public var description: String {
        switch self {
        case .insufficientTailroom(let needed, let available):
            "SRTP buffer too small: needs \(needed) bytes, has \(available)"
        case .invalidKeyLength(let profile):
            "SRTP master key/salt must be \(profile.keyLength)/\(profile.saltLength) bytes for \(profile)"
        default:
            "SRTP error: \(statusName)"
        }
    }
}
