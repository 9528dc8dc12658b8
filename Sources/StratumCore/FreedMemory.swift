#if canImport(Glibc)
import Glibc
#endif

/// Hands memory the process has freed back to the system.
///
/// glibc keeps freed blocks for reuse (and `stratum` raises its trim threshold so that
/// inference reuses them, `Allocator.retainFreedMemory`); a block freed below one still in
/// use (the manifest's text, read while the rows built from it stay) keeps its pages resident
/// anyway: a run's RSS would carry every stage's leftovers. `malloc_trim` returns the free pages of
/// every arena (inside the heap too, not only at its top). A few milliseconds; called between
/// stages and every few chunks of images, never per image.
public enum FreedMemory {
    public static func release() {
        #if canImport(Glibc)
        // malloc_trim is in <malloc.h>, which Swift's Glibc module does not export: look it up.
        typealias MallocTrim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
        #endif
    }

    /// From now on, large blocks go back to the system when freed: glibc's defaults again (a
    /// block from 128 KiB up mapped on its own, the heap's top trimmed past 128 KiB), undoing
    /// `Allocator.retainFreedMemory` once inference is over. The metrics and the reports
    /// allocate few blocks but large ones (a slice's resampling arrays, a gallery's canvas);
    /// kept for reuse, each stage's RSS grew with every block that no longer fitted the holes
    /// left by the ones before (a 200,000-sample run's reports: 67 MB to 87 MB over five
    /// seconds). What is already free goes back at the next `release`.
    public static func returnPromptly() {
        _ = setOption(mmapThreshold, 128 << 10)
        _ = setOption(trimThreshold, 128 << 10)
    }

    /// glibc's `mallopt` parameters (malloc.h).
    public static let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3, arenaMax: Int32 = -8

    /// glibc's `mallopt(option, value)`; false where it is missing or refuses. `mallopt` is in
    /// <malloc.h>, which Swift's Glibc module does not export: it is looked up.
    @discardableResult
    public static func setOption(_ option: Int32, _ value: Int32) -> Bool {
        #if canImport(Glibc)
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
        return unsafeBitCast(symbol, to: Mallopt.self)(option, value) == 1
        #else
        return false
        #endif
    }
}
