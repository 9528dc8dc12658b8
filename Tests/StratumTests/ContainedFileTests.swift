import Foundation
import StratumCore
import StratumModelONNX
import StratumModelTFJS
import Testing

/// Files a model names beside itself (weight shards, external data, label files) stay inside its
/// folder and are regular files, however the folder's links are laid out.
@Suite struct ContainedFileTests {
    /// A model folder with `secret.bin` beside it (outside), and what a case lays out inside.
    static func layout(_ build: (_ folder: URL, _ outside: URL) throws -> Void) throws -> URL {
        let base = try TestSupport.temporaryDirectory()
        let folder = base.appendingPathComponent("model"), outside = base.appendingPathComponent("secret.bin")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("outside the folder".utf8).write(to: outside)
        try build(folder, outside)
        return folder
    }

    static func link(_ name: String, in folder: URL, to target: String) throws {
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent(name).path, withDestinationPath: target)
    }

    /// A chain `name` → l1 → … → l`count` → `target`, every link inside the folder.
    static func chain(_ name: String, in folder: URL, links count: Int, to target: String) throws {
        try link("l\(count)", in: folder, to: target)
        for index in stride(from: count - 1, through: 1, by: -1) { try link("l\(index)", in: folder, to: "l\(index + 1)") }
        try link(name, in: folder, to: "l1")
    }

    enum Expected: Sendable { case readable, missing, refused(String) }

    static let cases: [(name: String, path: String, build: @Sendable (URL, URL) throws -> Void, expected: Expected)] = [
        ("a file inside", "w.bin", { folder, _ in try Data([1, 2, 3, 4]).write(to: folder.appendingPathComponent("w.bin")) }, .readable),
        ("a file in a subfolder", "sub/w.bin", { folder, _ in try TestSupport.write("x", to: folder.appendingPathComponent("sub/w.bin")) }, .readable),
        ("a missing file", "absent.bin", { _, _ in }, .missing),
        ("a link to nothing", "dangling.bin", { folder, _ in try link("dangling.bin", in: folder, to: "nowhere.bin") }, .missing),
        ("parent path", "../secret.bin", { _, _ in }, .refused("relative path inside")),
        ("absolute path", "/etc/passwd", { _, _ in }, .refused("relative path inside")),
        ("one link out", "w.bin", { folder, outside in try link("w.bin", in: folder, to: outside.path) }, .refused("outside the model's folder")),
        ("a link inside to a file inside", "w.bin", { folder, _ in
            try Data([1]).write(to: folder.appendingPathComponent("real.bin")); try link("w.bin", in: folder, to: "real.bin") }, .readable),
        // Past Foundation's 20 links: its resolution gave up and the unresolved path passed.
        ("22 links inside, then out", "w.bin", { folder, _ in try chain("w.bin", in: folder, links: 22, to: "../secret.bin") },
         .refused("outside the model's folder")),
        ("22 links ending inside", "w.bin", { folder, _ in
            try Data([1]).write(to: folder.appendingPathComponent("real.bin")); try chain("w.bin", in: folder, links: 22, to: "real.bin") }, .readable),
        // Past Foundation's 1,026 bytes of path: the same.
        ("a 1,000-byte relative link out", "w.bin", { folder, _ in
            try link("w.bin", in: folder, to: String(repeating: "./", count: 500) + "../secret.bin") }, .refused("outside the model's folder")),
        ("a link loop", "w.bin", { folder, _ in try link("w.bin", in: folder, to: "loop.bin"); try link("loop.bin", in: folder, to: "w.bin") },
         .refused("too many symbolic links")),
        ("a FIFO", "w.bin", { folder, _ in #expect(mkfifo(folder.appendingPathComponent("w.bin").path, 0o600) == 0) }, .refused("not a regular file")),
        ("a folder", "sub", { folder, _ in try FileManager.default.createDirectory(at: folder.appendingPathComponent("sub"), withIntermediateDirectories: true) },
         .refused("not a regular file")),
    ]

    @Test(arguments: cases.indices)
    func resolve(_ index: Int) throws {
        let (name, path, build, expected) = Self.cases[index]
        let folder = try Self.layout(build)
        let result = ContainedFile.resolve(path, in: folder)
        switch (expected, result) {
        case (.readable, .success(let url)):
            #expect(url.path.hasPrefix(folder.resolvingSymlinksInPath().path + "/"), "\(name): \(url.path)")
            #expect(FileManager.default.isReadableFile(atPath: url.path), "\(name)")
        case (.missing, .success(let url)):
            #expect(!FileManager.default.fileExists(atPath: url.path), "\(name): \(url.path)")
        case (.refused(let words), .failure(let refusal)):
            #expect(refusal.message.contains(words), "\(name): \(refusal.message)")
        default:
            Issue.record("\(name): expected \(expected), got \(result)")
        }
    }

    @Test func optionalTextIsReadInsideTheFolderOnly() throws {
        let folder = try Self.layout { folder, outside in
            try TestSupport.write("female\nmale\n", to: folder.appendingPathComponent("dict.txt"))
            try Self.link("labels.txt", in: folder, to: outside.path)
            try Data(count: 40).write(to: folder.appendingPathComponent("big.txt"))
            try Data([0xff, 0xfe, 0x00]).write(to: folder.appendingPathComponent("binary.txt"))
            #expect(mkfifo(folder.appendingPathComponent("fifo.txt").path, 0o600) == 0)
        }
        #expect(try ContainedFile.optionalText("dict.txt", in: folder).get() == "female\nmale\n")
        #expect(try ContainedFile.optionalText("absent.txt", in: folder).get() == nil)
        let refused: [(String, String)] = [("labels.txt", "outside"), ("big.txt", "over 32 bytes"), ("binary.txt", "not UTF-8"), ("fifo.txt", "not a regular file")]
        for (name, words) in refused {
            guard case .failure(let refusal) = ContainedFile.optionalText(name, in: folder, limit: 32) else {
                Issue.record("\(name) was read"); continue
            }
            #expect(refusal.message.contains(words), "\(name): \(refusal.message)")
        }
    }

    /// The label files of both model kinds: a dict.txt linked out of the folder (its lines were
    /// shown as labels: /etc/passwd's, say) is refused by name.
    @Test func labelFilesLinkedOutOfTheFolderAreRefused() throws {
        let tfjs = try TFJSMalformedTests.damaged { folder in
            try? FileManager.default.removeItem(at: folder.appendingPathComponent("dict.txt"))
            try Self.link("dict.txt", in: folder, to: "/etc/passwd")
        }
        let tfjsError = try #require(throws: TFJSError.self) { try TFJSModel(contentsOf: tfjs) }
        #expect(tfjsError.description.contains("dict.txt") && tfjsError.description.contains("outside the model's folder"), "\(tfjsError)")

        let onnxFolder = try TestSupport.temporaryDirectory().appendingPathComponent("model")
        try FileManager.default.createDirectory(at: onnxFolder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: TestSupport.fixtures.appendingPathComponent("onnx/nets/resnet_style.onnx"),
                                         to: onnxFolder.appendingPathComponent("model.onnx"))
        try Self.link("labels.txt", in: onnxFolder, to: "/etc/passwd")
        let onnxError = try #require(throws: ONNXError.self) { try ONNXModel(contentsOf: onnxFolder.appendingPathComponent("model.onnx")) }
        #expect(onnxError.description.contains("labels.txt") && onnxError.description.contains("outside the model's folder"), "\(onnxError)")
    }
}
