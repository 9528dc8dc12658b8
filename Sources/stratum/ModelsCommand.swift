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
        let loaders = ModelRegistry.standard.all
        switch format {
        case .json:
            struct Option: Encodable { var name: String; var summary: String }
            struct Kind: Encodable { var kind: String; var summary: String; var options: [Option] }
            print(try JSONOutput.string(loaders.map { loader in
                Kind(kind: loader.kind, summary: loader.summary, options: loader.options.map { Option(name: $0.name, summary: $0.summary) })
            }))
        case .table:
            let width = loaders.map(\.kind.count).max() ?? 4
            for loader in loaders {
                print(loader.kind.padding(toLength: width + 2, withPad: " ", startingAt: 0) + loader.summary)
                for option in loader.options {
                    print(String(repeating: " ", count: width + 4) + "\(option.name): \(option.summary)")
                }
            }
        }
    }
}

enum JSONOutput {
    static func string<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Timestamps as ISO-8601 UTC ("2026-12-01T10:26:14Z"), not seconds since 2001.
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
