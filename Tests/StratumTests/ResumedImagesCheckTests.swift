import Foundation
import StratumCore
@testable import StratumRunner
import StratumStore
import Testing

/// The resume's file check on its own: one check per file, names shown safely, and files it
/// must not open (a FIFO would wait for a writer forever).
@Suite struct ResumedImagesCheckTests {
    struct Refused: Error { var what: String }

    @Test func aFIFOOrAFolderIsNamedWithoutOpeningIt() throws {
        let directory = try TestSupport.temporaryDirectory()
        let fifo = directory.appendingPathComponent("a.png").path
        try #require(mkfifo(fifo, 0o600) == 0)
        #expect(ResumedImagesCheck.problem(fifo, expected: 1) == "not a regular file any more")
        #expect(ResumedImagesCheck.problem(directory.path, expected: 1) == "not a regular file any more")
        #expect(ResumedImagesCheck.problem(directory.appendingPathComponent("gone.png").path, expected: 1) == "No such file or directory")
        let file = directory.appendingPathComponent("b.png")
        try Data([1, 2, 3]).write(to: file)
        #expect(ResumedImagesCheck.problem(file.path, expected: ContentFingerprint.of([1, 2, 3])) == nil)
        #expect(ResumedImagesCheck.problem(file.path, expected: ContentFingerprint.of([1, 2])) == "changed")
    }

    /// Three rows naming one changed file count once; a name with a line break stays on its line.
    @Test func eachFileIsCountedOnceAndNamedOnOneLine() throws {
        let directory = try TestSupport.temporaryDirectory()
        let odd = "evil\nline2: x (changed).png"
        for name in ["same.png", odd, "fine.png"] { try Data([7]).write(to: directory.appendingPathComponent(name)) }
        let root = SampleRoot(directory)
        let names = ["same.png", "same.png", "same.png", odd, "fine.png"]
        let samples = names.enumerated().map { index, name in
            Sample(id: "s\(index)", root: root, relativePath: name, label: "f", split: "test", attributes: [:], line: index + 2)
        }
        let ids = (1...5).map { SampleID(rawValue: Int64($0)) }
        let variant = RunVariant(name: "v", kind: "k", variantID: VariantID(rawValue: 1), classifier: nil, failure: nil, done: SampleIDSet(ids))
        var stored = Dictionary(uniqueKeysWithValues: ids.map { ($0, ContentFingerprint.of([8])) })
        stored[ids[4]] = ContentFingerprint.of([7])
        let error = try #require(throws: Refused.self) {
            try ResumedImagesCheck.verify(samples: samples, ids: ids, variants: [variant], stored: stored) { Refused(what: $0) }
        }
        #expect(error.what.hasPrefix("2 of the 3 image files"), "\(error.what)")
        #expect(error.what.contains("'same.png' (changed); 'evil\\u{A}line2: x (changed).png' (changed)") && !error.what.contains("\n"), "\(error.what)")
        #expect(!error.what.contains("fine.png"))
    }
}
