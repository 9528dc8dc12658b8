import Foundation
import StratumEngine

/// The ops' computations on `Value`s, keeping channels-last values channels-last where the
/// op allows.
enum Kernels {
    static func axis(_ axis: Int, rank: Int) throws -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0 && a < rank else { throw EngineError.shapeMismatch("axis \(axis) is out of range for rank \(rank)") }
        return a
    }

    /// An element-wise activation (integers become floats).
    static func activate(_ x: Value, _ activation: Activation) -> Value {
        switch x {
        case .float(let t, let last): return .float(Elementwise.activate(t, activation), channelsLast: last)
        case .int: return .float(Elementwise.activate(x.graphTensor(), activation), channelsLast: false)
        }
    }

    // MARK: Convolution and pooling

    /// (before, after) padding along one axis for ONNX's auto_pad modes, or the explicit pads.
    static func padding(autoPad: String, pads: (Int, Int), input: Int, kernel: Int, stride: Int, dilation: Int) throws -> (Int, Int) {
        // From the model file: bounded before the window arithmetic (which overflowed).
        let limit = Tensor.maxElements
        guard [kernel, stride, dilation].allSatisfy({ $0 >= 1 && $0 <= limit }), pads.0 >= 0, pads.1 >= 0, pads.0 <= limit, pads.1 <= limit else {
            throw EngineError.shapeMismatch("kernel \(kernel), stride \(stride), dilation \(dilation) and pads \(pads) must be in 1…\(limit) (pads from 0)")
        }
        let effective = (kernel - 1) * dilation + 1
        switch autoPad {
        case "NOTSET", "": return pads
        case "VALID": return (0, 0)
        case "SAME_UPPER", "SAME_LOWER":
            let output = (input + stride - 1) / stride
            let total = max(0, (output - 1) * stride + effective - input)
            return autoPad == "SAME_UPPER" ? (total / 2, total - total / 2) : (total - total / 2, total / 2)
        default: throw EngineError.unsupported("auto_pad '\(autoPad)'")
        }
    }

    /// The convolution's output, then its companion's when it has one.
    static func convolve(_ plan: ConvolutionPlan, _ x: Value, residual: Value?) throws -> [Value] {
        guard let companion = plan.companions.first else { return [try convolve(plan, x, residual: residual)] }
        let (input, padding) = try convolutionInput(plan, x)
        if let (main, second) = try Convolution.conv2d(input, filter: plan.filters[0], bias: plan.bias, strides: plan.strides, dilations: plan.dilations,
                                                       padding: padding, activation: plan.activation,
                                                       residual: try residual.map(Self.residual),
                                                       companion: Convolution.Companion(filter: companion.filters[0], bias: companion.bias, activation: companion.activation)) {
            return [.float(main, channelsLast: true), .float(second, channelsLast: true)]
        }
        return [try convolve(plan, x, residual: residual), try convolve(companion, x, residual: nil)]
    }

    /// The convolution's input channels-last (checked against the weights) and its padding for
    /// that input's size.
    static func convolutionInput(_ plan: ConvolutionPlan, _ x: Value) throws -> (Tensor, Padding) {
        let input = try x.channelsLastTensor()
        guard input.shape[3] == plan.inputChannels else {
            throw EngineError.shapeMismatch("Conv weights expect \(plan.inputChannels) input channels, the input has \(input.shape[3]) (shape \(x.shape))")
        }
        let (top, bottom) = try padding(autoPad: plan.autoPad, pads: (plan.pads[0], plan.pads[2]), input: input.shape[1], kernel: plan.kernel.0, stride: plan.strides.0, dilation: plan.dilations.0)
        let (left, right) = try padding(autoPad: plan.autoPad, pads: (plan.pads[1], plan.pads[3]), input: input.shape[2], kernel: plan.kernel.1, stride: plan.strides.1, dilation: plan.dilations.1)
        return (input, .explicit(top: top, bottom: bottom, left: left, right: right))
    }

    static func convolve(_ plan: ConvolutionPlan, _ x: Value, residual: Value?) throws -> Value {
        let (input, padding) = try convolutionInput(plan, x)
        let output: Tensor
        switch plan.kind {
        case .dense:
            output = try Convolution.conv2d(input, filter: plan.filters[0], bias: plan.bias, strides: plan.strides, dilations: plan.dilations,
                                            padding: padding, activation: plan.activation, residual: try residual.map(Self.residual))
        case .depthwise:
            output = try Convolution.depthwiseConv2d(input, filter: plan.filters[0], bias: plan.bias, strides: plan.strides, dilations: plan.dilations,
                                                     padding: padding, activation: plan.activation)
        case .grouped(let groups):
            let per = plan.inputChannels / groups
            var parts: [Tensor] = []
            var offset = 0
            for (g, filter) in plan.filters.enumerated() {
                let slice = channelSlice(input, from: g * per, count: per)
                let out = filter.shape[3]
                let bias = plan.bias.map { Array($0[offset..<(offset + out)]) }
                parts.append(try Convolution.conv2d(slice, filter: filter, bias: bias, strides: plan.strides, dilations: plan.dilations,
                                                    padding: padding, activation: plan.activation))
                offset += out
            }
            output = try Elementwise.concat(parts, axis: 3)
        }
        return .float(output, channelsLast: true)
    }

    /// The second input of an Add fused into a convolution, channels-last: the output's own
    /// shape (a shortcut), or anything that broadcasts to it, such as a [C, 1, 1] bias or the
    /// scalar of h-sigmoid's relu6(x + 3) (those were refused as "expected a 4-D NCHW value").
    static func residual(_ value: Value) throws -> Tensor {
        guard value.rank <= 4 else { throw EngineError.shapeMismatch("the value added to a convolution has shape \(value.shape), more than 4 dimensions") }
        return physical(value)
    }

    /// Channels `from..<from+count` of an NHWC tensor.
    static func channelSlice(_ t: Tensor, from: Int, count: Int) -> Tensor {
        let c = t.shape[3], pixels = t.count / max(1, c)
        var out = [Float](repeating: 0, count: pixels * count)
        t.data.withUnsafeBufferPointer { x in
            for p in 0..<pixels { for k in 0..<count { out[p * count + k] = x[p * c + from + k] } }
        }
        return Tensor(shape: [t.shape[0], t.shape[1], t.shape[2], count], data: out)
    }

    /// MaxPool / AveragePool with ONNX's pads, auto_pad, ceil_mode and count_include_pad.
    static func pool(_ kind: Pooling.Kind, _ x: Value, attributes a: Attributes) throws -> Value {
        var input = try x.channelsLastTensor()
        guard let kernel = a.ints("kernel_shape"), kernel.count == 2, kernel.allSatisfy({ (1...4096).contains($0) }) else {
            throw EngineError.unsupported("pooling needs a 2-D kernel_shape within 1…4096")
        }
        let strides = a.ints("strides") ?? [1, 1], pads = a.ints("pads") ?? [0, 0, 0, 0]
        guard strides.count == 2, strides.allSatisfy({ (1...4096).contains($0) }), pads.count == 4, pads.allSatisfy({ (0...4096).contains($0) }) else {
            throw EngineError.unsupported("pooling strides \(strides) or pads \(pads) are not 2-D values in range")
        }
        if let dilations = a.ints("dilations"), dilations.contains(where: { $0 != 1 }) { throw EngineError.unsupported("pooling dilations \(dilations)") }
        let autoPad = a.string("auto_pad", "NOTSET"), ceilMode = a.int("ceil_mode", 0) != 0
        // `counted`: the padding the pads or auto_pad give, which count_include_pad counts;
        // `resolved` adds ceil_mode's extra cells, which are never counted.
        var resolved: [(Int, Int)] = [], counted: [(Int, Int)] = []
        for axis in 0..<2 {
            let size = input.shape[1 + axis]
            var (before, after) = try padding(autoPad: autoPad, pads: (pads[axis], pads[axis + 2]), input: size, kernel: kernel[axis], stride: strides[axis], dilation: 1)
            counted.append((before, after))
            // ceil_mode applies to explicit pads and VALID alike (onnxruntime; under VALID it was
            // ignored, a 4×5 output came out 3×4); SAME sizes the output already.
            if ceilMode && (autoPad == "NOTSET" || autoPad.isEmpty || autoPad == "VALID") {
                let span = size + before + after - kernel[axis]
                var output = (span + strides[axis] - 1) / strides[axis] + 1
                // The last window must start inside the input or its leading padding.
                if (output - 1) * strides[axis] >= size + before { output -= 1 }
                after += max(0, (output - 1) * strides[axis] + kernel[axis] - (size + before + after))
                resolved.append((before, after))
                // The extra cells only make the last window fit; they are never counted.
                continue
            }
            resolved.append((before, after))
        }
        if kind == .average && a.int("count_include_pad", 0) != 0 {
            // Padding counts in the average: pad with zeros explicitly; only ceil_mode's extra
            // cells stay outside (as onnxruntime and PyTorch do). auto_pad's padding counts too
            // (the `pads` attribute, all zeros then, was counted instead).
            input = try Elementwise.pad(input, paddings: [(0, 0), counted[0], counted[1], (0, 0)])
            resolved = zip(resolved, counted).map { ($0.0 - $1.0, $0.1 - $1.1) }
        }
        let padding = Padding.explicit(top: resolved[0].0, bottom: resolved[0].1, left: resolved[1].0, right: resolved[1].1)
        return .float(try Pooling.pool2d(input, kind: kind, window: (kernel[0], kernel[1]), strides: (strides[0], strides[1]), padding: padding), channelsLast: true)
    }

    // MARK: Element-wise

    /// NumPy-broadcast arithmetic; integers stay integers; a channels-last operand keeps the
    /// result channels-last (the other operand is permuted, usually a per-channel constant).
    static func binary(_ a: Value, _ b: Value, _ op: Elementwise.Binary) throws -> Value {
        if case .int(let x) = a, case .int(let y) = b {
            let t = try Elementwise.binary(Tensor(shape: x.shape, data: x.data.map { Float($0) }), Tensor(shape: y.shape, data: y.data.map { Float($0) }), .add)
            // Shapes broadcast (and are bounded) as floats; values are computed as integers.
            let shape = t.shape
            let xs = broadcast(x, to: shape), ys = broadcast(y, to: shape)
            let data: [Int] = zip(xs, ys).map { p, q in
                switch op {
                case .add: return p &+ q
                case .subtract: return p &- q
                case .multiply: return p &* q
                case .divide: return q == 0 ? 0 : p.dividedReportingOverflow(by: q).partialValue
                case .maximum: return max(p, q)
                case .minimum: return min(p, q)
                }
            }
            return .int(IntTensor(shape: shape, data: data))
        }
        guard a.isChannelsLast || b.isChannelsLast, a.rank <= 4, b.rank <= 4 else {
            return .float(try floatBinary(a.graphTensor(), b.graphTensor(), op), channelsLast: false)
        }
        let (x, y) = (physical(a), physical(b))
        return .float(try floatBinary(x, y, op), channelsLast: true)
    }

    /// A value of rank 4 or less as a channels-last 4-D tensor, for broadcasting against a
    /// channels-last value: leading 1s first (NumPy's rule), then NCHW → NHWC.
    static func physical(_ v: Value) -> Tensor {
        if case .float(let t, true) = v { return t }
        let t = v.graphTensor()
        let padded = [Int](repeating: 1, count: max(0, 4 - t.rank)) + t.shape
        return Layout.toChannelsLast(Tensor(shape: padded, data: t.data))
    }

    /// Broadcast arithmetic with tight loops for the shapes networks use: equal shapes, a
    /// per-channel (last-axis) vector or scalar on either side, and squeeze-excite's
    /// [N, H, W, C] with [N, 1, 1, C]; anything else goes to the engine's general broadcast.
    static func floatBinary(_ x: Tensor, _ y: Tensor, _ op: Elementwise.Binary) throws -> Tensor {
        if x.shape == y.shape || op == .maximum || op == .minimum { return try Elementwise.binary(x, y, op) }
        func isVector(_ small: Tensor, of big: Tensor) -> Bool {
            guard let c = big.shape.last, small.count == c || small.count == 1, small.rank <= big.rank else { return false }
            return small.count == 1 || small.shape.last == c && small.shape.dropLast().allSatisfy { $0 == 1 }
        }
        // Per image: y holds C values per image ([N, 1, …, 1, C]); whole tensor: N = 1 folded in.
        func perImage(_ big: Tensor, _ small: Tensor) -> Int? {
            guard big.rank >= 2, small.rank == big.rank, let c = big.shape.last, small.shape.last == c,
                  small.shape[0] == big.shape[0], small.shape.dropFirst().dropLast().allSatisfy({ $0 == 1 }) else { return nil }
            return small.shape[0]
        }
        let swapped: Bool
        let big: Tensor, small: Tensor
        if isVector(y, of: x) || perImage(x, y) != nil { (big, small, swapped) = (x, y, false) }
        else if isVector(x, of: y) || perImage(y, x) != nil { (big, small, swapped) = (y, x, true) }
        else { return try Elementwise.binary(x, y, op) }
        let images = perImage(big, small) ?? 1
        let c = small.count / images, per = big.count / images
        let vectorLength = small.count == 1 ? 1 : c
        var out: [Float] = []
        // One loop per operation, the operation inlined into it (no switch per element); the
        // result is written straight from the operands (copying `big` first and updating the
        // copy was two passes over it).
        @inline(__always) func run(_ f: (Float, Float) -> Float) {
            out = [Float](unsafeUninitializedCapacity: big.count) { o, count in
                big.data.withUnsafeBufferPointer { b in
                    small.data.withUnsafeBufferPointer { v in
                        // (Empty tensors have no storage to point at.)
                        guard let o = o.baseAddress, let b = b.baseAddress, let v = v.baseAddress else { return }
                        // On pointers, without overflow checks, so that the loops vectorise.
                        for image in 0..<images {
                            var row = o + image &* per, source = UnsafePointer(b) + image &* per
                            let end = row + per, vector = v + (small.count == 1 ? 0 : image &* c)
                            if vectorLength == 1 {
                                let q = vector[0]
                                while row < end { row.pointee = f(source.pointee, q); row += 1; source += 1 }
                            } else {
                                while row < end {
                                    for k in 0..<vectorLength { row[k] = f(source[k], vector[k]) }
                                    row += vectorLength
                                    source += vectorLength
                                }
                            }
                        }
                    }
                }
                count = big.count
            }
        }
        switch (op, swapped) {
        case (.add, _): run(+)
        case (.multiply, _): run(*)
        case (.subtract, false): run(-)
        case (.subtract, true): run { p, q in q - p }
        case (.divide, false): run(/)
        case (.divide, true): run { p, q in q / p }
        default: return try Elementwise.binary(x, y, op)
        }
        return Tensor(shape: big.shape, data: out)
    }

    static func broadcast(_ t: IntTensor, to shape: [Int]) -> [Int] {
        if t.shape == shape { return t.data }
        let rank = shape.count
        let padded = [Int](repeating: 1, count: rank - t.shape.count) + t.shape
        var strides = [Int](repeating: 0, count: rank), running = 1
        for axis in stride(from: rank - 1, through: 0, by: -1) {
            strides[axis] = padded[axis] == 1 ? 0 : running
            running *= padded[axis]
        }
        let count = shape.reduce(1, *)
        var out = [Int](repeating: 0, count: count)
        for flat in 0..<count {
            var remainder = flat, source = 0
            for axis in stride(from: rank - 1, through: 0, by: -1) {
                source += (remainder % shape[axis]) * strides[axis]
                remainder /= shape[axis]
            }
            out[flat] = t.data[source]
        }
        return out
    }

    /// MatMul of [.., M, K] by [K, N] (leading axes of A flattened), or 2-D by 2-D.
    static func matMul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        guard a.rank >= 2, b.rank == 2 else { throw EngineError.unsupported("MatMul of \(a.shape) by \(b.shape) (B must be 2-D)") }
        let k = a.shape[a.rank - 1]
        let flat = try a.reshaped([a.count / max(1, k), k])
        let product = try Elementwise.matMul(flat, b)
        return try product.reshaped(Array(a.shape.dropLast()) + [b.shape[1]])
    }

    static func softmax(_ t: Tensor, axis: Int, flattening: Bool) throws -> Value {
        guard t.rank > 0 else { return .float(Tensor(shape: [], data: t.data.map { $0.isNaN ? $0 : 1 }), channelsLast: false) }
        let a = try Kernels.axis(axis, rank: max(1, t.rank))
        // Opset < 13: the input is seen as 2-D [outer, inner from axis on]; opset 13: one axis.
        let outer = t.shape[..<a].reduce(1, *)
        let length = flattening ? t.shape[a...].reduce(1, *) : t.shape[a]
        let inner = flattening ? 1 : t.shape[(a + 1)...].reduce(1, *)
        var out = t.data
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * length * inner + i
                var top = -Float.infinity
                for j in 0..<length { top = max(top, out[base + j * inner]) }
                var sum: Float = 0
                for j in 0..<length { let e = expf(out[base + j * inner] - top); out[base + j * inner] = e; sum += e }
                for j in 0..<length { out[base + j * inner] /= sum }
            }
        }
        return .float(Tensor(shape: t.shape, data: out), channelsLast: false)
    }

    // MARK: Shapes

    static func reshapeTarget(_ shape: [Int], _ target: [Int], allowZero: Bool) throws -> [Int] {
        var resolved = target
        for (i, dimension) in target.enumerated() where dimension == 0 && !allowZero {
            guard i < shape.count else { throw EngineError.shapeMismatch("Reshape target \(target) copies axis \(i) of \(shape)") }
            resolved[i] = shape[i]
        }
        guard resolved.allSatisfy({ $0 >= -1 }), resolved.filter({ $0 == -1 }).count <= 1 else {
            throw EngineError.shapeMismatch("Reshape target \(target) is not valid")
        }
        return resolved
    }

    static func reshape(_ x: Value, _ shape: [Int]) throws -> Value {
        switch x {
        case .int(let t):
            let f = try Tensor(shape: [t.data.count], data: [Float](repeating: 0, count: t.data.count)).reshaped(shape)
            return .int(IntTensor(shape: f.shape, data: t.data))
        case .float:
            return .float(try x.graphTensor().reshaped(shape), channelsLast: false)
        }
    }

    static func transpose(_ x: Value, perm given: [Int]?) throws -> Value {
        let rank = x.rank
        let perm = given ?? Array((0..<rank).reversed())
        guard perm.count == rank, Set(perm) == Set(0..<rank) else { throw EngineError.shapeMismatch("Transpose perm \(perm) is not a permutation of \(rank) axes") }
        switch x {
        case .float(let t, true) where perm == [0, 2, 3, 1]:
            return .float(t, channelsLast: false)  // NCHW → NHWC is the stored order already
        case .float(let t, false) where rank == 4 && perm == [0, 3, 1, 2]:
            return .float(t, channelsLast: true)  // NHWC seen as NCHW: no data movement
        case .int(let t):
            return .int(Layout.transpose(t, perm))
        default:
            return .float(Layout.transpose(x.graphTensor(), perm), channelsLast: false)
        }
    }

    static func concat(_ values: [Value], axis: Int) throws -> Value {
        guard let first = values.first else { throw EngineError.shapeMismatch("Concat of nothing") }
        let a = try Kernels.axis(axis, rank: first.rank)
        if values.allSatisfy({ if case .int = $0 { return true } else { return false } }) {
            let tensors = values.map { $0.graphInts() }
            let joined = try Elementwise.concat(tensors.map { Tensor(shape: $0.shape, data: [Float](repeating: 0, count: $0.data.count)) }, axis: a)
            let outer = first.shape[..<a].reduce(1, *)
            var data: [Int] = []
            for o in 0..<outer {
                for t in tensors {
                    let inner = t.shape[a...].reduce(1, *)
                    data += t.data[(o * inner)..<((o + 1) * inner)]
                }
            }
            return .int(IntTensor(shape: joined.shape, data: data))
        }
        if first.rank == 4, values.allSatisfy({ $0.isChannelsLast || $0.rank == 4 }), values.contains(where: \.isChannelsLast) {
            let physicalAxis = [0, 3, 1, 2][a]
            return .float(try Elementwise.concat(try values.map { try $0.channelsLastTensor() }, axis: physicalAxis), channelsLast: true)
        }
        return .float(try Elementwise.concat(values.map { $0.graphTensor() }, axis: a), channelsLast: false)
    }

    static func reduceMean(_ x: Value, axes: [Int], keepDims: Bool, noopWithEmptyAxes: Bool) throws -> Value {
        if axes.isEmpty && noopWithEmptyAxes { return x }
        let rank = x.rank
        let normalized = axes.isEmpty ? Array(0..<rank) : try axes.map { try Kernels.axis($0, rank: rank) }
        if case .float(let t, true) = x, Set(normalized) == [2, 3] {
            let pooled = try Pooling.globalAverage(t, keepDims: true)
            return keepDims ? .float(pooled, channelsLast: true) : .float(try pooled.reshaped([t.shape[0], t.shape[3]]), channelsLast: false)
        }
        let mean = try Pooling.mean(x.graphTensor(), axes: normalized, keepDims: keepDims)
        // onnxruntime's integer mean is an integer: the sum divided by the count, truncated.
        if case .int = x { return .int(Layout.truncated(mean)) }
        return .float(mean, channelsLast: false)
    }

    static func pad(_ x: Value, pads: [Int], axes: [Int]?, value: Float, mode: String = "constant") throws -> Value {
        let rank = x.rank
        let axes = try (axes ?? Array(0..<rank)).map { try Kernels.axis($0, rank: rank) }
        guard pads.count == 2 * axes.count else { throw EngineError.shapeMismatch("Pad has \(pads.count) pads for \(axes.count) axes") }
        guard pads.allSatisfy({ (0...Tensor.maxElements).contains($0) }) else { throw EngineError.unsupported("negative or huge pads \(pads)") }
        var amounts = [(Int, Int)](repeating: (0, 0), count: rank)
        for (i, axis) in axes.enumerated() { amounts[axis] = (pads[i], pads[i + axes.count]) }
        var (tensor, channelsLast) = (x.graphTensor(), false)
        if case .float(let t, true) = x {
            (tensor, channelsLast) = (t, true)
            amounts = [amounts[0], amounts[2], amounts[3], amounts[1]]
        }
        if mode == "constant" {
            return .float(try Elementwise.pad(tensor, paddings: amounts, value: value), channelsLast: channelsLast)
        }
        return .float(try padByIndex(tensor, amounts, reflect: mode == "reflect"), channelsLast: channelsLast)
    }

    /// Edge (repeat the border value) or reflect (mirror without repeating the border, NumPy's
    /// `reflect`) padding.
    static func padByIndex(_ t: Tensor, _ amounts: [(Int, Int)], reflect: Bool) throws -> Tensor {
        let shape = zip(t.shape, amounts).map { $0 + $1.0 + $1.1 }
        guard let count = Tensor.checkedCount(shape) else { throw EngineError.shapeMismatch("padding \(t.shape) by \(amounts) is too large") }
        for (size, amount) in zip(t.shape, amounts) where amount != (0, 0) {
            guard size > 0, !reflect || (amount.0 < size && amount.1 < size) else {
                throw EngineError.shapeMismatch("cannot \(reflect ? "reflect" : "edge")-pad an axis of \(size) by \(amount)")
            }
        }
        // Source index along each axis for each output index.
        let maps: [[Int]] = t.shape.indices.map { axis in
            let size = t.shape[axis], before = amounts[axis].0
            return (0..<shape[axis]).map { o in
                let i = o - before
                if i >= 0 && i < size { return i }
                if !reflect { return max(0, min(size - 1, i)) }
                return i < 0 ? -i : 2 * (size - 1) - i
            }
        }
        let strides = t.strides
        var offsets = [0]
        for axis in t.shape.indices { offsets = offsets.flatMap { base in maps[axis].map { base + $0 * strides[axis] } } }
        precondition(offsets.count == count)
        return Tensor(shape: shape, data: offsets.map { t.data[$0] })
    }

    static func gather(_ x: Value, indices: IntTensor, axis: Int) throws -> Value {
        let shape = x.shape
        let a = try Kernels.axis(axis, rank: shape.count)
        let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *), length = shape[a]
        let resolved = try indices.data.map { index -> Int in
            let i = index < 0 ? index + length : index
            guard i >= 0 && i < length else { throw EngineError.shapeMismatch("Gather index \(index) is out of range for axis of size \(length)") }
            return i
        }
        let outShape = Array(shape[..<a]) + indices.shape + Array(shape[(a + 1)...])
        guard Tensor.checkedCount(outShape) != nil else { throw EngineError.shapeMismatch("Gather output \(outShape) is too large") }
        func take<T>(_ data: [T]) -> [T] {
            var out: [T] = []
            out.reserveCapacity(outer * resolved.count * inner)
            for o in 0..<outer { for i in resolved { out += data[((o * length + i) * inner)..<((o * length + i + 1) * inner)] } }
            return out
        }
        switch x {
        case .int(let t): return .int(IntTensor(shape: outShape, data: take(t.data)))
        case .float: return .float(Tensor(shape: outShape, data: take(x.graphTensor().data)), channelsLast: false)
        }
    }

    static func slice(_ x: Value, starts: [Int], ends: [Int], axes: [Int]?, steps: [Int]?) throws -> Value {
        let shape = x.shape, rank = shape.count
        let axes = try (axes ?? Array(0..<starts.count)).map { try Kernels.axis($0, rank: rank) }
        let steps = steps ?? [Int](repeating: 1, count: starts.count)
        guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count, !steps.contains(0) else {
            throw EngineError.shapeMismatch("Slice starts \(starts), ends \(ends), axes \(axes), steps \(steps) do not match")
        }
        var ranges = shape.map { Array(0..<$0) }
        for (i, axis) in axes.enumerated() {
            let length = shape[axis], step = steps[i]
            func clampIndex(_ v: Int, _ low: Int, _ high: Int) -> Int {
                let w = v < 0 ? max(v, -(1 << 62)) + length : min(v, 1 << 62)
                return max(low, min(high, w))
            }
            if length == 0 {
                // Nothing to select, whatever the bounds (a negative step's start clamped to
                // [0, length − 1] named index 0 of an empty axis: review of hostile model files).
                ranges[axis] = []
            } else if step > 0 {
                let start = clampIndex(starts[i], 0, length), end = clampIndex(ends[i], 0, length)
                ranges[axis] = start < end ? Array(stride(from: start, to: end, by: step)) : []
            } else {
                // As the spec says: the start within [0, length − 1], the end within [−1, length − 1]
                // (a start far below −length begins at 0, not before it).
                let start = clampIndex(starts[i], 0, length - 1), end = clampIndex(ends[i], -1, length - 1)
                ranges[axis] = start > end ? Array(stride(from: start, to: end, by: step)) : []
            }
        }
        let outShape = ranges.map(\.count)
        var strides = [Int](repeating: 1, count: rank)
        for axis in stride(from: rank - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * shape[axis + 1] }
        var offsets = [0]
        for axis in 0..<rank { offsets = offsets.flatMap { base in ranges[axis].map { base + $0 * strides[axis] } } }
        switch x {
        case .int(let t): return .int(IntTensor(shape: outShape, data: offsets.map { t.data[$0] }))
        case .float:
            let data = x.graphTensor().data
            return .float(Tensor(shape: outShape, data: offsets.map { data[$0] }), channelsLast: false)
        }
    }

    // MARK: ai.onnx.ml

    /// LinearClassifier: scores = X·coefficientsᵀ + intercepts, then `post_transform`;
    /// outputs (label index per row as an integer, scores).
    static func linearClassifier(_ x: Tensor, attributes a: Attributes) throws -> [Value] {
        guard let coefficients = a.floats("coefficients"), !coefficients.isEmpty else { throw EngineError.unsupported("LinearClassifier without coefficients") }
        guard x.rank >= 1 else { throw EngineError.shapeMismatch("LinearClassifier needs [N, F] input, got a scalar") }
        let rows = x.rank == 1 ? 1 : x.shape[0], features = x.rank == 1 ? x.count : x.count / max(1, x.shape[0])
        guard features > 0, coefficients.count % features == 0 else {
            throw EngineError.shapeMismatch("LinearClassifier has \(coefficients.count) coefficients for \(features) features")
        }
        let classes = coefficients.count / features
        let intercepts = a.floats("intercepts") ?? []
        guard intercepts.isEmpty || intercepts.count == classes else { throw EngineError.shapeMismatch("LinearClassifier has \(intercepts.count) intercepts for \(classes) classes") }
        let labelCount = a.strings("classlabels_strings")?.count ?? a.ints("classlabels_ints")?.count ?? classes
        guard classes == labelCount else {
            throw EngineError.unsupported("LinearClassifier with \(classes) coefficient rows for \(labelCount) labels (one-row binary models are not supported)")
        }
        let weights = Tensor(shape: [classes, features], data: coefficients)
        var scores = try Elementwise.matMul(try x.reshaped([rows, features]), weights, transposeB: true, bias: intercepts.isEmpty ? nil : intercepts)
        switch a.string("post_transform", "NONE") {
        case "NONE": break
        case "LOGISTIC": scores = Tensor(shape: scores.shape, data: scores.data.map { 1 / (1 + expf(-$0)) })
        case "SOFTMAX": scores = Elementwise.softmax(scores)
        case "SOFTMAX_ZERO":
            var data = scores.data
            for row in 0..<rows {
                let range = (row * classes)..<((row + 1) * classes)
                let top = data[range].max() ?? 0
                var sum: Float = 0
                for i in range { data[i] = data[i] == 0 ? 0 : expf(data[i] - top); sum += data[i] }
                for i in range where sum > 0 { data[i] /= sum }
            }
            scores = Tensor(shape: scores.shape, data: data)
        case let other: throw EngineError.unsupported("LinearClassifier post_transform '\(other)'")
        }
        let labels = (0..<rows).map { Array(scores.data[($0 * classes)..<(($0 + 1) * classes)]).argmaxIndex }
        return [.int(IntTensor(vector: labels)), .float(scores, channelsLast: false)]
    }

    static func normalize(_ x: Tensor, norm: String) throws -> Value {
        guard let width = x.shape.last, width > 0 else { return .float(x, channelsLast: false) }
        var data = x.data
        for start in stride(from: 0, to: data.count, by: width) {
            let row = start..<(start + width)
            let divisor: Float
            switch norm {
            case "MAX": divisor = data[row].max() ?? 1
            case "L1": divisor = data[row].reduce(0) { $0 + abs($1) }
            case "L2": divisor = data[row].reduce(0) { $0 + $1 * $1 }.squareRoot()
            default: throw EngineError.unsupported("Normalizer norm '\(norm)'")
            }
            if divisor != 0 { for i in row { data[i] /= divisor } }
        }
        return .float(Tensor(shape: x.shape, data: data), channelsLast: false)
    }
}

extension Array where Element == Float {
    var argmaxIndex: Int {
        var best = 0
        for i in indices where self[i] > self[best] { best = i }
        return best
    }
}
