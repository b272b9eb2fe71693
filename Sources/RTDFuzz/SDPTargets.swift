@testable import RTDWebRTC
@testable import RTDServer

/// SDP offers arrive in signaling and WHEP bodies. Property: whatever parses serializes to text
/// that parses back to the same document (up to the line order the RFC mandates), and the answer
/// built from it does too.
func fuzzSDP(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    let offer: SessionDescription
    do { offer = try SessionDescription.parse(text) } catch { return }
    let serialized = offer.serialized()
    // CRLF for LF adds a byte a line; a missing s= or t= adds a line each.
    require(serialized.utf8.count <= 2 * text.utf8.count + 16,
            "serialized SDP grew from \(text.utf8.count) to \(serialized.utf8.count) bytes")
    checkReparses(offer, serialized, "offer")

    let config = SDPAnswerConfig(
        iceUfrag: "fzUf", icePwd: "fuzzpasswordfuzzpassword",
        fingerprint: SDPFingerprint(digest: Array(repeating: 0xAB, count: 32)),
        candidates: [ICECandidate(foundation: "1", priority: 2_130_706_431, address: "192.0.2.1", port: 8443, type: .host)],
        videoSenders: [SDPVideoSender(ssrc: 0x1234_5678, streamID: "a"), SDPVideoSender(ssrc: 0x1234_5679, streamID: "b")],
        audioSender: SDPAudioSender(ssrc: 0x1234_567A, streamID: "a"), cname: "fuzz", sessionID: 1)
    guard let (answer, _) = try? SDPAnswerer.makeAnswer(offer: offer, config: config) else { return }
    checkReparses(answer, answer.serialized(), "answer")
}

private func checkReparses(_ document: SessionDescription, _ serialized: String, _ what: String) {
    let again: SessionDescription
    do { again = try SessionDescription.parse(serialized) } catch {
        propertyFailed("serialized \(what) does not parse: \(error)\n\(serialized)")
    }
    let expected = inSerializationOrder(document)
    require(again == expected, "\(what) changed in a round-trip:\n\(expected)\n-- became --\n\(again)\n-- text --\n\(serialized)")
}

/// The serializer writes the untyped lines in the order RFC 8866 §5 gives, whatever order they came in.
private func inSerializationOrder(_ document: SessionDescription) -> SessionDescription {
    func sessionRank(_ field: SDPField) -> Int {
        switch field.type {
        case "i", "u", "e", "p": 0
        case "b": 1
        case "z", "k": 2
        default: 3
        }
    }
    var copy = document
    copy.otherFields = stableSorted(document.otherFields, by: sessionRank)
    for index in copy.media.indices {
        copy.media[index].otherFields = stableSorted(copy.media[index].otherFields) { $0.type == "i" ? 0 : 1 }
    }
    return copy
}

private func stableSorted(_ fields: [SDPField], by rank: (SDPField) -> Int) -> [SDPField] {
    fields.enumerated().sorted { (rank($0.element), $0.offset) < (rank($1.element), $1.offset) }.map(\.element)
}

/// Trickled candidates arrive alone (signaling `candidate` messages). Property: a parsed candidate
/// prints to a line that parses back to it, alone and as an SDP attribute.
func fuzzCandidate(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    let candidate: ICECandidate
    do { candidate = try ICECandidate.parse(text) } catch { return }
    let line = candidate.description
    require(line.utf8.count <= text.utf8.count + 16, "candidate grew from \(text.utf8.count) to \(line.utf8.count) bytes")
    do {
        let again = try ICECandidate.parse(line)
        require(again == candidate, "candidate changed in a round-trip: \(candidate) became \(again)")
    } catch {
        propertyFailed("printed candidate does not parse: \(error)\n\(line)")
    }
    do throws(SDPValueError) {
        let attribute = try SDPAttribute.parse(Substring(SDPAttribute.candidate(candidate).attributeText))
        require(attribute == .candidate(candidate), "candidate changed as an SDP attribute: \(candidate) became \(attribute)")
    } catch {
        propertyFailed("candidate attribute does not parse: \(error.reason)\n\(line)")
    }
}
