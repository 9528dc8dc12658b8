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

    @OptionGroup var modelArguments: ModelArguments

    func run() throws {
        do {
            let path = URL(fileURLWithPath: model)
            let (kind, options) = try modelArguments.resolve(model: path)
            let loader = try ModelRegistry.standard.loader(for: kind)
            let spec = ModelSpec(name: path.lastPathComponent, kind: kind, path: path, options: options)
            try loader.checkOptions(of: spec)
            let classifier = try loader.load(spec)
            defer { classifier.close() }
            try PluginServer.serve(classifier)
        } catch let error as ValidationError {
            throw error
        } catch {
            throw report(error)
        }
    }
}
