import Foundation

/// Every metric Stratum computes for a variant on a slice, in one fixed order.
///
/// Label order is the variant's (the dataset's labels, sorted). Confusion matrices have true
/// labels as rows and predicted labels as columns. An undefined value is `.undefined(reason)`,
/// never 0. With two labels, `labels[1]` is the positive class of ROC AUC and Brier score.
///
/// | name | definition | interval |
/// |---|---|---|
/// | `accuracyScore` | correct / n | Wilson |
/// | `balancedAccuracyScore` | mean recall over the classes present | bootstrap |
/// | `macroF1Score` | mean of the defined per-class F1 | bootstrap |
/// | `weightedF1Score` | support-weighted mean F1 | bootstrap |
/// | `matthewsCorrcoef` | multiclass MCC | bootstrap |
/// | `rocAucScore` | binary AUC of p(labels[1]); more labels: one-vs-rest macro | bootstrap |
/// | `logLoss` | mean −ln p(true class) | bootstrap |
/// | `brierScoreLoss` | mean Brier loss (see `VariantOutcomes`) | bootstrap |
/// | `expectedCalibrationError` | 10 equal-width confidence bins (`Calibration`) | bootstrap |
/// | `precisionScore[c]` | tp / predicted c | Wilson |
/// | `recallScore[c]` | tp / support of c | Wilson |
/// | `f1Score[c]` | 2tp / (support + predicted) | bootstrap |
/// | `selectionRate[c]` | predicted c / n | Wilson |
/// | `truePositiveRate[c]` | = recall of c | Wilson |
/// | `falsePositiveRate[c]` | other classes predicted c / samples of other classes | Wilson |
///
/// A slice holding one class only (e.g. a slice defined on the label): balanced accuracy is
/// that class's recall (= accuracy); the absent class's recall and true positive rate are
/// undefined; its F1 is 0 when it was predicted at all (every such prediction is wrong) and
/// undefined otherwise, so macro F1 averages in that 0 — it is ≤ half the present class's F1 —
/// and weighted F1 ignores it; MCC and ROC AUC are undefined.
public struct MetricLayout: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A proportion successes/trials: gets a Wilson interval.
        case proportion
        /// Anything else: gets a bootstrap interval.
        case statistic
    }

    public let labels: [String]
    public let names: [String]
    public let kinds: [Kind]
    /// Whether larger values are better (false for losses and calibration error).
    public let higherIsBetter: [Bool]

    static let perClassNames = ["precisionScore", "recallScore", "f1Score", "selectionRate", "truePositiveRate", "falsePositiveRate"]
    static let overallNames: [(String, Kind, Bool)] = [
        ("accuracyScore", .proportion, true), ("balancedAccuracyScore", .statistic, true), ("macroF1Score", .statistic, true),
        ("weightedF1Score", .statistic, true), ("matthewsCorrcoef", .statistic, true), ("rocAucScore", .statistic, true),
        ("logLoss", .statistic, false), ("brierScoreLoss", .statistic, false), ("expectedCalibrationError", .statistic, false),
    ]

    public init(labels: [String]) {
        self.labels = labels
        var names = Self.overallNames.map(\.0), kinds = Self.overallNames.map(\.1), higher = Self.overallNames.map(\.2)
        for label in labels {
            for (i, name) in Self.perClassNames.enumerated() {
                names.append("\(name)[\(label)]")
                kinds.append(i == 2 ? .statistic : .proportion)
                higher.append(i != 5)  // a false positive rate is better low
            }
        }
        self.names = names
        self.kinds = kinds
        self.higherIsBetter = higher
    }

    public func index(of name: String) -> Int? { names.firstIndex(of: name) }
}

/// The members of one slice, grouped for stratified resampling.
public struct EvaluationSlice: Sendable {
    /// Sample indices (into a `VariantOutcomes`).
    public let members: [Int32]
    /// Positions into `members`, one list per true class.
    public let strata: [[Int32]]

    public init(members: [Int32], truth: [Int32], classCount: Int) {
        self.members = members
        var strata = [[Int32]](repeating: [], count: classCount)
        for (position, sample) in members.enumerated() { strata[Int(truth[Int(sample)])].append(Int32(position)) }
        self.strata = strata
    }
}

/// One slice's metrics, each with its n, denominator and interval.
public struct SliceMetrics: Sendable {
    public var confusion: ConfusionMatrix
    public var metrics: [NamedMetric]
    public var n: Int { confusion.total }
}

/// Computes `MetricLayout`'s metrics. One code path serves point estimates (weights 1) and
/// bootstrap resamples (a weight per member: how often the resample drew it).
public enum MetricSuite {
    /// Members of a slice sorted by the score of each class ROC AUC uses; computed once per
    /// variant and slice and reused by every resample.
    public struct ScoreOrder: Sendable {
        /// Per scored class: positions into the slice's members, ascending by score.
        public let order: [[Int32]]
        /// Per scored class: whether position i of `order` starts a new run of equal scores.
        public let startsGroup: [[Bool]]
        public let classes: [Int]

        public init(_ outcomes: VariantOutcomes, slice: EvaluationSlice) {
            let k = outcomes.classCount
            classes = outcomes.hasProbabilities ? (k == 2 ? [1] : Array(0..<k)) : []
            var order: [[Int32]] = [], starts: [[Bool]] = []
            for c in classes {
                let score = { (position: Int32) in outcomes.probability(Int(slice.members[Int(position)]), c) }
                let sorted = (0..<Int32(slice.members.count)).sorted { score($0) < score($1) }
                order.append(sorted)
                starts.append(sorted.indices.map { $0 == 0 || score(sorted[$0]) != score(sorted[$0 - 1]) })
            }
            self.order = order
            self.startsGroup = starts
        }
    }

    /// Sums from which every metric follows: weighted confusion counts and, when the variant
    /// gave probabilities, sums of per-sample losses and the calibration bins.
    public struct Tally: Sendable {
        public var counts: [Int]
        public var total = 0
        public var logLoss = 0.0
        public var brier = 0.0
        public var binCount = [Int](repeating: 0, count: 10)
        public var binConfidence = [Double](repeating: 0, count: 10)
        public var binHits = [Int](repeating: 0, count: 10)

        public init(classCount k: Int) { counts = [Int](repeating: 0, count: k * k) }

        public mutating func reset() {
            for i in counts.indices { counts[i] = 0 }
            for i in 0..<10 { binCount[i] = 0; binConfidence[i] = 0; binHits[i] = 0 }
            total = 0; logLoss = 0; brier = 0
        }

        /// Mean log loss, mean Brier loss and the expected calibration error (`total` > 0).
        var meanLosses: (logLoss: Double, brier: Double, calibrationError: Double) {
            let total = Double(self.total)
            var ece = 0.0
            for b in 0..<10 where binCount[b] > 0 {
                ece += abs(Double(binHits[b]) - binConfidence[b]) / total
            }
            return (logLoss / total, brier / total, ece)
        }

        /// Adds sample `i` of `outcomes` `w` times.
        @inline(__always)
        public mutating func add(_ outcomes: VariantOutcomes, _ i: Int, weight w: Int) {
            let k = outcomes.classCount
            counts[Int(outcomes.truth[i]) * k + Int(outcomes.predicted[i])] += w
            total += w
            guard outcomes.hasProbabilities else { return }
            logLoss += Double(w) * outcomes.logLoss(i)
            brier += Double(w) * outcomes.brier(i)
            let confidence = outcomes.confidence(i)
            let b = calibrationBin(confidence)
            binCount[b] += w
            binConfidence[b] += Double(w) * confidence
            if outcomes.isCorrect(i) { binHits[b] += w }
        }
    }

    /// The equal-width bin (of 10) of a confidence; 1.0 goes to the last.
    @inline(__always)
    public static func calibrationBin(_ confidence: Double) -> Int { min(9, max(0, Int(confidence * 10))) }

    /// The metrics of `outcomes` on `slice`, in `MetricLayout(labels:)` order.
    /// - Parameter weights: how many times each member counts (nil: once each).
    public static func values(_ outcomes: VariantOutcomes, slice: EvaluationSlice, order: ScoreOrder, weights: [Int32]? = nil) -> (ConfusionMatrix, [MetricValue]) {
        var tally = Tally(classCount: outcomes.classCount)
        for (position, sample) in slice.members.enumerated() {
            let w = weights.map { Int($0[position]) } ?? 1
            if w != 0 { tally.add(outcomes, Int(sample), weight: w) }
        }
        return assemble(outcomes, tally: tally) { rocAUC(outcomes, slice: slice, order: order, weights: weights) }
    }

    /// Every metric from a tally; `auc` is asked only when it can be defined.
    public static func assemble(_ outcomes: VariantOutcomes, tally: Tally, auc: () -> MetricValue) -> (ConfusionMatrix, [MetricValue]) {
        let k = outcomes.classCount
        let confusion = ConfusionMatrix(labels: outcomes.labels, counts: (0..<k).map { Array(tally.counts[($0 * k)..<($0 * k + k)]) })
        let m = ClassificationMetrics(confusion: confusion)
        let noProbabilities = MetricValue.undefined("the variant gave no probabilities")
        let empty = MetricValue.undefined("empty slice")
        var values: [MetricValue] = [m.accuracy, m.balancedAccuracy, m.macroF1, m.weightedF1, m.matthewsCorrelation]
        if !outcomes.hasProbabilities {
            values += [noProbabilities, noProbabilities, noProbabilities, noProbabilities]
        } else if tally.total == 0 {
            values += [empty, empty, empty, empty]
        } else {
            values.append(auc())
            let losses = tally.meanLosses
            values += [.value(losses.logLoss), .value(losses.brier), .value(losses.calibrationError)]
        }
        for c in 0..<k {
            values += [m.precision(c), m.recall(c), m.f1(c), m.selectionRate(c), m.recall(c), m.falsePositiveRate(c)]
        }
        return (confusion, values)
    }

    /// `assemble`'s numbers, NaN where a value is undefined, written into `values`
    /// (`MetricLayout` order) without allocating: for the bootstrap, which assembles every
    /// resample of every slice and variant (on a 287-sample run, 116,000 times; building the
    /// matrices and reasons took longer than the resamples' own arithmetic).
    /// - Parameter auc: the ROC AUC, nil when undefined (read only when it can be defined).
    public static func assembleNumbers(_ outcomes: VariantOutcomes, tally: Tally, auc: Double?, into values: UnsafeMutableBufferPointer<Double>) {
        let k = outcomes.classCount, overall = MetricLayout.overallNames.count, perClass = MetricLayout.perClassNames.count
        precondition(values.count == overall + perClass * k, "assembleNumbers: \(values.count) values for \(k) classes")
        tally.counts.withUnsafeBufferPointer { counts in
            let m = CountFormulas(counts, classCount: k)
            values[0] = m.accuracy ?? .nan
            values[1] = m.balancedAccuracy ?? .nan
            values[2] = m.macroF1 ?? .nan
            values[3] = m.weightedF1 ?? .nan
            values[4] = m.matthewsCorrelation.number ?? .nan
            if outcomes.hasProbabilities && tally.total > 0 {
                let losses = tally.meanLosses
                (values[5], values[6], values[7], values[8]) = (auc ?? .nan, losses.logLoss, losses.brier, losses.calibrationError)
            } else {
                for i in 5..<overall { values[i] = .nan }
            }
            for c in 0..<k {
                let recall = m.recall(c) ?? .nan
                let base = overall + perClass * c
                values[base] = m.precision(c) ?? .nan
                values[base + 1] = recall
                values[base + 2] = m.f1(c) ?? .nan
                values[base + 3] = m.selectionRate(c) ?? .nan
                values[base + 4] = recall
                values[base + 5] = m.falsePositiveRate(c) ?? .nan
            }
        }
    }

    /// Binary: the probability that a random positive outscores a random negative, ties
    /// counting one half (`roc_auc_score`). More labels: the unweighted mean of each class
    /// against the rest, defined only when every class occurs and not alone.
    public static func rocAUC(_ outcomes: VariantOutcomes, slice: EvaluationSlice, order: ScoreOrder, weights: [Int32]?) -> MetricValue {
        var sum = 0.0
        for (j, c) in order.classes.enumerated() {
            var positives = 0.0, negatives = 0.0, area = 0.0
            var groupPositives = 0.0, groupNegatives = 0.0
            for (rank, position) in order.order[j].enumerated() {
                if order.startsGroup[j][rank] {
                    area += groupPositives * (negatives + 0.5 * groupNegatives)
                    negatives += groupNegatives
                    positives += groupPositives
                    groupPositives = 0; groupNegatives = 0
                }
                let w = Double(weights.map { $0[Int(position)] } ?? 1)
                if Int(outcomes.truth[Int(slice.members[Int(position)])]) == c { groupPositives += w } else { groupNegatives += w }
            }
            area += groupPositives * (negatives + 0.5 * groupNegatives)
            negatives += groupNegatives
            positives += groupPositives
            guard positives > 0, negatives > 0 else {
                return .undefined(positives == 0 && negatives == 0 ? "empty slice" : "the slice holds one class only for '\(outcomes.labels[c])' against the rest")
            }
            sum += area / (positives * negatives)
        }
        return .value(sum / Double(order.classes.count))
    }

    /// Point estimates with intervals: Wilson for proportions; `bootstrap` (when given) for
    /// the rest, which otherwise get none.
    public static func evaluate(_ outcomes: VariantOutcomes, slice: EvaluationSlice, bootstrap: [ConfidenceInterval?]? = nil) -> SliceMetrics {
        let layout = MetricLayout(labels: outcomes.labels)
        let (confusion, values) = Self.values(outcomes, slice: slice, order: ScoreOrder(outcomes, slice: slice))
        let n = confusion.total
        var metrics: [NamedMetric] = []
        for (index, value) in values.enumerated() {
            var metric = NamedMetric(name: layout.names[index], value: value, n: n)
            if layout.kinds[index] == .proportion, let (successes, trials) = proportion(index, confusion: confusion) {
                metric.denominator = trials
                if value.number != nil, let interval = WilsonInterval.interval(successes: successes, trials: trials) {
                    metric.interval = interval
                    metric.intervalMethod = .wilson
                }
            } else if value.number != nil, let interval = bootstrap?[index] {
                metric.interval = interval
                metric.intervalMethod = .stratifiedBootstrap
            }
            if layout.kinds[index] == .statistic, index >= 6, index <= 8 { metric.denominator = n }
            metrics.append(metric)
        }
        return SliceMetrics(confusion: confusion, metrics: metrics)
    }

    /// Successes and trials of the proportion at layout `index`.
    static func proportion(_ index: Int, confusion: ConfusionMatrix) -> (Int, Int)? {
        if index == 0 { return (confusion.correct, confusion.total) }
        let perClass = index - MetricLayout.overallNames.count
        guard perClass >= 0 else { return nil }
        let c = perClass / MetricLayout.perClassNames.count
        let tp = confusion.counts[c][c]
        switch perClass % MetricLayout.perClassNames.count {
        case 0: return (tp, confusion.predictedCount(c))
        case 1, 4: return (tp, confusion.support(c))
        case 3: return (confusion.predictedCount(c), confusion.total)
        case 5: return (confusion.predictedCount(c) - tp, confusion.total - confusion.support(c))
        default: return nil
        }
    }
}

extension MetricLayout {
    /// Short names accepted wherever a metric is named (`--metric`), besides the stored names.
    public static let aliases: [String: String] = [
        "accuracy": "accuracyScore", "balanced_accuracy": "balancedAccuracyScore", "macro_f1": "macroF1Score",
        "weighted_f1": "weightedF1Score", "mcc": "matthewsCorrcoef", "roc_auc": "rocAucScore", "auc": "rocAucScore",
        "log_loss": "logLoss", "brier": "brierScoreLoss", "ece": "expectedCalibrationError",
        "precision": "precisionScore", "recall": "recallScore", "f1": "f1Score", "selection_rate": "selectionRate",
        "tpr": "truePositiveRate", "fpr": "falsePositiveRate",
    ]

    /// The stored metric names a user's `query` means: an exact name; a name or alias without a
    /// class (`recall`, `recallScore`: every class); or an alias with one (`recall[male]`).
    /// Empty when nothing matches.
    public static func resolve(_ query: String, among names: [String]) -> [String] {
        if names.contains(query) { return [query] }
        var base = query, label: String?
        if let open = query.firstIndex(of: "["), query.hasSuffix("]") {
            base = String(query[..<open])
            label = String(query[query.index(after: open)..<query.index(before: query.endIndex)])
        }
        base = aliases[base] ?? base
        if let label { return names.filter { $0 == "\(base)[\(label)]" } }
        return names.filter { $0 == base || $0.hasPrefix(base + "[") }
    }

    /// Whether larger values of the stored metric `name` are better.
    public static func higherIsBetter(_ name: String) -> Bool {
        let base = name.split(separator: "[").first.map(String.init) ?? name
        return !["logLoss", "brierScoreLoss", "expectedCalibrationError", "falsePositiveRate"].contains(base)
    }
}
