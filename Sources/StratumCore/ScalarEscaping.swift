/// Escaping text for another language (gnuplot, HTML, CSV, a terminal) one Unicode scalar at
/// a time.
///
/// Escaping must not work on `Character`s. A quote followed by a combining mark (U+0301, say)
/// is one `Character` that is not equal to `"'"`, so `replacingOccurrences(of: "'", …)` and a
/// `switch` over characters both leave it alone, while gnuplot (which reads bytes) and an
/// HTML parser (which reads code points) see the quote and end the string there. Likewise
/// CR LF is one `Character`, so splitting on `"\n"` never splits it.
extension String {
    /// The string with every Unicode scalar for which `replacement` returns text replaced by
    /// that text; scalars for which it returns nil are kept.
    public func mappingScalars(_ replacement: (Unicode.Scalar) -> String?) -> String {
        var out = String.UnicodeScalarView()
        for scalar in unicodeScalars {
            if let text = replacement(scalar) { out.append(contentsOf: text.unicodeScalars) } else { out.append(scalar) }
        }
        return String(out)
    }

    /// Whether any of the string's Unicode scalars satisfies `predicate`.
    public func containsScalar(where predicate: (Unicode.Scalar) -> Bool) -> Bool {
        unicodeScalars.contains(where: predicate)
    }

    /// The string for a terminal: every control character (Cc: escape, line breaks, tabs, NUL,
    /// DEL…) and Unicode line or paragraph separator shown as `\u{…}` instead of acting on the
    /// terminal (colours, cursor moves, a title) or breaking a table's lines.
    public var terminalSafe: String {
        guard containsScalar(where: Self.isLineOrControl) else { return self }
        return mappingScalars { Self.isLineOrControl($0) ? "\\u{\(String($0.value, radix: 16, uppercase: true))}" : nil }
    }

    /// Control characters (Cc) and the Unicode line and paragraph separators.
    public static func isLineOrControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator: true
        default: false
        }
    }
}
