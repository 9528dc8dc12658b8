import Foundation
import GRDB
import StratumCore

/// What the `RunStore` protocol hands out: plain values with non-optional typed ids, the same
/// for every implementation (SQLite here; PostgreSQL for shards). No database type crosses it.

/// A stored run's id.
public struct RunID: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    public var rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
    public init(integerLiteral value: Int64) { rawValue = value }
    public var description: String { String(rawValue) }
}

/// A stored variant's id (one per variant per run).
public struct VariantID: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    public var rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
    public init(integerLiteral value: Int64) { rawValue = value }
    public var description: String { String(rawValue) }
}

/// A stored sample's id (one per manifest row per stored dataset; runs on the same manifest
/// content share them).
public struct SampleID: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    public var rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
    public init(integerLiteral value: Int64) { rawValue = value }
    public var description: String { String(rawValue) }
    public static func < (a: SampleID, b: SampleID) -> Bool { a.rawValue < b.rawValue }
}

/// Positions of sample ids in an array of them: a binary search when the ids ascend (as
/// stores return them), else a dictionary. 0 bytes beside the array in the usual case, where
/// a dictionary of a million ids would take ~30 MB.
public struct SampleIDIndex: Sendable {
    private let ids: [SampleID]
    private let byID: [SampleID: Int]?

    public init(_ ids: [SampleID]) {
        self.ids = ids
        let ascending = zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 }
        byID = ascending ? nil : Dictionary(ids.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The position of `id` (the first, should it appear twice), or nil.
    ///
    /// A store allocates a dataset's sample ids in order, so ascending ids are most often
    /// consecutive: `id - ids[0]` is then the position, checked in one look before the binary
    /// search. (Reading a 200,000-image run's predictions back for its reports, the binary
    /// searches were 6% of `stratum report`'s samples.)
    public subscript(id: SampleID) -> Int? {
        if let byID { return byID[id] }
        if let first = ids.first {
            let guess = id.rawValue &- first.rawValue
            if guess >= 0 && guess < ids.count && ids[Int(guess)] == id { return Int(guess) }
        }
        return ids.sortedIndex(of: id)
    }
}

/// A stored slice's id (one per slice per run).
public struct SliceID: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    public var rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
    public init(integerLiteral value: Int64) { rawValue = value }
    public var description: String { String(rawValue) }
}

/// A run as stored.
public struct StoredRun: Sendable, Equatable {
    public var id: RunID
    public var experiment: String
    /// 1, 2, 3… within the experiment.
    public var number: Int
    public var status: RunStatus
    public var startedAt: Date
    public var finishedAt: Date?
    /// The experiment file's text and its hash.
    public var spec: String
    public var specHash: String
    public var gitCommit: String?
    public var pid: Int32
    public var error: String?
    /// The holder's lease (nil for runs stored before leases).
    public var lease: RunLease?
    public var heartbeatAt: Date?
    /// How many shards share the run (nil: not sharded).
    public var shardCount: Int?

    public init(id: RunID, experiment: String, number: Int, status: RunStatus, startedAt: Date, finishedAt: Date?, spec: String, specHash: String,
                gitCommit: String?, pid: Int32, error: String?, lease: RunLease?, heartbeatAt: Date?, shardCount: Int? = nil) {
        self.id = id; self.experiment = experiment; self.number = number; self.status = status; self.startedAt = startedAt
        self.finishedAt = finishedAt; self.spec = spec; self.specHash = specHash; self.gitCommit = gitCommit; self.pid = pid
        self.error = error; self.lease = lease; self.heartbeatAt = heartbeatAt; self.shardCount = shardCount
    }
}

/// A variant of a run as stored.
public struct StoredVariant: Sendable, Equatable {
    public var id: VariantID
    public var runID: RunID
    public var name: String
    public var kind: String
    /// The model file that produced its predictions.
    public var path: String
    public var fileHash: String?
    /// Its labels, in the order of its probabilities.
    public var labels: [String]
    public var status: VariantStatus
    public var error: String?

    public init(id: VariantID, runID: RunID, name: String, kind: String, path: String, fileHash: String?, labels: [String], status: VariantStatus, error: String?) {
        self.id = id; self.runID = runID; self.name = name; self.kind = kind; self.path = path; self.fileHash = fileHash
        self.labels = labels; self.status = status; self.error = error
    }
}

/// One prediction: a variant's answer for a sample.
public struct StoredPrediction: Sendable, Equatable {
    public var runID: RunID
    public var variantID: VariantID
    public var sampleID: SampleID
    public var predicted: String
    /// One probability per label of the variant, in its label order.
    public var probabilities: [Float]

    public init(runID: RunID, variantID: VariantID, sampleID: SampleID, predicted: String, probabilities: [Float]) {
        self.runID = runID; self.variantID = variantID; self.sampleID = sampleID; self.predicted = predicted; self.probabilities = probabilities
    }
}

extension RunID: DatabaseValueConvertible {}
extension VariantID: DatabaseValueConvertible {}
extension SampleID: DatabaseValueConvertible {}
extension SliceID: DatabaseValueConvertible {}

extension RunRecord {
    /// The protocol's value for this row (which has been inserted, so it has an id).
    func stored(experiment: String) -> StoredRun {
        StoredRun(id: RunID(rawValue: id ?? -1), experiment: experiment, number: number, status: status, startedAt: startedAt, finishedAt: finishedAt,
                  spec: spec, specHash: specHash, gitCommit: gitCommit, pid: pid, error: error, lease: lease, heartbeatAt: heartbeatAt,
                  shardCount: shardCount)
    }
}

extension ModelVariantRecord {
    var stored: StoredVariant {
        StoredVariant(id: VariantID(rawValue: id ?? -1), runID: RunID(rawValue: runId), name: name, kind: kind, path: path, fileHash: fileHash,
                      labels: labels, status: status, error: error)
    }
}

extension PredictionRecord {
    var stored: StoredPrediction {
        StoredPrediction(runID: RunID(rawValue: runId), variantID: VariantID(rawValue: modelVariantId), sampleID: SampleID(rawValue: sampleId), predicted: predicted, probabilities: probabilities)
    }
}
