import ArgumentParser
import Foundation
import StratumCore
import StratumRunner

struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the registered model kinds an experiment's variants can use.")

    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    func run() throws {
        let registry = ModelRegistry.standard
        let rows = try registry.kinds.map { kind in (kind, try registry.loader(for: kind).summary) }
        switch format {
        case .json:
            let objects = rows.map { ["kind": $0.0, "summary": $0.1] }
            print(try JSONOutput.string(objects))
        case .table:
            let width = rows.map(\.0.count).max() ?? 4
            for (kind, summary) in rows { print(kind.padding(toLength: width + 2, withPad: " ", startingAt: 0) + summary) }
        }
    }
}

enum JSONOutput {
    static func string<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
