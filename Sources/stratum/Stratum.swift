import ArgumentParser
import Foundation

@main
struct Stratum: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stratum",
        abstract: "Compare image-classifier variants on subgroups, store every prediction in SQLite, draw reports.",
        discussion: """
        Exit codes: 0 success; 1 failure; 2 a run finished but some variants failed;
        64 bad command line; 65 bad input (experiment file, manifest, image, model file).
        """,
        version: "0.1.0",
        subcommands: [RunCommand.self, ModelsCommand.self, DatasetCommand.self, RunsCommand.self])
}

/// `--format` for commands whose output is data.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}
