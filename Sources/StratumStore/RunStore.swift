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
    func beginRun(experiment name: String, spec: String, specHash: String, gitCommit: String?, lease: RunLease) throws -> StoredRun
    /// Takes the run over if it is still interrupted or failed, in one statement; false when
    /// another process took it first (two `run --resume` at once were both let through).
    @discardableResult func resumeRun(_ runID: RunID, lease: RunLease) throws -> Bool
    /// Renews the run's lease, only while `lease` holds it (running, under that lease); false
    /// when it does not: a process that lost the run, or a shard that never held it, must not
    /// keep another holder looking alive.
    @discardableResult func heartbeat(_ runID: RunID, heldBy lease: RunLease, at time: Date) throws -> Bool
    func finishRun(_ runID: RunID, status: RunStatus, error: String?) throws
    /// `finishRun`, only while `lease` holds the run (running, under that lease); false when it
    /// does not (another process took the run over, its lease having expired).
    func finishRun(_ runID: RunID, status: RunStatus, error: String?, heldBy lease: RunLease) throws -> Bool
    /// Marks the run failed only while `lease` still holds it: a process that lost its run to
    /// another (stopped past the lease's expiry, then continued) left the other's run `failed`.
    func failRun(_ runID: RunID, error: String, heldBy lease: RunLease) throws
    @discardableResult func reconcileInterruptedRuns(observer: RunLease, now: Date) throws -> [StoredRun]
    func run(experiment: String?, number: Int?) throws -> (experiment: String, run: StoredRun)
    /// The settings the run's metrics are computed with besides its data (text the runner
    /// encodes: the bootstrap's resamples and seed). Records `settings` unless some are recorded
    /// already, in one transaction, and returns those recorded (`settings` when none were): the
    /// process that starts a run records its own, and every later one (a resume, a shard
    /// joining, `finalize`) gets them back.
    func recordSettings(_ runID: RunID, _ settings: String) throws -> String
    func listRuns(experiment: String?) throws -> [RunListing]

    // Sharded runs (several processes, one run; see `joinShardedRun`)
    func joinShardedRun(experiment name: String, spec: String, specHash: String, gitCommit: String?, key: String?,
                        shardCount: Int, shardIndex: Int, lease: RunLease, now: Date) throws -> ShardJoin
    /// Marks the shard completed. With every shard done, the shard also takes the run's lease
    /// (`lease`) in the same transaction, and `finishing` is true: it is to compute the metrics
    /// and draw the reports, and the run reads as alive (not stuck) while it does. A shard run
    /// again after every shard was done takes it only from a holder that is gone; while another
    /// finisher (the last shard, `finalize`) lives, `finishing` is false.
    func finishShard(_ runID: RunID, index: Int, lease: RunLease, now: Date) throws -> (done: Int, total: Int, finishing: Bool)
    /// Renews the shard's lease, only while `lease` holds the shard (running, under that lease).
    @discardableResult func shardHeartbeat(_ runID: RunID, index: Int, heldBy lease: RunLease, at time: Date) throws -> Bool
    func shards(runID: RunID) throws -> [StoredShard]

    // Dataset and samples
    /// Stores the dataset once per manifest content (idempotent) and ties the run to it, with
    /// `labels`, the run's class list (another experiment on the same manifest may list other
    /// classes, or the same in another order); returns the ids of the samples named by `keys`
    /// (every sample when nil: a shard asks for its own).
    func storeDataset(manifestPath: String, manifestHash: String, labelColumn: String, labels: [String], samples: [Sample], runID: RunID,
                      returningIDsOf keys: [String]?) throws -> (datasetID: Int64, sampleIDs: [String: SampleID])
    func datasetHash(runID: RunID) throws -> String?
    /// The class list the run was stored with (`storeDataset`'s `labels`).
    func datasetLabels(runID: RunID) throws -> [String]
    func samples(runID: RunID) throws -> [StoredSample]
    func insertUnreadableSamples(runID: RunID, _ samples: [(sampleID: SampleID, reason: String)]) throws
    func unreadableSamples(runID: RunID) throws -> [(key: String, path: String, reason: String)]
    /// Forgets that these samples were unreadable (a resumed run decodes them again).
    func deleteUnreadableSamples(runID: RunID, _ sampleIDs: [SampleID]) throws
    /// Records the fingerprint of each sample's image file as the run decoded it, replacing one
    /// recorded before (`ContentFingerprint`; a resume compares the files with them).
    func insertImageFingerprints(runID: RunID, _ fingerprints: [(sampleID: SampleID, fingerprint: UInt64)]) throws
    /// Calls `body` with each of the run's recorded image fingerprints, read as they come (a
    /// report of a 200,000-sample run held them all in a dictionary only to pick a few).
    /// `body` must not use the store.
    func forEachImageFingerprint(runID: RunID, _ body: (SampleID, UInt64) throws -> Void) throws

    // Variants and predictions
    func insertVariant(runID: RunID, name: String, kind: String, path: String, fileHash: String?, labels: [String]) throws -> VariantID
    /// Records the variant's model (path, file hash, labels) unless another file hash is
    /// already recorded for it, in one transaction; returns that other hash then, having written
    /// nothing. Two shards that started at once with different model files both found no hash
    /// recorded and both wrote theirs: the run mixed two models (store review).
    @discardableResult
    func updateVariant(_ variantID: VariantID, path: String?, fileHash: String?, labels: [String]) throws -> String?
    /// Sets a variant's status, only while `lease` holds its run or one of the run's shards
    /// (else `RunLostError`, nothing written: a process woken after its lease expired must not
    /// mark failed a variant the process that took over has completed).
    func setVariantStatus(_ variantID: VariantID, _ status: VariantStatus, error: String?, heldBy lease: RunLease) throws
    func variants(runID: RunID) throws -> [StoredVariant]
    /// Stores a batch of predictions, only while `lease` holds the run of each or one of its
    /// shards (else `RunLostError`, nothing written: a process woken after its lease expired
    /// would otherwise store predictions the taker is computing too, and whichever came second
    /// failed on the unique key — the taker's run with it).
    func insertPredictions(_ predictions: [StoredPrediction], heldBy lease: RunLease) throws
    func predictions(runID: RunID) throws -> [StoredPrediction]
    /// One variant's predictions (what a reader that goes variant by variant holds at once).
    func predictions(runID: RunID, variantID: VariantID) throws -> [StoredPrediction]
    /// One variant's predictions, each passed to `body` in the order stored, none held after it
    /// returns (the default reads `predictions(runID:variantID:)`; SQLite and PostgreSQL read a
    /// cursor). `body` must not use the store.
    func forEachPrediction(runID: RunID, variantID: VariantID, _ body: (StoredPrediction) throws -> Void) throws
    func predictedLabels(runID: RunID, variantID: VariantID) throws -> [SampleID: String]

    // Slices and metrics
    /// Deletes the run's slices, metrics and confusion cells, only while `lease` holds the run;
    /// throws `RunLostError` when it does not (a process woken after its lease expired must not
    /// wipe what the process that took the run over has stored).
    func clearDerivedResults(_ runID: RunID, heldBy lease: RunLease) throws
    /// Stores slices and their members, only while `lease` holds the run (else `RunLostError`,
    /// nothing written: a finisher woken after its lease expired must not add to the results of
    /// the process that took the run over); returns slice ids by name.
    func insertSlices(runID: RunID, heldBy lease: RunLease, _ slices: [(name: String, definition: String, parts: [SlicePart], sampleIDs: [SampleID])]) throws -> [String: SliceID]
    func slices(runID: RunID) throws -> [StoredSlice]
    /// Stores every metric and the confusion matrix of one variant on each of `slices`, in one
    /// transaction (a variant's 30 slices one transaction each were 45 ms of SQLite commits),
    /// only while `lease` holds the run (else `RunLostError`, nothing written).
    func insertMetrics(runID: RunID, variantID: VariantID, heldBy lease: RunLease, _ slices: [(sliceID: SliceID, metrics: SliceMetrics)]) throws
    func metrics(named name: String, runID: RunID?, experiment: String?, slice: String?) throws -> [StoredMetric]
    func allMetrics(runID: RunID) throws -> [StoredMetricRow]
    func metricHistory(named name: String, slice: String, experiment: String?, datasetHash: String?) throws -> [MetricHistoryRow]
    func confusionCells(runID: RunID) throws -> [StoredConfusionCell]

    // Comparisons
    func insertComparison(_ comparison: StoredComparison) throws -> Int64
    func comparisons(candidateRunID: RunID) throws -> [StoredComparison]
}

/// This process no longer holds the run: it was taken over by another process (this one had
/// stopped renewing its lease long enough for it to expire: frozen, or cut off from the store).
public struct RunLostError: Error, CustomStringConvertible, Equatable {
    public var runID: RunID
    public init(runID: RunID) { self.runID = runID }
    public var description: String {
        "another process took this run over (this process's lease had expired); what it stored stands, and this process stops without writing"
    }
}

extension RunStore {
    /// Begins a run held by this process.
    public func beginRun(experiment name: String, spec: String, specHash: String, gitCommit: String?) throws -> StoredRun {
        try beginRun(experiment: name, spec: spec, specHash: specHash, gitCommit: gitCommit, lease: .current)
    }
    @discardableResult public func resumeRun(_ runID: RunID) throws -> Bool { try resumeRun(runID, lease: .current) }
    /// Stores the dataset and returns every sample's id.
    public func storeDataset(manifestPath: String, manifestHash: String, labelColumn: String, labels: [String], samples: [Sample],
                             runID: RunID) throws -> (datasetID: Int64, sampleIDs: [String: SampleID]) {
        try storeDataset(manifestPath: manifestPath, manifestHash: manifestHash, labelColumn: labelColumn, labels: labels, samples: samples,
                         runID: runID, returningIDsOf: nil)
    }
    /// Renews this process's lease on the run.
    @discardableResult public func heartbeat(_ runID: RunID) throws -> Bool { try heartbeat(runID, heldBy: .current, at: Date()) }
    public func finishRun(_ runID: RunID, status: RunStatus) throws { try finishRun(runID, status: status, error: nil) }
    @discardableResult public func reconcileInterruptedRuns() throws -> [StoredRun] { try reconcileInterruptedRuns(observer: .current, now: Date()) }
    public func listRuns() throws -> [RunListing] { try listRuns(experiment: nil) }
    @discardableResult
    public func updateVariant(_ variantID: VariantID, fileHash: String?, labels: [String]) throws -> String? {
        try updateVariant(variantID, path: nil, fileHash: fileHash, labels: labels)
    }
    /// `setVariantStatus` as this process (`RunLease.current`).
    public func setVariantStatus(_ variantID: VariantID, _ status: VariantStatus, error: String? = nil) throws {
        try setVariantStatus(variantID, status, error: error, heldBy: .current)
    }
    /// `insertPredictions` as this process (`RunLease.current`).
    public func insertPredictions(_ predictions: [StoredPrediction]) throws { try insertPredictions(predictions, heldBy: .current) }
    /// The run's recorded image fingerprints, by sample.
    public func imageFingerprints(runID: RunID) throws -> [SampleID: UInt64] {
        var result: [SampleID: UInt64] = [:]
        try forEachImageFingerprint(runID: runID) { result[$0] = $1 }
        return result
    }
    public func forEachPrediction(runID: RunID, variantID: VariantID, _ body: (StoredPrediction) throws -> Void) throws {
        for prediction in try predictions(runID: runID, variantID: variantID) { try body(prediction) }
    }
    public func metrics(named name: String, runID: RunID) throws -> [StoredMetric] {
        try metrics(named: name, runID: runID, experiment: nil, slice: nil)
    }
}

extension Store: RunStore {}
