import ArgumentParser
import Foundation
import StratumRunner
import StratumStatistics
import StratumStore

struct SlicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slices",
        abstract: "Find the weakest slices of a variant without naming them: every attribute and their intersections, tested and ranked.",
        discussion: """
        Searches every attribute of the manifest (numbers with more than 8 distinct values are binned at their \
        quartiles) and their intersections up to --max-degree, keeping slices with at least --min-support samples.
        Default ranking (--score significance): each slice against its complement with Fisher's exact test, \
        Benjamini–Hochberg across all tested slices, slices with identical members merged (aliases listed), weak \
        slices ranked by effect size (accuracy inside − outside). --score sliceline ranks by SliceLine's score \
        (--alpha, --top as its k), as the sliceline package does.

        Examples:
          stratum slices faces/1 --variant small-cnn
          stratum slices latest --variant automl-mobilenet --max-degree 3 --score sliceline --alpha 0.95

        Exit codes: 0 done; 1 failure; 64 bad command line; 65 bad input.
        """)

    enum Score: String, ExpressibleByArgument, CaseIterable { case significance, sliceline }

    @Argument(help: ArgumentHelp("The run: N, EXPERIMENT/N, EXPERIMENT (its latest run) or latest.", valueName: "run"))
    var selector: String = "latest"

    @OptionGroup var store: StoreOptions

    @Option(help: "The variant (default: every completed variant).")
    var variant: [String] = []

    @Option(help: "Most attributes in one slice (1…3).")
    var maxDegree: Int = 2

    @Option(help: "Fewest samples in a slice.")
    var minSupport: Int = 10

    @Option(help: "Ranking: significance (Fisher + Benjamini–Hochberg, by effect size) or sliceline.")
    var score: Score = .significance

    @Option(help: "significance: false discovery rate; sliceline: its alpha (weight of error against size).")
    var alpha: Double?

    @Option(help: "Slices shown per variant (sliceline: its k; slices tied at the k-th score are all shown, as the sliceline package returns them).")
    var top: Int = 15

    @Flag(help: "significance: also list weak slices that are not significant after correction.")
    var all = false

    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    func validate() throws {
        guard (1...3).contains(maxDegree) else { throw ValidationError("--max-degree must be 1, 2 or 3") }
        guard minSupport >= 1 else { throw ValidationError("--min-support must be at least 1") }
        guard top >= 1 else { throw ValidationError("--top must be at least 1") }
        if let alpha, !(alpha > 0 && alpha <= 1) { throw ValidationError("--alpha must lie in (0, 1]") }
    }

    func run() throws {
        do {
            let opened = try store.open()
            let (experiment, number) = try RunSelection.parse(selector, in: opened, command: "slices")
            let outcomes = try RunOutcomes.load(store: opened, experiment: experiment, number: number)
            for name in variant where outcomes.variant(named: name) == nil {
                throw ValidationError("no completed variant '\(name)' in \(outcomes.experiment)/\(outcomes.run.number) (completed: \(outcomes.variants.map(\.name).joined(separator: ", ")))")
            }
            let table = SliceDiscovery.Table(rows: outcomes.samples.map(\.attributes.dictionary))
            let scoring: SliceDiscovery.Scoring = score == .sliceline ? .sliceline(alpha: alpha ?? 0.95, k: top) : .significance
            let settings = SliceDiscovery.Settings(maxDegree: maxDegree, minSupport: minSupport, scoring: scoring, alpha: score == .significance ? (alpha ?? 0.05) : 0.05)
            struct VariantSlices: Encodable { var variant: String; var n: Int; var accuracy: Double; var slices: [SliceDiscovery.Found] }
            var results: [VariantSlices] = []
            for v in outcomes.variants where variant.isEmpty || variant.contains(v.name) {
                let wrong = zip(v.outcomes.truth, v.outcomes.predicted).map { $0 != $1 }
                var found = SliceDiscovery.find(table, wrong: wrong, settings: settings)
                if score == .significance, !all { found = found.filter(\.significant) }
                let errors = wrong.filter { $0 }.count
                results.append(VariantSlices(variant: v.name, n: wrong.count, accuracy: wrong.isEmpty ? 0 : 1 - Double(errors) / Double(wrong.count),
                                             // SliceLine's top k keeps every slice tied at the k-th score, as the package does.
                                             slices: score == .sliceline ? found : Array(found.prefix(top))))
            }
            switch format {
            case .json:
                struct Output: Encodable { var experiment: String; var run: Int; var score: String; var attributes: [String]; var variants: [VariantSlices] }
                print(try JSONOutput.string(Output(experiment: outcomes.experiment, run: outcomes.run.number, score: score.rawValue, attributes: table.attributes, variants: results)))
            case .table:
                print("\(outcomes.experiment.terminalSafe)/\(outcomes.run.number): attributes searched: \(table.attributes.map(\.terminalSafe).joined(separator: ", ")); degree ≤ \(maxDegree), support ≥ \(minSupport)")
                for result in results {
                    print("\n\(result.variant.terminalSafe) (overall accuracy \(String(format: "%.3f", result.accuracy)), n = \(result.n))")
                    guard !result.slices.isEmpty else { print(score == .significance ? "  no slice is significantly weaker than the rest (--all lists the candidates)" : "  no slice scores above 0"); continue }
                    let rows = result.slices.map { f -> [String] in
                        [f.name, String(f.size), String(format: "%.3f", f.accuracy), String(format: "[%.3f, %.3f]", f.accuracyLow, f.accuracyHigh),
                         String(format: "%+.3f", f.effect), f.adjustedP.map { String(format: "%.2g", $0) } ?? "", String(format: "%.3f", f.score),
                         f.aliases.isEmpty ? "" : "= " + f.aliases.joined(separator: "; ")]
                    }
                    print(TextTable.render(header: ["slice", "n", "accuracy", "95% Wilson", "effect", score == .significance ? "adj. p (BH)" : "", "sliceline", "same members as"], rows: rows))
                }
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw report(error)
        }
    }
}
