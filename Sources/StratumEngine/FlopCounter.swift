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
