import Foundation
import StratumMetrics

/// The verdict on one slice of a paired comparison.
public enum Verdict: String, Sendable, Codable, CaseIterable {
    case better
    case worse
    case noSignificantDifference = "no significant difference"
    case tooFewSamples = "too few samples"
}

/// Settings of a comparison of two variants on the same samples.
public struct ComparisonSettings: Sendable, Equatable {
    /// The metric whose paired difference (candidate − baseline) is estimated.
    public var metric: String
    public var correction: MultipleTesting.Method
    public var alpha: Double
    /// Slices with fewer samples are not tested (verdict *too few samples*).
    public var minimumSamples: Int
    public var bootstrap: BootstrapSettings

    public init(metric: String = "accuracyScore", correction: MultipleTesting.Method = .holm, alpha: Double = 0.05,
                minimumSamples: Int = 20, bootstrap: BootstrapSettings = BootstrapSettings()) {
        self.metric = metric
        self.correction = correction
        self.alpha = alpha
        self.minimumSamples = minimumSamples
        self.bootstrap = bootstrap
    }
}

/// One slice of a paired comparison.
public struct SliceComparison: Sendable, Codable, Equatable {
    public var slice: String
    public var n: Int
    public var metric: String
    public var baseline: Double?
    public var candidate: Double?
    /// candidate − baseline.
    public var difference: Double?
    /// Paired bootstrap percentile interval of the difference.
    public var low: Double?
    public var high: Double?
    /// Samples the baseline got right and the candidate wrong (b), and the reverse (c).
    public var baselineOnlyCorrect: Int
    public var candidateOnlyCorrect: Int
    /// Exact McNemar p-value on (b, c); nil for slices not tested.
    public var p: Double?
    /// p after the correction across the tested slices of this comparison.
    public var adjustedP: Double?
    public var verdict: Verdict
    /// An earlier slice with exactly the same members: this one repeats its results and is
    /// not counted a second time in the correction.
    public var sameMembersAs: String?

    public init(slice: String, n: Int, metric: String, baseline: Double?, candidate: Double?, difference: Double?, low: Double?, high: Double?,
                baselineOnlyCorrect: Int, candidateOnlyCorrect: Int, p: Double?, adjustedP: Double?, verdict: Verdict, sameMembersAs: String?) {
        self.slice = slice
        self.n = n
        self.metric = metric
        self.baseline = baseline
        self.candidate = candidate
        self.difference = difference
        self.low = low
        self.high = high
        self.baselineOnlyCorrect = baselineOnlyCorrect
        self.candidateOnlyCorrect = candidateOnlyCorrect
        self.p = p
        self.adjustedP = adjustedP
        self.verdict = verdict
        self.sameMembersAs = sameMembersAs
    }
}

/// Two variants on the same samples, slice by slice.
///
/// Each slice with at least `minimumSamples` samples is tested with the exact McNemar test on
/// the samples exactly one variant classified correctly; the p-values of the tested slices
/// (the overall slice included) are corrected together (Holm by default, or Benjamini–Hochberg);
/// a slice with the same members as an earlier one (`children` and `age_group=child`) repeats
/// its results and is counted once.
/// A slice is *better* or *worse* when its adjusted p ≤ α, the direction being the sign of the
/// accuracy difference; otherwise *no significant difference*. The difference of the chosen
/// metric gets a paired, stratified bootstrap interval (both variants on the same resamples).
public enum PairedComparison {
    public struct UnknownMetric: Error, CustomStringConvertible {
        public var name: String
        public var known: [String]
        public var description: String { "unknown metric '\(name)' (known: \(known.joined(separator: ", ")))" }
    }

    /// - Precondition: both outcomes describe the same samples in the same order, with the same labels.
    /// - Parameter resampled: per slice, the two variants' resample values from one
    ///   `Bootstrap.resampleValues` call (`[baseline, candidate]`), when already computed;
    ///   otherwise they are drawn here with `settings.bootstrap`.
    public static func compare(baseline: VariantOutcomes, candidate: VariantOutcomes, slices: [(name: String, slice: EvaluationSlice)],
                               settings: ComparisonSettings, resampled: [[[[Double]]]]? = nil) throws -> [SliceComparison] {
        precondition(baseline.labels == candidate.labels && baseline.truth == candidate.truth, "PairedComparison: different samples or labels")
        let layout = MetricLayout(labels: baseline.labels)
        guard let metricIndex = layout.index(of: settings.metric) else { throw UnknownMetric(name: settings.metric, known: layout.names) }
        var rows: [SliceComparison] = []
        var tested: [Int] = []
        var firstWithMembers: [[Int32]: Int] = [:]
        var copies: [(Int, Int)] = []
        for (position, (name, slice)) in slices.enumerated() {
            if let first = firstWithMembers[slice.members] {
                var row = rows[first]
                row.slice = name
                row.sameMembersAs = rows[first].slice
                copies.append((rows.count, first))
                rows.append(row)
                continue
            }
            firstWithMembers[slice.members] = rows.count
            var b = 0, c = 0
            for sample in slice.members {
                let i = Int(sample)
                let baselineRight = baseline.truth[i] == baseline.predicted[i], candidateRight = candidate.truth[i] == candidate.predicted[i]
                if baselineRight && !candidateRight { b += 1 } else if candidateRight && !baselineRight { c += 1 }
            }
            let base = MetricSuite.evaluate(baseline, slice: slice).metrics[metricIndex].value.number
            let cand = MetricSuite.evaluate(candidate, slice: slice).metrics[metricIndex].value.number
            var row = SliceComparison(slice: name, n: slice.members.count, metric: settings.metric, baseline: base, candidate: cand,
                                      difference: base.flatMap { b in cand.map { $0 - b } }, low: nil, high: nil,
                                      baselineOnlyCorrect: b, candidateOnlyCorrect: c, p: nil, adjustedP: nil, verdict: .tooFewSamples, sameMembersAs: nil)
            if let values = resampled?[position] ?? (settings.bootstrap.resamples > 0 && !slice.members.isEmpty
                ? Bootstrap.resampleValues([baseline, candidate], slice: slice, settings: settings.bootstrap, stream: UInt64(position)) : nil) {
                let differences = zip(values[0][metricIndex], values[1][metricIndex]).map { $1 - $0 }
                if let interval = Bootstrap.percentileInterval(differences, confidence: settings.bootstrap.confidence) {
                    row.low = interval.low
                    row.high = interval.high
                }
            }
            if slice.members.count >= settings.minimumSamples {
                row.p = ExactTests.mcNemar(b: b, c: c).p
                tested.append(rows.count)
            }
            rows.append(row)
        }
        let adjusted = MultipleTesting.adjust(tested.map { rows[$0].p! }, method: settings.correction)
        for (k, index) in tested.enumerated() {
            rows[index].adjustedP = adjusted[k]
            let significant = adjusted[k] <= settings.alpha
            let direction = rows[index].candidateOnlyCorrect - rows[index].baselineOnlyCorrect
            rows[index].verdict = !significant || direction == 0 ? .noSignificantDifference : (direction > 0 ? .better : .worse)
        }
        for (copy, first) in copies {
            rows[copy].adjustedP = rows[first].adjustedP
            rows[copy].verdict = rows[first].verdict
        }
        return rows
    }
}
