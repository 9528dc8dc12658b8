/// Counts of (true label, predicted label) pairs.
///
/// Convention (as scikit-learn's `confusion_matrix`): **rows are true labels, columns are
/// predicted labels**, both in `labels` order. `counts[i][j]` is the number of samples whose
/// true class is `labels[i]` and whose predicted class is `labels[j]`.
public struct ConfusionMatrix: Sendable, Equatable {
    public let labels: [String]
    public private(set) var counts: [[Int]]

    /// An empty matrix over `labels`.
    public init(labels: [String]) {
        self.labels = labels
        self.counts = Array(repeating: Array(repeating: 0, count: labels.count), count: labels.count)
    }

    /// Counts pairs of class indices (each in `0..<labels.count`).
    public init(labels: [String], trueIndices: [Int], predictedIndices: [Int]) {
        precondition(trueIndices.count == predictedIndices.count, "ConfusionMatrix: true and predicted counts differ")
        self.init(labels: labels)
        for (t, p) in zip(trueIndices, predictedIndices) { counts[t][p] += 1 }
    }

    /// Creates a matrix from given counts (square, `labels.count` on each side).
    public init(labels: [String], counts: [[Int]]) {
        precondition(counts.count == labels.count && counts.allSatisfy { $0.count == labels.count }, "ConfusionMatrix: counts must be square")
        self.labels = labels
        self.counts = counts
    }

    /// Total number of samples.
    public var total: Int { counts.reduce(0) { $0 + $1.reduce(0, +) } }
    /// Correct predictions (the diagonal).
    public var correct: Int { labels.indices.reduce(0) { $0 + counts[$1][$1] } }
    /// Samples whose true class is `index` (row sum).
    public func support(_ index: Int) -> Int { counts[index].reduce(0, +) }
    /// Samples predicted as class `index` (column sum).
    public func predictedCount(_ index: Int) -> Int { counts.reduce(0) { $0 + $1[index] } }

    /// Each row divided by its sum; rows with no samples are all zero (and flagged by `support`).
    public var rowNormalized: [[Double]] {
        counts.map { row in
            let sum = row.reduce(0, +)
            return row.map { sum == 0 ? 0 : Double($0) / Double(sum) }
        }
    }
}
