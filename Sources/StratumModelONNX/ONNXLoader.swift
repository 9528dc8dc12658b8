import Foundation
import StratumCore
import StratumEngine

/// The `onnx` kind: `.onnx` files (PyTorch, tf2onnx and skl2onnx exports) run on the engine.
public struct ONNXLoader: ModelLoader {
    public static let kindName = "onnx"
    public var kind: String { Self.kindName }
    public var summary: String { "ONNX files (torch.onnx, tf2onnx, skl2onnx LinearClassifier; opsets 6–23 load, 11–21 tested; external data), run natively" }

    /// ImageNet's per-channel statistics on [0, 1] pixels (torchvision's `Normalize`).
    public static let imagenetMean: [Float] = [0.485, 0.456, 0.406]
    public static let imagenetStd: [Float] = [0.229, 0.224, 0.225]

    public var options: [ModelOption] {
        [ModelOption("normalize", "pixel scaling: unit [0,1] (default), symmetric [-1,1], raw [0,255], or imagenet (unit, then ImageNet's mean and std)"),
         ModelOption("mean", "per-channel mean subtracted after scaling: one value or one per channel, comma-separated or a list (e.g. 0.485,0.456,0.406)"),
         ModelOption("std", "per-channel standard deviation divided by after the mean (e.g. 0.229,0.224,0.225)"),
         ModelOption("resize_shorter", "N: resize the shorter side to N (aspect kept, antialiased as Pillow does), then centre-crop the model's size: torchvision's Resize(N) + CenterCrop on PIL images"),
         ModelOption("center_crop", "true: crop the centred square before resizing (default false)"),
         ModelOption("output", "what the model outputs: auto (default: probabilities when the graph ends in Softmax, else logits; rows that are already probabilities stop with a request to say which), probabilities, or logits (softmax applied)"),
         ModelOption("labels", "class labels, comma-separated or a list (else metadata_props 'labels', the classifier's class labels, or labels.txt/dict.txt beside the file)"),
         ModelOption("layout", "input layout: nchw, nhwc or flat (default: read from the input shape)"),
         ModelOption("size", "input width = height, for models whose input size is not fixed (flat inputs: from H·W·C when square)"),
         ModelOption("channels", "1 or 3, for flat inputs (default 3)")]
    }

    public init() {}

    /// A `.onnx` file.
    public func recognises(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else { return false }
        return url.pathExtension.lowercased() == "onnx"
    }

    public func load(_ spec: ModelSpec) throws -> any ImageClassifier {
        let file = spec.path.path
        let model = try ONNXModel(contentsOf: spec.path)
        func fail(_ message: String) -> ONNXError { ONNXError(file: file, message: message) }
        guard model.inputNames.count == 1 else {
            throw fail("the graph has \(model.inputNames.count) inputs (\(model.inputNames.joined(separator: ", "))); an image classifier has one")
        }

        let parsed = try Self.parsedOptions(spec)
        let layout: ONNXModel.InputLayout
        if let chosen = parsed.layout {
            layout = chosen
        } else {
            guard let detected = model.detectedLayout else {
                throw fail("cannot tell the layout of input '\(model.inputName)' \(model.inputShape); give the layout option (nchw, nhwc or flat)")
            }
            layout = detected
        }
        let expectedRank = layout == .flat ? 2 : 4
        guard model.inputShape.count == expectedRank else { throw fail("input '\(model.inputName)' has shape \(model.inputShape), not the rank \(expectedRank) a \(layout.rawValue) input has") }
        let givenSize = parsed.size
        var channels: Int, height: Int, width: Int
        switch layout {
        case .nchw: (channels, height, width) = (model.inputShape[1], model.inputShape[2], model.inputShape[3])
        case .nhwc: (height, width, channels) = (model.inputShape[1], model.inputShape[2], model.inputShape[3])
        case .flat:
            channels = parsed.channels ?? 3
            let features = model.inputShape[1]
            if let givenSize {
                (height, width) = (givenSize, givenSize)
            } else {
                let side = features > 0 && features % channels == 0 ? Int(Double(features / channels).squareRoot().rounded()) : 0
                guard InputSpec.sideIsValid(side), side * side * channels == features else {
                    throw fail("flat input '\(model.inputName)' of \(features) features is not a square \(channels)-channel image; give the size option")
                }
                (height, width) = (side, side)
            }
            if features > 0 && features != height * width * channels {
                throw fail("flat input '\(model.inputName)' takes \(features) features, but size \(width)×\(height)×\(channels) gives \(height * width * channels)")
            }
        }
        if height <= 0 || width <= 0 {
            guard let givenSize else { throw fail("input '\(model.inputName)' \(model.inputShape) has no fixed height and width; give the size option") }
            (height, width) = (givenSize, givenSize)
        } else if let givenSize, givenSize != height || givenSize != width {
            throw fail("option size \(givenSize) contradicts the model's input size \(width)×\(height)")
        }
        guard [1, 3].contains(channels) else { throw fail("input '\(model.inputName)' \(model.inputShape) has \(channels) channels; images give 1 or 3") }
        guard InputSpec.sideIsValid(height), InputSpec.sideIsValid(width) else {
            throw fail("input '\(model.inputName)' \(model.inputShape) is \(width)×\(height); height and width must be in 1…\(InputSpec.maxSide)")
        }

        var normalization = parsed.normalization
        var mean = try Self.perChannel(parsed.mean, option: "mean", channels: channels, file: file)
        var std = try Self.perChannel(parsed.std, option: "std", channels: channels, file: file)
        if parsed.imagenet {
            guard channels == 3 else { throw fail("normalize imagenet needs a 3-channel input") }
            normalization = .unit
            mean = mean ?? Self.imagenetMean
            std = std ?? Self.imagenetStd
        }
        let resizeShorter = parsed.resizeShorter
        if let resizeShorter, resizeShorter < max(height, width) {
            throw fail("option resize_shorter \(resizeShorter) is smaller than the model's input \(width)×\(height)")
        }
        let centerCrop = parsed.centerCrop

        if model.endsInIndependentSigmoids {
            throw fail("the output is a LinearClassifier's LOGISTIC over more than two classes: one sigmoid per class, neither probabilities nor logits (export it with an L1 Normalizer after it, as skl2onnx does for one-vs-rest, or with SOFTMAX)")
        }
        let outputName = parsed.output
        let softmax: Bool
        switch outputName {
        case "probabilities": softmax = false
        case "logits": softmax = true
        default: softmax = !model.endsInProbabilities
        }

        guard let labels = try parsed.labels ?? Self.checkedLabels(model.labels, file: file) else {
            throw fail("no labels: give the labels option, a metadata_props 'labels' entry, or a labels.txt beside the file")
        }
        let input = InputSpec(width: width, height: height, channels: channels, normalization: normalization, centerCrop: centerCrop,
                              mean: mean, std: std, resizeShorter: resizeShorter)
        // The hash covers the .onnx and every external data file beside it that it names.
        let descriptor = ModelDescriptor(name: spec.name, kind: kind, labels: labels, input: input, contentHash: try model.contentHash())
        return ONNXClassifier(descriptor: descriptor, model: model, layout: layout, softmax: softmax,
                              guessedLogits: outputName == "auto" && softmax, file: file)
    }

    /// The options whose values do not depend on the model, as `load` reads them.
    struct ParsedOptions {
        var layout: ONNXModel.InputLayout?
        var size: Int?
        var channels: Int?
        /// The scaling; for `imagenet`, unit (and `imagenet` is set).
        var normalization: Normalization
        var imagenet: Bool
        /// As given: one value, or one per channel (checked against the model's channels by `perChannel`).
        var mean: (text: String, values: [Float])?
        var std: (text: String, values: [Float])?
        var resizeShorter: Int?
        var centerCrop: Bool
        /// auto, probabilities or logits.
        var output: String
        /// The labels option, checked (none empty, none twice).
        var labels: [String]?
    }

    public func checkOptionValues(_ spec: ModelSpec) throws { _ = try Self.parsedOptions(spec) }

    static func parsedOptions(_ spec: ModelSpec) throws -> ParsedOptions {
        let options = spec.options
        func fail(_ message: String) -> ONNXError { ONNXError(file: spec.path.path, message: message) }
        func integer(_ name: String, _ allowed: ClosedRange<Int>) throws -> Int? {
            try options[name].map { text in
                guard let value = Int(text), allowed.contains(value) else { throw fail("option \(name) '\(text)' is not an integer in \(allowed.lowerBound)…\(allowed.upperBound)") }
                return value
            }
        }
        func numbers(_ name: String) throws -> (text: String, values: [Float])? {
            guard let text = options[name] else { return nil }
            let values = ((try? ModelOption.listItems(text)) ?? []).map { Float($0) }
            guard !values.isEmpty, values.allSatisfy({ $0?.isFinite == true }), values.count == 1 || values.count == 3 else {
                throw fail("option \(name) '\(text)' is not 1 or 3 numbers (comma-separated, or a list)")
            }
            return (text, values.compactMap { $0 })
        }
        let layout = try options["layout"].map { name in
            guard let chosen = ONNXModel.InputLayout(rawValue: name.lowercased()) else { throw fail("option layout '\(name)' is not nchw, nhwc or flat") }
            return chosen
        }
        let channels = try options["channels"].map { text -> Int in
            guard let value = Int(text), [1, 3].contains(value) else { throw fail("option channels '\(text)' is not 1 or 3") }
            return value
        }
        let normalizationName = options["normalize"] ?? "unit"
        let imagenet = normalizationName == "imagenet"
        guard let normalization = imagenet ? .unit : Normalization(rawValue: normalizationName) else {
            throw fail("option normalize '\(normalizationName)' is not unit, symmetric, raw or imagenet")
        }
        let std = try numbers("std")
        if let std, std.values.contains(where: { !($0 > 0) }) { throw fail("option std has a value that is not positive: \(std.values)") }
        let resizeShorter = try integer("resize_shorter", 1...8192)
        let centerCrop: Bool
        switch options["center_crop"]?.lowercased() {
        case nil, "false": centerCrop = false
        case "true": centerCrop = true
        case let other?: throw fail("option center_crop '\(other)' is not true or false")
        }
        if centerCrop && resizeShorter != nil { throw fail("options center_crop and resize_shorter both crop; give one") }
        let output = options["output"]?.lowercased() ?? "auto"
        guard ["auto", "probabilities", "logits"].contains(output) else { throw fail("option output '\(output)' is not auto, probabilities or logits") }
        return ParsedOptions(layout: layout, size: try integer("size", 1...4096), channels: channels, normalization: normalization, imagenet: imagenet,
                             mean: try numbers("mean"), std: std, resizeShorter: resizeShorter, centerCrop: centerCrop, output: output,
                             labels: try labelsOption(options["labels"], file: spec.path.path))
    }

    /// The labels option's items (comma-separated, or a list), checked.
    static func labelsOption(_ text: String?, file: String) throws -> [String]? {
        guard let text else { return nil }
        do { return try ModelOption.labelItems(text) } catch {
            throw ONNXError(file: file, message: "option labels '\(ModelOption.clipped(text))' \(error)")
        }
    }

    /// Labels as given (the option, or the model's): none empty, none twice; nil stays nil.
    static func checkedLabels(_ labels: [String]?, file: String) throws -> [String]? {
        guard let labels else { return nil }
        func fail(_ message: String) -> ONNXError { ONNXError(file: file, message: message) }
        guard labels.contains(where: { !$0.isEmpty }) else {
            throw fail("no labels: give the labels option, a metadata_props 'labels' entry, or a labels.txt beside the file")
        }
        if let problem = ModelOption.labelsProblem(labels) { throw fail(problem) }
        return labels
    }

    /// A mean or std as given, one value per channel of the model's input.
    static func perChannel(_ given: (text: String, values: [Float])?, option: String, channels: Int, file: String) throws -> [Float]? {
        guard let given else { return nil }
        guard given.values.count == 1 || given.values.count == channels else {
            throw ONNXError(file: file, message: "option \(option) '\(given.text)' is not 1 or \(channels) comma-separated numbers")
        }
        return given.values.count == 1 ? [Float](repeating: given.values[0], count: channels) : given.values
    }
}

/// An ONNX model as an `ImageClassifier`.
public struct ONNXClassifier: ImageClassifier {
    public let descriptor: ModelDescriptor
    let model: ONNXModel
    let layout: ONNXModel.InputLayout
    /// Whether rows are logits to be turned into probabilities.
    let softmax: Bool
    /// Whether `softmax` is `output: auto`'s guess (the graph does not end in Softmax): a row
    /// that is already a probability vector then stops the run rather than being softmaxed a
    /// second time (a Softmax then ×1, or a sigmoid's [1 − p, p], gave log losses of 0.59
    /// instead of 0.53, accuracy unchanged).
    let guessedLogits: Bool
    let file: String
    /// Whether the graph takes several images per run (not when its batch size is fixed at 1).
    let grouping: GroupedInference.Grouping

    init(descriptor: ModelDescriptor, model: ONNXModel, layout: ONNXModel.InputLayout, softmax: Bool, guessedLogits: Bool = false, file: String) {
        (self.descriptor, self.model, self.layout, self.softmax, self.guessedLogits, self.file) = (descriptor, model, layout, softmax, guessedLogits, file)
        grouping = GroupedInference.Grouping(allowed: model.inputShape.first != 1)
    }

    /// Images run a few at a time on as many threads as there are cores (`GroupedInference`);
    /// with fewer images than cores, each image's large convolutions use the spare cores.
    public func predict(_ batch: ImageBatch) throws -> [[Float]] {
        let (classes, model, layout, softmax, guessed, file) = (descriptor.labels.count, model, layout, softmax, guessedLogits, file)
        return try GroupedInference.predict(batch, classes: classes, grouping: grouping, wrongSize: { shape in
            ONNXError(file: file, message: "output '\(model.outputName)' has shape \(shape): not \(classes) values (one per label) per image")
        }, run: { images in
            try model.run(images: images, layout: layout)
        }, check: { row in
            if guessed, row.allSatisfy({ $0 >= 0 && $0 <= 1 }), abs(row.reduce(0, +) - 1) <= 1e-5 {
                throw ONNXError(file: file, message: "output '\(model.outputName)' \(row) is already a probability row, though the graph does not end in Softmax: set the option output: probabilities (or output: logits if these are logits)")
            }
            if softmax { return Elementwise.softmax(Tensor(shape: [classes], data: row)).data }
            if row.contains(where: { !$0.isFinite || $0 < -1e-4 }) || abs(row.reduce(0, +) - 1) > 1e-3 {
                throw ONNXError(file: file, message: "output '\(model.outputName)' \(row) is not a probability row; if the model outputs logits, set the option output: logits")
            }
            return row
        })
    }
}
