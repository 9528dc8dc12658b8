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
        when the whole interval lies beyond the allowed drop: its upper end is below −max-drop (for a loss such as \
        log_loss: its lower end is above +max-drop). A point estimate below the line with an interval reaching above \
        it passes, and says so.

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

    @Option(help: "Only these variants (repeatable; default: every variant both runs completed).")
    var variant: [String] = []

    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    func validate() throws {
        guard maxDrop >= 0 else { throw ValidationError("--max-drop must be ≥ 0") }
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
        var passed: Bool
        var reason: String
    }

    func run() throws {
        var checks: [Check] = []
        do {
            let opened = try store.open()
            var candidateRef = VariantReference(selector), baselineRef = VariantReference(baseline)
            candidateRef.variant = nil
            baselineRef.variant = nil
            let pairs = try RunComparison.pairs(store: opened, baseline: baselineRef, candidate: candidateRef, only: variant)
            for pair in pairs {
                let metric = try statistics.metricName(labels: pair.candidateOutcomes.labels)
                let higherIsBetter = MetricLayout.higherIsBetter(metric)
                let present = Set(pair.slices.map(\.name))
                for name in slice where !present.contains(name) {
                    throw ValidationError("no slice '\(name)' in the candidate run (slices: \(pair.slices.map(\.name).joined(separator: ", ")))")
                }
                let gated = pair.slices.filter { $0.name == "overall" || slice.contains($0.name) }
                let rows = try PairedComparison.compare(baseline: pair.baselineOutcomes, candidate: pair.candidateOutcomes, slices: gated,
                                                        settings: ComparisonSettings(metric: metric, minimumSamples: 1, bootstrap: statistics.bootstrap))
                for row in rows {
                    var check = Check(variant: pair.candidateVariant, slice: row.slice, metric: metric, n: row.n, baseline: row.baseline,
                                      candidate: row.candidate, difference: row.difference, low: row.low, high: row.high, passed: true, reason: "")
                    let allowed = String(format: "%.4f", maxDrop)
                    if let low = row.low, let high = row.high {
                        let interval = String(format: "[%+.4f, %+.4f]", low, high)
                        if higherIsBetter ? high < -maxDrop : low > maxDrop {
                            check.passed = false
                            check.reason = "drop supported: the whole \(Int(statistics.confidence * 100))% interval \(interval) lies beyond the allowed \(higherIsBetter ? "−" : "+")\(allowed)"
                        } else if let d = row.difference, higherIsBetter ? d < -maxDrop : d > maxDrop {
                            check.reason = "point estimate \(String(format: "%+.4f", d)) is beyond the allowed drop, but the interval \(interval) reaches back within it: not supported"
                        } else {
                            check.reason = "within the allowed drop: interval \(interval)"
                        }
                    } else {
                        check.reason = "no interval (metric undefined on this slice, or --resamples 0): nothing to support a drop"
                    }
                    checks.append(check)
                }
            }
        } catch let error as ValidationError {
            throw error
        } catch let error as ComparisonError {
            Terminal.error("error: \(error)")
            throw ExitCode(ExitCodes.failure)
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
                print("\(check.passed ? "PASS" : "FAIL")  \(check.variant)  \(check.slice) (n=\(check.n))  \(check.metric) \(check.baseline.map { String(format: "%.4f", $0) } ?? "—") → \(check.candidate.map { String(format: "%.4f", $0) } ?? "—"): \(check.reason)")
            }
            print(passed ? "gate passed" : "gate FAILED: \(checks.filter { !$0.passed }.count) of \(checks.count) checks show a supported drop")
        }
        if !passed { throw ExitCode(ExitCodes.failure) }
    }
}
