import Foundation
import StratumCore
import StratumEngine
import StratumImaging
import StratumModelTFJS
import StratumTesting
import Testing

/// The TensorFlow.js loader and engine against TensorFlow's own outputs
/// (fixtures made by Experiments/training/train_tfjs_models.py with TensorFlow 2.21 and tensorflowjs 4.22).
@Suite struct TFJSTests {
    static let fixtures = TestSupport.fixtures.appendingPathComponent("tfjs")
    static let opFolders: [String] = {
        let base = fixtures.appendingPathComponent("ops")
        return ((try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? [])
            .filter { FileManager.default.fileExists(atPath: base.appendingPathComponent("\($0)/cases.json").path) }.sorted()
    }()

    static func tensor(_ object: Any?) -> Tensor? {
        guard let entry = object as? [String: Any], let shape = entry["shape"] as? [Int], let data = entry["data"] as? [Any] else { return nil }
        let values = data.map { ($0 as? NSNumber)?.floatValue ?? .nan }
        return Tensor(shape: shape, data: values)
    }

    @Test func everyOpFixtureIsPresent() {
        #expect(Self.opFolders.count >= 15, "\(Self.opFolders)")
    }

    /// Each fixture: a real converter export plus inputs and TensorFlow's outputs.
    @Test(arguments: opFolders)
    func opFixtureMatchesTensorFlow(_ folder: String) throws {
        let directory = Self.fixtures.appendingPathComponent("ops/\(folder)")
        let cases = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("cases.json"))) as? [String: Any])
        let tolerance = cases["tolerance"] as? [String: Double] ?? [:]
        let absolute = Float(tolerance["abs"] ?? 1e-5), relative = Float(tolerance["rel"] ?? 1e-5)
        let model = try TFJSModel(contentsOf: directory)
        var compared = 0
        for testCase in try Fixture.list(cases, "cases", of: [String: Any].self) {
            let inputs: [String: Any] = try Fixture.value(testCase, "inputs")
            let outputs: [String: Any] = try Fixture.value(testCase, "outputs")
            #expect(!inputs.isEmpty && !outputs.isEmpty, "\(folder): a case without inputs or outputs")
            var feeds: [String: Tensor] = [:]
            for (name, value) in inputs { feeds[name] = try #require(Self.tensor(value)) }
            let results = try model.run(feeds: feeds, outputs: Array(outputs.keys))
            for (name, value) in outputs {
                let expected = try #require(Self.tensor(value))
                let actual = try #require(results[name])
                #expect(actual.shape == expected.shape, "\(folder)/\(name): shape \(actual.shape) vs TensorFlow \(expected.shape)")
                let worst = worstError(actual.data, expected.data, relative: relative)
                #expect(worst <= absolute, "\(folder)/\(name): off by \(worst + absolute) beyond tolerance")
                compared += 1
            }
        }
        #expect(compared > 0, "\(folder): no output was compared")
    }

    struct ModelCase: Sendable, CustomTestStringConvertible {
        var model: String
        var normalization: Normalization
        var expectedKey: String
        var testDescription: String { model }
    }

    static let models = [
        ModelCase(model: "small-cnn", normalization: .unit, expectedKey: "tfjs_export"),
        ModelCase(model: "automl-mobilenet", normalization: .symmetric, expectedKey: "tfjs_export"),
        // Quantised weights: compared with TensorFlow running the dequantised weights in float32,
        // so the tolerance measures our arithmetic, not the quantisation error.
        ModelCase(model: "automl-mobilenet-uint8", normalization: .symmetric, expectedKey: "tfjs_export_dequantised"),
    ]

    /// `stratum predict`'s path (decode, resize, normalise, run) reproduces TensorFlow within 1e-4.
    @Test(arguments: models)
    func committedModelMatchesTensorFlow(_ modelCase: ModelCase) throws {
        let reference = try #require(try TestSupport.json("tfjs/reference.json") as? [String: Any])
        let entry = try #require((reference["models"] as? [String: Any])?[modelCase.model] as? [String: Any])
        let path = TestSupport.repositoryRoot.appendingPathComponent("Experiments/models/\(modelCase.model)")
        let classifier = try TFJSLoader().load(ModelSpec(name: modelCase.model, kind: "tfjs", path: path, options: ["normalize": modelCase.normalization.rawValue]))
        #expect(classifier.descriptor.labels == reference["labels"] as? [String])
        var images: [RGBImage] = []
        for image in try Fixture.list(entry, "per_image", of: [String: Any].self) {
            let file = Self.fixtures.appendingPathComponent(try #require(image["file"] as? String))
            let decoded = try ImageFile.read(file)
            images.append(decoded)
            let prepared = Preprocessor.prepare(decoded, for: classifier.descriptor.input)
            let firstValues = try Fixture.list(image, "input_first_values", of: Double.self).map(Float.init)
            #expect(worstError(Array(prepared.prefix(firstValues.count)), firstValues) <= 1e-6, "preprocessing of \(file.lastPathComponent)")
            let sum = prepared.reduce(0.0) { $0 + Double($1) }
            #expect(abs(sum - (try Fixture.value(image, "input_sum", as: Double.self))) < 0.05, "input sum of \(file.lastPathComponent)")
            let expected = try Fixture.list(image, modelCase.expectedKey, of: Double.self).map(Float.init)
            let probabilities = try classifier.predict(Preprocessor.batch([decoded], for: classifier.descriptor.input))[0]
            #expect(expected.count == 2)
            #expect(worstError(probabilities, expected) <= 1e-4, "\(modelCase.model) on \(file.lastPathComponent): \(probabilities) vs TensorFlow \(expected)")
        }
        let batch = Preprocessor.batch(images, for: classifier.descriptor.input)
        #expect(ClassifierConformance.violations(of: classifier, on: batch).isEmpty)
    }
}

extension TFJSTests {
    /// Layers models run a plan where conv → batch norm → ReLU chains are one convolution with
    /// folded weights; asking for a merged-away layer (here each batch norm) runs the layer-by-layer
    /// plan instead. Both give the same outputs, and the merged-away layers stay reachable.
    @Test func fusedLayersPlanMatchesTheLayerByLayerPlan() throws {
        let folder = TestSupport.repositoryRoot.appendingPathComponent("Experiments/models/small-cnn")
        let model = try TFJSModel(contentsOf: folder)
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("model.json"))) as? [String: Any])
        let layers = try #require((((root["modelTopology"] as? [String: Any])?["model_config"] as? [String: Any])?["config"] as? [String: Any])?["layers"] as? [[String: Any]])
        let names = layers.compactMap { ($0["config"] as? [String: Any])?["name"] as? String }
        let classes = layers.compactMap { $0["class_name"] as? String }
        let norms = zip(names, classes).filter { $0.1 == "BatchNormalization" }.map(\.0)
        try #require(norms.count >= 2, "the small CNN has batch norms to fold")
        let output = try #require(names.last)
        let input = Tensor(shape: [2] + model.inputShape.dropFirst(), data: EngineTests.values(2 * model.inputShape.dropFirst().reduce(1, *), seed: 5).map { ($0 + 1) / 2 })
        let fused = try #require(model.run(feeds: [model.inputNames[0]: input], outputs: [output])[output])
        let stepwise = try model.run(feeds: [model.inputNames[0]: input], outputs: [output] + norms)
        let reference = try #require(stepwise[output])
        #expect(fused.shape == reference.shape)
        #expect(zip(fused.data, reference.data).allSatisfy { abs($0 - $1) <= 1e-5 })
        for name in norms { #expect(stepwise[name] != nil, "\(name) is still reachable") }
    }
}

/// Broken exports give one clear error naming the file (and node) instead of a crash.
@Suite struct TFJSMalformedTests {
    static let source = TestSupport.fixtures.appendingPathComponent("tfjs/ops/multishard_graph")

    /// A copy of a multi-shard graph export, changed by `damage`.
    static func damaged(_ damage: (URL) throws -> Void) throws -> URL {
        let copy = try TestSupport.temporaryDirectory().appendingPathComponent("model")
        try FileManager.default.copyItem(at: source, to: copy)
        try damage(copy)
        return copy
    }

    static func editJSON(_ folder: URL, _ edit: (inout [String: Any]) -> Void) throws {
        let url = folder.appendingPathComponent("model.json")
        var root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        edit(&root)
        try JSONSerialization.data(withJSONObject: root).write(to: url)
    }

    static func shards(_ folder: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil).filter { $0.pathExtension == "bin" }.sorted { $0.path < $1.path }
    }

    @Test func missingShard() throws {
        let model = try Self.damaged { try FileManager.default.removeItem(at: try Self.shards($0).last!) }
        let error = try #require(throws: TFJSError.self) { try TFJSModel(contentsOf: model) }
        #expect(error.description.contains("is missing"), "\(error)")
    }

    /// Shard paths leaving the model's folder (`..`, absolute, a symlink out) are refused, as
    /// ONNX external data is: they loaded weights from anywhere.
    @Test(arguments: ["dotdot", "absolute", "symlink"])
    func shardsOutsideTheFolderAreRefused(_ how: String) throws {
        let model = try Self.damaged { folder in
            let outside = folder.deletingLastPathComponent().appendingPathComponent("outside.bin")
            try Self.editJSON(folder) { root in
                var manifest = root["weightsManifest"] as! [[String: Any]]
                var paths = manifest[manifest.count - 1]["paths"] as! [String]
                // The manifest's last shard moves out of the folder, and the manifest follows it.
                let shard = folder.appendingPathComponent(paths[paths.count - 1])
                try? FileManager.default.moveItem(at: shard, to: outside)
                var path = "../outside.bin"
                if how == "absolute" { path = outside.path }
                if how == "symlink" {
                    try? FileManager.default.createSymbolicLink(at: shard, withDestinationURL: outside)
                    path = shard.lastPathComponent
                }
                paths[paths.count - 1] = path
                manifest[manifest.count - 1]["paths"] = paths
                root["weightsManifest"] = manifest
            }
        }
        let error = try #require(throws: TFJSError.self) { try TFJSModel(contentsOf: model) }
        #expect(error.description.contains("inside the model's folder") || error.description.contains("outside the model's folder"), "\(error)")
    }

    @Test func truncatedShard() throws {
        let model = try Self.damaged { folder in
            let shard = try Self.shards(folder).last!
            let data = try Data(contentsOf: shard)
            try data.prefix(data.count - 10).write(to: shard)
        }
        let error = try #require(throws: TFJSError.self) { try TFJSModel(contentsOf: model) }
        #expect(error.description.contains("truncated or mismatched shard"), "\(error)")
    }

    /// A shard larger than its weights is refused by its size, before it is read (a 50 GB
    /// file for one weight was read whole first: review of hostile input).
    @Test func oversizedShardIsRefusedBySize() throws {
        let model = try Self.damaged { folder in
            let shard = try Self.shards(folder).last!
            let handle = try FileHandle(forWritingTo: shard)
            try handle.truncate(atOffset: (try handle.seekToEnd()) + (1 << 30))  // sparse: no disk used
            try handle.close()
        }
        let error = try #require(throws: TFJSError.self) { try TFJSModel(contentsOf: model) }
        #expect(error.description.contains("truncated or mismatched shard") && error.description.contains("hold"), "\(error)")
    }

    @Test func unknownOpIsNamedWithItsNode() throws {
        let model = try Self.damaged { folder in
            try Self.editJSON(folder) { root in
                var topology = root["modelTopology"] as? [String: Any] ?? [:]
                var nodes = topology["node"] as? [[String: Any]] ?? []
                let index = nodes.firstIndex { $0["op"] as? String == "Softmax" } ?? 0
                nodes[index]["op"] = "FancyNewOp"
                topology["node"] = nodes
                root["modelTopology"] = topology
            }
        }
        let error = try #require(throws: TFJSError.self) { try TFJSModel(contentsOf: model) }
        #expect(error.node != nil && error.description.contains("unsupported op 'FancyNewOp'") && error.description.contains("supported: "))
    }

    @Test func wrongWeightShapeFailsAtTheNode() throws {
        let model = try Self.damaged { folder in
            try Self.editJSON(folder) { root in
                var manifest = root["weightsManifest"] as? [[String: Any]] ?? []
                var weights = manifest[0]["weights"] as? [[String: Any]] ?? []
                // A 4-D kernel with its last two dimensions swapped: same byte count, wrong shape.
                let index = weights.firstIndex { ($0["shape"] as? [Int])?.count == 4 && ($0["shape"] as? [Int])?[2] != ($0["shape"] as? [Int])?[3] } ?? 0
                var shape = weights[index]["shape"] as? [Int] ?? []
                shape.swapAt(2, 3)
                weights[index]["shape"] = shape
                manifest[0]["weights"] = weights
                root["weightsManifest"] = manifest
            }
        }
        let loaded = try TFJSModel(contentsOf: model)
        let input = Tensor(zeros: loaded.inputShape.map { $0 < 0 ? 1 : $0 })
        let error = try #require(throws: TFJSError.self) { try loaded.run(input) }
        #expect(error.node != nil && error.description.contains("shape mismatch"), "\(error)")
    }

    @Test func badJSON() throws {
        let model = try Self.damaged { try Data("{\"modelTopology\": [".utf8).write(to: $0.appendingPathComponent("model.json")) }
        let error = try #require(throws: TFJSError.self) { try TFJSModel(contentsOf: model) }
        #expect(error.description.contains("not valid JSON"))
    }

    /// Through the CLI: one error line, exit 65.
    @Test func predictReportsOneLine() throws {
        let model = try Self.damaged { try FileManager.default.removeItem(at: try Self.shards($0).first!) }
        let image = TestSupport.fixtures.appendingPathComponent("tfjs/images/face-00027.png")
        let result = try CLITests.run(["predict", model.path, image.path, "--kind", "tfjs", "--option", "labels=a,b", "--normalize", "unit"])
        #expect(result.status == 65)
        #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.contains("is missing"), "\(result.stderr)")
    }
}

@Suite struct PredictCommandTests {
    /// `stratum predict --format json` on a real export: the documented object, TensorFlow's numbers.
    @Test func predictJSONReproducesTensorFlow() throws {
        let reference = try #require(try TestSupport.json("tfjs/reference.json") as? [String: Any])
        let perImage = try #require(((reference["models"] as? [String: Any])?["small-cnn"] as? [String: Any])?["per_image"] as? [[String: Any]])
        let files = perImage.compactMap { $0["file"] as? String }.map { TestSupport.fixtures.appendingPathComponent("tfjs/\($0)").path }
        let model = TestSupport.repositoryRoot.appendingPathComponent("Experiments/models/small-cnn").path
        let result = try CLITests.run(["predict", model] + files + ["--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let output = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(output["labels"] as? [String] == ["female", "male"])
        #expect(output["kind"] as? String == "tfjs")
        let predictions = try #require(output["predictions"] as? [[String: Any]])
        #expect(predictions.count == files.count)
        for (prediction, expected) in zip(predictions, perImage) {
            let ours = try Fixture.list(prediction, "probabilities", of: Double.self)
            let theirs = try Fixture.list(expected, "tfjs_export", of: Double.self)
            #expect(ours.count == 2 && worstError(ours.map(Float.init), theirs.map(Float.init)) <= 1e-4)
            #expect(prediction["predicted"] as? String == ((ours.first ?? 0) >= (ours.last ?? 0) ? "female" : "male"))
        }
    }
}

/// Every input the TF.js fuzz targets crashed on (Fuzz/regressions/tfjs*): each is now a
/// `TFJSError` at load, naming the problem.
@Suite struct TFJSFuzzRegressionTests {
    static let inputs: [String] = ["tfjs", "tfjs-run"].flatMap { target in
        let folder = TestSupport.repositoryRoot.appendingPathComponent("Fuzz/regressions/\(target)")
        // `slow-*` inputs were too slow, not crashes: the fuzz script replays them under its
        // per-op compute limit (ComputeLimit), which a parallel test run cannot set globally.
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { !$0.hasPrefix("slow-") }.sorted().map { "\(target)/\($0)" }
    }

    @Test func everyRegressionIsPresent() {
        #expect(Self.inputs.count >= 10, "\(Self.inputs)")
    }

    @Test(arguments: inputs)
    func crashInputIsAnErrorNow(_ input: String) throws {
        let bytes = Array(try Data(contentsOf: TestSupport.repositoryRoot.appendingPathComponent("Fuzz/regressions/\(input)")))
        // As the harness does: model.json, then shards, separated by "\n--shard--\n".
        let separator = Array("\n--shard--\n".utf8)
        var parts: [[UInt8]] = [[]]
        var index = 0
        while index < bytes.count {
            if bytes.count - index >= separator.count, Array(bytes[index..<(index + separator.count)]) == separator {
                parts.append([])
                index += separator.count
            } else {
                parts[parts.count - 1].append(bytes[index])
                index += 1
            }
        }
        let directory = try TestSupport.temporaryDirectory()
        try Data(parts[0]).write(to: directory.appendingPathComponent("model.json"))
        for (k, shard) in parts.dropFirst().enumerated() { try Data(shard).write(to: directory.appendingPathComponent("shard\(k + 1).bin")) }
        let url = directory.appendingPathComponent("model.json")
        guard input.hasPrefix("tfjs-run/"), let model = try? TFJSModel(contentsOf: url) else {
            #expect(throws: TFJSError.self, "\(input)") { try TFJSModel(contentsOf: url) }
            return
        }
        // As the tfjs-run harness does: one inference on a small patterned input.
        let shape = model.inputShape.map { $0 <= 0 ? 1 : $0 }
        let count = shape.reduce(1, *)
        try #require(count <= 4096)
        #expect(throws: (any Error).self, "\(input)") { try model.run(Tensor(shape: shape, data: (0..<count).map { Float($0 % 7) / 7 })) }
    }
}
