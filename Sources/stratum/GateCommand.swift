import ArgumentParser
import Foundation
import StratumMetrics
import StratumRunner
import StratumStatistics
import StratumStore

struct GateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gate",
        abstract: "A CI gate: fails only when a drop against a baseline run is statistically supported.",
        discussion: """
        For every variant both runs completed (or --variant), on overall and every --slice: the paired bootstrap \
        interval of (RUN − BASELINE) in --metric, over the samples both runs evaluated (matched by id). A slice fails \
        when the whole interval lies beyond the allowed drop (its upper end below −max-drop; for a loss such as \
        log_loss, its lower end above +max-drop), the slice has at least --min-samples samples, and, for accuracy, \
        McNemar's exact test on the samples only one run got right is significant (--alpha) after Holm's correction \
        over every check of the gate. Anything less passes, and says why: a point estimate below the line with an \
        interval reaching above it, or a small slice whose interval collapsed onto a few lost samples.

        Example:  stratum gate faces/5 --baseline faces/4 --metric accuracy --max-drop 0.01 --slice children

        Exit codes: 0 the gate passes; 1 it fails (or the comparison could not be made); 64 bad command line; 65 bad input.
        """)

    @Argument(help: ArgumentHelp("The run under test: N, EXPERIMENT/N, EXPERIMENT (its latest run) or latest.", valueName: "run"))
    var selector: String

    @Option(help: "The baseline run (same forms).")
    var baseline: String

    @OptionGroup var store: StoreOptions
    @OptionGroup var statistics: ComparisonOptions

    @Option(help: "The largest drop allowed, in the metric's units (0.01 = one percentage point of accuracy).")
    var maxDrop: Double = 0.01

    @Option(help: "Slices gated besides overall (repeatable).")
    var slice: [String] = []

    @Option(help: "Only these variants (repeatable; default: every variant both runs completed). RUN:VARIANT does the same.")
    var variant: [String] = []

    @Option(help: "Slices with fewer samples cannot fail the gate.")
    var minSamples: Int = 20

    @Option(help: "Significance level of McNemar's test (accuracy), after Holm's correction over the gate's checks.")
    var alpha: Double = 0.05

    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    func validate() throws {
        guard maxDrop >= 0 else { throw ValidationError("--max-drop must be ≥ 0") }
        guard minSamples >= 1, alpha > 0, alpha < 1 else { throw ValidationError("--min-samples must be ≥ 1 and --alpha in (0, 1)") }
        let named = [VariantReference(selector).variant, VariantReference(baseline).variant].compactMap { $0 }
        guard Set(named).count <= 1 else {
            throw ValidationError("the gate compares each variant with the baseline's variant of the same name: '\(named[0])' and '\(named[1])' differ (stratum compare takes two different variants)")
        }
    }

    struct Check: Encodable {
        var variant: String
        var slice: String
        var metric: String
        var n: Int
        var baseline: Double?
        var candidate: Double?
        var difference: Double?
        var low: Double?
        var high: Double?
        var baselineOnlyCorrect: Int
        var candidateOnlyCorrect: Int
        /// McNemar's exact p after Holm's correction over the gate's checks (accuracy only).
        var adjustedP: Double?
        var passed: Bool
        var reason: String
    }

    func run() throws {
        var checks: [Check] = []
        do {
            let opened = try store.open()
            var candidateRef = VariantReference(selector), baselineRef = VariantReference(baseline)
            // RUN:VARIANT (on either side) gates that variant alone, as --variant does.
            let only = variant + [candidateRef.variant ?? baselineRef.variant].compactMap { $0 }
            candidateRef.variant = nil
            baselineRef.variant = nil
            let pairs = try RunComparison.pairs(store: opened, baseline: baselineRef, candidate: candidateRef, only: only)
            var comparisons: [[SliceComparison]] = [], variants: [String] = [], rule: GateRule?
            for pair in pairs {
                let metric = try statistics.metricName(labels: pair.candidateOutcomes.labels)
                let higherIsBetter = MetricLayout.higherIsBetter(metric)
                let present = Set(pair.slices.map(\.name))
                for name in slice where !present.contains(name) {
                    throw ValidationError("no slice '\(name)' in the candidate run (slices: \(pair.slices.map(\.name).joined(separator: ", ")))")
                }
                let gated = pair.slices.filter { $0.name == "overall" || slice.contains($0.name) }
                let rows = try PairedComparison.compare(baseline: pair.baselineOutcomes, candidate: pair.candidateOutcomes, slices: gated,
                                                        settings: ComparisonSettings(metric: metric, minimumSamples: minSamples, bootstrap: statistics.bootstrap))
                comparisons.append(rows)
                // The same --metric for every pair, so one rule; Holm runs over every check.
                rule = GateRule(maxDrop: maxDrop, higherIsBetter: higherIsBetter, minimumSamples: minSamples, alpha: alpha,
                                testsCorrectness: metric == "accuracyScore")
                variants.append(pair.candidateVariant)
            }
            let decisions = rule?.decide(comparisons, confidence: statistics.confidence) ?? []
            for (c, rows) in comparisons.enumerated() {
                for (row, decision) in zip(rows, decisions[c]) {
                    checks.append(Check(variant: variants[c], slice: row.slice, metric: row.metric, n: row.n, baseline: row.baseline,
                                        candidate: row.candidate, difference: row.difference, low: row.low, high: row.high,
                                        baselineOnlyCorrect: row.baselineOnlyCorrect, candidateOnlyCorrect: row.candidateOnlyCorrect,
                                        adjustedP: decision.adjustedP, passed: decision.passed, reason: decision.reason))
                }
            }
        } catch let error as ValidationError {
            throw error
        } catch let error as ComparisonError {
            // The runs cannot be compared (no variant in common, …): not a failed gate, so not 1.
            Terminal.error("error: \(error)")
            throw ExitCode(ExitCodes.dataError)
        } catch {
            throw report(error)
        }
        let passed = checks.allSatisfy(\.passed)
        switch format {
        case .json:
            struct Output: Encodable { var passed: Bool; var maxDrop: Double; var checks: [Check] }
            print(try JSONOutput.string(Output(passed: passed, maxDrop: maxDrop, checks: checks)))
        case .table:
            for check in checks {
                // Variant and slice names (attribute values) shown escaped: a line break in one
                // forged a PASS line or a CI workflow command (review of hostile input).
                print("\(check.passed ? "PASS" : "FAIL")  \(check.variant.terminalSafe)  \(check.slice.terminalSafe) (n=\(check.n))  \(check.metric) \(check.baseline.map { String(format: "%.4f", $0) } ?? "—") → \(check.candidate.map { String(format: "%.4f", $0) } ?? "—"): \(check.reason)")
            }
            print(passed ? "gate passed" : "gate FAILED: \(checks.filter { !$0.passed }.count) of \(checks.count) checks show a supported drop")
        }
        if !passed { throw ExitCode(ExitCodes.failure) }
    }
}
