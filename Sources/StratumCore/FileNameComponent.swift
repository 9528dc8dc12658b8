/// File-name components made from user-given names (experiments, variants, slices).
///
/// The mapping is one-to-one: a name made only of letters, digits, `-`, `_` and `.` (and not
/// `.`, `..` or starting with `.`), at most `plainLimit` bytes long and not itself ending the
/// way a hashed name ends (`-` and 16 hex digits), is used as it is; any other name has each
/// other character replaced by `_`, is cut to 80 characters, and gets the first 16 hex digits
/// of its SHA-256 appended. So `a/b` and `a_b` never share a file, a name that looks hashed
/// (`a_b-c14cddc033f64b9d`) is hashed again rather than taken for `a/b`'s file, no name can climb out
/// of its folder or hide as a dotfile, and a component stays far below the 255 bytes a file
/// name may have, with room for the prefixes and suffixes the reports add.
///
/// 16 digits, 64 bits: with 8 (until 2026-12), two names differing only in characters that
/// become `_` (`v x?x*x*x*x?x!x` and `v x!x?x x x x?x`) were found to share a file in a
/// second of trying 2^21 of them, so one variant's or experiment's reports overwrote another's.
public enum FileNameComponent {
    /// The longest name used as it is, in bytes.
    public static let plainLimit = 100

    public static func safe(_ name: String) -> String {
        isPlain(name) ? name : hashed(name, key: Array(name.utf8))
    }

    /// Several names as one component, `separator` between them, one-to-one over the list:
    /// the names are joined as they are when each is plain, the result is at most 200 bytes,
    /// and `separator` occurs in it exactly between them (so the parts can be read back:
    /// with variants `x-vs-y` and `z`, `disagreement-x-vs-y-vs-z` could also be `x` and
    /// `y-vs-z`); otherwise hashed over the list.
    public static func joined(_ names: [String], separator: String) -> String {
        let joined = names.joined(separator: separator)
        if names.allSatisfy(isPlain), joined.utf8.count <= 2 * plainLimit, occurrences(of: Array(separator.utf8), in: Array(joined.utf8)) == names.count - 1 {
            return joined
        }
        // Each name with its length in front: no two lists give the same bytes.
        let key = names.flatMap { Array("\($0.utf8.count):".utf8) + Array($0.utf8) }
        return hashed(joined, key: key)
    }

    static func allowed(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "-" || character == "_" || character == ".")
    }

    static func isPlain(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && name.utf8.count <= plainLimit && name.allSatisfy(allowed) && !looksHashed(name)
    }

    /// Hex digits of the SHA-256 a hashed name ends with.
    static let hashDigits = 16

    /// Ends with `-` and `hashDigits` lowercase hex digits, as `hashed` names do.
    static func looksHashed(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard bytes.count > hashDigits, bytes[bytes.count - hashDigits - 1] == UInt8(ascii: "-") else { return false }
        return bytes.suffix(hashDigits).allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    static func hashed(_ readable: String, key: [UInt8]) -> String {
        let shown = String(readable.prefix(80).map { allowed($0) ? $0 : "_" }).drop { $0 == "." }
        return (shown.isEmpty ? "_" : String(shown)) + "-" + SHA256.hex(key).prefix(hashDigits)
    }

    /// Occurrences of `pattern` in `text`, overlapping ones included.
    static func occurrences(of pattern: [UInt8], in text: [UInt8]) -> Int {
        guard !pattern.isEmpty, text.count >= pattern.count else { return 0 }
        return (0...(text.count - pattern.count)).filter { text[$0..<($0 + pattern.count)].elementsEqual(pattern) }.count
    }
}
