import Foundation
import StratumCore
import StratumData
import Testing

@Suite struct ManifestTests {
    /// Writes a dataset folder with the given manifest and image files; returns the manifest URL.
    static func dataset(_ manifest: String, name: String = "manifest.csv", images: [String] = ["a.png", "b.png"]) throws -> URL {
        let directory = try TestSupport.temporaryDirectory()
        let png = try Data(contentsOf: TestSupport.fixtures.appendingPathComponent("images/gray-8x6.png"))
        for image in images {
            let url = directory.appendingPathComponent(image)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try png.write(to: url)
        }
        let url = directory.appendingPathComponent(name)
        try TestSupport.write(manifest, to: url)
        return url
    }

    @Test func validCSVManifestLoads() throws {
        let url = try Self.dataset("id,path,label,split,age\na,a.png,cat,test,3\nb,b.png,dog,train,40\n")
        let dataset = try ManifestReader.read(url)
        #expect(dataset.samples.map(\.id) == ["a", "b"])
        #expect(dataset.labels == ["cat", "dog"])
        #expect(dataset.samples[0].attributes == ["label": "cat", "split": "test", "age": "3"])
        #expect(dataset.samples[1].line == 3)
    }

    @Test func quotedCSVFieldsKeepCommasQuotesAndNewlines() throws {
        let url = try Self.dataset("id,path,label,split,note\r\na,a.png,cat,test,\"x, \"\"y\"\"\nz\"\r\n")
        let dataset = try ManifestReader.read(url)
        #expect(dataset.samples[0].attributes["note"] == "x, \"y\"\nz")
    }

    @Test func jsonLinesManifestLoads() throws {
        let url = try ManifestTests.dataset("""
        {"id": "a", "path": "a.png", "label": "cat", "split": "test", "age": 3, "glasses": true}
        {"id": "b", "path": "b.png", "label": "dog", "split": "test", "age": 40.5, "glasses": false}
        """, name: "manifest.jsonl")
        let dataset = try ManifestReader.read(url)
        #expect(dataset.samples.map(\.label) == ["cat", "dog"])
        #expect(dataset.samples[0].attributes["age"] == "3")
        #expect(dataset.samples[0].attributes["glasses"] == "true")
        #expect(dataset.samples[1].attributes["age"] == "40.5")
    }

    /// Line endings written on Windows (CR LF, one `Character` in Swift) split JSON lines too,
    /// and each line keeps its number.
    @Test(arguments: ["\n", "\r\n"])
    func jsonLinesManifestLoadsWithEitherLineEnding(_ newline: String) throws {
        let lines = ["{\"id\": \"a\", \"path\": \"a.png\", \"label\": \"cat\", \"split\": \"test\"}", "",
                     "{\"id\": \"b\", \"path\": \"b.png\", \"label\": \"dog\", \"split\": \"test\"}"]
        let dataset = try ManifestReader.read(try Self.dataset(lines.joined(separator: newline) + newline, name: "m.jsonl"))
        #expect(dataset.samples.map(\.id) == ["a", "b"])
        #expect(dataset.samples.map(\.line) == [1, 3])
    }

    struct InvalidCase: Sendable, CustomTestStringConvertible {
        var name: String
        var manifest: String
        var file = "manifest.csv"
        var labels: [String]? = nil
        var expected: ManifestError.Issue
        var testDescription: String { name }
    }

    static let invalidCases: [InvalidCase] = [
        .init(name: "missing label column", manifest: "id,path,split\na,a.png,test\n",
              expected: .init(line: nil, problem: .missingColumn("label", available: ["id", "path", "split"]))),
        .init(name: "missing split column", manifest: "id,path,label\na,a.png,cat\n",
              expected: .init(line: nil, problem: .missingColumn("split", available: ["id", "path", "label"]))),
        .init(name: "duplicate id", manifest: "id,path,label,split\na,a.png,cat,test\na,b.png,dog,test\n",
              expected: .init(line: 3, problem: .duplicateID("a", firstLine: 2))),
        .init(name: "missing image file", manifest: "id,path,label,split\na,a.png,cat,test\nb,c.png,dog,test\n",
              expected: .init(line: 3, problem: .missingFile("c.png"))),
        .init(name: "path escaping the dataset folder", manifest: "id,path,label,split\na,../a.png,cat,test\n",
              expected: .init(line: 2, problem: .pathEscapesDataset("../a.png"))),
        .init(name: "absolute path", manifest: "id,path,label,split\na,/etc/passwd,cat,test\n",
              expected: .init(line: 2, problem: .pathEscapesDataset("/etc/passwd"))),
        .init(name: "unknown label", manifest: "id,path,label,split\na,a.png,cat,test\nb,b.png,cow,test\n", labels: ["cat", "dog"],
              expected: .init(line: 3, problem: .unknownLabel("cow", allowed: ["cat", "dog"]))),
        .init(name: "empty label", manifest: "id,path,label,split\na,a.png,,test\n",
              expected: .init(line: 2, problem: .emptyValue(column: "label"))),
        .init(name: "wrong field count", manifest: "id,path,label,split\na,a.png,cat\n",
              expected: .init(line: 2, problem: .wrongFieldCount(expected: 4, found: 3))),
        .init(name: "unterminated quote", manifest: "id,path,label,split\na,\"a.png,cat,test\n",
              expected: .init(line: 2, problem: .malformedCSV("unterminated quoted field"))),
        .init(name: "NUL in a value", manifest: "id,path,label,split,hair\na,a.png,cat,test,sh\u{0}ort\n",
              expected: .init(line: 2, problem: .nulCharacter(column: "hair"))),
        .init(name: "header only", manifest: "id,path,label,split\n", expected: .init(line: nil, problem: .empty)),
        .init(name: "a column named twice", manifest: "id,path,label,split,label\na,a.png,cat,test,dog\n",
              expected: .init(line: 1, problem: .duplicateColumn("label"))),
        .init(name: "bad JSON line", manifest: "{\"id\": \"a\", \"path\": \"a.png\", \"label\": \"cat\", \"split\": \"test\"}\n{oops\n", file: "m.jsonl",
              expected: .init(line: 2, problem: .malformedJSON("each line must be one JSON object of strings, numbers and booleans"))),
    ]

    @Test(arguments: invalidCases)
    func invalidManifestReportsTheProblemAndLine(_ testCase: InvalidCase) throws {
        let url = try Self.dataset(testCase.manifest, name: testCase.file)
        do {
            _ = try ManifestReader.read(url, allowedLabels: testCase.labels)
            Issue.record("accepted an invalid manifest")
        } catch let error as ManifestError {
            #expect(error.file == url.path)
            #expect(error.issues.contains(testCase.expected), "got \(error.issues)")
            #expect(error.description.contains(url.path))
        }
    }

    @Test func everyProblemIsReportedNotJustTheFirst() throws {
        let url = try Self.dataset("id,path,label,split\na,x.png,cat,test\na,y.png,cat,test\n")
        let error = try #require(throws: ManifestError.self) { try ManifestReader.read(url) }
        #expect(error.issues.count == 3)
    }

    @Test func missingManifestIsUnreadable() throws {
        let error = try #require(throws: ManifestError.self) { try ManifestReader.read(URL(fileURLWithPath: "/nonexistent/manifest.csv")) }
        #expect(error.description.contains("/nonexistent/manifest.csv"))
    }
    /// Paths with spaces, non-ASCII letters, colons and percent signs, through a folder, a
    /// `.` component or a symlinked folder that stays inside: all read, each sample's file the
    /// one named.
    @Test func unusualButContainedPathsAreRead() throws {
        let directory = try TestSupport.temporaryDirectory()
        let png = try Data(contentsOf: TestSupport.fixtures.appendingPathComponent("images/gradient-24x16.png"))
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("sub"), withIntermediateDirectories: true)
        let paths = ["a b.png", "ünï.png", "x:y.png", "p%20q.png", "sub/c.png", "sub/./d.png", "alias/e.png"]
        for name in ["a b.png", "ünï.png", "x:y.png", "p%20q.png", "sub/c.png", "sub/d.png", "sub/e.png"] {
            try png.write(to: directory.appendingPathComponent(name))
        }
        try FileManager.default.createSymbolicLink(atPath: directory.appendingPathComponent("alias").path, withDestinationPath: "sub")
        let rows = paths.enumerated().map { "s\($0.offset),\($0.element),x,test" }
        try TestSupport.write((["id,path,label,split"] + rows).joined(separator: "\n") + "\n", to: directory.appendingPathComponent("m.csv"))
        let dataset = try ManifestReader.read(directory.appendingPathComponent("m.csv"))
        #expect(dataset.samples.map(\.relativePath) == paths)
        for sample in dataset.samples {
            #expect(sample.url.path == directory.appendingPathComponent(sample.relativePath).standardizedFileURL.path)
            #expect(FileManager.default.contents(atPath: sample.url.path) == png)
        }
    }
}



@Suite struct AllSplitTests {
    /// `split: all` evaluates every sample, unless the manifest names a split `all`.
    @Test func allMeansEverySampleUnlessASplitIsCalledAll() throws {
        let directory = try TestSupport.temporaryDirectory()
        let manifest = directory.appendingPathComponent("m.csv")
        try TestSupport.write("id,path,sex,split\na,a.png,female,train\nb,b.png,male,test\nc,c.png,male,val\n", to: manifest)
        let dataset = try ManifestReader.read(manifest, columns: ManifestColumns(label: "sex"), checkFiles: false)
        #expect(dataset.samples(inSplit: "all").map(\.id) == ["a", "b", "c"])
        #expect(dataset.samples(inSplit: "test").map(\.id) == ["b"])
        try TestSupport.write("id,path,sex,split\na,a.png,female,all\nb,b.png,male,test\n", to: manifest)
        let named = try ManifestReader.read(manifest, columns: ManifestColumns(label: "sex"), checkFiles: false)
        #expect(named.samples(inSplit: "all").map(\.id) == ["a"])
    }

    /// A manifest's rows are views of one column-wise table: every field reads back as
    /// written (non-ASCII ids and paths, absent JSON Lines keys, repeated values), a row
    /// equals the same sample made on its own, and the URL is the path inside the folder.
    @Test func rowsReadBackFromTheColumnTableAsWritten() throws {
        let url = try ManifestTests.dataset("""
            {"id": "é-1", "path": "d/ä b.png", "label": "cat", "split": "test", "age": 3}
            {"id": "x", "path": "b.png", "label": "dog", "split": "test", "note": "n"}
            {"id": "y", "path": "a.png", "label": "cat", "split": "train", "age": 3}

            """, name: "m.jsonl", images: ["d/ä b.png", "b.png", "a.png"])
        let dataset = try ManifestReader.read(url)
        #expect(dataset.samples.map(\.id) == ["é-1", "x", "y"])
        #expect(dataset.samples.map(\.relativePath) == ["d/ä b.png", "b.png", "a.png"])
        #expect(dataset.samples.map(\.label) == ["cat", "dog", "cat"])
        #expect(dataset.samples.map(\.split) == ["test", "test", "train"])
        #expect(dataset.samples.map(\.line) == [1, 2, 3])
        #expect(dataset.samples.map { $0.attributes["age"] } == ["3", nil, "3"])
        #expect(dataset.samples.map { $0.attributes["note"] } == [nil, "n", nil])
        #expect(dataset.samples[1].attributes.keys == ["label", "note", "split"])
        #expect(dataset.samples[0].url == url.deletingLastPathComponent().appendingPathComponent("d/ä b.png").standardizedFileURL)
        let alone = Sample(id: "é-1", root: SampleRoot(url.deletingLastPathComponent().standardizedFileURL), relativePath: "d/ä b.png",
                           label: "cat", split: "test", attributes: ["age": "3", "label": "cat", "split": "test"], line: 1)
        #expect(dataset.samples[0] == alone)
        #expect(dataset.samples[0] != dataset.samples[2])
        // Attributes read from the table write like a dictionary, leaving the table alone.
        var attributes = dataset.samples[0].attributes
        attributes["age"] = "4"
        attributes["new"] = "v"
        #expect(attributes.dictionary == ["age": "4", "label": "cat", "split": "test", "new": "v"])
        #expect(dataset.samples[0].attributes["age"] == "3")
    }
}
