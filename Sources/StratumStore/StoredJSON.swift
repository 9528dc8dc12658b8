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
    ///
    /// One pass over the bytes. A number of at most 15 significant digits whose decimal
    /// exponent is within ±22 — every probability the store writes but the smallest — is
    /// m · 10^e with m and 10^e exact in Double, so one multiplication or division rounds it
    /// correctly to Double; rounding that to Float is then the correct Float unless the Double
    /// lies exactly halfway between two Floats (the only case where rounding twice can differ
    /// from rounding once), which goes, with every other number, through `Float(String)`.
    /// (The probabilities of a 200,000-image run's report took 15% of `stratum report` split
    /// and parsed one `Float(Substring)` at a time.)
    static func plainFloats(_ text: String) -> [Float]? {
        var text = text
        return text.withUTF8 { bytes -> [Float]? in
            let count = bytes.count
            guard count >= 2, bytes[0] == UInt8(ascii: "["), bytes[count - 1] == UInt8(ascii: "]") else { return nil }
            var values: [Float] = []
            if count == 2 { return values }
            var i = 1
            let end = count - 1
            while true {
                guard let value = number(bytes, at: &i, end: end) else { return nil }
                values.append(value)
                if i == end { return values }
                guard bytes[i] == UInt8(ascii: ",") else { return nil }
                i += 1
            }
        }
    }

    /// 10^0 … 10^22, every one exact in Double (5^22 < 2^53), so each product below is too.
    private static let exactPowersOfTen: [Double] = (1...22).reduce(into: [1.0]) { powers, _ in powers.append(powers[powers.count - 1] * 10) }

    /// The JSON number starting at `i` (before `end`), correctly rounded to Float; `i` moves past
    /// it. Nil when the bytes there are not one (JSON's grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`).
    private static func number(_ bytes: UnsafeBufferPointer<UInt8>, at i: inout Int, end: Int) -> Float? {
        let start = i
        @inline(__always) func digit() -> UInt8? {
            guard i < end else { return nil }
            let d = bytes[i] &- UInt8(ascii: "0")
            return d < 10 ? d : nil
        }
        let negative = i < end && bytes[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        // The significant digits (leading zeros skipped) make `mantissa`, times 10^`scale`;
        // past 19 of them the fast path is given up (`exact`), and `scale` is not used.
        var mantissa: UInt64 = 0, significant = 0, scale = 0, exact = true
        @inline(__always) func take(_ d: UInt8) {
            if significant < 19 { mantissa = mantissa &* 10 &+ UInt64(d); significant += 1 } else { exact = false }
        }
        guard let first = digit() else { return nil }
        i += 1
        if first == 0 {
            if digit() != nil { return nil }  // no leading zero
        } else {
            take(first)
            while let d = digit() { take(d); i += 1 }
        }
        if i < end && bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard digit() != nil else { return nil }
            while let d = digit() {
                if mantissa != 0 || d != 0 { take(d) }
                scale -= 1
                i += 1
            }
        }
        if i < end && (bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")) {
            i += 1
            var exponentNegative = false
            if i < end && (bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-")) {
                exponentNegative = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            guard digit() != nil else { return nil }
            var exponent = 0
            while let d = digit() {
                if exponent < 100_000 { exponent = exponent * 10 + Int(d) } else { exact = false }
                i += 1
            }
            scale += exponentNegative ? -exponent : exponent
        }
        if exact && significant <= 15 && (-22...22).contains(scale) {
            var value = Double(mantissa)
            value = scale >= 0 ? value * exactPowersOfTen[scale] : value / exactPowersOfTen[-scale]
            if negative { value = -value }
            let rounded = Float(value)
            let back = Double(rounded)
            if back == value { return rounded }
            let other = Double(value > back ? rounded.nextUp : rounded.nextDown)
            // Halfway (both differences are exact: the values are within a factor of two).
            if value - back != other - value { return rounded }
        }
        return Float(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self))
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
