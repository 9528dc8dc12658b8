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
        let orders = variants.map { MetricSuite.ScoreOrder($0, slice: slice) }
        var result = variants.map { _ in [[Double]](repeating: [Double](repeating: .nan, count: settings.resamples), count: metricCount) }
        var random = RandomSource(seed: settings.seed, stream: stream)
        var weights = [Int32](repeating: 0, count: slice.members.count)
        for r in 0..<settings.resamples {
            for i in weights.indices { weights[i] = 0 }
            for stratum in slice.strata where !stratum.isEmpty {
                let size = UInt64(stratum.count)
                for _ in 0..<stratum.count {
                    weights[Int(stratum[Int(random.next(below: size))])] += 1
                }
            }
            for (v, outcomes) in variants.enumerated() {
                let (_, values) = MetricSuite.values(outcomes, slice: slice, order: orders[v], weights: weights)
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
