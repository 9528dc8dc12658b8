import Foundation
import StratumCore
import StratumEngine
import StratumONNXProto
import SwiftProtobuf
import StratumCore

/// A loaded ONNX model, ready to run on the engine.
///
/// The file is decoded with swift-protobuf (messages generated from onnx-ml.proto, see
/// `scripts/gen-onnx-proto.sh`); initializers may live in external data files beside it.
public struct ONNXModel: Sendable {
    /// How the graph's input holds an image.
    public enum InputLayout: String, Sendable, CaseIterable {
        /// [N, C, H, W], as PyTorch exports (and tf2onnx with --inputs-as-nchw).
        case nchw
        /// [N, H, W, C], as tf2onnx exports Keras models.
        case nhwc
        /// [N, H·W·C]: the image flattened row by row, pixel by pixel, channels innermost
        /// (NumPy's `image.reshape(-1)` of an H×W×C array), as skl2onnx models take it.
        case flat
    }

    /// The largest model file read (protobuf's own limit).
    public static let maxFileBytes = 2 << 30

    public let file: String
    public let inputName: String
    /// Every runtime input, in declaration order (an image classifier has one).
    public let inputNames: [String]
    /// The input's declared shape, −1 where it is symbolic (the batch) or unknown.
    public let inputShape: [Int]
    public let outputName: String
    /// The ai.onnx opset the model imports.
    public let opset: Int
    /// The producer recorded in the file (e.g. `pytorch 2.9`, `tf2onnx 1.17.0`, `skl2onnx 1.20`).
    public let producer: String
    /// `metadata_props` of the model.
    public let metadata: [String: String]
    /// Labels from `metadata_props` (`labels`, comma-separated), else an ML classifier's class
    /// labels, else `labels.txt` or `dict.txt` beside the file (one per line).
    public let labels: [String]?
    /// Whether the output already holds probabilities (the graph ends in Softmax, or in an
    /// ML classifier that normalises its scores).
    public let endsInProbabilities: Bool
    /// Whether the output is one sigmoid per class over more than two classes (`Graph.endsInIndependentSigmoids`).
    public let endsInIndependentSigmoids: Bool
    let graph: Graph

    public init(contentsOf url: URL) throws {
        let file = url.path
        let attributes = try? FileManager.default.attributesOfItem(atPath: file)
        guard let size = (attributes?[.size] as? NSNumber)?.intValue else {
            throw ONNXError(file: file, message: FileManager.default.fileExists(atPath: file) ? "cannot read the model file" : "no such file")
        }
        guard size <= Self.maxFileBytes else { throw ONNXError(file: file, message: "the file is \(size) bytes; ONNX protobufs are at most 2 GiB (larger weights go in external data files)") }
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw ONNXError(file: file, message: "cannot read the model file: \(error.localizedDescription)")
        }
        let model: Onnx_ModelProto
        do {
            model = try Onnx_ModelProto(serializedBytes: data)
        } catch {
            throw ONNXError(file: file, message: "not a valid ONNX model (the protobuf is truncated or corrupt: \(error))")
        }
        guard model.hasGraph, !model.graph.node.isEmpty else { throw ONNXError(file: file, message: "not an ONNX model (no graph nodes)") }
        let directory = url.deletingLastPathComponent()
        let graph = try Graph(model: model, file: file, directory: directory)
        self.file = file
        self.graph = graph
        inputName = graph.inputName
        inputNames = graph.inputNames
        inputShape = graph.inputShape
        outputName = graph.outputName
        opset = graph.opset
        producer = [model.producerName, model.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
        var metadata: [String: String] = [:]
        for entry in model.metadataProps { metadata[entry.key] = entry.value }
        self.metadata = metadata
        endsInProbabilities = graph.endsInProbabilities
        endsInIndependentSigmoids = graph.endsInIndependentSigmoids
        if let text = metadata["labels"], !text.isEmpty {
            labels = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        } else if let classLabels = graph.classifierLabels {
            labels = classLabels
        } else {
            // A labels.txt or dict.txt beside the model: inside its folder, a regular file of at most 16 MiB.
            var found: [String]?
            for name in ["labels.txt", "dict.txt"] where found == nil {
                switch ContainedFile.optionalLines(name, in: directory) {
                case .success(let lines):
                    found = lines?.isEmpty == false ? lines : nil
                case .failure(let refusal):
                    throw ONNXError(file: directory.appendingPathComponent(name).path, message: "labels file \(refusal.message)")
                }
            }
            labels = found
        }
    }

    /// The input layout read from the declared shape: rank 2 is flat; rank 4 is NHWC when
    /// the last axis has 1 or 3 values and the second does not, else NCHW.
    public var detectedLayout: InputLayout? {
        switch inputShape.count {
        case 2: return .flat
        case 4:
            let channelsLast = [1, 3].contains(inputShape[3]), channelsSecond = [1, 3].contains(inputShape[1])
            if channelsLast && !channelsSecond { return .nhwc }
            if channelsSecond { return .nchw }
            return nil
        default: return nil
        }
    }

    /// Runs the graph on a tensor in the graph's own layout and returns its output as the
    /// graph defines it.
    public func run(_ input: Tensor) throws -> Tensor {
        try graph.run(.float(input, channelsLast: false)).graphTensor()
    }

    /// Runs the graph with a tensor (in the graph's own layout) for each named input.
    public func run(feeds: [String: Tensor]) throws -> Tensor {
        var values: [Int: Value] = [:]
        for (name, slot) in zip(graph.inputNames, graph.inputSlots) {
            guard let tensor = feeds[name] else { throw ONNXError(file: file, message: "no value given for input '\(name)'") }
            values[slot] = .float(tensor, channelsLast: false)
        }
        return try graph.run(values).graphTensor()
    }

    /// Runs the graph on an NHWC image batch, laid out as `layout` says, without copying it
    /// for NCHW graphs (the engine works channels-last).
    public func run(images: Tensor, layout: InputLayout) throws -> Tensor {
        let input: Value
        switch layout {
        case .nchw: input = .float(images, channelsLast: true)
        case .nhwc: input = .float(images, channelsLast: false)
        case .flat: input = .float(try images.reshaped([images.shape[0], -1]), channelsLast: false)
        }
        return try graph.run(input).graphTensor()
    }

    /// SHA-256 over the `.onnx` file and each external data file it reads (path relative to
    /// the model's folder, then bytes), so that a stored hash names the weights that ran.
    public func contentHash() throws -> String {
        var hasher = StratumCore.SHA256()
        hasher.update(try Data(contentsOf: URL(fileURLWithPath: file)))
        let root = URL(fileURLWithPath: file).deletingLastPathComponent().resolvingSymlinksInPath().standardizedFileURL.path + "/"
        for path in graph.externalDataFiles {
            hasher.update(Data(String(path.dropFirst(path.hasPrefix(root) ? root.count : 0)).utf8))
            hasher.update(try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        return hasher.hexDigest()
    }

    /// Per-op timings collected so far when `STRATUM_PROFILE` is set (empty otherwise).
    public static var profile: String { ONNXProfile.shared.report() }

    /// The op types of the nodes that run for the output, in order (after folding and fusion).
    public var scheduledOps: [String] { graph.scheduledOps }
}
