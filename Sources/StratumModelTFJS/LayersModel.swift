import Foundation
import StratumEngine

/// A TensorFlow.js layers model (Keras topology, Sequential or Functional) on the engine.
struct LayersModel {
    struct Layer {
        var name: String
        var className: String
        var config: [String: Any]
        /// Names of the layers feeding this one (empty for the input layer).
        var inbound: [String]
        /// Set in the fused plan: the convolution, read and folded once.
        var prepared: PreparedConvolution? = nil
        /// Another layer's settings and weights, read once at load (`PreparedLayer`).
        var op: PreparedLayer? = nil
    }

    /// A plan's layers by position: what each reads, and how many read each.
    struct Schedule {
        let layers: [Layer]
        let position: [String: Int]
        /// Per layer, the positions of its inbound layers (nil: a name no layer has).
        let inbound: [[Int?]]
        let isInput: [Bool]
        /// Per layer, how many inbound links of the non-input layers name it.
        let readers: [Int]

        init(_ layers: [Layer], inputNames: [String]) {
            self.layers = layers
            var position: [String: Int] = [:]
            for (index, layer) in layers.enumerated() where position[layer.name] == nil { position[layer.name] = index }
            self.position = position
            inbound = layers.map { $0.inbound.map { position[$0] } }
            isInput = layers.map { inputNames.contains($0.name) }
            var readers = [Int](repeating: 0, count: layers.count)
            for index in layers.indices where !isInput[index] { for source in inbound[index] { if let source { readers[source] += 1 } } }
            self.readers = readers
        }
    }

    static let supportedLayers: Set<String> = [
        "InputLayer", "Conv2D", "DepthwiseConv2D", "SeparableConv2D", "BatchNormalization", "Activation", "ReLU", "MaxPooling2D",
        "AveragePooling2D", "GlobalAveragePooling2D", "Flatten", "Dense", "Dropout", "Add", "Concatenate", "ZeroPadding2D", "Rescaling",
        "Softmax", "Reshape", "Multiply", "Subtract", "Average", "Maximum", "Minimum", "SpatialDropout2D", "GaussianNoise", "GaussianDropout",
    ]

    let file: String
    let layers: [Layer]
    /// `layers` with convolutions prepared and conv → batch norm → ReLU chains merged.
    let fusedLayers: [Layer]
    let fusedNames: Set<String>
    /// `layers` and `fusedLayers` by position, as `run` walks them.
    let plainSchedule: Schedule
    let fusedSchedule: Schedule
    let inputNames: [String]
    let outputName: String
    let inputShape: [Int]
    let weights: [String: Tensor]

    init(topology: [String: Any], weights: [String: Tensor], file: String) throws {
        self.file = file
        self.weights = weights
        let modelConfig = (topology["model_config"] as? [String: Any]) ?? topology
        guard let className = modelConfig["class_name"] as? String, let config = modelConfig["config"] as? [String: Any] else {
            throw TFJSError(file: file, message: "modelTopology has no Keras model_config with class_name and config")
        }
        let rawLayers: [[String: Any]]
        if let list = config["layers"] as? [[String: Any]] { rawLayers = list } else if let list = modelConfig["config"] as? [[String: Any]] { rawLayers = list } else {
            throw TFJSError(file: file, message: "the \(className) model has no layers")
        }
        var layers: [Layer] = []
        var inputShape: [Int]?
        for (index, raw) in rawLayers.enumerated() {
            guard let layerClass = raw["class_name"] as? String, let layerConfig = raw["config"] as? [String: Any] else {
                throw TFJSError(file: file, message: "layer \(index) lacks class_name or config")
            }
            let name = (layerConfig["name"] as? String) ?? (raw["name"] as? String) ?? "layer_\(index)"
            guard Self.supportedLayers.contains(layerClass) else {
                throw TFJSError(file: file, node: name, message: "unsupported layer '\(layerClass)' (supported: \(Self.supportedLayers.sorted().joined(separator: ", ")))")
            }
            var inbound: [String] = []
            if className == "Sequential" {
                if layerClass != "InputLayer", let previous = layers.last { inbound = [previous.name] }
            } else {
                // A layer called more than once (a shared layer) has one inbound node per call;
                // each layer is run once here, so its second call would reuse the first's output.
                if let calls = raw["inbound_nodes"] as? [Any], calls.count > 1 {
                    throw TFJSError(file: file, node: name, message: "layer '\(name)' is applied \(calls.count) times (a shared layer), which Stratum does not run; export the model as a graph model (tensorflowjs_converter --output_format tfjs_graph_model)")
                }
                inbound = Self.inboundNames(raw["inbound_nodes"])
            }
            let shape = (layerConfig["batch_input_shape"] ?? layerConfig["batch_shape"]) as? [Any]
            if inputShape == nil, let shape { inputShape = shape.map { ($0 as? Int) ?? -1 } }
            if className == "Sequential" && layerClass != "InputLayer" && layers.isEmpty {
                layers.append(Layer(name: "\(name)_input", className: "InputLayer", config: [:], inbound: []))
                inbound = ["\(name)_input"]
            }
            layers.append(Layer(name: name, className: layerClass, config: layerConfig, inbound: inbound))
        }
        guard let shape = inputShape else { throw TFJSError(file: file, message: "the model declares no input shape (batch_input_shape)") }
        let inputs = layers.filter { $0.className == "InputLayer" }
        if let outputs = config["output_layers"] as? [Any], outputs.count > 1,
           // Keras 2 writes one output as ["name", 0, 0]; several as a list of those.
           outputs.contains(where: { $0 is [Any] }) {
            throw TFJSError(file: file, message: "the model has \(outputs.count) outputs; a classifier needs one (Stratum would have used the first silently)")
        }
        guard !inputs.isEmpty, let output = Self.outputName(config) ?? layers.last?.name else {
            throw TFJSError(file: file, message: "the model has no input layer")
        }
        let names = Set(layers.map(\.name))
        for layer in layers { for source in layer.inbound where !names.contains(source) {
            throw TFJSError(file: file, node: layer.name, message: "inbound layer '\(source)' does not exist")
        } }
        let prepared = Self.preparesLayers ? layers.map { Self.withPreparedOp($0, weights: weights, file: file) } : layers
        self.layers = prepared
        fusedLayers = try Self.fused(prepared, weights: weights, file: file)
        fusedNames = Set(fusedLayers.map(\.name))
        self.inputNames = inputs.map(\.name)
        plainSchedule = Schedule(self.layers, inputNames: inputNames)
        fusedSchedule = Schedule(fusedLayers, inputNames: inputNames)
        self.outputName = output
        self.inputShape = shape
    }

    /// Inbound layer names in both the Keras 2 (`[[["name", 0, 0, {}]]]`) and Keras 3
    /// (`[{"args": [{"config": {"keras_history": ["name", 0, 0]}}]}]`) encodings.
    static func inboundNames(_ value: Any?) -> [String] {
        var names: [String] = []
        func visit(_ item: Any) {
            if let list = item as? [Any] {
                if let name = list.first as? String, list.count >= 3, list[1] is Int { names.append(name); return }
                list.forEach(visit)
            } else if let object = item as? [String: Any] {
                if let history = object["keras_history"] as? [Any], let name = history.first as? String { names.append(name); return }
                object.values.forEach(visit)
            }
        }
        if let value { visit(value) }
        return names
    }

    static func outputName(_ config: [String: Any]) -> String? {
        guard let outputs = config["output_layers"] as? [Any] else { return nil }
        if let first = outputs.first as? [Any], let name = first.first as? String { return name }
        return outputs.first as? String
    }

    func weight(_ layer: Layer, _ parameter: String) throws -> Tensor {
        try Self.weight(layer, parameter, weights: weights, file: file)
    }

    /// The weight `layer/parameter`, also when nested under a model prefix.
    static func weight(_ layer: Layer, _ parameter: String, weights: [String: Tensor], file: String) throws -> Tensor {
        let key = "\(layer.name)/\(parameter)"
        if let exact = weights[key] { return exact }
        if let match = weights.keys.sorted().first(where: { $0.hasSuffix("/" + key) || ($0.hasPrefix(key) && $0.dropFirst(key.count).first == "_") }) {
            if let tensor = weights[match] { return tensor }
        }
        // The converter's --input_format=keras_keras names weights by position (layers/NAME/vars/0).
        let positional = weights.keys.contains { $0.contains("/vars/") }
        throw TFJSError(file: file, node: layer.name, message: "weight '\(key)' is missing from the weights manifest"
            + (positional ? " (its weights are named by position, layers/NAME/vars/N, as tensorflowjs_converter --input_format=keras_keras writes them; convert with --input_format=keras, or as a graph model)" : ""))
    }

    func run(_ batch: Tensor) throws -> Tensor {
        guard inputNames.count == 1 else { throw TFJSError(file: file, message: "the model has \(inputNames.count) inputs; a classifier needs one") }
        guard let result = try run(feeds: [inputNames[0]: batch], outputs: [outputName])[outputName] else {
            throw TFJSError(file: file, node: outputName, message: "the output was not computed")
        }
        return result
    }

    /// Runs with a value per input layer; returns the named layers' outputs.
    func run(feeds: [String: Tensor], outputs: [String]) throws -> [String: Tensor] {
        var values: [String: Tensor] = [:]
        for name in inputNames {
            guard let value = feeds[name] else { throw TFJSError(file: file, node: name, message: "no value given for this input") }
            values[name] = value
        }
        // The fused plan unless an output asked for was merged into a neighbour there.
        let plan = outputs.allSatisfy(fusedNames.contains) ? fusedSchedule : plainSchedule
        // Values by layer position. (Keyed by name, each layer hashed its name and its inputs'
        // several times per image, and read its settings from the JSON config: at batch 1 that
        // was a good part of small-cnn's time outside the kernels.)
        var slots = [Tensor?](repeating: nil, count: plan.layers.count)
        for (name, value) in values { if let index = plan.position[name] { slots[index] = value } }
        // Each value is dropped after its last reader (outputs excepted), so that the next
        // layer's output can reuse its memory while it is still in cache.
        var readers = plan.readers
        for name in outputs { if let index = plan.position[name] { readers[index] += 1 } }
        let profile = OpProfile.shared.enabled ? OpProfile.shared : nil
        var inputs: [Tensor] = []
        for index in plan.layers.indices where !plan.isInput[index] {
            for (name, source) in zip(plan.layers[index].inbound, plan.inbound[index]) {
                guard let source, let value = slots[source] else {
                    throw TFJSError(file: file, node: plan.layers[index].name, message: "input '\(name)' was not computed before this layer")
                }
                inputs.append(value)
            }
            let started = profile == nil ? 0 : DispatchTime.now().uptimeNanoseconds
            do {
                slots[index] = try apply(plan.layers[index], inputs)
            } catch let error as TFJSError {
                throw error
            } catch {
                throw TFJSError(file: file, node: plan.layers[index].name, message: "\(plan.layers[index].className): \(error)")
            }
            if let profile {
                // The time is taken before the key is formatted, which would count in it.
                let elapsed = DispatchTime.now().uptimeNanoseconds - started
                let layer = plan.layers[index]
                let name = layer.prepared == nil ? layer.className : "\(layer.className) (fused)"
                profile.add(profile.perNode ? "\(name) \(layer.name) \(inputs.first?.shape ?? [])" : name, elapsed)
            }
            inputs.removeAll(keepingCapacity: true)
            for source in plan.inbound[index] {
                guard let source else { continue }
                readers[source] -= 1
                if readers[source] == 0 { slots[source] = nil }
            }
        }
        var results: [String: Tensor] = [:]
        for name in outputs {
            guard let index = plan.position[name], let value = slots[index] else { throw TFJSError(file: file, node: name, message: "no such layer output") }
            results[name] = value
        }
        return results
    }
}
