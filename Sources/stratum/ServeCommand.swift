import ArgumentParser
import Foundation
import StratumCore
import StratumModelProcess
import StratumRunner

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a model over the stdio plugin protocol (docs/plugin-protocol.md) on stdin/stdout.",
        discussion: "Lets any registered kind run as a `process` variant, e.g. in another process or to measure the protocol's overhead.")

    @Argument(help: "The model file or folder.")
    var model: String

    @Option(help: "The model kind (guessed from MODEL when absent).")
    var kind: String?

    func run() throws {
        do {
            let path = URL(fileURLWithPath: model)
            guard let kind = kind ?? ModelRegistry.standard.kind(of: path) else { throw ValidationError("cannot tell the model kind of \(model); pass --kind") }
            let classifier = try ModelRegistry.standard.loader(for: kind).load(ModelSpec(name: path.lastPathComponent, kind: kind, path: path))
            defer { classifier.close() }
            try PluginServer.serve(classifier)
        } catch let error as ValidationError {
            throw error
        } catch {
            throw report(error)
        }
    }
}
