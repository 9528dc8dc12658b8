import Foundation
import StratumCore
import StratumEngine

/// The `tfjs` kind: TensorFlow.js graph and layers models, run natively on the engine.
///
/// Options: `normalize` (`unit` default, `symmetric` as AutoML Vision Edge expects, `raw`),
/// `center_crop` (true/false), `labels` (comma-separated or a list, when there is no dict.txt).
/// The input size comes from the model's input shape.
public struct TFJSLoader: ModelLoader {
    public static let kindName = "tfjs"
    public var kind: String { Self.kindName }
    public var summary: String { "TensorFlow.js exports (graph-model or layers-model, float32/float16/uint8 weights), run natively" }

    public var options: [ModelOption] {
        [ModelOption("normalize", "pixel scaling: unit [0,1] (default), symmetric [-1,1] as AutoML Vision Edge, raw [0,255]"),
         ModelOption("center_crop", "true: crop the centred square before resizing (default false)"),
         ModelOption("labels", "class labels, comma-separated or a list, when there is no dict.txt beside model.json")]
    }

    public init() {}

    /// A folder holding `model.json`, or a file named `model.json`.
    public func recognises(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { return false }
        if isDirectory.boolValue { return FileManager.default.fileExists(atPath: url.appendingPathComponent("model.json").path) }
        return url.lastPathComponent == "model.json"
    }

    public func load(_ spec: ModelSpec) throws -> any ImageClassifier {
        let model = try TFJSModel(contentsOf: spec.path)
        let file = spec.path.path
        guard model.inputShape.count == 4, model.inputShape[1] > 0, model.inputShape[2] > 0, [1, 3].contains(model.inputShape[3]) else {
            throw TFJSError(file: file, message: "input shape \(model.inputShape) is not [batch, height, width, 1 or 3] with a fixed size")
        }
        guard InputSpec.sideIsValid(model.inputShape[1]), InputSpec.sideIsValid(model.inputShape[2]) else {
            throw TFJSError(file: file, message: "input shape \(model.inputShape): height and width must be in 1…\(InputSpec.maxSide)")
        }
        // Which of several outputs is the classifier's cannot be told (the last node nothing
        // consumes was taken, which follows the order of model.json).
        guard model.signatureOutputCount <= 1 else {
            throw TFJSError(file: file, message: "the graph has \(model.signatureOutputCount) outputs; a classifier needs one")
        }
        let (normalization, centerCrop, labelsOption) = try Self.parsedOptions(spec)
        guard let labels = try model.labels.map({ try Self.checkedLabels($0, file: file) }) ?? labelsOption else {
            throw TFJSError(file: file, message: "no labels: put a dict.txt beside model.json or give the labels option")
        }
        let input = InputSpec(width: model.inputShape[2], height: model.inputShape[1], channels: model.inputShape[3],
                              normalization: normalization, centerCrop: centerCrop)
        let descriptor = ModelDescriptor(name: spec.name, kind: kind, labels: labels, input: input, contentHash: try SHA256.hex(contentsOf: spec.path))
        return TFJSClassifier(descriptor: descriptor, model: model, file: file)
    }
}

extension TFJSLoader {
    public func checkOptionValues(_ spec: ModelSpec) throws { _ = try Self.parsedOptions(spec) }

    /// The options whose values do not depend on the model, as `load` reads them.
    /// (The labels option is checked even when dict.txt's labels are used: a malformed value is a
    /// mistake either way.)
    static func parsedOptions(_ spec: ModelSpec) throws -> (normalization: Normalization, centerCrop: Bool, labels: [String]?) {
        let file = spec.path.path
        let normalizationName = spec.options["normalize"] ?? "unit"
        guard let normalization = Normalization(rawValue: normalizationName) else {
            throw TFJSError(file: file, message: "option normalize '\(normalizationName)' is not unit, symmetric or raw")
        }
        let labels = try spec.options["labels"].map { text in
            do { return try ModelOption.labelItems(text) } catch {
                throw TFJSError(file: file, message: "option labels '\(ModelOption.clipped(text))' \(error)")
            }
        }
        return (normalization, try bool(spec.options["center_crop"], option: "center_crop", file: file), labels)
    }

    /// dict.txt's labels: at least one, none empty, none twice.
    static func checkedLabels(_ labels: [String], file: String) throws -> [String] {
        guard labels.contains(where: { !$0.isEmpty }) else { throw TFJSError(file: file, message: "dict.txt beside model.json holds no labels") }
        if let problem = ModelOption.labelsProblem(labels) { throw TFJSError(file: file, message: "dict.txt's \(problem)") }
        return labels
    }

    /// `true`/`false` (absent: false); anything else is an error rather than a silent false.
    static func bool(_ text: String?, option: String, file: String) throws -> Bool {
        switch text?.lowercased() {
        case nil, "false": return false
        case "true": return true
        case let other?: throw TFJSError(file: file, message: "option \(option) '\(other)' is not true or false")
        }
    }
}

/// A TensorFlow.js model as an `ImageClassifier`; outputs must be one probability per label.
public struct TFJSClassifier: ImageClassifier {
    public let descriptor: ModelDescriptor
    let model: TFJSModel
    let file: String
    /// Whether the model takes several images per run (not when its batch size is fixed at 1).
    let grouping: GroupedInference.Grouping

    init(descriptor: ModelDescriptor, model: TFJSModel, file: String) {
        (self.descriptor, self.model, self.file) = (descriptor, model, file)
        grouping = GroupedInference.Grouping(allowed: model.inputShape.first != 1)
    }

    /// Images run a few at a time on as many threads as there are cores (`GroupedInference`);
    /// results keep batch order. With fewer images than cores, each image's large convolutions
    /// use the spare cores.
    public func predict(_ batch: ImageBatch) throws -> [[Float]] {
        let (classes, model, file) = (descriptor.labels.count, model, file)
        return try GroupedInference.predict(batch, classes: classes, grouping: grouping, wrongSize: { shape in
            TFJSError(file: file, message: "output shape \(shape) does not give \(classes) values (one per label in dict.txt) per image")
        }, run: { images in
            try model.run(images)
        }, check: { $0 })
    }
}
