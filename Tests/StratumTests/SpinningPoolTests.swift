import Foundation
@testable import StratumEngine
import Synchronization
import Testing

/// `SpinningPool`: every part of a job runs exactly once, whichever thread takes it, and the
/// caller does not wait for a helper that is busy elsewhere: it runs the parts left itself.
@Suite struct SpinningPoolTests {
    /// Many jobs in a row, of 1 to 6 parts on a pool of 1 to 3 helpers: each part's slot is
    /// incremented once, and no part of a job runs after its `run` returned (a helper still
    /// inside a finished job would add to the next job's counts, or to a freed one's).
    @Test(arguments: [1, 2, 3])
    func everyPartRunsOnceAndWithinItsJob(helpers: Int) {
        let pool = SpinningPool(helpers: helpers)
        let counts = Mutex<[Int]>([])
        for job in 0..<3_000 {
            let parts = 1 + job % 6
            counts.withLock { $0 = [Int](repeating: 0, count: parts) }
            #expect(pool.run(parts: parts) { part in counts.withLock { $0[part] += 1 } })
            let snapshot = counts.withLock { $0 }
            if snapshot != [Int](repeating: 1, count: parts) {
                Issue.record("job \(job): parts ran \(snapshot) times")
                return
            }
        }
    }

    /// A part the helper takes stalls (as on a CPU the host gives to something else): the
    /// caller goes on with the parts left instead of leaving any to the helper.
    @Test func theCallerRunsThePartsNoHelperTook() {
        let pool = SpinningPool(helpers: 1)
        let caller = Thread.current
        for _ in 0..<3 {
            let byCaller = Atomic<Int>(0), byHelper = Atomic<Int>(0)
            let parts = 6
            #expect(pool.run(parts: parts) { _ in
                if Thread.current == caller {
                    // The caller's first part waits (up to 5 s) for the helper to take one.
                    if byCaller.add(1, ordering: .relaxed).oldValue == 0 {
                        let deadline = Date().addingTimeInterval(5)
                        while byHelper.load(ordering: .relaxed) == 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.001) }
                    }
                } else {
                    byHelper.add(1, ordering: .relaxed)
                    Thread.sleep(forTimeInterval: 0.2)
                }
            })
            #expect(byHelper.load(ordering: .relaxed) == 1)
            #expect(byCaller.load(ordering: .relaxed) == parts - 1)
        }
    }

    /// STRATUM_PROFILE=pool's figures: per parallel op, the calling thread's parts, its wait,
    /// the helpers' parts, and the calling thread's time alone since the previous op ended (a
    /// gap over a millisecond, between passes, left out).
    @Test func poolProfileAveragesPerOp() {
        let profile = PoolProfile(enabled: true)
        profile.recordJob(posted: 1_000, ownDone: 9_000, done: 10_000)
        profile.recordJob(posted: 14_000, ownDone: 20_000, done: 22_000)       // 4 µs alone before it
        profile.recordJob(posted: 3_022_000, ownDone: 3_030_000, done: 3_031_000) // 3 ms later: not counted
        profile.recordHelper(started: 0, ended: 8_500)
        #expect(profile.report() == "pool: 3 parallel ops; per op: calling thread's parts 7.33 µs, its wait for the helpers 1.33 µs, "
                + "helpers' parts 8.50 µs (in 1 ops), calling thread alone before the next op 1.33 µs")
    }

    /// A pool that is in use refuses a second caller (who then runs its parts alone).
    @Test func aBusyPoolRefusesAnotherCaller() {
        let pool = SpinningPool(helpers: 1)
        let nested = Mutex<Bool?>(nil)
        #expect(pool.run(parts: 2) { part in
            guard part == 0 || part == 1 else { return }
            let accepted = pool.run(parts: 2) { _ in }
            nested.withLock { if $0 == nil || accepted { $0 = accepted } }
        })
        #expect(nested.withLock { $0 } == false)
    }
}
