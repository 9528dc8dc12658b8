import Foundation
import StratumCore

/// Independent pieces of statistical work (slices, variants) spread over every core.
public enum StatisticsParallel {
    public static func map<T: Sendable, R: Sendable>(_ items: [T], _ body: @Sendable (T) -> R) -> [R] {
        guard items.count > 1 else { return items.map(body) }
        let results = ConcurrentResults<R>(count: items.count)
        DispatchQueue.concurrentPerform(iterations: items.count) { i in results.set(i, .success(body(items[i]))) }
        return results.results().map { try! $0.get() }  // every index was set above
    }
}
