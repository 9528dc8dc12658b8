import ArgumentParser
import Foundation
import StratumMetrics
import StratumReports
import StratumRunner
import StratumStore

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Any metric of variants on a slice over the stored runs of an experiment (or of a dataset), oldest first, with intervals.",
        discussion: """
        A run whose slice has another definition, or that evaluated another dataset file, than the latest run is \
        flagged in the "flag" column (and in JSON), not silently joined.

        Examples:
          stratum history faces --metric recall[male] --slice children
          stratum history faces --dataset --metric accuracy --plot history.png

        Exit codes: 0 done; 1 failure; 64 bad command line; 65 nothing stored for that metric and slice.
        """)

    @Argument(help: "The experiment name.")
    var experiment: String

    @OptionGroup var store: StoreOptions

    @Option(help: "Only this variant (default: all).")
    var variant: String?

    @Option(help: "The metric (a stored name or alias naming one metric, e.g. accuracy, macro_f1, recall[male]).")
    var metric: String = "accuracy"

    @Option(help: "The slice.")
    var slice: String = "overall"

    @Flag(help: "Span every experiment evaluated on the same dataset file as this experiment's latest run.")
    var dataset = false

    @Option(help: "Draw the history (interval bands) to this PNG instead of printing a table.")
    var plot: String?

    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    struct Row: Encodable {
        var experiment: String
        var run: Int
        var variant: String
        var n: Int
        var value: Double?
        var ciLow: Double?
        var ciHigh: Double?
        /// Why this run is not directly comparable with the latest one (nil when it is).
        var flag: String?
    }

    /// The stored experiment `given` names: the name itself, or the `name:` of an experiment
    /// file given instead; `NAME:VARIANT` (the form `compare` takes) gets a hint.
    static func experimentName(_ given: String, in store: any RunStore) throws -> String {
        do {
            _ = try store.run(experiment: given, number: nil)
            return given
        } catch let error as StoreError {
            let file = URL(fileURLWithPath: given)
            if ["yaml", "yml"].contains(file.pathExtension.lowercased()), FileManager.default.fileExists(atPath: file.path),
               let name = try? ExperimentSpec.load(file).name {
                return name
            }
            if let colon = given.lastIndex(of: ":"), (try? store.run(experiment: String(given[..<colon]), number: nil)) != nil {
                throw ValidationError("\(error). history takes the experiment and the variant apart: stratum history \(given[..<colon]) --variant \(given[given.index(after: colon)...])")
            }
            throw error
        }
    }

    func run() throws {
        do {
            let opened = try store.open()
            let experiment = try Self.experimentName(experiment, in: opened)
            let (_, latest) = try opened.run(experiment: experiment, number: nil)
            let latestID = latest.id
            let names = MetricLayout(labels: try opened.datasetLabels(runID: latestID)).names
            let name = try ComparisonOptions.single(metric, among: names)
            let hash = try opened.datasetHash(runID: latestID)
            let history = try opened.metricHistory(named: name, slice: slice, experiment: dataset ? nil : experiment, datasetHash: dataset ? hash : nil)
                .filter { variant == nil || $0.variant == variant }
            guard !history.isEmpty else {
                Terminal.error("error: no stored \(name) for \(dataset ? "dataset of " : "")experiment '\(experiment)', slice '\(slice)'\(variant.map { ", variant '\($0)'" } ?? "")")
                throw ExitCode(ExitCodes.dataError)
            }
            let reference = history.last { $0.experiment == experiment && $0.run == latest.number }
            // The split each run evaluated and the column it predicted, from its stored
            // experiment file: a run on another split (`all`, which includes the training
            // images) was joined unflagged, and with --dataset so was another experiment on the
            // same manifest predicting another column (review of the store).
            var tasks: [String: (split: String, column: String)] = [:]
            func key(_ experiment: String, _ run: Int) -> String { "\(experiment)\u{0}\(run)" }
            for h in history where tasks[key(h.experiment, h.run)] == nil {
                let spec = try opened.run(experiment: h.experiment, number: h.run).run.spec
                let parsed = try? ExperimentSpec.parse(spec, file: URL(fileURLWithPath: "/\(h.experiment).yaml"))
                tasks[key(h.experiment, h.run)] = (parsed?.split ?? "?", parsed?.labelColumn ?? "?")
            }
            let referenceTask = tasks[key(experiment, latest.number)]
            let rows = history.map { h in
                var flags: [String] = []
                if let reference, h.sliceDefinition != reference.sliceDefinition { flags.append("slice defined as '\(h.sliceDefinition)'") }
                let task = tasks[key(h.experiment, h.run)]
                if let split = task?.split, split != referenceTask?.split { flags.append("evaluated split '\(split)'") }
                if let column = task?.column, column != referenceTask?.column { flags.append("predicts column '\(column)'") }
                if h.datasetHash != hash { flags.append("other dataset file") }
                return Row(experiment: h.experiment, run: h.run, variant: h.variant, n: h.n, value: h.value, ciLow: h.ciLow, ciHigh: h.ciHigh,
                           flag: flags.isEmpty ? nil : flags.joined(separator: "; "))
            }
            if let plot {
                var positions: [String: Int] = [:]
                for row in rows where positions["\(row.experiment)/\(row.run)"] == nil { positions["\(row.experiment)/\(row.run)"] = positions.count + 1 }
                let points = rows.compactMap { r in
                    r.value.map { HistoryChart.Point(run: dataset ? positions["\(r.experiment)/\(r.run)"]! : r.run, variant: r.variant, accuracy: $0,
                                                     ciLow: r.ciLow, ciHigh: r.ciHigh, n: r.n, tick: dataset ? "\(r.experiment)/\(r.run)" : nil,
                                                     flagged: r.flag != nil) }
                }
                let undefined = rows.filter { $0.value == nil }.count
                let proportion = ["accuracyScore", "precisionScore", "recallScore", "selectionRate", "truePositiveRate", "falsePositiveRate"]
                    .contains { name == $0 || name.hasPrefix($0 + "[") }
                try HistoryChart(title: "\(experiment)\(dataset ? " (every experiment on its dataset)" : ""): \(name) on \(slice) by run"
                                    + (undefined == 0 ? "" : " (\(undefined) undefined, not drawn)"),
                                 points: points, yLabel: "\(name) (95% interval)", unitRange: proportion || name.contains("Score"))
                    .render(to: URL(fileURLWithPath: plot), gnuplot: try Gnuplot())
                print(plot)
                return
            }
            switch format {
            case .json:
                print(try JSONOutput.string(rows))
            case .table:
                print(TextTable.render(header: ["run", "variant", "n", name, "95% interval", "flag"], rows: rows.map { r in
                    [dataset ? "\(r.experiment)/\(r.run)" : String(r.run), r.variant, String(r.n), r.value.map { String(format: "%.3f", $0) } ?? "undefined",
                     r.ciLow.map { String(format: "[%.3f, %.3f]", $0, r.ciHigh ?? $0) } ?? "", r.flag ?? ""]
                }))
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw report(error)
        }
    }
}
