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

    /// Loads the model, predicts every image in batches, closes the model. The input scaling is
    /// the kind's `normalize` option, as in an experiment. `applyOrientation`: whether images are
    /// turned as their EXIF orientation tag says, as in a run.
    public static func run(model path: URL, kind: String?, images: [URL], options: [String: String],
                           batchSize: Int = 32, applyOrientation: Bool = true, registry: ModelRegistry = .standard) throws -> Output {
        guard let kind = kind ?? registry.kind(of: path) else {
            throw RunError(message: "\(path.path): no model kind recognises this file; pass --kind (registered: \(registry.kinds.joined(separator: ", ")))", isBadInput: true)
        }
        let loader = try registry.loader(for: kind)
        let spec = ModelSpec(name: path.lastPathComponent, kind: kind, path: path, options: options)
        try loader.checkOptions(of: spec)
        let classifier = try loader.load(spec)
        defer { classifier.close() }
        let input = classifier.descriptor.input
        var rows: [Row] = []
        var start = 0
        while start < images.count {
            let chunk = Array(images[start..<min(images.count, start + batchSize)])
            // Paths named on the command line: a pipe is read too (`predict MODEL /dev/stdin`).
            let decoded = try chunk.map { try ImageFile.read($0, applyOrientation: applyOrientation, allowingPipes: true) }
            for (url, image) in zip(chunk, decoded) { try Preprocessor.checkSize(image, for: input, source: url.path) }
            let probabilities = try classifier.predict(Preprocessor.batch(decoded, for: input))
            // As `run` checks them: a model's logits or NaNs are not shown as probabilities.
            try StreamingEvaluation.check(probabilities, count: chunk.count, labels: classifier.descriptor.labels.count,
                                          model: path.path, firstSample: chunk[0].path)
            for (url, row) in zip(chunk, probabilities) {
                rows.append(Row(input: url.path, predicted: classifier.descriptor.labels[row.argmax], probabilities: row))
            }
            start += batchSize
        }
        return Output(model: path.path, kind: kind, labels: classifier.descriptor.labels, predictions: rows)
    }
}
