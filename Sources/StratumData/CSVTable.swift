import Foundation

/// A parsed CSV file (RFC 4180: comma-separated, `"` quoting with `""` escapes, LF or CRLF).
public struct CSVTable: Sendable {
    public var header: [String]
    /// Records after the header, each with the 1-based line on which it starts.
    public var records: [(line: Int, fields: [String])]

    /// Parses `text`; throws `CSVSyntaxError` on an unterminated quote or stray quote.
    public init(parsing text: String) throws {
        var records: [(line: Int, fields: [String])] = []
        try Self.forEachRecord(in: text) { records.append(($0, $1)) }
        guard let first = records.first else {
            self.header = []
            self.records = []
            return
        }
        self.header = first.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        self.records = Array(records.dropFirst())
    }

    /// Calls `body` with every record (the header's too) in order, with the 1-based line on
    /// which it starts, without holding the table: a manifest of a million rows is read in
    /// one pass over its bytes. A line holding nothing at all (a trailing blank line, say) is
    /// skipped. Throws `CSVSyntaxError` on an unterminated quote or a stray quote, and
    /// whatever `body` throws.
    public static func forEachRecord(in text: String, _ body: (_ line: Int, _ fields: [String]) throws -> Void) throws {
        var text = text
        try text.withUTF8 { bytes in
            let comma = UInt8(ascii: ","), quote = UInt8(ascii: "\""), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
            let count = bytes.count
            var fields: [String] = []
            var quoted: [UInt8] = []
            var i = 0, line = 1
            while i < count {
                let recordLine = line
                var firstFieldQuoted = false
                fields.removeAll(keepingCapacity: true)
                // One field per turn; the delimiter after it says whether the record goes on.
                fieldLoop: while true {
                    if i < count && bytes[i] == quote {
                        if fields.isEmpty { firstFieldQuoted = true }
                        i += 1
                        quoted.removeAll(keepingCapacity: true)
                        while true {
                            guard i < count else { throw CSVSyntaxError(line: recordLine, message: "unterminated quoted field") }
                            let byte = bytes[i]
                            if byte == quote {
                                if i + 1 < count && bytes[i + 1] == quote {
                                    quoted.append(quote)
                                    i += 2
                                    continue
                                }
                                i += 1
                                break
                            }
                            if byte == lf { line += 1 }
                            quoted.append(byte)
                            i += 1
                        }
                        fields.append(String(decoding: quoted, as: UTF8.self))
                        if i < count && bytes[i] != comma && bytes[i] != cr && bytes[i] != lf {
                            throw CSVSyntaxError(line: line, message: "text after a closing quote")
                        }
                    } else {
                        let start = i
                        while i < count {
                            let byte = bytes[i]
                            if byte == comma || byte == cr || byte == lf { break }
                            if byte == quote { throw CSVSyntaxError(line: line, message: "quote inside an unquoted field") }
                            i += 1
                        }
                        fields.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self))
                    }
                    guard i < count else { break fieldLoop }
                    switch bytes[i] {
                    case comma:
                        i += 1
                    case cr:
                        i += 1
                        if i < count && bytes[i] == lf { i += 1 }
                        line += 1
                        break fieldLoop
                    default:
                        i += 1
                        line += 1
                        break fieldLoop
                    }
                }
                if !(fields.count == 1 && fields[0].isEmpty && !firstFieldQuoted) { try body(recordLine, fields) }
            }
        }
    }
}

/// The CSV text is not well-formed.
public struct CSVSyntaxError: Error, Equatable {
    public var line: Int
    public var message: String
}
