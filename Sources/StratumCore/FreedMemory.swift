#if os(Linux)
/// glibc's `int malloc_trim(size_t pad)` (in <malloc.h>, which the Glibc module does not export).
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32
#endif

/// Hands memory the process has freed back to the system.
///
/// glibc keeps freed blocks for reuse, and a block freed below one still in use (the
/// manifest's text, read while the rows built from it stay) keeps its pages resident: a
/// run's RSS would carry every stage's leftovers. `malloc_trim` returns the free pages of
/// every arena (inside the heap too, not only at its top). A few milliseconds; called between
/// stages and every few chunks of images, never per image.
public enum FreedMemory {
    public static func release() {
        #if os(Linux)
        _ = glibcMallocTrim(0)
        #endif
    }
}
