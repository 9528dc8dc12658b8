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
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ManifestError(file: file, issues: [.init(line: nil, problem: .unreadable(error.localizedDescription))])
        }
        var text = String(decoding: data, as: UTF8.self)
        // A byte-order mark (as spreadsheet programs write) is not part of the first column's name.
        if text.unicodeScalars.first == "\u{FEFF}" { text.unicodeScalars.removeFirst() }
        let (header, rows) = try parse(text, file: file, isJSONLines: ["jsonl", "ndjson"].contains(url.pathExtension.lowercased()))
        guard !rows.isEmpty else { throw ManifestError(file: file, issues: [.init(line: nil, problem: .empty)]) }
        let required = [columns.id, columns.path, columns.label, columns.split]
        let missing = required.filter { !header.contains($0) }
        if !missing.isEmpty {
            throw ManifestError(file: file, issues: missing.map { .init(line: nil, problem: .missingColumn($0, available: header)) })
        }

        let root = url.deletingLastPathComponent().standardizedFileURL
        // Containment is checked on resolved paths too: a symlink inside the folder may not lead out of it.
        let resolvedRoot = Self.realPath(root.path) ?? root.path
        var issues: [ManifestError.Issue] = []
        var firstLine: [String: Int] = [:]
        var samples: [Sample] = []
        for (line, values) in rows {
            var rowIssues: [ManifestError.Problem] = []
            for column in required where (values[column] ?? "").isEmpty { rowIssues.append(.emptyValue(column: column)) }
            for (column, value) in values.sorted(by: { $0.key < $1.key }) where value.utf8.contains(0) || column.utf8.contains(0) {
                rowIssues.append(.nulCharacter(column: column))
            }
            let id = values[columns.id] ?? "", path = values[columns.path] ?? ""
            let label = values[columns.label] ?? "", split = values[columns.split] ?? ""
            if !id.isEmpty {
                if let first = firstLine[id] { rowIssues.append(.duplicateID(id, firstLine: first)) } else { firstLine[id] = line }
            }
            var imageURL = root
            if !path.isEmpty {
                imageURL = root.appendingPathComponent(path).standardizedFileURL
                if path.hasPrefix("/") || !imageURL.path.hasPrefix(root.path + "/") {
                    rowIssues.append(.pathEscapesDataset(path))
                } else if checkFiles && !FileManager.default.fileExists(atPath: imageURL.path) {
                    rowIssues.append(.missingFile(path))
                } else if let resolved = Self.realPath(imageURL.path), !resolved.hasPrefix(resolvedRoot + "/") {
                    rowIssues.append(.symlinkEscapesDataset(path, target: resolved))
                }
            }
            if let allowed = allowedLabels, !label.isEmpty, !allowed.contains(label) {
                rowIssues.append(.unknownLabel(label, allowed: allowed))
            }
            issues += rowIssues.map { .init(line: line, problem: $0) }
            if rowIssues.isEmpty {
                var attributes = values
                attributes[columns.id] = nil
                attributes[columns.path] = nil
                samples.append(Sample(id: id, url: imageURL, relativePath: path, label: label, split: split, attributes: attributes, line: line))
            }
        }
        if !issues.isEmpty { throw ManifestError(file: file, issues: issues) }
        let labels = allowedLabels ?? Array(Set(samples.map(\.label))).sorted()
        return Dataset(manifest: url, root: root, columns: header, samples: samples, labels: labels, manifestHash: SHA256.hex(data))
    }

    /// The canonical absolute path (every symlink resolved), or nil when it does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Rows as column → value maps, with their line numbers.
    static func parse(_ text: String, file: String, isJSONLines: Bool) throws -> (header: [String], rows: [(Int, [String: String])]) {
        if isJSONLines { return try parseJSONLines(text, file: file) }
        let table: CSVTable
        do {
            table = try CSVTable(parsing: text)
        } catch let error as CSVSyntaxError {
            throw ManifestError(file: file, issues: [.init(line: error.line, problem: .malformedCSV(error.message))])
        }
        var issues: [ManifestError.Issue] = []
        var rows: [(Int, [String: String])] = []
        for (line, fields) in table.records {
            guard fields.count == table.header.count else {
                issues.append(.init(line: line, problem: .wrongFieldCount(expected: table.header.count, found: fields.count)))
                continue
            }
            rows.append((line, Dictionary(zip(table.header, fields), uniquingKeysWith: { first, _ in first })))
        }
        if !issues.isEmpty { throw ManifestError(file: file, issues: issues) }
        return (table.header, rows)
    }

    static func parseJSONLines(_ text: String, file: String) throws -> (header: [String], rows: [(Int, [String: String])]) {
        var header: [String] = []
        var seen = Set<String>()
        var rows: [(Int, [String: String])] = []
        var issues: [ManifestError.Issue] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
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
