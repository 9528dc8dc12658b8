import Foundation

/// Reads and writes image files, choosing the codec from the file's signature.
public enum ImageFile {
    /// Decodes a PNG or JPEG file; the error names the file. `applyOrientation`: turn the
    /// image as its EXIF orientation tag says (JPEG APP1 or PNG `eXIf`), as viewers display it.
    public static func read(_ url: URL, applyOrientation: Bool = true) throws -> RGBImage {
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: url))
        } catch {
            throw ImageError(source: url.path, reason: .unreadable(error.localizedDescription))
        }
        return try decode(bytes, source: url.path, applyOrientation: applyOrientation)
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
        try Data(bytes).write(to: url, options: .atomic)
    }
}
