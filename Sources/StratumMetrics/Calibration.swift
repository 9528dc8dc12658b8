/// Top-label calibration: how often predictions made with confidence c are right.
///
/// Confidence is the largest class probability. Predictions fall into `binCount` equal-width
/// bins over [0, 1] (bin b holds b/B ≤ c < (b+1)/B; c = 1 goes to the last bin).
/// Expected calibration error: ECE = Σ_b (n_b / N) · |accuracy_b − mean confidence_b|,
/// over non-empty bins (Guo et al., 2017). Undefined for no predictions.
public struct Calibration: Sendable, Equatable {
    public struct Bin: Sendable, Equatable {
        public var lower: Double
        public var upper: Double
        public var count: Int
        /// Mean confidence of the predictions in the bin (nil when empty).
        public var meanConfidence: Double?
        /// Fraction correct in the bin (nil when empty).
        public var accuracy: Double?
    }

    public var bins: [Bin]
    public var expectedCalibrationError: MetricValue

    /// - Parameters:
    ///   - confidences: the top probability of each prediction, in [0, 1].
    ///   - correct: whether each prediction was right.
    public init(confidences: [Double], correct: [Bool], binCount: Int = 10) {
        precondition(confidences.count == correct.count && binCount > 0, "Calibration: mismatched inputs")
        var counts = [Int](repeating: 0, count: binCount)
        var confidenceSums = [Double](repeating: 0, count: binCount)
        var hits = [Int](repeating: 0, count: binCount)
        for (confidence, isCorrect) in zip(confidences, correct) {
            let b = min(binCount - 1, max(0, Int(confidence * Double(binCount))))
            counts[b] += 1
            confidenceSums[b] += confidence
            if isCorrect { hits[b] += 1 }
        }
        var bins: [Bin] = []
        for b in 0..<binCount {
            let n = counts[b]
            let lower = Double(b) / Double(binCount), upper = Double(b + 1) / Double(binCount)
            let meanConfidence: Double? = n == 0 ? nil : confidenceSums[b] / Double(n)
            let accuracy: Double? = n == 0 ? nil : Double(hits[b]) / Double(n)
            bins.append(Bin(lower: lower, upper: upper, count: n, meanConfidence: meanConfidence, accuracy: accuracy))
        }
        self.bins = bins
        let total = confidences.count
        if total == 0 {
            expectedCalibrationError = .undefined("no predictions")
        } else {
            var ece = 0.0
            for bin in bins {
                if let confidence = bin.meanConfidence, let accuracy = bin.accuracy {
                    ece += Double(bin.count) / Double(total) * abs(accuracy - confidence)
                }
            }
            expectedCalibrationError = .value(ece)
        }
    }
}
