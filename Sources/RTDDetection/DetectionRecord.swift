import Foundation
import RTDCore
import RTDMedia

/// One processed frame's detections: the JSON Lines record shared by detect's stdout, recording
/// sidecars, the data channel and the WebSocket fallback. Keys are a contract (README, "Detections: JSON Lines"); optional
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
        let (head, tail) = jsonLineHalves()
        guard let rtpTimestamp else { return head + tail }
        return head + ",\"rtp_timestamp\":\(rtpTimestamp)" + tail
    }

    /// The line without `rtp_timestamp`, cut where it goes: serialized once, it serves every
    /// viewer of a track, each adding its own timestamp (`head + ,"rtp_timestamp":N + tail`).
    public func jsonLineHalves() -> (head: String, tail: String) {
        var head = "{\"type\":\"detections\""
        if let camera { head += ",\"camera\":"; JSONLine.appendString(camera, to: &head) }
        head += ",\"frame\":\(frame),\"pts_us\":\(ptsUs)"
        if let capturedAtUs { head += ",\"captured_at_us\":\(capturedAtUs)" }
        var s = ",\"width\":\(width),\"height\":\(height),\"detector\":"
        s.reserveCapacity(120 + detections.count * 80)
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
        return (head, s)
    }

    /// Parses one line (extra fields are ignored, for records from newer writers). `lineNumber`
    /// only goes into error messages. Lines come from files and pipes, so they go through the
    /// bounded parser, never Foundation's (which traps on deep nesting).
    public static func decode(jsonLine line: some StringProtocol, lineNumber: Int? = nil) throws(DetectionRecordError) -> DetectionRecord {
        let place = lineNumber.map { "line \($0): " } ?? ""
        do throws(RecordFieldError) {
            let value: JSONValue
            do {
                value = try JSONValue.parse(line.utf8)
            } catch {
                throw RecordFieldError("not valid JSON (\(error))")
            }
            return try DetectionRecord(json: RecordFields(value, path: ""))
        } catch {
            throw DetectionRecordError(message: place + error.message)
        }
    }

    init(json o: RecordFields) throws(RecordFieldError) {
        guard try o.string("type") == Self.type else { throw RecordFieldError("field 'type': expected \"\(Self.type)\"") }
        camera = try o.optional("camera") { f throws(RecordFieldError) in try f.string() }
        frame = try o.int("frame")
        ptsUs = try o.int64("pts_us")
        capturedAtUs = try o.optional("captured_at_us") { f throws(RecordFieldError) in try f.int64() }
        rtpTimestamp = try o.optional("rtp_timestamp") { f throws(RecordFieldError) in
            guard let v = UInt32(exactly: try f.int64()) else { throw f.wrongType("32-bit unsigned integer") }
            return v
        }
        width = try o.int("width")
        height = try o.int("height")
        detector = try o.string("detector")
        inferenceUs = try o.int64("inference_us")
        detections = []
        for d in try o.field("detections").elements() {
            let label = try d.string("label")
            let score = try d.field("score").double()
            let box = try d.field("box")
            let numbers = try box.elements()
            guard numbers.count == 4 else { throw RecordFieldError("field '\(box.path)': expected [x,y,w,h], got \(numbers.count) numbers") }
            let v = try numbers.map { n throws(RecordFieldError) in try n.int() }
            let trackId = try d.optional("track_id") { f throws(RecordFieldError) in try f.int() }
            detections.append(Detection(label: label, score: score, box: BoundingBox(x: v[0], y: v[1], width: v[2], height: v[3]),
                                        trackId: trackId))
        }
    }
}

/// A record field that is missing or of the wrong type, as a message naming its path.
struct RecordFieldError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// A JSON value with its path in the record (`detections[2].box`), for typed reads that name
/// the field they fail on.
struct RecordFields {
    let value: JSONValue
    let path: String

    init(_ value: JSONValue, path: String) {
        self.value = value
        self.path = path
    }

    func wrongType(_ expected: String) -> RecordFieldError {
        value.isNull ? RecordFieldError("field '\(path)' is null (expected \(expected))")
            : RecordFieldError("field '\(path)' has the wrong type (expected \(expected))")
    }

    private func childPath(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    func field(_ key: String) throws(RecordFieldError) -> RecordFields {
        guard let object = value.object else { throw wrongType("object") }
        guard let v = object[key] else { throw RecordFieldError("missing field '\(childPath(key))'") }
        return RecordFields(v, path: childPath(key))
    }

    /// nil when the member is absent or null (optional fields are omitted by our writer).
    func optional<T>(_ key: String, _ read: (RecordFields) throws(RecordFieldError) -> T) throws(RecordFieldError) -> T? {
        guard let object = value.object else { throw wrongType("object") }
        guard let v = object[key], !v.isNull else { return nil }
        return try read(RecordFields(v, path: childPath(key)))
    }

    func elements() throws(RecordFieldError) -> [RecordFields] {
        guard let a = value.array else { throw wrongType("array") }
        return a.enumerated().map { RecordFields($1, path: "\(path)[\($0)]") }
    }

    func string() throws(RecordFieldError) -> String {
        guard let s = value.string else { throw wrongType("string") }
        return s
    }

    func int64() throws(RecordFieldError) -> Int64 {
        guard let n = value.number?.int64 else { throw wrongType("integer") }
        return n
    }

    func int() throws(RecordFieldError) -> Int {
        guard let n = value.number?.int else { throw wrongType("integer") }
        return n
    }

    func double() throws(RecordFieldError) -> Double {
        guard let d = value.number?.double else { throw wrongType("number") }
        return d
    }

    func string(_ key: String) throws(RecordFieldError) -> String { try field(key).string() }
    func int(_ key: String) throws(RecordFieldError) -> Int { try field(key).int() }
    func int64(_ key: String) throws(RecordFieldError) -> Int64 { try field(key).int64() }
}
