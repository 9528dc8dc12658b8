import Foundation
import StratumEngine

/// A convolution layer (Conv2D, DepthwiseConv2D or SeparableConv2D) with its weights and
/// settings read once, and the batch normalisation and activation that follow it folded in
/// when it is their only input and they its only consumer.
struct PreparedConvolution {
    enum Kind { case conv, depthwise, separable(pointwise: Tensor) }
    var kind: Kind
    var filter: Tensor
    var bias: [Float]?
    var strides: (Int, Int), dilations: (Int, Int)
    var padding: Padding
    var activation: Activation
    var softmax: Bool

    func run(_ x: Tensor) throws -> Tensor {
        let y: Tensor
        switch kind {
        case .conv:
            y = try Convolution.conv2d(x, filter: filter, bias: bias, strides: strides, dilations: dilations, padding: padding, activation: activation)
        case .depthwise:
            y = try Convolution.depthwiseConv2d(x, filter: filter, bias: bias, strides: strides, dilations: dilations, padding: padding, activation: activation)
        case .separable(let pointwise):
            let depthwise = try Convolution.depthwiseConv2d(x, filter: filter, strides: strides, dilations: dilations, padding: padding)
            y = try Convolution.conv2d(depthwise, filter: pointwise, bias: bias, padding: .valid, activation: activation)
        }
        return softmax ? Elementwise.softmax(y) : y
    }

    /// The filter whose last axis is this layer's output channels (the pointwise one for
    /// separable convolutions): where a batch normalisation's scale goes.
    var outputChannels: Int {
        if case .separable(let pointwise) = kind { return pointwise.shape.last ?? 0 }
        if case .depthwise = kind { return filter.shape[2] * filter.shape[3] }
        return filter.shape.last ?? 0
    }

    /// Folds y ← (y − mean)·γ/√(var + ε) + β into the output channels' weights and bias.
    mutating func fold(mean: [Float], variance: [Float], gamma: [Float]?, beta: [Float]?, epsilon: Float) {
        let channels = outputChannels
        let scale = (0..<channels).map { (gamma?[$0] ?? 1) / (variance[$0] + epsilon).squareRoot() }
        let shift = (0..<channels).map { (beta?[$0] ?? 0) - mean[$0] * scale[$0] }
        func scaled(_ tensor: Tensor) -> Tensor {
            var data = tensor.data
            for i in data.indices { data[i] *= scale[i % channels] }
            return Tensor(shape: tensor.shape, data: data)
        }
        if case .separable(let pointwise) = kind { kind = .separable(pointwise: scaled(pointwise)) } else { filter = scaled(filter) }
        bias = (0..<channels).map { (bias?[$0] ?? 0) * scale[$0] + shift[$0] }
    }
}

extension LayersModel {
    static let convolutionLayers: Set<String> = ["Conv2D", "DepthwiseConv2D", "SeparableConv2D"]

    /// The layers with every convolution prepared, and each convolution → batch normalisation
    /// → ReLU chain (each link the next one's only input) merged into one layer that carries
    /// the last link's name: one pass over the tensor instead of three, with folded weights.
    /// `run` uses this plan unless an output asked for is a layer that was merged away.
    static func fused(_ layers: [Layer], weights: [String: Tensor], file: String) throws -> [Layer] {
        var consumers: [String: [Int]] = [:]
        for (index, layer) in layers.enumerated() { for source in layer.inbound { consumers[source, default: []].append(index) } }
        func onlyConsumer(of name: String) -> Int? {
            guard let list = consumers[name], list.count == 1, layers[list[0]].inbound.count == 1 else { return nil }
            return list[0]
        }
        var result = layers
        var merged = Set<Int>()
        for index in layers.indices where convolutionLayers.contains(layers[index].className) {
            var prepared = try prepare(layers[index], weights: weights, file: file)
            var last = index
            if prepared.activation == .none && !prepared.softmax, let next = onlyConsumer(of: layers[last].name),
               layers[next].className == "BatchNormalization", let norm = try batchNormParameters(layers[next], weights: weights, file: file),
               norm.mean.count == prepared.outputChannels {
                prepared.fold(mean: norm.mean, variance: norm.variance, gamma: norm.gamma, beta: norm.beta, epsilon: norm.epsilon)
                merged.insert(next)
                last = next
            }
            if prepared.activation == .none && !prepared.softmax, let next = onlyConsumer(of: layers[last].name), let activation = clampActivation(layers[next]) {
                prepared.activation = activation
                merged.insert(next)
                last = next
            }
            result[index].name = layers[last].name
            result[index].prepared = prepared
        }
        return result.enumerated().filter { !merged.contains($0.offset) }.map(\.element)
    }

    /// ReLU or ReLU6 as a layer (`ReLU` without slope or threshold, or `Activation`).
    static func clampActivation(_ layer: Layer) -> Activation? {
        switch layer.className {
        case "ReLU":
            let slope = (layer.config["negative_slope"] as? NSNumber)?.floatValue ?? 0
            let threshold = (layer.config["threshold"] as? NSNumber)?.floatValue ?? 0
            guard slope == 0, threshold == 0 else { return nil }
            switch (layer.config["max_value"] as? NSNumber)?.floatValue {
            case nil: return .relu
            case 6?: return .relu6
            default: return nil
            }
        case "Activation":
            switch layer.config["activation"] as? String {
            case "relu": return .relu
            case "relu6": return .relu6
            default: return nil
            }
        default:
            return nil
        }
    }

    static func prepare(_ layer: Layer, weights: [String: Tensor], file: String) throws -> PreparedConvolution {
        let config = layer.config
        if let format = config["data_format"] as? String, format != "channels_last" {
            throw TFJSError(file: file, node: layer.name, message: "data_format \(format) is not supported (only channels_last)")
        }
        let useBias = config["use_bias"] as? Bool ?? true
        let (activation, softmax) = try activationNamed(config["activation"] as? String, layer, file: file)
        let kind: PreparedConvolution.Kind
        let filter: Tensor
        if let groups = config["groups"] as? Int, groups != 1 {
            throw TFJSError(file: file, node: layer.name, message: "\(layer.className) with groups \(groups) (grouped convolution) is not supported")
        }
        switch layer.className {
        case "Conv2D":
            kind = .conv
            filter = try weight(layer, "kernel", weights: weights, file: file)
        case "DepthwiseConv2D":
            kind = .depthwise
            // Keras 3 names it `kernel`, Keras 2 `depthwise_kernel`.
            filter = try (try? weight(layer, "depthwise_kernel", weights: weights, file: file)) ?? weight(layer, "kernel", weights: weights, file: file)
        default:
            kind = .separable(pointwise: try weight(layer, "pointwise_kernel", weights: weights, file: file))
            filter = try weight(layer, "depthwise_kernel", weights: weights, file: file)
        }
        // Rank-4 kernels only (the fusion below reads their channel axes: a rank-1 kernel went out
        // of range there, a scalar one divided by zero channels), with channels to scale.
        var kernels = [filter]
        if case .separable(let pointwise) = kind { kernels.append(pointwise) }
        for kernel in kernels where kernel.rank != 4 || kernel.shape.contains(0) {
            throw TFJSError(file: file, node: layer.name, message: "\(layer.className) kernel of shape \(kernel.shape) is not [height, width, in, out] with no empty axis")
        }
        return PreparedConvolution(kind: kind, filter: filter, bias: useBias ? try weight(layer, "bias", weights: weights, file: file).data : nil,
                                   strides: try pair(config["strides"], default: 1, "strides", layer: layer.name, file: file),
                                   dilations: try pair(config["dilation_rate"], default: 1, "dilation_rate", layer: layer.name, file: file),
                                   padding: (config["padding"] as? String) == "same" ? .same : .valid, activation: activation, softmax: softmax)
    }

    /// A BatchNormalization layer's parameters, or nil when it is not over the last axis.
    static func batchNormParameters(_ layer: Layer, weights: [String: Tensor], file: String) throws
        -> (mean: [Float], variance: [Float], gamma: [Float]?, beta: [Float]?, epsilon: Float)? {
        let config = layer.config
        if let axis = config["axis"] as? Int, axis != -1 && axis != 3 { return nil }
        if let axes = config["axis"] as? [Int], axes != [-1] && axes != [3] { return nil }
        let gamma = (config["scale"] as? Bool ?? true) ? try weight(layer, "gamma", weights: weights, file: file).data : nil
        let beta = (config["center"] as? Bool ?? true) ? try weight(layer, "beta", weights: weights, file: file).data : nil
        let mean = try weight(layer, "moving_mean", weights: weights, file: file).data
        let variance = try weight(layer, "moving_variance", weights: weights, file: file).data
        guard variance.count == mean.count, gamma.map({ $0.count == mean.count }) ?? true, beta.map({ $0.count == mean.count }) ?? true else { return nil }
        return (mean, variance, gamma, beta, (config["epsilon"] as? NSNumber)?.floatValue ?? 0.001)
    }
}
