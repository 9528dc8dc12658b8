import Foundation
import StratumImaging
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `ImageFile.readAhead`: files hinted are brought into the page cache without being read,
/// and nothing but a regular file is opened.
@Suite struct ReadAheadTests {
    #if os(Linux)
    /// The share of `path`'s pages in the page cache (`mincore` over a mapping, which reads nothing).
    static func residentShare(_ path: String) -> Double {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return -1 }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_size > 0 else { return -1 }
        let size = Int(status.st_size), page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard let mapping = mmap(nil, size, PROT_READ, MAP_SHARED, descriptor, 0), mapping != MAP_FAILED else { return -1 }
        defer { munmap(mapping, size) }
        var vector = [UInt8](repeating: 0, count: (size + page - 1) / page)
        guard mincore(mapping, size, &vector) == 0 else { return -1 }
        return Double(vector.count { $0 & 1 != 0 }) / Double(vector.count)
    }

    /// Drops `path`'s clean pages from the page cache.
    static func evict(_ path: String) {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_DONTNEED)
        close(descriptor)
    }

    @Test func hintedFilesComeIntoTheCache() throws {
        let folder = try TestSupport.temporaryDirectory()
        let path = folder.appendingPathComponent("image.png").path
        try Data((0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }).write(to: URL(fileURLWithPath: path))
        Self.evict(path)
        let before = Self.residentShare(path)
        // A file system that keeps every page (tmpfs) cannot show a difference.
        guard before >= 0, before < 0.5 else {
            print("skipped: \(path)'s pages stay cached after POSIX_FADV_DONTNEED (\(before))")
            return
        }
        ImageFile.readAhead([path])
        var after = Self.residentShare(path)
        let deadline = Date().addingTimeInterval(5)
        while after < 0.99 && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.01)
            after = Self.residentShare(path)
        }
        #expect(after >= 0.99, "resident share \(before) before the hint, \(after) after")
    }

    /// A FIFO is not opened (an open would wait for a writer); folders, missing files, empty
    /// files and paths with a NUL byte are passed over.
    @Test func onlyRegularFilesAreOpened() throws {
        let folder = try TestSupport.temporaryDirectory()
        let fifo = folder.appendingPathComponent("pipe.png").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let empty = folder.appendingPathComponent("empty.png").path
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        let started = Date()
        ImageFile.readAhead([fifo, folder.path, folder.appendingPathComponent("missing.png").path, empty, "bad\0path.png"])
        #expect(Date().timeIntervalSince(started) < 2)
    }
    #endif
}
