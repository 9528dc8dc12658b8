/// An image could not be read, decoded or encoded.
public struct ImageError: Error, CustomStringConvertible, Equatable {
    public enum Reason: Equatable, Sendable {
        /// The file could not be read at all.
        case unreadable(String)
        /// The bytes are neither PNG nor JPEG; `detected` names what they look like, when known.
        case unknownFormat(detected: String?)
        /// The decoder rejected the data (corrupt or truncated); holds the decoder's message.
        case corrupt(format: String, message: String)
        /// The file declares more pixels than `ImageLimits.maxPixels`.
        case tooLarge(width: Int, height: Int, limit: Int)
        /// A JPEG holds more scans than `ImageLimits.maxJPEGScans` (counted up to one more).
        case tooManyScans(limit: Int)
        /// Encoding failed; holds the encoder's message.
        case encodeFailed(String)
    }

    /// The file (or a caller-chosen name for in-memory data).
    public var source: String
    public var reason: Reason

    public init(source: String, reason: Reason) {
        self.source = source
        self.reason = reason
    }

    public var description: String { "\(source): \(explanation)" }

    /// What went wrong, without the file's name.
    public var explanation: String {
        switch reason {
        case .unreadable(let message): return "cannot read image: \(message)"
        case .unknownFormat(let detected):
            let what = detected.map { "it looks like \($0)" } ?? "unrecognised signature"
            return "not a PNG or JPEG file (\(what))"
        case .corrupt(let format, let message): return "corrupt or truncated \(format): \(message)"
        case .tooLarge(let width, let height, let limit):
            return "image is \(width)×\(height) pixels, over the limit of \(limit) pixels (set STRATUM_MAX_IMAGE_PIXELS to raise it)"
        case .tooManyScans(let limit):
            return "JPEG holds more than \(limit) scans (a progressive file needs about ten); not decoded, as decoding each scan goes over the whole image"
        case .encodeFailed(let message): return "cannot encode PNG: \(message)"
        }
    }
}
