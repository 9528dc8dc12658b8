import Foundation

/// The `gate` decision: a check (one variant on one slice) fails only when the data support a
/// drop beyond the allowed one.
///
/// A drop is supported when all of these hold:
/// 1. the slice has at least `minimumSamples` samples;
/// 2. the whole paired bootstrap interval of the difference lies beyond the allowed drop;
/// 3. for accuracy (`testsCorrectness`), the exact McNemar test on the samples exactly one run
///    classified correctly is significant in the worse direction after Holm's correction across
///    every check of the gate (each variant × slice; slices with the same members as an
///    earlier one count once).
///
/// The interval alone is not enough. A percentile interval of a slice with a few discordant
/// samples, all one way, collapses onto them: 10 samples with 2 lost and none gained gave
/// [−0.40, −0.10] where McNemar's p is 0.5, and one sample lost gave [−1, −1]. And a gate
/// checking 30 slices at 95% each would fail a fair share of unchanged models.
public struct GateRule: Sendable, Equatable {
    /// The largest drop allowed, in the metric's units.
    public var maxDrop: Double
    public var higherIsBetter: Bool
    public var minimumSamples: Int
    /// Significance level of the corrected McNemar tests.
    public var alpha: Double
    /// Whether the metric is accuracy, so that McNemar's test on correctness tests it.
    public var testsCorrectness: Bool

    public init(maxDrop: Double, higherIsBetter: Bool = true, minimumSamples: Int = 20, alpha: Double = 0.05, testsCorrectness: Bool = true) {
        self.maxDrop = maxDrop
        self.higherIsBetter = higherIsBetter
        self.minimumSamples = minimumSamples
        self.alpha = alpha
        self.testsCorrectness = testsCorrectness
    }

    public struct Decision: Sendable, Equatable {
        public var passed: Bool
        public var reason: String
        /// McNemar's p after Holm's correction across the gate, for tested checks of accuracy.
        public var adjustedP: Double?
    }

    /// A decision for every row of every comparison, in the same shape. `comparisons` come from
    /// `PairedComparison.compare` with `minimumSamples` equal to this rule's (so tested rows
    /// carry their exact McNemar p).
    public func decide(_ comparisons: [[SliceComparison]], confidence: Double) -> [[Decision]] {
        var tested: [(Int, Int)] = []
        for (c, rows) in comparisons.enumerated() {
            for (r, row) in rows.enumerated() where row.sameMembersAs == nil && row.n >= minimumSamples && row.p != nil { tested.append((c, r)) }
        }
        var adjusted: [[Double?]] = comparisons.map { [Double?](repeating: nil, count: $0.count) }
        if testsCorrectness {
            for (k, p) in MultipleTesting.adjust(tested.map { comparisons[$0.0][$0.1].p ?? 1 }, method: .holm).enumerated() {
                adjusted[tested[k].0][tested[k].1] = p
            }
            for (c, rows) in comparisons.enumerated() {
                for (r, row) in rows.enumerated() {
                    guard let first = row.sameMembersAs, let index = rows.firstIndex(where: { $0.slice == first && $0.sameMembersAs == nil }) else { continue }
                    adjusted[c][r] = adjusted[c][index]
                }
            }
        }
        return comparisons.enumerated().map { c, rows in
            rows.enumerated().map { r, row in decide(row, adjustedP: adjusted[c][r], confidence: confidence) }
        }
    }

    func decide(_ row: SliceComparison, adjustedP: Double?, confidence: Double) -> Decision {
        guard let low = row.low, let high = row.high else {
            return Decision(passed: true, reason: "no interval (metric undefined on this slice, or --resamples 0): nothing to support a drop")
        }
        let interval = Self.format("[%+.4f, %+.4f]", low, high)
        let allowed = (higherIsBetter ? "−" : "+") + Self.format("%.4f", maxDrop)
        guard higherIsBetter ? high < -maxDrop : low > maxDrop else {
            if let d = row.difference, higherIsBetter ? d < -maxDrop : d > maxDrop {
                return Decision(passed: true, reason: "point estimate \(Self.format("%+.4f", d)) is beyond the allowed drop, but the interval \(interval) reaches back within it: not supported", adjustedP: adjustedP)
            }
            return Decision(passed: true, reason: "within the allowed drop: interval \(interval)", adjustedP: adjustedP)
        }
        guard row.n >= minimumSamples else {
            return Decision(passed: true, reason: "the interval \(interval) lies beyond \(allowed), but \(row.n) samples (fewer than \(minimumSamples)) cannot support a drop: not supported")
        }
        let whole = "the whole \(Int((confidence * 100).rounded()))% interval \(interval) lies beyond the allowed \(allowed)"
        guard testsCorrectness else { return Decision(passed: false, reason: "drop supported: \(whole)") }
        let counts = "\(row.baselineOnlyCorrect) right only in the baseline, \(row.candidateOnlyCorrect) only in the run"
        guard let p = adjustedP, p <= alpha, row.baselineOnlyCorrect > row.candidateOnlyCorrect else {
            return Decision(passed: true, reason: "\(whole), but McNemar's exact test (\(counts)) is not significant after Holm's correction over the gate's checks (adjusted p \(adjustedP.map { Self.format("%.4g", $0) } ?? "—") > \(Self.format("%.4g", alpha))): not supported", adjustedP: adjustedP)
        }
        return Decision(passed: false, reason: "drop supported: \(whole), and McNemar's exact test (\(counts)) gives adjusted p \(Self.format("%.4g", p)) ≤ \(Self.format("%.4g", alpha))", adjustedP: p)
    }

    static func format(_ format: String, _ values: CVarArg...) -> String { String(format: format, arguments: values) }
}
