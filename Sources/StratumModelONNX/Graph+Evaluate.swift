import Foundation
import StratumEngine

extension Graph {
    /// Computes one node's outputs from its inputs (nil: an omitted optional input).
    func evaluate(_ node: Node, _ inputs: [Value?]) throws -> [Value] {
        func fail(_ message: String) -> ONNXError { ONNXError(file: file, node: node.label, message: message) }
        func arg(_ i: Int) throws -> Value {
            guard i < inputs.count, let value = inputs[i] else { throw fail("\(node.op) needs input \(i)") }
            return value
        }
        func optional(_ i: Int) -> Value? { i < inputs.count ? inputs[i] : nil }
        func float(_ i: Int) throws -> Tensor { try arg(i).graphTensor() }
        func ints(_ i: Int) throws -> [Int] { try arg(i).graphInts().data }
        let a = node.attributes

        switch node.domain.isEmpty ? node.op : "\(node.domain).\(node.op)" {
        case "Identity":
            return [try arg(0)]
        case "Dropout":
            let x = try arg(0)
            let mask = Value.int(IntTensor(shape: x.shape, data: [Int](repeating: 1, count: x.shape.reduce(1, *))))
            return node.outputs.count > 1 ? [x, mask] : [x]
        case "Conv":
            guard let plan = node.convolution else { throw fail("Conv weights must be an initializer") }
            return try Kernels.convolve(plan, try arg(0), residual: plan.residual ? try arg(1) : nil)
        case "Gemm":
            if let plan = node.gemm {
                var x = try float(0)
                guard x.rank == 2 else { throw fail("Gemm needs a 2-D A, got \(x.shape)") }
                if a.int("transA", 0) != 0 { x = Layout.transpose(x, [1, 0]) }
                if let packed = plan.packed {
                    return [.float(try Elementwise.matMul(x, packed, bias: plan.bias, activation: plan.activation), channelsLast: false)]
                }
                return [.float(try Elementwise.matMul(x, plan.b, bias: plan.bias, activation: plan.activation), channelsLast: false)]
            }
            var x = try float(0), b = try float(1)
            guard x.rank == 2, b.rank == 2 else { throw fail("Gemm needs 2-D A and B, got \(x.shape) and \(b.shape)") }
            if a.int("transA", 0) != 0 { x = Layout.transpose(x, [1, 0]) }
            if a.int("transB", 0) != 0 { b = Layout.transpose(b, [1, 0]) }
            var y = try Elementwise.matMul(x, b)
            let alpha = a.float("alpha", 1)
            if alpha != 1 { y = Tensor(shape: y.shape, data: y.data.map { $0 * alpha }) }
            if let c = optional(2) {
                let beta = a.float("beta", 1)
                let scaled = c.graphTensor()
                y = try Elementwise.binary(y, Tensor(shape: scaled.shape, data: scaled.data.map { $0 * beta }), .add)
            }
            return [.float(y, channelsLast: false)]
        case "MatMul":
            return [.float(try Kernels.matMul(try float(0), try float(1)), channelsLast: false)]
        case "Add", "Sub", "Mul", "Div":
            // (A dictionary literal here was built, hashed and searched on every call: a third of
            // a small Mul's time.)
            let op: Elementwise.Binary = switch node.op {
            case "Add": .add
            case "Sub": .subtract
            case "Mul": .multiply
            default: .divide
            }
            return [try Kernels.binary(try arg(0), try arg(1), op)]
        case "Relu": return [Kernels.activate(try arg(0), .relu)]
        case "Sigmoid": return [Kernels.activate(try arg(0), .sigmoid)]
        case "Tanh": return [Kernels.activate(try arg(0), .tanh)]
        case "LeakyRelu": return [Kernels.activate(try arg(0), .leakyRelu(a.float("alpha", 0.01)))]
        case "HardSigmoid": return [Kernels.activate(try arg(0), .hardSigmoid(a.float("alpha", 0.2), a.float("beta", 0.5)))]
        case "HardSwish": return [Kernels.activate(try arg(0), .hardSwish)]
        case "Clip":
            guard let (low, high) = clipBounds(node, inputs: inputs) else { throw fail("Clip bounds are not known") }
            let x = try arg(0)
            if case .int(let t) = x {
                // In integers (through Float, values past 2^24 lost digits), the upper bound
                // applied last: min > max gives max everywhere, as the float path and onnxruntime.
                let (lower, upper) = (Layout.int(low), Layout.int(high))
                return [.int(IntTensor(shape: t.shape, data: t.data.map { min(upper, max(lower, $0)) }))]
            }
            return [Kernels.activate(x, .clip(low, high))]
        case "BatchNormalization":
            let x = try arg(0)
            let gamma = try float(1).data, beta = try float(2).data, mean = try float(3).data, variance = try float(4).data
            let epsilon = a.float("epsilon", 1e-5)
            if x.rank == 4 {
                let t = try x.channelsLastTensor()
                return [.float(try Elementwise.batchNorm(t, mean: mean, variance: variance, scale: gamma, offset: beta, epsilon: epsilon), channelsLast: true)]
            }
            let t = x.graphTensor()
            guard t.rank == 2 else { throw fail("BatchNormalization supports [N, C] and [N, C, H, W] inputs, got \(t.shape)") }
            return [.float(try Elementwise.batchNorm(t, mean: mean, variance: variance, scale: gamma, offset: beta, epsilon: epsilon), channelsLast: false)]
        case "GlobalAveragePool", "GlobalMaxPool":
            let t = try arg(0).channelsLastTensor()
            let pooled = node.op == "GlobalAveragePool" ? try Pooling.globalAverage(t, keepDims: true) : try Pooling.max(t, axes: [1, 2], keepDims: true)
            return [.float(pooled, channelsLast: true)]
        case "MaxPool", "AveragePool":
            return [try Kernels.pool(node.op == "MaxPool" ? .max : .average, try arg(0), attributes: a)]
        case "Softmax":
            return [try Kernels.softmax(try float(0), axis: a.int("axis", opset >= 13 ? -1 : 1), flattening: opset < 13)]
        case "Flatten":
            let t = try float(0)
            var axis = a.int("axis", 1)
            if axis < 0 { axis += t.rank }
            guard (0...t.rank).contains(axis) else { throw fail("Flatten axis \(a.int("axis", 1)) is out of range for shape \(t.shape)") }
            return [.float(try t.reshaped([t.shape[..<axis].reduce(1, *), t.shape[axis...].reduce(1, *)]), channelsLast: false)]
        case "Reshape":
            let x = try arg(0)
            let shape = try Kernels.reshapeTarget(x.shape, try ints(1), allowZero: a.int("allowzero", 0) != 0)
            return [try Kernels.reshape(x, shape)]
        case "Squeeze":
            let x = try arg(0)
            let axes = a.ints("axes") ?? (optional(1).map { $0.graphInts().data })
            // onnxruntime removes every axis of size 1 for an empty list, the ONNX reference
            // and shape inference none: refused rather than guessed.
            if axes?.isEmpty == true { throw fail("Squeeze with an empty axes list (onnxruntime squeezes every axis of size 1, the ONNX reference none); give the axes or none") }
            let rank = x.rank
            let normalized = Set(try (axes ?? []).map { try Kernels.axis($0, rank: rank) })
            let shape = x.shape.enumerated().filter { axes == nil ? $0.element != 1 : !normalized.contains($0.offset) }.map(\.element)
            if let axes, axes.contains(where: { x.shape[(try? Kernels.axis($0, rank: rank)) ?? 0] != 1 }) { throw fail("Squeeze of axes \(axes) that are not 1 in \(x.shape)") }
            return [try Kernels.reshape(x, shape)]
        case "Unsqueeze":
            let x = try arg(0)
            guard let axes = a.ints("axes") ?? (optional(1).map { $0.graphInts().data }) else { throw fail("Unsqueeze needs axes") }
            let rank = x.rank + axes.count
            let normalized = Set(try axes.map { try Kernels.axis($0, rank: rank) })
            guard normalized.count == axes.count else { throw fail("Unsqueeze axes \(axes) repeat") }
            var shape: [Int] = [], source = x.shape.makeIterator()
            for axis in 0..<rank { shape.append(normalized.contains(axis) ? 1 : (source.next() ?? 1)) }
            return [try Kernels.reshape(x, shape)]
        case "Transpose":
            return [try Kernels.transpose(try arg(0), perm: a.ints("perm"))]
        case "Concat":
            guard let axis = a.int("axis") else { throw fail("Concat needs an axis") }
            return [try Kernels.concat(inputs.compactMap { $0 }, axis: axis)]
        case "ReduceMean":
            let axes = a.ints("axes") ?? optional(1).map { $0.graphInts().data }
            return [try Kernels.reduceMean(try arg(0), axes: axes ?? [], keepDims: a.int("keepdims", 1) != 0,
                                           noopWithEmptyAxes: a.int("noop_with_empty_axes", 0) != 0)]
        case "Pad":
            let mode = a.string("mode", "constant")
            guard ["constant", "reflect", "edge"].contains(mode) else { throw fail("Pad mode '\(mode)' is not supported (constant, reflect and edge are)") }
            let pads = try a.ints("pads") ?? ints(1)
            let value = a.float("value") ?? optional(2).map { $0.graphTensor().data.first ?? 0 } ?? 0
            let axes = optional(3).map { $0.graphInts().data }
            return [try Kernels.pad(try arg(0), pads: pads, axes: axes, value: value, mode: mode)]
        case "Resize":
            return [try Kernels.resize(try arg(0), scales: optional(2).map { $0.graphTensor().data }, sizes: optional(3).map { $0.graphInts().data },
                                       attributes: a, legacyScales: optional(1).map { $0.graphTensor().data }, opset: opset)]
        case "Cast":
            let to = a.int("to", 1)
            let x = try arg(0)
            switch to {
            case 1, 11: return [x.isChannelsLast ? x : .float(x.graphTensor(), channelsLast: false)]
            case 10:
                if case .float(let t, let last) = x { return [.float(Tensor(shape: t.shape, data: t.data.map(Half.round)), channelsLast: last)] }
                // Integers round to float16 too (2049 → 2048, 70000 → inf).
                let t = x.graphTensor()
                return [.float(Tensor(shape: t.shape, data: t.data.map(Half.round)), channelsLast: false)]
            case 16:
                // bfloat16: the upper half of the float's bits, rounded to nearest, ties to even
                // (as onnxruntime rounds; cutting the bits off was a bfloat16 step off).
                let t = x.graphTensor()
                return [.float(Tensor(shape: t.shape, data: t.data.map(Self.bfloat16)), channelsLast: false)]
            case 9:
                let t = x.graphTensor()
                return [.int(IntTensor(shape: t.shape, data: t.data.map { $0 != 0 ? 1 : 0 }))]
            case 2, 3, 4, 5, 6, 12:
                // Narrower integers wrap, as C casts do in onnxruntime (300 → 44 as uint8).
                let t = x.graphInts()
                return [.int(IntTensor(shape: t.shape, data: t.data.map { Self.wrapped($0, to: to) }))]
            case 7: return [.int(x.graphInts())]
            case 13:
                // uint64 wraps a negative value to 2^64 − |v|, which Stratum's 64-bit signed
                // integers cannot hold; it was kept negative (ONNX attribute review).
                let t = x.graphInts()
                guard t.data.allSatisfy({ $0 >= 0 }) else { throw fail("Cast to uint64 of a negative value, which Stratum cannot represent") }
                return [.int(t)]
            default: throw fail("Cast to element type \(to) is not supported")
            }
        case "Shape":
            let shape = try arg(0).shape
            let rank = shape.count
            func clamp(_ v: Int) -> Int { max(0, min(rank, v < 0 ? v + rank : v)) }
            let start = clamp(a.int("start", 0)), end = clamp(a.int("end", rank))
            return [.int(IntTensor(vector: start < end ? Array(shape[start..<end]) : []))]
        case "Gather":
            return [try Kernels.gather(try arg(0), indices: try arg(1).graphInts(), axis: a.int("axis", 0))]
        case "Slice":
            let x = try arg(0)
            if a.has("starts") {
                return [try Kernels.slice(x, starts: a.ints("starts") ?? [], ends: a.ints("ends") ?? [], axes: a.ints("axes"), steps: nil)]
            }
            return [try Kernels.slice(x, starts: try ints(1), ends: try ints(2), axes: optional(3).map { $0.graphInts().data },
                                      steps: optional(4).map { $0.graphInts().data })]
        case "ai.onnx.ml.LinearClassifier":
            return try Kernels.linearClassifier(try float(0), attributes: a)
        case "ai.onnx.ml.Normalizer":
            return [try Kernels.normalize(try float(0), norm: a.string("norm", "MAX"))]
        default:
            throw fail("unsupported op '\(node.op)' (supported: \(Self.supportedList))")
        }
    }
}

extension Graph {
    /// `value` rounded to bfloat16 (8 bits of mantissa), to nearest with ties to even; NaN stays NaN.
    static func bfloat16(_ value: Float) -> Float {
        guard !value.isNaN else { return value }
        let bits = value.bitPattern
        return Float(bitPattern: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) & 0xFFFF_0000)
    }

    /// `value` cast to ONNX integer type `type` (2 uint8, 3 int8, 4 uint16, 5 int16, 6 int32,
    /// 12 uint32), wrapping as a C cast does.
    static func wrapped(_ value: Int, to type: Int) -> Int {
        switch type {
        case 2: return Int(UInt8(truncatingIfNeeded: value))
        case 3: return Int(Int8(truncatingIfNeeded: value))
        case 4: return Int(UInt16(truncatingIfNeeded: value))
        case 5: return Int(Int16(truncatingIfNeeded: value))
        case 6: return Int(Int32(truncatingIfNeeded: value))
        case 12: return Int(UInt32(truncatingIfNeeded: value))
        default: return value
        }
    }
}
