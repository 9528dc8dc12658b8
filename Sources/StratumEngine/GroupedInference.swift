import Foundation
import StratumCore
import Synchronization

/// Runs a batch's images through a model a few at a time, on every core.
///
/// One image per graph run keeps its activations in cache, but every op's fixed cost (the
/// graph's bookkeeping, allocating its output, a kernel's set-up) is paid per image, and a
/// fully connected layer streams its whole weight matrix per image. Groups of `groupSize`
/// images per run share those: on one core, torch-mobilenetv3 went from ~4,200 to ~5,500
/// images/s with groups of 4, resnet_style from ~3,900 to ~4,300 (groups of 8 spilled the
/// first layers' activations out of a 1 MB L2 and were slower for resnet_style).
///
/// A graph whose batch size is fixed, or one that folds the batch into a shape somewhere,
/// cannot take groups: the first grouped run of each model is checked against its first image
/// run alone, and a model that fails grouped, or differs by more than 1e-4, runs one image at
/// a time from then on (`Grouping`).
public enum GroupedInference {
    /// Images per graph run.
    public static let groupSize = 4

    /// Whether a model takes groups: unknown until its first grouped run has been checked.
    /// Also holds, per model, whether single images run faster split across the cores or on
    /// one (`SplitChoice`).
    public final class Grouping: Sendable {
        private let state: Atomic<Int>
        let split = SplitChoice()
        /// `allowed` false (a fixed batch size of 1) starts, and stays, at one image per run.
        public init(allowed: Bool) { state = Atomic(allowed ? 0 : 2) }
        var isOff: Bool { state.load(ordering: .relaxed) == 2 }
        var isChecked: Bool { state.load(ordering: .relaxed) == 1 }
        func settle(_ works: Bool) { state.store(works ? 1 : 2, ordering: .relaxed) }
    }

    /// Rows of `classes` values per image in batch order. `run` takes an NHWC tensor of one or
    /// more images (already on the right number of intra-op threads) and returns its output,
    /// `classes` values per image; `check` vets each image's row (throws to fail that image).
    /// Images are spread over the cores as groups; with fewer images than cores, each image's
    /// large ops use the spare cores (`IntraOpParallelism`).
    public static func predict(_ batch: ImageBatch, classes: Int, grouping: Grouping,
                               wrongSize: @escaping @Sendable (_ shape: [Int]) -> Error,
                               run: @escaping @Sendable (Tensor) throws -> Tensor,
                               check: @escaping @Sendable ([Float]) throws -> [Float]) throws -> [[Float]] {
        let results = ConcurrentResults<[Float]>(count: batch.count)
        let workers = min(batch.count, CPUCores.available)
        let threadsPerImage = max(1, CPUCores.available / max(1, workers))
        // Groups no larger than an even share of the batch, so every core gets work.
        let size = grouping.isOff ? 1 : max(1, min(groupSize, batch.count / max(1, workers)))
        @Sendable func rows(_ group: Range<Int>) throws -> [[Float]] {
            // A group that is the whole batch (a batch of one, say) shares its storage: no copy.
            let values = group.count == batch.count ? batch.values
                : Array(batch.values[(group.lowerBound * batch.imageSize)..<(group.upperBound * batch.imageSize)])
            let tensor = Tensor(shape: [group.count, batch.height, batch.width, batch.channels], data: values)
            let output: Tensor
            if threadsPerImage > 1 {
                // Fewer images than cores: split across them or not, whichever has been faster lately.
                let threads = grouping.split.threads(available: threadsPerImage)
                let started = DispatchTime.now().uptimeNanoseconds
                output = try IntraOpParallelism.$threads.withValue(threads) { try run(tensor) }
                grouping.split.record(split: threads > 1, seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 / Double(group.count))
            } else {
                output = try run(tensor)
            }
            guard output.count == classes * group.count else { throw wrongSize(output.shape) }
            return (0..<group.count).map { Array(output.data[($0 * classes)..<(($0 + 1) * classes)]) }
        }
        IntraOpParallelism.perform(workers: workers) { _ in
            while let group = results.claimNext(upTo: size) {
                var grouped: [[Float]]? = nil
                if group.count > 1 && !grouping.isOff {
                    grouped = try? rows(group)
                    if !grouping.isChecked {
                        let alone = try? rows(group.lowerBound..<(group.lowerBound + 1))
                        grouping.settle(agree(grouped?.first, alone?.first))
                    }
                    if grouping.isOff { grouped = nil }
                }
                for (offset, index) in group.enumerated() {
                    results.set(index, Result {
                        try check(try grouped?[offset] ?? rows(index..<(index + 1))[0])
                    })
                }
            }
        }
        return try results.values()
    }

    /// Both rows present, of one size, and within 1e-4 (relative to the larger magnitude).
    static func agree(_ a: [Float]?, _ b: [Float]?) -> Bool {
        guard let a, let b, a.count == b.count else { return false }
        return zip(a, b).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($0), abs($1)) }
    }
}

/// Whether single images (a batch smaller than the core count) run faster with their large ops
/// split across the cores or on one core, measured as images go.
///
/// On this project's shared VMs the answer changes for minutes at a time: one core ran
/// resnet_style at ~5,300 images/s whatever the hour, while both cores together ran it at
/// ~8,000 in some spells and ~4,700 in others (the cores themselves as fast as ever, their
/// exchanges slower). So the split is used while it is faster, and from time to time the other
/// way is timed for a few images (a probe: those cost at most their own difference).
///
/// Both ways are compared by medians: the current way's over its latest `window` images, the
/// probe's over its images but the first. A probe's first image pays for the switch (a helper
/// that slept while images ran on one core is woken), and so does the first image back; single
/// slow images (an interrupt, a helper woken after a pause between batches) are common. With
/// moving averages instead, such images decided. A trace of resnet_style at batch 1 on 2 cores
/// (2026-12-06): split probes' first images took 194 and 223 µs against 122–179 for the rest,
/// and the split average, held at ~199 µs by the first seconds' slower images, kept 526 of
/// 2,048 images on one core (~175 µs each) while split images took 118–134 µs. A probe that
/// finds the two within `closeMargin` of each other comes again after `closeProbeInterval`
/// images, else after `probeInterval`: a close call is re-checked soon, a clear one rarely.
///
/// Splitting or not gives the same values (the split is tested bit for bit against one
/// thread), so only the time changes.
final class SplitChoice: Sendable {
    static let probeInterval = 256
    static let closeProbeInterval = 32
    /// Medians within this fraction of the smaller are a close call.
    static let closeMargin = 0.1
    /// Images a probe takes, its first not counted.
    static let probeLength = 5
    /// The current way's latest times the comparison takes the median of.
    static let window = 15
    /// Images whose times are not counted: the first run of a model pays its one-off costs
    /// (weights transformed and packed, buffers first touched: resnet_style's first image
    /// ~4–7.5 ms, against ~0.12 ms after).
    static let warmUpImages = 2
    /// The first probe comes after this many images.
    static let firstProbe = 8

    private struct State {
        var split = true
        /// The current way's latest times (seconds per image), oldest first.
        var recent: [Double] = []
        /// Images since the last probe (or the first), and how many until the next.
        var sinceProbe = 0
        var interval = SplitChoice.firstProbe
        /// Whether the next image of the current way pays for a switch back to it.
        var skipNext = false
        var ignored = 0
        /// Probe images left, and the times they took.
        var probing = 0
        var probeTimes: [Double] = []
    }
    private let state = Mutex(State())

    /// Threads the next image may use: `available` when splitting, else 1.
    func threads(available: Int) -> Int {
        state.withLock { s in
            if s.probing == 0 {
                s.sinceProbe += 1
                if s.sinceProbe >= s.interval { s.probing = Self.probeLength; s.probeTimes = []; s.sinceProbe = 0 }
            }
            let splitting = s.probing > 0 ? !s.split : s.split
            return splitting ? available : 1
        }
    }

    /// The time one image took, split or not.
    func record(split: Bool, seconds: Double) {
        state.withLock { s in
            if s.ignored < Self.warmUpImages { s.ignored += 1; return }
            if s.probing > 0 && split != s.split {
                s.probeTimes.append(seconds)
                s.probing -= 1
                guard s.probing == 0 else { return }
                let probe = Self.median(s.probeTimes.dropFirst())
                guard let current = s.recent.isEmpty ? nil : Self.median(s.recent) else {
                    // Nothing to compare with yet (every image so far was a warm-up): probe again soon.
                    s.interval = Self.closeProbeInterval
                    return
                }
                s.interval = abs(probe - current) <= Self.closeMargin * min(probe, current) ? Self.closeProbeInterval : Self.probeInterval
                if probe < current {
                    s.split.toggle()
                    s.recent = Array(s.probeTimes.dropFirst())
                    s.skipNext = false
                } else {
                    s.skipNext = true
                }
                return
            }
            guard split == s.split else { return }
            if s.skipNext { s.skipNext = false; return }
            s.recent.append(seconds)
            if s.recent.count > Self.window { s.recent.removeFirst() }
        }
    }

    static func median(_ times: some Collection<Double>) -> Double {
        let sorted = times.sorted()
        return sorted.isEmpty ? .infinity : sorted[sorted.count / 2]
    }

    /// Whether images are split now (for tests).
    var isSplitting: Bool { state.withLock { $0.split } }
}
