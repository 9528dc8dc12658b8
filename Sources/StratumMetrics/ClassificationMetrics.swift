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
    /// The counts row by row, for `CountFormulas`.
    private let flat: [Int]

    public init(confusion: ConfusionMatrix) {
        self.confusion = confusion
        flat = confusion.counts.flatMap { $0 }
    }

    /// `body` on this matrix's formulas.
    private func formulas<T>(_ body: (CountFormulas) -> T) -> T {
        flat.withUnsafeBufferPointer { body(CountFormulas($0, classCount: confusion.labels.count)) }
    }

    public var accuracy: MetricValue {
        formulas(\.accuracy).map(MetricValue.value) ?? .undefined("empty slice")
    }

    /// 95% Wilson score interval of the accuracy.
    public var accuracyInterval: ConfidenceInterval? {
        WilsonInterval.interval(successes: confusion.correct, trials: n)
    }

    public func precision(_ c: Int) -> MetricValue {
        formulas { $0.precision(c) }.map(MetricValue.value) ?? .undefined("class '\(confusion.labels[c])' is never predicted")
    }

    public func recall(_ c: Int) -> MetricValue {
        formulas { $0.recall(c) }.map(MetricValue.value) ?? .undefined("class '\(confusion.labels[c])' does not occur")
    }

    public func f1(_ c: Int) -> MetricValue {
        formulas { $0.f1(c) }.map(MetricValue.value) ?? .undefined("class '\(confusion.labels[c])' neither occurs nor is predicted")
    }

    public var balancedAccuracy: MetricValue {
        formulas(\.balancedAccuracy).map(MetricValue.value) ?? .undefined("empty slice")
    }

    public var macroF1: MetricValue {
        formulas(\.macroF1).map(MetricValue.value) ?? .undefined("no class occurs or is predicted")
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
        formulas(\.weightedF1).map(MetricValue.value) ?? .undefined("empty slice")
    }

    /// Matthews correlation coefficient (multiclass form, Gorodkin 2004; `matthews_corrcoef`).
    /// scikit-learn returns 0 when either the true or the predicted labels hold one class only;
    /// Stratum says *undefined* there, with the reason.
    public var matthewsCorrelation: MetricValue {
        switch formulas(\.matthewsCorrelation) {
        case .value(let value): return .value(value)
        case .empty: return .undefined("empty slice")
        case .onePredictedClass: return .undefined("every prediction is one class")
        case .oneTrueClass: return .undefined("the slice holds one class only")
        }
    }

    /// Fraction of the slice predicted as class `c` (fairlearn's `selection_rate` with `pos_label=c`).
    public func selectionRate(_ c: Int) -> MetricValue {
        formulas { $0.selectionRate(c) }.map(MetricValue.value) ?? .undefined("empty slice")
    }

    /// One-vs-rest false positive rate of class `c`: samples of other classes predicted as `c`,
    /// over the samples of other classes.
    public func falsePositiveRate(_ c: Int) -> MetricValue {
        formulas { $0.falsePositiveRate(c) }.map(MetricValue.value) ?? .undefined("no sample of another class than '\(confusion.labels[c])'")
    }
}
