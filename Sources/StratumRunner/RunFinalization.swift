import Foundation
import StratumCore
import StratumData
import StratumMetrics
import StratumStore

/// After the last chunk: slices over the decodable samples, then every metric of every
/// variant that finished, computed from the predictions in the store (not from anything held
/// during prediction), so a resumed run and an uninterrupted one compute the same numbers.
enum RunFinalization {
    struct Outcome {
        var slices: [DataSlice]
        var accuracies: [SliceAccuracy]
    }

    static func finish(_ spec: ExperimentSpec, samples: [Sample], sampleIDs: [Int64], variants: [RunVariant],
                       store: any RunStore, runID: Int64, events: @Sendable (RunEvent) -> Void) throws -> Outcome {
        try store.clearDerivedResults(runID)
        let (slices, skipped) = try SliceBuilder.build(spec.slices, samples: samples)
        events(.slicesBuilt(count: slices.count, skipped: skipped.map { "\($0.name) (n=\($0.size))" }))
        let sliceIDs = try store.insertSlices(runID: runID, slices.map { slice in
            (slice.name, slice.definition, slice.members.map { sampleIDs[$0] })
        })
        var accuracies: [SliceAccuracy] = []
        let storedLabels = Dictionary(try store.variants(runID: runID).compactMap { record in record.id.map { ($0, record.labels) } },
                                      uniquingKeysWith: { first, _ in first })
        for variant in variants where variant.failure == nil {
            let labels = storedLabels[variant.variantID] ?? []
            let index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
            let predicted = try store.predictedLabels(runID: runID, variantID: variant.variantID)
            var trueIndices: [Int] = [], predictedIndices: [Int] = []
            for (sample, id) in zip(samples, sampleIDs) {
                guard let truth = index[sample.label], let label = predicted[id], let guess = index[label] else {
                    throw RunError(message: "variant '\(variant.name)' has no usable prediction for sample '\(sample.id)' (the run is incomplete)")
                }
                trueIndices.append(truth)
                predictedIndices.append(guess)
            }
            for slice in slices {
                let metrics = ClassificationMetrics(confusion: ConfusionMatrix(
                    labels: labels,
                    trueIndices: slice.members.map { trueIndices[$0] },
                    predictedIndices: slice.members.map { predictedIndices[$0] }))
                guard let sliceID = sliceIDs[slice.name] else { throw RunError(message: "slice '\(slice.name)' missing from the store") }
                try store.insertMetrics(runID: runID, variantID: variant.variantID, sliceID: sliceID, metrics: metrics)
                accuracies.append(SliceAccuracy(variant: variant.name, slice: slice.name, n: metrics.n, accuracy: metrics.accuracy.number,
                                                interval: metrics.accuracyInterval.map { ($0.low, $0.high) }))
            }
            try store.setVariantStatus(variant.variantID, .completed)
        }
        return Outcome(slices: slices, accuracies: accuracies)
    }
}
