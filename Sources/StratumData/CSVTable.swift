import Foundation

/// A parsed CSV file (RFC 4180: comma-separated, `"` quoting with `""` escapes, LF or CRLF).
public struct CSVTable: Sendable {
    public var header: [String]
    /// Records after the header, each with the 1-based line on which it starts.
    public var records: [(line: Int, fields: [String])]

    /// Parses `text`; throws `CSVSyntaxError` on an unterminated quote or stray quote.
    public init(parsing text: String) throws {
        var records: [(line: Int, fields: [String])] = []
        var field = "", fields: [String] = []
        var line = 1, recordLine = 1
        var inQuotes = false, fieldWasQuoted = false
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func endRecord() {
            fields.append(field)
            // A line holding nothing at all is skipped (e.g. a trailing blank line).
            if !(fields.count == 1 && fields[0].isEmpty && !fieldWasQuoted) { records.append((recordLine, fields)) }
            fields = []; field = ""; fieldWasQuoted = false
        }
        while let scalar = pending ?? iterator.next() {
            pending = nil
            if inQuotes {
                if scalar == "\"" {
                    let next = iterator.next()
                    if next == "\"" { field.unicodeScalars.append("\"") } else { inQuotes = false; pending = next }
                } else {
                    if scalar == "\n" { line += 1 }
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case ",":
                fields.append(field); field = ""; fieldWasQuoted = false
            case "\r":
                let next = iterator.next()
                if next != "\n" { pending = next }
                endRecord(); line += 1; recordLine = line
            case "\n":
                endRecord(); line += 1; recordLine = line
            case "\"":
                guard field.isEmpty else { throw CSVSyntaxError(line: line, message: "quote inside an unquoted field") }
                inQuotes = true; fieldWasQuoted = true
            default:
                if fieldWasQuoted { throw CSVSyntaxError(line: line, message: "text after a closing quote") }
                field.unicodeScalars.append(scalar)
            }
        }
        if inQuotes { throw CSVSyntaxError(line: recordLine, message: "unterminated quoted field") }
        if !field.isEmpty || !fields.isEmpty || fieldWasQuoted { endRecord() }
        guard let first = records.first else {
            self.header = []
            self.records = []
            return
        }
        self.header = first.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        self.records = Array(records.dropFirst())
    }
}

/// The CSV text is not well-formed.
public struct CSVSyntaxError: Error, Equatable {
    public var line: Int
    public var message: String
}
