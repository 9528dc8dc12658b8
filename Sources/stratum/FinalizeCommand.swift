import ArgumentParser
import Foundation
import StratumRunner
import StratumStatistics

struct FinalizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finalize",
        abstract: "Compute the metrics and reports of a sharded run whose shards are all done.",
        discussion: """
        The last shard of a sharded run (`stratum run --shard`) does this itself; `finalize` is for a run \
        whose last shard died after storing its predictions (running that shard again works too). It \
        refuses a run that still has shards to run, naming them, and one whose experiment file or \
        manifest changed. Exit codes: 0 done; 1 failure (or shards still to run); 64 bad command line; \
        65 bad input.
        """)

    @Argument(help: "The experiment file (YAML) the shards ran.")
    var experiment: String

    @Argument(help: "The run number (default: the experiment's latest run).")
    var number: Int?

    @Option(help: "The store: a SQLite file or postgres://user[:password]@host[:port]/database (default: $STRATUM_DB, else Experiments/stratum.sqlite when ./Experiments is a folder, else ./stratum.sqlite).")
    var db: String?

    @Option(help: "The reports folder.")
    var reports: String = "Reports"

    @OptionGroup var bootstrap: BootstrapOptions

    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    func run() throws {
        let summary: RunSummary
        do {
            let spec = try ExperimentSpec.load(URL(fileURLWithPath: experiment))
            var options = RunOptions(database: try StoreOptions.resolve(db), reportsRoot: URL(fileURLWithPath: reports))
            (options.resamples, options.seed) = (bootstrap.resamples, bootstrap.seed)
            summary = try Runner().finalize(spec, run: number, options: options)
        } catch {
            throw report(error)
        }
        switch format {
        case .json: print(try JSONOutput.string(RunSummaryJSON(summary)))
        case .table: print(SummaryTable.render(summary, allSlices: false))
        }
        GalleryLayoutOptions.warnAboutOmittedImages(summary.reportOmissions, run: summary.runNumber,
                                                    hint: "if the dataset moved since the run, draw the reports from where it is now: stratum report \(summary.experiment.terminalSafe)/\(summary.runNumber) --data-root DIR")
        if let reportError = summary.reportError {
            Terminal.error("error: the run is stored, but drawing its reports failed: \(reportError)")
            throw ExitCode(ExitCodes.failure)
        }
    }
}
