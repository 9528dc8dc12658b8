import ArgumentParser
import Foundation
import StratumCore

/// How `predict` and `serve` name a model outside an experiment: its kind and its options,
/// `--normalize` being the `normalize` option of the kinds that have one.
struct ModelArguments: ParsableArguments {
    @Option(help: "The model kind (see `stratum models`; guessed from MODEL when absent: a stratum-logistic JSON file, a folder with model.json, a .onnx file, a folder with plugin.json or an executable).")
    var kind: String?

    @Option(help: ArgumentHelp("The input scaling the model was trained with, the kind's normalize option: unit ([0,1]), symmetric ([-1,1]), raw (0–255), or for onnx imagenet. A model file does not record it; unit is assumed when absent.", valueName: "scaling"))
    var normalize: String?

    @Option(name: .customLong("option"), help: "A kind-specific option as key=value (repeatable), e.g. --option timeout=10.")
    var options: [String] = []

    func validate() throws {
        var seen: Set<String> = []
        for option in options {
            guard let equals = option.firstIndex(of: "="), equals != option.startIndex else {
                throw ValidationError("--option needs key=value, got '\(option.terminalSafe)'")
            }
            let key = String(option[..<equals])
            guard seen.insert(key).inserted else { throw ValidationError("--option \(key.terminalSafe) is given more than once") }
        }
    }

    /// The kind of `model` and the options to load it with. Prints a note on stderr when the
    /// kind takes a `normalize` option and none was given: the demo's MobileNets answered
    /// wrongly under the assumed unit scaling, with nothing to say so.
    func resolve(model: URL, registry: ModelRegistry = .standard) throws -> (kind: String, options: [String: String]) {
        guard let kind = kind ?? registry.kind(of: model) else {
            // A file no kind recognises is bad input (65), as for a run.
            Terminal.error("error: \(model.path): no model kind recognises this file; pass --kind (registered: \(registry.kinds.joined(separator: ", ")))")
            throw ExitCode(ExitCodes.dataError)
        }
        var parsed: [String: String] = [:]
        for option in options {
            let parts = option.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            parsed[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        let takesNormalize = try registry.loader(for: kind).options.contains { $0.name == "normalize" }
        if let normalize {
            guard takesNormalize else {
                throw ValidationError("--normalize cannot be used with kind \(kind)\(kind == "process" ? ": the plugin declares its own normalisation in its hello" : "")")
            }
            if let given = parsed["normalize"], given != normalize {
                throw ValidationError("--normalize \(normalize) and --option normalize=\(given) disagree")
            }
            parsed["normalize"] = normalize
        } else if takesNormalize && parsed["normalize"] == nil {
            Terminal.status("note: no --normalize given: unit ([0,1]) is assumed, as the model file does not say; give the scaling the model was trained with (an experiment's variant options show it)")
        }
        return (kind, parsed)
    }
}
