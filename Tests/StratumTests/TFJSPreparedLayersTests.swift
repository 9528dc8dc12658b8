import Foundation
import StratumEngine
@testable import StratumModelTFJS
import Testing

/// Layers models read each non-convolution layer's settings and weights once at load
/// (`PreparedLayer`) instead of from the JSON config on every run: the same values, bit for bit,
/// as preparing each layer as it runs (what `LayersModel.apply` does for a layer whose
/// preparation at load failed, and for every layer with preparation at load turned off). The
/// values themselves are checked against TensorFlow's by `TFJSTests`.
@Suite struct TFJSPreparedLayersTests {
    static let models: [String] = ["Experiments/models/small-cnn"] + TFJSTests.opFolders.map { "Tests/Fixtures/tfjs/ops/\($0)" }

    @Test(arguments: models)
    func preparedLayersGiveTheConfigsValues(_ path: String) throws {
        let folder = TestSupport.repositoryRoot.appendingPathComponent(path)
        let prepared = try TFJSModel(contentsOf: folder)
        let read = try LayersModel.$preparesLayers.withValue(false) { try TFJSModel(contentsOf: folder) }
        // The fixture's own cases (every output they name), else images of the model's input
        // shape in batches of 1 and 3.
        var runs: [(feeds: [String: Tensor], outputs: [String])] = []
        let casesFile = folder.appendingPathComponent("cases.json")
        if FileManager.default.fileExists(atPath: casesFile.path) {
            let cases = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: casesFile)) as? [String: Any])
            for testCase in try Fixture.list(cases, "cases", of: [String: Any].self) {
                let inputs: [String: Any] = try Fixture.value(testCase, "inputs"), outputs: [String: Any] = try Fixture.value(testCase, "outputs")
                runs.append((try inputs.mapValues { try #require(TFJSTests.tensor($0)) }, outputs.keys.sorted()))
            }
        } else {
            let shape = prepared.inputShape.map { $0 > 0 ? $0 : 2 }
            for batch in [1, 3] {
                let input = Tensor(shape: [batch] + shape.dropFirst(), data: EngineTests.values(batch * shape.dropFirst().reduce(1, *), seed: 61).map { ($0 + 1) / 2 })
                for threads in [1, 2] {
                    let (one, other) = try IntraOpParallelism.$threads.withValue(threads) { (try prepared.run(input), try read.run(input)) }
                    #expect(one.shape == other.shape && one.data == other.data, "\(path): batch \(batch), \(threads) threads")
                }
            }
            return
        }
        #expect(!runs.isEmpty)
        for (feeds, outputs) in runs {
            for threads in [1, 2] {
                let (one, other) = try IntraOpParallelism.$threads.withValue(threads) {
                    (try prepared.run(feeds: feeds, outputs: outputs), try read.run(feeds: feeds, outputs: outputs))
                }
                for name in outputs {
                    #expect(one[name] != nil && one[name]?.shape == other[name]?.shape && one[name]?.data == other[name]?.data, "\(path)/\(name): \(threads) threads")
                }
            }
        }
    }

    /// small-cnn's pooling, dense, global pooling and dropout layers are the prepared ones.
    @Test func smallCNNsLayersArePrepared() throws {
        let folder = TestSupport.repositoryRoot.appendingPathComponent("Experiments/models/small-cnn")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("model.json"))) as? [String: Any])
        let topology = try #require(root["modelTopology"] as? [String: Any])
        let manifest = try #require(root["weightsManifest"] as? [[String: Any]])
        let weights = try WeightsManifest.load(manifest, directory: folder, file: "model.json")
        let model = try LayersModel(topology: topology, weights: weights, file: "model.json")
        let prepared = Set(model.fusedLayers.filter { $0.op != nil }.map(\.className))
        #expect(prepared == ["MaxPooling2D", "Dense", "GlobalAveragePooling2D", "Dropout"], "\(prepared)")
        let off = try LayersModel.$preparesLayers.withValue(false) { try LayersModel(topology: topology, weights: weights, file: "model.json") }
        #expect(off.fusedLayers.allSatisfy { $0.op == nil })
    }
}
