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
                print("experiment  run  status                 shards  variants  predictions  started")
                for run in runs {
                    let shards = run.shardCount.map { "\(run.shardsDone ?? 0)/\($0)" } ?? "-"
                    print([run.experiment.padding(toLength: 10, withPad: " ", startingAt: 0),
                           String(run.number).padding(toLength: 3, withPad: " ", startingAt: 0),
                           run.status.padding(toLength: 22, withPad: " ", startingAt: 0),
                           shards.padding(toLength: 6, withPad: " ", startingAt: 0),
                           String(run.variants).padding(toLength: 8, withPad: " ", startingAt: 0),
                           String(run.predictions).padding(toLength: 11, withPad: " ", startingAt: 0),
                           formatter.string(from: run.startedAt)].joined(separator: "  "))
                }
            }
        } catch {
            throw report(error)
        }
    }
}
