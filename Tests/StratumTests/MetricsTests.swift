import Foundation
import StratumMetrics
import StratumStatistics
import Testing

/// Metrics against scikit-learn and statsmodels (fixture: scripts/sklearn_reference.py).
@Suite struct MetricsTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var labels: [String]
        var yTrue: [String]
        var yPred: [String]
        var accuracy: Double
        var balancedAccuracy: Double
        var confusion: [[Int]]
        var precision: [Double?]
        var recall: [Double?]
        var f1: [Double?]
        var macroF1: Double?
        var wilson: [Double]
        var testDescription: String { name }
    }

    static func optionals(_ value: Any?) -> [Double?] {
        (value as? [Any] ?? []).map { $0 as? Double }
    }

    static let cases: [Case] = {
        guard let root = try? TestSupport.json("sklearn/metrics.json") as? [String: Any], let cases = root["cases"] as? [[String: Any]] else { return [] }
        // A case with a missing or renamed key is dropped, and `fixtureIsPresent` fails.
        return cases.compactMap { c in
            guard c["precision"] != nil, c["recall"] != nil, c["f1"] != nil, c.keys.contains("macro_f1") else { return nil }
            return try? Case(name: Fixture.value(c, "name"), labels: Fixture.list(c, "labels"), yTrue: Fixture.value(c, "y_true"),
                             yPred: Fixture.value(c, "y_pred"), accuracy: c["accuracy"] as? Double ?? .nan,
                             balancedAccuracy: c["balanced_accuracy"] as? Double ?? .nan, confusion: Fixture.value(c, "confusion_matrix"),
                             precision: optionals(c["precision"]), recall: optionals(c["recall"]), f1: optionals(c["f1"]),
                             macroF1: c["macro_f1"] as? Double, wilson: Fixture.value(c, "wilson"))
        }
    }()

    @Test func fixtureIsPresent() throws {
        let root = try TestSupport.json("sklearn/metrics.json")
        #expect(Self.cases.count == (try Fixture.list(root, "cases", of: [String: Any].self)).count, "every fixture case reads completely")
        #expect(Self.cases.count >= 8)
    }

    static func expectClose(_ ours: MetricValue, _ theirs: Double?, _ what: String) {
        switch (ours.number, theirs) {
        case (nil, nil): break
        case (let a?, let b?): #expect(abs(a - b) <= 1e-12, "\(what): \(a) vs scikit-learn \(b)")
        default: Issue.record("\(what): ours \(ours), scikit-learn \(String(describing: theirs))")
        }
    }

    @Test(arguments: cases)
    func agreesWithScikitLearn(_ c: Case) {
        let index = Dictionary(uniqueKeysWithValues: c.labels.enumerated().map { ($1, $0) })
        let matrix = ConfusionMatrix(labels: c.labels, trueIndices: c.yTrue.compactMap { index[$0] }, predictedIndices: c.yPred.compactMap { index[$0] })
        #expect(matrix.counts == c.confusion)
        let metrics = ClassificationMetrics(confusion: matrix)
        Self.expectClose(metrics.accuracy, c.accuracy, "accuracy")
        Self.expectClose(metrics.balancedAccuracy, c.balancedAccuracy, "balanced accuracy")
        Self.expectClose(metrics.macroF1, c.macroF1, "macro F1")
        for k in c.labels.indices {
            Self.expectClose(metrics.precision(k), c.precision[k], "precision[\(c.labels[k])]")
            Self.expectClose(metrics.recall(k), c.recall[k], "recall[\(c.labels[k])]")
            Self.expectClose(metrics.f1(k), c.f1[k], "f1[\(c.labels[k])]")
        }
        let interval = metrics.accuracyInterval
        #expect(abs((interval?.low ?? .nan) - c.wilson[0]) <= 1e-12)
        #expect(abs((interval?.high ?? .nan) - c.wilson[1]) <= 1e-12)
    }

    @Test func emptySliceIsUndefinedNotZero() {
        let metrics = ClassificationMetrics(confusion: ConfusionMatrix(labels: ["a", "b"]))
        #expect(metrics.accuracy == .undefined("empty slice"))
        #expect(metrics.accuracyInterval == nil)
        #expect(metrics.precision(0).number == nil)
        let empty = MetricSuite.evaluate(VariantOutcomes(labels: ["a", "b"], truth: [], predicted: [], probabilities: []),
                                         slice: EvaluationSlice(members: [], truth: [], classCount: 2))
        #expect(empty.metrics.allSatisfy { $0.value.number == nil && $0.value.undefinedReason != nil })
    }

    @Test func rowNormalisationLeavesEmptyRowsAtZero() {
        let matrix = ConfusionMatrix(labels: ["a", "b"], counts: [[3, 1], [0, 0]])
        #expect(matrix.rowNormalized == [[0.75, 0.25], [0, 0]])
    }

    @Test func layoutNamesEveryMetricOnceWithItsDirection() {
        let layout = MetricLayout(labels: ["a", "b"])
        #expect(layout.names.count == 9 + 6 * 2 && Set(layout.names).count == layout.names.count)
        for (name, higher) in zip(layout.names, layout.higherIsBetter) {
            #expect(higher == !(name.hasSuffix("Loss") || name == "logLoss" || name.hasPrefix("expectedCalibration") || name.hasPrefix("falsePositiveRate")), "\(name)")
        }
    }

    /// The bootstrap's allocation-free assembly gives `assemble`'s numbers to the bit (NaN
    /// where `assemble` says undefined), whatever the number of classes and wherever classes
    /// are absent or never predicted, with and without probabilities.
    @Test(arguments: [1, 2, 3, 4])
    func assembleNumbersEqualsAssemble(classes k: Int) {
        let labels = (0..<k).map { "c\($0)" }
        var random = RandomSource(seed: UInt64(k))
        for trial in 0..<300 {
            var tally = MetricSuite.Tally(classCount: k)
            // Rows and columns left empty at random, and the all-zero matrix.
            let emptyRow = Int.random(in: -1..<k, using: &random), emptyColumn = Int.random(in: -1..<k, using: &random)
            for t in 0..<k where t != emptyRow && trial > 0 {
                for p in 0..<k where p != emptyColumn { tally.counts[t * k + p] = Int.random(in: 0...(trial % 3 == 0 ? 1 : 50), using: &random) }
            }
            tally.total = tally.counts.reduce(0, +)
            tally.logLoss = Double.random(in: 0...40, using: &random)
            tally.brier = Double.random(in: 0...10, using: &random)
            for b in 0..<10 {
                tally.binCount[b] = Int.random(in: 0...5, using: &random)
                tally.binHits[b] = Int.random(in: 0...tally.binCount[b], using: &random)
                tally.binConfidence[b] = Double.random(in: 0...Double(tally.binCount[b]), using: &random)
            }
            let auc: Double? = trial % 4 == 0 ? nil : Double.random(in: 0...1, using: &random)
            for probabilities in [false, true] {
                let outcomes = VariantOutcomes(labels: labels, truth: [0], predicted: [0],
                                               probabilities: probabilities ? [1] + [Double](repeating: 0, count: k - 1) : [])
                let expected = MetricSuite.assemble(outcomes, tally: tally) { auc.map(MetricValue.value) ?? .undefined("one class") }.1
                var numbers = [Double](repeating: 7, count: expected.count)
                numbers.withUnsafeMutableBufferPointer { MetricSuite.assembleNumbers(outcomes, tally: tally, auc: auc, into: $0) }
                let names = MetricLayout(labels: labels).names
                for (m, value) in expected.enumerated() {
                    let got = numbers[m]
                    if let number = value.number {
                        #expect(got.bitPattern == number.bitPattern, "k=\(k) trial \(trial) \(names[m]): \(got) vs \(number)")
                    } else {
                        #expect(got.isNaN, "k=\(k) trial \(trial) \(names[m]): \(got) where undefined")
                    }
                }
            }
        }
    }
}
