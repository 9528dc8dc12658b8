import Foundation
import StratumCore

/// Which manifest columns hold the id, path, label and split.
public struct ManifestColumns: Sendable, Equatable {
    public var id: String
    public var path: String
    public var label: String
    public var split: String
    public init(id: String = "id", path: String = "path", label: String = "label", split: String = "split") {
        self.id = id
        self.path = path
        self.label = label
        self.split = split
    }
}

/// A validated dataset: every sample's image exists inside the dataset folder.
public struct Dataset: Sendable {
    /// The manifest file.
    public var manifest: URL
    /// The folder image paths are relative to (the manifest's folder).
    public var root: URL
    public var columns: [String]
    public var samples: [Sample]
    /// Class labels: the allowed ones when given, else the sorted distinct label values.
    public var labels: [String]
    /// SHA-256 of the manifest bytes.
    public var manifestHash: String

    /// Samples of one split, in manifest order.
    /// The samples of `split`; `all` (unless the manifest has a split of that name) is every sample.
    public func samples(inSplit split: String) -> [Sample] {
        if split == Self.allSplits && !samples.contains(where: { $0.split == split }) { return samples }
        // Every sample in the split: the same array, not a copy of it.
        if samples.allSatisfy({ $0.split == split }) { return samples }
        return samples.filter { $0.split == split }
    }

    /// The split name that means every sample (`dataset.split: all`).
    public static let allSplits = "all"
}

/// Reads CSV (`.csv`) and JSON Lines (`.jsonl`, `.ndjson`) manifests and validates them.
///
/// Checks, all reported together with their line numbers: required columns present,
/// no empty id/path/label/split, unique ids, paths relative and inside the manifest's
/// folder, image files present, labels among `allowedLabels` when given.
public enum ManifestReader {
    public static func read(_ url: URL, columns: ManifestColumns = ManifestColumns(), allowedLabels: [String]? = nil, checkFiles: Bool = true) throws -> Dataset {
        let file = url.path
        // The bytes are hashed and decoded, then let go: only the text is held while parsing.
        let manifestHash: String
        var text: String
        do {
            let data = try Data(contentsOf: url)
            manifestHash = SHA256.hex(data)
            text = String(decoding: data, as: UTF8.self)
        } catch {
            throw ManifestError(file: file, issues: [.init(line: nil, problem: .unreadable(error.localizedDescription))])
        }
        // A byte-order mark (as spreadsheet programs write) is not part of the first column's name.
        if text.unicodeScalars.first == "\u{FEFF}" { text.unicodeScalars.removeFirst() }
        var issues: [ManifestError.Issue] = []
        var table: SampleTable.Builder?
        let root = url.deletingLastPathComponent().standardizedFileURL
        let sampleRoot = SampleRoot(root)
        // Containment is checked on resolved paths too: a symlink inside the folder may not lead out of it.
        let resolvedRoot = Self.realPath(root.path) ?? root.path
        // Canonical paths of the folders the images are in (most manifests use a few).
        var resolvedFolders: [String: String?] = [:]
        var firstLine: [String: Int] = [:]
        let required = [columns.id, columns.path, columns.label, columns.split]
        // Set once the header is known: each column's field, and the attribute schema every
        // sample shares (every column but the id and path).
        var fieldOf: [String: Int] = [:]
        var columnsByName: [(name: String, field: Int)] = []
        var attributeFields: [Int] = []
        let header = try rows(of: text, file: file, isJSONLines: ["jsonl", "ndjson"].contains(url.pathExtension.lowercased())) { header in
            let missing = required.filter { !header.contains($0) }
            if !missing.isEmpty {
                throw ManifestError(file: file, issues: missing.map { .init(line: nil, problem: .missingColumn($0, available: header)) })
            }
            var seen = Set<String>()
            let repeated = header.filter { !seen.insert($0).inserted }
            if !repeated.isEmpty {
                throw ManifestError(file: file, issues: Array(Set(repeated)).sorted().map { .init(line: 1, problem: .duplicateColumn($0)) })
            }
            for (field, name) in header.enumerated() where fieldOf[name] == nil { fieldOf[name] = field }
            columnsByName = fieldOf.map { ($0.key, $0.value) }.sorted { $0.name < $1.name }
            let attributeNames = header.enumerated().filter { fieldOf[$0.element] == $0.offset && $0.element != columns.id && $0.element != columns.path }
            let schema = AttributeSchema(attributeNames.map(\.element))
            attributeFields = attributeNames.map(\.offset)
            table = SampleTable.Builder(root: sampleRoot, schema: schema)
        } row: { line, fields in
            func value(_ column: String) -> String { fieldOf[column].flatMap { fields[$0] } ?? "" }
            var rowIssues: [ManifestError.Problem] = []
            for column in required where value(column).isEmpty { rowIssues.append(.emptyValue(column: column)) }
            for (column, field) in columnsByName where fields[field].map({ $0.utf8.contains(0) || column.utf8.contains(0) }) ?? false {
                rowIssues.append(.nulCharacter(column: column))
            }
            let id = value(columns.id), path = value(columns.path)
            let label = value(columns.label), split = value(columns.split)
            if !id.isEmpty {
                if let first = firstLine[id] { rowIssues.append(.duplicateID(id, firstLine: first)) } else { firstLine[id] = line }
            }
            if !path.isEmpty {
                let imagePath = Self.plainJoin(root.path, path) ?? root.appendingPathComponent(path).standardizedFileURL.path
                if path.hasPrefix("/") || !imagePath.hasPrefix(root.path + "/") {
                    rowIssues.append(.pathEscapesDataset(path))
                } else {
                    let resolved: String?
                    if let (folder, name) = Self.regularFile(imagePath), let folderResolved = resolvedFolders[folder] ?? {
                        let canonical = Self.realPath(folder)
                        resolvedFolders[folder] = .some(canonical)
                        return canonical
                    }() {
                        // The common case, a regular file: its canonical path is its folder's plus
                        // its name, and the folder's is looked up once (one lstat a row instead of
                        // URL standardising, a stat and a realpath: ~2 s of a 200,000-row manifest).
                        resolved = folderResolved + "/" + name
                    } else if checkFiles && !FileManager.default.fileExists(atPath: imagePath) {
                        rowIssues.append(.missingFile(path))
                        resolved = nil
                    } else {
                        resolved = Self.realPath(imagePath)
                    }
                    if let resolved, !resolved.hasPrefix(resolvedRoot + "/") {
                        rowIssues.append(.symlinkEscapesDataset(path, target: resolved))
                    }
                }
            }
            if let allowed = allowedLabels, !label.isEmpty, !allowed.contains(label) {
                rowIssues.append(.unknownLabel(label, allowed: allowed))
            }
            issues += rowIssues.map { .init(line: line, problem: $0) }
            if rowIssues.isEmpty && issues.isEmpty {
                // (Once a row has a problem the run cannot start: no more samples are kept.)
                table?.append(id: id, relativePath: path, label: label, split: split, attributes: attributeFields.lazy.map { fields[$0] }, line: line)
            }
        }
        guard let header else { throw ManifestError(file: file, issues: [.init(line: nil, problem: .empty)]) }
        if !issues.isEmpty { throw ManifestError(file: file, issues: issues) }
        // Parsing is done: the text and the id index go before the table is built (at 200,000
        // rows they were ~25 MB of the run's peak, held beside the table's two copies).
        text = ""
        firstLine = [:]
        let samples = table.take()?.build().samples ?? []
        var distinct = Set<String>()
        for sample in samples { distinct.insert(sample.label) }
        let labels = allowedLabels ?? distinct.sorted()
        return Dataset(manifest: url, root: root, columns: header, samples: samples, labels: labels, manifestHash: manifestHash)
    }

    /// `root/path` when `path` is plain (relative, no empty, `.` or `..` component, no
    /// backslash or percent sign), where standardising the URL would give the same string;
    /// nil for any other path, which takes the URL route.
    static func plainJoin(_ root: String, _ path: String) -> String? {
        guard !path.hasPrefix("/"), !path.hasSuffix("/"), !path.utf8.contains(0x5C), !path.utf8.contains(0x25) else { return nil }
        for component in path.utf8.split(separator: 0x2F, omittingEmptySubsequences: false) {
            if component.isEmpty || component.elementsEqual([0x2E]) || component.elementsEqual([0x2E, 0x2E]) { return nil }
        }
        return root + "/" + path
    }

    /// The folder and name of `path` when it is a regular file itself (not a symlink: `lstat`),
    /// else nil.
    static func regularFile(_ path: String) -> (folder: String, name: String)? {
        var status = stat()
        guard lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG,
              let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return nil }
        return (String(path[..<slash]), String(path[path.index(after: slash)...]))
    }

    /// The canonical absolute path (every symlink resolved), or nil when it does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Calls `header` once with the column names, then `row` for every record in order with its
    /// line and one field per column (`nil` where a JSON Lines record lacks the key). CSV is
    /// read record by record, so a large manifest is never held as a table of strings beside
    /// its samples. Returns the header, or nil when there are no records at all. Syntax and
    /// field-count problems are all reported together, with their lines.
    static func rows(of text: String, file: String, isJSONLines: Bool, header: ([String]) throws -> Void,
                     row: (Int, [String?]) throws -> Void) throws -> [String]? {
        if isJSONLines {
            let (names, records) = try parseJSONLines(text, file: file)
            guard !records.isEmpty else { return nil }
            try header(names)
            for (line, values) in records { try row(line, names.map { values[$0] }) }
            return names
        }
        var names: [String]?
        var issues: [ManifestError.Issue] = []
        var fields: [String?] = []
        var records = 0
        do {
            try CSVTable.forEachRecord(in: text) { line, record in
                guard let names else {
                    names = record.map { $0.trimmingCharacters(in: .whitespaces) }
                    return
                }
                guard record.count == names.count else {
                    issues.append(.init(line: line, problem: .wrongFieldCount(expected: names.count, found: record.count)))
                    return
                }
                // After a malformed record only the count of fields is checked: the manifest is
                // refused whatever the rest says.
                guard issues.isEmpty else { return }
                if records == 0 { try header(names) }
                records += 1
                fields.removeAll(keepingCapacity: true)
                fields.append(contentsOf: record.lazy.map { Optional($0) })
                try row(line, fields)
            }
        } catch let error as CSVSyntaxError {
            throw ManifestError(file: file, issues: [.init(line: error.line, problem: .malformedCSV(error.message))])
        }
        if !issues.isEmpty { throw ManifestError(file: file, issues: issues) }
        return records == 0 ? nil : names
    }

    static func parseJSONLines(_ text: String, file: String) throws -> (header: [String], rows: [(Int, [String: String])]) {
        var header: [String] = []
        var seen = Set<String>()
        var rows: [(Int, [String: String])] = []
        var issues: [ManifestError.Issue] = []
        // Lines split on the LF byte: CR LF is one `Character`, so splitting the string on "\n"
        // left a file written on Windows as one line.
        for (index, bytes) in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let trimmed = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            guard let object = try? JSONDecoder().decode([String: JSONScalar].self, from: Data(trimmed.utf8)) else {
                issues.append(.init(line: index + 1, problem: .malformedJSON("each line must be one JSON object of strings, numbers and booleans")))
                continue
            }
            var values: [String: String] = [:]
            for (key, value) in object {
                if !seen.contains(key) { seen.insert(key); header.append(key) }
                values[key] = value.text
            }
            rows.append((index + 1, values))
        }
        if !issues.isEmpty { throw ManifestError(file: file, issues: issues) }
        return (header.sorted(), rows)
    }
}

/// A JSON Lines manifest value: string, number, boolean or null, kept as text.
struct JSONScalar: Decodable {
    var text: String

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            text = ""
        } else if let bool = try? container.decode(Bool.self) {
            text = bool ? "true" : "false"
        } else if let int = try? container.decode(Int.self) {
            text = String(int)
        } else if let double = try? container.decode(Double.self) {
            text = String(double)
        } else {
            text = try container.decode(String.self)
        }
    }
}
