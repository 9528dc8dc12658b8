import Foundation
import StratumCore
import StratumEngine
import StratumONNXProto

/// Turns `TensorProto`s (initializers, Constant values) into values.
///
/// Element types: float32, float16, bfloat16 and float64 become floats; the integer types
/// and bool become integers. Data may be in `raw_data` (little-endian), in the typed field
/// (`float_data`; `int32_data` for the small integer types, bool and the 16 bits of each
/// float16/bfloat16; `int64_data`; `double_data`; `uint64_data`), or in an external file
/// beside the model (`data_location: EXTERNAL`, with `location`, `offset`, `length`).
/// Every declared size is checked against the bytes present before anything is allocated.
struct TensorDecoder {
    let file: String
    /// The folder holding the model: external data must live inside it.
    let directory: URL
    /// External data files read so far (one file often holds every initializer).
    private var externalFiles: [String: Data] = [:]
    /// The external data files read, resolved, sorted.
    var externalPaths: [String] { externalFiles.keys.sorted() }

    init(file: String, directory: URL) {
        self.file = file
        self.directory = directory
    }

    enum Kind { case float, float16, bfloat16, double, int(bytes: Int, signed: Bool), bool }

    static func kind(_ dataType: Int32) -> Kind? {
        switch dataType {
        case 1: return .float
        case 2: return .int(bytes: 1, signed: false)
        case 3: return .int(bytes: 1, signed: true)
        case 4: return .int(bytes: 2, signed: false)
        case 5: return .int(bytes: 2, signed: true)
        case 6: return .int(bytes: 4, signed: true)
        case 7: return .int(bytes: 8, signed: true)
        case 9: return .bool
        case 10: return .float16
        case 11: return .double
        case 12: return .int(bytes: 4, signed: false)
        case 13: return .int(bytes: 8, signed: false)
        case 16: return .bfloat16
        default: return nil
        }
    }

    static func byteWidth(_ kind: Kind) -> Int {
        switch kind {
        case .float: return 4
        case .float16, .bfloat16: return 2
        case .double: return 8
        case .int(let bytes, _): return bytes
        case .bool: return 1
        }
    }

    static let typeNames: [Int32: String] = [0: "undefined", 8: "string", 14: "complex64", 15: "complex128", 17: "float8e4m3fn",
                                             18: "float8e4m3fnuz", 19: "float8e5m2", 20: "float8e5m2fnuz", 21: "uint4", 22: "int4"]

    mutating func decode(_ proto: Onnx_TensorProto, what: String) throws -> Value {
        func fail(_ message: String) -> ONNXError { ONNXError(file: file, node: what, message: message) }
        guard let kind = Self.kind(proto.dataType) else {
            let name = Self.typeNames[proto.dataType] ?? "data type \(proto.dataType)"
            throw fail("tensors of type \(name) are not supported (float32, float16, bfloat16, float64, integers and bool are)")
        }
        let shape = proto.dims.map { Int(clamping: $0) }
        guard let count = Tensor.checkedCount(shape) else {
            throw fail("declared shape \(proto.dims) is negative or holds more than \(Tensor.maxElements) values")
        }
        let width = Self.byteWidth(kind)
        var raw: Data?
        if proto.dataLocation == .external {
            raw = try external(proto, expected: count * width, what: what)
        } else if proto.hasRawData {
            raw = proto.rawData
        }
        if let raw {
            guard raw.count == count * width else {
                throw fail("shape \(shape) needs \(count * width) bytes of data, the file holds \(raw.count)")
            }
            return Self.values(raw: raw, kind: kind, shape: shape)
        }
        func typed<T>(_ field: [T], _ name: String) throws -> [T] {
            guard field.count == count else { throw fail("shape \(shape) needs \(count) values, \(name) holds \(field.count)") }
            return field
        }
        switch kind {
        case .float: return .float(Tensor(shape: shape, data: try typed(proto.floatData, "float_data")), channelsLast: false)
        case .double: return .float(Tensor(shape: shape, data: try typed(proto.doubleData, "double_data").map { Float($0) }), channelsLast: false)
        case .float16: return .float(Tensor(shape: shape, data: try typed(proto.int32Data, "int32_data").map { Half.float(UInt16(truncatingIfNeeded: $0)) }), channelsLast: false)
        case .bfloat16: return .float(Tensor(shape: shape, data: try typed(proto.int32Data, "int32_data").map { Float(bitPattern: UInt32(UInt16(truncatingIfNeeded: $0)) << 16) }), channelsLast: false)
        case .int(8, true): return .int(IntTensor(shape: shape, data: try typed(proto.int64Data, "int64_data").map { Int($0) }))
        case .int(let bytes, let signed) where bytes == 8 || (bytes == 4 && !signed):
            return .int(IntTensor(shape: shape, data: try typed(proto.uint64Data, "uint64_data").map { Int(clamping: $0) }))
        case .int, .bool: return .int(IntTensor(shape: shape, data: try typed(proto.int32Data, "int32_data").map { Int($0) }))
        }
    }

    static func values(raw: Data, kind: Kind, shape: [Int]) -> Value {
        let count = shape.reduce(1, *)
        return raw.withUnsafeBytes { bytes -> Value in
            func load<T: FixedWidthInteger>(_: T.Type, _ i: Int) -> T { T(littleEndian: bytes.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)) }
            switch kind {
            case .float: return .float(Tensor(shape: shape, data: (0..<count).map { Float(bitPattern: load(UInt32.self, $0)) }), channelsLast: false)
            case .float16: return .float(Tensor(shape: shape, data: (0..<count).map { Half.float(load(UInt16.self, $0)) }), channelsLast: false)
            case .bfloat16: return .float(Tensor(shape: shape, data: (0..<count).map { Float(bitPattern: UInt32(load(UInt16.self, $0)) << 16) }), channelsLast: false)
            case .double: return .float(Tensor(shape: shape, data: (0..<count).map { Float(Double(bitPattern: load(UInt64.self, $0))) }), channelsLast: false)
            case .bool: return .int(IntTensor(shape: shape, data: (0..<count).map { load(UInt8.self, $0) != 0 ? 1 : 0 }))
            case .int(let width, let signed):
                let data: [Int] = (0..<count).map { i in
                    switch (width, signed) {
                    case (1, false): return Int(load(UInt8.self, i))
                    case (1, true): return Int(load(Int8.self, i))
                    case (2, false): return Int(load(UInt16.self, i))
                    case (2, true): return Int(load(Int16.self, i))
                    case (4, false): return Int(load(UInt32.self, i))
                    case (4, true): return Int(load(Int32.self, i))
                    case (8, false): return Int(clamping: load(UInt64.self, i))
                    default: return Int(load(Int64.self, i))
                    }
                }
                return .int(IntTensor(shape: shape, data: data))
            }
        }
    }

    /// The bytes of an external initializer: `location` must be a relative path inside the
    /// model's folder (after resolving symbolic links); `offset` and `length` must lie within it.
    private mutating func external(_ proto: Onnx_TensorProto, expected: Int, what: String) throws -> Data {
        func fail(_ message: String) -> ONNXError { ONNXError(file: file, node: what, message: message) }
        var entries: [String: String] = [:]
        for entry in proto.externalData { entries[entry.key] = entry.value }
        guard let location = entries["location"], !location.isEmpty else { throw fail("external data without a 'location'") }
        let contained: URL
        switch ContainedFile.resolve(location, in: directory) {
        case .success(let url): contained = url
        case .failure(let refusal): throw fail("external data location \(refusal.message)")
        }
        let offset = try entries["offset"].map { text -> Int in
            guard let value = Int(text), value >= 0 else { throw fail("external data offset '\(text)' is not a non-negative integer") }
            return value
        } ?? 0
        let length = try entries["length"].map { text -> Int in
            guard let value = Int(text), value >= 0 else { throw fail("external data length '\(text)' is not a non-negative integer") }
            return value
        } ?? expected
        guard length == expected else { throw fail("external data length \(length) does not match the \(expected) bytes its shape needs") }
        let url = directory.appendingPathComponent(location)
        let resolved = contained.path
        if externalFiles[resolved] == nil {
            guard FileManager.default.fileExists(atPath: resolved) else {
                throw ONNXError(file: file, node: what, message: "external data file '\(location)' is missing (expected at \(url.path))")
            }
            do {
                externalFiles[resolved] = try Data(contentsOf: URL(fileURLWithPath: resolved), options: .alwaysMapped)
            } catch {
                throw ONNXError(file: url.path, node: what, message: "cannot read external data: \(error.localizedDescription)")
            }
        }
        let data = externalFiles[resolved]!
        guard offset <= data.count, length <= data.count - offset else {
            throw ONNXError(file: url.path, node: what, message: "offset \(offset) and length \(length) reach past the end of the file (\(data.count) bytes)")
        }
        return data.subdata(in: (data.startIndex + offset)..<(data.startIndex + offset + length))
    }
}

/// IEEE 754 binary16, converted in code (no reliance on the platform's Float16).
enum Half {
    static func float(_ bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = Int((bits >> 10) & 0x1F)
        let mantissa = UInt32(bits & 0x3FF)
        if exponent == 0 {
            if mantissa == 0 { return Float(bitPattern: sign) }
            let value = Float(mantissa) * 0x1p-24
            return sign != 0 ? -value : value
        }
        if exponent == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }

    /// Rounds a float to the nearest binary16 value (ties to even), as a cast to float16 does.
    static func round(_ value: Float) -> Float {
        guard value.isFinite else { return value }
        let magnitude = abs(value)
        if magnitude >= 65520 { return value > 0 ? .infinity : -.infinity }
        // Spacing of binary16 values near `magnitude` (subnormals below 2⁻¹⁴ share 2⁻²⁴).
        let exponent = magnitude < 0x1p-14 ? -14 : Int(magnitude.exponent)
        let quantum = Float(sign: .plus, exponent: exponent - 10, significand: 1)
        return (value / quantum).rounded(.toNearestOrEven) * quantum
    }
}
