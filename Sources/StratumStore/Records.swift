import Foundation
import GRDB

// Table records. GRDB conventions: singular camelCase table names, `id` primary keys,
// `<table>Id` foreign keys. Array and dictionary properties are stored as JSON text.

public struct ExperimentRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "experiment"
    public var id: Int64?
    public var name: String
    public var createdAt: Date
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// Status values a run moves through.
public enum RunStatus: String, Codable, Sendable, DatabaseValueConvertible {
    /// Started and (as far as the store knows) still working.
    case running
    /// Every variant evaluated.
    case completed
    /// Finished, but at least one variant failed (its error is stored on the variant).
    case completedWithErrors = "completed_with_errors"
    /// Stopped by an error before finishing; earlier batches are kept.
    case failed
    /// The process died (crash, kill) while running; found by a later command.
    case interrupted
}

public struct RunRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "run"
    public var id: Int64?
    public var experimentId: Int64
    /// 1, 2, 3… within the experiment.
    public var number: Int
    public var status: RunStatus
    public var startedAt: Date
    public var finishedAt: Date?
    /// The experiment file's text.
    public var spec: String
    public var specHash: String
    public var gitCommit: String?
    public var datasetId: Int64?
    public var pid: Int32
    public var error: String?
    public var leaseHost: String?
    public var leaseProcessSpace: String?
    public var leaseProcessStart: String?
    public var heartbeatAt: Date?
    /// Shards sharing the run (nil: not sharded) and the key they meet under.
    public var shardCount: Int?
    public var shardKey: String?
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// The run's lease, when it recorded one (runs stored before leases did not).
    public var lease: RunLease? {
        guard let leaseHost, let leaseProcessSpace, let leaseProcessStart else { return nil }
        return RunLease(host: leaseHost, processSpace: leaseProcessSpace, pid: pid, processStart: leaseProcessStart)
    }
}

public struct DatasetRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "dataset"
    public var id: Int64?
    public var manifestPath: String
    public var manifestHash: String
    public var labelColumn: String
    public var labels: [String]
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

public struct SampleRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "sample"
    public var id: Int64?
    public var datasetId: Int64
    /// The manifest's id.
    public var key: String
    /// Path relative to the manifest.
    public var path: String
    public var label: String
    public var split: String
    public var attributes: [String: String]
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// Status of one variant within a run.
public enum VariantStatus: String, Codable, Sendable, DatabaseValueConvertible {
    case running, completed, failed
}

public struct ModelVariantRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "modelVariant"
    public var id: Int64?
    public var runId: Int64
    public var name: String
    public var kind: String
    public var path: String
    public var fileHash: String?
    public var labels: [String]
    public var status: VariantStatus
    public var error: String?
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

public struct PredictionRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "prediction"
    public var id: Int64?
    public var runId: Int64
    public var modelVariantId: Int64
    public var sampleId: Int64
    public var predicted: String
    /// One probability per label of the variant, in its label order.
    public var probabilities: [Float]

    public init(id: Int64? = nil, runId: Int64, modelVariantId: Int64, sampleId: Int64, predicted: String, probabilities: [Float]) {
        self.id = id
        self.runId = runId
        self.modelVariantId = modelVariantId
        self.sampleId = sampleId
        self.predicted = predicted
        self.probabilities = probabilities
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

public struct SliceRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "slice"
    public var id: Int64?
    public var runId: Int64
    public var name: String
    public var definition: String
    public var size: Int
    /// JSON `[SlicePart]`; nil for slices stored before v5.
    public var parts: String?
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

public struct MetricRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "metric"
    public var id: Int64?
    public var runId: Int64
    public var modelVariantId: Int64
    public var sliceId: Int64
    public var name: String
    /// NULL when the metric is undefined on this slice; `note` says why.
    public var value: Double?
    public var ciLow: Double?
    public var ciHigh: Double?
    public var n: Int
    public var note: String?
    /// The proportion's trials, or n for a mean over samples (nil for runs stored before v4).
    public var denominator: Int?
    /// `IntervalMethod` raw value.
    public var intervalMethod: String?
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

public struct ConfusionCellRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "confusionCell"
    public var runId: Int64
    public var modelVariantId: Int64
    public var sliceId: Int64
    public var trueLabel: String
    public var predictedLabel: String
    public var count: Int
}

/// A record whose id SQLite assigns: rows read back, or just inserted, always have one.
protocol StoredIDRecord: TableRecord {
    var id: Int64? { get }
}

extension StoredIDRecord {
    /// The row's id; a row without one (never read back from its table) is a store error.
    func storedID() throws -> Int64 {
        guard let id else { throw StoreError(path: Self.databaseTableName, message: "a \(Self.databaseTableName) row has no id") }
        return id
    }
}

extension ExperimentRecord: StoredIDRecord {}
extension RunRecord: StoredIDRecord {}
extension DatasetRecord: StoredIDRecord {}
extension SampleRecord: StoredIDRecord {}
extension SliceRecord: StoredIDRecord {}
