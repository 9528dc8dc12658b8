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
        // Nothing below allocates per resample: each variant's tally is reset and refilled,
        // and its values land in `scratch` (NaN where undefined), then in `result`.
        var tallies = variants.map { MetricSuite.Tally(classCount: $0.classCount) }
        var scratch = [Double](repeating: .nan, count: metricCount)
        for r in 0..<settings.resamples {
            weights.withUnsafeMutableBufferPointer { w in
                w.update(repeating: 0)
                for range in ranges {
                    let size = UInt64(range.count)
                    for _ in 0..<range.count { w[range.start + Int(random.next(below: size))] &+= 1 }
                }
            }
            for (v, outcomes) in variants.enumerated() {
                let auc = kernels[v].evaluate(weights, into: &tallies[v])
                scratch.withUnsafeMutableBufferPointer { MetricSuite.assembleNumbers(outcomes, tally: tallies[v], auc: auc, into: $0) }
                for m in 0..<metricCount { result[v][m][r] = scratch[m] }
            }
        }
        return result
    }

    /// The percentile interval of `values` (NaN entries are resamples where the metric was
    /// undefined), or nil when more than half are undefined.
    ///
    /// The two quantiles' order statistics are selected, not sorted for: an interval per metric,
    /// variant and slice is thousands of them per run. On a 2,000-image run (one core, perf
    /// samples) the intervals took 24% of the bootstrap's time sorted and 17% selected, a
    /// cost that does not grow with the number of images.
    public static func percentileInterval(_ values: [Double], confidence: Double) -> ConfidenceInterval? {
        var defined = values.filter { !$0.isNaN }
        guard !defined.isEmpty, defined.count * 2 >= values.count else { return nil }
        let tail = (1 - confidence) / 2
        return defined.withUnsafeMutableBufferPointer { buffer in
            ConfidenceInterval(low: selectedQuantile(buffer, tail), high: selectedQuantile(buffer, 1 - tail))
        }
    }

    /// `quantile` of `values` in any order, which it reorders: the order statistics it
    /// interpolates between are found by selection (O(n)), and equal `quantile(values.sorted(), q)`.
    static func selectedQuantile(_ values: UnsafeMutableBufferPointer<Double>, _ q: Double) -> Double {
        let h = Double(values.count - 1) * q
        let lower = Int(h.rounded(.down))
        select(lower, in: values)
        // After the selection everything past `lower` is at least as large: the next order
        // statistic is their least.
        let upperValue = lower + 1 < values.count ? values[(lower + 1)...].min()! : values[lower]
        return values[lower] + (h - Double(lower)) * (upperValue - values[lower])
    }

    /// Reorders `values` (no NaNs) so that position `k` holds the value it would hold sorted,
    /// none before it larger and none after it smaller (Hoare's selection, median-of-three pivots).
    static func select(_ k: Int, in values: UnsafeMutableBufferPointer<Double>) {
        var (low, high) = (0, values.count - 1)
        while high - low > 8 {
            let middle = low + (high - low) / 2
            if values[middle] < values[low] { values.swapAt(middle, low) }
            if values[high] < values[low] { values.swapAt(high, low) }
            if values[high] < values[middle] { values.swapAt(high, middle) }
            let pivot = values[middle]
            var (i, j) = (low, high)
            while i <= j {
                while values[i] < pivot { i += 1 }
                while pivot < values[j] { j -= 1 }
                if i <= j { values.swapAt(i, j); i += 1; j -= 1 }
            }
            // [low, j] ≤ pivot ≤ [i, high], and what lies between equals the pivot.
            if k <= j { high = j } else if k >= i { low = i } else { return }
        }
        // A few left: insertion sort.
        if high > low {
            for a in (low + 1)...high {
                let value = values[a]
                var b = a - 1
                while b >= low && value < values[b] { values[b + 1] = values[b]; b -= 1 }
                values[b + 1] = value
            }
        }
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
    /// The entries, for the general kernel (empty when the binary layout holds them: at a
    /// million members they are 20 MB a variant).
    let entries: [Entry]
    /// More than two labels: the general (slower) AUC, from the weights.
    let order: MetricSuite.ScoreOrder?
    let binary: Bool

    /// Each slice position's index in the resampling order (`local`).
    let local: [Int32]

    /// The binary kernel's arrays, in score order (nil for more than two labels or no probabilities):
    /// 21 bytes an entry. Built straight from the outcomes, without `Entry` values first: with
    /// two slices of a 200,000-sample run in flight, that intermediate array (and two more
    /// per-entry arrays the flags already hold) was ~11 MB of the metrics stage's peak.
    final class BinaryLayout {
        let positions: [Int32]
        /// bit 0: correct; bit 1: a positive for the AUC; bit 2: starts a run of equal scores.
        let flags: [UInt8]
        let logLoss: [Float]
        let brier: [Float]
        let confidence: [Float]
        /// Maximal runs of entries in one calibration bin.
        let binRuns: [(start: Int, end: Int, bin: Int)]
        /// Scratch: each entry's weight in the current resample.
        var gathered: [Float]

        /// Entry e is slice position `order[e]`; `starts[e]` when its score differs from the one before.
        init(_ outcomes: VariantOutcomes, slice: EvaluationSlice, local: [Int32], order: [Int32], starts: [Bool]) {
            let n = order.count
            var positions = [Int32](), flags = [UInt8](), logLoss = [Float](), brier = [Float](), confidence = [Float]()
            positions.reserveCapacity(n); flags.reserveCapacity(n); logLoss.reserveCapacity(n); brier.reserveCapacity(n); confidence.reserveCapacity(n)
            var runs: [(start: Int, end: Int, bin: Int)] = []
            for e in 0..<n {
                let position = Int(order[e])
                let i = Int(slice.members[position])
                let t = Int(outcomes.truth[i]), p = Int(outcomes.predicted[i])
                var f: UInt8 = t == p ? 1 : 0
                if t == 1 { f |= 2 }
                if starts[e] { f |= 4 }
                positions.append(local[position])
                flags.append(f)
                logLoss.append(Float(outcomes.logLoss(i)))
                brier.append(Float(outcomes.brier(i)))
                confidence.append(Float(outcomes.confidence(i)))
                let bin = MetricSuite.calibrationBin(outcomes.confidence(i))
                if let last = runs.last, last.bin == bin { runs[runs.count - 1].end = e + 1 } else { runs.append((e, e + 1, bin)) }
            }
            self.positions = positions
            self.flags = flags
            self.logLoss = logLoss
            self.brier = brier
            self.confidence = confidence
            binRuns = runs
            gathered = [Float](repeating: 0, count: n)
        }
    }
    let binaryLayout: BinaryLayout?

    init(_ outcomes: VariantOutcomes, slice: EvaluationSlice, local: [Int32]) {
        self.outcomes = outcomes
        self.slice = slice
        self.local = local
        let k = outcomes.classCount
        let scores = MetricSuite.ScoreOrder(outcomes, slice: slice)
        binary = outcomes.hasProbabilities && k == 2
        order = binary || !outcomes.hasProbabilities ? nil : scores
        if binary {
            binaryLayout = BinaryLayout(outcomes, slice: slice, local: local, order: scores.order[0], starts: scores.startsGroup[0])
            entries = []
            return
        }
        binaryLayout = nil
        let probabilities = outcomes.hasProbabilities
        entries = (0..<slice.members.count).map { position in
            let i = Int(slice.members[position])
            let t = Int(outcomes.truth[i]), p = Int(outcomes.predicted[i])
            return Entry(position: local[position], code: UInt16(t * k + p), bin: UInt8(probabilities ? MetricSuite.calibrationBin(outcomes.confidence(i)) : 0), flags: t == p ? 1 : 0,
                         logLoss: probabilities ? Float(outcomes.logLoss(i)) : 0, brier: probabilities ? Float(outcomes.brier(i)) : 0,
                         confidence: probabilities ? Float(outcomes.confidence(i)) : 0)
        }
    }

    /// Fills `tally` (reset first) for the resample given by `weights` (one per member
    /// position) and returns its ROC AUC, nil where undefined. Branch-free on the weight: about
    /// a third of the members are not drawn in a resample, and skipping them would cost more in
    /// mispredicted branches than adding zeros.
    func evaluate(_ weights: [UInt16], into tally: inout MetricSuite.Tally) -> Double? {
        tally.reset()
        return binary ? evaluateBinary(weights, into: &tally) : evaluateGeneral(weights, into: &tally)
    }

    /// Two labels with probabilities, entries in score order, in two passes over arrays laid
    /// out for them (`BinaryLayout`). The first gathers each entry's weight (in score order)
    /// and keeps every count in integers, exactly: the confusion counts follow from Σw,
    /// Σw·positive, Σw·correct and Σw·positive·correct, and twice the ROC AUC's numerator is
    /// Σ over runs of equal scores of (positive weight) × (2 · negative weight below + negative
    /// weight in the run). The second sums the losses and the calibration bins over each run of
    /// one bin (entries sorted by score visit the bins in a few long runs), with four
    /// independent accumulators so that no addition waits for the one before.
    func evaluateBinary(_ weights: [UInt16], into tally: inout MetricSuite.Tally) -> Double? {
        guard let layout = binaryLayout else { return evaluateGeneral(weights, into: &tally) }
        let n = layout.positions.count
        var positiveWeight = 0
        var twiceArea = 0, negativesBelow = 0, groupPositives = 0, groupNegatives = 0
        weights.withUnsafeBufferPointer { w in
            layout.positions.withUnsafeBufferPointer { positions in
                layout.flags.withUnsafeBufferPointer { flags in
                    layout.gathered.withUnsafeMutableBufferPointer { gathered in
                        for e in 0..<n {
                            let weight = Int(w[Int(positions[e])])
                            gathered[e] = Float(weight)
                            let f = Int(flags[e])
                            if f & 4 != 0 {
                                twiceArea &+= groupPositives &* (2 &* negativesBelow &+ groupNegatives)
                                negativesBelow &+= groupNegatives
                                groupPositives = 0; groupNegatives = 0
                            }
                            let positiveShare = weight & -((f >> 1) & 1)
                            positiveWeight &+= positiveShare
                            groupPositives &+= positiveShare
                            groupNegatives &+= weight &- positiveShare
                        }
                    }
                }
            }
        }
        twiceArea &+= groupPositives &* (2 &* negativesBelow &+ groupNegatives)
        negativesBelow &+= groupNegatives

        var logLoss = 0.0, brier = 0.0, truePositiveSum: Float = 0
        layout.gathered.withUnsafeBufferPointer { g in
            layout.logLoss.withUnsafeBufferPointer { ll in
                layout.brier.withUnsafeBufferPointer { br in
                    layout.confidence.withUnsafeBufferPointer { cf in
                        layout.flags.withUnsafeBufferPointer { fl in
                            var t0: Float = 0, t1: Float = 0
                            for run in layout.binRuns {
                                var l0 = 0.0, l1 = 0.0, b0 = 0.0, b1 = 0.0, c0 = 0.0, c1 = 0.0
                                var w0: Float = 0, w1: Float = 0, h0: Float = 0, h1: Float = 0
                                var e = run.start
                                while e &+ 2 <= run.end {
                                    let x0 = g[e], x1 = g[e &+ 1]
                                    l0 += Double(x0 * ll[e]); l1 += Double(x1 * ll[e &+ 1])
                                    b0 += Double(x0 * br[e]); b1 += Double(x1 * br[e &+ 1])
                                    c0 += Double(x0 * cf[e]); c1 += Double(x1 * cf[e &+ 1])
                                    w0 += x0; w1 += x1
                                    h0 += x0 * Self.correct(fl[e]); h1 += x1 * Self.correct(fl[e &+ 1])
                                    t0 += x0 * Self.truePositive(fl[e]); t1 += x1 * Self.truePositive(fl[e &+ 1])
                                    e &+= 2
                                }
                                if e < run.end {
                                    let x0 = g[e]
                                    l0 += Double(x0 * ll[e]); b0 += Double(x0 * br[e]); c0 += Double(x0 * cf[e])
                                    w0 += x0; h0 += x0 * Self.correct(fl[e]); t0 += x0 * Self.truePositive(fl[e])
                                }
                                logLoss += l0 + l1
                                brier += b0 + b1
                                // Whole numbers below 2^24 (a run's weight is at most the slice's size): exact in Float.
                                tally.binCount[run.bin] += Int(w0) + Int(w1)
                                tally.binHits[run.bin] += Int(h0) + Int(h1)
                                tally.binConfidence[run.bin] += c0 + c1
                            }
                            truePositiveSum = t0 + t1
                        }
                    }
                }
            }
        }
        // Σw, Σw·correct and Σw·positive·correct: sums of whole numbers below 2^24, exact in Float.
        let total = tally.binCount.reduce(0, +), correctWeight = tally.binHits.reduce(0, +), truePositives = Int(truePositiveSum)
        let trueNegatives = correctWeight - truePositives
        // counts[t * 2 + p]: (0,0) true negatives, (0,1) false positives, (1,0) false negatives, (1,1) true positives.
        tally.counts[0] = trueNegatives
        tally.counts[1] = total - positiveWeight - trueNegatives
        tally.counts[2] = positiveWeight - truePositives
        tally.counts[3] = truePositives
        tally.total = total
        tally.logLoss = logLoss
        tally.brier = brier
        // Undefined when the resample holds one class only.
        return positiveWeight > 0 && negativesBelow > 0 ? Double(twiceArea) / (2 * Double(positiveWeight) * Double(negativesBelow)) : nil
    }

    /// 1 for a correct entry, else 0.
    @inline(__always) static func correct(_ flags: UInt8) -> Float { Float(flags & 1) }
    /// 1 for a correct positive (a true positive), else 0.
    @inline(__always) static func truePositive(_ flags: UInt8) -> Float { Float(flags & (flags >> 1) & 1) }

    /// Any number of labels (with or without probabilities), entries in member order.
    func evaluateGeneral(_ weights: [UInt16], into tally: inout MetricSuite.Tally) -> Double? {
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
        guard let order else { return nil }  // the variant gave no probabilities
        return MetricSuite.rocAUC(outcomes, slice: slice, order: order, weights: local.map { Int32(weights[Int($0)]) }).number
    }
}
