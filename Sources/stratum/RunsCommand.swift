import ArgumentParser
import Foundation
import StratumRunner
import StratumStatistics
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
                print(try JSONOutput.string(runs.map(ListedRun.init)))
            case .table:
                let formatter = ISO8601DateFormatter()
                // Cells as wide as their widest value, control characters escaped (`TextTable`):
                // names are the user's and were cut to 10 characters, shown raw.
                // The error of a failed or interrupted run (what failed, or how to resume it), its
                // first line cut to a width a terminal holds; --format json has it whole.
                let errors = runs.map { $0.error.map { Self.firstLine($0, limit: 80) } }
                let withErrors = errors.contains { $0 != nil }
                print(TextTable.render(header: ["experiment", "run", "status", "shards", "variants", "predictions", "started"] + (withErrors ? ["error"] : []),
                                       rows: zip(runs, errors).map { run, error in
                    [run.experiment, String(run.number), run.status, run.shardCount.map { "\(run.shardsDone ?? 0)/\($0)" } ?? "-",
                     String(run.variants), String(run.predictions), formatter.string(from: run.startedAt)] + (withErrors ? [error ?? ""] : [])
                }))
            }
        } catch {
            throw report(error)
        }
    }

    /// A run as `--format json` gives it: the listing's fields and the bootstrap settings its
    /// intervals are computed with (absent for a run that recorded none: stored before runs
    /// recorded them, or not started far enough).
    struct ListedRun: Encodable {
        let listing: RunListing
        let bootstrap: BootstrapSettings?
        init(_ listing: RunListing) { (self.listing, bootstrap) = (listing, RunSettings.bootstrap(recorded: listing.settings)) }

        private enum Key: String, CodingKey { case bootstrap }
        func encode(to encoder: any Encoder) throws {
            try listing.encode(to: encoder)
            var container = encoder.container(keyedBy: Key.self)
            try container.encodeIfPresent(bootstrap, forKey: .bootstrap)
        }
    }

    /// The first line of `text` that is not blank (any line break: LF, CR, CRLF…), at most
    /// `limit` characters, with an ellipsis where anything was left out.
    static func firstLine(_ text: String, limit: Int) -> String {
        let lines = text.split(whereSeparator: \.isNewline)
        guard let first = lines.first(where: { !$0.allSatisfy(\.isWhitespace) }) else { return "" }
        let line = String(first)
        let cut = line.count > limit || lines.count > 1
        return cut ? String(line.prefix(limit - 1)) + "…" : line
    }
}
