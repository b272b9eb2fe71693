/// H.264 RTP packetization, RFC 6184 packetization-mode 1 (non-interleaved): single NAL unit
/// packets, STAP-A for parameter sets, FU-A for NAL units larger than the MTU.
public struct H264Packetizer: Sendable {
    public static let defaultMaxPayloadSize = 1200

    enum NALType {
        static let idr: UInt8 = 5
        static let sps: UInt8 = 7
        static let pps: UInt8 = 8
        static let accessUnitDelimiter: UInt8 = 9
        static let stapA: UInt8 = 24
        static let fuA: UInt8 = 28
    }

    public let maxPayloadSize: Int
    /// Most recent parameter sets, re-sent before IDRs whose access unit lacks them (e.g. an
    /// encoder that only emits SPS/PPS once, or a peer joining mid-stream).
    public private(set) var cachedSPS: [UInt8]?
    public private(set) var cachedPPS: [UInt8]?

    /// `maxPayloadSize` below 16 is raised to 16 so FU-A always makes progress.
    public init(maxPayloadSize: Int = H264Packetizer.defaultMaxPayloadSize) {
        self.maxPayloadSize = max(maxPayloadSize, 16)
    }

    /// Splits an Annex-B byte stream (3- or 4-byte start codes) into NAL units, without start
    /// codes or trailing zero bytes. Bytes before the first start code are ignored; input with
    /// no start code at all is treated as a single NAL unit.
    public static func nalUnits(annexB data: [UInt8]) -> [ArraySlice<UInt8>] {
        var starts: [(codeStart: Int, nalStart: Int)] = []
        var index = 0
        while index + 2 < data.count {
            if data[index] == 0, data[index + 1] == 0, data[index + 2] == 1 {
                starts.append((index, index + 3))
                index += 3
            } else {
                index += 1
            }
        }
        guard !starts.isEmpty else { return data.isEmpty ? [] : [data[...]] }
        var units: [ArraySlice<UInt8>] = []
        for (i, start) in starts.enumerated() {
            var end = i + 1 < starts.count ? starts[i + 1].codeStart : data.count
            // Trailing zeros belong to the next 4-byte start code or are trailing_zero_8bits.
            while end > start.nalStart, data[end - 1] == 0 { end -= 1 }
            if end > start.nalStart { units.append(data[start.nalStart..<end]) }
        }
        return units
    }

    /// Packetizes one access unit. AUD NAL units are dropped; SPS/PPS are aggregated in a
    /// STAP-A ahead of the first VCL NAL unit; the last fragment carries the marker.
    public mutating func packetize(accessUnit: [UInt8]) -> [RTPPayloadFragment] {
        var payloads: [[UInt8]] = []
        var pendingParameterSets: [ArraySlice<UInt8>] = []
        var sentParameterSets = false
        for nal in Self.nalUnits(annexB: accessUnit) {
            guard let header = nal.first else { continue }
            switch header & 0x1F {
            case NALType.accessUnitDelimiter:
                continue
            case NALType.sps:
                cachedSPS = Array(nal)
                pendingParameterSets.append(nal)
            case NALType.pps:
                cachedPPS = Array(nal)
                pendingParameterSets.append(nal)
            case let type:
                if type == NALType.idr, !sentParameterSets {
                    let types = Set(pendingParameterSets.compactMap { $0.first.map { $0 & 0x1F } })
                    if !types.contains(NALType.sps), let sps = cachedSPS { pendingParameterSets.insert(sps[...], at: 0) }
                    if !types.contains(NALType.pps), let pps = cachedPPS { pendingParameterSets.append(pps[...]) }
                }
                if !pendingParameterSets.isEmpty {
                    appendParameterSets(pendingParameterSets, to: &payloads)
                    pendingParameterSets.removeAll()
                    sentParameterSets = true
                }
                appendNAL(nal, to: &payloads)
            }
        }
        if !pendingParameterSets.isEmpty { appendParameterSets(pendingParameterSets, to: &payloads) }
        return payloads.enumerated().map { RTPPayloadFragment(storage: $1, marker: $0 == payloads.count - 1) }
    }

    private func appendParameterSets(_ units: [ArraySlice<UInt8>], to payloads: inout [[UInt8]]) {
        let aggregateSize = 1 + units.reduce(0) { $0 + 2 + $1.count }
        guard units.count > 1, aggregateSize <= maxPayloadSize, units.allSatisfy({ $0.count <= Int(UInt16.max) }) else {
            for unit in units { appendNAL(unit, to: &payloads) }
            return
        }
        // STAP-A header: F is the OR and NRI the maximum of the aggregated units (RFC 6184 §5.7.1).
        let forbidden = units.reduce(UInt8(0)) { $0 | (($1.first ?? 0) & 0x80) }
        let nri = units.reduce(UInt8(0)) { max($0, ($1.first ?? 0) & 0x60) }
        var stap = RTPPayloadFragment.buffer(capacity: aggregateSize)
        stap.append(forbidden | nri | NALType.stapA)
        for unit in units {
            stap.wireAppend(UInt16(unit.count))
            stap += unit
        }
        payloads.append(stap)
    }

    private func appendNAL(_ nal: ArraySlice<UInt8>, to payloads: inout [[UInt8]]) {
        guard let header = nal.first else { return }
        if nal.count <= maxPayloadSize {
            var payload = RTPPayloadFragment.buffer(capacity: nal.count)
            payload += nal
            payloads.append(payload)
            return
        }
        let indicator = (header & 0xE0) | NALType.fuA
        let body = nal.dropFirst()
        let chunks = FrameContinuity.balancedChunks(total: body.count, limit: maxPayloadSize - 2)
        for (index, range) in chunks.enumerated() {
            var fuHeader = header & 0x1F
            if index == 0 { fuHeader |= 0x80 }
            if index == chunks.count - 1 { fuHeader |= 0x40 }
            var payload = RTPPayloadFragment.buffer(capacity: range.count + 2)
            payload += [indicator, fuHeader]
            payload += body[(body.startIndex + range.lowerBound)..<(body.startIndex + range.upperBound)]
            payloads.append(payload)
        }
    }
}
