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

    /// `map`, largest items first, never starting one while the sizes in flight plus its own
    /// would exceed `budget` (an item larger than the budget runs alone). Memory that grows
    /// with an item's size (a slice's resampling arrays) is then bounded by the budget,
    /// not by the two largest items at once. Results are in `items` order.
    /// - Parameter size: each item's share of the budget (e.g. its number of members).
    public static func map<T: Sendable, R: Sendable>(_ items: [T], size: (T) -> Int, budget: Int, _ body: @Sendable (T) -> R) -> [R] {
        guard items.count > 1 else { return items.map(body) }
        let sizes = items.map { max(0, size($0)) }
        let queue = BudgetedQueue(sizes: sizes, budget: budget)
        let results = ConcurrentResults<R>(count: items.count)
        let workers = min(items.count, max(1, ProcessInfo.processInfo.activeProcessorCount))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let i = queue.take() {
                results.set(i, .success(body(items[i])))
                queue.finish(i)
            }
        }
        return results.results().map { try! $0.get() }  // every index was taken above
    }
}

/// Indices waiting to run, largest first, handed out within a budget of size in flight.
/// Invariant: `waiting` and `inFlight` are only touched while `condition` is locked.
private final class BudgetedQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private let sizes: [Int]
    private let budget: Int
    private var waiting: [Int]
    private var inFlight = 0
    private var running = 0

    init(sizes: [Int], budget: Int) {
        self.sizes = sizes
        self.budget = budget
        waiting = sizes.indices.sorted { sizes[$0] != sizes[$1] ? sizes[$0] > sizes[$1] : $0 < $1 }
    }

    /// The largest waiting item that fits beside those running; waits while none does; nil when none is left.
    func take() -> Int? {
        condition.lock(); defer { condition.unlock() }
        while true {
            if waiting.isEmpty { return nil }
            if let k = waiting.firstIndex(where: { running == 0 || inFlight + sizes[$0] <= budget }) {
                let i = waiting.remove(at: k)
                inFlight += sizes[i]
                running += 1
                return i
            }
            condition.wait()
        }
    }

    func finish(_ i: Int) {
        condition.lock()
        inFlight -= sizes[i]
        running -= 1
        condition.broadcast()
        condition.unlock()
    }
}
