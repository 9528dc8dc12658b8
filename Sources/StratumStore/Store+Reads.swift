import Foundation
import GRDB
import StratumCore

/// A slice of a stored run with the manifest ids of its members.
public struct StoredSlice: Sendable {
    public var id: SliceID
    public var name: String
    public var definition: String
    /// Its samples' store ids, ascending.
    public var memberIDs: [SampleID]
    /// What it is made of; for slices stored before parts were, recovered from the name.
    public var parts: [SlicePart]

    public init(id: SliceID, name: String, definition: String, memberIDs: [SampleID], parts: [SlicePart]) {
        self.id = id
        self.name = name
        self.definition = definition
        self.memberIDs = memberIDs
        self.parts = parts
    }
}

/// A stored sample with its image path resolved.
///
/// Reports and statistics read every sample of a run, so a run's stored samples are views of
/// one column-wise `SampleTable` (see `Sample`), built by `StoredSamplesBuilder`.
public struct StoredSample: Sendable {
    public var id: SampleID
    /// The row: its `id` is the manifest's key, `relativePath` the stored path.
    public let sample: Sample

    public var key: String { sample.id }
    /// The dataset's folder at run time (the manifest's).
    public var root: SampleRoot { sample.root ?? SampleRoot(sample.url.deletingLastPathComponent()) }
    /// The image path relative to the dataset root (as the manifest gives it).
    public var path: String { sample.relativePath }
    public var label: String { sample.label }
    public var split: String { sample.split }
    public var attributes: SampleAttributes { sample.attributes }

    /// The image file: `path` inside `root`.
    public var image: URL { root.file(path) }

    public init(id: SampleID, sample: Sample) {
        self.id = id
        self.sample = sample
    }

    public init(id: SampleID, key: String, root: SampleRoot, path: String, label: String, split: String, attributes: SampleAttributes) {
        self.init(id: id, sample: Sample(id: key, root: root, relativePath: path, label: label, split: split, attributes: attributes, line: 0))
    }
}

/// Collects a run's stored sample rows into one `SampleTable` (what every store's
/// `samples(runID:)` returns).
public struct StoredSamplesBuilder {
    private var table: SampleTable.Builder
    private var ids: [SampleID] = []

    /// Rows whose paths are relative to `root`.
    public init(root: SampleRoot) {
        table = SampleTable.Builder(root: root)
    }

    public mutating func append(id: SampleID, key: String, path: String, label: String, split: String, attributes: [String: String]) {
        table.append(id: key, relativePath: path, label: label, split: split, attributes: attributes, line: 0)
        ids.append(id)
    }

    public consuming func build() -> [StoredSample] {
        let ids = self.ids
        let table = table.build()
        return ids.indices.map { StoredSample(id: ids[$0], sample: table[$0]) }
    }
}

/// One metric value of a variant on a slice in one run.
public struct StoredMetric: Sendable {
    public var runNumber: Int
    public var variant: String
    public var slice: String
    public var name: String
    public var value: Double?
    public var ciLow: Double?
    public var ciHigh: Double?
    public var n: Int

    public init(runNumber: Int, variant: String, slice: String, name: String, value: Double?, ciLow: Double?, ciHigh: Double?, n: Int) {
        self.runNumber = runNumber
        self.variant = variant
        self.slice = slice
        self.name = name
        self.value = value
        self.ciLow = ciLow
        self.ciHigh = ciHigh
        self.n = n
    }
}

extension StoredSlice {
    /// The parts of a slice stored before v5, from its name (`a=x & b=y`, `children`).
    public static func legacyParts(_ name: String) -> [SlicePart] {
        guard name != "overall" else { return [] }
        return name.components(separatedBy: " & ").map { part in
            guard let equals = part.firstIndex(of: "=") else { return .named(part) }
            return .attribute(String(part[..<equals]), value: String(part[part.index(after: equals)...]))
        }
    }
}

extension Store {
    /// The run `number` of `experiment`, or its latest run when `number` is nil; with no
    /// experiment, the only one stored, or (no number) the experiment of the run started last.
    public func run(experiment: String?, number: Int?) throws -> (experiment: String, run: StoredRun) {
        try read { db in
            let names = try String.fetchAll(db, sql: "SELECT name FROM experiment ORDER BY name")
            let name: String
            if let experiment {
                guard names.contains(experiment) else {
                    throw StoreError(path: path ?? ":memory:", message: "no experiment '\(experiment)' (stored: \(names.joined(separator: ", ")))", isBadInput: true)
                }
                name = experiment
            } else if names.count == 1, let only = names.first {
                name = only
            } else if number == nil, let newest = try String.fetchOne(db, sql: """
                SELECT e.name FROM run r JOIN experiment e ON e.id = r.experimentId ORDER BY r.startedAt DESC, r.id DESC LIMIT 1
                """) {
                // `latest` with several experiments: the run started last, whichever experiment.
                name = newest
            } else {
                throw StoreError(path: path ?? ":memory:", message: names.isEmpty ? "no runs stored yet" : "several experiments stored (\(names.joined(separator: ", "))); name one as EXPERIMENT/N", isBadInput: true)
            }
            let request = RunRecord.joining(required: RunRecord.belongsTo(ExperimentRecord.self).filter(Column("name") == name))
            let run = number == nil
                ? try request.order(Column("number").desc).fetchOne(db)
                : try request.filter(Column("number") == number).fetchOne(db)
            guard let run else {
                throw StoreError(path: path ?? ":memory:", message: "experiment '\(name)' has no run \(number.map(String.init) ?? "yet")", isBadInput: true)
            }
            return (name, run.stored(experiment: name))
        }
    }

    public func variants(runID: RunID) throws -> [StoredVariant] {
        try read { try ModelVariantRecord.filter(Column("runId") == runID).order(Column("id")).fetchAll($0).map(\.stored) }
    }

    public func predictions(runID: RunID) throws -> [StoredPrediction] {
        try predictions(where: "runId = ?", [runID])
    }

    public func predictions(runID: RunID, variantID: VariantID) throws -> [StoredPrediction] {
        try predictions(where: "runId = ? AND modelVariantId = ?", [runID, variantID])
    }

    public func forEachPrediction(runID: RunID, variantID: VariantID, _ body: (StoredPrediction) throws -> Void) throws {
        try forEachPrediction(where: "runId = ? AND modelVariantId = ?", [runID, variantID], body)
    }

    /// Predictions matching `condition`, in the order they were stored.
    private func predictions(where condition: String, _ arguments: StatementArguments) throws -> [StoredPrediction] {
        var predictions: [StoredPrediction] = []
        try forEachPrediction(where: condition, arguments) { predictions.append($0) }
        return predictions
    }

    /// Each prediction matching `condition`, in the order stored, read from a cursor (rows
    /// decoded by hand: a run's reads go through millions of them).
    private func forEachPrediction(where condition: String, _ arguments: StatementArguments, _ body: (StoredPrediction) throws -> Void) throws {
        try read { db in
            let rows = try Row.fetchCursor(db, sql: "SELECT runId, modelVariantId, sampleId, predicted, probabilities FROM prediction WHERE \(condition) ORDER BY id",
                                           arguments: arguments)
            // Columns by position, as selected: by name, each read hashed the name (a tenth of
            // `report`'s time on a 200,000-image run).
            while let row = try rows.next() {
                try body(StoredPrediction(runID: RunID(rawValue: row[0]), variantID: VariantID(rawValue: row[1]),
                                          sampleID: SampleID(rawValue: row[2]), predicted: row[3],
                                          probabilities: try StoredJSON.floats(row[4], column: "prediction.probabilities")))
            }
        }
    }

    public func slices(runID: RunID) throws -> [StoredSlice] {
        try read { db in
            let slices = try SliceRecord.filter(Column("runId") == runID).order(Column("id")).fetchAll(db)
            // Each slice's array at its exact size: grown by appending, a 200,000-sample run's
            // million members were held in ~34 MB instead of 8.
            var members: [Int64: [SampleID]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT m.sliceId, count(*) FROM sliceMember m JOIN slice sl ON sl.id = m.sliceId WHERE sl.runId = ? GROUP BY m.sliceId
                """, arguments: [runID]) {
                var ids: [SampleID] = []
                ids.reserveCapacity(row[1] as Int)
                members[row[0] as Int64] = ids
            }
            let rows = try Row.fetchCursor(db, sql: """
                SELECT m.sliceId, m.sampleId FROM sliceMember m JOIN slice sl ON sl.id = m.sliceId
                WHERE sl.runId = ? ORDER BY m.sliceId, m.sampleId
                """, arguments: [runID])
            while let row = try rows.next() { members[row[0] as Int64, default: []].append(SampleID(rawValue: row[1])) }
            return try slices.map {
                let id = try $0.storedID()
                return StoredSlice(id: SliceID(rawValue: id), name: $0.name, definition: $0.definition, memberIDs: members[id] ?? [],
                            parts: $0.parts.flatMap { try? JSONDecoder().decode([SlicePart].self, from: Data($0.utf8)) } ?? StoredSlice.legacyParts($0.name))
            }
        }
    }

    /// The samples of the run's dataset, images resolved against the manifest's folder.
    public func samples(runID: RunID) throws -> [StoredSample] {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT d.id, d.manifestPath FROM run r JOIN dataset d ON d.id = r.datasetId WHERE r.id = ?", arguments: [runID]) else {
                return []
            }
            let root = SampleRoot(URL(fileURLWithPath: row["manifestPath"] as String).deletingLastPathComponent())
            var samples = StoredSamplesBuilder(root: root)
            let rows = try Row.fetchCursor(db, sql: "SELECT id, key, path, label, split, attributes FROM sample WHERE datasetId = ? ORDER BY id",
                                           arguments: [row["id"] as Int64])
            while let row = try rows.next() {  // columns by position, as selected
                samples.append(id: SampleID(rawValue: row[0]), key: row[1], path: row[2], label: row[3], split: row[4],
                               attributes: try StoredJSON.strings(row[5], column: "sample.attributes"))
            }
            return samples.build()
        }
    }

    /// Metrics named `name` of one run, or of every run of `experiment` (oldest first).
    public func metrics(named name: String, runID: RunID? = nil, experiment: String? = nil, slice: String? = nil) throws -> [StoredMetric] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT r.number, v.name AS variant, s.name AS slice, m.name, m.value, m.ciLow, m.ciHigh, m.n
                FROM metric m JOIN run r ON r.id = m.runId JOIN experiment e ON e.id = r.experimentId
                JOIN modelVariant v ON v.id = m.modelVariantId JOIN slice s ON s.id = m.sliceId
                WHERE m.name = ? AND (? IS NULL OR r.id = ?) AND (? IS NULL OR e.name = ?) AND (? IS NULL OR s.name = ?)
                ORDER BY r.number, v.id, s.id
                """, arguments: [name, runID, runID, experiment, experiment, slice, slice])
            return rows.map {
                StoredMetric(runNumber: $0["number"], variant: $0["variant"], slice: $0["slice"], name: $0["name"],
                             value: $0["value"], ciLow: $0["ciLow"], ciHigh: $0["ciHigh"], n: $0["n"])
            }
        }
    }
}
