import Foundation
import StratumEngine

/// A TensorFlow.js graph model (GraphDef as JSON) evaluated on the engine.
///
/// Attributes follow the GraphDef JSON mapping: strings are base64 (`"s"`), integers are
/// decimal strings (`"i"`), lists under `"list"`. Const nodes take their value from the
/// weights manifest entry of the same name.
struct GraphModel {
    struct Node {
        var name: String
        var op: String
        var inputs: [String]
        /// Attributes decoded once (base64 strings, decimal-string integers) at load time.
        var attributes: [String: Attribute]
        /// For convolution ops: their attributes read once at load time, not on every run.
        var convolution: ConvolutionPlan?
        /// For an Add whose one input is a convolution only it consumes: that convolution,
        /// computed by the Add with the other input as a residual (inputs: x, filter, bias, residual).
        var residualConvolution: ConvolutionPlan?
    }

    /// A convolution node's settings, decoded from its attributes.
    struct ConvolutionPlan {
        enum Fused { case nothing, bias, batchNorm(epsilon: Float) }
        var depthwise: Bool
        var strides: (Int, Int), dilations: (Int, Int)
        var padding: Padding
        var fused: Fused
        var activation: Activation
    }

    static let convolutionOps: Set<String> = ["Conv2D", "_FusedConv2D", "DepthwiseConv2dNative", "FusedDepthwiseConv2dNative"]

    enum Attribute {
        case string(String), int(Int), float(Float), bool(Bool), ints([Int]), strings([String]), other

        init(_ json: Any) {
            guard let object = json as? [String: Any] else { self = .other; return }
            if let encoded = object["s"] as? String {
                self = .string(Data(base64Encoded: encoded).map { String(decoding: $0, as: UTF8.self) } ?? "")
            } else if let value = object["i"], let int = Int("\(value)") {
                self = .int(int)
            } else if let value = object["f"] as? NSNumber {
                self = .float(value.floatValue)
            } else if let value = object["b"] as? Bool {
                self = .bool(value)
            } else if let list = object["list"] as? [String: Any] {
                if let values = list["i"] as? [Any] {
                    self = .ints(values.compactMap { Int("\($0)") })
                } else if let values = list["s"] as? [String] {
                    self = .strings(values.compactMap { Data(base64Encoded: $0).map { String(decoding: $0, as: UTF8.self) } })
                } else {
                    self = .ints([])
                }
            } else {
                self = .other
            }
        }
    }

    static let supportedOps: Set<String> = [
        "Placeholder", "Const", "Identity", "NoOp", "_FusedConv2D", "FusedDepthwiseConv2dNative", "DepthwiseConv2dNative", "Conv2D",
        "BiasAdd", "_FusedMatMul", "MatMul", "Relu", "Relu6", "Sigmoid", "Tanh", "Elu", "LeakyRelu", "Softmax", "Mean", "MaxPool", "AvgPool",
        "Pad", "PadV2", "AddV2", "Add", "Mul", "Sub", "RealDiv", "Maximum", "Minimum", "Reshape", "Squeeze", "ExpandDims", "ConcatV2",
        "ResizeBilinear", "FusedBatchNorm", "FusedBatchNormV3", "Rsqrt", "Square", "Sqrt", "Max", "SpaceToBatchND", "BatchToSpaceND",
    ]

    let file: String
    let nodes: [String: Node]
    let order: [String]
    /// Nodes by position in `order`, with their inputs as positions: the compiled form `run` uses.
    private(set) var indexed: [Node]
    private(set) var inputIndices: [[Int]]
    /// `plan` for the model's output, made once (what every classifier run asks for).
    private(set) var outputPlan: (targets: [Int], schedule: [Int], uses: [Int]) = ([], [], [])
    let position: [String: Int]
    let constants: [Tensor?]
    let placeholders: [String]
    let inputShape: [Int]
    let output: String
    /// Signature output names (e.g. `probs`) → node names.
    let signatureOutputs: [String: String]
    let weights: [String: Tensor]

    init(topology: [String: Any], weights: [String: Tensor], signature: [String: Any]?, file: String) throws {
        self.file = file
        self.weights = weights
        guard let list = topology["node"] as? [[String: Any]] else { throw TFJSError(file: file, message: "modelTopology has no 'node' list") }
        var nodes: [String: Node] = [:], order: [String] = []
        var placeholderShapes: [String: [Int]] = [:]
        for entry in list {
            guard let name = entry["name"] as? String, let op = entry["op"] as? String else { throw TFJSError(file: file, message: "a node lacks 'name' or 'op'") }
            guard Self.supportedOps.contains(op) else {
                throw TFJSError(file: file, node: name, message: "unsupported op '\(op)' (supported: \(Self.supportedOps.sorted().joined(separator: ", ")))")
            }
            let rawAttributes = entry["attr"] as? [String: Any] ?? [:]
            if op == "Placeholder" {
                let dims = ((rawAttributes["shape"] as? [String: Any])?["shape"] as? [String: Any])?["dim"] as? [[String: Any]] ?? []
                placeholderShapes[name] = dims.map { Int("\($0["size"] ?? "-1")") ?? -1 }
            }
            guard nodes[name] == nil else { throw TFJSError(file: file, node: name, message: "two graph nodes have this name") }
            nodes[name] = Node(name: name, op: op, inputs: (entry["input"] as? [String] ?? []).filter { !$0.hasPrefix("^") },
                               attributes: rawAttributes.mapValues(Attribute.init))
            order.append(name)
        }
        for node in nodes.values {
            for input in node.inputs where nodes[Self.baseName(input)] == nil {
                throw TFJSError(file: file, node: node.name, message: "input '\(input)' is not a node of the graph")
            }
            if node.op == "Const" && weights[node.name] == nil {
                throw TFJSError(file: file, node: node.name, message: "constant has no entry in the weights manifest")
            }
        }
        Self.foldPadsIntoConvolutions(&nodes, weights: weights)
        let placeholders = order.filter { nodes[$0]?.op == "Placeholder" }
        guard let input = placeholders.first else { throw TFJSError(file: file, message: "the graph has no Placeholder input") }
        self.placeholders = placeholders
        inputShape = placeholderShapes[input] ?? []
        // The output: the signature's first output, else the last node nothing consumes.
        let consumed = Set(nodes.values.flatMap { $0.inputs.map(Self.baseName) })
        var output = order.last { !consumed.contains($0) && nodes[$0]?.op != "Const" && nodes[$0]?.op != "NoOp" }
        var signatureOutputs: [String: String] = [:]
        for (key, value) in signature?["outputs"] as? [String: Any] ?? [:] {
            if let name = (value as? [String: Any])?["name"] as? String { signatureOutputs[key] = Self.baseName(name) }
        }
        self.signatureOutputs = signatureOutputs
        if signatureOutputs.count == 1, let only = signatureOutputs.values.first, nodes[only] != nil { output = only }
        guard let output else { throw TFJSError(file: file, message: "cannot find the graph's output node") }
        self.output = output
        self.nodes = nodes
        self.order = order
        let position = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        self.position = position
        indexed = order.compactMap { nodes[$0] }
        inputIndices = indexed.map { node in node.inputs.compactMap { position[Self.baseName($0)] } }
        constants = indexed.map { $0.op == "Const" ? weights[$0.name] : nil }
        for i in indexed.indices where Self.convolutionOps.contains(indexed[i].op) {
            indexed[i].convolution = try convolutionPlan(indexed[i])
        }
        foldConvolutionsIntoAdds()
        let target = position[output] ?? 0
        let (schedule, uses) = plan([target])
        outputPlan = ([target], schedule, uses)
    }

    /// MobileNetV2's shortcut: `Add(conv(x) + bias, shortcut)`. When the convolution (bias, no
    /// activation, not depthwise) feeds only the Add, the Add computes it with the shortcut
    /// added as the product is stored, instead of a convolution pass and an addition pass.
    /// The convolution node stays in the graph and still runs if asked for by name.
    mutating func foldConvolutionsIntoAdds() {
        var consumers = [Int](repeating: 0, count: indexed.count)
        for inputs in inputIndices { for input in inputs { consumers[input] += 1 } }
        let outputs = Set([output] + Array(signatureOutputs.values))
        for i in indexed.indices where ["AddV2", "Add"].contains(indexed[i].op) && inputIndices[i].count == 2 {
            for slot in 0..<2 {
                let source = inputIndices[i][slot]
                guard let plan = indexed[source].convolution, !plan.depthwise, case .bias = plan.fused, plan.activation == .none,
                      consumers[source] == 1, inputIndices[source].count == 3, !outputs.contains(indexed[source].name) else { continue }
                indexed[i].residualConvolution = plan
                inputIndices[i] = inputIndices[source] + [inputIndices[i][1 - slot]]
                break
            }
        }
    }

    /// Reads a convolution node's attributes and fused ops once.
    func convolutionPlan(_ node: Node) throws -> ConvolutionPlan {
        try checkNHWC(node)
        var fused = strings(node, "fused_ops")
        var plan = ConvolutionPlan(depthwise: node.op == "DepthwiseConv2dNative" || node.op == "FusedDepthwiseConv2dNative",
                                   strides: try pair(ints(node, "strides"), node, "strides"), dilations: try pair(ints(node, "dilations"), node, "dilations"),
                                   padding: try padding(node), fused: .nothing, activation: .none)
        if node.op.hasPrefix("_Fused") || node.op.hasPrefix("Fused") {
            if fused.first == "BiasAdd" {
                plan.fused = .bias
                fused.removeFirst()
            } else if fused.first == "FusedBatchNorm" {
                plan.fused = .batchNorm(epsilon: float(node, "epsilon") ?? 0.001)
                fused.removeFirst()
            }
            if let name = fused.first { plan.activation = try activation(name, node) }
            if fused.count > 1 { throw TFJSError(file: file, node: node.name, message: "unsupported fused_ops \(strings(node, "fused_ops"))") }
        }
        return plan
    }

    /// Keras pads before each stride-2 depthwise convolution of MobileNets (`ZeroPadding2D` →
    /// `Pad` → conv with VALID padding). When a zero `Pad` of height and width feeds only such a
    /// convolution, the convolution takes the padding as EXPLICIT instead and reads the unpadded
    /// input: the same values, without copying the tensor. The `Pad` node stays in the graph
    /// (it can still be asked for by name) but no longer runs for the output.
    static func foldPadsIntoConvolutions(_ nodes: inout [String: Node], weights: [String: Tensor]) {
        var consumers: [String: Int] = [:]
        for node in nodes.values { for input in node.inputs { consumers[baseName(input), default: 0] += 1 } }
        for (name, node) in nodes where convolutionOps.contains(node.op) {
            guard case .string("VALID")? = node.attributes["padding"], node.inputs.count >= 2 else { continue }
            let padName = baseName(node.inputs[0])
            guard let pad = nodes[padName], pad.op == "Pad", consumers[padName] == 1, pad.inputs.count == 2,
                  let values = weights[baseName(pad.inputs[1])]?.data, values.allSatisfy({ $0.isFinite && abs($0) <= Float(Tensor.maxElements) }),
                  case let amounts = values.map({ Int($0) }), amounts.count == 8,
                  amounts[0] == 0, amounts[1] == 0, amounts[6] == 0, amounts[7] == 0, amounts.allSatisfy({ $0 >= 0 }) else { continue }
            var folded = node
            folded.inputs[0] = pad.inputs[0]
            folded.attributes["padding"] = .string("EXPLICIT")
            folded.attributes["explicit_paddings"] = .ints(amounts)
            nodes[name] = folded
        }
    }

    /// The nodes `targets` depend on in an execution order (post-order DFS), and how many
    /// times each value is used (by scheduled nodes, plus once per target), so that a value
    /// can be dropped after its last use.
    func plan(_ targets: [Int]) -> (schedule: [Int], uses: [Int]) {
        var schedule: [Int] = [], state = [UInt8](repeating: 0, count: indexed.count)
        var stack: [(Int, Bool)] = targets.map { ($0, false) }
        while let (index, expanded) = stack.popLast() {
            if expanded { if state[index] != 2 { state[index] = 2; schedule.append(index) }; continue }
            if state[index] != 0 { continue }
            state[index] = 1
            stack.append((index, true))
            for input in inputIndices[index] where state[input] == 0 { stack.append((input, false)) }
        }
        var uses = [Int](repeating: 0, count: indexed.count)
        for index in schedule { for input in inputIndices[index] { uses[input] += 1 } }
        for target in targets { uses[target] += 1 }
        return (schedule, uses)
    }

    static func baseName(_ input: String) -> String {
        let trimmed = input.hasPrefix("^") ? String(input.dropFirst()) : input
        if let colon = trimmed.lastIndex(of: ":"), Int(trimmed[trimmed.index(after: colon)...]) != nil { return String(trimmed[..<colon]) }
        return trimmed
    }

    /// Runs the graph on `batch` (NHWC) and returns the output node's value.
    func run(_ batch: Tensor) throws -> Tensor {
        guard placeholders.count == 1 else { throw TFJSError(file: file, message: "the graph has \(placeholders.count) inputs; a classifier needs one") }
        guard let result = try run(feeds: [placeholders[0]: batch], outputs: [output])[output] else {
            throw TFJSError(file: file, node: output, message: "the output was not computed")
        }
        return result
    }

    /// Runs the graph with a value for each placeholder and returns the named nodes
    /// (signature output names or node names, with or without `:0`). Only the nodes the outputs
    /// depend on run, in dependency order; a value is dropped once its last consumer has run.
    func run(feeds: [String: Tensor], outputs: [String]) throws -> [String: Tensor] {
        let targets = try outputs.map { name -> Int in
            let node = signatureOutputs[name] ?? Self.baseName(name)
            guard let index = position[node] else { throw TFJSError(file: file, node: name, message: "no such output") }
            return index
        }
        var (schedule, remaining) = targets == outputPlan.targets ? (outputPlan.schedule, outputPlan.uses) : plan(targets)
        var values = [Tensor?](repeating: nil, count: indexed.count)
        let profile = OpProfile.shared.enabled ? OpProfile.shared : nil
        // One inputs array, refilled for each node; nodes are read in place (a copy of each, its
        // attributes and plan retained and released, was part of every node's cost at batch 1).
        var inputs: [Tensor] = []
        for index in schedule {
            if let constant = constants[index] {
                values[index] = constant
                continue
            }
            if indexed[index].op == "Placeholder" {
                guard let value = feeds[indexed[index].name] else { throw TFJSError(file: file, node: indexed[index].name, message: "no value given for this input") }
                values[index] = value
                continue
            }
            for input in inputIndices[index] {
                guard let value = values[input] else { throw TFJSError(file: file, node: indexed[index].name, message: "input was not computed") }
                inputs.append(value)
            }
            let started = profile == nil ? 0 : DispatchTime.now().uptimeNanoseconds
            do {
                values[index] = try evaluate(indexed[index], inputs)
            } catch let error as TFJSError {
                throw error
            } catch {
                throw TFJSError(file: file, node: indexed[index].name, message: "\(indexed[index].op): \(error)")
            }
            if let profile {
                let elapsed = DispatchTime.now().uptimeNanoseconds - started // before the key is formatted
                let node = indexed[index]
                profile.add(profile.perNode ? "\(node.op) \(node.name.split(separator: "/").suffix(2).joined(separator: "/")) \(inputs.first?.shape ?? [])" : node.op, elapsed)
            }
            inputs.removeAll(keepingCapacity: true)
            for input in inputIndices[index] {
                remaining[input] -= 1
                if remaining[input] == 0 { values[input] = nil }
            }
        }
        var results: [String: Tensor] = [:]
        for (name, target) in zip(outputs, targets) { results[name] = values[target] }
        return results
    }

    // MARK: Attributes

    func string(_ node: Node, _ key: String) -> String? {
        if case .string(let value)? = node.attributes[key] { return value }
        return nil
    }

    func ints(_ node: Node, _ key: String) -> [Int]? {
        if case .ints(let value)? = node.attributes[key] { return value }
        return nil
    }

    func strings(_ node: Node, _ key: String) -> [String] {
        if case .strings(let value)? = node.attributes[key] { return value }
        return []
    }

    func bool(_ node: Node, _ key: String) -> Bool {
        if case .bool(let value)? = node.attributes[key] { return value }
        return false
    }

    func float(_ node: Node, _ key: String) -> Float? {
        if case .float(let value)? = node.attributes[key] { return value }
        return nil
    }

    func int(_ node: Node, _ key: String) -> Int? {
        if case .int(let value)? = node.attributes[key] { return value }
        return nil
    }

    func padding(_ node: Node) throws -> Padding {
        switch string(node, "padding") ?? "VALID" {
        case "SAME": return .same
        case "VALID": return .valid
        case "EXPLICIT":
            let p = ints(node, "explicit_paddings") ?? []
            guard p.count == 8 else { throw TFJSError(file: file, node: node.name, message: "EXPLICIT padding needs 8 explicit_paddings") }
            // Amounts from the file: none negative (a negative left padding went out of the copy's
            // bounds), none past what any tensor may hold (Int.max overflowed sizing the output).
            guard p.allSatisfy({ $0 >= 0 && $0 <= Tensor.maxElements }) else {
                throw TFJSError(file: file, node: node.name, message: "explicit_paddings \(p) must be in 0…\(Tensor.maxElements)")
            }
            return .explicit(top: p[2], bottom: p[3], left: p[4], right: p[5])
        case let other: throw TFJSError(file: file, node: node.name, message: "unknown padding '\(other)'")
        }
    }

    func checkNHWC(_ node: Node) throws {
        if let format = string(node, "data_format"), format != "NHWC" {
            throw TFJSError(file: file, node: node.name, message: "data_format \(format) is not supported (only NHWC)")
        }
    }

    func pair(_ list: [Int]?, _ node: Node, _ key: String) throws -> (Int, Int) {
        guard let list else { return (1, 1) }
        guard list.count == 4 else { throw TFJSError(file: file, node: node.name, message: "\(key) must have 4 values") }
        guard (1...4096).contains(list[1]), (1...4096).contains(list[2]) else {
            throw TFJSError(file: file, node: node.name, message: "\(key) \(list) must be in 1…4096 along height and width")
        }
        return (list[1], list[2])
    }

    func activation(_ name: String, _ node: Node) throws -> Activation {
        switch name {
        case "Relu": return .relu
        case "Relu6": return .relu6
        case "Sigmoid": return .sigmoid
        case "Tanh": return .tanh
        case "Elu": return .elu
        case "LeakyRelu": return .leakyRelu(float(node, "leakyrelu_alpha") ?? 0.2)
        default: throw TFJSError(file: file, node: node.name, message: "unsupported fused activation '\(name)'")
        }
    }
}

/// Per-op wall time, printed at exit when STRATUM_PROFILE is set (a development aid).
/// Invariant: `totals` is only touched under `lock`.
final class OpProfile: @unchecked Sendable {
    static let shared = OpProfile()
    let enabled = ProfileMode.current.timesOps
    /// `STRATUM_PROFILE=nodes` times each node (name and input shape) instead of each op type.
    let perNode = ProfileMode.current == .nodes
    private let lock = NSLock()
    private var totals: [String: UInt64] = [:]

    func add(_ op: String, _ nanoseconds: UInt64) {
        guard enabled else { return }
        lock.lock(); totals[op, default: 0] += nanoseconds; lock.unlock()
    }

    func report() -> String {
        lock.lock(); defer { lock.unlock() }
        let total = totals.values.reduce(0, +)
        return totals.sorted { $0.value > $1.value }.map { String(format: "%-28@ %8.1f ms %5.1f%%", $0.key, Double($0.value) / 1e6, 100 * Double($0.value) / Double(max(1, total))) }.joined(separator: "\n")
    }
}
