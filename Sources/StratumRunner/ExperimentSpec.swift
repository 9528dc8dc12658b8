import Foundation
import StratumCore
import StratumData
import Yams

/// An experiment file: dataset, label, split, variants and slices.
///
/// ```yaml
/// name: faces                      # optional; default: the file name without extension
/// dataset:
///   manifest: data/faces/manifest.csv   # or a generate block:
///   generate: {kind: faces, count: 2000, seed: 7, size: 96, out: data/faces}
///   label: sex                     # the label column
///   labels: [female, male]         # optional: allowed labels, in class order
///   split: test                    # the split to evaluate (default test; `all`: every sample)
///   train_split: train             # used by variants Stratum fits itself (default train)
/// variants:
///   - {name: logistic-baseline, kind: logistic, path: models/logistic.json, options: {C: 0.05}}
/// slices:
///   by: [age_group, hair_length]
///   named: {children: "age < 13"}
///   intersections: true            # pairwise (default true)
///   min_size: 10                   # default 1
/// batch_size: 32                   # default 32
/// ```
/// Relative paths are relative to the experiment file's folder.
public struct ExperimentSpec: Sendable {
    public struct Generate: Sendable, Equatable {
        public var kind: String
        public var count: Int
        public var seed: UInt64
        public var size: Int
        public var out: URL
    }

    public struct Variant: Sendable, Equatable {
        public var name: String
        public var kind: String
        public var path: URL
        public var options: [String: String]
    }

    public var file: URL
    public var text: String
    public var name: String
    public var manifest: URL
    public var generate: Generate?
    public var labelColumn: String
    public var labels: [String]?
    public var split: String
    public var trainSplit: String
    public var variants: [Variant]
    public var slices: SliceSpec
    public var batchSize: Int
    /// Turn images as their EXIF orientation tag says (`dataset.exif_orientation: apply`, the
    /// default) or use the stored pixels as they are (`ignore`).
    public var applyExifOrientation = true

    /// SHA-256 of the file's text.
    public var hash: String { SHA256.hex(Array(text.utf8)) }

    /// Reads and checks an experiment file; errors name the file, line and field.
    public static func load(_ url: URL) throws -> ExperimentSpec {
        let text: String
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ExperimentError(file: url.path, line: nil, field: nil, message: "is a folder; give the experiment's YAML file")
        }
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ExperimentError(file: url.path, line: nil, field: nil, message: "cannot read: \(FileAccessError.cause(of: error))")
        }
        return try parse(text, file: url)
    }

    /// Parses experiment YAML; `file` locates relative paths and names errors.
    public static func parse(_ text: String, file: URL) throws -> ExperimentSpec {
        let root: Node
        do {
            // Before Yams composes it: aliases in a mapping key expand while it hashes them.
            try YAMLExpansion.check(text)
        } catch let error as YAMLExpansion.TooLarge {
            throw ExperimentError(file: file.path, line: error.line, field: nil, message: "the file \(error.message)")
        }
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ExperimentError(file: file.path, line: nil, field: nil, message: "the file is empty")
            }
            root = node
        } catch let error as ExperimentError {
            throw error
        } catch let error as YamlError {
            throw ExperimentError(file: file.path, line: nil, field: nil, message: "invalid YAML: \(error)")
        } catch {
            throw ExperimentError(file: file.path, line: nil, field: nil, message: "invalid YAML: \(error)")
        }
        let reader = SpecReader(file: file)
        let base = file.deletingLastPathComponent()
        let top = try reader.mapping(root, "experiment", allowed: ["name", "dataset", "variants", "slices", "batch_size"])

        let name = try top["name"].map { try reader.string($0, "name") } ?? file.deletingPathExtension().lastPathComponent
        guard let datasetNode = top["dataset"] else { throw reader.error(root, "dataset", "is required") }
        let dataset = try reader.mapping(datasetNode, "dataset", allowed: ["manifest", "generate", "label", "labels", "split", "train_split", "exif_orientation"])

        var generate: Generate?
        var manifest: URL
        if let node = dataset["generate"] {
            let g = try reader.mapping(node, "dataset.generate", allowed: ["kind", "count", "seed", "size", "out"])
            let kind = try g["kind"].map { try reader.string($0, "dataset.generate.kind") } ?? "faces"
            guard kind == "faces" else { throw reader.error(node, "dataset.generate.kind", "unknown generator '\(kind)' (known: faces)") }
            guard let outNode = g["out"] else { throw reader.error(node, "dataset.generate.out", "is required") }
            let out = resolve(try reader.string(outNode, "dataset.generate.out"), against: base)
            generate = Generate(
                kind: kind,
                count: try g["count"].map { try reader.int($0, "dataset.generate.count", min: 1, max: FaceDatasetWriter.maxCount) } ?? 2000,
                seed: UInt64(try g["seed"].map { try reader.int($0, "dataset.generate.seed", min: 0) } ?? 1),
                size: try g["size"].map { try reader.int($0, "dataset.generate.size", min: 32) } ?? 96,
                out: out)
            manifest = out.appendingPathComponent("manifest.csv")
            if dataset["manifest"] != nil { throw reader.error(node, "dataset", "give either manifest or generate, not both") }
        } else if let node = dataset["manifest"] {
            manifest = resolve(try reader.string(node, "dataset.manifest"), against: base)
        } else {
            throw reader.error(datasetNode, "dataset", "needs a manifest or a generate block")
        }
        guard let labelNode = dataset["label"] else { throw reader.error(datasetNode, "dataset.label", "is required (the label column)") }
        let labelColumn = try reader.string(labelNode, "dataset.label")
        let labels = try dataset["labels"].map { try reader.strings($0, "dataset.labels") }
        if let labels, labels.count < 2 || Set(labels).count != labels.count {
            throw reader.error(dataset["labels"] ?? datasetNode, "dataset.labels", "must list at least two distinct labels")
        }

        guard let variantsNode = top["variants"], let variantList = variantsNode.sequence, !variantList.isEmpty else {
            throw reader.error(root, "variants", "must be a non-empty list")
        }
        var variants: [Variant] = []
        for (index, node) in variantList.enumerated() {
            let field = "variants[\(index)]"
            let v = try reader.mapping(node, field, allowed: ["name", "kind", "path", "options"])
            guard let nameNode = v["name"], let kindNode = v["kind"], let pathNode = v["path"] else {
                throw reader.error(node, field, "needs name, kind and path")
            }
            let variantName = try reader.string(nameNode, "\(field).name")
            if variants.contains(where: { $0.name == variantName }) { throw reader.error(nameNode, "\(field).name", "duplicate variant name '\(variantName)'") }
            var options: [String: String] = [:]
            if let optionsNode = v["options"] {
                for (key, value) in try reader.mapping(optionsNode, "\(field).options", allowed: nil) {
                    options[key] = try reader.optionText(value, "\(field).options.\(key)")
                }
            }
            variants.append(Variant(name: variantName, kind: try reader.string(kindNode, "\(field).kind"),
                                    path: resolve(try reader.string(pathNode, "\(field).path"), against: base),
                                    options: options))
        }

        var slices = SliceSpec()
        if let node = top["slices"] {
            let s = try reader.mapping(node, "slices", allowed: ["by", "named", "intersections", "min_size"])
            slices.by = try s["by"].map { try reader.strings($0, "slices.by") } ?? []
            if let namedNode = s["named"] {
                for (key, value) in try reader.mappingPairs(namedNode, "slices.named") {
                    guard !key.isEmpty else { throw reader.error(value, "slices.named", "a slice needs a non-empty name") }
                    let source = try reader.string(value, "slices.named.\(key)")
                    do {
                        _ = try SliceExpression(parsing: source)
                    } catch {
                        throw reader.error(value, "slices.named.\(key)", "bad expression '\(source)': \(error)")
                    }
                    slices.named.append((key, source))
                }
            }
            slices.intersections = try s["intersections"].map { try reader.bool($0, "slices.intersections") } ?? true
            slices.minSize = try s["min_size"].map { try reader.int($0, "slices.min_size", min: 1) } ?? 1
        }
        let batchSize = try top["batch_size"].map { try reader.int($0, "batch_size", min: 1) } ?? 32

        var applyExifOrientation = true
        if let node = dataset["exif_orientation"] {
            switch try reader.string(node, "dataset.exif_orientation") {
            case "apply": applyExifOrientation = true
            case "ignore": applyExifOrientation = false
            case let other: throw reader.error(node, "dataset.exif_orientation", "'\(other)' is not apply or ignore")
            }
        }
        var spec = ExperimentSpec(
            file: file, text: text, name: name, manifest: manifest, generate: generate, labelColumn: labelColumn, labels: labels,
            split: try dataset["split"].map { try reader.string($0, "dataset.split") } ?? "test",
            trainSplit: try dataset["train_split"].map { try reader.string($0, "dataset.train_split") } ?? "train",
            variants: variants, slices: slices, batchSize: batchSize)
        spec.applyExifOrientation = applyExifOrientation
        return spec
    }
}

/// An absolute path as is; a relative one against `base`.
func resolve(_ path: String, against base: URL) -> URL {
    (path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path)).standardizedFileURL
}

/// An experiment file is unreadable or does not describe a valid experiment.
public struct ExperimentError: Error, CustomStringConvertible, Equatable {
    public var file: String
    /// 1-based line of the offending node, when known.
    public var line: Int?
    /// The field path, e.g. `variants[1].kind`.
    public var field: String?
    public var message: String

    public var description: String {
        let place = line.map { "\(file):\($0)" } ?? file
        return field.map { "\(place): \($0): \(message)" } ?? "\(place): \(message)"
    }
}

/// Typed access to YAML nodes with errors that carry line and field.
struct SpecReader {
    let file: URL

    func error(_ node: Node, _ field: String, _ message: String) -> ExperimentError {
        ExperimentError(file: file.path, line: node.mark.map { $0.line }, field: field, message: message)
    }

    func mappingPairs(_ node: Node, _ field: String) throws -> [(String, Node)] {
        guard let mapping = node.mapping else { throw error(node, field, "must be a mapping") }
        return try mapping.map { key, value in
            guard let name = key.string else { throw error(key, field, "keys must be strings") }
            guard !name.utf8.contains(0) else { throw error(key, field, "keys must not contain a NUL character") }
            return (name, value)
        }
    }

    func mapping(_ node: Node, _ field: String, allowed: Set<String>?) throws -> [String: Node] {
        var result: [String: Node] = [:]
        for (key, value) in try mappingPairs(node, field) {
            if let allowed, !allowed.contains(key) {
                throw error(value, field, "unknown key '\(key)' (expected one of: \(allowed.sorted().joined(separator: ", ")))")
            }
            result[key] = value
        }
        return result
    }

    func string(_ node: Node, _ field: String) throws -> String {
        guard let scalar = node.scalar, !scalar.string.isEmpty else { throw error(node, field, "must be a non-empty value") }
        // SQLite and C strings end at NUL: a name "a\0b" was stored as "a" (two variants then
        // collided in the store, exit 1); no path or name needs one.
        guard !scalar.string.utf8.contains(0) else { throw error(node, field, "must not contain a NUL character") }
        return scalar.string
    }

    /// Limits on one option value: YAML aliases can make a kilobyte expand to billions of
    /// nodes (an "alias bomb"); the expansion is counted and stopped at these.
    static let optionNodeLimit = 10_000
    static let optionDepthLimit = 32

    /// A scalar option as its text; a list or mapping of scalars as JSON text.
    func optionText(_ node: Node, _ field: String) throws -> String {
        var visited = 0
        func json(_ node: Node, depth: Int) throws -> Any {
            visited += 1
            guard visited <= Self.optionNodeLimit, depth <= Self.optionDepthLimit else {
                throw error(node, field, "is too large: more than \(Self.optionNodeLimit) values or \(Self.optionDepthLimit) levels once YAML aliases are expanded")
            }
            if let sequence = node.sequence { return try sequence.map { try json($0, depth: depth + 1) } }
            if let mapping = node.mapping {
                var object: [String: Any] = [:]
                for (key, value) in mapping {
                    guard let name = key.string else { throw error(key, field, "keys must be strings") }
                    object[name] = try json(value, depth: depth + 1)
                }
                return object
            }
            return try string(node, field)
        }
        if node.sequence != nil || node.mapping != nil {
            let data = try JSONSerialization.data(withJSONObject: try json(node, depth: 0), options: [.sortedKeys])
            return String(decoding: data, as: UTF8.self)
        }
        return try string(node, field)
    }

    func strings(_ node: Node, _ field: String) throws -> [String] {
        guard let sequence = node.sequence else { throw error(node, field, "must be a list") }
        return try sequence.map { try string($0, field) }
    }

    func int(_ node: Node, _ field: String, min: Int) throws -> Int {
        guard let value = node.int, value >= min else { throw error(node, field, "must be an integer ≥ \(min)") }
        return value
    }

    func int(_ node: Node, _ field: String, min: Int, max: Int) throws -> Int {
        guard let value = node.int, value >= min, value <= max else { throw error(node, field, "must be an integer in \(min)…\(max)") }
        return value
    }

    func bool(_ node: Node, _ field: String) throws -> Bool {
        guard let value = node.bool else { throw error(node, field, "must be true or false") }
        return value
    }
}
