/// A model variant that turns a batch of preprocessed images into class probabilities.
///
/// Every model kind (logistic, TensorFlow.js, external process, …) implements this one
/// protocol. The runner never needs to know which kind it is talking to.
///
/// - `predict` receives images already resized and normalised as `descriptor.input` asks,
///   and returns one row per image, in batch order, each row holding one probability per
///   label in `descriptor.labels` order. Rows must be finite and sum to 1 (within 1e-4).
public protocol ImageClassifier: Sendable {
    /// What the model is and what input it expects.
    var descriptor: ModelDescriptor { get }

    /// Per-class probabilities for each image of `batch`.
    func predict(_ batch: ImageBatch) throws -> [[Float]]

    /// Releases what the model holds (e.g. stops a plugin process). The runner calls it once,
    /// after the last batch; the default does nothing.
    func close()
}

extension ImageClassifier {
    public func close() {}

    /// The index of the most probable class in each row (ties go to the lower index).
    public func predictedIndices(_ batch: ImageBatch) throws -> [Int] {
        try predict(batch).map(\.argmax)
    }
}

extension Array where Element == Float {
    /// Index of the largest element; the first one on ties; 0 for an empty array.
    public var argmax: Int {
        var best = 0
        for index in indices where self[index] > self[best] { best = index }
        return best
    }
}
