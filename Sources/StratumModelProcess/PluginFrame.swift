import Foundation

/// One protocol frame: a JSON header and a binary body (see docs/plugin-protocol.md).
///
/// Wire form: u32 LE length of the rest, u32 LE header length, header JSON, body.
struct PluginFrame: Equatable {
    var header: [String: JSONValue]
    var body: [UInt8]

    static let maximumLength = 1 << 30

    init(header: [String: JSONValue], body: [UInt8] = []) {
        self.header = header
        self.body = body
    }

    var type: String? { header["type"]?.string }

    func encoded() throws -> [UInt8] {
        try encoded(bodyLength: body.count) + body
    }

    /// The length prefixes and header of a frame whose `bodyLength`-byte body is sent separately.
    /// Throws instead of sending a frame longer than `maximumLength`.
    func encoded(bodyLength: Int) throws -> [UInt8] {
        let json = Array(try JSONEncoder().encode(header))
        let length = 4 + json.count + bodyLength
        guard bodyLength >= 0, length <= Self.maximumLength else {
            throw FrameError("a \(type ?? "") frame of \(length) bytes exceeds the protocol's limit of \(Self.maximumLength) bytes")
        }
        return Self.uint32(length) + Self.uint32(json.count) + json
    }

    static func uint32(_ value: Int) -> [UInt8] {
        let v = UInt32(truncatingIfNeeded: value)
        return [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24 & 0xFF)]
    }

    static func readUInt32(_ bytes: ArraySlice<UInt8>) -> Int {
        let b = Array(bytes)
        return Int(b[0]) | Int(b[1]) << 8 | Int(b[2]) << 16 | Int(b[3]) << 24
    }

    /// Parses the bytes after the outer length prefix.
    static func decode(_ payload: [UInt8]) throws -> PluginFrame {
        guard payload.count >= 4 else { throw FrameError("frame shorter than its header length field") }
        let jsonLength = readUInt32(payload[0..<4])
        guard jsonLength <= payload.count - 4 else { throw FrameError("header length \(jsonLength) exceeds the frame (\(payload.count - 4) bytes)") }
        let json = Data(payload[4..<(4 + jsonLength)])
        guard let header = try? JSONDecoder().decode([String: JSONValue].self, from: json) else {
            throw FrameError("header is not a JSON object: \(String(decoding: json.prefix(120), as: UTF8.self))")
        }
        return PluginFrame(header: header, body: Array(payload[(4 + jsonLength)...]))
    }

    struct FrameError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}

/// A JSON value, for frame headers.
enum JSONValue: Codable, Equatable, Sendable {
    case string(String), number(Double), bool(Bool), array([JSONValue]), object([String: JSONValue]), null

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let v): try container.encode(v)
        case .number(let v):
            if v == v.rounded(), abs(v) < 1e15 { try container.encode(Int(v)) } else { try container.encode(v) }
        case .bool(let v): try container.encode(v)
        case .array(let v): try container.encode(v)
        case .object(let v): try container.encode(v)
        case .null: try container.encodeNil()
        }
    }

    var string: String? { if case .string(let v) = self { return v }; return nil }
    var int: Int? { if case .number(let v) = self, v == v.rounded(), abs(v) < 1e15 { return Int(v) }; return nil }
    var bool: Bool? { if case .bool(let v) = self { return v }; return nil }
    var array: [JSONValue]? { if case .array(let v) = self { return v }; return nil }
    var object: [String: JSONValue]? { if case .object(let v) = self { return v }; return nil }
}
