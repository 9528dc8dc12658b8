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
        // A resample is a weight per member (how often it was drawn), shared by every variant;
        // each variant then reads the weights in one streaming pass over its compact entries.
        // Members are renumbered so that each stratum is one contiguous range: a draw is then a
        // random offset into the range, with no lookup.
        var local = [Int32](repeating: 0, count: slice.members.count)
        var ranges: [(start: Int, count: Int)] = []
        var next = 0
        for stratum in slice.strata where !stratum.isEmpty {
            ranges.append((next, stratum.count))
            for position in stratum { local[Int(position)] = Int32(next); next += 1 }
        }
        let kernels = variants.map { ResampleKernel($0, slice: slice, local: local) }
        var random = RandomSource(seed: settings.seed, stream: stream)
        // A member drawn more than 65,535 times in one resample would need a stratum of that
        // size drawing one member that often: probability far below 10^-100000.
        var weights = [UInt16](repeating: 0, count: slice.members.count)
        for r in 0..<settings.resamples {
            weights.withUnsafeMutableBufferPointer { w in
                w.update(repeating: 0)
                for range in ranges {
                    let size = UInt64(range.count)
                    for _ in 0..<range.count { w[range.start + Int(random.next(below: size))] &+= 1 }
                }
            }
            for (v, outcomes) in variants.enumerated() {
                let (tally, auc) = kernels[v].evaluate(weights)
                let (_, values) = MetricSuite.assemble(outcomes, tally: tally) { auc }
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
        evaluateKeepingResamples(variants, slice: slice, settings: settings, stream: stream).metrics
    }

    /// `evaluate`, also returning the resample values (`resampleValues`) for paired comparisons.
    public static func evaluateKeepingResamples(_ variants: [VariantOutcomes], slice: EvaluationSlice, settings: BootstrapSettings,
                                                stream: UInt64) -> (metrics: [SliceMetrics], resamples: [[[Double]]]) {
        let values = settings.resamples > 0 ? resampleValues(variants, slice: slice, settings: settings, stream: stream) : []
        let metrics = variants.enumerated().map { v, outcomes in
            let intervals = values.isEmpty ? nil : values[v].map { percentileInterval($0, confidence: settings.confidence) }
            return MetricSuite.evaluate(outcomes, slice: slice, bootstrap: intervals)
        }
        return (metrics, values)
    }
}

/// One variant's answers on one slice, laid out for resampling: one 20-byte entry per member,
/// in ascending order of the score ROC AUC ranks by (binary), so that a single streaming pass
/// per resample gives the confusion counts, the loss sums, the calibration bins and the AUC.
/// Per-sample losses are held as Float here (the point estimates use the Double values): a
/// relative difference of ~1e-7 in an interval endpoint, far below its statistical error.
final class ResampleKernel {
    struct Entry {
        var position: Int32
        var code: UInt16
        var bin: UInt8
        /// bit 0: correct; bit 1: a positive for the AUC; bit 2: starts a run of equal scores.
        var flags: UInt8
        var logLoss: Float
        var brier: Float
        var confidence: Float
    }

    let outcomes: VariantOutcomes
    let slice: EvaluationSlice
    let entries: [Entry]
    /// More than two labels: the general (slower) AUC, from the weights.
    let order: MetricSuite.ScoreOrder?
    let binary: Bool

    /// Each slice position's index in the resampling order (`local`).
    let local: [Int32]

    init(_ outcomes: VariantOutcomes, slice: EvaluationSlice, local: [Int32]) {
        self.outcomes = outcomes
        self.slice = slice
        self.local = local
        let k = outcomes.classCount
        let scores = MetricSuite.ScoreOrder(outcomes, slice: slice)
        binary = outcomes.hasProbabilities && k == 2
        order = binary || !outcomes.hasProbabilities ? nil : scores
        let sequence: [Int32] = binary ? scores.order[0] : Array(0..<Int32(slice.members.count))
        let starts: [Bool] = binary ? scores.startsGroup[0] : sequence.map { _ in false }
        entries = zip(sequence, starts).map { position, start in
            let i = Int(slice.members[Int(position)])
            let t = Int(outcomes.truth[i]), p = Int(outcomes.predicted[i])
            var flags: UInt8 = t == p ? 1 : 0
            if t == 1 { flags |= 2 }
            if start { flags |= 4 }
            let probabilities = outcomes.hasProbabilities
            return Entry(position: local[Int(position)], code: UInt16(t * k + p), bin: UInt8(probabilities ? MetricSuite.calibrationBin(outcomes.confidence[i]) : 0), flags: flags,
                         logLoss: probabilities ? Float(outcomes.logLoss[i]) : 0, brier: probabilities ? Float(outcomes.brier[i]) : 0,
                         confidence: probabilities ? Float(outcomes.confidence[i]) : 0)
        }
    }

    /// The tally and ROC AUC of the resample given by `weights` (one per member position).
    /// Branch-free on the weight: about a third of the members are not drawn in a resample,
    /// and skipping them would cost more in mispredicted branches than adding zeros.
    func evaluate(_ weights: [UInt16]) -> (MetricSuite.Tally, MetricValue) {
        binary ? evaluateBinary(weights) : evaluateGeneral(weights)
    }

    /// Two labels with probabilities, entries in score order. Sums are kept in registers: the
    /// four confusion counts follow from Σw, Σw·positive, Σw·correct and Σw·positive·correct,
    /// and a calibration bin's sums are flushed only when the bin changes (entries sorted by
    /// score visit the bins in long runs), so no memory cell is updated entry after entry.
    func evaluateBinary(_ weights: [UInt16]) -> (MetricSuite.Tally, MetricValue) {
        var tally = MetricSuite.Tally(classCount: 2)
        var total = 0, positiveWeight = 0, correctWeight = 0, truePositives = 0
        var logLoss = 0.0, brier = 0.0
        var bin = -1, binWeight = 0, binHits = 0, binConfidence = 0.0
        var below = 0.0, positives = 0.0, area = 0.0, groupPositives = 0.0, groupNegatives = 0.0
        weights.withUnsafeBufferPointer { w in
            entries.withUnsafeBufferPointer { entries in
                for e in entries {
                    if e.flags & 4 != 0 {
                        area += groupPositives * (below + 0.5 * groupNegatives)
                        below += groupNegatives
                        positives += groupPositives
                        groupPositives = 0; groupNegatives = 0
                    }
                    let weight = Int(w[Int(e.position)])
                    let wd = Double(weight)
                    let positive = Int((e.flags >> 1) & 1), correct = Int(e.flags & 1)
                    total &+= weight
                    positiveWeight &+= weight & -positive
                    correctWeight &+= weight & -correct
                    truePositives &+= weight & -(positive & correct)
                    logLoss += wd * Double(e.logLoss)
                    brier += wd * Double(e.brier)
                    let b = Int(e.bin)
                    if b != bin {
                        if bin >= 0 {
                            tally.binCount[bin] += binWeight; tally.binHits[bin] += binHits; tally.binConfidence[bin] += binConfidence
                        }
                        bin = b; binWeight = 0; binHits = 0; binConfidence = 0
                    }
                    binWeight &+= weight
                    binHits &+= weight & -correct
                    binConfidence += wd * Double(e.confidence)
                    let p = Double(positive)
                    groupPositives += wd * p
                    groupNegatives += wd - wd * p
                }
            }
        }
        if bin >= 0 { tally.binCount[bin] += binWeight; tally.binHits[bin] += binHits; tally.binConfidence[bin] += binConfidence }
        area += groupPositives * (below + 0.5 * groupNegatives)
        below += groupNegatives
        positives += groupPositives
        let trueNegatives = correctWeight - truePositives
        // counts[t * 2 + p]: (0,0) true negatives, (0,1) false positives, (1,0) false negatives, (1,1) true positives.
        tally.counts = [trueNegatives, total - positiveWeight - trueNegatives, positiveWeight - truePositives, truePositives]
        tally.total = total
        tally.logLoss = logLoss
        tally.brier = brier
        let auc: MetricValue = positives > 0 && below > 0 ? .value(area / (positives * below))
            : .undefined("the slice holds one class only for '\(outcomes.labels[1])' against the rest")
        return (tally, auc)
    }

    /// Any number of labels (with or without probabilities), entries in member order.
    func evaluateGeneral(_ weights: [UInt16]) -> (MetricSuite.Tally, MetricValue) {
        var tally = MetricSuite.Tally(classCount: outcomes.classCount)
        let probabilities = outcomes.hasProbabilities
        weights.withUnsafeBufferPointer { w in
            for e in entries {
                let weight = Int(w[Int(e.position)])
                if weight == 0 { continue }
                tally.counts[Int(e.code)] += weight
                tally.total += weight
                guard probabilities else { continue }
                let wd = Double(weight), b = Int(e.bin)
                tally.logLoss += wd * Double(e.logLoss)
                tally.brier += wd * Double(e.brier)
                tally.binCount[b] += weight
                tally.binConfidence[b] += wd * Double(e.confidence)
                if e.flags & 1 != 0 { tally.binHits[b] += weight }
            }
        }
        let auc: MetricValue
        if let order {
            auc = MetricSuite.rocAUC(outcomes, slice: slice, order: order, weights: local.map { Int32(weights[Int($0)]) })
        } else {
            auc = .undefined("the variant gave no probabilities")
        }
        return (tally, auc)
    }
}
