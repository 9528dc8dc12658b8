import Foundation
import StratumEngine

extension LayersModel {
    /// A (height, width) pair from a Keras config value (`[h, w]` or one number); each must be
    /// in 1…4096 (a stride, window or dilation of 0 or less is an error, not a division by zero).
    static func pair(_ value: Any?, default fallback: Int, _ key: String, layer: String, file: String) throws -> (Int, Int) {
        let result: (Int, Int)
        if let list = value as? [Int], list.count == 2 {
            result = (list[0], list[1])
        } else if let single = value as? Int {
            result = (single, single)
        } else if value == nil || value is NSNull {
            result = (fallback, fallback)
        } else {
            throw TFJSError(file: file, node: layer, message: "\(key) must be a number or a list of two numbers")
        }
        guard (1...4096).contains(result.0), (1...4096).contains(result.1) else {
            throw TFJSError(file: file, node: layer, message: "\(key) (\(result.0), \(result.1)) must be in 1…4096")
        }
        return result
    }

    static func activationNamed(_ name: String?, _ layer: Layer, file: String) throws -> (Activation, softmax: Bool) {
        switch name ?? "linear" {
        case "linear", "": return (.none, false)
        case "relu": return (.relu, false)
        case "relu6": return (.relu6, false)
        case "sigmoid": return (.sigmoid, false)
        case "tanh": return (.tanh, false)
        case "elu": return (.elu, false)
        case "softmax": return (.none, true)
        case let other: throw TFJSError(file: file, node: layer.name, message: "unsupported activation '\(other)'")
        }
    }

    func apply(_ layer: Layer, _ inputs: [Tensor]) throws -> Tensor {
        let config = layer.config
        guard let x = inputs.first else { throw TFJSError(file: file, node: layer.name, message: "layer has no input") }
        if let prepared = layer.prepared { return try prepared.run(x) }
        if let op = layer.op { return try op.run(x) }
        if let format = config["data_format"] as? String, format != "channels_last" {
            throw TFJSError(file: file, node: layer.name, message: "data_format \(format) is not supported (only channels_last)")
        }
        // A layer `PreparedLayer` covers whose preparation at load failed: prepared again here,
        // so that the error is reported as the layer runs.
        if let op = try Self.preparedOp(layer, weights: weights, file: file) { return try op.run(x) }
        switch layer.className {
        case "Conv2D", "DepthwiseConv2D", "SeparableConv2D":
            // The layer-by-layer plan: the same prepared convolution, nothing merged into it.
            return try Self.prepare(layer, weights: weights, file: file).run(x)
        case "BatchNormalization":
            if let axis = config["axis"] as? Int, axis != -1 && axis != x.rank - 1 {
                throw TFJSError(file: file, node: layer.name, message: "batch normalisation over axis \(axis) is not supported (only the last axis)")
            }
            if let axes = config["axis"] as? [Int], axes != [-1] && axes != [x.rank - 1] {
                throw TFJSError(file: file, node: layer.name, message: "batch normalisation over axes \(axes) is not supported")
            }
            let scale = (config["scale"] as? Bool ?? true) ? try weight(layer, "gamma").data : nil
            let center = (config["center"] as? Bool ?? true) ? try weight(layer, "beta").data : nil
            let epsilon = (config["epsilon"] as? NSNumber)?.floatValue ?? 0.001
            return try Elementwise.batchNorm(x, mean: weight(layer, "moving_mean").data, variance: weight(layer, "moving_variance").data, scale: scale, offset: center, epsilon: epsilon)
        case "ReLU":
            let maxValue = (config["max_value"] as? NSNumber)?.floatValue
            let slope = (config["negative_slope"] as? NSNumber)?.floatValue ?? 0
            let threshold = (config["threshold"] as? NSNumber)?.floatValue ?? 0
            return Tensor(shape: x.shape, data: x.data.map { v in
                var y = v >= threshold ? v : slope * (v - threshold)
                if let maxValue { y = min(y, maxValue) }
                return y
            })
        case "Softmax":
            // Over the last axis only (the form classifiers end in); another axis was ignored.
            let axes: [Int] = (config["axis"] as? [Int]) ?? (config["axis"] as? Int).map { [$0] } ?? [-1]
            guard axes.count == 1, axes[0] == -1 || axes[0] == x.rank - 1 else {
                throw TFJSError(file: file, node: layer.name, message: "Softmax over axis \(axes) is not supported (the last axis is)")
            }
            return Elementwise.softmax(x)
        case "Reshape":
            guard let target = config["target_shape"] as? [Int] else { throw TFJSError(file: file, node: layer.name, message: "Reshape needs target_shape") }
            return try x.reshaped([x.shape[0]] + target)
        case "Add":
            return try inputs.dropFirst().reduce(x) { try Elementwise.binary($0, $1, .add) }
        case "Multiply":
            return try inputs.dropFirst().reduce(x) { try Elementwise.binary($0, $1, .multiply) }
        case "Average":
            let sum = try inputs.dropFirst().reduce(x) { try Elementwise.binary($0, $1, .add) }
            return Tensor(shape: sum.shape, data: sum.data.map { $0 / Float(inputs.count) })
        case "Maximum":
            return try inputs.dropFirst().reduce(x) { try Elementwise.binary($0, $1, .maximum) }
        case "Minimum":
            return try inputs.dropFirst().reduce(x) { try Elementwise.binary($0, $1, .minimum) }
        case "Subtract":
            guard inputs.count == 2 else { throw TFJSError(file: file, node: layer.name, message: "Subtract needs 2 inputs") }
            return try Elementwise.binary(inputs[0], inputs[1], .subtract)
        case "Concatenate":
            return try Elementwise.concat(inputs, axis: config["axis"] as? Int ?? -1)
        case "ZeroPadding2D":
            let p = config["padding"]
            var pads = ((0, 0), (0, 0))
            if let single = p as? Int { pads = ((single, single), (single, single)) }
            else if let two = p as? [Int], two.count == 2 { pads = ((two[0], two[0]), (two[1], two[1])) }
            else if let nested = p as? [[Int]], nested.count == 2, nested.allSatisfy({ $0.count == 2 }) { pads = ((nested[0][0], nested[0][1]), (nested[1][0], nested[1][1])) }
            return try Elementwise.pad(x, paddings: [(0, 0), pads.0, pads.1, (0, 0)])
        case "Rescaling":
            // A number, or one per channel (last axis); anything else is refused, not taken as 1 and 0.
            func values(_ key: String, default value: Float) throws -> [Float] {
                guard let given = config[key] else { return [value] }
                if let number = given as? NSNumber { return [number.floatValue] }
                if let list = given as? [NSNumber], list.count == 1 || list.count == x.shape.last { return list.map(\.floatValue) }
                throw TFJSError(file: file, node: layer.name, message: "Rescaling \(key) \(given) is not a number or one per channel (\(x.shape.last ?? 0))")
            }
            let scale = try values("scale", default: 1), offset = try values("offset", default: 0)
            let channels = max(1, x.shape.last ?? 1)
            var out = x.data
            for i in out.indices {
                let c = i % channels
                out[i] = out[i] * scale[scale.count == 1 ? 0 : c] + offset[offset.count == 1 ? 0 : c]
            }
            return Tensor(shape: x.shape, data: out)
        default:
            throw TFJSError(file: file, node: layer.name, message: "unsupported layer '\(layer.className)'")
        }
    }
}

/// A layer other than a convolution with its settings and weights read from its config: once
/// at load (`Layer.op`), so that running it reads no JSON config and looks up no weight by name
/// (a pooling layer's `pool_size` came out of Foundation's JSON objects on every image), or as
/// it runs when that failed (`LayersModel.apply`, which then reports the error).
enum PreparedLayer {
    case pool(Pooling.Kind, window: (Int, Int), strides: (Int, Int), padding: Padding)
    case dense(kernel: Tensor, bias: [Float]?, activation: Activation, softmax: Bool)
    case globalAverage(keepDims: Bool)
    case flatten
    case identity
    case activation(Activation, softmax: Bool)

    func run(_ x: Tensor) throws -> Tensor {
        switch self {
        case .pool(let kind, let window, let strides, let padding):
            return try Pooling.pool2d(x, kind: kind, window: window, strides: strides, padding: padding)
        case .dense(let kernel, let bias, let activation, let softmax):
            let flat = try x.reshaped([-1, x.shape.last ?? 0])
            let y = try Elementwise.matMul(flat, kernel, bias: bias)
            return Self.finish(try y.reshaped(Array(x.shape.dropLast()) + [kernel.shape.last ?? 0]), activation, softmax)
        case .globalAverage(let keepDims):
            return try Pooling.globalAverage(x, keepDims: keepDims)
        case .flatten:
            return try x.reshaped([x.shape[0], -1])
        case .identity:
            return x
        case .activation(let activation, let softmax):
            return Self.finish(x, activation, softmax)
        }
    }

    static func finish(_ tensor: Tensor, _ activation: Activation, _ softmax: Bool) -> Tensor {
        let activated = Elementwise.activate(tensor, activation)
        return softmax ? Elementwise.softmax(activated) : activated
    }
}

extension LayersModel {
    /// Whether loading prepares layers (`PreparedLayer`); the tests turn it off to compare.
    @TaskLocal static var preparesLayers = true

    /// `layer` with its `op` set when it is one `PreparedLayer` covers and its config and
    /// weights are all as they must be; otherwise unchanged, so that `apply` prepares it as it
    /// runs and reports what is wrong then, as before.
    static func withPreparedOp(_ layer: Layer, weights: [String: Tensor], file: String) -> Layer {
        var prepared = layer
        if let format = layer.config["data_format"] as? String, format != "channels_last" { return prepared }
        prepared.op = (try? preparedOp(layer, weights: weights, file: file)) ?? nil
        return prepared
    }

    /// The layer's `PreparedLayer` (nil: a layer class it does not cover), or the error in its
    /// config or weights.
    static func preparedOp(_ layer: Layer, weights: [String: Tensor], file: String) throws -> PreparedLayer? {
        let config = layer.config
        switch layer.className {
        case "MaxPooling2D", "AveragePooling2D":
            let window = try pair(config["pool_size"], default: 2, "pool_size", layer: layer.name, file: file)
            let strides = try config["strides"].map { try pair($0, default: window.0, "strides", layer: layer.name, file: file) } ?? window
            let padding: Padding = (config["padding"] as? String) == "same" ? .same : .valid
            return .pool(layer.className == "MaxPooling2D" ? .max : .average, window: window, strides: strides, padding: padding)
        case "Dense":
            // Dense acts on the last axis: [..., in] → [..., units].
            let kernel = try weight(layer, "kernel", weights: weights, file: file)
            let bias = (config["use_bias"] as? Bool ?? true) ? try weight(layer, "bias", weights: weights, file: file).data : nil
            let (activation, softmax) = try activationNamed(config["activation"] as? String, layer, file: file)
            return .dense(kernel: kernel, bias: bias, activation: activation, softmax: softmax)
        case "GlobalAveragePooling2D":
            return .globalAverage(keepDims: config["keepdims"] as? Bool ?? false)
        case "Flatten":
            return .flatten
        case "Dropout", "SpatialDropout2D", "GaussianNoise", "GaussianDropout":
            return .identity
        case "Activation":
            let (activation, softmax) = try activationNamed(config["activation"] as? String, layer, file: file)
            return .activation(activation, softmax: softmax)
        default:
            return nil
        }
    }
}
