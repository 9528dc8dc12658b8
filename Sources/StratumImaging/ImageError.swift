/// An image could not be read, decoded or encoded.
public struct ImageError: Error, CustomStringConvertible, Equatable {
    public enum Reason: Equatable, Sendable {
        /// The file could not be read at all.
        case unreadable(String)
        /// The bytes are neither PNG nor JPEG.
        case unknownFormat
        /// The decoder rejected the data (corrupt or truncated); holds the decoder's message.
        case corrupt(format: String, message: String)
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

    public var description: String {
        switch reason {
        case .unreadable(let message): return "\(source): cannot read image: \(message)"
        case .unknownFormat: return "\(source): not a PNG or JPEG file (unrecognised signature)"
        case .corrupt(let format, let message): return "\(source): corrupt or truncated \(format): \(message)"
        case .encodeFailed(let message): return "\(source): cannot encode PNG: \(message)"
        }
    }
}
