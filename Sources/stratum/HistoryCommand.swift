import ArgumentParser
import Foundation
import StratumReports
import StratumStore

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Accuracy of variants on a slice over the stored runs of an experiment, oldest first.")

    @Argument(help: "The experiment name.")
    var experiment: String

    @OptionGroup var store: StoreOptions

    @Option(help: "Only this variant (default: all).")
    var variant: String?

    @Option(help: "The slice.")
    var slice: String = "overall"

    @Option(help: "Draw the history to this PNG instead of printing a table.")
    var plot: String?

    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    func run() throws {
        do {
            let metrics = try store.open().metrics(named: "accuracyScore", runID: nil, experiment: experiment, slice: slice)
                .filter { variant == nil || $0.variant == variant }
            guard !metrics.isEmpty else {
                Terminal.error("error: no stored accuracy for experiment '\(experiment)', slice '\(slice)'\(variant.map { ", variant '\($0)'" } ?? "")")
                throw ExitCode(ExitCodes.dataError)
            }
            if let plot {
                let points = metrics.compactMap { m in
                    m.value.map { HistoryChart.Point(run: m.runNumber, variant: m.variant, accuracy: $0, ciLow: m.ciLow, ciHigh: m.ciHigh, n: m.n) }
                }
                try HistoryChart(title: "\(experiment): accuracy on \(slice) by run", points: points).render(to: URL(fileURLWithPath: plot), gnuplot: try Gnuplot())
                print(plot)
                return
            }
            switch format {
            case .json:
                struct Row: Encodable { var run: Int; var variant: String; var n: Int; var accuracy: Double?; var ciLow: Double?; var ciHigh: Double? }
                print(try JSONOutput.string(metrics.map { Row(run: $0.runNumber, variant: $0.variant, n: $0.n, accuracy: $0.value, ciLow: $0.ciLow, ciHigh: $0.ciHigh) }))
            case .table:
                print("run  variant                 n      accuracy  95% interval")
                for m in metrics {
                    let accuracy = m.value.map { String(format: "%.3f", $0) } ?? "—"
                    let interval = m.ciLow.map { String(format: "[%.3f, %.3f]", $0, m.ciHigh ?? $0) } ?? ""
                    print(String(m.runNumber).padding(toLength: 5, withPad: " ", startingAt: 0) + m.variant.padding(toLength: 24, withPad: " ", startingAt: 0)
                          + String(m.n).padding(toLength: 7, withPad: " ", startingAt: 0) + accuracy.padding(toLength: 10, withPad: " ", startingAt: 0) + interval)
                }
            }
        } catch {
            throw report(error)
        }
    }
}
