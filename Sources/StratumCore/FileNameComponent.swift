/// File-name components made from user-given names (experiments, variants, slices).
///
/// The mapping is one-to-one: a name made only of letters, digits, `-`, `_` and `.` (and not
/// `.`, `..` or starting with `.`) is used as it is; any other name has each other character
/// replaced by `_` and the first 8 hex digits of the name's SHA-256 appended, so `a/b` and
/// `a_b` never share a file, and no name can climb out of its folder or hide as a dotfile.
public enum FileNameComponent {
    public static func safe(_ name: String) -> String {
        let allowed: (Character) -> Bool = { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }
        if !name.isEmpty, !name.hasPrefix("."), name.count <= 120, name.allSatisfy(allowed) { return name }
        let readable = String(name.prefix(80).map { allowed($0) ? $0 : "_" })
        let trimmed = readable.drop { $0 == "." }
        return (trimmed.isEmpty ? "_" : String(trimmed)) + "-" + SHA256.hex(Array(name.utf8)).prefix(8)
    }
}
