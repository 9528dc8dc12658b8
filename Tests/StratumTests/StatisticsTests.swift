import Foundation
import StratumMetrics
@testable import StratumStatistics
import Testing

/// Behaviour of the bootstrap, the paired comparison and slice discovery (the reference values
/// themselves are in StatisticsOracleTests).
@Suite struct StatisticsTests {
    /// n samples of a binary problem where a variant is right with probability `accuracy`.
    static func outcomes(n: Int, accuracy: Double, seed: UInt64, positives: Double = 0.34) -> VariantOutcomes {
        var random = RandomSource(seed: seed)
        var truth: [Int32] = [], predicted: [Int32] = [], probabilities: [Double] = []
        for _ in 0..<n {
            let t: Int32 = Double(random.next() >> 11) / Double(1 << 53) < positives ? 1 : 0
            let right = Double(random.next() >> 11) / Double(1 << 53) < accuracy
            let p: Int32 = right ? t : 1 - t
            let confidence = 0.5 + 0.5 * Double(random.next() >> 11) / Double(1 << 53)
            truth.append(t); predicted.append(p)
            probabilities += p == 1 ? [1 - confidence, confidence] : [confidence, 1 - confidence]
        }
        return VariantOutcomes(labels: ["female", "male"], truth: truth, predicted: predicted, probabilities: probabilities)
    }

    static func everything(_ o: VariantOutcomes) -> EvaluationSlice {
        EvaluationSlice(members: Array(0..<Int32(o.count)), truth: o.truth, classCount: o.classCount)
    }

    /// The interval's quantiles, found by selection, are those of the sorted values (numpy's
    /// linear interpolation), exactly: sizes from 1 to past the selection's insertion-sort
    /// cut-off, many ties (bootstrap values of small slices repeat), NaNs left out, levels.
    @Test(arguments: [1, 2, 3, 9, 10, 17, 100, 1000])
    func percentileIntervalsEqualThoseOfTheSortedValues(count: Int) {
        var random = RandomSource(seed: UInt64(count))
        for trial in 0..<40 {
            let distinct = trial % 4 == 0 ? 3 : 1 << 20
            var values = (0..<count).map { _ in Double(random.next(below: UInt64(distinct))) / Double(distinct) - 0.25 }
            if trial % 5 == 1 { values[Int(random.next(below: UInt64(count)))] = .nan }
            for confidence in [0.95, 0.9, 0.5, 0.999] {
                let sorted = values.filter { !$0.isNaN }.sorted()
                let tail = (1 - confidence) / 2
                let interval = Bootstrap.percentileInterval(values, confidence: confidence)
                if sorted.count * 2 < values.count || sorted.isEmpty {
                    #expect(interval == nil)
                    continue
                }
                #expect(interval?.low == Bootstrap.quantile(sorted, tail) && interval?.high == Bootstrap.quantile(sorted, 1 - tail),
                        "n \(count), trial \(trial), level \(confidence): \(String(describing: interval))")
            }
        }
    }

    @Test func theSameSeedGivesTheSameIntervalsAndAnotherSeedOthers() {
        let o = Self.outcomes(n: 300, accuracy: 0.85, seed: 1)
        let slice = Self.everything(o)
        let a = Bootstrap.evaluate([o], slice: slice, settings: BootstrapSettings(resamples: 200, seed: 7), stream: 0)[0]
        let b = Bootstrap.evaluate([o], slice: slice, settings: BootstrapSettings(resamples: 200, seed: 7), stream: 0)[0]
        let c = Bootstrap.evaluate([o], slice: slice, settings: BootstrapSettings(resamples: 200, seed: 8), stream: 0)[0]
        #expect(a.metrics == b.metrics)
        #expect(a.metrics.map(\.interval) != c.metrics.map(\.interval))
        let f1 = a.metrics.first { $0.name == "macroF1Score" }!
        #expect(f1.intervalMethod == .stratifiedBootstrap && f1.interval != nil)
        #expect(a.metrics.first { $0.name == "accuracyScore" }?.intervalMethod == .wilson)
        // Every metric that is not a proportion has a bootstrap interval containing its value.
        for metric in a.metrics where metric.intervalMethod == .stratifiedBootstrap {
            let value = metric.value.number!, interval = metric.interval!
            #expect(interval.low <= value + 1e-12 && value - 1e-12 <= interval.high, "\(metric.name)")
        }
    }

    @Test func resamplesKeepEachClassSupport() {
        let o = Self.outcomes(n: 120, accuracy: 0.8, seed: 3)
        let values = Bootstrap.resampleValues([o], slice: Self.everything(o), settings: BootstrapSettings(resamples: 100, seed: 1), stream: 0)[0]
        // Recall is defined in every resample: stratification keeps every class present.
        let layout = MetricLayout(labels: o.labels)
        for label in o.labels { #expect(values[layout.index(of: "recallScore[\(label)]")!].allSatisfy { !$0.isNaN }) }
    }

    /// Coverage by simulation: datasets drawn from a known population; the 95% interval of
    /// balanced accuracy should contain the population value in about 95% of them. With 300
    /// datasets the binomial standard error of the observed coverage is 1.3 points, so
    /// [0.90, 0.985] is a ±3.5 s.e. band (a wrong interval — e.g. unstratified or one-sided —
    /// lands far outside it).
    @Test func bootstrapIntervalsCoverTheTrueValueAboutNinetyFivePercentOfTheTime() {
        let datasets = 300, n = 200, accuracy = 0.8
        var covered = 0
        for d in 0..<datasets {
            let o = Self.outcomes(n: n, accuracy: accuracy, seed: UInt64(1000 + d))
            let metrics = Bootstrap.evaluate([o], slice: Self.everything(o), settings: BootstrapSettings(resamples: 400, seed: UInt64(d)), stream: 0)[0]
            // Balanced accuracy of the population: each class's recall is `accuracy`.
            if let interval = metrics.metrics.first(where: { $0.name == "balancedAccuracyScore" })?.interval, interval.low <= accuracy, accuracy <= interval.high {
                covered += 1
            }
        }
        let coverage = Double(covered) / Double(datasets)
        #expect(coverage >= 0.90 && coverage <= 0.985, "coverage \(coverage)")
    }

    @Test func pairedComparisonFindsARealDifferenceAndNotAFakeOne() throws {
        let base = Self.outcomes(n: 2000, accuracy: 0.8, seed: 11)
        // The candidate: the baseline with 150 of its errors fixed.
        var predicted = base.predicted
        var fixed = 0
        for i in predicted.indices where predicted[i] != base.truth[i] && fixed < 150 { predicted[i] = base.truth[i]; fixed += 1 }
        let better = VariantOutcomes(labels: base.labels, truth: base.truth, predicted: predicted, probabilities: base.probabilities)
        let slices: [(name: String, slice: EvaluationSlice)] = [
            ("overall", Self.everything(base)),
            ("same members", Self.everything(base)),
            ("tiny", EvaluationSlice(members: [0, 1, 2], truth: base.truth, classCount: 2)),
        ]
        let rows = try PairedComparison.compare(baseline: base, candidate: better, slices: slices,
                                                settings: ComparisonSettings(bootstrap: BootstrapSettings(resamples: 300)))
        #expect(rows[0].verdict == .better && rows[0].baselineOnlyCorrect == 0 && rows[0].candidateOnlyCorrect == 150)
        #expect(abs((rows[0].difference ?? 0) - 0.075) < 1e-12)
        #expect((rows[0].low ?? 0) > 0)
        #expect(rows[1].sameMembersAs == "overall" && rows[1].verdict == .better && rows[1].adjustedP == rows[0].adjustedP)
        #expect(rows[2].verdict == .tooFewSamples && rows[2].p == nil)
        // Only one slice was tested (the copy is not counted twice): Holm leaves its p as is.
        #expect(rows[0].adjustedP == rows[0].p)
        let same = try PairedComparison.compare(baseline: base, candidate: base, slices: [slices[0]], settings: ComparisonSettings(bootstrap: BootstrapSettings(resamples: 100)))
        #expect(same[0].verdict == .noSignificantDifference && same[0].p == 1 && same[0].low == 0 && same[0].high == 0)
        #expect(throws: PairedComparison.UnknownMetric.self) {
            try PairedComparison.compare(baseline: base, candidate: base, slices: [slices[0]], settings: ComparisonSettings(metric: "acuracy"))
        }
    }

    /// One gate check from its row: (n, b lost, c gained, interval, raw p, max drop, metric is
    /// accuracy, higher is better) → passed. The rows of the statistics review: a small slice
    /// whose interval collapsed onto two lost samples, one sample, a clear drop.
    static let gateCases: [(name: String, n: Int, b: Int, c: Int, low: Double?, high: Double?, p: Double?, maxDrop: Double, accuracy: Bool, higher: Bool, passed: Bool)] = [
        ("one sample lost", 1, 1, 0, -1, -1, nil, 0, true, true, true),
        ("10 samples, 2 lost", 10, 2, 0, -0.4, -0.1, nil, 0, true, true, true),
        ("5 lost of 100, p 0.0625", 100, 5, 0, -0.09, -0.01, 0.0625, 0, true, true, true),
        ("20 lost of 100", 100, 20, 0, -0.28, -0.12, 1.9e-6, 0.01, true, true, false),
        ("20 lost but within the drop", 100, 20, 0, -0.28, -0.12, 1.9e-6, 0.3, true, true, true),
        ("interval reaching back", 100, 8, 2, -0.12, 0.001, 0.1, 0.01, true, true, true),
        ("no interval", 100, 20, 0, nil, nil, 1.9e-6, 0, true, true, true),
        ("log loss up, no McNemar", 100, 0, 0, 0.02, 0.05, 1, 0.01, false, false, false),
        ("log loss up on 10", 10, 0, 0, 0.02, 0.05, nil, 0.01, false, false, true),
        ("more gained than lost", 100, 3, 12, -0.2, -0.05, 0.04, 0, true, true, true),
    ]

    @Test(arguments: gateCases)
    func gateFailsOnlyOnASupportedDrop(_ c: (name: String, n: Int, b: Int, c: Int, low: Double?, high: Double?, p: Double?, maxDrop: Double, accuracy: Bool, higher: Bool, passed: Bool)) {
        let row = SliceComparison(slice: "s", n: c.n, metric: "m", baseline: 0.9, candidate: 0.9 + ((c.low ?? 0) + (c.high ?? 0)) / 2,
                                  difference: ((c.low ?? 0) + (c.high ?? 0)) / 2, low: c.low, high: c.high, baselineOnlyCorrect: c.b,
                                  candidateOnlyCorrect: c.c, p: c.p, adjustedP: nil, verdict: .noSignificantDifference, sameMembersAs: nil)
        let rule = GateRule(maxDrop: c.maxDrop, higherIsBetter: c.higher, minimumSamples: 20, alpha: 0.05, testsCorrectness: c.accuracy)
        let decision = rule.decide([[row]], confidence: 0.95)[0][0]
        #expect(decision.passed == c.passed, "\(c.name): \(decision.reason)")
    }

    /// Holm runs over every check of the gate (variants × slices), a slice with the same
    /// members as another counting once; and the rule on real outcomes: four samples lost on a
    /// slice of 10 pass, 40 lost of 2,000 fail.
    @Test func gateCorrectsOverEveryCheckAndPassesSmallSlices() throws {
        func row(_ slice: String, p: Double, copyOf: String? = nil) -> SliceComparison {
            SliceComparison(slice: slice, n: 100, metric: "accuracyScore", baseline: 0.9, candidate: 0.8, difference: -0.1, low: -0.15, high: -0.05,
                            baselineOnlyCorrect: 12, candidateOnlyCorrect: 2, p: p, adjustedP: nil, verdict: .worse, sameMembersAs: copyOf)
        }
        let rule = GateRule(maxDrop: 0.01)
        #expect(rule.decide([[row("a", p: 0.03)]], confidence: 0.95)[0].map(\.passed) == [false])
        #expect(rule.decide([[row("a", p: 0.03)], [row("a", p: 0.03)]], confidence: 0.95).flatMap { $0.map(\.passed) } == [true, true])
        let copies = rule.decide([[row("a", p: 0.03), row("b", p: 0.03, copyOf: "a")]], confidence: 0.95)[0]
        #expect(copies.map(\.passed) == [false, false] && copies[0].adjustedP == copies[1].adjustedP)

        let base = Self.outcomes(n: 2000, accuracy: 0.9, seed: 5)
        var predicted = base.predicted, broken = 0
        for i in predicted.indices where predicted[i] == base.truth[i] && broken < 40 { predicted[i] = 1 - base.truth[i]; broken += 1 }
        let worse = VariantOutcomes(labels: base.labels, truth: base.truth, predicted: predicted, probabilities: base.probabilities)
        let changed: [Int32] = (0..<2000).filter { predicted[$0] != base.predicted[$0] }.map { Int32($0) }
        let unchanged: [Int32] = (0..<2000).filter { predicted[$0] == base.predicted[$0] }.map { Int32($0) }
        let firstTen = Array(changed.prefix(4)) + Array(unchanged.prefix(6))
        let slices: [(name: String, slice: EvaluationSlice)] = [
            ("overall", Self.everything(base)),
            ("ten", EvaluationSlice(members: firstTen.sorted(), truth: base.truth, classCount: 2)),
        ]
        let rows = try PairedComparison.compare(baseline: base, candidate: worse, slices: slices,
                                                settings: ComparisonSettings(minimumSamples: 20, bootstrap: BootstrapSettings(resamples: 400)))
        #expect((rows[1].high ?? 0) < 0, "the small slice's interval lies wholly below 0: \(rows[1])")
        let decisions = GateRule(maxDrop: 0).decide([rows], confidence: 0.95)[0]
        #expect(decisions.map(\.passed) == [false, true], "\(decisions.map(\.reason))")
    }

    @Test func metricNamesResolveFromAliases() {
        let names = MetricLayout(labels: ["female", "male"]).names
        #expect(MetricLayout.resolve("accuracy", among: names) == ["accuracyScore"])
        #expect(MetricLayout.resolve("recall", among: names) == ["recallScore[female]", "recallScore[male]"])
        #expect(MetricLayout.resolve("recall[male]", among: names) == ["recallScore[male]"])
        #expect(MetricLayout.resolve("f1Score[male]", among: names) == ["f1Score[male]"])
        #expect(MetricLayout.resolve("acuracy", among: names).isEmpty)
        #expect(!MetricLayout.higherIsBetter("logLoss") && MetricLayout.higherIsBetter("recallScore[male]"))
    }

    struct SliceLineFixture: Decodable {
        struct Top: Decodable { var slice: [String: String]; var size: Int; var errors: Double; var score: Double }
        struct Params: Decodable { var alpha: Double; var k: Int; var max_l: Int; var min_sup: Int }
        var attributes: [String]
        var rows: [[String]]
        var error: [Double]
        var params: Params
        var top: [Top]
    }

    @Test func sliceLineScoringReturnsTheSlicesOfTheSlicelinePackage() throws {
        let data = try Data(contentsOf: TestSupport.fixtures.appendingPathComponent("stats/sliceline.json"))
        let fixture = try JSONDecoder().decode(SliceLineFixture.self, from: data)
        #expect(fixture.top.count >= 5)
        let rows = fixture.rows.map { Dictionary(uniqueKeysWithValues: zip(fixture.attributes, $0)) }
        let table = SliceDiscovery.Table(rows: rows, order: fixture.attributes)
        let found = SliceDiscovery.find(table, wrong: fixture.error.map { $0 != 0 },
                                        settings: .init(maxDegree: fixture.params.max_l, minSupport: fixture.params.min_sup,
                                                        scoring: .sliceline(alpha: fixture.params.alpha, k: fixture.params.k)))
        #expect(found.count == fixture.top.count)
        for (ours, theirs) in zip(found, fixture.top) {
            #expect(Dictionary(uniqueKeysWithValues: ours.predicates.map { ($0.attribute, $0.value) }) == theirs.slice)
            #expect(ours.size == theirs.size && Double(ours.errors) == theirs.errors)
            #expect(abs(ours.score - theirs.score) <= 1e-9, "\(ours.name): \(ours.score) vs \(theirs.score)")
        }
    }

    @Test func significanceRankingMergesIdenticalSlicesAndFindsAPlantedWeakOne() {
        // 400 samples; errors planted on hair=short & age=child; `group` copies `age` exactly.
        var rows: [[String: String]] = [], wrong: [Bool] = []
        var random = RandomSource(seed: 5)
        for i in 0..<400 {
            let age = ["adult", "child", "senior"][i % 3], hair = ["long", "short"][(i / 3) % 2]
            rows.append(["age": age, "group": age == "child" ? "kids" : age, "hair": hair, "weight": String(40 + i % 50)])
            let rate = age == "child" && hair == "short" ? 0.5 : 0.08
            wrong.append(Double(random.next() >> 11) / Double(1 << 53) < rate)
        }
        let table = SliceDiscovery.Table(rows: rows)
        #expect(table.values[table.attributes.firstIndex(of: "weight")!].count == 4, "a numeric attribute is binned at its quartiles")
        let found = SliceDiscovery.find(table, wrong: wrong, settings: .init(maxDegree: 2, minSupport: 10))
        let first = found[0]
        #expect(first.significant && first.effect < -0.3)
        #expect(Set(first.predicates.map(\.description)).contains("hair=short"))
        #expect(first.name.contains("child") || first.name.contains("kids"))
        // age=child and group=kids have the same members: listed once, the other as an alias.
        let child = found.first { $0.name == "age=child" }
        #expect(child?.aliases.first == "group=kids" && child?.aliases.contains("age=child & group=kids") == true)
        #expect(!found.contains { $0.name == "group=kids" })
        // Fisher p-values are corrected: adjusted ≥ raw.
        #expect(found.allSatisfy { ($0.adjustedP ?? 0) >= ($0.p ?? 1) - 1e-15 })
    }
}

/// The bootstrap's resample kernel (two passes over arrays in score order, integer AUC) and
/// `MetricSuite.assembleNumbers`, with one tally reused as the bootstrap reuses it, against
/// the direct weighted computation (`MetricSuite.values`), metric by metric, on
/// resamples with repeated, missing and single members, tied scores and one-class slices.
@Suite struct ResampleKernelTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var n: Int
        var accuracy: Double
        /// Probabilities rounded to this many steps (ties), or 0 for none.
        var steps: Int
        var positives: Double
        var testDescription: String { name }
    }

    static let cases = [
        Case(name: "no ties", n: 500, accuracy: 0.8, steps: 0, positives: 0.34),
        Case(name: "many ties", n: 400, accuracy: 0.7, steps: 10, positives: 0.5),
        Case(name: "two scores only", n: 200, accuracy: 0.9, steps: 1, positives: 0.3),
        Case(name: "one class", n: 150, accuracy: 0.85, steps: 0, positives: 0),
        Case(name: "tiny", n: 3, accuracy: 0.5, steps: 0, positives: 0.5),
    ]

    @Test(arguments: cases)
    func theKernelEqualsTheDirectComputation(_ testCase: Case) {
        var outcomes = StatisticsTests.outcomes(n: testCase.n, accuracy: testCase.accuracy, seed: 11, positives: testCase.positives)
        if testCase.steps > 0 {
            let rounded = outcomes.probabilities.map { ($0 * Double(testCase.steps)).rounded() / Double(testCase.steps) }
            var fixed: [Double] = []
            for i in 0..<outcomes.count { fixed += [1 - rounded[2 * i + 1], rounded[2 * i + 1]] }
            outcomes = VariantOutcomes(labels: outcomes.labels, truth: outcomes.truth, predicted: outcomes.predicted, probabilities: fixed)
        }
        var random = RandomSource(seed: 5)
        // The whole set, and a shuffled subset of about two thirds.
        let all = Array(0..<Int32(outcomes.count))
        let subset = all.filter { _ in random.next(below: 3) != 0 }.shuffled(using: &random)
        for members in [all, subset] where !members.isEmpty {
            let slice = EvaluationSlice(members: members, truth: outcomes.truth, classCount: 2)
            let order = MetricSuite.ScoreOrder(outcomes, slice: slice)
            let names = MetricLayout(labels: outcomes.labels).names
            // One tally for every trial, as the bootstrap reuses one across resamples.
            let kernel = ResampleKernel(outcomes, slice: slice, local: Array(0..<Int32(members.count)))
            var tally = MetricSuite.Tally(classCount: 2)
            for trial in 0..<20 {
                let weights = members.map { _ in UInt16(trial == 0 ? 1 : random.next(below: 4)) }
                let auc = kernel.evaluate(weights, into: &tally)
                var fast = [Double](repeating: 7, count: names.count)
                fast.withUnsafeMutableBufferPointer { MetricSuite.assembleNumbers(outcomes, tally: tally, auc: auc, into: $0) }
                let direct = MetricSuite.values(outcomes, slice: slice, order: order, weights: weights.map { Int32($0) }).1
                for (name, (a, b)) in zip(names, zip(fast, direct)) {
                    switch (a.isNaN ? nil : a, b.number) {
                    case (let x?, let y?):
                        // Per-sample losses are held as Float in the kernel: ~1e-7 relative.
                        #expect(abs(x - y) <= 1e-6 * max(1, abs(y)), "\(testCase.name) trial \(trial) \(name): \(x) vs \(y)")
                    case (nil, nil): break
                    default: Issue.record("\(testCase.name) trial \(trial) \(name): \(a) vs \(b)")
                    }
                }
            }
        }
    }

    /// The budgeted map gives every result in order, never has more size in flight than the
    /// budget (an item larger than it runs alone), and still runs small items side by side.
    @Test(arguments: [(sizes: [200, 114, 77, 70, 53, 36, 36, 20, 9, 3], budget: 250),
                      (sizes: [5, 400, 5, 5, 300], budget: 100),
                      (sizes: [1, 1, 1, 1, 1, 1], budget: 1),
                      (sizes: [0, 0, 7], budget: 0)])
    func budgetedMapKeepsWithinItsBudget(sizes: [Int], budget: Int) {
        let tracker = InFlight()
        let results = StatisticsParallel.map(Array(sizes.enumerated()), size: { $0.1 }, budget: budget) { index, size in
            tracker.start(size)
            Thread.sleep(forTimeInterval: 0.002)
            tracker.end(size)
            return index * 10
        }
        #expect(results == sizes.indices.map { $0 * 10 })
        #expect(tracker.peak <= max(budget, sizes.max() ?? 0))
        for (size, alongside) in tracker.overlaps where size > budget { #expect(alongside == 0, "size \(size) ran beside \(alongside)") }
    }
}

/// Sizes in flight during `budgetedMapKeepsWithinItsBudget`.
private final class InFlight: @unchecked Sendable {
    private let lock = NSLock()
    private var current = 0, running = 0
    private(set) var peak = 0
    /// (an item's size, how many others were running when it started)
    private(set) var overlaps: [(Int, Int)] = []

    func start(_ size: Int) {
        lock.lock(); defer { lock.unlock() }
        overlaps.append((size, running))
        current += size; running += 1
        peak = max(peak, current)
    }

    func end(_ size: Int) {
        lock.lock(); defer { lock.unlock() }
        current -= size; running -= 1
    }
}

