import Foundation
import StratumCore
import StratumEngine
import StratumImaging
import StratumModelONNX
import StratumModelTFJS
import StratumTesting
import StratumONNXProto
import StratumRunner
import Testing

/// The ONNX loader against onnxruntime's outputs on op-level models and whole exported
/// networks (Tests/Fixtures/onnx, made by scripts/onnx_fixtures.py with onnxruntime 1.32).
@Suite struct ONNXTests {
    static let fixtures = TestSupport.fixtures.appendingPathComponent("onnx")

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var group: String
        var model: String
        var tolerance: Float
        var inputs: [(name: String, shape: [Int], file: String)]
        var outputs: [(name: String, shape: [Int], file: String)]
        var testDescription: String { name }
    }

    static var index: [String: Any] { index(in: fixtures) }

    /// The cases.json of a fixture folder, parsed.
    static func index(in folder: URL) -> [String: Any] {
        let url = folder.appendingPathComponent("cases.json")
        return (try? JSONSerialization.jsonObject(with: Data(contentsOf: url))) as? [String: Any] ?? [:]
    }

    static let cases: [Case] = cases(of: index)

    /// The entries of `key` that parse as cases (a renamed key drops them: see the count tests).
    static func cases(of index: [String: Any], key: String = "cases") -> [Case] {
        ((index[key] as? [[String: Any]]) ?? []).compactMap { entry in
            func tensors(_ key: String) -> [(String, [Int], String)]? {
                (entry[key] as? [[String: Any]])?.compactMap { t in
                    guard let name = t["name"] as? String, let shape = t["shape"] as? [Int], let file = t["file"] as? String else { return nil }
                    return (name, shape, file)
                }
            }
            guard let name = entry["name"] as? String, let group = entry["group"] as? String, let model = entry["model"] as? String,
                  let tolerance = (entry["tolerance"] as? NSNumber)?.floatValue, let inputs = tensors("inputs"), let outputs = tensors("outputs") else { return nil }
            return Case(name: name, group: group, model: model, tolerance: tolerance, inputs: inputs.map { ($0.0, $0.1, $0.2) }, outputs: outputs.map { ($0.0, $0.1, $0.2) })
        }
    }

    static func floats(_ file: String, shape: [Int], in folder: URL = fixtures) throws -> Tensor {
        let data = try Data(contentsOf: folder.appendingPathComponent(file))
        let count = shape.reduce(1, *)
        try #require(data.count == count * 4, "\(file): \(data.count) bytes for shape \(shape)")
        let values = data.withUnsafeBytes { bytes in (0..<count).map { Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) } }
        return Tensor(shape: shape, data: values)
    }

    /// Every case listed in cases.json parsed: a renamed key must not silently drop cases.
    @Test func theFixtureListIsCompleteAndParsed() throws {
        let listed = try Fixture.list(Self.index, "cases", of: [String: Any].self)
        #expect(Self.cases.count == listed.count, "\(listed.count - Self.cases.count) cases could not be parsed")
        #expect(Self.cases.filter { $0.group == "op" }.count >= 60)
        #expect(Self.cases.filter { $0.group == "network" }.count >= 8)
    }

    @Test(arguments: cases)
    func matchesOnnxruntime(_ testCase: Case) throws {
        let model = try ONNXModel(contentsOf: Self.fixtures.appendingPathComponent(testCase.model))
        var feeds: [String: Tensor] = [:]
        for input in testCase.inputs { feeds[input.name] = try Self.floats(input.file, shape: input.shape) }
        let input = try #require(feeds[testCase.inputs[0].name])
        // The classifier's output: the first float output (skl2onnx lists its int64 label first).
        let reference = try #require(testCase.outputs.first { $0.name == model.outputName }, "no reference for output '\(model.outputName)'")
        let expected = try Self.floats(reference.file, shape: reference.shape)
        let actual = try model.run(feeds: feeds)
        #expect(actual.shape == expected.shape, "shape \(actual.shape) vs onnxruntime \(expected.shape)")
        let worst = worstError(actual.data, expected.data)
        #expect(worst <= testCase.tolerance, "off by \(worst) (tolerance \(testCase.tolerance))")

        // Networks: the image entry (NHWC batch, no transposition of the input) and batch 1
        // give the same numbers.
        guard testCase.group == "network", testCase.inputs.count == 1, let layout = model.detectedLayout, input.rank == 4 || layout == .flat else { return }
        let images = layout == .nchw ? Tensor(shape: [input.shape[0], input.shape[2], input.shape[3], input.shape[1]],
                                              data: nchwToNHWC(input)) : input
        let viaImages = try model.run(images: images, layout: layout)
        #expect(worstError(viaImages.data, expected.data) <= testCase.tolerance, "image entry differs")
        let first = Tensor(shape: [1] + Array(input.shape.dropFirst()), data: Array(input.data.prefix(input.count / input.shape[0])))
        let alone = try model.run(first)
        #expect(worstError(alone.data, Array(expected.data.prefix(alone.count))) <= testCase.tolerance, "batch 1 differs")
    }

    func nchwToNHWC(_ t: Tensor) -> [Float] {
        let (n, c, h, w) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
        var out = [Float](repeating: 0, count: t.count)
        for i in 0..<n { for y in 0..<h { for x in 0..<w { for k in 0..<c { out[((i * h + y) * w + x) * c + k] = t.data[((i * c + k) * h + y) * w + x] } } } }
        return out
    }

    /// PyTorch's `x.view(x.size(0), -1)` chain is folded at load: no Shape node runs.
    @Test func theViewShapeChainIsFoldedAtLoad() throws {
        for name in ["shape_chain_view", "shape_chain_view_op11"] {
            let testCase = try #require(Self.cases.first { $0.name == name })
            let model = try ONNXModel(contentsOf: Self.fixtures.appendingPathComponent(testCase.model))
            #expect(!model.scheduledOps.contains("Shape") && model.scheduledOps.contains("Reshape"), "\(name): \(model.scheduledOps)")
        }
    }

    /// The demo's tf2onnx export gives TF.js's numbers through the `onnx` kind.
    @Test func theDemoExportAgreesWithItsTFJSOriginal() throws {
        let images = try FileManager.default.contentsOfDirectory(at: TestSupport.fixtures.appendingPathComponent("tfjs/images"), includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "png" }.sorted { $0.path < $1.path }
        try #require(images.count >= 4)
        for (name, normalize) in [("automl-mobilenet", "symmetric"), ("small-cnn", "unit")] {
            let folder = TestSupport.repositoryRoot.appendingPathComponent("Experiments/models/\(name)")
            let onnx = try ONNXLoader().load(ModelSpec(name: name, kind: "onnx", path: folder.appendingPathComponent("model.onnx"), options: ["normalize": normalize]))
            let tfjs = try TFJSLoader().load(ModelSpec(name: name, kind: "tfjs", path: folder, options: ["normalize": normalize]))
            #expect(onnx.descriptor.labels == ["female", "male"], "labels from metadata_props")
            #expect(onnx.descriptor.input == tfjs.descriptor.input)
            let batch = Preprocessor.batch(try images.map { try ImageFile.read($0) }, for: onnx.descriptor.input)
            let a = try onnx.predict(batch), b = try tfjs.predict(batch)
            #expect(worstError(a.flatMap { $0 }, b.flatMap { $0 }) <= 1e-5, "\(name)")
            #expect(ClassifierConformance.violations(of: onnx, on: batch).isEmpty, "\(ClassifierConformance.violations(of: onnx, on: batch))")
        }
    }

    /// `stratum predict MODEL.onnx IMAGE… --format json` (kind from the extension) gives
    /// onnxruntime's probabilities for the demo's PyTorch export on the committed images.
    @Test func predictFromImageFilesReproducesOnnxruntime() throws {
        let testCase = try #require(Self.cases.first { $0.name == "torch_mobilenetv3_demo_images" })
        let logits = try Self.floats(testCase.outputs[0].file, shape: testCase.outputs[0].shape)
        let expected = Elementwise.softmax(logits).data
        let images = try FileManager.default.contentsOfDirectory(at: TestSupport.fixtures.appendingPathComponent("tfjs/images"), includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "png" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
        try #require(images.count * 2 == logits.count)
        let model = TestSupport.repositoryRoot.appendingPathComponent("Experiments/models/torch-mobilenetv3/model.onnx")
        for kind in [["--kind", "onnx"], []] {
            let result = try CLITests.run(["predict", model.path] + images.map(\.path) + kind + ["--option", "normalize=imagenet", "--format", "json"])
            try #require(result.status == 0, "\(result.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            #expect(object["kind"] as? String == "onnx")
            let rows = try Fixture.list(object, "predictions", of: [String: Any].self)
            let actual = try rows.flatMap { row -> [Float] in try Fixture.value(row, "probabilities", as: [NSNumber].self).map(\.floatValue) }
            #expect(worstError(actual, expected) <= 1e-4, "\(actual) vs \(expected)")
        }
    }

    /// A PyTorch export outputs logits: `auto` applies softmax; `probabilities` is refused.
    @Test func logitsAreDetectedAndAClaimOfProbabilitiesIsChecked() throws {
        let network = try #require(Self.cases.first { $0.group == "network" && $0.model.contains("resnet") })
        let path = Self.fixtures.appendingPathComponent(network.model)
        let spec = ModelSpec(name: "r", kind: "onnx", path: path, options: ["labels": "a,b", "normalize": "imagenet"])
        let classifier = try ONNXLoader().load(spec)
        #expect(classifier.descriptor.input.mean == ONNXLoader.imagenetMean)
        let batch = ImageBatch(count: 3, height: 96, width: 96, channels: 3, values: (0..<(3 * 96 * 96 * 3)).map { Float($0 % 17) / 17 - 0.5 })
        #expect(ClassifierConformance.violations(of: classifier, on: batch).isEmpty)
        var claimed = spec
        claimed.options["output"] = "probabilities"
        let wrong = try ONNXLoader().load(claimed)
        let error = try #require(throws: ONNXError.self) { try wrong.predict(batch) }
        #expect(error.description.contains("output: logits"), "\(error)")
    }

    /// A graph that makes probabilities without ending in Softmax (a Softmax then ×1, as the
    /// models review found; a sigmoid's [1 − p, p] is alike): `output: auto` guessed logits and
    /// softmaxed them again, silently (log loss 0.59 for 0.53). Now its rows stop the run with
    /// what to set; `output: probabilities` takes them as they are.
    @Test func autoDoesNotSoftmaxRowsThatAreAlreadyProbabilities() throws {
        let url = try SmallONNX.write(SmallONNX.classifier(after: [SmallONNX.node("Softmax", ["z"], "p", int: ("axis", 1)), SmallONNX.node("Mul", ["p", "one"], "y")]))
        let batch = ImageBatch(count: 2, height: 8, width: 8, channels: 3, values: (0..<(2 * 8 * 8 * 3)).map { Float($0 % 13) / 13 })
        let auto = try ONNXLoader().load(ModelSpec(name: "m", kind: "onnx", path: url, options: ["labels": "a,b"]))
        let error = try #require(throws: ONNXError.self) { try auto.predict(batch) }
        #expect(error.description.contains("already a probability row") && error.description.contains("output: probabilities"), "\(error)")
        let stated = try ONNXLoader().load(ModelSpec(name: "m", kind: "onnx", path: url, options: ["labels": "a,b", "output": "probabilities"]))
        let rows = try stated.predict(batch)
        #expect(rows.count == 2 && rows.allSatisfy { abs($0.reduce(0, +) - 1) < 1e-5 })
    }

    /// Constant folding has a budget (twice the weights, at least 2²⁴ values): a tiny file of
    /// constant Resizes held a GiB per node.
    @Test func constantFoldingIsBounded() throws {
        let small = SmallONNX.classifier(after: [SmallONNX.node("Identity", ["z"], "y")])
        _ = try ONNXLoader().load(ModelSpec(name: "m", kind: "onnx", path: try SmallONNX.write(small), options: ["labels": "a,b", "output": "logits"]))
        var big = small
        big.graph.initializer += [SmallONNX.tensor("c", [1, 1, 1, 1], [1]), SmallONNX.int64s("sizes", [1, 1, 4097, 4097])]
        big.graph.node.insert(SmallONNX.node("Resize", ["c", "", "", "sizes"], "big"), at: 0)
        let error = try #require(throws: ONNXError.self) {
            try ONNXLoader().load(ModelSpec(name: "m", kind: "onnx", path: try SmallONNX.write(big), options: ["labels": "a,b", "output": "logits"]))
        }
        #expect(error.description.contains("folding the graph's constant parts would hold more than"), "\(error)")
    }

    @Test func optionsAreCheckedAndLabelsRequired() throws {
        let network = try #require(Self.cases.first { $0.group == "network" && $0.model.contains("resnet") })
        let path = Self.fixtures.appendingPathComponent(network.model)
        for (options, message) in [([String: String](), "no labels"), (["labels": "a,b", "normalize": "imagenett"], "normalize"),
                                   (["labels": "a,b", "mean": "1,2"], "mean"), (["labels": "a,b", "std": "0,1,1"], "std"),
                                   (["labels": "a,b", "output": "probs"], "output"), (["labels": "a,b", "layout": "nwhc"], "layout"),
                                   (["labels": "a,b", "resize_shorter": "50"], "resize_shorter"), (["labels": "a,b", "size": "64"], "contradicts"),
                                   (["labels": "female,female"], "name 'female' more than once")] {
            let error = try #require(throws: ONNXError.self) { try ONNXLoader().load(ModelSpec(name: "r", kind: "onnx", path: path, options: options)) }
            #expect(error.description.contains(message), "\(options): \(error)")
        }
        #expect(throws: UnknownOptionError.self) { try ONNXLoader().checkOptions(["normalise": "unit"], variant: "r") }
        #expect(ONNXLoader().recognises(path))
        #expect(!ONNXLoader().recognises(path.deletingLastPathComponent()))
    }

    /// List options as an experiment file's YAML lists give them (JSON text), and as
    /// comma-separated text: the same values; a label may hold a comma only in the list form.
    @Test func listOptionsReadFromYAMLListsAndCommaText() throws {
        let network = try #require(Self.cases.first { $0.group == "network" && $0.model.contains("resnet") })
        let path = Self.fixtures.appendingPathComponent(network.model).path
        let spec = try ExperimentSpec.parse("""
        dataset: {manifest: m.csv, label: sex}
        variants:
          - {name: yaml, kind: onnx, path: \(path), options: {labels: [female, "short, hair"], mean: [0.5, 0.25, 0.125], std: [2]}}
          - {name: text, kind: onnx, path: \(path), options: {labels: 'female, short hair', mean: '0.5,0.25, 0.125', std: '2'}}
          - {name: nested, kind: onnx, path: \(path), options: {labels: [[female], male]}}
        """, file: URL(fileURLWithPath: "/work/exp/x.yaml")).variants.map { ModelSpec(name: $0.name, kind: $0.kind, path: $0.path, options: $0.options) }
        let yaml = try ONNXLoader().load(spec[0]).descriptor
        #expect(yaml.labels == ["female", "short, hair"])
        #expect(yaml.input.mean == [0.5, 0.25, 0.125] && yaml.input.std == [2, 2, 2])
        let text = try ONNXLoader().load(spec[1]).descriptor
        #expect(text.labels == ["female", "short hair"] && text.input.mean == yaml.input.mean && text.input.std == yaml.input.std)
        let error = try #require(throws: InvalidOptionValueError.self) { try ONNXLoader().checkOptions(of: spec[2]) }
        #expect(error.message.contains("holds a list; its items must be strings or numbers"), "\(error)")
    }

    /// predict's table shows labels (from model files, or given) with control characters
    /// escaped: they reached the terminal as they were.
    @Test func predictTableEscapesLabels() throws {
        let network = try #require(Self.cases.first { $0.group == "network" && $0.model.contains("resnet") })
        let image = TestSupport.fixtures.appendingPathComponent("tfjs/images/face-00007.png")
        let result = try CLITests.run(["predict", Self.fixtures.appendingPathComponent(network.model).path, image.path, "--normalize", "imagenet",
                                       "--option", #"labels=["\u001b[31mred", "b"]"#])
        #expect(result.status == 0 && result.stdout.contains("\\u{1B}[31mred=") && !result.stdout.utf8.contains(0x1B), "\(result.stdout)\(result.stderr)")
    }

    /// skl2onnx's flat input: the image flattened HWC, the size read from the feature count.
    @Test func aScikitLearnExportTakesFlattenedImages() throws {
        let linear = try #require(Self.cases.first { $0.name == "logreg_binary" })
        let classifier = try ONNXLoader().load(ModelSpec(name: "lr", kind: "onnx", path: Self.fixtures.appendingPathComponent(linear.model), options: ["labels": "female,male"]))
        #expect(classifier.descriptor.input.width == 8 && classifier.descriptor.input.height == 8 && classifier.descriptor.input.channels == 3)
        let input = try Self.floats(linear.inputs[0].file, shape: linear.inputs[0].shape)
        let reference = try #require(linear.outputs.first { $0.name == "probabilities" })
        let expected = try Self.floats(reference.file, shape: reference.shape)
        let batch = ImageBatch(count: input.shape[0], height: 8, width: 8, channels: 3, values: input.data)
        #expect(worstError(try classifier.predict(batch).flatMap { $0 }, expected.data) <= 1e-5)
    }

    struct Malformed: Sendable, CustomTestStringConvertible {
        var file: String
        var message: String
        var testDescription: String { file }
    }

    static let malformed: [Malformed] = [
        Malformed(file: "malformed/truncated.onnx", message: "truncated or corrupt"),
        Malformed(file: "malformed/missing_external.onnx", message: "is missing"),
        Malformed(file: "malformed/wrong_initializer_size.onnx", message: "bytes of data"),
        Malformed(file: "malformed/unknown_op.onnx", message: "unsupported op 'FancyOp'"),
        Malformed(file: "malformed/not_onnx.onnx", message: "not a valid ONNX model"),
        Malformed(file: "malformed/huge_dims.onnx", message: "more than"),
        Malformed(file: "malformed/op6_add_legacy_broadcast.onnx", message: "'broadcast' attribute"),
        Malformed(file: "malformed/maxpool_indices_used.onnx", message: "Indices output of a MaxPool"),
    ]

    /// One clear error per malformed file, naming it; the CLI exits 65.
    @Test(arguments: malformed)
    func aMalformedFileGivesOneClearError(_ bad: Malformed) throws {
        let url = Self.fixtures.appendingPathComponent(bad.file)
        try #require(FileManager.default.fileExists(atPath: url.path))
        let error = try #require(throws: ONNXError.self) { try ONNXModel(contentsOf: url) }
        #expect(error.description.contains(bad.message), "\(error)")
        #expect(error.description.contains(url.lastPathComponent), "\(error)")
        let image = TestSupport.fixtures.appendingPathComponent("tfjs/images/face-00007.png")
        let result = try CLITests.run(["predict", url.path, image.path, "--option", "labels=a,b"])
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr.contains(bad.message), "\(result.stderr)")
    }

    /// torchvision's Resize(n) + CenterCrop geometry, then per-channel mean and std.
    @Test func shorterSideResizeAndPerChannelNormalisation() throws {
        #expect(Preprocessor.shorterSideSize(width: 200, height: 100, shorter: 50) == (100, 50))
        #expect(Preprocessor.shorterSideSize(width: 99, height: 131, shorter: 64) == (64, 84))
        // A 6×4 image whose columns count up: shorter side 4 keeps it; the centred 4×4 crop
        // starts at column round(2/2) = 1.
        var pixels: [UInt8] = []
        for _ in 0..<4 { for x in 0..<6 { pixels += [UInt8(x * 10), 0, 255] } }
        let image = RGBImage(width: 6, height: 4, pixels: pixels)
        let spec = InputSpec(width: 4, height: 4, channels: 3, normalization: .unit, mean: [0.5, 0, 0.5], std: [0.5, 1, 0.25], resizeShorter: 4)
        let values = Preprocessor.prepare(image, for: spec)
        #expect(values.count == 48)
        #expect(abs(values[0] - (10 / 255 - 0.5) / 0.5) < 1e-6)
        #expect(abs(values[9] - (40 / 255 - 0.5) / 0.5) < 1e-6)
        #expect(values[1] == 0 && abs(values[2] - 2) < 1e-6)
    }
}

/// Every input the onnx fuzz target crashed on (Fuzz/regressions/onnx): loading and running
/// it now ends in an error, or a result, never a trap.
@Suite struct ONNXFuzzRegressionTests {
    static let inputs: [String] = {
        let folder = TestSupport.repositoryRoot.appendingPathComponent("Fuzz/regressions/onnx")
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { !$0.hasSuffix(".md") }.sorted()
    }()

    @Test func thereAreRegressionInputs() { #expect(!Self.inputs.isEmpty) }

    @Test(arguments: inputs)
    func loadsAndRunsWithoutTrapping(_ name: String) throws {
        let source = TestSupport.repositoryRoot.appendingPathComponent("Fuzz/regressions/onnx/\(name)")
        let copy = try TestSupport.temporaryDirectory().appendingPathComponent("model.onnx")
        try FileManager.default.copyItem(at: source, to: copy)
        let model: ONNXModel
        do {
            model = try ONNXModel(contentsOf: copy)
        } catch {
            #expect(error is ONNXError, "\(error)")
            return
        }
        let shape = model.inputShape.map { $0 <= 0 ? 1 : $0 }
        try #require(shape.reduce(1, *) <= 4096)
        // A trap would end the test process; an error must be a typed one naming the file.
        do {
            _ = try model.run(Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { Float($0 % 7) / 7 - 0.4 }))
        } catch {
            #expect((error as? ONNXError)?.file == copy.path, "\(error)")
        }
    }
}

/// Small ONNX models built in the tests with the generated message types: an NCHW image
/// [1, 3, 8, 8] → GlobalAveragePool → Flatten → MatMul to 2 values `z`, then the given nodes
/// ending in `y`.
enum SmallONNX {
    static func type(_ shape: [Int64]) -> Onnx_TypeProto {
        var type = Onnx_TypeProto()
        type.tensorType.elemType = 1
        type.tensorType.shape.dim = shape.map { var d = Onnx_TensorShapeProto.Dimension(); d.dimValue = $0; return d }
        return type
    }

    static func node(_ op: String, _ inputs: [String], _ output: String, int: (String, Int64)? = nil) -> Onnx_NodeProto {
        var node = Onnx_NodeProto()
        node.opType = op; node.input = inputs; node.output = [output]; node.name = output
        if let (name, value) = int { var a = Onnx_AttributeProto(); a.name = name; a.type = .int; a.i = value; node.attribute = [a] }
        return node
    }

    static func tensor(_ name: String, _ shape: [Int64], _ values: [Float]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto(); t.name = name; t.dims = shape; t.dataType = 1; t.floatData = values; return t
    }

    static func int64s(_ name: String, _ values: [Int64]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto(); t.name = name; t.dims = [Int64(values.count)]; t.dataType = 7; t.int64Data = values; return t
    }

    static func classifier(after tail: [Onnx_NodeProto]) -> Onnx_ModelProto {
        var graph = Onnx_GraphProto()
        graph.name = "small"
        var x = Onnx_ValueInfoProto(); x.name = "x"; x.type = type([1, 3, 8, 8])
        var y = Onnx_ValueInfoProto(); y.name = "y"; y.type = type([1, 2])
        graph.input = [x]; graph.output = [y]
        graph.initializer = [tensor("w", [3, 2], [1, -1, 0.5, 0.2, -0.3, 0.8]), tensor("one", [1], [1])]
        graph.node = [node("GlobalAveragePool", ["x"], "g"), node("Flatten", ["g"], "f", int: ("axis", 1)), node("MatMul", ["f", "w"], "z")] + tail
        var model = Onnx_ModelProto()
        model.irVersion = 8
        var opset = Onnx_OperatorSetIdProto(); opset.version = 13
        model.opsetImport = [opset]
        model.graph = graph
        return model
    }

    static func write(_ model: Onnx_ModelProto) throws -> URL {
        let url = try TestSupport.temporaryDirectory().appendingPathComponent("m.onnx")
        try Data(try model.serializedBytes() as [UInt8]).write(to: url)
        return url
    }
}
