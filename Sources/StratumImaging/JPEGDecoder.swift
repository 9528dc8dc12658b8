import CTurboJPEG

/// JPEG decoding through libjpeg-turbo's TurboJPEG API (error codes, no longjmp).
public enum JPEGDecoder {
    /// Decodes JPEG bytes to 8-bit RGB. Warnings (e.g. a missing end marker after complete
    /// data) are errors too: a truncated file never yields a half-grey image silently.
    ///
    /// CMYK and YCCK files are decoded to CMYK by libjpeg-turbo (inverted first when an Adobe
    /// APP14 segment marks Photoshop's inverted storage, as PIL does) and converted to RGB as
    /// PIL does: R = (255 − C)(255 − K)/255, likewise G from M and B from Y — no colour profile.
    /// With `applyOrientation`, an EXIF orientation tag is applied (the image as displayed).
    public static func decode(_ bytes: [UInt8], source: String, applyOrientation: Bool = true) throws -> RGBImage {
        guard let handle = tjInitDecompress() else {
            throw ImageError(source: source, reason: .corrupt(format: "JPEG", message: "cannot initialise decoder"))
        }
        defer { tjDestroy(handle) }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        var input = bytes
        let header = input.withUnsafeMutableBufferPointer { buffer in
            tjDecompressHeader3(handle, buffer.baseAddress, UInt(buffer.count), &width, &height, &subsampling, &colorspace)
        }
        guard header == 0 else {
            throw ImageError(source: source, reason: .corrupt(format: "JPEG", message: errorText(handle)))
        }
        try ImageLimits.check(width: Int(width), height: Int(height), format: "JPEG", source: source)
        let markers = JPEGMarkers(bytes)
        let isCMYK = colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue)
        let channels = isCMYK ? 4 : 3
        var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * channels)
        let format = isCMYK ? TJPF_CMYK : TJPF_RGB
        let status = input.withUnsafeMutableBufferPointer { buffer in
            pixels.withUnsafeMutableBufferPointer { out in
                tjDecompress2(handle, buffer.baseAddress, UInt(buffer.count), out.baseAddress, width, 0, height, Int32(format.rawValue), 0)
            }
        }
        if status != 0 {
            throw ImageError(source: source, reason: .corrupt(format: "JPEG", message: errorText(handle)))
        }
        if isCMYK { pixels = rgb(fromCMYK: pixels, inverted: markers.hasAdobeSegment) }
        let image = RGBImage(width: Int(width), height: Int(height), pixels: pixels)
        return applyOrientation ? image.oriented(markers.orientation ?? 1) : image
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
