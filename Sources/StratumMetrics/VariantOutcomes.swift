import Foundation

/// What one variant answered for every evaluated sample, as class indices into one label order.
///
/// Per-sample losses follow from a sample's probability row and its true class; they are
/// computed when asked for (a slice, or the bootstrap's layout of it, reads each once), not
/// held: at 200,000 samples and three variants, holding them as Doubles was 14 MB.
/// - log loss of a sample: −ln p̂(true class), where p̂ is the sample's probability row clipped
///   to [ε, 1 − ε] (ε = `Double.ulpOfOne`, 2.2e-16) and not renormalised, as scikit-learn's
///   `log_loss` (1.9) does for float64 input;
/// - Brier loss: binary (two labels): (p(labels[1]) − [true class is labels[1]])², as
///   `brier_score_loss(y_true == 1, p[:, 1])`; more labels: Σ_k (p_k − [k is the true class])²;
/// - confidence: the probability the variant gave its predicted label (for calibration).
///
/// Probabilities are kept as `Float` when every one of them is a `Float` exactly (what models
/// and the store give: half the memory, and every loss the same to the last bit), else as `Double`.
public struct VariantOutcomes: Sendable {
    public let labels: [String]
    public let truth: [Int32]
    public let predicted: [Int32]
    /// Row-major, `count` × `labels.count`.
    enum Rows: Sendable {
        case none
        case float([Float])
        case double([Double])
    }
    let rows: Rows

    public var count: Int { truth.count }
    public var classCount: Int { labels.count }
    public var hasProbabilities: Bool {
        if case .none = rows { return false }
        return true
    }

    /// Row-major, `count` × `labels.count`; empty when the variant gave no probabilities.
    /// A copy as `Double`s: `probability(_:_:)` reads one without copying.
    public var probabilities: [Double] {
        switch rows {
        case .none: return []
        case .float(let values): return values.map(Double.init)
        case .double(let values): return values
        }
    }

    /// - Precondition: indices lie in `0..<labels.count`; `probabilities` is empty or holds
    ///   `labels.count` values per sample.
    public init(labels: [String], truth: [Int32], predicted: [Int32], probabilities: [Double] = []) {
        let rows: Rows
        if probabilities.isEmpty {
            rows = .none
        } else if probabilities.allSatisfy({ Double(Float($0)) == $0 || $0.isNaN }) {
            rows = .float(probabilities.map(Float.init))
        } else {
            rows = .double(probabilities)
        }
        self.init(labels: labels, truth: truth, predicted: predicted, rows: rows, probabilityCount: probabilities.count)
    }

    /// Probabilities as a model gives them (`Float`), kept as they are.
    public init(labels: [String], truth: [Int32], predicted: [Int32], floatProbabilities: [Float]) {
        self.init(labels: labels, truth: truth, predicted: predicted, rows: floatProbabilities.isEmpty ? .none : .float(floatProbabilities),
                  probabilityCount: floatProbabilities.count)
    }

    fileprivate init(labels: [String], truth: [Int32], predicted: [Int32], rows: Rows, probabilityCount: Int) {
        let k = labels.count
        precondition(truth.count == predicted.count, "VariantOutcomes: truth and predictions differ in length")
        precondition(probabilityCount == 0 || probabilityCount == truth.count * k, "VariantOutcomes: probabilities must be n × k")
        precondition(truth.allSatisfy { $0 >= 0 && Int($0) < k } && predicted.allSatisfy { $0 >= 0 && Int($0) < k }, "VariantOutcomes: class index out of range")
        self.labels = labels
        self.truth = truth
        self.predicted = predicted
        self.rows = rows
    }

    /// The probability sample `i` was given for label `c` (0 without probabilities).
    @inline(__always)
    public func probability(_ i: Int, _ c: Int) -> Double {
        switch rows {
        case .none: return 0
        case .float(let values): return Double(values[i * labels.count + c])
        case .double(let values): return values[i * labels.count + c]
        }
    }

    /// Whether sample `i` was predicted right.
    @inline(__always)
    public func isCorrect(_ i: Int) -> Bool { truth[i] == predicted[i] }

    /// −ln of sample `i`'s probability for its true class, clipped to [ε, 1 − ε].
    @inline(__always)
    public func logLoss(_ i: Int) -> Double {
        let eps = Double.ulpOfOne
        return -Foundation.log(min(max(probability(i, Int(truth[i])), eps), 1 - eps))
    }

    /// Sample `i`'s Brier loss (binary: of labels[1] alone; else summed over the labels).
    @inline(__always)
    public func brier(_ i: Int) -> Double {
        let t = Int(truth[i])
        if classCount == 2 {
            let d = probability(i, 1) - (t == 1 ? 1 : 0)
            return d * d
        }
        var s = 0.0
        for c in 0..<classCount {
            let d = probability(i, c) - (c == t ? 1 : 0)
            s += d * d
        }
        return s
    }

    /// The probability sample `i` was given for its predicted label.
    @inline(__always)
    public func confidence(_ i: Int) -> Double { probability(i, Int(predicted[i])) }
}

extension VariantOutcomes {
    /// The outcomes of the samples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> VariantOutcomes {
        let k = classCount
        let chosen: Rows
        switch rows {
        case .none:
            chosen = .none
        case .float(let values):
            chosen = .float(indices.flatMap { values[($0 * k)..<($0 * k + k)] })
        case .double(let values):
            chosen = .double(indices.flatMap { values[($0 * k)..<($0 * k + k)] })
        }
        return VariantOutcomes(labels: labels, truth: indices.map { truth[$0] }, predicted: indices.map { predicted[$0] }, rows: chosen,
                               probabilityCount: hasProbabilities ? indices.count * k : 0)
    }
}
