import Foundation

/// The largest image Stratum decodes, checked against the size a file declares before any
/// pixel memory is allocated (a few hundred bytes of PNG can declare 10,000 × 10,000).
public enum ImageLimits {
    /// Default: 4096 × 4096 = 16,777,216 pixels (48 MiB as 8-bit RGB). Set
    /// `STRATUM_MAX_IMAGE_PIXELS` to change it (e.g. for large scans).
    public static let defaultMaxPixels = 4096 * 4096

    /// The limit in force: `STRATUM_MAX_IMAGE_PIXELS` when it is a positive integer, else the
    /// default. Read once per process: asked for on every image, the environment (copied into a
    /// dictionary by `ProcessInfo` on each call) was 9% of decoding 96×96 PNGs.
    public static let maxPixels: Int = {
        if let raw = getenv("STRATUM_MAX_IMAGE_PIXELS"), let value = Int(String(cString: raw)), value > 0 { return value }
        return defaultMaxPixels
    }()

    /// The most scans a JPEG may hold: 100, the most `cjpeg -scans` writes. A progressive file
    /// needs about ten (libjpeg's default script writes 10 for colour); a valid 8-bit file can
    /// chain thousands (every coefficient of every component in its own scan, refined bit by
    /// bit), and libjpeg goes over every block of a component for each. At 4096×4096, greyscale
    /// (scripts/make_jpeg_scan_fixtures.py --one), djpeg took 4.6 s on a 67 KB file of 883
    /// such scans, 2.4 s on 500 and 0.46 s on 100, against 0.11 s on `cjpeg -progressive`'s
    /// 66 KB file of a flat image that size (the same run, AMD EPYC, 2026-12-05).
    public static let maxJPEGScans = 100

    static func check(width: Int, height: Int, format: String, source: String) throws {
        guard width > 0, height > 0 else {
            throw ImageError(source: source, reason: .corrupt(format: format, message: "declares an empty size \(width)×\(height)"))
        }
        let limit = maxPixels
        guard width.multipliedReportingOverflow(by: height).partialValue <= limit, width <= limit, height <= limit else {
            throw ImageError(source: source, reason: .tooLarge(width: width, height: height, limit: limit))
        }
    }
}
