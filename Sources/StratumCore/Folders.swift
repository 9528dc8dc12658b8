import Foundation

/// `mkdir -p` that says which component failed and why (Foundation's error says only "could
/// not be completed"): for the reports' folder and a new database's.
public enum Folders {
    public enum Failure: Error, CustomStringConvertible, Equatable {
        /// `path` could not be made; `reason` is the system's.
        case cannotCreate(path: String, reason: String)
        /// `path` exists and is not a folder.
        case notAFolder(path: String)

        public var description: String {
            switch self {
            case .cannotCreate(let path, let reason): "\(path): \(reason)"
            case .notAFolder(let path): "\(path) is a file, not a folder"
            }
        }
    }

    /// Makes `url` and the folders above it that are missing.
    public static func make(_ url: URL) throws(Failure) {
        var path = ""
        for component in url.standardizedFileURL.path.split(separator: "/") {
            path += "/" + component
            if mkdir(path, 0o755) != 0 && errno != EEXIST {
                throw .cannotCreate(path: path, reason: String(cString: strerror(errno)))
            }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                throw .notAFolder(path: path)
            }
        }
    }
}
