import Foundation
import RTDCore

/// What one `rtd signal` run measured, printed by `--stats`.
public struct SignalReport: Sendable {
    public var codec = ""
    public var signaledAfterMicros: Int64?
    public var connectedAfterMicros: Int64?
    public var firstFrameAfterMicros: Int64?
    public var receivingSeconds = 0.0
    public var framesReceived = 0
    public var framesDecoded = 0
    public var framesWrittenToFile = 0
    public var framesDropped = 0
    public var decodeErrors = 0
    public var width = 0
    public var height = 0
    public var packets = 0
    public var payloadBytes = 0
    public var packetsLost = 0
    public var packetsRecovered = 0
    public var nacksSent = 0
    public var nackedPackets = 0
    public var plisSent = 0
    public var srtpErrors = 0
    public var rttMillis: Double?
    public var messages = 0
    public var dataChannelOpened = false
    /// The selected pair: our side's kind ("relay" through TURN, else "host") and the server's address.
    public var localCandidateType: String?
    public var remoteAddress: String?
    /// Glass-to-glass latency of frames carrying a testsrc:stamp timestamp strip, ms.
    public var latencyMillis: [Double] = []

    public var fps: Double { receivingSeconds > 0 ? Double(max(framesDecoded, framesReceived)) / receivingSeconds : 0 }
    public var bitrateKbps: Double { receivingSeconds > 0 ? Double(payloadBytes) * 8 / receivingSeconds / 1000 : 0 }
    public var lossPercent: Double {
        let expected = packets + packetsLost
        return expected > 0 ? Double(packetsLost) * 100 / Double(expected) : 0
    }

    func percentile(_ p: Double) -> Double? {
        guard !latencyMillis.isEmpty else { return nil }
        let sorted = latencyMillis.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p + 0.5))]
    }

    mutating func fill(peer: ClientPeer, worker: DecodeWorker, started: Int64) {
        let s = peer.stats
        let c = worker.counters
        let firstFrame = c.firstDecodedAt ?? s.firstFrameAt
        firstFrameAfterMicros = firstFrame.map { $0 - started }
        if let firstPacket = s.firstPacketAt { receivingSeconds = Double(SystemClock.monotonicMicros() - firstPacket) / 1e6 }
        framesReceived = s.framesAssembled
        framesDecoded = c.decoded
        framesWrittenToFile = c.muxed
        framesDropped = s.framesDropped + s.jitter.framesDropped + c.droppedBacklog
        decodeErrors = s.depacketizeErrors + c.decodeErrors
        width = c.width
        height = c.height
        packets = s.packets
        payloadBytes = s.payloadBytes
        packetsLost = s.jitter.lost
        packetsRecovered = s.jitter.recovered
        nacksSent = s.nacksSent
        nackedPackets = s.nackedPackets
        plisSent = s.plisSent
        srtpErrors = s.srtpErrors
        rttMillis = peer.ice.roundTripTime.map { Double($0) / 1000 }
        if let selected = peer.ice.selected {
            localCandidateType = peer.ice.selectedRelayed ? "relay" : "host"
            remoteAddress = selected.description
        }
        latencyMillis = c.latencies.map { Double($0) / 1000 }
    }

    private func ms(_ micros: Int64?) -> Double? { micros.map { (Double($0) / 100).rounded() / 10 } }
    private func round(_ x: Double, _ places: Double = 10) -> Double { (x * places).rounded() / places }

    /// The figures as a JSON object (one line).
    public var json: String {
        var o: [String: Any] = [
            "codec": codec, "frames_received": framesReceived, "frames_decoded": framesDecoded,
            "frames_dropped": framesDropped, "decode_errors": decodeErrors, "fps": round(fps),
            "bitrate_kbps": round(bitrateKbps), "packets": packets, "packets_lost": packetsLost,
            "packets_recovered": packetsRecovered, "loss_percent": round(lossPercent, 100),
            "nacks_sent": nacksSent, "nacked_packets": nackedPackets, "plis_sent": plisSent, "srtp_errors": srtpErrors,
            "messages": messages, "frames_in_file": framesWrittenToFile, "seconds": round(receivingSeconds, 1000), "width": width, "height": height,
        ]
        if let v = ms(signaledAfterMicros) { o["signal_ms"] = v }
        if let v = ms(connectedAfterMicros) { o["connect_ms"] = v }
        if let v = ms(firstFrameAfterMicros) { o["first_frame_ms"] = v }
        if let rttMillis { o["rtt_ms"] = round(rttMillis, 100) }
        if let localCandidateType, let remoteAddress { o["ice_path"] = ["local": localCandidateType, "remote": remoteAddress] }
        if let p50 = percentile(0.5), let p95 = percentile(0.95) {
            o["latency_ms"] = ["p50": round(p50), "p95": round(p95), "frames": latencyMillis.count] as [String: Any]
        }
        let data = (try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// The figures for people, one per line.
    public var text: String {
        func f(_ v: Double?, _ unit: String) -> String { v.map { String(format: "%.1f %@", $0, unit) } ?? "-" }
        var lines = [
            "codec          \(codec) \(width)x\(height)",
            "connect        \(f(ms(connectedAfterMicros), "ms")) (signaling \(f(ms(signaledAfterMicros), "ms")))",
            "first frame    \(f(ms(firstFrameAfterMicros), "ms"))",
            "frames         \(framesReceived) received, \(framesDecoded) decoded, \(framesDropped) dropped, \(decodeErrors) errors in \(String(format: "%.1f", receivingSeconds)) s",
            "fps            \(String(format: "%.1f", fps))",
            "bitrate        \(String(format: "%.0f", bitrateKbps)) kbit/s",
            "loss           \(String(format: "%.2f", lossPercent))% (\(packetsLost) of \(packets + packetsLost) packets; \(packetsRecovered) recovered by \(nacksSent) NACKs for \(nackedPackets) packets; \(plisSent) PLIs)",
            "rtt            \(f(rttMillis, "ms"))",
            "ice path       \(localCandidateType.map { $0 == "relay" ? "through the TURN relay" : "direct" } ?? "-") to \(remoteAddress ?? "-")",
            "messages       \(messages)",
        ]
        if framesWrittenToFile > 0 { lines.append("file           \(framesWrittenToFile) frames written") }
        if let p50 = percentile(0.5), let p95 = percentile(0.95) {
            lines.append("latency        p50 \(String(format: "%.1f", p50)) ms, p95 \(String(format: "%.1f", p95)) ms (glass to glass, \(latencyMillis.count) stamped frames)")
        }
        return lines.joined(separator: "\n")
    }
}
