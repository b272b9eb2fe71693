import Foundation

/// One processed frame's detections: the JSON Lines record shared by detect's stdout, recording
/// sidecars, the data channel and the WebSocket fallback. Keys are fixed (DESIGN.md); optional
/// fields are omitted when nil, never written as null.
public struct DetectionRecord: Codable, Sendable, Equatable {
    public static let type = "detections"

    public var camera: String?
    public var frame: Int
    public var ptsUs: Int64
    public var capturedAtUs: Int64?
    public var rtpTimestamp: UInt32?
    public var width: Int
    public var height: Int
    public var detector: String
    public var inferenceUs: Int64
    public var detections: [Detection]

    public init(camera: String? = nil, frame: Int, ptsUs: Int64, capturedAtUs: Int64? = nil,
                rtpTimestamp: UInt32? = nil, width: Int, height: Int, detector: String, inferenceUs: Int64,
                detections: [Detection]) {
        self.camera = camera
        self.frame = frame
        self.ptsUs = ptsUs
        self.capturedAtUs = capturedAtUs
        self.rtpTimestamp = rtpTimestamp
        self.width = width
        self.height = height
        self.detector = detector
        self.inferenceUs = inferenceUs
        self.detections = detections
    }

    /// The record for `frame` as processed by `detector`.
    public init(frame: Frame, detector: String, inferenceUs: Int64, detections: [Detection],
                camera: String? = nil, rtpTimestamp: UInt32? = nil) {
        self.init(camera: camera, frame: frame.index, ptsUs: frame.pts, capturedAtUs: frame.capturedAt,
                  rtpTimestamp: rtpTimestamp, width: frame.width, height: frame.height, detector: detector,
                  inferenceUs: inferenceUs, detections: detections)
    }

    enum CodingKeys: String, CodingKey {
        case type, camera, frame
        case ptsUs = "pts_us"
        case capturedAtUs = "captured_at_us"
        case rtpTimestamp = "rtp_timestamp"
        case width, height, detector
        case inferenceUs = "inference_us"
        case detections
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decode(String.self, forKey: .type)
        guard type == Self.type else {
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "expected \"\(Self.type)\"")
        }
        camera = try c.decodeIfPresent(String.self, forKey: .camera)
        frame = try c.decode(Int.self, forKey: .frame)
        ptsUs = try c.decode(Int64.self, forKey: .ptsUs)
        capturedAtUs = try c.decodeIfPresent(Int64.self, forKey: .capturedAtUs)
        rtpTimestamp = try c.decodeIfPresent(UInt32.self, forKey: .rtpTimestamp)
        width = try c.decode(Int.self, forKey: .width)
        height = try c.decode(Int.self, forKey: .height)
        detector = try c.decode(String.self, forKey: .detector)
        inferenceUs = try c.decode(Int64.self, forKey: .inferenceUs)
        detections = try c.decode([Detection].self, forKey: .detections)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Self.type, forKey: .type)
        try c.encodeIfPresent(camera, forKey: .camera)
        try c.encode(frame, forKey: .frame)
        try c.encode(ptsUs, forKey: .ptsUs)
        try c.encodeIfPresent(capturedAtUs, forKey: .capturedAtUs)
        try c.encodeIfPresent(rtpTimestamp, forKey: .rtpTimestamp)
        try c.encode(width, forKey: .width)
        try c.encode(height, forKey: .height)
        try c.encode(detector, forKey: .detector)
        try c.encode(inferenceUs, forKey: .inferenceUs)
        try c.encode(detections, forKey: .detections)
    }
}

extension Detection: Codable {
    enum CodingKeys: String, CodingKey {
        case label, score, box
        case trackId = "track_id"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        label = try c.decode(String.self, forKey: .label)
        score = try c.decode(Double.self, forKey: .score)
        var box = try c.nestedUnkeyedContainer(forKey: .box)
        var values: [Int] = []
        while !box.isAtEnd { values.append(try box.decode(Int.self)) }
        guard values.count == 4 else {
            throw DecodingError.dataCorruptedError(
                forKey: .box, in: c, debugDescription: "expected [x,y,w,h], got \(values.count) numbers")
        }
        self.box = BoundingBox(x: values[0], y: values[1], width: values[2], height: values[3])
        trackId = try c.decodeIfPresent(Int.self, forKey: .trackId)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(label, forKey: .label)
        try c.encode(JSONLine.rounded(score), forKey: .score)
        try c.encode([box.x, box.y, box.width, box.height], forKey: .box)
        try c.encodeIfPresent(trackId, forKey: .trackId)
    }
}

// MARK: - One-line JSON

/// A malformed record line, naming the field (as a path like `detections[2].box`) and the line.
public struct DetectionRecordError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String
    public var description: String { message }
}

extension DetectionRecord {
    /// The record as one line of JSON (no trailing newline), keys in the documented order.
    /// Hand-written because JSONEncoder neither keeps key order nor rounds scores, and is several
    /// times slower for a record written per frame.
    public func jsonLine() -> String {
        var s = "{\"type\":\"detections\""
        s.reserveCapacity(160 + detections.count * 80)
        if let camera { s += ",\"camera\":"; JSONLine.appendString(camera, to: &s) }
        s += ",\"frame\":\(frame),\"pts_us\":\(ptsUs)"
        if let capturedAtUs { s += ",\"captured_at_us\":\(capturedAtUs)" }
        if let rtpTimestamp { s += ",\"rtp_timestamp\":\(rtpTimestamp)" }
        s += ",\"width\":\(width),\"height\":\(height),\"detector\":"
        JSONLine.appendString(detector, to: &s)
        s += ",\"inference_us\":\(inferenceUs),\"detections\":["
        for (i, d) in detections.enumerated() {
            if i > 0 { s += "," }
            s += "{\"label\":"
            JSONLine.appendString(d.label, to: &s)
            s += ",\"score\":"
            JSONLine.appendScore(d.score, to: &s)
            s += ",\"box\":[\(d.box.x),\(d.box.y),\(d.box.width),\(d.box.height)]"
            if let trackId = d.trackId { s += ",\"track_id\":\(trackId)" }
            s += "}"
        }
        s += "]}"
        return s
    }

    /// Parses one line (extra fields are ignored, for records from newer writers). `lineNumber`
    /// only goes into error messages.
    public static func decode(jsonLine line: some StringProtocol, lineNumber: Int? = nil) throws -> DetectionRecord {
        let place = lineNumber.map { "line \($0): " } ?? ""
        do {
            return try JSONDecoder().decode(DetectionRecord.self, from: Data(line.utf8))
        } catch let error as DecodingError {
            throw DetectionRecordError(message: place + JSONLine.describe(error))
        } catch {
            throw DetectionRecordError(message: place + "not a detection record: \(error)")
        }
    }
}

enum JSONLine {
    /// Scores carry 3 decimals at most; rounding here keeps the JSONEncoder path identical.
    static func rounded(_ score: Double) -> Double {
        score.isFinite ? (score * 1000).rounded() / 1000 : 0
    }

    /// Writes a score with at most 3 decimals and no trailing zeros (0.91, 0.5, 1, 0.007).
    static func appendScore(_ score: Double, to s: inout String) {
        let milli = score.isFinite ? Int((score * 1000).rounded()) : 0
        if milli < 0 { s += "-" }
        let magnitude = milli.magnitude
        s += String(magnitude / 1000)
        var fraction = magnitude % 1000
        guard fraction != 0 else { return }
        var digits = 3
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        let text = String(fraction)
        s += "." + String(repeating: "0", count: digits - text.count) + text
    }

    static func appendString(_ value: String, to s: inout String) {
        s += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": s += "\\\""
            case "\\": s += "\\\\"
            case "\n": s += "\\n"
            case "\r": s += "\\r"
            case "\t": s += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                s += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: s.unicodeScalars.append(scalar)
            }
        }
        s += "\""
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            var out = ""
            for key in keys {
                if let index = key.intValue {
                    out += "[\(index)]"
                } else {
                    out += (out.isEmpty ? "" : ".") + key.stringValue
                }
            }
            return out
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field '\(path(context.codingPath + [key]))'"
        case .typeMismatch(let type, let context):
            return "field '\(path(context.codingPath))' has the wrong type (expected \(jsonType(type)))"
        case .valueNotFound(let type, let context):
            return "field '\(path(context.codingPath))' is null (expected \(jsonType(type)))"
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return "not valid JSON"
        case .dataCorrupted(let context):
            return "field '\(path(context.codingPath))': \(context.debugDescription)"
        @unknown default:
            return "not a detection record"
        }
    }

    private static func jsonType(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "string"
        case is Int.Type, is Int64.Type, is UInt32.Type: "integer"
        case is Double.Type: "number"
        case is [Any].Type, is UnkeyedDecodingContainer.Type: "array"
        default: "\(type)"
        }
    }
}
