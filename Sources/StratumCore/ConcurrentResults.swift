import Foundation

/// Fixed-size result slots that several threads fill (e.g. from `DispatchQueue.concurrentPerform`),
/// read back in index order once the work is done.
///
/// Invariant: `slots` and `done` are only touched while holding `lock`; that is what makes the
/// `@unchecked Sendable` sound.
public final class ConcurrentResults<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<Value, Error>?]
    private var done = 0
    private var claimed = 0

    public init(count: Int) {
        slots = Array(repeating: nil, count: count)
    }

    /// Stores the result of item `index`.
    public func set(_ index: Int, _ result: Result<Value, Error>) {
        lock.lock(); slots[index] = result; lock.unlock()
    }

    /// The next item nobody has claimed yet, or nil when all are taken: workers that pull
    /// items this way share the work evenly even when one of them runs slower.
    public func claimNext() -> Int? {
        claimNext(upTo: 1)?.lowerBound
    }

    /// The next `limit` items nobody has claimed yet (fewer at the end), or nil when all are taken.
    public func claimNext(upTo limit: Int) -> Range<Int>? {
        lock.lock(); defer { lock.unlock() }
        guard claimed < slots.count else { return nil }
        let first = claimed
        claimed = min(slots.count, claimed + max(1, limit))
        return first..<claimed
    }

    /// Adds `count` finished items and returns the total so far (for progress reports).
    public func finished(_ count: Int) -> Int {
        lock.lock(); defer { lock.unlock() }
        done += count
        return done
    }

    /// The values in index order; throws the error of the first failed item (by index), or
    /// `MissingResult` for an item never set.
    public func values() throws -> [Value] {
        lock.lock(); defer { lock.unlock() }
        return try slots.enumerated().map { index, slot in
            guard let slot else { throw MissingResult(index: index) }
            return try slot.get()
        }
    }

    /// Every item's result in index order (an item never set counts as `MissingResult`).
    public func results() -> [Result<Value, Error>] {
        lock.lock(); defer { lock.unlock() }
        return slots.enumerated().map { index, slot in slot ?? .failure(MissingResult(index: index)) }
    }

    /// An item's result was never stored.
    public struct MissingResult: Error, CustomStringConvertible {
        public var index: Int
        public var description: String { "item \(index) was not processed" }
    }
}
