import Foundation

/// Reads and writes image files, choosing the codec from the file's signature.
public enum ImageFile {
    /// Decodes a PNG or JPEG file; the error names the file.
    public static func read(_ url: URL) throws -> RGBImage {
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: url))
        } catch {
            throw ImageError(source: url.path, reason: .unreadable(error.localizedDescription))
        }
        return try decode(bytes, source: url.path)
    }

    /// Decodes PNG or JPEG bytes; `source` names them in errors.
    public static func decode(_ bytes: [UInt8], source: String) throws -> RGBImage {
        if bytes.starts(with: PNGCodec.signature) {
            return try PNGCodec.decode(bytes, source: source)
        }
        if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF {
            return try JPEGDecoder.decode(bytes, source: source)
        }
        throw ImageError(source: source, reason: .unknownFormat)
    }

    /// Writes an image as PNG, atomically.
    public static func writePNG(_ image: RGBImage, to url: URL) throws {
        let bytes = try PNGCodec.encode(image)
        try Data(bytes).write(to: url, options: .atomic)
    }
}
