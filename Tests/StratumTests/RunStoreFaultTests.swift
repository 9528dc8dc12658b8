import Foundation
import StratumCore
import StratumMetrics
import StratumStore
import StratumTesting
import Testing

/// The conformance suite must catch a store that breaks the contract: a SQLite store wrapped
/// with one planted fault at a time must give at least one violation naming it.
@Suite struct RunStoreFaultTests {
    enum Fault: String, CaseIterable, CustomTestStringConvertible {
        /// Every run of an experiment gets number 1.
        case repeatedRunNumbers
        /// A batch with a duplicate keeps its other rows (no transaction).
        case partialBatches
        /// Runs whose holder is gone are never marked interrupted.
        case noReconcile
        /// A run's settings are those written last, not those it started with.
        case lastSettingsWin
        /// Predictions and variant statuses are written for any process, holder or not.
        case unheldWrites
        var testDescription: String { rawValue }
    }

    /// Delegates everything to a real store except the planted fault.
    final class FaultyStore: RunStore, @unchecked Sendable {
        let base: Store
        let fault: Fault
        init(_ base: Store, fault: Fault) { self.base = base; self.fault = fault }

        var isReadOnly: Bool { base.isReadOnly }
        func beginRun(experiment name: String, spec: String, specHash: String, gitCommit: String?, lease: RunLease) throws -> StoredRun {
            var run = try base.beginRun(experiment: name, spec: spec, specHash: specHash, gitCommit: gitCommit, lease: lease)
            if fault == .repeatedRunNumbers { run.number = 1 }
            return run
        }
        func resumeRun(_ runID: RunID, lease: RunLease) throws -> Bool { try base.resumeRun(runID, lease: lease) }
        func failRun(_ runID: RunID, error: String, heldBy lease: RunLease) throws { try base.failRun(runID, error: error, heldBy: lease) }
        func heartbeat(_ runID: RunID, heldBy lease: RunLease, at time: Date) throws -> Bool { try base.heartbeat(runID, heldBy: lease, at: time) }
        func finishRun(_ runID: RunID, status: RunStatus, error: String?) throws { try base.finishRun(runID, status: status, error: error) }
        func finishRun(_ runID: RunID, status: RunStatus, error: String?, heldBy lease: RunLease) throws -> Bool {
            try base.finishRun(runID, status: status, error: error, heldBy: lease)
        }
        func reconcileInterruptedRuns(observer: RunLease, now: Date) throws -> [StoredRun] {
            fault == .noReconcile ? [] : try base.reconcileInterruptedRuns(observer: observer, now: now)
        }
        func run(experiment: String?, number: Int?) throws -> (experiment: String, run: StoredRun) { try base.run(experiment: experiment, number: number) }
        func listRuns(experiment: String?) throws -> [RunListing] { try base.listRuns(experiment: experiment) }
        func recordSettings(_ runID: RunID, _ settings: String) throws -> String {
            fault == .lastSettingsWin ? settings : try base.recordSettings(runID, settings)
        }
        func joinShardedRun(experiment name: String, spec: String, specHash: String, gitCommit: String?, key: String?,
                            shardCount: Int, shardIndex: Int, lease: RunLease, now: Date) throws -> ShardJoin {
            try base.joinShardedRun(experiment: name, spec: spec, specHash: specHash, gitCommit: gitCommit, key: key,
                                    shardCount: shardCount, shardIndex: shardIndex, lease: lease, now: now)
        }
        func finishShard(_ runID: RunID, index: Int, lease: RunLease, now: Date) throws -> (done: Int, total: Int, finishing: Bool) {
            try base.finishShard(runID, index: index, lease: lease, now: now)
        }
        func shardHeartbeat(_ runID: RunID, index: Int, heldBy lease: RunLease, at time: Date) throws -> Bool {
            try base.shardHeartbeat(runID, index: index, heldBy: lease, at: time)
        }
        func shards(runID: RunID) throws -> [StoredShard] { try base.shards(runID: runID) }
        func storeDataset(manifestPath: String, manifestHash: String, labelColumn: String, labels: [String], samples: [Sample], runID: RunID,
                          returningIDsOf keys: [String]?) throws -> (datasetID: Int64, sampleIDs: [String: SampleID]) {
            try base.storeDataset(manifestPath: manifestPath, manifestHash: manifestHash, labelColumn: labelColumn, labels: labels, samples: samples,
                                  runID: runID, returningIDsOf: keys)
        }
        func datasetHash(runID: RunID) throws -> String? { try base.datasetHash(runID: runID) }
        func datasetLabels(runID: RunID) throws -> [String] { try base.datasetLabels(runID: runID) }
        func samples(runID: RunID) throws -> [StoredSample] { try base.samples(runID: runID) }
        func insertUnreadableSamples(runID: RunID, _ samples: [(sampleID: SampleID, reason: String)]) throws { try base.insertUnreadableSamples(runID: runID, samples) }
        func unreadableSamples(runID: RunID) throws -> [(key: String, path: String, reason: String)] { try base.unreadableSamples(runID: runID) }
        func deleteUnreadableSamples(runID: RunID, _ sampleIDs: [SampleID]) throws { try base.deleteUnreadableSamples(runID: runID, sampleIDs) }
        func insertImageFingerprints(runID: RunID, _ fingerprints: [(sampleID: SampleID, fingerprint: UInt64)]) throws {
            try base.insertImageFingerprints(runID: runID, fingerprints)
        }
        func forEachImageFingerprint(runID: RunID, _ body: (SampleID, UInt64) throws -> Void) throws { try base.forEachImageFingerprint(runID: runID, body) }
        func insertVariant(runID: RunID, name: String, kind: String, path: String, fileHash: String?, labels: [String]) throws -> VariantID {
            try base.insertVariant(runID: runID, name: name, kind: kind, path: path, fileHash: fileHash, labels: labels)
        }
        func updateVariant(_ variantID: VariantID, path: String?, fileHash: String?, labels: [String]) throws -> String? { try base.updateVariant(variantID, path: path, fileHash: fileHash, labels: labels) }
        func setVariantStatus(_ variantID: VariantID, _ status: VariantStatus, error: String?, heldBy lease: RunLease) throws {
            try base.setVariantStatus(variantID, status, error: error, heldBy: fault == .unheldWrites ? holder { try base.variants(runID: $0.id).contains { $0.id == variantID } } : lease)
        }
        func variants(runID: RunID) throws -> [StoredVariant] { try base.variants(runID: runID) }
        func insertPredictions(_ predictions: [StoredPrediction], heldBy lease: RunLease) throws {
            let lease = fault == .unheldWrites ? try predictions.first.map { first in try holder { $0.id == first.runID } } ?? lease : lease
            guard fault == .partialBatches else { return try base.insertPredictions(predictions, heldBy: lease) }
            var failure: Error?
            for prediction in predictions {
                do { try base.insertPredictions([prediction], heldBy: lease) } catch { failure = failure ?? error }
            }
            if let failure { throw failure }
        }
        func predictions(runID: RunID) throws -> [StoredPrediction] { try base.predictions(runID: runID) }
        func predictions(runID: RunID, variantID: VariantID) throws -> [StoredPrediction] { try base.predictions(runID: runID, variantID: variantID) }
        func predictedLabels(runID: RunID, variantID: VariantID) throws -> [SampleID: String] { try base.predictedLabels(runID: runID, variantID: variantID) }
        func clearDerivedResults(_ runID: RunID, heldBy lease: RunLease) throws { try base.clearDerivedResults(runID, heldBy: lease) }
        func insertSlices(runID: RunID, heldBy lease: RunLease, _ slices: [(name: String, definition: String, parts: [SlicePart], sampleIDs: [SampleID])]) throws -> [String: SliceID] {
            try base.insertSlices(runID: runID, heldBy: lease, slices)
        }
        func slices(runID: RunID) throws -> [StoredSlice] { try base.slices(runID: runID) }
        func insertMetrics(runID: RunID, variantID: VariantID, heldBy lease: RunLease, _ slices: [(sliceID: SliceID, metrics: SliceMetrics)]) throws {
            try base.insertMetrics(runID: runID, variantID: variantID, heldBy: lease, slices)
        }
        func metrics(named name: String, runID: RunID?, experiment: String?, slice: String?) throws -> [StoredMetric] {
            try base.metrics(named: name, runID: runID, experiment: experiment, slice: slice)
        }
        func allMetrics(runID: RunID) throws -> [StoredMetricRow] { try base.allMetrics(runID: runID) }
        func metricHistory(named name: String, slice: String, experiment: String?, datasetHash: String?) throws -> [MetricHistoryRow] {
            try base.metricHistory(named: name, slice: slice, experiment: experiment, datasetHash: datasetHash)
        }
        func confusionCells(runID: RunID) throws -> [StoredConfusionCell] { try base.confusionCells(runID: runID) }
        func insertComparison(_ comparison: StoredComparison) throws -> Int64 { try base.insertComparison(comparison) }
        func comparisons(candidateRunID: RunID) throws -> [StoredComparison] { try base.comparisons(candidateRunID: candidateRunID) }

        /// For `unheldWrites`: the lease the run is held under (the first run `matching`), whoever writes.
        private func holder(ofRunWhere matching: (StoredRun) throws -> Bool) throws -> RunLease {
            for listing in try base.listRuns(experiment: nil) {
                let run = try base.run(experiment: listing.experiment, number: listing.number).run
                if try matching(run) { return run.lease ?? .current }
            }
            return .current
        }
    }

    @Test(arguments: Fault.allCases)
    func conformanceCatchesAPlantedFault(_ fault: Fault) throws {
        let problems = RunStoreConformance.violations(of: FaultyStore(try Store(), fault: fault))
        #expect(!problems.isEmpty, "the conformance suite missed \(fault)")
    }

    @Test func theUnfaultedWrapperConforms() throws {
        let problems = RunStoreConformance.violations(of: FaultyStore(try Store(), fault: .repeatedRunNumbers).base)
        #expect(problems == [])
    }
}
