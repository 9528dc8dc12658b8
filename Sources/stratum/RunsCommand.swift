import ArgumentParser
import Foundation
import StratumRunner
import StratumStore

struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List the runs stored in a database, oldest first.")

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "Only runs of this experiment.")
    var experiment: String?

    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    func run() throws {
        do {
            let store = try storeOptions.open()
            let runs = try store.listRuns(experiment: experiment)
            switch format {
            case .json:
                print(try JSONOutput.string(runs))
            case .table:
                let formatter = ISO8601DateFormatter()
                // Cells as wide as their widest value, control characters escaped (`TextTable`):
                // names are the user's and were cut to 10 characters, shown raw.
                print(TextTable.render(header: ["experiment", "run", "status", "shards", "variants", "predictions", "started"], rows: runs.map { run in
                    [run.experiment, String(run.number), run.status, run.shardCount.map { "\(run.shardsDone ?? 0)/\($0)" } ?? "-",
                     String(run.variants), String(run.predictions), formatter.string(from: run.startedAt)]
                }))
            }
        } catch {
            throw report(error)
        }
    }
}
