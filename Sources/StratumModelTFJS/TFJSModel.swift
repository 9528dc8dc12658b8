import Foundation
import StratumCore
import StratumEngine

/// A loaded TensorFlow.js export, graph or layers, ready to run.
public struct TFJSModel: Sendable {
    public enum Format: String, Sendable { case graph = "graph-model", layers = "layers-model" }

    public let format: Format
    /// [batch, height, width, channels] (batch −1 when free).
    public let inputShape: [Int]
    /// Labels from `dict.txt` beside model.json, when present.
    public let labels: [String]?
    /// Input names (placeholders or input layers).
    public let inputNames: [String]
    /// The outputs a graph model's signature declares (0 without a signature; 1 for layers
    /// models, which refuse several). A classifier needs one.
    public let signatureOutputCount: Int
    private let runner: @Sendable (Tensor) throws -> Tensor
    private let namedRunner: @Sendable ([String: Tensor], [String]) throws -> [String: Tensor]

    /// Reads `model.json` (or the folder holding it), its weight shards and `dict.txt`.
    public init(contentsOf url: URL) throws {
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
        let modelFile = isDirectory.boolValue ? url.appendingPathComponent("model.json") : url
        let directory = modelFile.deletingLastPathComponent()
        let file = modelFile.path
        guard let data = try? Data(contentsOf: modelFile) else { throw TFJSError(file: file, message: "cannot read model.json") }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw TFJSError(file: file, message: "not valid JSON: \(error.localizedDescription)")
        }
        guard let root = parsed as? [String: Any], let topology = root["modelTopology"] as? [String: Any] else {
            throw TFJSError(file: file, message: "not a TensorFlow.js model (no modelTopology object)")
        }
        guard let manifest = root["weightsManifest"] as? [[String: Any]] else { throw TFJSError(file: file, message: "no weightsManifest list") }
        let weights = try WeightsManifest.load(manifest, directory: directory, file: file)
        let declared = root["format"] as? String
        if declared == Format.graph.rawValue || (declared == nil && topology["node"] != nil) {
            let graph = try GraphModel(topology: topology, weights: weights, signature: root["signature"] as? [String: Any], file: file)
            format = .graph
            inputShape = graph.inputShape
            inputNames = graph.placeholders
            signatureOutputCount = graph.signatureOutputs.count
            runner = { try graph.run($0) }
            namedRunner = { try graph.run(feeds: $0, outputs: $1) }
        } else {
            let layers = try LayersModel(topology: topology, weights: weights, file: file)
            format = .layers
            inputShape = layers.inputShape
            inputNames = layers.inputNames
            signatureOutputCount = 1
            runner = { try layers.run($0) }
            namedRunner = { try layers.run(feeds: $0, outputs: $1) }
        }
        // Labels from a dict.txt beside the model: inside its folder, a regular file of at most 16 MiB.
        switch ContainedFile.optionalLines("dict.txt", in: directory) {
        case .success(let lines):
            labels = lines
        case .failure(let refusal):
            throw TFJSError(file: directory.appendingPathComponent("dict.txt").path, message: "labels file \(refusal.message)")
        }
    }

    /// Runs with named inputs and returns named outputs (graph: signature names or node names;
    /// layers: layer names).
    public func run(feeds: [String: Tensor], outputs: [String]) throws -> [String: Tensor] {
        try namedRunner(feeds, outputs)
    }

    /// Per-op timings collected so far when `STRATUM_PROFILE` is set (empty otherwise).
    public static var profile: String { OpProfile.shared.report() }

    /// Runs the model on an NHWC batch.
    public func run(_ batch: Tensor) throws -> Tensor {
        try runner(batch)
    }
}

extension GraphModel: @unchecked Sendable {}
extension LayersModel: @unchecked Sendable {}
