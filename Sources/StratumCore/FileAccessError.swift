import Foundation

/// A file could not be read or written: its path, what was being done, and the system's reason
/// in plain words ("No space left on device"), never Foundation's "NSCocoaErrorDomain error 512".
public struct FileAccessError: Error, CustomStringConvertible, Equatable {
    public var action: String
    public var path: String
    public var reason: String

    public init(_ action: String, _ path: String, _ error: Error) {
        self.action = action
        self.path = path
        self.reason = Self.cause(of: error)
    }

    public var description: String { "cannot \(action) \(path): \(reason)" }

    /// The POSIX reason under a Foundation file error, else its description.
    public static func cause(of error: Error) -> String {
        if let known = error as? FileAccessError { return known.reason }
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? any Error {
            let posix = underlying as NSError
            if posix.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(posix.code))) }
        }
        if nsError.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(nsError.code))) }
        switch (nsError.domain, nsError.code) {
        case (NSCocoaErrorDomain, NSFileReadNoSuchFileError), (NSCocoaErrorDomain, NSFileNoSuchFileError): return "no such file"
        case (NSCocoaErrorDomain, NSFileReadNoPermissionError), (NSCocoaErrorDomain, NSFileWriteNoPermissionError): return "permission denied"
        case (NSCocoaErrorDomain, NSFileWriteOutOfSpaceError): return "no space left on device"
        case (NSCocoaErrorDomain, NSFileReadInapplicableStringEncodingError): return "not UTF-8 text"
        default: return nsError.domain == NSCocoaErrorDomain ? nsError.localizedDescription : "\(error)"
        }
    }
}
