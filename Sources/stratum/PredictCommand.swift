import ArgumentParser
import Foundation
import StratumCore
import StratumRunner

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Run any registered model kind on image files.",
        discussion: """
        The kind is guessed from MODEL when --kind is absent: a stratum-logistic JSON file is
        'logistic', a folder with model.json is 'tfjs', a folder with plugin.json or an executable
        is 'process'. With --format json, prints one object:
        {"model", "kind", "labels", "predictions": [{"input", "predicted", "probabilities"}]},
        probabilities in label order at full float precision.
        """)

    @Argument(help: "The model file or folder.")
    var model: String

    @Argument(help: "PNG or JPEG files.")
    var images: [String]

    @Option(help: "The model kind (see `stratum models`).")
    var kind: String?

    @Option(help: "Override the model's input normalisation: unit ([0,1]), symmetric ([-1,1]) or raw (0–255).")
    var normalize: Normalization?

    @Option(name: .customLong("option"), help: "A kind-specific option as key=value (repeatable), e.g. --option timeout=10.")
    var options: [String] = []

    @Option(help: "Images per batch.")
    var batchSize: Int = 32

    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one image") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        for option in options where !option.contains("=") { throw ValidationError("--option needs key=value, got '\(option)'") }
    }

    func run() throws {
        var parsed: [String: String] = [:]
        for option in options {
            let parts = option.split(separator: "=", maxSplits: 1)
            parsed[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        do {
            let output = try Prediction.run(model: URL(fileURLWithPath: model), kind: kind, images: images.map { URL(fileURLWithPath: $0) },
                                            normalization: normalize, options: parsed, batchSize: batchSize)
            switch format {
            case .json:
                print(try JSONOutput.string(output))
            case .table:
                for row in output.predictions {
                    let probabilities = zip(output.labels, row.probabilities).map { "\($0)=\(String(format: "%.4f", $1))" }.joined(separator: " ")
                    print("\(row.input)  \(row.predicted)  \(probabilities)")
                }
            }
        } catch {
            throw report(error)
        }
    }
}

extension Normalization: ExpressibleByArgument {}
