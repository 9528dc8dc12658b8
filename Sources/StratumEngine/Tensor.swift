/// A dense float32 tensor, row-major; 4-D image tensors are NHWC.
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var data: [Float]

    /// Creates a tensor; `data.count` must equal the product of `shape`.
    public init(shape: [Int], data: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 } && data.count == shape.reduce(1, *), "Tensor: \(data.count) values for shape \(shape)")
        self.shape = shape
        self.data = data
    }

    /// The most values an op may produce (1 GiB of float32): shapes computed from model files
    /// are checked against it before allocating.
    /// (A variable so that the fuzz harnesses can lower it to fit their memory limit; set it
    /// before running models, never while they run.)
    nonisolated(unsafe) public static var maxElements = 1 << 28

    /// The number of values of `shape`, or nil when a dimension is negative or the product of
    /// its non-zero dimensions overflows or exceeds `maxElements`. An empty tensor is bounded
    /// too: [0, 2^32, 2^32] holds no value, but code that multiplies some of its dimensions
    /// (strides, a filter's channels) overflowed on it (review of hostile model files).
    public static func checkedCount(_ shape: [Int]) -> Int? {
        var count = 1, extent = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = extent.multipliedReportingOverflow(by: Swift.max(dimension, 1))
            guard !overflow, product <= maxElements else { return nil }
            extent = product
            count *= dimension  // at most `extent`
        }
        return count
    }

    /// A tensor of zeros.
    public init(zeros shape: [Int]) {
        self.init(shape: shape, data: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    /// A scalar.
    public init(scalar: Float) {
        self.init(shape: [], data: [scalar])
    }

    public var count: Int { data.count }
    public var rank: Int { shape.count }

    /// Row-major strides.
    public var strides: [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= shape[axis]
        }
        return strides
    }

    /// The same values with another shape; one dimension may be −1 (inferred).
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        // The target may come from a model file: every product is checked (found by fuzzing).
        var known = 1
        for dimension in newShape where dimension != -1 {
            let (product, overflow) = known.multipliedReportingOverflow(by: dimension)
            guard dimension >= 0, !overflow else { throw EngineError.shapeMismatch("cannot reshape \(shape) to \(newShape)") }
            known = product
        }
        var resolved = newShape
        if let unknown = newShape.firstIndex(of: -1) {
            guard newShape.filter({ $0 == -1 }).count == 1, known > 0, count % known == 0 else {
                throw EngineError.shapeMismatch("cannot reshape \(shape) to \(newShape)")
            }
            resolved[unknown] = count / known
        } else if known != count {
            throw EngineError.shapeMismatch("cannot reshape \(shape) (\(count) values) to \(newShape)")
        }
        // An empty tensor reshaped to [0, 2^61, 2^61] matches its count: bounded as any shape.
        guard Tensor.checkedCount(resolved) != nil else {
            throw EngineError.shapeMismatch("cannot reshape \(shape) to \(newShape): over \(Tensor.maxElements) values")
        }
        return Tensor(shape: resolved, data: data)
    }
}

/// An operation could not run on its inputs.
public enum EngineError: Error, Equatable, CustomStringConvertible {
    case shapeMismatch(String)
    case unsupported(String)

    public var description: String {
        switch self {
        case .shapeMismatch(let message): return "shape mismatch: \(message)"
        case .unsupported(let message): return "unsupported: \(message)"
        }
    }
}
