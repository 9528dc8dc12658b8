import CTurboJPEG

/// JPEG decoding through libjpeg-turbo's TurboJPEG API (error codes, no longjmp), and through
/// its libjpeg API (`CTurboJPEG`'s C shim, which keeps the longjmp in C) for the sampling
/// factors TurboJPEG 2.1 refuses.
public enum JPEGDecoder {
    /// Decodes JPEG bytes to 8-bit RGB. Warnings are errors too (a truncated file never yields
    /// a half-grey image silently), except stray bytes before a marker, which devices write in
    /// intact images (and which corrupt scan data can also cause: see `stratum_jpeg_error`).
    ///
    /// CMYK and YCCK files are decoded to CMYK by libjpeg-turbo (taken as Photoshop's inverted
    /// storage, as PIL takes every CMYK JPEG, with or without an Adobe APP14 segment) and converted to RGB as
    /// PIL does: R = (255 − C)(255 − K)/255, likewise G from M and B from Y — no colour profile.
    /// With `applyOrientation`, an EXIF orientation tag is applied (the image as displayed).
    public static func decode(_ bytes: [UInt8], source: String, applyOrientation: Bool = true) throws -> RGBImage {
        // Before either decoder sees the file: they would decode every scan it holds.
        guard JPEGMarkers.scanCount(bytes, limit: ImageLimits.maxJPEGScans) <= ImageLimits.maxJPEGScans else {
            throw ImageError(source: source, reason: .tooManyScans(limit: ImageLimits.maxJPEGScans))
        }
        guard let handle = tjInitDecompress() else {
            throw ImageError(source: source, reason: .corrupt(format: "JPEG", message: "cannot initialise decoder"))
        }
        defer { tjDestroy(handle) }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        var input = bytes
        let header = input.withUnsafeMutableBufferPointer { buffer in
            tjDecompressHeader3(handle, buffer.baseAddress, UInt(buffer.count), &width, &height, &subsampling, &colorspace)
        }
        let markers = JPEGMarkers(bytes)
        /// The file decoded through libjpeg, oriented; TurboJPEG's `message` when libjpeg cannot read it either.
        func throughLibjpeg(orFail message: String) throws -> RGBImage {
            guard let image = try decodeThroughLibjpeg(bytes, source: source) else {
                throw ImageError(source: source, reason: .corrupt(format: "JPEG", message: message))
            }
            return applyOrientation ? image.oriented(markers.orientation ?? 1) : image
        }
        guard header == 0 else {
            // TurboJPEG 2.1 refuses sampling factors outside its subsampling types (4:1:0, 1×4,
            // chroma sampled unlike each other…), which libjpeg decodes: libjpeg is asked
            // before the file is called corrupt.
            return try throughLibjpeg(orFail: errorText(handle))
        }
        try ImageLimits.check(width: Int(width), height: Int(height), format: "JPEG", source: source)
        let isCMYK = colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue)
        let channels = isCMYK ? 4 : 3
        var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * channels)
        let format = isCMYK ? TJPF_CMYK : TJPF_RGB
        let status = input.withUnsafeMutableBufferPointer { buffer in
            pixels.withUnsafeMutableBufferPointer { out in
                // Stopped at its first warning (a corrupt progressive file could take every scan it
                // holds); the file is then decoded again below, which sorts harmless warnings out.
                tjDecompress2(handle, buffer.baseAddress, UInt(buffer.count), out.baseAddress, width, 0, height, Int32(format.rawValue), TJFLAG_STOPONWARNING)
            }
        }
        if status != 0 {
            let message = errorText(handle)
            guard tjGetErrorCode(handle) == Int32(TJERR_WARNING.rawValue) else {
                throw ImageError(source: source, reason: .corrupt(format: "JPEG", message: message))
            }
            // A warning: decoded again through libjpeg's API, which sees every warning
            // (TurboJPEG keeps the last one's text). Stray bytes before a marker are let
            // through, as Pillow and TensorFlow let them (webcams and scanners write them);
            // truncation and the rest fail.
            return try throughLibjpeg(orFail: message)
        }
        // Inverted whether or not an Adobe segment says so, as Pillow takes every CMYK JPEG.
        if isCMYK { pixels = rgb(fromCMYK: pixels, inverted: true) }
        let image = RGBImage(width: Int(width), height: Int(height), pixels: pixels)
        return applyOrientation ? image.oriented(markers.orientation ?? 1) : image
    }

    /// Decodes through libjpeg's own API (`stratum_jpeg_decode`: the accurate integer IDCT and
    /// fancy upsampling, as TurboJPEG decodes), CMYK and YCCK as `decode` takes them; nil when
    /// libjpeg cannot read the header either. Warnings are errors, as in `decode`.
    static func decodeThroughLibjpeg(_ bytes: [UInt8], source: String) throws -> RGBImage? {
        var error = stratum_jpeg_error()
        var width: UInt32 = 0, height: UInt32 = 0, cmyk: Int32 = 0
        let header = bytes.withUnsafeBufferPointer { stratum_jpeg_header($0.baseAddress, $0.count, &width, &height, &cmyk, &error) }
        guard header == 1 else { return nil }
        try ImageLimits.check(width: Int(width), height: Int(height), format: "JPEG", source: source)
        let channels = cmyk != 0 ? 4 : 3
        var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * channels)
        let decoded = bytes.withUnsafeBufferPointer { input in
            pixels.withUnsafeMutableBufferPointer { stratum_jpeg_decode(input.baseAddress, input.count, $0.baseAddress, width, height, cmyk, &error) }
        }
        guard decoded == 1 else { throw ImageError(source: source, reason: .corrupt(format: "JPEG", message: text(&error.message))) }
        guard error.warnings == 0 else { throw ImageError(source: source, reason: .corrupt(format: "JPEG", message: text(&error.warning))) }
        if cmyk != 0 { pixels = rgb(fromCMYK: pixels, inverted: true) }
        return RGBImage(width: Int(width), height: Int(height), pixels: pixels)
    }

    /// A C string held in a fixed-size array (a tuple in Swift).
    private static func text<T>(_ array: inout T) -> String {
        withUnsafeBytes(of: &array) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// Packed CMYK to packed RGB, PIL's formula (rounded division by 255).
    static func rgb(fromCMYK cmyk: [UInt8], inverted: Bool) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: cmyk.count / 4 * 3)
        for pixel in 0..<(cmyk.count / 4) {
            let source = pixel * 4
            let flip: (UInt8) -> Int = { inverted ? 255 - Int($0) : Int($0) }
            let k = 255 - flip(cmyk[source + 3])
            for channel in 0..<3 {
                let product = (255 - flip(cmyk[source + channel])) * k
                rgb[pixel * 3 + channel] = UInt8((product + 127) / 255)
            }
        }
        return rgb
    }

    private static func errorText(_ handle: tjhandle) -> String {
        guard let text = tjGetErrorStr2(handle) else { return "unknown error" }
        return String(cString: text)
    }
}
