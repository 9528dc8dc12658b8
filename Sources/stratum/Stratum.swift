import ArgumentParser
import Foundation
import StratumCore
import StratumRunner
import StratumEngine
import StratumReports
import StratumStore

@main
struct Stratum: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stratum",
        abstract: "Compare image-classifier variants on subgroups, store every prediction in SQLite, draw reports.",
        discussion: """
        Exit codes:
          0   success
          1   failure
          2   a run finished but some variants failed, or report or gallery left
              images out (moved, changed or unreadable since the run)
          64  bad command line
          65  bad input: an experiment file, manifest, image or model file, a database
              that is not a Stratum store, a run or experiment it does not hold
          gate: 0 passed, 1 failed, 65 cannot compare
        """,
        version: "0.1.0",
        subcommands: [RunCommand.self, FinalizeCommand.self, MetricsCommand.self, CompareCommand.self, GateCommand.self, SlicesCommand.self, PredictCommand.self, ReportCommand.self, GalleryCommand.self, HistoryCommand.self, RunsCommand.self, ModelsCommand.self, DatasetCommand.self, ServeCommand.self, BenchCommand.self])

    static func main() {
        Allocator.retainFreedMemory()
        ChildProcess.stopChildrenOnTermination()
        let command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)  // a command line that does not parse: the message and usage, 64
        }
        do {
            var command = command
            try command.run()
        } catch let invalid as ValidationError {
            // Found once the command ran (an unknown variant, a RUN:VARIANT given where the
            // variant is an option): one line saying so, exit 64, without the root usage text
            // ArgumentParser would print after it.
            Terminal.error("error: \(invalid.message)")
            exit(withError: ExitCode.validationFailure)
        } catch {
            exit(withError: error)
        }
    }
}

/// `--format` for commands whose output is data.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}

/// Where the store is, shared by the commands that read it.
struct StoreOptions: ParsableArguments {
    @Option(help: "The store: a SQLite file or postgres://user[:password]@host[:port]/database (default: $STRATUM_DB, else Experiments/stratum.sqlite when ./Experiments is a folder, else ./stratum.sqlite).")
    var db: String?

    /// The one rule every command (`run` included) uses: `--db`, else `$STRATUM_DB`, else
    /// `Experiments/stratum.sqlite` when the current folder has an `Experiments` folder, else
    /// `stratum.sqlite` in the current folder.
    /// A `postgres://` URL names the PostgreSQL store; another `scheme://` location is
    /// refused, not taken as a file name.
    static func resolve(_ db: String?) throws -> String {
        if let db { try RunStores.validate(db); return db }
        if let environment = ProcessInfo.processInfo.environment["STRATUM_DB"], !environment.isEmpty {
            try RunStores.validate(environment)
            return environment
        }
        var isFolder: ObjCBool = false
        let experiments = FileManager.default.fileExists(atPath: "Experiments", isDirectory: &isFolder) && isFolder.boolValue
        return experiments ? "Experiments/stratum.sqlite" : "stratum.sqlite"
    }

    func open() throws -> any RunStore {
        let db: String
        do { db = try Self.resolve(self.db) } catch { throw report(error) }
        guard RunStores.isServer(db) || FileManager.default.fileExists(atPath: db) else {
            Terminal.error("error: no database at \(RunStores.displayName(db)) (run an experiment first, or pass --db or set STRATUM_DB; the default is Experiments/stratum.sqlite when ./Experiments exists, else ./stratum.sqlite)")
            throw ExitCode(ExitCodes.dataError)
        }
        let store = try RunStores.open(db)
        // Marking runs whose holder is gone as interrupted is a write; on a full disk (or a
        // file readable only) it fails, and the reader still reads (every reader failed).
        do {
            try store.reconcileInterruptedRuns()
        } catch {
            Terminal.status("note: could not mark interrupted runs in \(RunStores.displayName(db)) (\(error)); runs whose process is gone may show as running")
        }
        return store
    }
}

/// Gallery size options shared by `report` and `gallery`.
struct GalleryLayoutOptions: ParsableArguments {
    @Option(help: "Where the dataset is now, if it moved since the run (its images are read from here; stored paths are relative to it).")
    var dataRoot: String?

    var dataRootURL: URL? { dataRoot.map { URL(fileURLWithPath: $0) } }

    /// The hint after images that cannot be read, for the commands that take --data-root.
    var unreadableHint: String? { dataRoot == nil ? "if the dataset moved since the run, pass --data-root with its new folder" : nil }

    /// Says on stderr which samples the galleries left out (up to five named, cut and
    /// terminal-safe; the rest counted): those whose image file changed since the run read
    /// it, and those whose file cannot be read now (with the cause, the first path tried, and
    /// `hint` when given).
    static func warnAboutOmittedImages(_ omitted: [Gallery.Omission], run: Int, hint: String?) {
        func named(_ items: [Gallery.Omission], cause: Bool) -> String {
            items.prefix(5).map { item -> String in
                var key = item.sampleKey.terminalSafe
                if key.count > 40 { key = String(key.prefix(39)) + "…" }
                guard cause, case .unreadable(let why) = item.reason else { return "'\(key)'" }
                return "'\(key)' (\(why.terminalSafe))"
            }.joined(separator: ", ") + (items.count > 5 ? " and \(items.count - 5) more" : "")
        }
        func samples(_ count: Int) -> String { count == 1 ? "1 sample" : "\(count) samples" }
        let changed = omitted.filter { $0.reason == .changed }, unreadable = omitted.filter { $0.reason != .changed }
        if !changed.isEmpty {
            Terminal.error("warning: the image files of \(samples(changed.count)) changed since run \(run) read them (\(named(changed, cause: false))); galleries show a crossed box in their place")
        }
        if let first = unreadable.first {
            Terminal.error("warning: the image files of \(samples(unreadable.count)) cannot be read now (\(named(unreadable, cause: true)); the first tried: \(first.path.terminalSafe)); galleries show a crossed box in their place")
            // The dataset moved: a file is missing (not one that is there and cannot be decoded).
            if let hint, unreadable.contains(where: { !FileManager.default.fileExists(atPath: $0.path) }) { Terminal.error("note: \(hint)") }
        }
    }

    /// Exit 2 (finished, but not whole) when galleries left images out: the files are written,
    /// but a script that publishes them must not take crossed boxes for a complete report
    /// (a dataset moved without `--data-root` leaves every image out).
    static func failIfImagesWereLeftOut(_ omitted: [Gallery.Omission]) throws {
        guard !omitted.isEmpty else { return }
        Terminal.error("error: the \(omitted.count == 1 ? "image of 1 sample was" : "images of \(omitted.count) samples were") not drawn (above); the files are written, with crossed boxes in their place")
        throw ExitCode(ExitCodes.partialFailure)
    }

    @Option(help: "Most thumbnails per gallery (per side of a --vs gallery; 0…10000).")
    var limit: Int = 40

    @Option(help: "Thumbnails per row (1…256).")
    var columns: Int = 8

    @Option(help: "Thumbnail side in pixels (16…512).")
    var thumb: Int = 96

    func validate() throws {
        // Bounded: --limit 9223372036854775807 overflowed halving it, a huge --columns the layout.
        guard (0...10_000).contains(limit), (1...256).contains(columns), (16...512).contains(thumb) else {
            throw ValidationError("--limit in 0…10000, --columns in 1…256 and --thumb in 16…512")
        }
        if let dataRoot {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dataRoot, isDirectory: &isFolder), isFolder.boolValue else {
                throw ValidationError("--data-root \(dataRoot.terminalSafe) is not a folder")
            }
        }
    }
}
