import Foundation
@testable import StratumStore
import Testing

/// The store's fast JSON reads give exactly what JSONDecoder gives, and leave everything they
/// do not recognise to it.
@Suite struct StoredJSONTests {
    /// Every float the runner can store round-trips through the text JSONEncoder writes, bit for bit.
    @Test func floatsMatchJSONDecoderBitForBit() throws {
        var generator = SystemRandomNumberGenerator()
        var values: [Float] = [0, -0, 1, -1, .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                               1e-45, 0.1, 1 / 3, 0.99999994, 1e-5, 123456789]
        values += (0..<20_000).map { _ in Float(bitPattern: UInt32.random(in: 0...0x7F7F_FFFF, using: &generator)) * (Bool.random() ? 1 : -1) }
        values += (0..<20_000).map { _ in Float.random(in: 0...1, using: &generator) }
        for chunk in stride(from: 0, to: values.count, by: 3).map({ Array(values[$0..<min(values.count, $0 + 3)]) }) {
            let text = String(decoding: try JSONEncoder().encode(chunk), as: UTF8.self)
            let fast = try #require(StoredJSON.plainFloats(text), "\(text) should take the fast path")
            let reference = try JSONDecoder().decode([Float].self, from: Data(text.utf8))
            #expect(fast.map(\.bitPattern) == reference.map(\.bitPattern), "\(text)")
        }
    }

    /// Decimals of 15 significant digits whose nearest Double lies exactly halfway between two
    /// Floats (found by search: each is a little above or below that halfway point): rounding
    /// to Double and then to Float gives the other Float. The fast path must not; JSONDecoder
    /// and `Float(String)` round once. Also exact halfway points and their neighbours in
    /// few digits, where ties go to even.
    @Test(arguments: [
        "0.129426471889019", "0.000991142529528588", "0.00186674582073465", "0.0593880545347929",
        "0.779774397611618", "0.632070928812027", "0.0232365308329463", "0.483537033200264",
        "0.866183727979660", "0.0450067650526762", "0.00406717206351459", "0.0159767372533679",
        "33554434", "33554438", "-33554434", "33554435", "16777217", "16777219", "1e-22", "1e22", "9.99999999999999e21",
        // More than 19 significant digits: just above and just below the halfway point of 1 and the next Float.
        "1.0000000596046447753906250001", "1.0000000596046447753906249999", "0.12942647188901900001",
    ])
    func decimalsRoundingToAHalfwayDoubleAreRoundedOnce(_ number: String) throws {
        let text = "[\(number),\(number)]"
        let fast = try #require(StoredJSON.plainFloats(text))
        let reference = try JSONDecoder().decode([Float].self, from: Data(text.utf8))
        let once = try #require(Float(number))
        #expect(fast.map(\.bitPattern) == reference.map(\.bitPattern), "\(number): \(fast) against JSONDecoder's \(reference)")
        #expect(fast.map(\.bitPattern) == [once.bitPattern, once.bitPattern])
    }

    /// The store writes probabilities as exactly the text JSONEncoder would, and refuses (to
    /// JSONEncoder) what it cannot write.
    @Test func floatTextIsJSONEncodersText() throws {
        var generator = SystemRandomNumberGenerator()
        var values: [Float] = [0, -0, 1, -1, 2, 100, .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude, 1e-45, 0.1, 1 / 3, 0.99999994, 1e-5, 123456789, 16777216, 1e20]
        values += (0..<20_000).map { _ in Float(bitPattern: UInt32.random(in: 0...0x7F7F_FFFF, using: &generator)) * (Bool.random() ? 1 : -1) }
        values += (0..<20_000).map { _ in Float.random(in: 0...1, using: &generator) }
        for chunk in stride(from: 0, to: values.count, by: 3).map({ Array(values[$0..<min(values.count, $0 + 3)]) }) + [[]] {
            #expect(StoredJSON.text(of: chunk) == String(decoding: try JSONEncoder().encode(chunk), as: UTF8.self))
        }
        #expect(StoredJSON.text(of: [0.5, .nan]) == nil)
        #expect(StoredJSON.text(of: [.infinity]) == nil)
    }

    /// The JSON the store keeps a sample's attributes as: read back by JSONDecoder (and by the
    /// store's own reader), it is the attributes again, whatever the values hold.
    @Test(arguments: [
        ["age": "7", "sex": "female"],
        [:],
        ["quote\"d": "back\\slash", "line": "a\nb\r\tc", "bell": "\u{7}\u{1F}", "é": "ünïcødé 👩‍🦱", "slash": "a/b", "empty": ""],
    ] as [[String: String]])
    func attributesTextReadsBackAsTheAttributes(_ dictionary: [String: String]) throws {
        let pairs = dictionary.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
        let text = StoredJSON.text(of: pairs)
        #expect(try JSONDecoder().decode([String: String].self, from: Data(text.utf8)) == dictionary)
        #expect(try StoredJSON.strings(text, column: "attributes") == dictionary)
        if !dictionary.keys.contains(where: { $0.contains("\"") || $0.contains("\\") || $0.contains("\n") }) {
            #expect(text == String(decoding: try { let e = JSONEncoder(); e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]; return try e.encode(dictionary) }(), as: UTF8.self))
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var text: String
        var fast: Bool
        var testDescription: String { text }
    }

    static let floatCases: [Case] = [
        .init(text: "[]", fast: true), .init(text: "[0.5]", fast: true), .init(text: "[-0,1e-05,2E+3,0.25]", fast: true),
        .init(text: "[ 0.5]", fast: false), .init(text: "[0.5,]", fast: false), .init(text: "[.5]", fast: false), .init(text: "[+1]", fast: false),
        .init(text: "[01]", fast: false), .init(text: "[1.]", fast: false), .init(text: "[1e]", fast: false), .init(text: "[nan]", fast: false),
        .init(text: "[\"1\"]", fast: false), .init(text: "0.5", fast: false), .init(text: "", fast: false), .init(text: "[1,,2]", fast: false),
    ]

    @Test(arguments: floatCases)
    func floatTextTakesTheFastPathOnlyWhenPlain(_ c: Case) throws {
        let fast = StoredJSON.plainFloats(c.text)
        #expect((fast != nil) == c.fast)
        let reference = try? JSONDecoder().decode([Float].self, from: Data(c.text.utf8))
        if let fast { #expect(fast.map(\.bitPattern) == reference?.map(\.bitPattern)) }
        // The public entry point agrees with JSONDecoder either way, errors included.
        #expect((try? StoredJSON.floats(c.text, column: "c"))?.map(\.bitPattern) == reference?.map(\.bitPattern))
    }

    static let stringCases: [Case] = [
        .init(text: "{}", fast: true), .init(text: "{\"a\":\"1\"}", fast: true), .init(text: "{\"sex\":\"female\",\"age\":\"7\",\"é\":\"ü ☃\"}", fast: true),
        .init(text: "{\"a\":\"\"}", fast: true),
        .init(text: "{\"a\": \"1\"}", fast: false), .init(text: "{\"a\":\"x\\\"y\"}", fast: false), .init(text: "{\"a\":\"\\u00e9\"}", fast: false),
        .init(text: "{\"a\":\"1\",\"a\":\"2\"}", fast: false), .init(text: "{\"a\":1}", fast: false), .init(text: "{\"a\":\"1\",}", fast: false),
        .init(text: "{\"a\":\"1\"}x", fast: false), .init(text: "{\"a\"}", fast: false), .init(text: "[]", fast: false), .init(text: "{", fast: false),
    ]

    @Test(arguments: stringCases)
    func stringObjectTakesTheFastPathOnlyWhenPlain(_ c: Case) throws {
        let fast = StoredJSON.plainStrings(c.text)
        #expect((fast != nil) == c.fast)
        let reference = try? JSONDecoder().decode([String: String].self, from: Data(c.text.utf8))
        if let fast { #expect(fast == reference) }
        #expect((try? StoredJSON.strings(c.text, column: "c")) == reference)
    }

    /// What the SQLite store writes for attributes reads back unchanged, escapes included.
    @Test func encodedAttributesReadBack() throws {
        let attributes = ["plain": "x", "quote": "a\"b", "newline": "1\n2", "tab\tkey": "v", "unicode": "ø☃👍", "empty": ""]
        let text = String(decoding: try JSONEncoder().encode(attributes), as: UTF8.self)
        #expect(try StoredJSON.strings(text, column: "c") == attributes)
    }
}
