import Foundation
import StratumCore
import StratumData
import StratumMetrics
import StratumStatistics
import StratumStore

/// After the last chunk: slices over the decodable samples, then every metric of every
/// variant that finished, computed from the predictions in the store (not from anything held
/// during prediction), so a resumed run and an uninterrupted one compute the same numbers.
enum RunFinalization {
    struct Outcome {
        var slices: [BuiltSlice]
        var accuracies: [SliceAccuracy]
    }

    /// A slice as the metrics stage keeps it: members as 4-byte positions in the evaluated
    /// samples (`DataSlice`'s 8-byte ones, about a million in all for a 200,000-sample run with
    /// intersections, are let go once converted).
    struct BuiltSlice: Sendable {
        var name: String
        var definition: String
        var parts: [SlicePart]
        var members: [Int32]
    }

    static func finish(_ spec: ExperimentSpec, labels: [String], samples: consuming [Sample], sampleIDs: [SampleID], variants: [RunVariant],
                       bootstrap: BootstrapSettings, store: any RunStore, runID: RunID,
                       events: @Sendable (RunEvent) -> Void) throws -> Outcome {
        try store.clearDerivedResults(runID, heldBy: .current)
        let slices: [BuiltSlice], skipped: [SkippedSlice]
        do {
            let built: [DataSlice]
            (built, skipped) = try SliceBuilder.build(spec.slices, samples: samples)
            slices = built.map { BuiltSlice(name: $0.name, definition: $0.definition, parts: $0.parts, members: $0.members.map { Int32($0) }) }
        }
        events(.slicesBuilt(count: slices.count, skipped: skipped.map { "\($0.name) (n=\($0.size))" }))
        // The true labels are all the rest needs of the samples; the caller has let go of its
        // arrays, so the manifest's rows go here, before the variants' outcomes are read.
        let truthIndices = try RunOutcomes.truthIndices(labels: labels, truth: samples.lazy.map(\.label))
        _ = consume samples
        // The slices are stored on a thread of their own while the outcomes are read and
        // resampled, which need nothing of them: stored first, a 20,000-sample run's 98,000
        // members kept one core idle for 0.3 s (3 s at 200,000). The thread is always waited
        // for before this returns or throws. A slice at a time: mapping every slice's members
        // to store ids first held them all at once.
        let storing = ConcurrentResults<[String: SliceID]>(count: 1)
        let slicesStored = DispatchGroup()
        let toStore = slices
        DispatchQueue.global().async(group: slicesStored) {
            storing.set(0, Result {
                var ids: [String: SliceID] = [:]
                for slice in toStore {
                    let stored = try store.insertSlices(runID: runID, heldBy: .current, [(slice.name, slice.definition, slice.parts, slice.members.map { sampleIDs[Int($0)] })])
                    ids.merge(stored) { first, _ in first }
                }
                return ids
            })
        }
        // (A group's wait returns at once once its work is done, however often it is called.)
        defer { slicesStored.wait() }
        func storedSliceIDs() throws -> [String: SliceID] {
            slicesStored.wait()
            return try storing.values()[0]
        }
        let storedVariants = Dictionary(try store.variants(runID: runID).map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let finished = variants.filter { $0.failure == nil }
        // One variant's stored predictions at a time (a million samples × several variants
        // would otherwise all be held at once); what is kept is compact (VariantOutcomes). The
        // labels as strings are let go once every variant has its label indices.
        let outcomes: [VariantOutcomes]
        do {
            outcomes = try finished.map { variant in
                try RunOutcomes.outcomes(labels: labels, sampleIDs: sampleIDs, truth: truthIndices,
                                         variantLabels: storedVariants[variant.variantID]?.labels ?? labels,
                                         store: store, runID: runID, variantID: variant.variantID, variant: variant.name)
            }
        }
        var accuracies: [SliceAccuracy] = []
        guard let truth = outcomes.first?.truth else {
            _ = try storedSliceIDs()
            return Outcome(slices: slices, accuracies: [])
        }
        // Every variant on the same resamples of a slice: intervals of differences stay paired.
        // Each slice's resampling arrays take ~21 bytes a member and variant: slices in flight
        // together hold at most 1.25 times the largest one's members (the two largest slices of
        // a 200,000-sample run at once were 20 MB), the largest first, small ones beside it.
        let largest = slices.map(\.members.count).max() ?? 0
        let evaluated = StatisticsParallel.map(Array(slices.enumerated()), size: { $0.1.members.count }, budget: largest + largest / 4) { position, slice in
            Bootstrap.evaluate(outcomes, slice: EvaluationSlice(members: slice.members, truth: truth, classCount: labels.count),
                               settings: bootstrap, stream: UInt64(position))
        }
        let sliceIDs = try storedSliceIDs()
        for (v, variant) in finished.enumerated() {
            let stored = try slices.enumerated().map { s, slice in
                guard let sliceID = sliceIDs[slice.name] else { throw RunError(message: "slice '\(slice.name)' missing from the store") }
                let metrics = evaluated[s][v]
                let accuracy = metrics.metrics[0]
                accuracies.append(SliceAccuracy(variant: variant.name, slice: slice.name, n: metrics.n, accuracy: accuracy.value.number,
                                                interval: accuracy.interval.map { ($0.low, $0.high) }))
                return (sliceID: sliceID, metrics: metrics)
            }
            try store.insertMetrics(runID: runID, variantID: variant.variantID, heldBy: .current, stored)
            try store.setVariantStatus(variant.variantID, .completed)
        }
        return Outcome(slices: slices, accuracies: accuracies)
    }
}
