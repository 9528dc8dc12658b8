import Foundation
import StratumCore
import StratumImaging
import StratumStore

/// Runs one classifier over the evaluated samples in batches, storing each batch in one transaction.
struct VariantEvaluation {
    let store: Store
    let runID: Int64
    let samples: [Sample]
    /// The dataset's class labels: a model may not predict any other.
    let datasetLabels: [String]
    let sampleIDs: [Int64]
    let images: [RGBImage]
    let batchSize: Int
    let events: @Sendable (RunEvent) -> Void

    struct Predicted {
        var trueIndices: [Int]
        var predictedIndices: [Int]
    }

    /// Predicts every sample; throws (after storing the batches done) when the model fails or
    /// returns malformed probabilities.
    func predict(_ classifier: any ImageClassifier, variantID: Int64) throws -> Predicted {
        let descriptor = classifier.descriptor
        let labels = descriptor.labels
        let foreign = labels.filter { !datasetLabels.contains($0) }
        guard foreign.isEmpty else {
            throw RunError(message: "model '\(descriptor.name)' has label(s) \(foreign.map { "'\($0)'" }.joined(separator: ", ")) that the dataset does not (dataset labels: \(datasetLabels.joined(separator: ", "))); its predictions would not be comparable")
        }
        let labelIndex = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        let trueIndices = try samples.map { sample -> Int in
            guard let index = labelIndex[sample.label] else {
                throw RunError(message: "sample '\(sample.id)' has label '\(sample.label)', which model '\(descriptor.name)' does not know (its labels: \(labels.joined(separator: ", ")))")
            }
            return index
        }
        var predictedIndices: [Int] = []
        predictedIndices.reserveCapacity(samples.count)
        var start = 0
        while start < samples.count {
            let end = min(samples.count, start + batchSize)
            let batch = Preprocessor.batch(Array(images[start..<end]), for: descriptor.input)
            let rows = try classifier.predict(batch)
            try Self.check(rows, count: end - start, labels: labels.count, model: descriptor.name, firstSample: samples[start].id)
            var records: [PredictionRecord] = []
            for (offset, row) in rows.enumerated() {
                let predicted = row.argmax
                predictedIndices.append(predicted)
                records.append(PredictionRecord(id: nil, runId: runID, modelVariantId: variantID, sampleId: sampleIDs[start + offset], predicted: labels[predicted], probabilities: row))
            }
            try store.insertPredictions(records)
            start = end
            events(.predicting(variant: descriptor.name, done: end, total: samples.count))
        }
        return Predicted(trueIndices: trueIndices, predictedIndices: predictedIndices)
    }

    static func check(_ rows: [[Float]], count: Int, labels: Int, model: String, firstSample: String) throws {
        guard rows.count == count else {
            throw RunError(message: "model '\(model)' returned \(rows.count) rows for a batch of \(count) (batch starting at sample '\(firstSample)')")
        }
        for (index, row) in rows.enumerated() {
            guard row.count == labels else {
                throw RunError(message: "model '\(model)' returned \(row.count) probabilities for \(labels) labels (row \(index) of the batch starting at '\(firstSample)')")
            }
            guard row.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
                throw RunError(message: "model '\(model)' returned a non-finite or negative probability (row \(index) of the batch starting at '\(firstSample)')")
            }
            let sum = row.reduce(0, +)
            guard abs(sum - 1) <= 1e-3 else {
                throw RunError(message: "model '\(model)' returned probabilities summing to \(sum), not 1 (row \(index) of the batch starting at '\(firstSample)')")
            }
        }
    }
}
