import Foundation

/// The two JSON shapes the store writes on every row — a flat array of numbers (a prediction's
/// probabilities) and a flat object of strings (a sample's attributes) — read without a
/// JSONDecoder per row when the text is exactly as Stratum writes it (no whitespace, no
/// escapes), and with JSONDecoder otherwise, so the result is always JSONDecoder's. Reading a
/// run of a million samples decodes a few million of these.
enum StoredJSON {
    static func floats(_ text: String, column: String) throws -> [Float] {
        if let values = plainFloats(text) { return values }
        return try decode([Float].self, text, column: column)
    }

    static func strings(_ text: String, column: String) throws -> [String: String] {
        if let values = plainStrings(text) { return values }
        return try decode([String: String].self, text, column: column)
    }

    /// The text JSONEncoder writes for `values` (shortest round-trip digits, no `.0` on whole
    /// numbers), made without an encoder per row; nil when a value is not finite, which
    /// JSONEncoder refuses (the caller then goes through it, for its error).
    static func text(of values: [Float]) -> String? {
        var text = "["
        for (index, value) in values.enumerated() {
            guard value.isFinite else { return nil }
            if index > 0 { text += "," }
            let digits = value.description
            text += digits.hasSuffix(".0") ? String(digits.dropLast(2)) : digits
        }
        return text + "]"
    }

    /// A JSON object of `pairs`, in the order given (the store writes keys sorted, as
    /// JSONEncoder with `.sortedKeys` does; unlike it, `/` is not escaped): quotes, backslashes
    /// and control characters escaped, everything else as is.
    static func text(of pairs: [(key: String, value: String)]) -> String {
        var text = "{"
        for (index, pair) in pairs.enumerated() {
            if index > 0 { text += "," }
            appendString(pair.key, to: &text)
            text += ":"
            appendString(pair.value, to: &text)
        }
        return text + "}"
    }

    private static func appendString(_ string: String, to text: inout String) {
        text += "\""
        if !string.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            text += string
        } else {
            for scalar in string.unicodeScalars {
                switch scalar {
                case "\"": text += "\\\""
                case "\\": text += "\\\\"
                case "\n": text += "\\n"
                case "\r": text += "\\r"
                case "\t": text += "\\t"
                case _ where scalar.value < 0x20:
                    let hex = String(scalar.value, radix: 16)
                    text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: text.unicodeScalars.append(scalar)
                }
            }
        }
        text += "\""
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ text: String, column: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw StoreError(path: column, message: "stored JSON is not \(type): \(error)")
        }
    }

    /// `[n,n,…]` with numbers made only of digits, sign, point and exponent; nil for anything else.
    /// (Each number is parsed correctly rounded to Float, as JSONDecoder does.)
    static func plainFloats(_ text: String) -> [Float]? {
        let bytes = text.utf8
        guard bytes.first == UInt8(ascii: "["), bytes.last == UInt8(ascii: "]") else { return nil }
        let inner = text.utf8.dropFirst().dropLast()
        if inner.isEmpty { return [] }
        var values: [Float] = []
        for token in inner.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            guard isJSONNumber(token), let value = Float(Substring(token)) else { return nil }
            values.append(value)
        }
        return values
    }

    /// JSON's number grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    static func isJSONNumber(_ token: Substring.UTF8View) -> Bool {
        var i = token.startIndex
        func digit() -> Bool { i < token.endIndex && token[i] >= UInt8(ascii: "0") && token[i] <= UInt8(ascii: "9") }
        func digits() -> Bool {
            guard digit() else { return false }
            while digit() { i = token.index(after: i) }
            return true
        }
        func take(_ byte: Character) -> Bool {
            guard i < token.endIndex, token[i] == byte.asciiValue! else { return false }
            i = token.index(after: i)
            return true
        }
        _ = take("-")
        if take("0") {
            if digit() { return false }
        } else if !digits() {
            return false
        }
        if take(".") && !digits() { return false }
        if take("e") || take("E") {
            if !take("+") { _ = take("-") }
            if !digits() { return false }
        }
        return i == token.endIndex
    }

    /// `{"k":"v",…}` with no whitespace, no backslash and no control character in any string,
    /// and no key twice; nil for anything else.
    static func plainStrings(_ text: String) -> [String: String]? {
        var text = text
        return text.withUTF8 { bytes -> [String: String]? in
            let quote = UInt8(ascii: "\""), count = bytes.count
            guard count >= 2, bytes[0] == UInt8(ascii: "{"), bytes[count - 1] == UInt8(ascii: "}") else { return nil }
            var result: [String: String] = [:]
            if count == 2 { return result }
            var i = 1
            /// The string starting at the quote at `i`; `i` moves past its closing quote.
            func string() -> String? {
                guard i < count, bytes[i] == quote else { return nil }
                let start = i + 1
                var end = start
                while end < count && bytes[end] != quote {
                    if bytes[end] == UInt8(ascii: "\\") || bytes[end] < 0x20 { return nil }
                    end += 1
                }
                guard end < count else { return nil }
                i = end + 1
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
            }
            while true {
                guard let key = string(), i < count, bytes[i] == UInt8(ascii: ":") else { return nil }
                i += 1
                guard let value = string(), i < count, result.updateValue(value, forKey: key) == nil else { return nil }
                if bytes[i] == UInt8(ascii: "}") { return i == count - 1 ? result : nil }
                guard bytes[i] == UInt8(ascii: ",") else { return nil }
                i += 1
            }
        }
    }
}
