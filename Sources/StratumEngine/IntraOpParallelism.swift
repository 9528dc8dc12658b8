import CSpinPause
import Foundation
import StratumCore
import Synchronization

/// Splitting one image's large convolutions across cores.
///
/// Batches use every core by giving each thread whole groups of images (`GroupedInference`,
/// which also runs the threads on this pool). A batch smaller than the core count (one
/// image, say) would leave cores idle, so its runner sets `threads` for the run,
/// and large convolutions then cut their output rows into that many parts. The calling
/// thread and `SpinningPool`'s helper threads take the parts in turn, each the next one
/// left, so a part no helper has started by the time the caller is done with its own is
/// run by the caller: a helper whose CPU is busy with something else no longer holds up
/// every op. (On this project's 2-vCPU machine, with a busy loop on the second vCPU, the
/// ResNet-style net at batch 1 ran 15–18% faster so in three alternating pairs, and as fast
/// as before without it. Cutting ops into 2 or 4 parts per thread, to even out threads
/// running at different speeds, was slower: the parts' halo copies and shorter row blocks
/// cost more than they evened out.) The helpers wait for work by spinning for a while before they
/// sleep: one image's ops come every few microseconds, and handing a part to a sleeping
/// thread (what `DispatchQueue.concurrentPerform` does) cost more than the part itself —
/// measured here, it halved single-image throughput.
public enum IntraOpParallelism {
    /// Threads one op may use; 1 (the default) keeps every op on its caller's thread.
    @TaskLocal public static var threads = 1

    /// Below this many floating-point operations an op stays on one thread.
    static let minimumFlops = 200_000

    /// [first, end) ranges covering 0..<total, one per thread, each starting at a multiple of
    /// `alignment`; a single range when the op is small or only one thread is allowed.
    static func ranges(total: Int, alignment: Int, flops: Int) -> [(Int, Int)] {
        let threads = Self.threads
        guard threads > 1, flops >= minimumFlops, total > alignment else { return [(0, total)] }
        let perThread = ((total + threads - 1) / threads + alignment - 1) / alignment * alignment
        return stride(from: 0, to: total, by: perThread).map { ($0, min(total, $0 + perThread)) }
    }

    /// Output-channel ranges, one per thread, for an op whose `rows` output rows would split
    /// unevenly (3 rows on 2 threads: one thread does 2 and the other waits a row's time) when
    /// its `channels` split into equal multiples of `alignment`; nil otherwise, or when the op
    /// stays on one thread. (resnet_style's last stage has 3×3 outputs: its two convolutions
    /// are a fifth of its time at batch 1.)
    static func channelRanges(rows: Int, channels: Int, alignment: Int, flops: Int) -> [(Int, Int)]? {
        let threads = Self.threads
        guard threads > 1, flops >= minimumFlops else { return nil }
        // Split by rows unless the busiest thread would do over 15% more than an even share.
        let rowsPerThread = (rows + threads - 1) / threads
        guard 20 * rowsPerThread * threads > 23 * rows, channels % (threads * alignment) == 0 else { return nil }
        let share = channels / threads
        return (0..<threads).map { ($0 * share, ($0 + 1) * share) }
    }

    /// Runs `body` on every range, in any order and on any of the calling thread and the pool's
    /// helpers when it is free (else on the calling thread, one after another).
    static func run(_ ranges: [(Int, Int)], _ body: @escaping (Int, Int) -> Void) {
        if ranges.count > 1, #available(macOS 15.0, *), SpinningPool.shared.run(parts: ranges.count, { body(ranges[$0].0, ranges[$0].1) }) {
            return
        }
        for range in ranges { body(range.0, range.1) }
    }

    /// Runs `body(worker)` for workers 0..<workers, the caller being one, and returns when every
    /// one has; a worker a helper has not started by the time the caller is done is run by the
    /// caller (`body` must not wait for another worker). A batch's images go this way: on the pool's helpers when it
    /// is free (a helper that has just finished the previous batch is still spinning and starts
    /// at once, where `DispatchQueue.concurrentPerform` wakes a sleeping thread per batch; on
    /// batches of 32 that was ~5% of throughput), else on Dispatch.
    public static func perform(workers: Int, _ body: @escaping @Sendable (Int) -> Void) {
        if workers <= 1 { return body(0) }
        if #available(macOS 15.0, *), SpinningPool.shared.run(parts: workers, body) { return }
        DispatchQueue.concurrentPerform(iterations: workers, execute: body)
    }
}

/// Helper threads (one per core beyond the first) that take parts of one job at a time.
///
/// A job is posted by incrementing `posted` (sequentially consistent) after `job`, `parts`,
/// `next` and `completed` are set; the caller and the helpers then claim parts by incrementing
/// `next`, and count each part they finish in `completed`. A helper takes part in the job it
/// saw posted only after counting itself in `inside` and then finding `open` still set and
/// `posted` unchanged; the caller, once every part is done, clears `open` and waits until
/// `inside` is back to zero before it clears `job` and frees the pool. (Both sides use
/// sequentially consistent operations on `open` and `inside`: a helper either is counted
/// before the caller looks, or sees the job closed.) So the caller never waits for a helper
/// that has not started, a sleeping one or one whose CPU the host has given to another guest
/// for a while, and no helper touches a job after its caller has returned. A helper that has
/// spun `spinTime` without work sleeps on `wakeUp`; a poster that sees a sleeper broadcasts
/// (the sleeper re-checks `posted` under the lock before waiting, and both sides use
/// sequentially consistent operations on `posted` and `sleepers`, so a post is never missed).
/// Spinning threads execute x86 PAUSE (ARM YIELD) on every turn.
@available(macOS 15.0, *)
final class SpinningPool: @unchecked Sendable {
    static let shared = SpinningPool(helpers: max(0, CPUCores.available - 1))

    /// How long a helper without work spins (relaxed loads, the clock read every 1,024) before
    /// it sleeps. Waking a sleeping thread takes far longer than one image's ops on a VM (an
    /// inter-processor interrupt to a halted virtual CPU): with helpers that slept after 200,000
    /// spins (~0.1 ms), small-cnn at batch 1 on 2 cores ran at 5,650 images/s; spinning up to
    /// 2 ms it ran at ~7,800. The cost is at most that much CPU after the last parallel op.
    static let spinTime: UInt64 = 2_000_000
    /// While work of this process runs beside inference (`SharedCores`: `stratum run` decodes
    /// the next chunk and writes predictions beside it), spinning threads yield their core
    /// (`sched_yield`) every 1,024 spins: a caller waiting for its helpers from the start, a
    /// helper without work once it has waited this long. A spinning thread would otherwise
    /// hold a core that work could use until the scheduler preempts it; with nothing else
    /// runnable, `sched_yield` returns at once. Measured on a 20,000-image run (2-core AMD
    /// EPYC): spinning fell from ~9% of the process's CPU samples to ~2.7%; the predictions
    /// stage of 2,000-image runs was ~4% faster by median of 16 alternating pairs (and of 10
    /// more with helpers yielding at once). The ops of one image's inference come
    /// microseconds apart, well under 50 µs, so a helper at batch 1 does not yield.
    ///
    /// Without such work the threads do not yield. A yielding thread stays runnable, and
    /// another program on the machine, even at the lowest priority, then has the core until
    /// its time slice ends. With two `nice -n 19` busy loops beside `bench tfjs` (AVX-512
    /// kernels, medians of 4 alternating rounds), yielding always against yielding only
    /// beside such work: small-cnn 8,614 against 11,368 images/s at batch 1 and 15,048
    /// against 16,528 at batch 32, resnet_style 5,829 against 8,211 at batch 1. Without other
    /// load the two are even (8 alternating rounds: every row within 2.5%, five of six ahead
    /// not yielding), and so are `bench tfjs`'s paired ratios to onnxruntime (5 rounds) and
    /// the predictions stage of alternating 2,000-image runs. Sleeping after 50 µs instead of
    /// yielding also fixed the busy loops' case, but lost to onnxruntime's threads spinning
    /// beside it (in `bench tfjs`'s paired passes, small-cnn batch 32 went from 1.01× to 0.64×
    /// onnxruntime's rate): a sleeping thread woken while another spins on its core waits for
    /// that thread's slice.
    static let yieldAfter: UInt64 = 50_000

    let helpers: Int
    private let posted = Atomic<Int>(0)
    private let next = Atomic<Int>(0)
    private let completed = Atomic<Int>(0)
    private let inside = Atomic<Int>(0)
    private let open = Atomic<Bool>(false)
    private let sleepers = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let wakeUp = NSCondition()
    private nonisolated(unsafe) var job: ((Int) -> Void)?
    private nonisolated(unsafe) var parts = 0

    init(helpers: Int) {
        self.helpers = helpers
        for index in 0..<helpers {
            let thread = Thread { [self] in work(helper: index) }
            thread.name = "stratum-intra-op-\(index + 1)"
            thread.start()
        }
    }

    /// Runs parts 0..<parts here and on the helpers, each part once; false (nothing run) when the
    /// pool is in use by another caller or has no helper.
    func run(parts: Int, _ body: @escaping (Int) -> Void) -> Bool {
        guard helpers > 0, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        job = body
        self.parts = parts
        next.store(0, ordering: .relaxed)
        completed.store(0, ordering: .relaxed)
        open.store(true, ordering: .sequentiallyConsistent)
        posted.add(1, ordering: .sequentiallyConsistent)
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            wakeUp.lock(); wakeUp.broadcast(); wakeUp.unlock()
        }
        let profile = PoolProfile.shared.enabled ? PoolProfile.shared : nil
        let posted = profile?.now() ?? 0
        take(body, parts)
        let ownDone = profile?.now() ?? 0
        var spins = 0
        while completed.load(ordering: .acquiring) < parts {
            stratum_spin_pause()
            spins &+= 1
            if spins & 1023 == 0 && SharedCores.inUse { sched_yield() }
        }
        profile?.recordJob(posted: posted, ownDone: ownDone, done: profile?.now() ?? 0)
        open.store(false, ordering: .sequentiallyConsistent)
        while inside.load(ordering: .sequentiallyConsistent) > 0 { stratum_spin_pause() }
        job = nil
        busy.store(false, ordering: .releasing)
        return true
    }

    /// Runs parts not yet taken until none is left.
    private func take(_ body: (Int) -> Void, _ parts: Int) {
        while true {
            let part = next.add(1, ordering: .relaxed).oldValue
            guard part < parts else { return }
            body(part)
            completed.add(1, ordering: .releasing)
        }
    }

    private func work(helper index: Int) {
        var seen = 0
        while true {
            var spins = 0
            var started: UInt64 = 0
            while posted.load(ordering: .relaxed) == seen {
                stratum_spin_pause()
                spins &+= 1
                if spins & 1023 != 0 { continue }
                let now = DispatchTime.now().uptimeNanoseconds
                if started == 0 { started = now }
                if now - started >= Self.yieldAfter && SharedCores.inUse { sched_yield() }
                if now - started >= Self.spinTime {
                    wakeUp.lock()
                    sleepers.add(1, ordering: .sequentiallyConsistent)
                    while posted.load(ordering: .sequentiallyConsistent) == seen { wakeUp.wait() }
                    sleepers.subtract(1, ordering: .sequentiallyConsistent)
                    wakeUp.unlock()
                }
            }
            seen = posted.load(ordering: .acquiring)
            inside.add(1, ordering: .sequentiallyConsistent)
            if open.load(ordering: .sequentiallyConsistent), posted.load(ordering: .sequentiallyConsistent) == seen, let job {
                let profile = PoolProfile.shared.enabled ? PoolProfile.shared : nil
                let started = profile?.now() ?? 0
                take(job, parts)
                profile?.recordHelper(started: started)
            }
            inside.subtract(1, ordering: .sequentiallyConsistent)
        }
    }
}

/// Where one image's time goes around `SpinningPool` when STRATUM_PROFILE=pool (a development
/// aid, printed by `stratum bench tfjs`): per parallel op, the calling thread's own parts, its
/// wait for the helpers' parts, the helpers' parts, and the time the calling thread spends
/// alone between one op's end and the next op's post (graph bookkeeping, allocations, ops left
/// on one thread); the helpers have nothing to do then.
@available(macOS 15.0, *)
public final class PoolProfile: Sendable {
    public static let shared = PoolProfile(enabled: ProfileMode.current == .pool)
    let enabled: Bool
    private let jobs = Atomic<Int>(0)
    private let ownParts = Atomic<UInt64>(0), waits = Atomic<UInt64>(0), alone = Atomic<UInt64>(0)
    private let helperParts = Atomic<UInt64>(0), helperJobs = Atomic<Int>(0)
    /// When the calling thread's last op ended (0: none yet, or it was too long ago to count).
    private let lastEnd = Atomic<UInt64>(0)

    init(enabled: Bool) { self.enabled = enabled }

    func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    func recordJob(posted: UInt64, ownDone: UInt64, done: UInt64) {
        jobs.add(1, ordering: .relaxed)
        ownParts.add(ownDone - posted, ordering: .relaxed)
        waits.add(done - ownDone, ordering: .relaxed)
        let previous = lastEnd.exchange(done, ordering: .relaxed)
        // Gaps over a millisecond are between passes or batches, not between one image's ops.
        if previous > 0 && posted > previous && posted - previous < 1_000_000 { alone.add(posted - previous, ordering: .relaxed) }
    }

    func recordHelper(started: UInt64, ended: UInt64? = nil) {
        helperJobs.add(1, ordering: .relaxed)
        helperParts.add((ended ?? now()) - started, ordering: .relaxed)
    }

    /// Totals since the start, per op run on the pool.
    public func report() -> String {
        let count = max(1, jobs.load(ordering: .relaxed)), helped = max(1, helperJobs.load(ordering: .relaxed))
        func perJob(_ total: borrowing Atomic<UInt64>, _ jobs: Int) -> Double { Double(total.load(ordering: .relaxed)) / 1e3 / Double(jobs) }
        return String(format: "pool: %d parallel ops; per op: calling thread's parts %.2f µs, its wait for the helpers %.2f µs, "
                      + "helpers' parts %.2f µs (in %d ops), calling thread alone before the next op %.2f µs",
                      jobs.load(ordering: .relaxed), perJob(ownParts, count), perJob(waits, count), perJob(helperParts, helped),
                      helperJobs.load(ordering: .relaxed), perJob(alone, count))
    }
}
