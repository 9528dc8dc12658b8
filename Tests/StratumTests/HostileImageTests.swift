import Foundation
import StratumImaging
import Testing

/// Decoding against the values in `Tests/Fixtures/images/hostile/expected.json`, made by
/// `scripts/make_hostile_images.py` with numpy and Pillow: stored samples (no gamma, 16-bit
/// rounded, alpha dropped), CMYK/YCCK as PIL converts them, EXIF orientation as
/// `ImageOps.exif_transpose` applies it, and each unreadable file failing with its category.
@Suite struct HostileImageTests {
    static let folder = TestSupport.fixtures.appendingPathComponent("images/hostile")

    struct Fixture: Sendable, CustomStringConvertible {
        var file: String
        var width: Int?
        var height: Int?
        var pixels: [Int]?
        var error: String?
        var lossy: Bool
        var orientation: Int?
        var displayed: (width: Int, height: Int, pixels: [Int])?
        var description: String { file }
    }

    /// Every entry of expected.json; a renamed key or an empty list fails here, not silently.
    static let fixtures: [Fixture] = {
        guard let object = try? TestSupport.json("images/hostile/expected.json") as? [String: Any],
              let list = object["fixtures"] as? [[String: Any]] else { return [] }
        return list.compactMap { entry in
            guard let file = entry["file"] as? String else { return nil }
            var fixture = Fixture(file: file, width: entry["width"] as? Int, height: entry["height"] as? Int,
                                  pixels: entry["pixels"] as? [Int], error: entry["error"] as? String,
                                  lossy: entry["lossy"] as? Bool ?? false, orientation: entry["orientation"] as? Int)
            if let shown = entry["displayed"] as? [String: Any], let w = shown["width"] as? Int, let h = shown["height"] as? Int, let p = shown["pixels"] as? [Int] {
                fixture.displayed = (w, h, p)
            }
            return fixture
        }
    }()

    @Test func theFixtureTableIsComplete() {
        #expect(Self.fixtures.count >= 20)
        #expect(Self.fixtures.allSatisfy { ($0.pixels == nil) != ($0.error == nil) }, "each entry has pixels or an error")
        #expect(Self.fixtures.filter { $0.displayed != nil }.count == 3)
    }

    @Test(arguments: fixtures.filter { $0.pixels != nil })
    func decodesTheStoredSamples(_ fixture: Fixture) throws {
        let url = Self.folder.appendingPathComponent(fixture.file)
        let image = try ImageFile.read(url, applyOrientation: false)
        let expected = try #require(fixture.pixels)
        #expect(image.width == fixture.width && image.height == fixture.height)
        #expect(image.pixels.count == expected.count)
        let worst = zip(image.pixels, expected).map { abs(Int($0) - $1) }.reduce(0, max)
        // PNGs are exact; JPEGs may differ from Pillow's libjpeg-turbo build by a level or two.
        #expect(worst <= (fixture.lossy ? 2 : 0), "\(fixture.file): largest difference \(worst)")
    }

    @Test(arguments: fixtures.filter { $0.displayed != nil })
    func appliesTheExifOrientation(_ fixture: Fixture) throws {
        let url = Self.folder.appendingPathComponent(fixture.file)
        let displayed = try #require(fixture.displayed)
        let image = try ImageFile.read(url)
        #expect(image.width == displayed.width && image.height == displayed.height, "\(fixture.file)")
        let worst = zip(image.pixels, displayed.pixels).map { abs(Int($0) - $1) }.reduce(0, max)
        #expect(image.pixels.count == displayed.pixels.count && worst <= 2, "\(fixture.file): largest difference \(worst)")
        // Turned off, the stored orientation comes back.
        let stored = try ImageFile.read(url, applyOrientation: false)
        #expect(stored.width == fixture.width && stored.height == fixture.height)
    }

    @Test(arguments: fixtures.filter { $0.error != nil })
    func unreadableFilesFailWithTheirCategory(_ fixture: Fixture) throws {
        let url = Self.folder.appendingPathComponent(fixture.file)
        let error = try #require(throws: ImageError.self, "\(fixture.file)") { try ImageFile.read(url) }
        #expect(error.source == url.path)
        switch (fixture.error, error.reason) {
        case ("truncated", .corrupt), ("empty", .unreadable), ("unknown-format", .unknownFormat), ("too-large", .tooLarge): break
        default: Issue.record("\(fixture.file): expected \(fixture.error ?? "?"), got \(error)")
        }
        if fixture.file.contains("webp") { #expect(error.description.contains("WebP"), "\(error)") }
    }

    /// What is not an image file fails before anything the size of the file is allocated, by
    /// name: a folder, a missing file, a file over `ImageFile.maxFileBytes` (sparse here), a
    /// path with a NUL byte, a FIFO (refused at once, not waited on for a writer), a socket, a
    /// device. A file read whole by path is the file read by URL.
    @Test func filesThatCannotBeReadAreRefusedByName() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stratum-read-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let huge = folder.appendingPathComponent("huge.png")
        #expect(FileManager.default.createFile(atPath: huge.path, contents: Data(PNGCodec.signature)))
        #expect(truncate(huge.path, off_t(ImageFile.maxFileBytes + 1)) == 0)
        let fifo = folder.appendingPathComponent("pipe.png").path
        try #require(mkfifo(fifo, 0o600) == 0)
        let socketPath = folder.appendingPathComponent("socket.png").path
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in socketPath.utf8.prefix(raw.count - 1).enumerated() { raw[i] = byte }
        }
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        try #require(bound == 0)
        let cases: [(path: String, says: String)] = [
            (folder.path, "folder"), (folder.appendingPathComponent("absent.png").path, "No such file"),
            (huge.path, "over the limit of \(ImageFile.maxFileBytes)"), (folder.path + "/a\u{0}b.png", "NUL"),
            (fifo, "FIFO"), (socketPath, "socket"), ("/dev/zero", "device"),
        ]
        for (path, says) in cases {
            let error = try #require(throws: ImageError.self, "\(path)") { try ImageFile.read(path: path) }
            guard case .unreadable(let message) = error.reason else { Issue.record("\(path): \(error)"); continue }
            #expect(error.source == path && message.contains(says), "\(error)")
        }
        let png = try #require(Self.fixtures.first { $0.pixels != nil && $0.file.hasSuffix(".png") })
        let url = Self.folder.appendingPathComponent(png.file)
        #expect(try ImageFile.read(path: url.path).pixels == ImageFile.read(url).pixels)
    }

    /// A FIFO in a dataset is looked up, not opened: a writer waiting on it stays waiting (an
    /// open would have completed it, and the close then killed it with SIGPIPE). A path named
    /// on a command line may be a pipe (`predict MODEL /dev/stdin`): read to its end.
    @Test func aFIFOIsReadOnlyWhereAllowed() throws {
        let folder = try TestSupport.temporaryDirectory()
        let fifo = folder.appendingPathComponent("pipe.png").path
        try #require(mkfifo(fifo, 0o600) == 0)
        let png = try #require(Self.fixtures.first { $0.pixels != nil && $0.file.hasSuffix(".png") })
        let bytes = Array(try Data(contentsOf: Self.folder.appendingPathComponent(png.file)))
        // A writer that opens the FIFO (blocking until a reader does) and writes the image.
        let (opened, wrote) = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
        Thread.detachNewThread {
            let descriptor = open(fifo, O_WRONLY)
            opened.signal()
            _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            close(descriptor)
            wrote.signal()
        }
        #expect(throws: ImageError.self) { try ImageFile.read(path: fifo) }
        #expect(opened.wait(timeout: .now() + 0.1) == .timedOut, "refusing the FIFO opened it, releasing the writer")
        let image = try ImageFile.read(path: fifo, allowingPipes: true)
        #expect(wrote.wait(timeout: .now() + 10) == .success)
        #expect(image.pixels == (try ImageFile.read(Self.folder.appendingPathComponent(png.file))).pixels)
    }

    /// A chunk that declares more data than the file holds is refused before libpng sees it
    /// (libpng allocates and zeroes the declared length first: a 742-byte file found by the
    /// fuzzer declared a 1.6 GB `tEXt`, Fuzz/regressions/png/text-chunk-declaring-1.6-GB),
    /// by name, for the whole image and for a text page laid over a canvas.
    @Test(arguments: [
        (declared: UInt32(1_683_120_397), type: "tEXt", tail: 32, says: "'tEXt' at byte 33 declares 1683120397 bytes"),
        (declared: UInt32(0x8000_0000), type: "zTXt", tail: 4, says: "'zTXt' at byte 33 declares 2147483648 bytes"),
        (declared: UInt32(40), type: "iTXt", tail: 0, says: "declares 40 bytes of data, but the file has 0"),  // length and type, then the end
        (declared: UInt32(100_000_000), type: "\u{1}A\u{7F}z", tail: 8, says: "of type 0x01417f7a at byte 33"),
    ])
    func chunksLargerThanTheFileAreRefusedFirst(_ chunk: (declared: UInt32, type: String, tail: Int, says: String)) throws {
        let good = Array(try Data(contentsOf: TestSupport.fixtures.appendingPathComponent("images/gradient-24x16.png")))
        // The signature and IHDR (8 + 25 bytes), then the chunk.
        let bytes = Array(good.prefix(33)) + withUnsafeBytes(of: chunk.declared.bigEndian) { Array($0) } + Array(chunk.type.utf8)
            + [UInt8](repeating: 0x41, count: chunk.tail)
        let error = try #require(throws: ImageError.self) { try ImageFile.decode(bytes, source: "hostile.png") }
        guard case .corrupt(format: "PNG", let message) = error.reason else { Issue.record("\(error)"); return }
        #expect(error.source == "hostile.png" && message.contains(chunk.says), "\(message)")
        var canvas = RGBImage(width: 24, height: 16)
        let overlay = try #require(throws: ImageError.self) { try PNGCodec.composite(bytes, over: &canvas, source: "page.png") }
        #expect("\(overlay)".contains("page.png") && "\(overlay)".contains(chunk.says), "\(overlay)")
    }

    @Test(arguments: 1...8)
    func orientationsMapCornersAsExifDefines(_ orientation: Int) {
        // A 3×2 image whose pixel values are their index; where does stored (0,0) appear?
        let image = RGBImage(width: 3, height: 2, pixels: (0..<6).flatMap { [UInt8($0), 0, 0] })
        let turned = image.oriented(orientation)
        let expectedSize = orientation >= 5 ? (2, 3) : (3, 2)
        #expect(turned.width == expectedSize.0 && turned.height == expectedSize.1)
        // Display-space position of the stored top-left pixel (TIFF 6.0 orientation table).
        let corner: [Int: (Int, Int)] = [1: (0, 0), 2: (2, 0), 3: (2, 1), 4: (0, 1), 5: (0, 0), 6: (1, 0), 7: (1, 2), 8: (0, 2)]
        let (x, y) = corner[orientation] ?? (0, 0)
        #expect(turned.pixels[(y * turned.width + x) * 3] == 0)
        #expect(Set(stride(from: 0, to: turned.pixels.count, by: 3).map { turned.pixels[$0] }) == Set(0..<6))
    }
}
