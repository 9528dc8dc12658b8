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
}
