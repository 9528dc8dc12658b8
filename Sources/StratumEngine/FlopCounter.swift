import Foundation

/// Counts the floating-point operations of matrix products and convolutions (2 per
/// multiply-add), for benchmarks to report GFLOP/s. Off unless `enabled`.
///
/// Invariant: `count` and `enabled` are only touched under `lock`.
public final class FlopCounter: @unchecked Sendable {
    public static let shared = FlopCounter()
    private let lock = NSLock()
    private var count: Double = 0
    private var enabled = false

    /// Starts counting from zero.
    public func start() { lock.lock(); count = 0; enabled = true; lock.unlock() }

    /// Stops counting and returns the total.
    @discardableResult
    public func stop() -> Double { lock.lock(); defer { lock.unlock() }; enabled = false; return count }

    func add(_ flops: Int) {
        lock.lock(); if enabled { count += Double(flops) }; lock.unlock()
    }
}

/// The most floating-point operations (2 per multiply-add) one convolution or matrix product
/// may take; over it the op throws instead of computing. Unlimited by default. The fuzz
/// harnesses set it, so that a model file asking for minutes of arithmetic is an error rather
/// than a hang; a service running untrusted models can do the same.
public enum ComputeLimit {
    nonisolated(unsafe) public static var maximumFlopsPerOp: Int = .max

    /// 2·∏factors, saturating at Int.max (factors come from model files), checked against the limit.
    static func check(_ factors: Int..., op: String) throws -> Int {
        var product = 2
        for factor in factors {
            let (next, overflow) = product.multipliedReportingOverflow(by: max(0, factor))
            product = overflow ? .max : next
        }
        guard product <= maximumFlopsPerOp else {
            throw EngineError.unsupported("\(op) needs \(product) floating-point operations, over the limit of \(maximumFlopsPerOp)")
        }
        return product
    }
}
