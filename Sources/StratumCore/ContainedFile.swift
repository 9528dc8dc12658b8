import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file a model names beside itself (a TF.js weight shard, an ONNX external-data file, a
/// `dict.txt` of labels): a relative path that stays inside the model's folder, textually and
/// after resolving symbolic links, and names a regular file — or a reason it may not be read. A
/// model file is data from the internet: `../../etc/shadow` or a symlink out of the folder would
/// have its bytes read as weights or shown as labels, and a FIFO or `/dev/zero` would never end.
///
/// Links are resolved by the C library's `realpath`, which fails (and the file is refused) where
/// it cannot resolve them. Foundation's `resolvingSymlinksInPath` gave up silently past 20 links
/// or 1,026 bytes of path and kept the unresolved path, which passed the folder check while the
/// kernel then followed the links out of the folder (a review found it with a chain of 22 links
/// and with one relative link of ~1,000 bytes).
public enum ContainedFile {
    /// The resolved file `relative` names inside `directory`, or why it may not be read. A name
    /// that resolves to nothing (a missing file, a link to nothing) is returned unresolved: there
    /// is nothing to read through it, and the caller reports it missing.
    public static func resolve(_ relative: String, in directory: URL) -> Result<URL, Refusal> {
        guard !relative.isEmpty, !relative.hasPrefix("/"), !relative.contains("\0"), !relative.split(separator: "/").contains("..") else {
            return .failure(Refusal(message: "'\(relative)' must be a relative path inside the model's folder"))
        }
        let (resolvedRoot, rootError) = realPath(directory.path)
        guard let root = resolvedRoot else {
            return .failure(Refusal(message: "'\(relative)': the model's folder \(directory.path) cannot be resolved (\(describe(rootError)))"))
        }
        let joined = directory.appendingPathComponent(relative).path
        let (resolved, error) = realPath(joined)
        switch (resolved, error) {
        case (let path?, _):
            guard path.hasPrefix(root == "/" ? "/" : root + "/") else {
                return .failure(Refusal(message: "'\(relative)' resolves outside the model's folder (\(path))"))
            }
            var info = stat()
            guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
                return .failure(Refusal(message: "'\(relative)' is not a regular file (\(path))"))
            }
            return .success(URL(fileURLWithPath: path))
        case (nil, ENOENT):
            return .success(URL(fileURLWithPath: joined).standardizedFileURL)
        case (nil, let code):
            return .failure(Refusal(message: "'\(relative)' cannot be resolved inside the model's folder (\(describe(code)))"))
        }
    }

    /// The text of the optional file `name` beside a model (`dict.txt`, `labels.txt`): nil when
    /// there is none; a refusal when it resolves outside the folder, is not a regular file, is
    /// over `limit` bytes or is not UTF-8.
    public static func optionalText(_ name: String, in directory: URL, limit: Int = 16 << 20) -> Result<String?, Refusal> {
        let url: URL
        switch resolve(name, in: directory) {
        case .success(let resolved): url = resolved
        case .failure(let refusal): return .failure(refusal)
        }
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            // Missing (resolve found nothing there), or unreadable.
            if FileManager.default.fileExists(atPath: url.path) {
                return .failure(Refusal(message: "'\(name)' cannot be read (\(url.path))"))
            }
            return .success(nil)
        }
        defer { try? handle.close() }
        guard let bytes = try? handle.read(upToCount: limit + 1) ?? Data() else {
            return .failure(Refusal(message: "'\(name)' cannot be read (\(url.path))"))
        }
        guard bytes.count <= limit else {
            return .failure(Refusal(message: "'\(name)' is over \(limit) bytes (\(url.path))"))
        }
        guard let text = String(data: bytes, encoding: .utf8) else {
            return .failure(Refusal(message: "'\(name)' is not UTF-8 text (\(url.path))"))
        }
        return .success(text)
    }

    /// `optionalText`'s lines as labels: trimmed, empty ones left out (nil when there is no file).
    public static func optionalLines(_ name: String, in directory: URL, limit: Int = 16 << 20) -> Result<[String]?, Refusal> {
        optionalText(name, in: directory, limit: limit).map { text in
            text.map { $0.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        }
    }

    public struct Refusal: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// `realpath(3)`: the absolute path with every link resolved, or the errno of its failure
    /// (ENOENT: some component does not exist; ELOOP: too many links; ENAMETOOLONG).
    static func realPath(_ path: String) -> (path: String?, errno: Int32) {
        guard let resolved = realpath(path, nil) else { return (nil, errno) }
        defer { free(resolved) }
        return (String(cString: resolved), 0)
    }

    static func describe(_ code: Int32) -> String {
        code == ELOOP ? "too many symbolic links" : String(cString: strerror(code))
    }
}
