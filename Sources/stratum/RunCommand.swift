import ArgumentParser
import Foundation
import StratumRunner
import StratumStatistics
import StratumStore

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Evaluate every variant of an experiment on its split and slices.",
        discussion: """
        Stores the run, every prediction and every metric in the store (SQLite; PostgreSQL for a postgres:// --db; the default is the one \
        every command uses: $STRATUM_DB, else Experiments/stratum.sqlite when ./Experiments is a folder, \
        else ./stratum.sqlite) and writes the reports under <reports>/<experiment>/run-<n>/: per variant \
        a confusion matrix, a failure gallery and a reliability diagram; a slice-accuracy chart; a \
        disagreement gallery for the two best variants; and index.html. Runs are numbered and never \
        overwrite earlier ones.
        """)

    @Argument(help: "The experiment file (YAML).")
    var experiment: String

    @Argument(help: "With --resume: the run number to continue (default: the experiment's latest run).")
    var resumeRun: Int?

    @Flag(help: "Continue an interrupted run: predictions already stored are kept, the rest are made; the experiment file, manifest and model files must be unchanged.")
    var resume = false

    @Option(help: "The store: a SQLite file or postgres://user[:password]@host[:port]/database (default: $STRATUM_DB, else Experiments/stratum.sqlite when ./Experiments is a folder, else ./stratum.sqlite).")
    var db: String?

    @Option(help: "The reports folder.")
    var reports: String = "Reports"

    @Option(help: "Images per prediction batch (default: the experiment's batch_size).")
    var batchSize: Int?

    @Option(help: "Images decoded and held in memory at once (two chunks are: one predicted, the next decoded).")
    var chunkSize: Int = RunOptions().chunkSize

    @Flag(help: "Refit variants Stratum trains itself, even if their model file exists.")
    var refit = false

    @Flag(help: "Stop at an image that cannot be decoded (default: record it, leave it out of every variant, list it).")
    var strict = false

    @OptionGroup var bootstrap: BootstrapOptions

    @Flag(help: "Show every slice in the table (default: overall, single slices and named intersections).")
    var allSlices = false

    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    @Flag(help: "No progress output.")
    var quiet = false

    @Option(help: ArgumentHelp("Evaluate one shard of a sharded run: i/n (0 ≤ i < n), auto/n (Kubernetes Indexed Job: $JOB_COMPLETION_INDEX), or auto (Slurm array: $SLURM_ARRAY_TASK_ID − $SLURM_ARRAY_TASK_MIN of $SLURM_ARRAY_TASK_COUNT).",
                               discussion: "A sample belongs to shard FNV-1a-64(its id) mod n. The first shard to arrive creates the run, the others join it; the last to finish computes metrics and reports (or `stratum finalize`). A shard that died is run again with the same arguments and continues.",
                               valueName: "i/n|auto/n|auto"))
    var shard: String?

    @Option(help: "The key the shards of one run meet under (default: $STRATUM_RUN_KEY, else slurm-$SLURM_ARRAY_JOB_ID, else the experiment's latest unfinished run with as many shards).")
    var runKey: String?

    func validate() throws {
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if chunkSize < 1 { throw ValidationError("--chunk-size must be at least 1") }
        if resumeRun != nil && !resume { throw ValidationError("a run number after the experiment file is only meaningful with --resume") }
        if resume && refit { throw ValidationError("--refit cannot be combined with --resume (a resumed run keeps its models)") }
        if shard != nil && resume { throw ValidationError("--shard cannot be combined with --resume (a shard that died continues when run again with --shard)") }
        if shard == nil && runKey != nil { throw ValidationError("--run-key is only meaningful with --shard") }
    }

    func run() throws {
        let progress = ProgressLine(quiet: quiet)
        let summary: RunSummary
        var database = ""
        do {
            // The bars end with the run, before anything goes to standard output.
            defer { progress.finish() }
            let spec = try ExperimentSpec.load(URL(fileURLWithPath: experiment))
            database = try StoreOptions.resolve(db)
            var options = RunOptions(
                database: database, reportsRoot: URL(fileURLWithPath: reports),
                batchSize: batchSize, refit: refit, strict: strict,
                resume: resume ? (resumeRun.map { .number($0) } ?? .latest) : nil)
            options.chunkSize = chunkSize
            (options.resamples, options.seed) = (bootstrap.resamples, bootstrap.seed)
            if let shard {
                do {
                    options.shard = try ShardSelection.parse(shard, key: runKey)
                } catch let error as ShardSelection.ParseError {
                    throw ValidationError(error.message)
                }
            }
            summary = try Runner().run(spec, options: options) { event in
                switch event {
                case .generatingDataset(let count, let directory): progress.note("generating \(count) synthetic faces in \(directory.path)")
                case .generatedImages(let done, let total): progress.update("rendering faces", done: done, total: total)
                case .datasetLoaded(let samples, let evaluated, let split): progress.note("dataset: \(samples) samples, evaluating \(evaluated) in split '\(split)'")
                case .decodedImages(let done, let total): progress.update("decoding images", done: done, total: total)
                case .unreadableImages(let samples):
                    Terminal.error("warning: \(samples.count) image(s) could not be decoded and are left out of every variant (--strict makes this an error):")
                    for sample in samples.prefix(10) { Terminal.status("  line \(sample.line), id '\(sample.id)': \(sample.reason)") }
                    if samples.count > 10 { Terminal.status("  … and \(samples.count - 10) more (all listed in the reports and in --format json)") }
                case .slicesBuilt(let count, let skipped):
                    progress.note("\(count) slices" + (skipped.isEmpty ? "" : "; \(skipped.count) below min_size skipped"))
                case .runStarted(let number, let database): progress.note("run \(number) → \(database)")
                case .waitingForShardLease(let shard, let seconds, let holder):
                    progress.note("\(holder); its lease expires in \(Int(seconds.rounded(.up))) s unless it renews it: waiting to take shard \(shard) over")
                case .interruptedRunFound(let number, let shards?):
                    // A sharded run continues by its shards (--resume refuses it).
                    Terminal.error("note: run \(number) of this experiment was interrupted; it is split into \(shards) shards: run its unfinished shards again with --shard I/\(shards), or `stratum finalize \(ShellWord.quoted(experiment)) \(number)` once they are done")
                case .interruptedRunFound(let number, nil):
                    // The command as given: without --db and --reports it would open the default store.
                    // A password in --db is not repeated (the store review found it printed here).
                    let shownDB = db.map(RunStores.displayName)
                    let again = ["stratum", "run", experiment, "--resume", String(number)] + (shownDB.map { ["--db", $0] } ?? [])
                        + (reports == "Reports" ? [] : ["--reports", reports])
                    let withPassword = shownDB != db ? " (with the password you gave --db)" : ""
                    Terminal.error("note: run \(number) of this experiment was interrupted; to continue it instead of starting over: \(again.map(ShellWord.quoted).joined(separator: " "))\(withPassword)")
                case .fitting(let variant, let examples): progress.note("fitting \(variant) on \(examples) training images")
                case .refitting(let variant, let existing, let reason):
                    progress.note("\(variant): \(existing.lastPathComponent) was fitted differently (\(reason)); fitting a new file beside it")
                case .fitted(let variant, let fit, let path):
                    progress.note("fitted \(variant): \(fit.iterations) iterations, objective \(String(format: "%.4f", fit.objective))\(fit.converged ? "" : " (not fully converged)") → \(path.path)")
                case .evaluatedOnTrainingData(let variant, let samples, let trainSplit):
                    Terminal.error("warning: \(variant) was fitted on split '\(trainSplit)' (\(samples) samples), which this run evaluates: its scores are on its own training data (set dataset.split to a held-out split)")
                case .predicting(let variant, let done, let total): progress.update("predicting \(variant)", done: done, total: total)
                case .variantFailed(let variant, let message): Terminal.error("variant '\(variant)' failed: \(message)")
                case .reportWritten: break
                }
            }
        } catch {
            throw report(error)
        }
        // SQLite writes into a file deleted meanwhile without an error: the run "completed"
        // with nothing stored anywhere (store review).
        let stored = summary.database
        if !RunStores.isServer(stored), !FileManager.default.fileExists(atPath: stored) {
            Terminal.error("error: the database \(stored) was deleted during the run: nothing of run \(summary.runNumber) is stored")
            throw ExitCode(ExitCodes.failure)
        }
        if let shard = summary.shard, summary.shard?.done != summary.shard?.count {
            // One shard's part is stored; the run is finished by its last shard.
            switch format {
            case .json: print(try JSONOutput.string(RunSummaryJSON(summary)))
            case .table:
                print("\(summary.experiment.terminalSafe) run \(summary.runNumber): shard \(shard.index) of \(shard.count) stored; \(shard.done) of \(shard.count) shards done (the last computes metrics and reports)")
                for variant in summary.variants where variant.failed != nil { print("FAILED \(variant.name.terminalSafe): \((variant.failed ?? "").terminalSafe)") }
                print("database: \(summary.database)")
            }
            if summary.variants.contains(where: { $0.failed != nil }) {
                throw ExitCode(summary.variants.allSatisfy { $0.failed != nil } ? ExitCodes.failure : ExitCodes.partialFailure)
            }
            return
        }
        switch format {
        case .json:
            var output = RunSummaryJSON(summary)
            output.slices = summary.slices.map(\.name)
            if let store = try? RunStores.open(database), let all = try? store.allMetrics(runID: summary.runID) {
                output.metrics = (try? MetricsCommand.select(all, variants: [], slices: [], metrics: [])) ?? []
            }
            print(try JSONOutput.string(output))
        case .table: print(SummaryTable.render(summary, allSlices: allSlices))
        }
        GalleryLayoutOptions.warnAboutOmittedImages(summary.reportOmissions, run: summary.runNumber,
                                                    hint: "if the dataset moved since the run, draw the reports from where it is now: stratum report \(summary.experiment.terminalSafe)/\(summary.runNumber) --data-root DIR")
        if let reportError = summary.reportError {
            Terminal.error("error: the run is stored, but drawing its reports failed: \(reportError)")
            throw ExitCode(ExitCodes.failure)
        }
        if summary.variants.contains(where: { $0.failed != nil }) {
            throw ExitCode(summary.variants.allSatisfy { $0.failed != nil } ? ExitCodes.failure : ExitCodes.partialFailure)
        }
    }
}
