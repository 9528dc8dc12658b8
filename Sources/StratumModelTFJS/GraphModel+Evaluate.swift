import Foundation
import StratumEngine

extension GraphModel {
    func evaluate(_ node: Node, _ inputs: [Tensor]) throws -> Tensor {
        func arg(_ i: Int) throws -> Tensor {
            guard i < inputs.count else { throw TFJSError(file: file, node: node.name, message: "\(node.op) needs input \(i)") }
            return inputs[i]
        }
        // Shapes, axes and paddings arrive as floats that a model file (or an op) may make NaN or
        // infinite: an error, not a trap (found by fuzzing).
        func vector(_ i: Int) throws -> [Int] {
            try arg(i).data.map { value in
                guard value.isFinite, abs(value) < 0x1p62 else {
                    throw TFJSError(file: file, node: node.name, message: "\(node.op) input \(i) holds \(value) where integers are expected")
                }
                return Int(value)
            }
        }
        switch node.op {
        case "Const":
            guard let tensor = weights[node.name] else { throw TFJSError(file: file, node: node.name, message: "constant missing from the weights") }
            return tensor
        case "Placeholder":
            throw TFJSError(file: file, node: node.name, message: "no value given for this input")
        case "Identity":
            return try arg(0)
        case "Conv2D", "_FusedConv2D", "DepthwiseConv2dNative", "FusedDepthwiseConv2dNative":
            guard let plan = node.convolution else { throw TFJSError(file: file, node: node.name, message: "convolution was not planned") }
            let input = try arg(0), filter = try arg(1)
            func convolve(bias: [Float]?, activation: Activation) throws -> Tensor {
                plan.depthwise
                    ? try Convolution.depthwiseConv2d(input, filter: filter, bias: bias, strides: plan.strides, dilations: plan.dilations, padding: plan.padding, activation: activation)
                    : try Convolution.conv2d(input, filter: filter, bias: bias, strides: plan.strides, dilations: plan.dilations, padding: plan.padding, activation: activation)
            }
            switch plan.fused {
            case .nothing: return try convolve(bias: nil, activation: plan.activation)
            case .bias:
                // A one-value bias applies to every channel, as TF.js broadcasts it (a fresh
                // MobileNetV3's `+ 3` folds into one).
                var bias = try arg(2).data
                let channels = filter.shape.count == 4 ? (plan.depthwise ? filter.shape[2] * filter.shape[3] : filter.shape[3]) : bias.count
                if bias.count == 1 && channels > 1 { bias = [Float](repeating: bias[0], count: channels) }
                return try convolve(bias: bias, activation: plan.activation)
            case .batchNorm(let epsilon):
                let normalized = try Elementwise.batchNorm(convolve(bias: nil, activation: .none), mean: arg(4).data, variance: arg(5).data,
                                                           scale: arg(2).data, offset: arg(3).data, epsilon: epsilon)
                return Elementwise.activate(normalized, plan.activation)
            }
        case "BiasAdd":
            try checkNHWC(node)
            return try Elementwise.binary(arg(0), arg(1), .add)
        case "MatMul", "_FusedMatMul":
            var bias: [Float]?
            var activation = Activation.none
            if node.op == "_FusedMatMul" {
                var fused = strings(node, "fused_ops")
                if fused.first == "BiasAdd" { bias = try arg(2).data; fused.removeFirst() }
                if let name = fused.first { activation = try self.activation(name, node) }
            }
            return try Elementwise.matMul(arg(0), arg(1), transposeA: bool(node, "transpose_a"), transposeB: bool(node, "transpose_b"), bias: bias, activation: activation)
        case "Relu": return Elementwise.activate(try arg(0), .relu)
        case "Relu6": return Elementwise.activate(try arg(0), .relu6)
        case "Sigmoid": return Elementwise.activate(try arg(0), .sigmoid)
        case "Tanh": return Elementwise.activate(try arg(0), .tanh)
        case "Elu": return Elementwise.activate(try arg(0), .elu)
        case "LeakyRelu": return Elementwise.activate(try arg(0), .leakyRelu(float(node, "alpha") ?? 0.2))
        case "Softmax": return Elementwise.softmax(try arg(0))
        case "Rsqrt": let x = try arg(0); return Tensor(shape: x.shape, data: x.data.map { 1 / $0.squareRoot() })
        case "Sqrt": let x = try arg(0); return Tensor(shape: x.shape, data: x.data.map { $0.squareRoot() })
        case "Square": let x = try arg(0); return Tensor(shape: x.shape, data: x.data.map { $0 * $0 })
        case "Mean":
            let input = try arg(0)
            let axes = try vector(1)
            if input.rank == 4 && Set(axes.map { $0 < 0 ? $0 + 4 : $0 }) == [1, 2] {
                return try Pooling.globalAverage(input, keepDims: bool(node, "keep_dims"))
            }
            return try Pooling.mean(input, axes: axes, keepDims: bool(node, "keep_dims"))
        case "MaxPool", "AvgPool":
            try checkNHWC(node)
            return try Pooling.pool2d(arg(0), kind: node.op == "MaxPool" ? .max : .average,
                                      window: pair(ints(node, "ksize"), node, "ksize"), strides: pair(ints(node, "strides"), node, "strides"), padding: padding(node))
        case "Pad", "PadV2":
            let input = try arg(0), paddings = try vector(1)
            guard paddings.count == 2 * input.rank else { throw TFJSError(file: file, node: node.name, message: "paddings do not match rank \(input.rank)") }
            let constant = node.op == "PadV2" ? (try arg(2).data.first ?? 0) : 0
            return try Elementwise.pad(input, paddings: (0..<input.rank).map { (paddings[2 * $0], paddings[2 * $0 + 1]) }, value: constant)
        case "AddV2", "Add":
            if let plan = node.residualConvolution {
                return try Convolution.conv2d(arg(0), filter: arg(1), bias: arg(2).data, strides: plan.strides, dilations: plan.dilations,
                                              padding: plan.padding, residual: arg(3))
            }
            return try Elementwise.binary(arg(0), arg(1), .add)
        case "Sub": return try Elementwise.binary(arg(0), arg(1), .subtract)
        case "Mul": return try Elementwise.binary(arg(0), arg(1), .multiply)
        case "RealDiv": return try Elementwise.binary(arg(0), arg(1), .divide)
        case "Maximum": return try Elementwise.binary(arg(0), arg(1), .maximum)
        case "Minimum": return try Elementwise.binary(arg(0), arg(1), .minimum)
        case "FusedBatchNorm", "FusedBatchNormV3":
            try checkNHWC(node)  // NCHW was normalised over the last axis
            return try Elementwise.batchNorm(arg(0), mean: arg(3).data, variance: arg(4).data, scale: arg(1).data, offset: arg(2).data, epsilon: float(node, "epsilon") ?? 0.001)
        case "Reshape":
            var shape = try vector(1)
            let input = try arg(0)
            // A batch dimension baked in at conversion time follows the real batch.
            if shape.count >= 1 && shape[0] > 0 && input.shape.first != shape[0] && !shape.contains(-1) { shape[0] = -1 }
            return try input.reshaped(shape)
        case "Squeeze":
            let input = try arg(0)
            let axes = Set((ints(node, "squeeze_dims") ?? []).map { $0 < 0 ? $0 + input.rank : $0 })
            let shape = input.shape.enumerated().filter { axes.isEmpty ? $0.element != 1 : !axes.contains($0.offset) }.map(\.element)
            return try input.reshaped(shape)
        case "ExpandDims":
            let input = try arg(0)
            var axis = try vector(1).first ?? 0
            if axis < 0 { axis += input.rank + 1 }
            var shape = input.shape
            shape.insert(1, at: max(0, min(axis, shape.count)))
            return try input.reshaped(shape)
        case "ConcatV2":
            // N inputs then the axis: N from the file, checked against the inputs there are.
            let count = int(node, "N") ?? (node.inputs.count - 1)
            guard count >= 1, count < node.inputs.count else {
                throw TFJSError(file: file, node: node.name, message: "ConcatV2 with N = \(count) needs N + 1 inputs (it has \(node.inputs.count))")
            }
            let parts = try (0..<count).map(arg)
            return try Elementwise.concat(parts, axis: try vector(count).first ?? -1)
        case "ResizeBilinear":
            let size = try vector(1)
            guard size.count == 2 else { throw TFJSError(file: file, node: node.name, message: "size must have 2 values") }
            return try Elementwise.resizeBilinear(arg(0), height: size[0], width: size[1], alignCorners: bool(node, "align_corners"), halfPixelCenters: bool(node, "half_pixel_centers"))
        case "Max":
            return try Pooling.max(arg(0), axes: vector(1), keepDims: bool(node, "keep_dims"))
        case "SpaceToBatchND", "BatchToSpaceND":
            let block = try vector(1), pads = try vector(2)
            guard block.count == 2, pads.count == 4 else { throw TFJSError(file: file, node: node.name, message: "only 2-D blocks on NHWC are supported") }
            return node.op == "SpaceToBatchND"
                ? try Elementwise.spaceToBatch(arg(0), block: (block[0], block[1]), paddings: ((pads[0], pads[1]), (pads[2], pads[3])))
                : try Elementwise.batchToSpace(arg(0), block: (block[0], block[1]), crops: ((pads[0], pads[1]), (pads[2], pads[3])))
        case "NoOp":
            return Tensor(zeros: [0])
        default:
            throw TFJSError(file: file, node: node.name, message: "unsupported op '\(node.op)'")
        }
    }
}
