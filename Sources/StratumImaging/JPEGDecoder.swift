import CTurboJPEG

/// JPEG decoding through libjpeg-turbo's TurboJPEG API (error codes, no longjmp).
public enum JPEGDecoder {
    /// Decodes JPEG bytes to 8-bit RGB. Warnings (e.g. a missing end marker after complete
    /// data) are errors too: a truncated file never yields a half-grey image silently.
    public static func decode(_ bytes: [UInt8], source: String) throws -> RGBImage {
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
        guard width > 0, height > 0, Int(width) * Int(height) <= 100_000_000 else {
            throw ImageError(source: source, reason: .corrupt(format: "JPEG", message: "implausible size \(width)×\(height)"))
        }
        var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * 3)
        let status = input.withUnsafeMutableBufferPointer { buffer in
            pixels.withUnsafeMutableBufferPointer { out in
                tjDecompress2(handle, buffer.baseAddress, UInt(buffer.count), out.baseAddress, width, 0, height, Int32(TJPF_RGB.rawValue), 0)
            }
        }
        if status != 0 {
            throw ImageError(source: source, reason: .corrupt(format: "JPEG", message: errorText(handle)))
        }
        return RGBImage(width: Int(width), height: Int(height), pixels: pixels)
    }

    private static func errorText(_ handle: tjhandle) -> String {
        guard let text = tjGetErrorStr2(handle) else { return "unknown error" }
        return String(cString: text)
    }
}
