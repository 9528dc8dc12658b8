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

    /// Builds outcomes from stored predictions.
    /// - Parameters:
    ///   - labels: the common label order (the dataset's).
    ///   - sampleIDs / truth: the evaluated samples' store ids and true labels.
    ///   - variantLabels: each variant's own label order (its probabilities follow it).
    static func outcomes(labels: [String], sampleIDs: [SampleID], truth: [String], variantLabels: [String],
                         predictions: [SampleID: StoredPrediction], variant: String) throws -> VariantOutcomes {
        let index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, Int32($0)) })
        let k = labels.count
        let remap = variantLabels.map { index[$0] }
        var truthIndices: [Int32] = [], predicted: [Int32] = []
        var probabilities: [Double] = []
        var haveProbabilities = true
        truthIndices.reserveCapacity(sampleIDs.count)
        predicted.reserveCapacity(sampleIDs.count)
        probabilities.reserveCapacity(sampleIDs.count * k)
        for (id, label) in zip(sampleIDs, truth) {
            guard let t = index[label] else { throw RunError(message: "sample label '\(label)' is not one of the dataset's labels") }
            guard let prediction = predictions[id], let p = index[prediction.predicted] else {
                throw RunError(message: "variant '\(variant)' has no usable prediction for every evaluated sample (the run is incomplete)")
            }
            truthIndices.append(t)
            predicted.append(p)
            if haveProbabilities, prediction.probabilities.count == variantLabels.count {
                var row = [Double](repeating: 0, count: k)
                for (j, value) in prediction.probabilities.enumerated() {
                    if let target = remap[j] { row[Int(target)] = Double(value) }
                }
                probabilities += row
            } else {
                haveProbabilities = false
            }
        }
        return VariantOutcomes(labels: labels, truth: truthIndices, predicted: predicted, probabilities: haveProbabilities ? probabilities : [])
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
        let byKey = Dictionary(uniqueKeysWithValues: stored.map { ($0.key, $0) })
        let samples = overall.memberKeys.compactMap { byKey[$0] }
        let position = Dictionary(uniqueKeysWithValues: samples.enumerated().map { ($1.key, Int32($0)) })
        let labels = try datasetLabels(store: store, runID: runID, samples: samples)
        var variants: [Variant] = []
        // One variant's predictions at a time: that is all that is held beside the outcomes.
        for record in try store.variants(runID: runID) where record.status == .completed {
            let outcomes = try outcomes(labels: labels, sampleIDs: samples.map(\.id), truth: samples.map(\.label), variantLabels: record.labels,
                                        predictions: try store.predictionsBySample(runID: runID, variantID: record.id), variant: record.name)
            variants.append(Variant(name: record.name, outcomes: outcomes))
        }
        let truth = variants.first?.outcomes.truth ?? []
        let evaluationSlices = slices.map { slice in
            Slice(name: slice.name, definition: slice.definition,
                  slice: EvaluationSlice(members: slice.memberKeys.compactMap { position[$0] }, truth: truth, classCount: labels.count))
        }
        return RunOutcomes(experiment: name, run: run, labels: labels, samples: samples, variants: variants, slices: evaluationSlices)
    }

    /// The dataset's label order: its stored labels, or the sorted labels of the samples.
    static func datasetLabels(store: any RunStore, runID: RunID, samples: [StoredSample]) throws -> [String] {
        let stored = try store.datasetLabels(runID: runID)
        return stored.isEmpty ? Set(samples.map(\.label)).sorted() : stored
    }
}
