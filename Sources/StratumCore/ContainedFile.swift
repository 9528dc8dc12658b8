import Foundation

/// A file a model names beside itself (a TF.js weight shard, an ONNX external-data file): a
/// relative path that stays inside the model's folder, textually and after resolving symbolic
/// links, or a reason it does not. A model file is data from the internet: `../../etc/shadow`
/// or a symlink out of the folder would have its bytes read as weights.
public enum ContainedFile {
    /// The resolved file `relative` names inside `directory`, or why it may not be read.
    public static func resolve(_ relative: String, in directory: URL) -> Result<URL, Refusal> {
        guard !relative.isEmpty, !relative.hasPrefix("/"), !relative.split(separator: "/").contains("..") else {
            return .failure(Refusal(message: "'\(relative)' must be a relative path inside the model's folder"))
        }
        let root = directory.resolvingSymlinksInPath().standardizedFileURL.path
        let resolved = directory.appendingPathComponent(relative).resolvingSymlinksInPath().standardizedFileURL
        guard resolved.path.hasPrefix(root.hasSuffix("/") ? root : root + "/") else {
            return .failure(Refusal(message: "'\(relative)' resolves outside the model's folder (\(resolved.path))"))
        }
        return .success(resolved)
    }

    public struct Refusal: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }
}
