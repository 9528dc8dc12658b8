import Foundation
import StratumMetrics
import StratumStore

/// A run's evaluated samples and every completed variant's answers, as `VariantOutcomes` over
/// one label order (the dataset's), read back from the store. Metrics, comparisons, gates and
/// slice discovery all start here, so they see exactly what the store holds.
public struct RunOutcomes: Sendable {
    public struct Variant: Sendable {
        public var name: String
        public var outcomes: VariantOutcomes
    }

    public struct Slice: Sendable {
        public var name: String
        public var definition: String
        public var slice: EvaluationSlice
    }

    public var experiment: String
    public var run: StoredRun
    public var labels: [String]
    /// The evaluated samples (the `overall` slice), in store order.
    public var samples: [StoredSample]
    public var variants: [Variant]
    public var slices: [Slice]

    public func variant(named name: String) -> Variant? { variants.first { $0.name == name } }

    /// Builds outcomes from one variant's stored predictions, read one at a time (what is
    /// kept is compact: two label indices and the probabilities per sample).
    /// - Parameters:
    ///   - labels: the common label order (the dataset's).
    ///   - sampleIDs: the evaluated samples' store ids.
    ///   - variantLabels: the variant's own label order (its probabilities follow it).
    ///   - truth: each sample's true label as an index into `labels` (`truthIndices`), one array
    ///     shared by every variant.
    static func outcomes(labels: [String], sampleIDs: [SampleID], truth: [Int32], variantLabels: [String],
                         store: any RunStore, runID: RunID, variantID: VariantID, variant: String) throws -> VariantOutcomes {
        let index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, Int32($0)) })
        let k = labels.count, n = sampleIDs.count
        let remap = variantLabels.map { index[$0] }
        let positions = SampleIDIndex(sampleIDs)
        // -1: no usable prediction (none, or a label outside the dataset's). The last stored
        // prediction of a sample counts, should it have two.
        var predicted = [Int32](repeating: -1, count: n)
        var probabilities = [Float](repeating: 0, count: n * k)
        var fullRow = [Bool](repeating: false, count: n)
        try store.forEachPrediction(runID: runID, variantID: variantID) { prediction in
            guard let i = positions[prediction.sampleID] else { return }
            predicted[i] = index[prediction.predicted] ?? -1
            fullRow[i] = prediction.probabilities.count == variantLabels.count
            for j in 0..<k { probabilities[i * k + j] = 0 }
            if fullRow[i] {
                for (j, value) in prediction.probabilities.enumerated() {
                    if let target = remap[j] { probabilities[i * k + Int(target)] = value }
                }
            }
        }
        precondition(truth.count == n, "one true label per sample")
        guard predicted.allSatisfy({ $0 >= 0 }) else {
            throw RunError(message: "variant '\(variant)' has no usable prediction for every evaluated sample (the run is incomplete)")
        }
        return VariantOutcomes(labels: labels, truth: truth, predicted: predicted, floatProbabilities: fullRow.allSatisfy { $0 } ? probabilities : [])
    }

    /// Each label's index into `labels`; throws for a label that is not one of them.
    static func truthIndices(labels: [String], truth: some Sequence<String>) throws -> [Int32] {
        let index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, Int32($0)) })
        return try truth.map { label in
            guard let t = index[label] else { throw RunError(message: "sample label '\(label)' is not one of the dataset's labels") }
            return t
        }
    }

    /// The completed variants of run `number` of `experiment` (latest when nil).
    public static func load(store: any RunStore, experiment: String?, number: Int?) throws -> RunOutcomes {
        let (name, run) = try store.run(experiment: experiment, number: number)
        let runID = run.id
        let stored = try store.samples(runID: runID)
        let slices = try store.slices(runID: runID)
        guard let overall = slices.first(where: { $0.name == "overall" }) else {
            throw RunError(message: "\(name)/\(run.number) has no stored slices (status: \(run.status.rawValue)); metrics are computed when a run finishes")
        }
        let storedPosition = SampleIDIndex(stored.map(\.id))
        let samples = overall.memberIDs.compactMap { storedPosition[$0].map { stored[$0] } }
        let sampleIDs = samples.map(\.id)
        let position = SampleIDIndex(sampleIDs)
        let labels = try datasetLabels(store: store, runID: runID, samples: samples)
        var variants: [Variant] = []
        let truth = try truthIndices(labels: labels, truth: samples.lazy.map(\.label))
        for record in try store.variants(runID: runID) where record.status == .completed {
            let outcomes = try outcomes(labels: labels, sampleIDs: sampleIDs, truth: truth, variantLabels: record.labels,
                                        store: store, runID: runID, variantID: record.id, variant: record.name)
            variants.append(Variant(name: record.name, outcomes: outcomes))
        }
        let evaluationSlices = slices.map { slice in
            Slice(name: slice.name, definition: slice.definition,
                  slice: EvaluationSlice(members: slice.memberIDs.compactMap { position[$0].map(Int32.init) }, truth: truth, classCount: labels.count))
        }
        return RunOutcomes(experiment: name, run: run, labels: labels, samples: samples, variants: variants, slices: evaluationSlices)
    }

    /// The dataset's label order: its stored labels, or the sorted labels of the samples.
    static func datasetLabels(store: any RunStore, runID: RunID, samples: [StoredSample]) throws -> [String] {
        let stored = try store.datasetLabels(runID: runID)
        return stored.isEmpty ? Set(samples.map(\.label)).sorted() : stored
    }
}
