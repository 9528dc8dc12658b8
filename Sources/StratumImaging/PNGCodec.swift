import CLibPNG

/// PNG decoding and encoding through libpng's simplified API.
///
/// The simplified API reports errors in `png_image.message` instead of longjmp-ing,
/// which is the only safe way to use libpng from Swift.
public enum PNGCodec {
    /// The 8-byte PNG signature.
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Decodes PNG bytes to 8-bit RGB (grayscale, palette and alpha are converted;
    /// alpha is composited over black as libpng does for an RGB target).
    public static func decode(_ bytes: [UInt8], source: String) throws -> RGBImage {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }
        let began = bytes.withUnsafeBytes { raw in
            png_image_begin_read_from_memory(&image, raw.baseAddress, raw.count)
        }
        guard began != 0 else { throw ImageError(source: source, reason: .corrupt(format: "PNG", message: message(of: image))) }
        image.format = UInt32(PNG_FORMAT_RGB)
        let width = Int(image.width), height = Int(image.height)
        guard width > 0, height > 0, width * height <= 100_000_000 else {
            throw ImageError(source: source, reason: .corrupt(format: "PNG", message: "implausible size \(width)×\(height)"))
        }
        var pixels = [UInt8](repeating: 0, count: stratum_png_image_size(&image))
        // Reading needs the input bytes alive until finish_read returns.
        let finished = bytes.withUnsafeBytes { _ in
            pixels.withUnsafeMutableBytes { out in
                png_image_finish_read(&image, nil, out.baseAddress, 0, nil)
            }
        }
        guard finished != 0 else { throw ImageError(source: source, reason: .corrupt(format: "PNG", message: message(of: image))) }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// Encodes an RGB image as PNG bytes.
    public static func encode(_ rgb: RGBImage) throws -> [UInt8] {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(rgb.width)
        image.height = UInt32(rgb.height)
        image.format = UInt32(PNG_FORMAT_RGB)
        defer { png_image_free(&image) }
        var size = 0
        // First call computes the size.
        let sized = rgb.pixels.withUnsafeBytes { raw in
            png_image_write_to_memory(&image, nil, &size, 0, raw.baseAddress, 0, nil)
        }
        guard sized != 0, size > 0 else { throw ImageError(source: "PNG encoder", reason: .encodeFailed(message(of: image))) }
        var output = [UInt8](repeating: 0, count: size)
        let written = rgb.pixels.withUnsafeBytes { raw in
            output.withUnsafeMutableBytes { out in
                png_image_write_to_memory(&image, out.baseAddress, &size, 0, raw.baseAddress, 0, nil)
            }
        }
        guard written != 0 else { throw ImageError(source: "PNG encoder", reason: .encodeFailed(message(of: image))) }
        return Array(output.prefix(size))
    }

    private static func message(of image: png_image) -> String {
        var copy = image.message
        return withUnsafeBytes(of: &copy) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}
