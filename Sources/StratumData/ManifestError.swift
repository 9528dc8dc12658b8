/// A manifest failed to load or validate; lists every problem found, each with its line.
public struct ManifestError: Error, CustomStringConvertible, Equatable {
    public enum Problem: Equatable, Sendable {
        case unreadable(String)
        case malformedCSV(String)
        case malformedJSON(String)
        case empty
        case missingColumn(String, available: [String])
        case wrongFieldCount(expected: Int, found: Int)
        case emptyValue(column: String)
        case duplicateID(String, firstLine: Int)
        case missingFile(String)
        case pathEscapesDataset(String)
        /// The path is inside the folder as written, but a symlink on it leads to `target` outside.
        case symlinkEscapesDataset(String, target: String)
        case unknownLabel(String, allowed: [String])
        /// A NUL character in a value: no text column of a store can keep it (PostgreSQL
        /// refuses it), and nothing that names a sample needs it.
        case nulCharacter(column: String)
        /// Two columns of one name: which holds the label (or an attribute) is ambiguous.
        case duplicateColumn(String)
    }

    public struct Issue: Equatable, Sendable {
        /// 1-based line (CSV) or record number (JSONL); nil for file-level problems.
        public var line: Int?
        public var problem: Problem
        public init(line: Int?, problem: Problem) {
            self.line = line
            self.problem = problem
        }
    }

    /// The manifest file.
    public var file: String
    public var issues: [Issue]

    public init(file: String, issues: [Issue]) {
        self.file = file
        self.issues = issues
    }

    /// At most 20 problems are spelled out; the count of the rest follows.
    public var description: String {
        let shown = issues.prefix(20).map { issue in
            let place = issue.line.map { "\(file):\($0)" } ?? file
            return "\(place): \(Self.text(issue.problem))"
        }
        let more = issues.count > 20 ? ["… and \(issues.count - 20) more problems"] : []
        return (shown + more).joined(separator: "\n")
    }

    public static func text(_ problem: Problem) -> String {
        switch problem {
        case .unreadable(let message): return "cannot read manifest: \(message)"
        case .malformedCSV(let message): return "malformed CSV: \(message)"
        case .malformedJSON(let message): return "malformed JSON: \(message)"
        case .empty: return "manifest has no rows"
        case .missingColumn(let column, let available):
            return "missing column '\(column)' (columns present: \(available.joined(separator: ", ")))"
        case .wrongFieldCount(let expected, let found): return "expected \(expected) fields, found \(found)"
        case .emptyValue(let column): return "empty value in column '\(column)'"
        case .duplicateID(let id, let firstLine): return "duplicate id '\(id)' (first used on line \(firstLine))"
        case .missingFile(let path): return "image file not found: \(path)"
        case .pathEscapesDataset(let path): return "path '\(path)' leaves the dataset folder"
        case .symlinkEscapesDataset(let path, let target): return "path '\(path)' is a symlink (or under one) leading out of the dataset folder, to \(target)"
        case .unknownLabel(let label, let allowed):
            return "unknown label '\(label)' (expected one of: \(allowed.joined(separator: ", ")))"
        case .nulCharacter(let column): return "a NUL character in column '\(column)' (not allowed in any value)"
        case .duplicateColumn(let name): return "the header names column '\(name)' more than once (which one holds its values would be a guess)"
        }
    }
}
