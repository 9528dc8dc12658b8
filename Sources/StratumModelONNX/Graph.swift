import Foundation
import StratumEngine
import StratumONNXProto

/// An ONNX graph compiled for the engine.
///
/// At load: initializers and `Constant` nodes are decoded, every node whose inputs are all
/// constant is evaluated once (this folds the Shape/Gather/Unsqueeze/Concat chains exporters
/// emit for reshape targets once their source is known, and Cast of float16 weights),
/// convolution weights are transposed from OIHW to the engine's HWIO (depthwise: HW·C·m),
/// a BatchNormalization fed only by a convolution is folded into its weights, and a
/// convolution's residual Add and activation are fused into it. The output's dependencies
/// are scheduled once; each value is dropped after its last use.
struct Graph: @unchecked Sendable {
    struct Node {
        var label: String
        var op: String
        var domain: String
        /// Value slots (nil: an omitted optional input).
        var inputs: [Int?]
        var outputs: [Int]
        var attributes: Attributes
        var convolution: ConvolutionPlan?
        var gemm: GemmPlan?
    }

    let file: String
    /// The ai.onnx opset the model imports.
    let opset: Int
    var nodes: [Node]
    var constants: [Value?]
    var names: [String]
    let inputSlot: Int
    let inputName: String
    /// Every runtime input, in declaration order (the first is `inputName`).
    let inputNames: [String]
    let inputSlots: [Int]
    /// The graph input's declared shape (−1 for a symbolic or unknown dimension).
    let inputShape: [Int]
    var outputSlot: Int
    let outputName: String
    /// External data files the initializers were read from (resolved paths, sorted).
    private(set) var externalDataFiles: [String] = []
    private var schedule: [Int] = []
    private var uses: [Int] = []

    static let supportedOps: [String: Set<String>] = [
        "": ["Add", "AveragePool", "BatchNormalization", "Cast", "Clip", "Concat", "Constant", "Conv", "Div", "Dropout", "Flatten",
             "Gather", "Gemm", "GlobalAveragePool", "GlobalMaxPool", "HardSigmoid", "HardSwish", "Identity", "LeakyRelu", "MatMul",
             "MaxPool", "Mul", "Pad", "ReduceMean", "Relu", "Reshape", "Resize", "Shape", "Sigmoid", "Slice", "Softmax", "Squeeze",
             "Sub", "Tanh", "Transpose", "Unsqueeze"],
        "ai.onnx.ml": ["LinearClassifier", "Normalizer"],
    ]

    static var supportedList: String {
        supportedOps.sorted { $0.key < $1.key }.map { domain, ops in
            (domain.isEmpty ? "" : "\(domain): ") + ops.sorted().joined(separator: ", ")
        }.joined(separator: "; ")
    }

    init(model: Onnx_ModelProto, file: String, directory: URL) throws {
        self.file = file
        let graph = model.graph
        var opset = 0
        for entry in model.opsetImport where entry.domain.isEmpty || entry.domain == "ai.onnx" { opset = Int(clamping: entry.version) }
        guard opset > 0 else { throw ONNXError(file: file, message: "the model imports no ai.onnx opset") }
        guard (6...23).contains(opset) else {
            throw ONNXError(file: file, message: "opset \(opset) is not supported (Stratum reads ai.onnx opsets 6–23 and is tested on 11–21)")
        }
        self.opset = opset

        var slots: [String: Int] = [:], names: [String] = [], constants: [Value?] = []
        func newSlot(_ name: String) -> Int {
            slots[name] = names.count
            names.append(name)
            constants.append(nil)
            return names.count - 1
        }
        var decoder = TensorDecoder(file: file, directory: directory)
        for initializer in graph.initializer {
            guard slots[initializer.name] == nil else { throw ONNXError(file: file, node: "initializer '\(initializer.name)'", message: "two initializers have this name") }
            let slot = newSlot(initializer.name)
            constants[slot] = try decoder.decode(initializer, what: "initializer '\(initializer.name)'")
        }
        // The runtime inputs: declared inputs that are not initializers (a classifier has one).
        let runtimeInputs = graph.input.filter { slots[$0.name] == nil }
        guard let input = runtimeInputs.first else { throw ONNXError(file: file, message: "the graph has no input (besides initializers)") }
        for other in runtimeInputs where other.type.tensorType.elemType != 1 {
            throw ONNXError(file: file, message: "input '\(other.name)' is not float32 (element type \(other.type.tensorType.elemType))")
        }
        inputName = input.name
        inputNames = runtimeInputs.map(\.name)
        inputShape = input.type.tensorType.shape.dim.map { dimension in
            if case .dimValue(let value)? = dimension.value, value > 0 { return Int(clamping: value) }
            return -1
        }
        inputSlots = runtimeInputs.map { newSlot($0.name) }
        inputSlot = inputSlots[0]

        var nodes: [Node] = []
        for (index, proto) in graph.node.enumerated() {
            let label = proto.name.isEmpty ? "\(proto.opType) node #\(index)" : "node '\(proto.name)' (\(proto.opType))"
            let inputs = try proto.input.map { name -> Int? in
                if name.isEmpty { return nil }
                guard let slot = slots[name] else {
                    throw ONNXError(file: file, node: label, message: "input '\(name)' is not a graph input, an initializer or the output of an earlier node")
                }
                return slot
            }
            // Every supported op has an output; the fusions read a node's first.
            guard !proto.output.isEmpty else { throw ONNXError(file: file, node: label, message: "\(proto.opType) node has no outputs") }
            let outputs = try proto.output.map { name -> Int in
                guard !name.isEmpty else { return newSlot("\(label) unnamed output") }
                guard slots[name] == nil else { throw ONNXError(file: file, node: label, message: "output '\(name)' is produced twice") }
                return newSlot(name)
            }
            let node = Node(label: label, op: proto.opType, domain: proto.domain == "ai.onnx" ? "" : proto.domain,
                            inputs: inputs, outputs: outputs, attributes: Attributes(proto.attribute))
            try Self.refuseUnsupportedForms(of: node, file: file)
            nodes.append(node)
        }
        // MaxPool's second output (the indices of the maxima) is not computed: a node reading it
        // failed on every image with an unrelated message ("Cast needs input 0").
        let maxPoolIndices = Set(nodes.filter { $0.op == "MaxPool" && $0.domain.isEmpty }.compactMap { $0.outputs.dropFirst().first })
        if let reader = nodes.first(where: { $0.inputs.contains { $0.map(maxPoolIndices.contains) ?? false } }) {
            throw ONNXError(file: file, node: reader.label, message: "reads the Indices output of a MaxPool, which Stratum does not compute")
        }
        self.names = names
        self.nodes = nodes
        self.constants = constants

        // The output: the first float graph output (skl2onnx models list their int64 label first).
        guard let output = graph.output.first(where: { $0.type.tensorType.elemType == 1 }) ?? graph.output.first else {
            throw ONNXError(file: file, message: "the graph declares no output")
        }
        guard let outputSlot = slots[output.name] else { throw ONNXError(file: file, message: "output '\(output.name)' is not computed by any node") }
        self.outputSlot = outputSlot
        outputName = output.name

        try foldConstants(decoder: &decoder)
        externalDataFiles = decoder.externalPaths
        try prepareConvolutions()
        try fuse()
        pairProjectionShortcuts()
        foldShapeChains()
        try replan()
        for index in schedule {
            let node = self.nodes[index]
            guard Self.supportedOps[node.domain]?.contains(node.op) == true else {
                let domain = node.domain.isEmpty ? "" : " of domain '\(node.domain)'"
                throw ONNXError(file: file, node: node.label, message: "unsupported op '\(node.op)'\(domain) (supported: \(Self.supportedList))")
            }
        }
    }

    /// Forms of supported ops that Stratum does not evaluate, refused at load rather than computed
    /// another way: the `broadcast`/`axis` attributes of element-wise ops before opset 7 (a
    /// per-axis rule, where NumPy's trailing-axis broadcasting gave other numbers; onnxruntime
    /// has no kernel for them either).
    static func refuseUnsupportedForms(of node: Node, file: String) throws {
        if node.domain.isEmpty, ["Add", "Sub", "Mul", "Div"].contains(node.op), node.attributes.int("broadcast", 0) != 0 {
            throw ONNXError(file: file, node: node.label, message: "uses the 'broadcast' attribute of opsets before 7, which Stratum does not support (export with opset 7 or later)")
        }
        // Training mode normalises with the batch's own statistics (onnxruntime computes them);
        // the stored running ones were used instead, silently (ONNX attribute review).
        if node.domain.isEmpty, node.op == "BatchNormalization", node.attributes.int("training_mode", 0) != 0 {
            throw ONNXError(file: file, node: node.label, message: "has training_mode=1 (statistics of the batch, as in training), which Stratum does not compute; export the model for inference")
        }
    }

    /// Evaluates, once, every node whose inputs are all known at load time.
    /// Values that constant folding may compute in all, over every folded node: twice the
    /// model's own initializers (an exporter may leave weights to be transposed or dequantized
    /// at load), and at least 2²⁴. Each result is kept, so a 518-byte file of one Resize to 2²⁸
    /// values and three Adds held 4 GiB (models review); real exports fold shape arithmetic.
    static func foldedValueBudget(initializerValues: Int) -> Int {
        min(Tensor.maxElements, max(1 << 24, 2 * initializerValues))
    }

    private mutating func foldConstants(decoder: inout TensorDecoder) throws {
        var kept: [Node] = []
        var folded = 0
        let budget = Self.foldedValueBudget(initializerValues: constants.reduce(0) { $0 + ($1?.shape.reduce(1, *) ?? 0) })
        for node in nodes {
            if node.op == "Constant" && node.domain.isEmpty {
                guard let slot = node.outputs.first else { continue }
                constants[slot] = try constantValue(node, decoder: &decoder)
                continue
            }
            let known = node.inputs.allSatisfy { $0.map { constants[$0] != nil } ?? true }
            guard known, !node.inputs.isEmpty, Self.supportedOps[node.domain]?.contains(node.op) == true, node.op != "Dropout" || node.inputs.count == 1 else {
                kept.append(node)
                continue
            }
            let inputs = node.inputs.map { $0.flatMap { constants[$0] } }
            let results = try evaluate(node, inputs)
            folded += results.reduce(0) { $0 + $1.shape.reduce(1, *) }
            guard folded <= budget else {
                throw ONNXError(file: file, node: node.label, message: "folding the graph's constant parts would hold more than \(budget) values, twice the model's weights (this node's output is \(results.map(\.shape)))")
            }
            for (slot, value) in zip(node.outputs, results) { constants[slot] = value }
        }
        nodes = kept
    }

    private func constantValue(_ node: Node, decoder: inout TensorDecoder) throws -> Value {
        let a = node.attributes
        if let tensor = a.tensor("value") { return try decoder.decode(tensor, what: node.label) }
        if let value = a.float("value_float") { return .float(Tensor(scalar: value), channelsLast: false) }
        if let values = a.floats("value_floats") { return .float(Tensor(shape: [values.count], data: values), channelsLast: false) }
        if let value = a.int("value_int") { return .int(IntTensor(shape: [], data: [value])) }
        if let values = a.ints("value_ints") { return .int(IntTensor(vector: values)) }
        throw ONNXError(file: file, node: node.label, message: "Constant has no value, value_float(s) or value_int(s) attribute (sparse and string constants are not supported)")
    }

    /// Recomputes the output's schedule and the use count of each value.
    private mutating func replan() throws {
        var producer = [Int?](repeating: nil, count: names.count)
        for (index, node) in nodes.enumerated() { for slot in node.outputs { producer[slot] = index } }
        var needed = [Bool](repeating: false, count: nodes.count)
        var stack = [outputSlot]
        var seen = Set<Int>()
        while let slot = stack.popLast() {
            guard seen.insert(slot).inserted else { continue }
            if let index = producer[slot] {
                needed[index] = true
                for input in nodes[index].inputs { if let input { stack.append(input) } }
            } else if constants[slot] == nil && !inputSlots.contains(slot) {
                throw ONNXError(file: file, message: "value '\(names[slot])' is needed but nothing computes it")
            }
        }
        // ONNX lists nodes in a topological order (checked at load), so that order is kept.
        schedule = nodes.indices.filter { needed[$0] }
        uses = [Int](repeating: 0, count: names.count)
        for index in schedule { for input in nodes[index].inputs { if let input { uses[input] += 1 } } }
        uses[outputSlot] += 1
    }

    /// Runs the graph on its input (in the layout the classifier chose) and returns the output.
    func run(_ input: Value) throws -> Value {
        guard inputSlots.count == 1 else {
            throw ONNXError(file: file, message: "the graph has \(inputSlots.count) inputs (\(inputNames.joined(separator: ", "))); an image classifier has one")
        }
        return try run([inputSlot: input])
    }

    /// Runs the graph with a value for each runtime input slot.
    func run(_ feeds: [Int: Value]) throws -> Value {
        var values = [Value?](repeating: nil, count: names.count)
        for slot in inputSlots {
            guard let value = feeds[slot] else { throw ONNXError(file: file, message: "no value given for input '\(names[slot])'") }
            values[slot] = value
        }
        var remaining = uses
        let profile = ONNXProfile.shared.enabled ? ONNXProfile.shared : nil
        // One array of inputs, refilled for each node. (The nodes are read in place: a copy of
        // a node, with its plans, retained and released a dozen references each time.)
        var inputs: [Value?] = []
        for index in schedule {
            for slot in nodes[index].inputs { inputs.append(slot.flatMap { values[$0] ?? constants[$0] }) }
            let started = profile == nil ? 0 : DispatchTime.now().uptimeNanoseconds
            do {
                let results = try evaluate(nodes[index], inputs)
                for (slot, value) in zip(nodes[index].outputs, results) { values[slot] = value }
            } catch let error as ONNXError {
                throw error
            } catch {
                throw ONNXError(file: file, node: nodes[index].label, message: "\(error)")
            }
            if let profile {
                let elapsed = DispatchTime.now().uptimeNanoseconds - started // before the key is formatted
                let shape = inputs.first??.shape ?? []
                profile.add(profile.perNode ? "\(nodes[index].op) \(nodes[index].label) \(shape)" : nodes[index].op, elapsed)
            }
            inputs.removeAll(keepingCapacity: true)
            for slot in nodes[index].inputs {
                guard let slot else { continue }
                remaining[slot] -= 1
                if remaining[slot] == 0 { values[slot] = nil }
            }
        }
        guard let output = values[outputSlot] ?? constants[outputSlot] else {
            throw ONNXError(file: file, message: "the output '\(outputName)' was not computed")
        }
        return output
    }

    /// The op types of the nodes the output needs, in schedule order.
    var scheduledOps: [String] { schedule.map { nodes[$0].op } }

    /// Whether the output comes straight from a Softmax (or an ML classifier that normalises),
    /// so that it already holds probabilities.
    var endsInProbabilities: Bool {
        guard let node = lastScoringNode else { return false }
        switch node.op {
        case "Softmax": return true
        case "Normalizer": return node.attributes.string("norm", "MAX") == "L1"
        case "LinearClassifier":
            // skl2onnx: binary models end in LOGISTIC over (−s, s), rows summing to 1;
            // one-vs-rest ones add an L1 Normalizer, multinomial ones use SOFTMAX.
            let transform = node.attributes.string("post_transform", "NONE")
            return ["SOFTMAX", "SOFTMAX_ZERO"].contains(transform) || transform == "LOGISTIC" && !endsInIndependentSigmoids
        default: return false
        }
    }

    /// Whether the output is a LinearClassifier's LOGISTIC over more than two classes: one
    /// sigmoid per class, neither probabilities (rows do not sum to 1) nor logits.
    var endsInIndependentSigmoids: Bool {
        guard let node = lastScoringNode, node.op == "LinearClassifier", node.attributes.string("post_transform", "NONE") == "LOGISTIC" else { return false }
        let classes = node.attributes.strings("classlabels_strings")?.count ?? node.attributes.ints("classlabels_ints")?.count ?? 0
        return classes > 2
    }

    /// The node that computes the output, looking through ops that pass values on unchanged.
    private var lastScoringNode: Node? {
        var slot = outputSlot
        while let node = nodes.last(where: { $0.outputs.contains(slot) }) {
            switch node.op {
            case "Identity", "Reshape", "Flatten", "Squeeze", "Dropout", "Cast":
                guard let input = node.inputs.first ?? nil else { return nil }
                slot = input
            default: return node
            }
        }
        return nil
    }

    /// Class labels an ML classifier node carries (`classlabels_strings` / `classlabels_ints`).
    var classifierLabels: [String]? {
        for node in nodes where node.op == "LinearClassifier" {
            if let labels = node.attributes.strings("classlabels_strings"), !labels.isEmpty { return labels }
            if let labels = node.attributes.ints("classlabels_ints"), !labels.isEmpty { return labels.map(String.init) }
        }
        return nil
    }
}

/// Per-op wall time of ONNX graphs, when STRATUM_PROFILE is set (`nodes`: per node), printed by
/// `stratum bench tfjs`. A development aid. Invariant: `totals` is only touched under `lock`.
final class ONNXProfile: @unchecked Sendable {
    static let shared = ONNXProfile()
    let enabled = ProfileMode.current.timesOps
    let perNode = ProfileMode.current == .nodes
    private let lock = NSLock()
    private var totals: [String: (nanoseconds: UInt64, calls: Int)] = [:]

    func add(_ key: String, _ nanoseconds: UInt64) {
        lock.lock()
        totals[key, default: (0, 0)].nanoseconds += nanoseconds
        totals[key, default: (0, 0)].calls += 1
        lock.unlock()
    }

    /// One line per key: total time, share of all keys' time, and time per call.
    func report() -> String {
        lock.lock(); defer { lock.unlock() }
        let total = max(1, totals.values.reduce(0) { $0 + $1.nanoseconds })
        return totals.sorted { $0.value.nanoseconds > $1.value.nanoseconds }.prefix(40).map {
            String(format: "%-60@ %8.1f ms %5.1f%% %8.2f µs/call", $0.key as NSString, Double($0.value.nanoseconds) / 1e6,
                   100 * Double($0.value.nanoseconds) / Double(total), Double($0.value.nanoseconds) / 1e3 / Double(max(1, $0.value.calls)))
        }.joined(separator: "\n")
    }
}
