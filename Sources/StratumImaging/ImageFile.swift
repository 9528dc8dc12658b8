import Foundation
import StratumCore

/// Reads and writes image files, choosing the codec from the file's signature.
public enum ImageFile {
    /// Decodes a PNG or JPEG file; the error names the file. `applyOrientation`: turn the
    /// image as its EXIF orientation tag says (JPEG APP1 or PNG `eXIf`), as viewers display it.
    /// `allowingPipes`: see `contents(of:allowingPipes:)`.
    public static func read(_ url: URL, applyOrientation: Bool = true, allowingPipes: Bool = false) throws -> RGBImage {
        try read(path: url.path, applyOrientation: applyOrientation, allowingPipes: allowingPipes)
    }

    /// `read`, given the file's path.
    public static func read(path: String, applyOrientation: Bool = true, allowingPipes: Bool = false) throws -> RGBImage {
        try decode(contents(of: path, allowingPipes: allowingPipes), source: path, applyOrientation: applyOrientation)
    }

    /// The largest file `read` loads: room for an uncompressed 8-bit RGBA image of
    /// `ImageLimits.maxPixels` pixels and 64 MiB of metadata besides (a larger file cannot be
    /// an image within the pixel limit, or is mostly something else).
    public static var maxFileBytes: Int { ImageLimits.maxPixels.multipliedReportingOverflow(by: 4).partialValue.addingReportingOverflow(64 << 20).partialValue }

    /// The file's bytes, read with `open`/`read` (one buffer of the file's size, no `Data` copy),
    /// within `maxFileBytes`; the error names the file.
    ///
    /// Only a regular file is read: what the path is, is looked up (`stat`) before it is opened,
    /// so that a FIFO, a socket or a device in a dataset is refused by name, without the open
    /// itself doing anything (opening a FIFO waits for a writer, or completes one that waits,
    /// which then dies of SIGPIPE). `allowingPipes` also reads a pipe or FIFO to its end, for
    /// paths a user names on a command line (`predict /dev/stdin`, `<(…)`).
    public static func contents(of path: String, allowingPipes: Bool = false) throws -> [UInt8] {
        func failure(_ message: String) -> ImageError { ImageError(source: path, reason: .unreadable(message)) }
        guard !path.utf8.contains(0) else { throw failure("the path contains a NUL byte") }
        func refusal(_ mode: mode_t) -> String? {
            switch mode & S_IFMT {
            case S_IFREG: return nil
            case S_IFIFO where allowingPipes: return nil
            case S_IFDIR: return "it is a folder"
            case S_IFIFO: return "it is a FIFO (named pipe), not a regular file"
            case S_IFSOCK: return "it is a socket, not a regular file"
            case S_IFCHR, S_IFBLK: return "it is a device, not a regular file"
            default: return "it is not a regular file"
            }
        }
        var status = stat()
        guard stat(path, &status) == 0 else { throw failure(String(cString: strerror(errno))) }
        if let refused = refusal(status.st_mode) { throw failure(refused) }
        // Non-blocking for a regular file, in case the path became a FIFO since the look-up
        // (the descriptor's own `fstat` below is what counts); a pipe is read blocking.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | (status.st_mode & S_IFMT == S_IFREG ? O_NONBLOCK : 0))
        guard descriptor >= 0 else { throw failure(String(cString: strerror(errno))) }
        defer { close(descriptor) }
        guard fstat(descriptor, &status) == 0 else { throw failure(String(cString: strerror(errno))) }
        if let refused = refusal(status.st_mode) { throw failure(refused) }
        let limit = maxFileBytes
        let declared = Int(status.st_size)
        guard declared <= limit else { throw failure("the file is \(declared) bytes, over the limit of \(limit) for an image (set STRATUM_MAX_IMAGE_PIXELS to raise it)") }
        // One byte beyond the size, to see the end without a second buffer; a file that grows
        // meanwhile (or a pipe, whose size is 0) reads on in doubling steps up to the limit.
        var bytes = [UInt8](repeating: 0, count: declared + 1)
        var filled = 0
        while true {
            if filled == bytes.count {
                guard bytes.count <= limit else { throw failure("the file is over the limit of \(limit) bytes for an image (set STRATUM_MAX_IMAGE_PIXELS to raise it)") }
                bytes.append(contentsOf: repeatElement(0, count: min(max(bytes.count, 4096), limit + 1 - bytes.count)))
            }
            let count = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + filled, $0.count - filled) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure(String(cString: strerror(errno)))
            }
            if count == 0 { break }
            filled += count
        }
        bytes.removeLast(bytes.count - filled)
        return bytes
    }

    /// Asks the system to start reading these files into its cache now, without waiting for
    /// them (`posix_fadvise(POSIX_FADV_WILLNEED)`; nothing elsewhere than Linux): a run hints
    /// the next chunk's images while it decodes this one, so that a dataset larger than the
    /// page cache, or on a slow disk, is read while the cores work instead of in front of
    /// them. Only regular files are opened (looked up first, as `contents(of:)` does: opening a
    /// FIFO would wait for a writer); any failure is ignored, the read itself reports it.
    public static func readAhead(_ paths: [String]) {
        #if os(Linux)
        for path in paths where !path.utf8.contains(0) {
            var status = stat()
            guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG, status.st_size > 0 else { continue }
            let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
            guard descriptor >= 0 else { continue }
            if fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG {
                _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_WILLNEED)
            }
            close(descriptor)
        }
        #endif
    }

    /// Decodes PNG or JPEG bytes; `source` names them in errors.
    public static func decode(_ bytes: [UInt8], source: String, applyOrientation: Bool = true) throws -> RGBImage {
        if bytes.starts(with: PNGCodec.signature) {
            return try PNGCodec.decode(bytes, source: source, applyOrientation: applyOrientation)
        }
        if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF {
            return try JPEGDecoder.decode(bytes, source: source, applyOrientation: applyOrientation)
        }
        if bytes.isEmpty { throw ImageError(source: source, reason: .unreadable("the file is empty (0 bytes)")) }
        throw ImageError(source: source, reason: .unknownFormat(detected: detectedFormat(bytes)))
    }

    /// A name for common image formats Stratum does not decode, to say what a file is.
    static func detectedFormat(_ bytes: [UInt8]) -> String? {
        func starts(_ text: String, at offset: Int = 0) -> Bool {
            let magic = Array(text.utf8)
            return bytes.count >= offset + magic.count && Array(bytes[offset..<(offset + magic.count)]) == magic
        }
        if starts("RIFF"), starts("WEBP", at: 8) { return "WebP" }
        if starts("GIF8") { return "GIF" }
        if starts("BM") { return "BMP" }
        if starts("II*\0") || starts("MM\0*") { return "TIFF" }
        if starts("ftyp", at: 4) { return "HEIF/AVIF" }
        if bytes.prefix(512).allSatisfy({ $0 == 9 || $0 == 10 || $0 == 13 || (32..<127).contains($0) || $0 >= 0x80 }) { return "text" }
        return nil
    }

    /// Writes an image as PNG, atomically.
    public static func writePNG(_ image: RGBImage, to url: URL) throws {
        let bytes = try PNGCodec.encode(image)
        do {
            try Data(bytes).write(to: url, options: .atomic)
        } catch {
            throw FileAccessError("write", url.path, error)
        }
    }
}
