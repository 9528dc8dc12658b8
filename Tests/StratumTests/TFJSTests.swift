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
        for testCase in cases["cases"] as? [[String: Any]] ?? [] {
            let inputs = testCase["inputs"] as? [String: Any] ?? [:]
            let outputs = testCase["outputs"] as? [String: Any] ?? [:]
            var feeds: [String: Tensor] = [:]
            for (name, value) in inputs { feeds[name] = try #require(Self.tensor(value)) }
            let results = try model.run(feeds: feeds, outputs: Array(outputs.keys))
            for (name, value) in outputs {
                let expected = try #require(Self.tensor(value))
                let actual = try #require(results[name])
                #expect(actual.shape == expected.shape, "\(folder)/\(name): shape \(actual.shape) vs TensorFlow \(expected.shape)")
                let worst = zip(actual.data, expected.data).map { abs($0 - $1) - relative * abs($1) }.max() ?? 0
                #expect(worst <= absolute, "\(folder)/\(name): off by \(worst + absolute) beyond tolerance")
            }
        }
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
        for image in entry["per_image"] as? [[String: Any]] ?? [] {
            let file = Self.fixtures.appendingPathComponent(try #require(image["file"] as? String))
            let decoded = try ImageFile.read(file)
            images.append(decoded)
            let prepared = Preprocessor.prepare(decoded, for: classifier.descriptor.input)
            let firstValues = (image["input_first_values"] as? [Double] ?? []).map(Float.init)
            for (ours, theirs) in zip(prepared, firstValues) { #expect(abs(ours - theirs) <= 1e-6, "preprocessing of \(file.lastPathComponent)") }
            let sum = prepared.reduce(0.0) { $0 + Double($1) }
            #expect(abs(sum - (image["input_sum"] as? Double ?? .nan)) < 0.05, "input sum of \(file.lastPathComponent)")
            let expected = (image[modelCase.expectedKey] as? [Double] ?? []).map(Float.init)
            let probabilities = try classifier.predict(Preprocessor.batch([decoded], for: classifier.descriptor.input))[0]
            #expect(expected.count == 2)
            for (ours, theirs) in zip(probabilities, expected) {
                #expect(abs(ours - theirs) <= 1e-4, "\(modelCase.model) on \(file.lastPathComponent): \(probabilities) vs TensorFlow \(expected)")
            }
        }
        let batch = Preprocessor.batch(images, for: classifier.descriptor.input)
        #expect(ClassifierConformance.violations(of: classifier, on: batch).isEmpty)
    }
}
