import CLibPNG

/// PNG decoding and encoding through libpng: reading, and writing figures, through small C
/// functions in CLibPNG (libpng reports errors by longjmp, which must not cross Swift frames);
/// writing datasets through the simplified API, which reports errors in `png_image.message`.
public enum PNGCodec {
    /// The 8-byte PNG signature.
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Decodes PNG bytes to 8-bit RGB: the stored sample values, as PIL and TensorFlow give
    /// them. Grayscale and palette are expanded; alpha (and `tRNS`) is dropped, not composited
    /// (as `PIL.Image.convert("RGB")` and `tf.io.decode_png(channels=3)` do); 16-bit samples
    /// become their high byte (v >> 8), as both of those give them. With `applyOrientation`, an `eXIf`
    /// orientation tag is applied as for JPEG.
    /// Colour-space chunks (`gAMA`, `cHRM`, `sRGB`, `iCCP`) are ignored, never applied:
    /// they are removed before libpng sees the file, so that no transform can depend on them and
    /// the same image gives the same model input whatever its metadata.
    ///
    /// Images declaring more than `ImageLimits.maxPixels` pixels are refused before any pixel
    /// memory is allocated.
    public static func decode(_ bytes: [UInt8], source: String, applyOrientation: Bool = true) throws -> RGBImage {
        let (pixels, exif) = try decodePixels(bytes, source: source, keepAlpha: false)
        let decoded = RGBImage(width: pixels.width, height: pixels.height, pixels: pixels.values)
        guard applyOrientation, let exif, let orientation = JPEGMarkers.exifOrientation(exif) else { return decoded }
        return decoded.oriented(orientation)
    }

    /// Decodes PNG bytes to 8-bit RGBA, not premultiplied (opaque where the file has no alpha),
    /// under the same rules as `decode`; also returns the `eXIf` chunk's data, not applied.
    public static func decodeRGBA(_ bytes: [UInt8], source: String) throws -> (image: RGBAPixels, exif: [UInt8]?) {
        let (pixels, exif) = try decodePixels(bytes, source: source, keepAlpha: true)
        return (RGBAPixels(width: pixels.width, height: pixels.height, pixels: pixels.values), exif)
    }

    /// 8-bit RGBA, or RGB when `keepAlpha` is false (alpha and `tRNS` dropped by libpng as it
    /// reads). Read through libpng's ordinary API in C (`stratum_png_decode`, where its longjmp
    /// stays), the header alone first: the declared size is checked before any pixel memory.
    private static func decodePixels(_ bytes: [UInt8], source: String, keepAlpha: Bool) throws
        -> (pixels: (width: Int, height: Int, channels: Int, values: [UInt8]), exif: [UInt8]?) {
        let (bytes, exif) = try withoutColorSpaceChunks(bytes, source: source)
        var output = stratum_png_output()
        func failure() -> ImageError {
            let reason = withUnsafeBytes(of: &output.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            return ImageError(source: source, reason: .corrupt(format: "PNG", message: reason.isEmpty ? "libpng error" : reason))
        }
        var header = stratum_png_header()
        let read = bytes.withUnsafeBufferPointer { stratum_png_decode($0.baseAddress, $0.count, &header, nil, nil, 0, &output) }
        guard read == 1 else { throw failure() }
        let width = Int(header.width), height = Int(header.height), channels = keepAlpha ? 4 : 3
        try ImageLimits.check(width: width, height: height, format: "PNG", source: source)
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        var rows = [png_bytep?](repeating: nil, count: height)
        let decoded = bytes.withUnsafeBufferPointer { input in
            pixels.withUnsafeMutableBufferPointer { pixels in
                rows.withUnsafeMutableBufferPointer { rows in
                    stratum_png_decode(input.baseAddress, input.count, &header, pixels.baseAddress, rows.baseAddress, Int32(channels), &output)
                }
            }
        }
        guard decoded == 1 else { throw failure() }
        return ((width, height, channels, pixels), exif)
    }

    /// Lays PNG `bytes` (a page of the same size, e.g. gnuplot's text over a gallery) over
    /// `canvas` as `RGBImage.composite` does, decoding one row at a time rather than the whole
    /// page as RGBA first (4 bytes a pixel: 6.7 MB for a 1916×892 gallery, beside its canvas).
    /// Samples as `decodeRGBA` gives them; an interlaced PNG is decoded whole instead.
    public static func composite(_ bytes: [UInt8], over canvas: inout RGBImage, source: String) throws {
        let (bytes, _) = try withoutColorSpaceChunks(bytes, source: source)
        var output = stratum_png_output()
        let (width, height) = (canvas.width, canvas.height)
        let status = bytes.withUnsafeBufferPointer { input in
            canvas.pixels.withUnsafeMutableBufferPointer { pixels in
                stratum_png_composite_over_rgb(input.baseAddress, input.count, pixels.baseAddress, png_uint_32(width), png_uint_32(height), &output)
            }
        }
        switch status {
        case 1:
            return
        case -1:
            throw ImageError(source: source, reason: .corrupt(format: "PNG", message: "not \(width)×\(height) pixels like the image it is laid over"))
        case -2:
            canvas.composite(try decodeRGBA(bytes, source: source).image)
        default:
            let reason = withUnsafeBytes(of: &output.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw ImageError(source: source, reason: .corrupt(format: "PNG", message: reason))
        }
    }

    /// How hard `encode` works at making the file small.
    public enum Compression: Sendable {
        /// zlib level 6 and libpng's per-row choice among all five filters, through the
        /// simplified API (which also writes an `sRGB` chunk): the smallest files, for datasets.
        case small
        /// zlib level 1 and the Sub filter on every row: for figures drawn on every run. On the
        /// galleries of a 2,000-image run, files were 1.11× larger (860 KB against 775 KB) and
        /// `stratum report` took 0.75 s instead of 1.4 s (Zen 4, 2 cores).
        case fast
    }

    /// Encodes an RGB image as PNG bytes.
    public static func encode(_ rgb: RGBImage, compression: Compression = .small) throws -> [UInt8] {
        if compression == .fast { return try encodeFast(rgb) }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(rgb.width)
        image.height = UInt32(rgb.height)
        image.format = UInt32(PNG_FORMAT_RGB)
        defer { png_image_free(&image) }
        // A buffer of the largest size the file can have (PNG_IMAGE_PNG_SIZE_MAX: every row
        // stored uncompressed, plus headers), so libpng compresses once; asked for the size
        // first, it compresses the whole image twice.
        var size = stratum_png_image_png_size_max(&image)
        var output = [UInt8](repeating: 0, count: size)
        let written = rgb.pixels.withUnsafeBytes { raw in
            output.withUnsafeMutableBytes { out in
                png_image_write_to_memory(&image, out.baseAddress, &size, 0, raw.baseAddress, 0, nil)
            }
        }
        guard written != 0 else { throw ImageError(source: "PNG encoder", reason: .encodeFailed(message(of: image))) }
        output.removeSubrange(size...)
        return output
    }

    private static func encodeFast(_ rgb: RGBImage) throws -> [UInt8] {
        var output = stratum_png_output()
        let written = rgb.pixels.withUnsafeBufferPointer { pixels in
            stratum_png_encode_rgb(pixels.baseAddress, UInt32(rgb.width), UInt32(rgb.height), rgb.width * 3, 1, Int32(PNG_FILTER_SUB), &output)
        }
        defer { free(output.bytes) }
        guard written != 0, let bytes = output.bytes else {
            let reason = withUnsafeBytes(of: &output.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw ImageError(source: "PNG encoder", reason: .encodeFailed(reason))
        }
        return Array(UnsafeBufferPointer(start: bytes, count: output.count))
    }

    /// Chunk types by which a reader may convert pixel values (libpng's simplified API did; the
    /// ordinary API used now does only when asked). Removed all the same: no libpng version or
    /// future transform can make them change a model's input.
    static let colorSpaceChunks: Set<String> = ["gAMA", "cHRM", "sRGB", "iCCP"]

    /// `png` with its colour-space chunks removed (each chunk carries its own CRC, so the rest
    /// stays valid), and the data of its `eXIf` chunk. A chunk whose declared data runs past
    /// the end of the file is an error here; other malformed structure is left for libpng.
    static func withoutColorSpaceChunks(_ png: [UInt8], source: String) throws -> (png: [UInt8], exif: [UInt8]?) {
        guard png.starts(with: signature) else { return (png, nil) }
        var exif: [UInt8]?
        var output = Array(png[0..<8])
        output.reserveCapacity(png.count)
        var offset = 8
        // Every chunk whose length and type are present must fit in the file with its data and
        // CRC: libpng allocates (and zeroes) a chunk's declared length before it finds the data
        // missing, so a 742-byte file whose `tEXt` declared 1.6 GB cost 1.6 GB and seconds.
        while offset + 8 <= png.count {
            let length = Int(png[offset]) << 24 | Int(png[offset + 1]) << 16 | Int(png[offset + 2]) << 8 | Int(png[offset + 3])
            let end = offset + 12 + length
            let typeBytes = png[(offset + 4)..<(offset + 8)]
            guard length < 0x8000_0000, end <= png.count else {
                throw ImageError(source: source, reason: .corrupt(format: "PNG", message:
                    "the chunk \(chunkName(typeBytes)) at byte \(offset) declares \(length) bytes of data, but the file has \(max(0, png.count - offset - 12)) after its header"))
            }
            let type = String(decoding: typeBytes, as: UTF8.self)
            if !colorSpaceChunks.contains(type) { output += png[offset..<end] }
            if type == "eXIf", exif == nil { exif = Array(png[(offset + 8)..<(end - 4)]) }
            offset = end
            if type == "IEND" { break }
        }
        if offset < png.count { output += png[offset...] }
        return (output, exif)
    }

    /// A chunk type for a message: `'tEXt'` when its four bytes are letters (as every valid
    /// type's are), else their hex (`of type 0x01417f7a`), so no control byte reaches a terminal.
    static func chunkName(_ type: ArraySlice<UInt8>) -> String {
        let letters = type.allSatisfy { (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }
        if letters { return "'" + String(decoding: type, as: UTF8.self) + "'" }
        return "of type 0x" + type.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    private static func message(of image: png_image) -> String {
        var copy = image.message
        return withUnsafeBytes(of: &copy) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}
