/// The metrics of one variant on one slice, computed from its confusion matrix.
///
/// Definitions (identical to scikit-learn with `zero_division=np.nan`):
/// - accuracy = correct / n; undefined when n = 0.
/// - precision_c = tp / (tp + fp); undefined when class c is never predicted.
/// - recall_c = tp / (tp + fn); undefined when class c never occurs.
/// - f1_c = 2tp / (2tp + fp + fn); undefined only when c neither occurs nor is predicted.
/// - balanced accuracy = mean recall over classes that occur (`balanced_accuracy_score`).
/// - macro F1 = mean of the defined per-class F1 values.
public struct ClassificationMetrics: Sendable, Equatable {
    public let confusion: ConfusionMatrix
    public var n: Int { confusion.total }

    public init(confusion: ConfusionMatrix) {
        self.confusion = confusion
    }

    public var accuracy: MetricValue {
        n == 0 ? .undefined("empty slice") : .value(Double(confusion.correct) / Double(n))
    }

    /// 95% Wilson score interval of the accuracy.
    public var accuracyInterval: ConfidenceInterval? {
        WilsonInterval.interval(successes: confusion.correct, trials: n)
    }

    public func precision(_ c: Int) -> MetricValue {
        let predicted = confusion.predictedCount(c)
        guard predicted > 0 else { return .undefined("class '\(confusion.labels[c])' is never predicted") }
        return .value(Double(confusion.counts[c][c]) / Double(predicted))
    }

    public func recall(_ c: Int) -> MetricValue {
        let support = confusion.support(c)
        guard support > 0 else { return .undefined("class '\(confusion.labels[c])' does not occur") }
        return .value(Double(confusion.counts[c][c]) / Double(support))
    }

    public func f1(_ c: Int) -> MetricValue {
        let tp = confusion.counts[c][c]
        let denominator = confusion.support(c) + confusion.predictedCount(c)
        guard denominator > 0 else { return .undefined("class '\(confusion.labels[c])' neither occurs nor is predicted") }
        return .value(2 * Double(tp) / Double(denominator))
    }

    public var balancedAccuracy: MetricValue {
        let recalls = confusion.labels.indices.compactMap { recall($0).number }
        guard !recalls.isEmpty else { return .undefined("empty slice") }
        return .value(recalls.reduce(0, +) / Double(recalls.count))
    }

    public var macroF1: MetricValue {
        let scores = confusion.labels.indices.compactMap { f1($0).number }
        guard !scores.isEmpty else { return .undefined("no class occurs or is predicted") }
        return .value(scores.reduce(0, +) / Double(scores.count))
    }

    /// Every metric as named rows, the names stating their direction (`…Score`: higher is better).
    /// Per-class metrics are named `precisionScore[label]` etc.
    public var namedValues: [NamedMetric] {
        var rows = [
            NamedMetric(name: "accuracyScore", value: accuracy, interval: accuracyInterval),
            NamedMetric(name: "balancedAccuracyScore", value: balancedAccuracy),
            NamedMetric(name: "macroF1Score", value: macroF1),
        ]
        for (c, label) in confusion.labels.enumerated() {
            rows.append(NamedMetric(name: "precisionScore[\(label)]", value: precision(c)))
            rows.append(NamedMetric(name: "recallScore[\(label)]", value: recall(c)))
            rows.append(NamedMetric(name: "f1Score[\(label)]", value: f1(c)))
        }
        return rows
    }
}

/// One named metric with its optional confidence interval.
public struct NamedMetric: Sendable, Equatable {
    public var name: String
    public var value: MetricValue
    public var interval: ConfidenceInterval?
    public init(name: String, value: MetricValue, interval: ConfidenceInterval? = nil) {
        self.name = name
        self.value = value
        self.interval = interval
    }
}
