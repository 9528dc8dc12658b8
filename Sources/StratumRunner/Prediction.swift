import Foundation
import StratumCore
import StratumImaging

/// `stratum predict`: any registered kind on image files, outside an experiment.
public enum Prediction {
    public struct Row: Sendable, Encodable {
        public var input: String
        public var predicted: String
        public var probabilities: [Float]
    }

    public struct Output: Sendable, Encodable {
        public var model: String
        public var kind: String
        public var labels: [String]
        public var predictions: [Row]
    }

    /// The kind a model path most likely is: a `stratum-logistic` JSON file → `logistic`;
    /// a folder with `model.json` → `tfjs`; a folder with `plugin.json` or an executable → `process`.
    public static func guessKind(_ path: URL) -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path.path, isDirectory: &isDirectory) else { return nil }
        if isDirectory.boolValue {
            if FileManager.default.fileExists(atPath: path.appendingPathComponent("model.json").path) { return "tfjs" }
            if FileManager.default.fileExists(atPath: path.appendingPathComponent("plugin.json").path) { return "process" }
            return nil
        }
        if path.lastPathComponent == "model.json" { return "tfjs" }
        if path.pathExtension == "json", let data = try? Data(contentsOf: path), String(decoding: data, as: UTF8.self).contains("\"stratum-logistic\"") {
            return "logistic"
        }
        return FileManager.default.isExecutableFile(atPath: path.path) ? "process" : nil
    }

    /// Loads the model, predicts every image in batches, closes the model.
    public static func run(model path: URL, kind: String?, images: [URL], normalization: Normalization?, options: [String: String],
                           batchSize: Int = 32, registry: ModelRegistry = .standard) throws -> Output {
        guard let kind = kind ?? guessKind(path) else {
            throw RunError(message: "\(path.path): cannot tell the model kind; pass --kind (registered: \(registry.kinds.joined(separator: ", ")))")
        }
        if normalization != nil && kind == "process" {
            throw RunError(message: "--normalize cannot be used with kind process: the plugin declares its own normalisation in its hello")
        }
        let classifier = try registry.loader(for: kind).load(ModelSpec(name: path.lastPathComponent, kind: kind, path: path, options: options))
        defer { classifier.close() }
        var input = classifier.descriptor.input
        if let normalization { input.normalization = normalization }
        var rows: [Row] = []
        var start = 0
        while start < images.count {
            let chunk = Array(images[start..<min(images.count, start + batchSize)])
            let decoded = try chunk.map(ImageFile.read)
            let probabilities = try classifier.predict(Preprocessor.batch(decoded, for: input))
            guard probabilities.count == chunk.count else {
                throw RunError(message: "model returned \(probabilities.count) rows for \(chunk.count) images")
            }
            for (url, row) in zip(chunk, probabilities) {
                guard row.count == classifier.descriptor.labels.count else {
                    throw RunError(message: "model returned \(row.count) probabilities for \(classifier.descriptor.labels.count) labels")
                }
                rows.append(Row(input: url.path, predicted: classifier.descriptor.labels[row.argmax], probabilities: row))
            }
            start += batchSize
        }
        return Output(model: path.path, kind: kind, labels: classifier.descriptor.labels, predictions: rows)
    }
}
