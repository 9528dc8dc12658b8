import Foundation
import StratumCore
import StratumImaging

/// Decodes many image files in parallel, keeping their order; the first failure (by index) is thrown.
enum ImageLoading {
    static func decodeAll(_ urls: [URL], progress: @Sendable (Int) -> Void) throws -> [RGBImage] {
        let results = ResultsBox<RGBImage>(count: urls.count)
        let chunk = 64
        let chunks = (urls.count + chunk - 1) / chunk
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let range = (c * chunk)..<min(urls.count, (c + 1) * chunk)
            for index in range {
                results.set(index, Result { try ImageFile.read(urls[index]) })
            }
            progress(results.completed(range.count))
        }
        return try results.values()
    }
}

/// Fixed-size result slots filled from several threads.
/// Invariant: `slots` and `done` are only touched while holding `lock`.
final class ResultsBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<Value, Error>?]
    private var done = 0

    init(count: Int) {
        slots = Array(repeating: nil, count: count)
    }

    func set(_ index: Int, _ result: Result<Value, Error>) {
        lock.lock(); slots[index] = result; lock.unlock()
    }

    /// Adds `count` to the completed total and returns the new total.
    func completed(_ count: Int) -> Int {
        lock.lock(); defer { lock.unlock() }
        done += count
        return done
    }

    func values() throws -> [Value] {
        lock.lock(); defer { lock.unlock() }
        return try slots.map { slot in
            guard let slot else { throw CancellationError() }
            return try slot.get()
        }
    }
}
