import Foundation
import StratumCore
import StratumMetrics

/// Everything the runner, the reports and the commands need from a store of runs. `Store`
/// (SQLite through GRDB) implements it; a second implementation (PostgreSQL, for shards on
/// several machines) implements the same requirements. Callers outside this module use only
/// this protocol: no database type crosses it.
///
/// Contract, for every implementation:
/// - run numbers are allocated atomically per experiment (two writers never share one);
/// - every write method is one transaction (a batch of predictions is stored whole or not at all);
/// - a prediction is unique per run, variant and sample (inserting one twice is an error);
/// - a running run holds a `RunLease`, renewed by `heartbeat`; `reconcileInterruptedRuns`
///   marks runs whose holder is gone as interrupted;
/// - a read-only store (`isReadOnly`) answers every read and never writes.
public protocol RunStore: AnyObject, Sendable {
    var isReadOnly: Bool { get }

    // Runs and leases
    func beginRun(experiment name: String, spec: String, specHash: String, gitCommit: String?, lease: RunLease) throws -> RunRecord
    func resumeRun(_ runID: Int64, lease: RunLease) throws
    func heartbeat(_ runID: Int64, at time: Date) throws
    func finishRun(_ runID: Int64, status: RunStatus, error: String?) throws
    @discardableResult func reconcileInterruptedRuns(observer: RunLease, now: Date) throws -> [RunRecord]
    func run(experiment: String?, number: Int?) throws -> (experiment: String, run: RunRecord)
    func listRuns(experiment: String?) throws -> [RunListing]

    // Dataset and samples
    func storeDataset(manifestPath: String, manifestHash: String, labelColumn: String, labels: [String], samples: [Sample], runID: Int64) throws -> (datasetID: Int64, sampleIDs: [String: Int64])
    func datasetHash(runID: Int64) throws -> String?
    func datasetLabels(runID: Int64) throws -> [String]
    func samples(runID: Int64) throws -> [StoredSample]
    func insertUnreadableSamples(runID: Int64, _ samples: [(sampleID: Int64, reason: String)]) throws
    func unreadableSamples(runID: Int64) throws -> [(key: String, path: String, reason: String)]

    // Variants and predictions
    func insertVariant(runID: Int64, name: String, kind: String, path: String, fileHash: String?, labels: [String]) throws -> Int64
    func updateVariant(_ variantID: Int64, path: String?, fileHash: String?, labels: [String]) throws
    func setVariantStatus(_ variantID: Int64, _ status: VariantStatus, error: String?) throws
    func variants(runID: Int64) throws -> [ModelVariantRecord]
    func insertPredictions(_ predictions: [PredictionRecord]) throws
    func predictions(runID: Int64) throws -> [PredictionRecord]
    func predictedLabels(runID: Int64, variantID: Int64) throws -> [Int64: String]

    // Slices and metrics
    func clearDerivedResults(_ runID: Int64) throws
    func insertSlices(runID: Int64, _ slices: [(name: String, definition: String, sampleIDs: [Int64])]) throws -> [String: Int64]
    func slices(runID: Int64) throws -> [StoredSlice]
    func insertMetrics(runID: Int64, variantID: Int64, sliceID: Int64, metrics: SliceMetrics) throws
    func metrics(named name: String, runID: Int64?, experiment: String?, slice: String?) throws -> [StoredMetric]
    func allMetrics(runID: Int64) throws -> [StoredMetricRow]
    func metricHistory(named name: String, slice: String, experiment: String?, datasetHash: String?) throws -> [MetricHistoryRow]
    func confusionCells(runID: Int64) throws -> [StoredConfusionCell]

    // Comparisons
    func insertComparison(_ comparison: StoredComparison) throws -> Int64
    func comparisons(candidateRunID: Int64) throws -> [StoredComparison]
}

extension RunStore {
    /// Begins a run held by this process.
    public func beginRun(experiment name: String, spec: String, specHash: String, gitCommit: String?) throws -> RunRecord {
        try beginRun(experiment: name, spec: spec, specHash: specHash, gitCommit: gitCommit, lease: .current)
    }
    public func resumeRun(_ runID: Int64) throws { try resumeRun(runID, lease: .current) }
    public func heartbeat(_ runID: Int64) throws { try heartbeat(runID, at: Date()) }
    public func finishRun(_ runID: Int64, status: RunStatus) throws { try finishRun(runID, status: status, error: nil) }
    @discardableResult public func reconcileInterruptedRuns() throws -> [RunRecord] { try reconcileInterruptedRuns(observer: .current, now: Date()) }
    public func listRuns() throws -> [RunListing] { try listRuns(experiment: nil) }
    public func updateVariant(_ variantID: Int64, fileHash: String?, labels: [String]) throws {
        try updateVariant(variantID, path: nil, fileHash: fileHash, labels: labels)
    }
    public func setVariantStatus(_ variantID: Int64, _ status: VariantStatus) throws { try setVariantStatus(variantID, status, error: nil) }
    public func metrics(named name: String, runID: Int64) throws -> [StoredMetric] {
        try metrics(named: name, runID: runID, experiment: nil, slice: nil)
    }
}

/// Opens the store a command names: today a SQLite file path (writable when this process may
/// write it, else read-only).
public enum RunStores {
    public static func open(_ location: String) throws -> any RunStore { try Store.open(path: location) }
    /// Opens (creating and migrating when needed) a store for writing.
    public static func openForWriting(_ location: String) throws -> any RunStore { try Store(path: location) }
}

extension Store: RunStore {}
