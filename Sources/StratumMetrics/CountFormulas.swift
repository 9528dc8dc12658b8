/// The formulas of `ClassificationMetrics` on a k×k matrix of counts held flat (true class t,
/// predicted class p at `t * k + p`), each nil where the metric is undefined.
///
/// `ClassificationMetrics` gives these numbers with the reasons for the undefined ones; the
/// bootstrap (`MetricSuite.assembleNumbers`) evaluates them on every resample, where building
/// matrices and reasons cost more than the resample's own arithmetic on small slices. One
/// set of formulas serves both, so a resample's values and a point estimate's agree to the bit.
struct CountFormulas {
    let counts: UnsafeBufferPointer<Int>
    let k: Int

    init(_ counts: UnsafeBufferPointer<Int>, classCount k: Int) {
        precondition(counts.count == k * k, "CountFormulas: \(counts.count) counts for \(k) classes")
        self.counts = counts
        self.k = k
    }

    var total: Int {
        var sum = 0
        for count in counts { sum += count }
        return sum
    }

    var correct: Int {
        var sum = 0
        for c in 0..<k { sum += counts[c * k + c] }
        return sum
    }

    /// Samples of class c (its row).
    func support(_ c: Int) -> Int {
        var sum = 0
        for p in 0..<k { sum += counts[c * k + p] }
        return sum
    }

    /// Samples predicted as class c (its column).
    func predicted(_ c: Int) -> Int {
        var sum = 0
        for t in 0..<k { sum += counts[t * k + c] }
        return sum
    }

    var accuracy: Double? {
        let n = total
        return n == 0 ? nil : Double(correct) / Double(n)
    }

    func precision(_ c: Int) -> Double? {
        let predicted = predicted(c)
        return predicted > 0 ? Double(counts[c * k + c]) / Double(predicted) : nil
    }

    func recall(_ c: Int) -> Double? {
        let support = support(c)
        return support > 0 ? Double(counts[c * k + c]) / Double(support) : nil
    }

    func f1(_ c: Int) -> Double? {
        let denominator = support(c) + predicted(c)
        return denominator > 0 ? 2 * Double(counts[c * k + c]) / Double(denominator) : nil
    }

    /// Mean recall over the classes that occur.
    var balancedAccuracy: Double? {
        var sum = 0.0, defined = 0
        for c in 0..<k { if let recall = recall(c) { sum += recall; defined += 1 } }
        return defined > 0 ? sum / Double(defined) : nil
    }

    /// Mean of the defined per-class F1.
    var macroF1: Double? {
        var sum = 0.0, defined = 0
        for c in 0..<k { if let f1 = f1(c) { sum += f1; defined += 1 } }
        return defined > 0 ? sum / Double(defined) : nil
    }

    /// Support-weighted mean F1 over the classes that occur.
    var weightedF1: Double? {
        var sum = 0.0, weight = 0
        for c in 0..<k {
            let support = support(c)
            guard support > 0, let f1 = f1(c) else { continue }
            sum += Double(support) * f1
            weight += support
        }
        return weight > 0 ? sum / Double(weight) : nil
    }

    /// The Matthews correlation, or why it is undefined.
    enum Matthews {
        case value(Double)
        case empty, onePredictedClass, oneTrueClass

        var number: Double? {
            if case .value(let v) = self { return v }
            return nil
        }
    }

    /// The multiclass Matthews correlation (Gorodkin 2004).
    var matthewsCorrelation: Matthews {
        let n = total
        guard n > 0 else { return .empty }
        let s = Double(n), c = Double(correct)
        var tp = 0.0, pp = 0.0, tt = 0.0
        for i in 0..<k {
            let t = Double(support(i)), p = Double(predicted(i))
            tp += t * p
            pp += p * p
            tt += t * t
        }
        let covTP = c * s - tp, covPP = s * s - pp, covTT = s * s - tt
        guard covPP > 0 else { return .onePredictedClass }
        guard covTT > 0 else { return .oneTrueClass }
        return .value(covTP / (covPP * covTT).squareRoot())
    }

    func selectionRate(_ c: Int) -> Double? {
        let n = total
        return n == 0 ? nil : Double(predicted(c)) / Double(n)
    }

    /// Samples of other classes predicted as c, over the samples of other classes.
    func falsePositiveRate(_ c: Int) -> Double? {
        let negatives = total - support(c)
        return negatives > 0 ? Double(predicted(c) - counts[c * k + c]) / Double(negatives) : nil
    }
}
