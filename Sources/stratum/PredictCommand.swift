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
        'logistic', a folder with model.json is 'tfjs', a .onnx file is 'onnx', a folder with
        plugin.json or an executable is 'process'. Give --normalize as the model was trained (the
        demo's automl-mobilenet: symmetric; torch-mobilenetv3: imagenet). With --format json, prints one object:
        {"model", "kind", "labels", "predictions": [{"input", "predicted", "probabilities"}]},
        probabilities in label order at full float precision.
        """)

    @Argument(help: "The model file or folder.")
    var model: String

    @Argument(help: "PNG or JPEG files.")
    var images: [String]

    @OptionGroup var modelArguments: ModelArguments

    @Option(help: ArgumentHelp("Turn images as their EXIF orientation tag says (apply, the default, as an experiment's dataset.exif_orientation), or take the stored pixels (ignore: as plain Pillow, torchvision's loaders and TensorFlow read them).", valueName: "apply|ignore"))
    var exifOrientation: ExifOrientationChoice = .apply

    @Option(help: "Images per batch.")
    var batchSize: Int = 32

    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one image") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
    }

    func run() throws {
        do {
            let url = URL(fileURLWithPath: model)
            let (kind, options) = try modelArguments.resolve(model: url)
            let output = try Prediction.run(model: url, kind: kind, images: images.map { URL(fileURLWithPath: $0) },
                                            options: options, batchSize: batchSize, applyOrientation: exifOrientation == .apply)
            switch format {
            case .json:
                print(try JSONOutput.string(output))
            case .table:
                // Labels come from model files (dict.txt, metadata) and paths from the user:
                // control characters are shown escaped, not sent to the terminal.
                for row in output.predictions {
                    let probabilities = zip(output.labels, row.probabilities).map { "\($0.terminalSafe)=\(String(format: "%.4f", $1))" }.joined(separator: " ")
                    print("\(row.input.terminalSafe)  \(row.predicted.terminalSafe)  \(probabilities)")
                }
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw report(error)
        }
    }
}

extension Normalization: ExpressibleByArgument {}

/// `predict --exif-orientation`.
enum ExifOrientationChoice: String, ExpressibleByArgument, CaseIterable {
    case apply, ignore
}
