#if canImport(Glibc)
import Glibc
#endif
import StratumCore

/// Process-wide allocator settings for inference.
///
/// The engine allocates each op's output (hundreds of KiB for the first layers) and frees
/// its inputs image after image. With glibc's defaults, blocks that large are mapped and
/// unmapped with every call, or trimmed back to the kernel, so each image pays page faults
/// on fresh zeroed pages. Raising the mmap and trim thresholds keeps freed blocks in the
/// process for reuse: measured with `perf stat` on `stratum bench tfjs` (MobileNet, 512
/// images) page faults fell from ~34,000 to ~20,000. A library should not change this for
/// its host, so only the `stratum` executable calls it.
public enum Allocator {
    /// Keeps freed memory in the process (glibc; a no-op elsewhere).
    public static func retainFreedMemory() {
        // 32 MiB is glibc's ceiling for the mmap threshold on 64-bit systems.
        FreedMemory.setOption(FreedMemory.mmapThreshold, 32 << 20)
        FreedMemory.setOption(FreedMemory.trimThreshold, 1 << 30)
        // One arena for every thread (unless MALLOC_ARENA_MAX says otherwise).
        // glibc gives each thread that allocates at once an arena of its own, and each keeps
        // what it freed: at 20,000 images peak RSS was 91–101 MB with the default and 80–85 MB
        // with one arena, the time the same within the noise (alternating runs, 2-core EPYC).
        // Small blocks still come from each thread's cache without the arena's lock.
        if getenv("MALLOC_ARENA_MAX") == nil { FreedMemory.setOption(FreedMemory.arenaMax, 1) }
    }
}
