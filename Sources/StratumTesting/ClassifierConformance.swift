import StratumCore

/// Checks the contract every `ImageClassifier` must keep; each model kind's tests run it.
///
/// Checked: labels non-empty and unique; one row per image, one probability per label;
/// rows finite, non-negative and summing to 1; the same answer for the same input
/// (determinism); the same rows whether images come alone or in a batch (batch-size
/// invariance, order preserved).
public enum ClassifierConformance {
    /// Returns the violations found (empty when the classifier conforms).
    /// `batch` should hold at least 2 distinct images shaped as `descriptor.input` asks.
    public static func violations(of classifier: any ImageClassifier, on batch: ImageBatch, tolerance: Float = 1e-4) -> [String] {
        var problems: [String] = []
        let labels = classifier.descriptor.labels
        if labels.isEmpty { problems.append("labels are empty") }
        if Set(labels).count != labels.count { problems.append("labels are not unique: \(labels)") }
        let rows: [[Float]]
        do {
            rows = try classifier.predict(batch)
        } catch {
            return problems + ["predict threw: \(error)"]
        }
        guard rows.count == batch.count else { return problems + ["\(rows.count) rows for \(batch.count) images"] }
        for (index, row) in rows.enumerated() {
            if row.count != labels.count { problems.append("row \(index) has \(row.count) values for \(labels.count) labels"); continue }
            if !row.allSatisfy({ $0.isFinite && $0 >= 0 }) { problems.append("row \(index) has a non-finite or negative value: \(row)") }
            let sum = row.reduce(0, +)
            if abs(sum - 1) > tolerance { problems.append("row \(index) sums to \(sum)") }
        }
        // Every later call must succeed too: an error there is a violation, never skipped.
        func predict(_ what: String, _ input: ImageBatch) -> [[Float]]? {
            do {
                let result = try classifier.predict(input)
                guard result.count == input.count else {
                    problems.append("\(what): \(result.count) rows for \(input.count) images")
                    return nil
                }
                return result
            } catch {
                problems.append("\(what) threw: \(error)")
                return nil
            }
        }
        func differs(_ a: [Float], _ b: [Float]) -> Bool {
            a.count != b.count || zip(a, b).contains { !(abs($0 - $1) <= tolerance) }
        }
        if let again = predict("predicting the same batch again", batch), again != rows { problems.append("two predictions of the same batch differ") }
        for index in 0..<batch.count {
            let single = ImageBatch(count: 1, height: batch.height, width: batch.width, channels: batch.channels, values: Array(batch.image(index)))
            guard let row = predict("predicting image \(index) alone", single)?.first else { continue }
            if differs(row, rows[index]) {
                problems.append("image \(index) alone gives \(row), in the batch \(rows[index])")
            }
        }
        if batch.count >= 2 {
            let reversedValues = (0..<batch.count).reversed().flatMap { Array(batch.image($0)) }
            let reversed = ImageBatch(count: batch.count, height: batch.height, width: batch.width, channels: batch.channels, values: reversedValues)
            if let rowsReversed = predict("predicting the reversed batch", reversed) {
                for index in 0..<batch.count where differs(rowsReversed[batch.count - 1 - index], rows[index]) {
                    problems.append("reversing the batch changed image \(index)'s row (order not preserved)")
                }
            }
        }
        return problems
    }
}
