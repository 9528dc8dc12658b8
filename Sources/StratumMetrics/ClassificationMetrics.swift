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
}

/// How an interval was made (stored beside it).
public enum IntervalMethod: String, Sendable, Equatable, Codable {
    /// Wilson score interval, 95% (proportions).
    case wilson
    /// Percentile interval of a bootstrap stratified by true class, 95%.
    case stratifiedBootstrap = "bootstrap-stratified-percentile"
}

/// One named metric with its n, the count it divides by, and its optional interval.
public struct NamedMetric: Sendable, Equatable {
    public var name: String
    public var value: MetricValue
    public var interval: ConfidenceInterval?
    public var intervalMethod: IntervalMethod?
    /// Samples in the slice.
    public var n: Int
    /// For a proportion, its trials (e.g. recall: the class's support); for a mean over
    /// samples, n; nil otherwise.
    public var denominator: Int?

    public init(name: String, value: MetricValue, interval: ConfidenceInterval? = nil, intervalMethod: IntervalMethod? = nil, n: Int = 0, denominator: Int? = nil) {
        self.name = name
        self.value = value
        self.interval = interval
        self.intervalMethod = intervalMethod ?? (interval == nil ? nil : .wilson)
        self.n = n
        self.denominator = denominator
    }
}

extension ClassificationMetrics {
    /// Support-weighted mean of the per-class F1 over the classes that occur (as scikit-learn's
    /// `average="weighted"`: a class with no samples has weight 0).
    public var weightedF1: MetricValue {
        var sum = 0.0, weight = 0
        for c in confusion.labels.indices {
            let support = confusion.support(c)
            guard support > 0, let f1 = f1(c).number else { continue }
            sum += Double(support) * f1
            weight += support
        }
        guard weight > 0 else { return .undefined("empty slice") }
        return .value(sum / Double(weight))
    }

    /// Matthews correlation coefficient (multiclass form, Gorodkin 2004; `matthews_corrcoef`).
    /// scikit-learn returns 0 when either the true or the predicted labels hold one class only;
    /// Stratum says *undefined* there, with the reason.
    public var matthewsCorrelation: MetricValue {
        guard n > 0 else { return .undefined("empty slice") }
        let k = confusion.labels.count
        let s = Double(n), c = Double(confusion.correct)
        var tp = 0.0, pp = 0.0, tt = 0.0
        for i in 0..<k {
            let t = Double(confusion.support(i)), p = Double(confusion.predictedCount(i))
            tp += t * p
            pp += p * p
            tt += t * t
        }
        let covTP = c * s - tp, covPP = s * s - pp, covTT = s * s - tt
        guard covPP > 0 else { return .undefined("every prediction is one class") }
        guard covTT > 0 else { return .undefined("the slice holds one class only") }
        return .value(covTP / (covPP * covTT).squareRoot())
    }

    /// Fraction of the slice predicted as class `c` (fairlearn's `selection_rate` with `pos_label=c`).
    public func selectionRate(_ c: Int) -> MetricValue {
        n == 0 ? .undefined("empty slice") : .value(Double(confusion.predictedCount(c)) / Double(n))
    }

    /// One-vs-rest false positive rate of class `c`: samples of other classes predicted as `c`,
    /// over the samples of other classes.
    public func falsePositiveRate(_ c: Int) -> MetricValue {
        let negatives = n - confusion.support(c)
        guard negatives > 0 else { return .undefined("no sample of another class than '\(confusion.labels[c])'") }
        return .value(Double(confusion.predictedCount(c) - confusion.counts[c][c]) / Double(negatives))
    }
}
