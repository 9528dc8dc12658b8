import Foundation
import StratumMetrics
import StratumStatistics
import Testing

/// Every metric and test against scikit-learn, statsmodels, SciPy and fairlearn
/// (fixture: scripts/stats_oracles.py → Tests/Fixtures/stats/oracles.json), within 1e-9.
@Suite struct StatisticsOracleTests {
    struct Oracles: Decodable {
        struct Expected: Decodable {
            var accuracy: Double
            var balanced_accuracy: Double?
            var precision: [Double?], recall: [Double?], f1: [Double?], support: [Int]
            var macro_f1: Double?, weighted_f1: Double?, mcc: Double, roc_auc: Double?, log_loss: Double, brier: Double
            var selection_rate: [Double], tpr: [Double?], fpr: [Double?], confusion: [[Int]]
        }
        struct Case: Decodable, Sendable, CustomTestStringConvertible {
            var name: String
            var labels: [String]
            var y_true: [Int32], y_pred: [Int32]
            var proba: [[Double]]
            var expected: Expected
            var testDescription: String { name }
        }
        struct Wilson: Decodable, Sendable { var successes: Int, trials: Int, low: Double, high: Double }
        struct McNemar: Decodable, Sendable { var table: [[Int]]; var statistic: Double; var pvalue: Double }
        struct Fisher: Decodable, Sendable { var table: [[Int]]; var pvalue: Double }
        struct Correction: Decodable, Sendable { var reject: [Bool]; var adjusted: [Double] }
        struct Multiple: Decodable, Sendable { var pvalues: [Double]; var alpha: Double; var holm: Correction; var bh: Correction }
        struct Fairlearn: Decodable, Sendable {
            var labels: [String], y_true: [Int], y_pred: [Int], groups: [String], pos_label: Int
            var by_group: [String: [String: Double?]]
            var difference: [String: Double?], ratio: [String: Double?]
            var zero_denominator: [String: [String]]?
        }
        var classification: [Case]
        var wilson: [Wilson]
        var mcnemar: [McNemar]
        var fisher: [Fisher]
        var multipletests: [Multiple]
        var fairlearn: [Fairlearn]
    }

    static let oracles: Oracles? = {
        guard let url = Optional(TestSupport.fixtures.appendingPathComponent("stats/oracles.json")),
              let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(Oracles.self, from: data)
    }()

    static func close(_ ours: Double?, _ theirs: Double?, _ what: String, tolerance: Double = 1e-9) {
        switch (ours, theirs) {
        case (nil, nil): break
        case (let a?, let b?): #expect(abs(a - b) <= tolerance, "\(what): \(a) vs reference \(b)")
        default: Issue.record("\(what): ours \(String(describing: ours)), reference \(String(describing: theirs))")
        }
    }

    @Test func fixtureReadsCompletely() throws {
        let oracles = try #require(Self.oracles, "Tests/Fixtures/stats/oracles.json decodes")
        #expect(oracles.classification.count >= 15 && oracles.wilson.count >= 12 && oracles.mcnemar.count >= 12)
        #expect(oracles.fisher.count >= 12 && oracles.multipletests.count >= 8 && oracles.fairlearn.count >= 3)
    }

    @Test(arguments: oracles?.classification ?? [])
    func everyMetricAgreesWithScikitLearn(_ c: Oracles.Case) throws {
        let outcomes = VariantOutcomes(labels: c.labels, truth: c.y_true, predicted: c.y_pred, probabilities: c.proba.flatMap { $0 })
        let slice = EvaluationSlice(members: Array(0..<Int32(c.y_true.count)), truth: c.y_true, classCount: c.labels.count)
        let result = MetricSuite.evaluate(outcomes, slice: slice)
        #expect(result.confusion.counts == c.expected.confusion)
        func value(_ name: String) -> MetricValue {
            result.metrics.first { $0.name == name }?.value ?? .undefined("missing metric \(name)")
        }
        let e = c.expected
        Self.close(value("accuracyScore").number, e.accuracy, "accuracy")
        Self.close(value("balancedAccuracyScore").number, e.balanced_accuracy, "balanced accuracy")
        Self.close(value("macroF1Score").number, e.macro_f1, "macro F1")
        Self.close(value("weightedF1Score").number, e.weighted_f1, "weighted F1")
        // scikit-learn answers 0 where MCC has no denominator; Stratum says undefined, with the reason.
        let mcc = value("matthewsCorrcoef")
        if let number = mcc.number { Self.close(number, e.mcc, "MCC") } else { #expect(e.mcc == 0 && mcc.undefinedReason != nil) }
        Self.close(value("rocAucScore").number, e.roc_auc, "ROC AUC")
        Self.close(value("logLoss").number, e.log_loss, "log loss")
        Self.close(value("brierScoreLoss").number, e.brier, "Brier")
        for (k, label) in c.labels.enumerated() {
            Self.close(value("precisionScore[\(label)]").number, e.precision[k], "precision[\(label)]")
            Self.close(value("recallScore[\(label)]").number, e.recall[k], "recall[\(label)]")
            Self.close(value("f1Score[\(label)]").number, e.f1[k], "f1[\(label)]")
            Self.close(value("selectionRate[\(label)]").number, e.selection_rate[k], "selection rate[\(label)]")
            Self.close(value("truePositiveRate[\(label)]").number, e.tpr[k], "TPR[\(label)]")
            Self.close(value("falsePositiveRate[\(label)]").number, e.fpr[k], "FPR[\(label)]")
            let recall = try #require(result.metrics.first { $0.name == "recallScore[\(label)]" })
            #expect(recall.denominator == e.support[k])
        }
        for metric in result.metrics {
            #expect(metric.n == c.y_true.count)
            #expect((metric.value.number == nil) == (metric.value.undefinedReason != nil), "\(metric.name): undefined always has a reason")
        }
    }

    @Test func wilsonAgreesWithStatsmodels() throws {
        for w in try #require(Self.oracles).wilson {
            let interval = WilsonInterval.interval(successes: w.successes, trials: w.trials)
            Self.close(interval?.low, w.low, "wilson low \(w.successes)/\(w.trials)")
            Self.close(interval?.high, w.high, "wilson high \(w.successes)/\(w.trials)")
        }
    }

    @Test func exactMcNemarAgreesWithStatsmodels() throws {
        for m in try #require(Self.oracles).mcnemar {
            let result = ExactTests.mcNemar(b: m.table[0][1], c: m.table[1][0])
            #expect(Double(result.statistic) == m.statistic)
            Self.close(result.p, m.pvalue, "McNemar p \(m.table)")
        }
    }

    @Test func fisherAgreesWithSciPy() throws {
        for f in try #require(Self.oracles).fisher {
            Self.close(ExactTests.fisher(f.table[0][0], f.table[0][1], f.table[1][0], f.table[1][1]), f.pvalue, "Fisher p \(f.table)")
        }
    }

    @Test func holmAndBenjaminiHochbergAgreeWithStatsmodels() throws {
        for m in try #require(Self.oracles).multipletests {
            for (method, expected) in [(MultipleTesting.Method.holm, m.holm), (.benjaminiHochberg, m.bh)] {
                let adjusted = MultipleTesting.adjust(m.pvalues, method: method)
                #expect(adjusted.count == expected.adjusted.count)
                for (a, b) in zip(adjusted, expected.adjusted) { Self.close(a, b, "\(method) \(m.pvalues)") }
                #expect(adjusted.map { $0 <= m.alpha } == expected.reject, "\(method) rejections for \(m.pvalues)")
            }
        }
    }

    @Test func groupDisparityAgreesWithFairlearn() throws {
        for f in try #require(Self.oracles).fairlearn {
            let metrics: [String: (ClassificationMetrics) -> MetricValue] = [
                "accuracy": { $0.accuracy }, "selection_rate": { $0.selectionRate(f.pos_label) },
                "true_positive_rate": { $0.recall(f.pos_label) }, "false_positive_rate": { $0.falsePositiveRate(f.pos_label) },
            ]
            for (name, metric) in metrics {
                let disparity = GroupDisparity.compute(labels: f.labels, truth: f.y_true, predicted: f.y_pred, groups: f.groups, metric: metric)
                #expect(disparity.byGroup.map(\.group) == f.by_group.keys.sorted())
                let zeroDenominator = Set((f.zero_denominator ?? [:]).filter { $0.value.contains(name) }.keys)
                for (group, value) in disparity.byGroup {
                    if zeroDenominator.contains(group) {
                        // fairlearn turns 0/0 into 0; Stratum leaves it undefined and out of the spread.
                        #expect(value.number == nil && value.undefinedReason != nil, "\(name) of \(group)")
                    } else {
                        Self.close(value.number, f.by_group[group]?[name] ?? nil, "\(name) of \(group)")
                    }
                }
                if zeroDenominator.isEmpty {
                    Self.close(disparity.difference.number, f.difference[name] ?? nil, "\(name) difference")
                    Self.close(disparity.ratio.number, f.ratio[name] ?? nil, "\(name) ratio")
                }
            }
        }
    }
}
