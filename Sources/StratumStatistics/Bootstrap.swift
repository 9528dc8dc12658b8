import Foundation
import StratumMetrics

/// How intervals that are not proportions are made.
public struct BootstrapSettings: Sendable, Equatable, Codable {
    /// Resamples per slice.
    public var resamples: Int
    /// Fixes every resample: the same seed gives the same intervals.
    public var seed: UInt64
    /// Two-sided level of the percentile interval.
    public var confidence: Double

    public static let maximumResamples = 100_000

    public init(resamples: Int = 1000, seed: UInt64 = 20_260_601, confidence: Double = 0.95) {
        self.resamples = resamples
        self.seed = seed
        self.confidence = confidence
    }
}

/// Stratified percentile bootstrap.
///
/// One resample of a slice draws, for each true class, as many members of that class as the
/// slice holds, uniformly with replacement; so class supports are those of the slice in every
/// resample, and recall-based metrics stay defined. Every variant given is evaluated on the
/// same resample, which makes differences between variants *paired*. A metric's interval is the
/// (1 − level)/2 and (1 + level)/2 quantiles (linear interpolation, numpy's default) of its
/// values over the resamples where it is defined; when it is undefined in more than half of
/// them there is no interval.
public enum Bootstrap {
    /// The metric values of every variant over every resample: `[variant][metric][resample]`,
    /// metrics in `MetricLayout` order, NaN where undefined.
    /// - Parameter stream: selects an independent random stream (e.g. the slice's position).
    public static func resampleValues(_ variants: [VariantOutcomes], slice: EvaluationSlice, settings: BootstrapSettings, stream: UInt64) -> [[[Double]]] {
        guard let first = variants.first else { return [] }
        precondition(variants.allSatisfy { $0.truth == first.truth }, "Bootstrap: variants must describe the same samples")
        let metricCount = MetricLayout(labels: first.labels).names.count
        var result = variants.map { _ in [[Double]](repeating: [Double](repeating: .nan, count: settings.resamples), count: metricCount) }
        guard !slice.members.isEmpty else { return result }
        // Each draw is added straight to every variant's tally and ROC groups: no per-resample
        // pass over the slice, and one random number per draw whatever the number of variants.
        let kernels = variants.map { ResampleKernel($0, slice: slice) }
        var tallies = variants.map { MetricSuite.Tally(classCount: $0.classCount) }
        var random = RandomSource(seed: settings.seed, stream: stream)
        for r in 0..<settings.resamples {
            for v in tallies.indices { tallies[v].reset(); kernels[v].resetGroups() }
            for stratum in slice.strata where !stratum.isEmpty {
                let size = UInt64(stratum.count)
                for _ in 0..<stratum.count {
                    let position = Int(stratum[Int(random.next(below: size))])
                    for v in kernels.indices { kernels[v].add(position, to: &tallies[v]) }
                }
            }
            for (v, outcomes) in variants.enumerated() {
                let (_, values) = MetricSuite.assemble(outcomes, tally: tallies[v]) { kernels[v].rocAUC() }
                for (m, value) in values.enumerated() {
                    if let number = value.number { result[v][m][r] = number }
                }
            }
        }
        return result
    }

    /// The percentile interval of `values` (NaN entries are resamples where the metric was
    /// undefined), or nil when more than half are undefined.
    public static func percentileInterval(_ values: [Double], confidence: Double) -> ConfidenceInterval? {
        let defined = values.filter { !$0.isNaN }.sorted()
        guard !defined.isEmpty, defined.count * 2 >= values.count else { return nil }
        let tail = (1 - confidence) / 2
        return ConfidenceInterval(low: quantile(defined, tail), high: quantile(defined, 1 - tail))
    }

    /// Quantile q of ascending `sorted`, interpolating linearly between order statistics.
    public static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let h = Double(sorted.count - 1) * q
        let lower = Int(h.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        return sorted[lower] + (h - Double(lower)) * (sorted[upper] - sorted[lower])
    }

    /// Point estimates and intervals of every variant on a slice: Wilson for proportions, this
    /// bootstrap for the rest.
    public static func evaluate(_ variants: [VariantOutcomes], slice: EvaluationSlice, settings: BootstrapSettings, stream: UInt64) -> [SliceMetrics] {
        let values = settings.resamples > 0 ? resampleValues(variants, slice: slice, settings: settings, stream: stream) : []
        return variants.enumerated().map { v, outcomes in
            let intervals = values.isEmpty ? nil : values[v].map { percentileInterval($0, confidence: settings.confidence) }
            return MetricSuite.evaluate(outcomes, slice: slice, bootstrap: intervals)
        }
    }
}

/// One variant's answers on one slice, laid out for resampling: per member position, its
/// sample index and its ROC group (the rank of its score among the slice's distinct scores,
/// per scored class), and per group the weight of positives and negatives drawn so far.
final class ResampleKernel {
    let outcomes: VariantOutcomes
    let samples: [Int]
    /// Per scored class: each position's group; whether the position is a positive.
    let groups: [[Int32]]
    let positive: [[Bool]]
    var positives: [[Double]]
    var negatives: [[Double]]
    let classes: [Int]

    init(_ outcomes: VariantOutcomes, slice: EvaluationSlice) {
        self.outcomes = outcomes
        samples = slice.members.map { Int($0) }
        let order = MetricSuite.ScoreOrder(outcomes, slice: slice)
        classes = order.classes
        var groups: [[Int32]] = [], positive: [[Bool]] = [], counts: [Int] = []
        for (j, c) in order.classes.enumerated() {
            var group = [Int32](repeating: 0, count: samples.count)
            var g: Int32 = -1
            for (rank, position) in order.order[j].enumerated() {
                if order.startsGroup[j][rank] { g += 1 }
                group[Int(position)] = g
            }
            groups.append(group)
            positive.append(samples.map { Int(outcomes.truth[$0]) == c })
            counts.append(Int(g) + 1)
        }
        self.groups = groups
        self.positive = positive
        positives = counts.map { [Double](repeating: 0, count: $0) }
        negatives = counts.map { [Double](repeating: 0, count: $0) }
    }

    func resetGroups() {
        for j in positives.indices {
            positives[j].withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            negatives[j].withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        }
    }

    @inline(__always)
    func add(_ position: Int, to tally: inout MetricSuite.Tally) {
        tally.add(outcomes, samples[position], weight: 1)
        for j in groups.indices {
            let g = Int(groups[j][position])
            if positive[j][position] { positives[j][g] += 1 } else { negatives[j][g] += 1 }
        }
    }

    /// As `MetricSuite.rocAUC`, from the group weights of the current resample.
    func rocAUC() -> MetricValue {
        var sum = 0.0
        for j in classes.indices {
            var below = 0.0, total = 0.0, area = 0.0
            for g in positives[j].indices {
                area += positives[j][g] * (below + 0.5 * negatives[j][g])
                below += negatives[j][g]
                total += positives[j][g]
            }
            guard total > 0, below > 0 else { return .undefined("the slice holds one class only for '\(outcomes.labels[classes[j]])' against the rest") }
            sum += area / (total * below)
        }
        return .value(sum / Double(classes.count))
    }
}
