import Foundation
import StratumStore

/// Renews a run's lease every `RunLease.heartbeatInterval` seconds on its own thread until
/// stopped, so other processes (on any machine or in any container) see the run is alive.
/// Invariant: `stopped` is only touched under `lock`.
final class LeaseKeeper: @unchecked Sendable {
    private let lock = NSLock()
    private let wake = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    private var stopped = false

    /// `shard`: also renews that shard's own lease (a sharded run lives while any shard does).
    init(store: any RunStore, runID: RunID, shard: Int? = nil) {
        let holder = RunLease.current
        let thread = Thread { [self] in
            while true {
                _ = wake.wait(timeout: .now() + RunLease.heartbeatInterval)
                lock.lock(); let finish = stopped; lock.unlock()
                if finish { break }
                // A failed renewal is retried at the next beat; the run itself reports store
                // errors. Only what this process holds is renewed: a shard renews the run's
                // lease once it has taken it to finish the run.
                _ = try? store.heartbeat(runID, heldBy: holder, at: Date())
                if let shard { _ = try? store.shardHeartbeat(runID, index: shard, heldBy: holder, at: Date()) }
            }
            done.signal()
        }
        thread.start()
    }

    /// Stops renewing and waits for the thread to end.
    func stop() {
        lock.lock()
        let already = stopped
        stopped = true
        lock.unlock()
        guard !already else { return }
        wake.signal()
        done.wait()
    }

    deinit { stop() }
}
