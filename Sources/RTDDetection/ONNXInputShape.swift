/// Reads the declared shape of an ONNX model's image input straight from the protobuf, because
/// OpenCV 4.6's dnn module has no getter for it. Only the few fields needed are decoded:
/// ModelProto.graph(7) → GraphProto.input(11) / .initializer(5) → ValueInfoProto.name(1), .type(2)
/// → TypeProto.tensor_type(1) → .shape(2) → TensorShapeProto.dim(1) → .dim_value(1).
enum ONNXInputShape {
    /// Dimensions of the first graph input that is not a weight (older exporters list weights
    /// as inputs too); nil for a symbolic dimension. Returns nil when the bytes are not a
    /// readable model, leaving the verdict to OpenCV's loader.
    static func read(_ bytes: UnsafeRawBufferPointer) -> [Int?]? {
        var model = ProtoReader(bytes)
        while let field = model.next() {
            guard field.number == 7, case .bytes(let graph) = field.value else { continue }
            return firstInput(of: graph)
        }
        return nil
    }

    private static func firstInput(of graph: UnsafeRawBufferPointer) -> [Int?]? {
        var weights = Set<String>()
        var inputs: [(name: String, shape: [Int?])] = []
        var reader = ProtoReader(graph)
        while let field = reader.next() {
            guard case .bytes(let body) = field.value else { continue }
            switch field.number {
            case 5: if let name = string(field: 8, in: body) { weights.insert(name) }
            case 11: inputs.append((string(field: 1, in: body) ?? "", shape(ofValueInfo: body)))
            default: break
            }
        }
        if reader.failed { return nil }
        return inputs.first { !weights.contains($0.name) }?.shape
    }

    private static func shape(ofValueInfo info: UnsafeRawBufferPointer) -> [Int?] {
        guard let type = message(field: 2, in: info), let tensor = message(field: 1, in: type),
              let shape = message(field: 2, in: tensor) else { return [] }
        var dims: [Int?] = []
        var reader = ProtoReader(shape)
        while let field = reader.next() {
            guard field.number == 1, case .bytes(let dim) = field.value else { continue }
            var dimReader = ProtoReader(dim)
            var value: Int?
            while let f = dimReader.next() {
                if f.number == 1, case .varint(let v) = f.value, v > 0, v <= UInt64(Int.max) { value = Int(v) }
            }
            dims.append(value)
        }
        return dims
    }

    private static func message(field number: Int, in body: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        var reader = ProtoReader(body)
        while let field = reader.next() {
            if field.number == number, case .bytes(let b) = field.value { return b }
        }
        return nil
    }

    private static func string(field number: Int, in body: UnsafeRawBufferPointer) -> String? {
        message(field: number, in: body).map { String(decoding: $0, as: UTF8.self) }
    }
}

/// Minimal protobuf wire-format walker over a borrowed buffer; stops (and sets `failed`) on
/// anything malformed instead of trapping.
private struct ProtoReader {
    enum Value {
        case varint(UInt64)
        case bytes(UnsafeRawBufferPointer)
        case fixed
    }

    private let buffer: UnsafeRawBufferPointer
    private var offset = 0
    private(set) var failed = false

    init(_ buffer: UnsafeRawBufferPointer) { self.buffer = buffer }

    mutating func next() -> (number: Int, value: Value)? {
        guard !failed, offset < buffer.count else { return nil }
        guard let key = varint(), key >> 3 > 0 else { return fail() }
        switch key & 7 {
        case 0:
            guard let v = varint() else { return fail() }
            return (Int(key >> 3), .varint(v))
        case 1, 5:
            let size = key & 7 == 1 ? 8 : 4
            guard buffer.count - offset >= size else { return fail() }
            offset += size
            return (Int(key >> 3), .fixed)
        case 2:
            guard let length = varint(), length <= UInt64(buffer.count - offset) else { return fail() }
            let start = offset
            offset += Int(length)
            return (Int(key >> 3), .bytes(UnsafeRawBufferPointer(rebasing: buffer[start..<offset])))
        default:
            return fail()
        }
    }

    private mutating func varint() -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while offset < buffer.count, shift < 64 {
            let byte = buffer[offset]
            offset += 1
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        return nil
    }

    private mutating func fail() -> (number: Int, value: Value)? {
        failed = true
        return nil
    }
}
