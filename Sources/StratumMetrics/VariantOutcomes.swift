import Foundation

/// What one variant answered for every evaluated sample, as class indices into one label order.
///
/// Per-sample losses are computed once here, so that a slice, and each bootstrap resample of
/// it, only sums them:
/// - log loss of a sample: −ln p̂(true class), where p̂ is the sample's probability row clipped
///   to [ε, 1 − ε] (ε = `Double.ulpOfOne`, 2.2e-16) and not renormalised, as scikit-learn's
///   `log_loss` (1.9) does for float64 input;
/// - Brier loss: binary (two labels): (p(labels[1]) − [true class is labels[1]])², as
///   `brier_score_loss(y_true == 1, p[:, 1])`; more labels: Σ_k (p_k − [k is the true class])²;
/// - confidence: the probability the variant gave its predicted label (for calibration).
public struct VariantOutcomes: Sendable {
    public let labels: [String]
    public let truth: [Int32]
    public let predicted: [Int32]
    /// Row-major, `count` × `labels.count`; empty when the variant gave no probabilities.
    public let probabilities: [Double]
    /// Per sample (empty without probabilities): log loss, Brier loss, the predicted label's probability.
    public let logLoss: [Double]
    public let brier: [Double]
    public let confidence: [Double]
    public let correct: [Bool]

    public var count: Int { truth.count }
    public var classCount: Int { labels.count }
    public var hasProbabilities: Bool { !probabilities.isEmpty }

    /// - Precondition: indices lie in `0..<labels.count`; `probabilities` is empty or holds
    ///   `labels.count` values per sample.
    public init(labels: [String], truth: [Int32], predicted: [Int32], probabilities: [Double] = []) {
        let k = labels.count
        precondition(truth.count == predicted.count, "VariantOutcomes: truth and predictions differ in length")
        precondition(probabilities.isEmpty || probabilities.count == truth.count * k, "VariantOutcomes: probabilities must be n × k")
        precondition(truth.allSatisfy { $0 >= 0 && Int($0) < k } && predicted.allSatisfy { $0 >= 0 && Int($0) < k }, "VariantOutcomes: class index out of range")
        self.labels = labels
        self.truth = truth
        self.predicted = predicted
        self.probabilities = probabilities
        self.correct = zip(truth, predicted).map { $0 == $1 }
        guard !probabilities.isEmpty else {
            logLoss = []; brier = []; confidence = []
            return
        }
        let eps = Double.ulpOfOne
        var logLoss = [Double](repeating: 0, count: truth.count)
        var brier = [Double](repeating: 0, count: truth.count)
        var confidence = [Double](repeating: 0, count: truth.count)
        for i in 0..<truth.count {
            let row = probabilities[(i * k)..<(i * k + k)]
            let t = Int(truth[i])
            logLoss[i] = -Foundation.log(min(max(row[row.startIndex + t], eps), 1 - eps))
            if k == 2 {
                let d = row[row.startIndex + 1] - (t == 1 ? 1 : 0)
                brier[i] = d * d
            } else {
                var s = 0.0
                for (c, p) in row.enumerated() {
                    let d = p - (c == t ? 1 : 0)
                    s += d * d
                }
                brier[i] = s
            }
            confidence[i] = row[row.startIndex + Int(predicted[i])]
        }
        self.logLoss = logLoss
        self.brier = brier
        self.confidence = confidence
    }
}

extension VariantOutcomes {
    /// The outcomes of the samples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> VariantOutcomes {
        let k = classCount
        var rows: [Double] = []
        if hasProbabilities {
            rows.reserveCapacity(indices.count * k)
            for i in indices { rows += probabilities[(i * k)..<(i * k + k)] }
        }
        return VariantOutcomes(labels: labels, truth: indices.map { truth[$0] }, predicted: indices.map { predicted[$0] }, probabilities: rows)
    }
}
