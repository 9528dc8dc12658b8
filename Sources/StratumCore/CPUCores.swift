import Foundation

/// How many cores this process may actually use.
///
/// `ProcessInfo.activeProcessorCount` counts the machine's online cores on Linux. It ignores
/// the CPU affinity mask that `taskset`, Slurm's cpusets and pinned containers set, and the
/// CPU quota of a cgroup (a Kubernetes `limits.cpu`). With 2 threads on 1 allowed core, a
/// helper thread that spins while it waits for work takes the core from the thread doing the
/// work: one image at a time ran 20× slower under `taskset -c 0`. Thread counts in Stratum
/// come from `available` instead.
public enum CPUCores {
    /// The affinity mask's size, lowered to the cgroup's CPU quota (rounded up) when there is
    /// one; at least 1, at most `activeProcessorCount`.
    public static let available: Int = {
        let online = max(1, ProcessInfo.processInfo.activeProcessorCount)
        var cores = online
        #if os(Linux)
        if let allowed = affinityCount() { cores = min(cores, allowed) }
        if let quota = cgroupQuota() { cores = min(cores, quota) }
        #endif
        return max(1, cores)
    }()

    #if os(Linux)
    /// Cores in this thread's affinity mask, or nil when it cannot be read.
    static func affinityCount() -> Int? {
        guard let mask = affinityMask() else { return nil }
        let count = mask.reduce(0) { $0 + $1.nonzeroBitCount }
        return count > 0 ? count : nil
    }

    /// `sched_getaffinity` and `sched_setaffinity` need _GNU_SOURCE, which Swift's Glibc module
    /// is not built with: they are looked up. The mask covers 1,024 CPUs (glibc's cpu_set_t).
    typealias AffinityCall = @convention(c) (Int32, Int, UnsafeMutableRawPointer) -> Int32

    static func affinityCall(_ name: String) -> AffinityCall? {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(symbol, to: AffinityCall.self)
    }

    /// The calling thread's affinity mask, one bit per CPU.
    static func affinityMask() -> [UInt64]? {
        guard let call = affinityCall("sched_getaffinity") else { return nil }
        var mask = [UInt64](repeating: 0, count: 16)
        let status = mask.withUnsafeMutableBytes { call(0, $0.count, $0.baseAddress!) }
        return status == 0 ? mask : nil
    }

    /// Sets the calling thread's affinity mask (the tests' stand-in for `taskset`).
    static func setAffinityMask(_ mask: [UInt64]) -> Bool {
        guard let call = affinityCall("sched_setaffinity") else { return false }
        var copy = mask
        return copy.withUnsafeMutableBytes { call(0, $0.count, $0.baseAddress!) } == 0
    }

    /// The CPU quota of this process's cgroup in whole cores (rounded up), from cgroup v2's
    /// `cpu.max` or v1's `cpu.cfs_quota_us` and `cpu.cfs_period_us`; nil when unlimited or unknown.
    static func cgroupQuota() -> Int? {
        guard let membership = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) else { return nil }
        for line in membership.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let path = String(fields[2])
            if fields[0] == "0" && fields[1].isEmpty {
                // cgroup v2; in a namespaced container the path may not exist from inside, so the mount's root is tried too.
                for folder in ["/sys/fs/cgroup" + path, "/sys/fs/cgroup"] {
                    if let text = try? String(contentsOfFile: folder + "/cpu.max", encoding: .utf8) { return quotaCores(cpuMax: text) }
                }
            } else if fields[1].split(separator: ",").contains("cpu") {
                for mount in ["/sys/fs/cgroup/" + fields[1], "/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpu"] {
                    for folder in [mount + path, mount] {
                        if let quota = try? String(contentsOfFile: folder + "/cpu.cfs_quota_us", encoding: .utf8),
                           let period = try? String(contentsOfFile: folder + "/cpu.cfs_period_us", encoding: .utf8) {
                            return quotaCores(cpuMax: quota.trimmingCharacters(in: .whitespacesAndNewlines) + " " + period)
                        }
                    }
                }
            }
        }
        return nil
    }
    #endif

    /// Whole cores (rounded up, at least 1) for a quota written as cgroup v2's `cpu.max`:
    /// "QUOTA PERIOD" in microseconds, "max" (or v1's -1) for none. Nil when there is no limit
    /// or the text is not of that form.
    public static func quotaCores(cpuMax text: String) -> Int? {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
        guard parts.count == 2, let quota = Int(parts[0]), let period = Int(parts[1]), quota > 0, period > 0 else { return nil }
        return max(1, (quota + period - 1) / period)
    }
}
