import Foundation
import StratumCore
import StratumRunner
import Testing

@Suite struct ExperimentSpecTests {
    static let file = URL(fileURLWithPath: "/work/exp/faces.yaml")

    @Test func parsesTheDemoExperiment() throws {
        let spec = try ExperimentSpec.load(TestSupport.repositoryRoot.appendingPathComponent("Experiments/faces.yaml"))
        #expect(spec.name == "faces")
        #expect(spec.labelColumn == "sex")
        #expect(spec.generate?.count == 2000)
        #expect(spec.variants.contains { $0.kind == "logistic" })
        #expect(spec.slices.named.map(\.name).contains("children"))
    }

    @Test func listAndMappingOptionsArePassedAsJSON() throws {
        let spec = try ExperimentSpec.parse("""
        dataset: {manifest: m.csv, label: sex}
        variants: [{name: a, kind: process, path: p, options: {command: [python3, plugin.py], env: {A: "1"}}}]
        """, file: Self.file)
        #expect(spec.variants[0].options["command"] == #"["python3","plugin.py"]"#)
        #expect(spec.variants[0].options["env"] == #"{"A":"1"}"#)
    }

    @Test func relativePathsResolveAgainstTheFile() throws {
        let spec = try ExperimentSpec.parse("""
        dataset: {manifest: data/m.csv, label: sex}
        variants: [{name: a, kind: logistic, path: ../models/a.json, options: {C: 0.5}}]
        """, file: Self.file)
        #expect(spec.manifest.path == "/work/exp/data/m.csv")
        #expect(spec.variants[0].path.path == "/work/models/a.json")
        #expect(spec.variants[0].options == ["C": "0.5"])
        #expect(spec.split == "test" && spec.batchSize == 32 && spec.name == "faces")
    }

    static let invalid: [(String, String)] = [
        ("", "empty"),
        ("dataset: [", "invalid YAML"),
        ("variants: []", "dataset: is required"),
        ("dataset: {label: sex}\nvariants: [{name: a, kind: k, path: p}]", "needs a manifest or a generate block"),
        ("dataset: {manifest: m.csv}\nvariants: [{name: a, kind: k, path: p}]", "dataset.label: is required"),
        ("dataset: {manifest: m.csv, label: sex}\nvariants: []", "variants: must be a non-empty list"),
        ("dataset: {manifest: m.csv, label: sex}\nvariants:\n  - {name: a, kind: k}", "variants[0]: needs name, kind and path"),
        ("dataset: {manifest: m.csv, label: sex}\nvariants: [{name: a, kind: k, path: p}, {name: a, kind: k, path: q}]", "duplicate variant name 'a'"),
        ("dataset: {manifest: m.csv, label: sex}\nvariants: [{name: a, kind: k, path: p}]\nslices: {named: {kids: 'age <'}}", "slices.named.kids: bad expression"),
        ("dataset: {manifest: m.csv, label: sex}\nvariants: [{name: a, kind: k, path: p}]\nslices: {min_size: 0}", "slices.min_size: must be an integer ≥ 1"),
        ("dataset: {generate: {count: 9223372036854775807, out: data}, label: sex}\nvariants: [{name: a, kind: k, path: p}]", "dataset.generate.count: must be an integer in 1…10000000"),
        ("dataset: {manifest: m.csv, label: sex, labels: [a]}\nvariants: [{name: a, kind: k, path: p}]", "at least two distinct labels"),
        ("dataset: {manifest: m.csv, label: sex}\nvariants: [{name: a, kind: k, path: p}]\nbatch: 3", "unknown key 'batch'"),
        ("dataset: {manifest: m.csv, label: sex}\nvariants: [{name: \"a\\0b\", kind: k, path: p}]", "variants[0].name: must not contain a NUL character"),
        ("name: \"x\\0\"\ndataset: {manifest: m.csv, label: sex}\nvariants: [{name: a, kind: k, path: p}]", "name: must not contain a NUL character"),
        ("dataset: {manifest: m.csv, label: sex}\nvariants: [{name: a, kind: k, path: p}]\nslices: {named: {\"\": 'age < 3'}}", "a slice needs a non-empty name"),
        ("dataset: {manifest: m.csv, label: sex}\nvariants: [{name: a, kind: k, path: p}]\nslices: {named: {\"k\\0\": 'age < 3'}}", "NUL"),
    ]

    @Test(arguments: invalid)
    func invalidFilesNameTheFieldAndLine(_ text: String, _ fragment: String) {
        do {
            _ = try ExperimentSpec.parse(text, file: Self.file)
            Issue.record("accepted: \(text)")
        } catch let error as ExperimentError {
            #expect(error.description.contains(fragment), "got: \(error)")
            #expect(error.description.hasPrefix(Self.file.path))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func errorsCarryTheLine() throws {
        let error = try #require(throws: ExperimentError.self) {
            try ExperimentSpec.parse("dataset: {manifest: m.csv, label: sex}\nvariants:\n  - name: a\n    kind: \"\"\n    path: p\n", file: Self.file)
        }
        #expect(error.line == 4)
        #expect(error.field == "variants[0].kind")
    }
}

@Suite struct ReportPathTests {
    /// One-to-one and short: names that look hashed are hashed again, long names are cut, and
    /// joined names (a disagreement gallery's two variants, a comparison's two runs) cannot be
    /// read two ways.
    @Test func fileNamesAreOneToOneAndFitAFileName() {
        let names = ["a/b", "a_b-c14cddc033f64b9d", "a_b-c14cddc0", "a_b", "x-vs-y", "z", "x", "y-vs-z", "a-vs", "vs-b", "a", String(repeating: "v", count: 100),
                     String(repeating: "v", count: 101), String(repeating: "w", count: 300), "é", "e", "_-5ec1f7e700f37c3d", ".."]
        let single = names.map(FileNameComponent.safe)
        #expect(Set(single).count == names.count, "\(single)")
        #expect(FileNameComponent.safe("a_b-c14cddc033f64b9d") != "a_b-c14cddc033f64b9d" && FileNameComponent.safe("a_b-C14CDDC033F64B9D") == "a_b-C14CDDC033F64B9D")
        var pairs: [String: [String]] = [:]
        for first in names { for second in names { pairs[FileNameComponent.joined([first, second], separator: "-vs-"), default: []].append(first + " | " + second) } }
        #expect(pairs.values.allSatisfy { $0.count == 1 }, "\(pairs.filter { $0.value.count > 1 })")
        #expect(FileNameComponent.joined(["small-cnn", "automl-mobilenet"], separator: "-vs-") == "small-cnn-vs-automl-mobilenet")
        // The longest report file name, hidden working file included (its process id has at
        // most 7 digits: Linux's pid_max is 2^22; its start time, in clock ticks, at most 20),
        // fits in 255 bytes.
        let working = ".png.4194304-18446744073709551615.tmp"
        let longest = pairs.keys.map { ".disagreement-\($0)\(working)".utf8.count }.max() ?? 0
        #expect(longest <= 255 && single.allSatisfy { ".reliability-\($0)\(working)".utf8.count <= 255 }, "\(longest)")
    }


    /// Two names that become the same readable part (`v_x_x_x_x_x_x_x`) and share the first 8
    /// hex digits of their SHA-256 (found among 2^21 such names in a second): with an 8-digit
    /// suffix their reports were one file.
    @Test func namesWhoseHashesShareEightDigitsGetDistinctFiles() {
        let (first, second) = ("v x?x*x*x*x?x!x", "v x!x?x x x x?x")
        #expect(SHA256.hex(Array(first.utf8)).prefix(8) == SHA256.hex(Array(second.utf8)).prefix(8))
        #expect(FileNameComponent.safe(first) != FileNameComponent.safe(second))
        #expect(FileNameComponent.joined([first, "b"], separator: "-vs-") != FileNameComponent.joined([second, "b"], separator: "-vs-"))
    }

    @Test(arguments: [("faces", "faces"), ("../../etc", "_.._etc-74ccf3c5b4c19a81"), ("a/b", "a_b-c14cddc033f64b9d"), ("a_b", "a_b"), (".hidden", "hidden-1692419006a88aab"), ("..", "_-5ec1f7e700f37c3d")])
    func experimentNamesCannotLeaveTheReportsFolder(_ name: String, _ folder: String) {
        let directory = StoredRunReports.directory(reportsRoot: URL(fileURLWithPath: "/r"), experiment: name, run: 2)
        #expect(directory.path == "/r/\(folder)/run-2")
    }
}
