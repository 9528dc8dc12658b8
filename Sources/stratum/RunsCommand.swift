import ArgumentParser
import Foundation
import StratumStore

struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List the runs stored in a database, oldest first.")

    @Option(help: "The SQLite file (default: $STRATUM_DB, else Experiments/stratum.sqlite when ./Experiments is a folder, else ./stratum.sqlite).")
    var db: String?

    @Option(help: "Only runs of this experiment.")
    var experiment: String?

    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    func run() throws {
        let db: String
        do { db = try StoreOptions.resolve(self.db) } catch { throw report(error) }
        guard FileManager.default.fileExists(atPath: db) else {
            Terminal.error("error: no database at \(db) (run an experiment first, or pass --db)")
            throw ExitCode(ExitCodes.dataError)
        }
        do {
            let store = try RunStores.open(db)
            try store.reconcileInterruptedRuns()
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
