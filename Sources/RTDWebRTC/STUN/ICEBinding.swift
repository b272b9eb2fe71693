/// ICE connectivity-check helpers (RFC 8445 §7) on top of STUN Binding.

/// What an ICE-lite agent should do with an incoming datagram that may be a Binding request.
public enum ICERequestValidation: Sendable, Equatable {
    /// Authentic Binding request for us; answer with `bindingSuccessResponse`.
    case valid(STUNMessage)
    /// Reply with `errorResponse(to:code:reason:)` using this code (400, 401, 420).
    case reject(request: STUNMessage, code: Int, reason: String)
    /// Silently drop (not a request for us, not STUN, or a failed fingerprint).
    case discard(reason: String)
}

extension STUNMessage {
    /// Success response carrying XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY (keyed with our local
    /// password, as the request was) and FINGERPRINT.
    public static func bindingSuccessResponse(to request: STUNMessage, mappedAddress: STUNAddress,
                                              password: String, software: String? = nil) -> [UInt8] {
        var attributes: [STUNAttribute] = [.xorMappedAddress(mappedAddress)]
        if let software { attributes.insert(.software(software), at: 0) }
        let response = STUNMessage(type: STUNMessageType(method: request.type.method, messageClass: .successResponse),
                                   transactionID: request.transactionID, attributes: attributes)
        return response.serialized(integrityKey: Array(password.utf8), fingerprint: true)
    }

    /// Error response (e.g. 400 Bad Request, 401 Unauthorized, 420 Unknown Attribute,
    /// 487 Role Conflict). Pass `password` only when the request itself authenticated, since a
    /// 400/401 must not be keyed with credentials the peer may not share.
    public static func errorResponse(to request: STUNMessage, code: Int, reason: String,
                                     password: String? = nil, unknownAttributes: [UInt16] = []) -> [UInt8] {
        var attributes: [STUNAttribute] = [.errorCode(code: code, reason: reason)]
        if !unknownAttributes.isEmpty { attributes.append(.unknownAttributes(unknownAttributes)) }
        let response = STUNMessage(type: STUNMessageType(method: request.type.method, messageClass: .errorResponse),
                                   transactionID: request.transactionID, attributes: attributes)
        return response.serialized(integrityKey: password.map { Array($0.utf8) }, fingerprint: true)
    }

    /// Client-side connectivity check: USERNAME "remoteUfrag:localUfrag", PRIORITY,
    /// ICE-CONTROLLING with our tiebreaker, optional USE-CANDIDATE, keyed with the remote
    /// password, plus FINGERPRINT. Returns the message (for its transaction ID) and its bytes.
    public static func iceBindingRequest(remoteUfrag: String, localUfrag: String, remotePassword: String,
                                         priority: UInt32, controllingTiebreaker: UInt64,
                                         useCandidate: Bool,
                                         transactionID: [UInt8] = STUNMessage.randomTransactionID())
        -> (message: STUNMessage, bytes: [UInt8]) {
        var attributes: [STUNAttribute] = [
            .username("\(remoteUfrag):\(localUfrag)"),
            .priority(priority),
            .iceControlling(controllingTiebreaker),
        ]
        if useCandidate { attributes.append(.useCandidate) }
        let message = STUNMessage(type: .bindingRequest, transactionID: transactionID, attributes: attributes)
        return (message, message.serialized(integrityKey: Array(remotePassword.utf8), fingerprint: true))
    }

    /// Server-side check of an incoming connectivity check addressed to us, following
    /// RFC 8489 §9.1.3 and RFC 8445 §7.3: fingerprint, USERNAME prefix, MESSAGE-INTEGRITY.
    public static func validateICERequest(_ bytes: [UInt8], localUfrag: String,
                                          localPassword: String) -> ICERequestValidation {
        let message: STUNMessage
        do {
            message = try STUNMessage.parse(bytes)
        } catch {
            return .discard(reason: error.description)
        }
        return validateICERequest(message, bytes: bytes, localUfrag: localUfrag, localPassword: localPassword)
    }

    /// The same checks for a request the caller has already parsed from `bytes` (a server parses
    /// it once to find the session by USERNAME).
    public static func validateICERequest(_ message: STUNMessage, bytes: [UInt8], localUfrag: String,
                                          localPassword: String) -> ICERequestValidation {
        guard message.type == .bindingRequest else {
            return .discard(reason: "not a Binding request")
        }
        switch checkFingerprint(bytes) {
        case .valid: break
        case .missing: return .discard(reason: "ICE requests must carry FINGERPRINT")
        case .mismatch: return .discard(reason: "FINGERPRINT mismatch")
        case .malformed(let why): return .discard(reason: why)
        }
        guard let username = message.username else {
            return .reject(request: message, code: 400, reason: "Missing USERNAME")
        }
        guard username.split(separator: ":", maxSplits: 1).first.map(String.init) == localUfrag else {
            return .reject(request: message, code: 401, reason: "Unknown USERNAME")
        }
        switch checkIntegrity(bytes, password: localPassword) {
        case .valid: break
        case .missing: return .reject(request: message, code: 400, reason: "Missing MESSAGE-INTEGRITY")
        case .mismatch, .malformed: return .reject(request: message, code: 401, reason: "Bad MESSAGE-INTEGRITY")
        }
        let unknown = message.unknownComprehensionRequired
        guard unknown.isEmpty else {
            return .reject(request: message, code: 420, reason: "Unknown Attribute")
        }
        return .valid(message)
    }
}
