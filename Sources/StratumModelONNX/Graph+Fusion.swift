import StratumEngine

/// A Conv node's weights in the engine's layout and its settings, prepared at load.
struct ConvolutionPlan {
    enum Kind: Equatable {
        /// One HWIO filter.
        case dense
        /// groups = input channels: one [kh, kw, C, multiplier] filter.
        case depthwise
        /// Other group counts: one HWIO filter per group.
        case grouped(Int)
    }

    var kind: Kind
    var filters: [Tensor]
    var bias: [Float]?
    var inputChannels: Int
    var kernel: (Int, Int)
    var strides: (Int, Int)
    var dilations: (Int, Int)
    /// ONNX `pads` (top, left, bottom, right) when `autoPad` is NOTSET.
    var pads: [Int]
    var autoPad: String
    var activation: Activation = .none
    /// Whether the node's second input is a residual added before the activation.
    var residual = false
    /// A 1×1 convolution of the same input with the same output grid, computed in the same
    /// parts as this one (`pairProjectionShortcuts`); the node's second output. At most one.
    var companions: [ConvolutionPlan] = []
}

/// A Gemm node with a constant B, prepared at load: B as [k, n] (transposed once here when
/// `transB` is set, as PyTorch's Linear exports are) with `alpha` folded in, `beta`·C as bias.
struct GemmPlan {
    var b: Tensor
    var bias: [Float]?
    var activation: Activation = .none
    /// B as column panels when it is large and the SIMD GEMM runs the product (`PackedColumns`).
    var packed: PackedColumns?

    init(b: Tensor, bias: [Float]?) {
        (self.b, self.bias) = (b, bias)
        packed = SIMDSupport.isAvailable && b.count >= PackedColumns.minimumCount ? PackedColumns(b) : nil
    }
}

extension Graph {
    /// Turns every Conv with constant weights into a `ConvolutionPlan` whose node reads only X.
    mutating func prepareConvolutions() throws {
        for index in nodes.indices where nodes[index].op == "Conv" && nodes[index].domain.isEmpty {
            let node = nodes[index]
            guard node.inputs.count >= 2, let weightSlot = node.inputs[1], case .float(let w, _)? = constants[weightSlot] else {
                throw ONNXError(file: file, node: node.label, message: "Conv weights must be an initializer (or computed from initializers)")
            }
            guard w.rank == 4 else { throw ONNXError(file: file, node: node.label, message: "only 2-D convolutions are supported (weights \(w.shape))") }
            let (outChannels, perGroup, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
            var bias: [Float]?
            if node.inputs.count >= 3, let biasSlot = node.inputs[2] {
                guard case .float(let b, _)? = constants[biasSlot], b.count == outChannels else {
                    throw ONNXError(file: file, node: node.label, message: "Conv bias must be an initializer with \(outChannels) values")
                }
                bias = b.data
            }
            let a = node.attributes
            let groups = a.int("group", 1)
            guard groups >= 1, outChannels % groups == 0, outChannels > 0, perGroup > 0 else {
                throw ONNXError(file: file, node: node.label, message: "group \(groups) does not divide the \(outChannels) output channels")
            }
            if let shape = a.ints("kernel_shape"), shape != [kh, kw] {
                throw ONNXError(file: file, node: node.label, message: "kernel_shape \(shape) does not match the weights \(w.shape)")
            }
            let strides = a.ints("strides") ?? [1, 1], dilations = a.ints("dilations") ?? [1, 1], pads = a.ints("pads") ?? [0, 0, 0, 0]
            guard strides.count == 2, dilations.count == 2, pads.count == 4, (strides + dilations).allSatisfy({ (1...4096).contains($0) }),
                  pads.allSatisfy({ (0...4096).contains($0) }) else {
                throw ONNXError(file: file, node: node.label, message: "strides \(strides), dilations \(dilations) or pads \(pads) are not 2-D values in range")
            }
            let inputChannels = perGroup * groups
            // OIHW → HWIO (per group), or → [kh, kw, C, multiplier] for depthwise.
            var kind = ConvolutionPlan.Kind.dense
            var filters: [Tensor] = []
            if groups == 1 {
                filters = [Layout.transpose(w, [2, 3, 1, 0])]
            } else if perGroup == 1 && groups == inputChannels {
                kind = .depthwise
                let multiplier = outChannels / groups
                // Output channel c·m + j is W[c·m + j, 0]: [C·m, 1, kh, kw] → [kh, kw, C·m] → [kh, kw, C, m].
                let hwo = Layout.transpose(try w.reshaped([outChannels, kh, kw]), [1, 2, 0])
                filters = [try hwo.reshaped([kh, kw, groups, multiplier])]
            } else {
                kind = .grouped(groups)
                let per = outChannels / groups
                for g in 0..<groups {
                    let slice = Tensor(shape: [per, perGroup, kh, kw], data: Array(w.data[(g * per * perGroup * kh * kw)..<((g + 1) * per * perGroup * kh * kw)]))
                    filters.append(Layout.transpose(slice, [2, 3, 1, 0]))
                }
            }
            nodes[index].convolution = ConvolutionPlan(kind: kind, filters: filters, bias: bias, inputChannels: inputChannels, kernel: (kh, kw),
                                                       strides: (strides[0], strides[1]), dilations: (dilations[0], dilations[1]),
                                                       pads: pads, autoPad: a.string("auto_pad", "NOTSET"))
            nodes[index].inputs = [node.inputs[0]]
        }
        for index in nodes.indices where nodes[index].op == "Gemm" && nodes[index].domain.isEmpty {
            let node = nodes[index]
            let a = node.attributes
            guard node.inputs.count >= 2, let bSlot = node.inputs[1], case .float(let b, _)? = constants[bSlot], b.rank == 2 else { continue }
            let transposeB = a.int("transB", 0) != 0
            let n = transposeB ? b.shape[0] : b.shape[1]
            var bias: [Float]?
            if node.inputs.count >= 3, let cSlot = node.inputs[2] {
                guard case .float(let c, _)? = constants[cSlot], c.count == n || c.count == 1, c.rank <= 1 || c.shape.dropLast().allSatisfy({ $0 == 1 }) else { continue }
                let beta = a.float("beta", 1)
                bias = c.count == n ? c.data.map { $0 * beta } : [Float](repeating: c.data[0] * beta, count: n)
            }
            let alpha = a.float("alpha", 1)
            let scaled = alpha == 1 ? b : Tensor(shape: b.shape, data: b.data.map { $0 * alpha })
            nodes[index].gemm = GemmPlan(b: transposeB ? Layout.transpose(scaled, [1, 0]) : scaled, bias: bias)
            nodes[index].inputs = [node.inputs[0]]
        }
    }

    /// How many scheduled-or-not nodes read each value, plus one for the graph output.
    private func consumerCounts() -> [Int] {
        var counts = [Int](repeating: 0, count: names.count)
        for node in nodes { for input in node.inputs { if let input { counts[input] += 1 } } }
        counts[outputSlot] += 1
        return counts
    }

    /// Folds BatchNormalization into the convolution before it, then fuses a following Add
    /// (as the residual) and activation into the convolution.
    mutating func fuse() throws {
        // Pad (zeros, height and width only) → Conv: the convolution pads instead (tf2onnx puts
        // an explicit Pad before each stride-2 depthwise convolution of a MobileNet).
        var index = 0
        while index < nodes.count {
            defer { index += 1 }
            let pad = nodes[index]
            guard pad.op == "Pad", pad.domain.isEmpty, pad.attributes.string("mode", "constant") == "constant", pad.outputs.count == 1,
                  let (next, slotIndex) = soleConsumer(of: pad.outputs[0]), slotIndex == 0, var plan = nodes[next].convolution,
                  ["NOTSET", "VALID", ""].contains(plan.autoPad), let amounts = constantPads(pad), amounts.count == 8,
                  amounts[0] == 0, amounts[1] == 0, amounts[4] == 0, amounts[5] == 0, amounts.allSatisfy({ (0...4096).contains($0) }),
                  let data = pad.inputs.first ?? nil else { continue }
            if plan.autoPad == "VALID" { plan.pads = [0, 0, 0, 0] }
            plan.autoPad = "NOTSET"
            plan.pads = [plan.pads[0] + amounts[2], plan.pads[1] + amounts[3], plan.pads[2] + amounts[6], plan.pads[3] + amounts[7]]
            nodes[next].convolution = plan
            nodes[next].inputs[0] = data
            nodes.remove(at: index)
            index -= 1
        }
        // Conv → BatchNormalization: scale the filters and shift the bias.
        index = 0
        while index < nodes.count {
            defer { index += 1 }
            guard var plan = nodes[index].convolution, plan.activation == .none, !plan.residual,
                  let (next, _) = soleConsumer(of: nodes[index].outputs[0]), nodes[next].op == "BatchNormalization", nodes[next].inputs.count == 5,
                  let parameters = bnParameters(nodes[next]), parameters.scale.count == filtersOut(plan) else { continue }
            let out = filtersOut(plan)
            var bias = plan.bias ?? [Float](repeating: 0, count: out)
            for ch in 0..<out { bias[ch] = bias[ch] * parameters.scale[ch] + parameters.shift[ch] }
            plan.bias = bias
            plan.filters = scaleFilters(plan, parameters.scale)
            nodes[index].convolution = plan
            nodes[index].outputs = nodes[next].outputs.prefix(1).map { $0 }
            nodes.remove(at: next)
        }
        // Conv → Add(other) → activation: one convolution call with a residual.
        index = 0
        while index < nodes.count {
            defer { index += 1 }
            guard let plan = nodes[index].convolution, plan.kind == .dense, plan.activation == .none, !plan.residual,
                  let (next, slotIndex) = soleConsumer(of: nodes[index].outputs[0]), nodes[next].op == "Add", nodes[next].inputs.count == 2,
                  let other = nodes[next].inputs[1 - slotIndex], other != nodes[index].outputs[0] else { continue }
            var fused = nodes[index]
            fused.convolution?.residual = true
            fused.inputs = [fused.inputs[0], other]
            fused.outputs = nodes[next].outputs
            // The Add's position: both of its inputs are computed by then.
            nodes[next] = fused
            nodes.remove(at: index)
            index -= 1
        }
        index = 0
        while index < nodes.count {
            defer { index += 1 }
            guard nodes[index].convolution != nil || nodes[index].gemm != nil,
                  let (next, _) = soleConsumer(of: nodes[index].outputs[0]), let activation = fusableActivation(nodes[next]) else { continue }
            if nodes[index].convolution != nil {
                guard nodes[index].convolution?.activation == Activation.none else { continue }
                nodes[index].convolution?.activation = activation
            } else {
                guard nodes[index].gemm?.activation == Activation.none else { continue }
                nodes[index].gemm?.activation = activation
            }
            nodes[index].outputs = nodes[next].outputs.prefix(1).map { $0 }
            nodes.remove(at: next)
        }
    }

    /// Whether models loaded now pair projection shortcuts with convolutions (the tests turn it
    /// off to compare).
    @TaskLocal static var pairsProjectionShortcuts = true

    /// A ResNet block that changes size reads its input twice: its first convolution (3×3,
    /// stride 2) and the projection shortcut (1×1, stride 2, no padding), whose output the
    /// block's last convolution adds. The shortcut is too small to be split across threads on
    /// its own, so at batch 1 it ran on one thread while the others waited; here it becomes
    /// the first convolution's companion, computed in that convolution's parts
    /// (`Convolution.conv2d(_:…companion:)`), and the pair one node with two outputs, at the
    /// earlier one's place (both read only the input, which is there by then).
    mutating func pairProjectionShortcuts() {
        guard Self.pairsProjectionShortcuts else { return }
        var index = 0
        while index < nodes.count {
            defer { index += 1 }
            guard let plan = nodes[index].convolution, plan.kind == .dense, !plan.residual, plan.companions.isEmpty,
                  nodes[index].inputs.count == 1, let source = nodes[index].inputs[0], plan.kernel != (1, 1) else { continue }
            guard let partner = nodes.indices.first(where: { other in
                guard other != index, nodes[other].inputs == [source], let shortcut = nodes[other].convolution else { return false }
                return shortcut.kind == .dense && !shortcut.residual && shortcut.companions.isEmpty && shortcut.kernel == (1, 1)
                    && shortcut.strides == plan.strides && shortcut.pads == [0, 0, 0, 0] && ["NOTSET", "VALID", ""].contains(shortcut.autoPad)
                    && shortcut.inputChannels == plan.inputChannels && nodes[other].outputs.count == 1
            }) else { continue }
            let shortcut = nodes[partner]
            var pair = nodes[index]
            pair.convolution?.companions = [shortcut.convolution!]
            pair.outputs = [pair.outputs[0], shortcut.outputs[0]]
            pair.label += " with \(shortcut.label)"
            // At the earlier of the two places: whatever reads the shortcut may come before the
            // first convolution.
            nodes[min(index, partner)] = pair
            nodes.remove(at: max(index, partner))
            if partner < index { index -= 1 }
        }
    }

    /// PyTorch's `x.view(x.size(0), -1)` exports as Reshape(x, Concat(Unsqueeze(Gather(Shape(x),
    /// 0)), [-1])): a reshape target computed from x's own live batch size. Where every computed
    /// piece of a Reshape's target is `Unsqueeze(Gather(Shape(data), i))` at position i of the
    /// target, on the Reshape's own data, that piece is ONNX's 0 ("copy this dimension"), so the
    /// target is a constant, folded here at load; the Shape/Gather/Unsqueeze/Concat nodes no
    /// longer run.
    mutating func foldShapeChains() {
        var producer: [Int: Int] = [:]
        for (index, node) in nodes.enumerated() { for slot in node.outputs { producer[slot] = index } }
        func scalar(_ slot: Int?) -> Int? {
            guard let slot, let value = constants[slot]?.graphInts(), value.data.count == 1, value.shape.count <= 1 else { return nil }
            return value.data[0]
        }
        for r in nodes.indices where nodes[r].op == "Reshape" && nodes[r].domain.isEmpty && nodes[r].inputs.count >= 2 {
            guard let data = nodes[r].inputs[0], let targetSlot = nodes[r].inputs[1], constants[targetSlot] == nil,
                  nodes[r].attributes.int("allowzero", 0) == 0, let concat = producer[targetSlot], nodes[concat].op == "Concat",
                  nodes[concat].attributes.int("axis", 0) == 0 else { continue }
            var target: [Int] = []
            var folded = true
            for part in nodes[concat].inputs {
                guard let part else { folded = false; break }
                if let value = constants[part]?.graphInts(), value.shape.count == 1 { target += value.data; continue }
                guard let unsqueeze = producer[part], nodes[unsqueeze].op == "Unsqueeze",
                      (nodes[unsqueeze].attributes.ints("axes") ?? (nodes[unsqueeze].inputs.count > 1 ? scalar(nodes[unsqueeze].inputs[1]).map { [$0] } : nil)) == [0],
                      let gathered = nodes[unsqueeze].inputs.first ?? nil, let gather = producer[gathered], nodes[gather].op == "Gather",
                      nodes[gather].attributes.int("axis", 0) == 0, nodes[gather].inputs.count == 2,
                      let index = nodes[gather].inputs[1].flatMap({ constants[$0]?.graphInts() }), index.shape.isEmpty, index.data == [target.count],
                      let shapeSlot = nodes[gather].inputs[0], let shape = producer[shapeSlot], nodes[shape].op == "Shape",
                      nodes[shape].inputs.first == data, !nodes[shape].attributes.has("start"), !nodes[shape].attributes.has("end") else {
                    folded = false
                    break
                }
                target.append(0)
            }
            guard folded else { continue }
            names.append("\(names[targetSlot]) (folded at load)")
            constants.append(.int(IntTensor(vector: target)))
            nodes[r].inputs[1] = names.count - 1
        }
    }

    /// A Pad node's amounts when they and its constant value (zero) are known at load.
    private func constantPads(_ node: Node) -> [Int]? {
        if node.inputs.count > 3, node.inputs[3] != nil { return nil }  // opset 18 axes
        if node.inputs.count > 2, let slot = node.inputs[2] {
            guard let value = constants[slot], value.graphTensor().data.allSatisfy({ $0 == 0 }) else { return nil }
        }
        if node.attributes.float("value", 0) != 0 { return nil }
        if let pads = node.attributes.ints("pads") { return pads }
        guard node.inputs.count > 1, let slot = node.inputs[1], let value = constants[slot] else { return nil }
        return value.graphInts().data
    }

    private func filtersOut(_ plan: ConvolutionPlan) -> Int {
        switch plan.kind {
        case .dense: return plan.filters[0].shape[3]
        case .depthwise: return plan.filters[0].shape[2] * plan.filters[0].shape[3]
        case .grouped: return plan.filters.reduce(0) { $0 + $1.shape[3] }
        }
    }

    /// Multiplies each output channel's filter by `scale[channel]`.
    private func scaleFilters(_ plan: ConvolutionPlan, _ scale: [Float]) -> [Tensor] {
        var offset = 0
        return plan.filters.map { filter in
            // In HWIO and [kh, kw, C, m] alike, the output channel is the flattened last two axes
            // for depthwise (c·m + j) and the last axis otherwise.
            let channels = plan.kind == .depthwise ? filter.shape[2] * filter.shape[3] : filter.shape[3]
            var data = filter.data
            for i in data.indices { data[i] *= scale[offset + i % channels] }
            offset += channels
            return Tensor(shape: filter.shape, data: data)
        }
    }

    /// A BatchNormalization's per-channel multiplier and shift when its parameters are constant.
    private func bnParameters(_ node: Node) -> (scale: [Float], shift: [Float])? {
        func vector(_ i: Int) -> [Float]? {
            guard let slot = node.inputs[i], case .float(let t, _)? = constants[slot] else { return nil }
            return t.data
        }
        guard node.outputs.count == 1, let gamma = vector(1), let beta = vector(2), let mean = vector(3), let variance = vector(4),
              Set([gamma.count, beta.count, mean.count, variance.count]).count == 1 else { return nil }
        let epsilon = node.attributes.float("epsilon", 1e-5)
        let scale = (0..<gamma.count).map { gamma[$0] / (variance[$0] + epsilon).squareRoot() }
        return (scale, (0..<gamma.count).map { beta[$0] - mean[$0] * scale[$0] })
    }

    /// The node reading `slot`, and which of its inputs it is, when exactly one node reads it
    /// once and the value is not the graph's output.
    private func soleConsumer(of slot: Int) -> (Int, Int)? {
        guard slot != outputSlot else { return nil }
        var found: (Int, Int)?
        for (index, node) in nodes.enumerated() {
            for (position, input) in node.inputs.enumerated() where input == slot {
                if found != nil { return nil }
                found = (index, position)
            }
        }
        return found
    }

    /// The engine activation a node computes, when it is a fusable one.
    private func fusableActivation(_ node: Node) -> Activation? {
        guard node.domain.isEmpty else { return nil }
        switch node.op {
        case "Relu": return .relu
        case "LeakyRelu": return .leakyRelu(node.attributes.float("alpha", 0.01))
        case "Sigmoid": return .sigmoid
        case "Tanh": return .tanh
        case "HardSwish": return .hardSwish
        case "HardSigmoid": return .hardSigmoid(node.attributes.float("alpha", 0.2), node.attributes.float("beta", 0.5))
        case "Clip":
            guard let (low, high) = clipBounds(node) else { return nil }
            if low == 0 && high == 6 { return .relu6 }
            if low == 0 && high == .infinity { return .relu }
            return .clip(low, high)
        default: return nil
        }
    }

    /// Clip's bounds: attributes (opset < 11) or inputs 1 and 2 (constants, else `inputs`); nil
    /// when a bound is neither.
    func clipBounds(_ node: Node, inputs: [Value?] = []) -> (Float, Float)? {
        if node.attributes.has("min") || node.attributes.has("max") {
            return (node.attributes.float("min", -.infinity), node.attributes.float("max", .infinity))
        }
        /// nil when the bound is an input whose value is not known.
        func bound(_ i: Int, _ fallback: Float) -> Float? {
            guard i < node.inputs.count, let slot = node.inputs[i] else { return fallback }
            guard let value = constants[slot] ?? (i < inputs.count ? inputs[i] : nil) else { return nil }
            return value.graphTensor().data.first ?? fallback
        }
        guard let low = bound(1, -.infinity), let high = bound(2, .infinity) else { return nil }
        return (low, high)
    }
}
