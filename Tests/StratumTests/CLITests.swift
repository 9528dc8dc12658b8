import Foundation
import StratumCore
import StratumData
import StratumStore
import Testing

/// Runs the built `stratum` binary and checks output and exit codes.
@Suite struct CLITests {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static var binary: URL {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("stratum"),
            Bundle.main.bundleURL.appendingPathComponent("stratum"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("stratum"),
            TestSupport.repositoryRoot.appendingPathComponent(".build/debug/stratum"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[3]
    }

    /// Runs the CLI (or `program`) with `arguments`.
    static func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:], program: URL? = nil) throws -> Result {
        let process = Process()
        process.executableURL = program ?? binary
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes before waiting so a large output cannot block the child.
        let errorData = ErrorReader(err.fileHandleForReading)
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: output, as: UTF8.self), stderr: String(decoding: errorData.finish(), as: UTF8.self))
    }

    /// Reads a pipe on its own thread. Invariant: `data` is read only after the thread finished (`done` waited on).
    final class ErrorReader: @unchecked Sendable {
        private var data = Data()
        private let done = DispatchSemaphore(value: 0)
        init(_ handle: FileHandle) {
            Thread { [self] in
                data = handle.readDataToEndOfFile()
                done.signal()
            }.start()
        }
        func finish() -> Data {
            done.wait()
            return data
        }
    }

    @Test func binaryExists() {
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build the package first: \(Self.binary.path)")
    }

    @Test func helpListsTheSubcommands() throws {
        let result = try Self.run(["--help"])
        #expect(result.status == 0)
        for command in ["run", "models", "dataset", "runs"] { #expect(result.stdout.contains(command)) }
        #expect(result.stdout.contains("Exit codes"))
    }

    @Test func modelsListsTheLogisticKind() throws {
        let table = try Self.run(["models"])
        #expect(table.status == 0 && table.stdout.contains("logistic"))
        let json = try Self.run(["models", "--format", "json"])
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        let logistic = try #require(parsed.first { $0["kind"] as? String == "logistic" })
        let options = try Fixture.list(logistic, "options", of: [String: String].self).compactMap { $0["name"] }
        #expect(options == ["size", "channels", "C", "normalize"])
    }

    /// A model file does not record its input scaling: predict says what it assumed, and
    /// --normalize (any value the kind takes, imagenet for onnx) is passed to the kind.
    @Test func predictSaysWhatScalingItAssumed() throws {
        let root = TestSupport.repositoryRoot
        let automl = root.appendingPathComponent("Experiments/models/automl-mobilenet").path
        // The demo's face-00027 (Experiments/data is generated, not committed).
        let face = TestSupport.fixtures.appendingPathComponent("tfjs/images/face-00027.png").path
        let assumed = try Self.run(["predict", automl, face, "--format", "json"])
        #expect(assumed.status == 0 && assumed.stderr.contains("no --normalize given: unit ([0,1]) is assumed"), "\(assumed.stderr)")
        let given = try Self.run(["predict", automl, face, "--normalize", "symmetric", "--format", "json"])
        #expect(given.status == 0 && !given.stderr.contains("note:"), "\(given.stderr)")
        // The run stored female 0.9699 for this face (symmetric); unit made it male 0.81.
        #expect(given.stdout.contains("\"predicted\" : \"female\"") && assumed.stdout.contains("\"predicted\" : \"male\""), "\(given.stdout)")
        let torch = root.appendingPathComponent("Experiments/models/torch-mobilenetv3/model.onnx").path
        #expect(try Self.run(["predict", torch, face, "--normalize", "imagenet"]).status == 0)
        let disagree = try Self.run(["predict", automl, face, "--normalize", "unit", "--option", "normalize=symmetric"])
        #expect(disagree.status == 64 && disagree.stderr.contains("disagree"), "\(disagree.stderr)")
        // An option without a key (it became an option named after its value) or given twice
        // (the last one won) is a usage error.
        for (options, says) in [(["=symmetric"], "--option needs key=value, got '=symmetric'"), (["center_crop"], "needs key=value"),
                                (["center_crop=true", "center_crop=false"], "--option center_crop is given more than once")] {
            let refused = try Self.run(["predict", automl, face, "--normalize", "unit"] + options.flatMap { ["--option", $0] })
            #expect(refused.status == 64 && refused.stderr.contains(says), "\(options): \(refused.stderr)")
        }
        #expect(try Self.run(["serve", "--help"]).stdout.contains("--normalize"))
        // Gallery sizes are bounded (--limit Int.max overflowed halving it): a usage error.
        for options in [["--limit", "9223372036854775807"], ["--columns", "1000000000000"]] {
            let refused = try Self.run(["report"] + options)
            #expect(refused.status == 64 && refused.stderr.contains("--limit in 0…10000"), "\(options): \(refused.stderr)")
        }
        // --exif-orientation ignore reads the stored pixels (a turned 8×4 image gives another answer).
        let turned = TestSupport.fixtures.appendingPathComponent("images/hostile/exif-orient-6.jpg").path
        let applied = try Self.run(["predict", automl, turned, "--normalize", "symmetric", "--format", "json"])
        let stored = try Self.run(["predict", automl, turned, "--normalize", "symmetric", "--format", "json", "--exif-orientation", "ignore"])
        #expect(applied.status == 0 && stored.status == 0 && applied.stdout != stored.stdout, "\(applied.stderr)\(stored.stderr)")
    }

    static let exitCases: [([String], Int32)] = [
        (["frobnicate"], 64),
        (["run"], 64),
        (["run", "x.yaml", "--batch-size", "0"], 64),
        (["dataset", "generate", "cats", "--out", "/tmp/x"], 64),
        (["run", "/nonexistent/experiment.yaml"], 65),
        (["run", "/tmp"], 65),
        (["dataset", "validate", "/nonexistent/manifest.csv"], 65),
        (["runs", "--db", "/nonexistent/stratum.sqlite"], 65),
    ]

    @Test(arguments: exitCases)
    func exitCodes(_ arguments: [String], _ expected: Int32) throws {
        let result = try Self.run(arguments)
        #expect(result.status == expected, "stratum \(arguments.joined(separator: " ")): \(result.stderr)")
        #expect(!result.stderr.isEmpty)
    }

    @Test func malformedExperimentIsOneClearLine() throws {
        let directory = try TestSupport.temporaryDirectory()
        try TestSupport.write("dataset: {manifest: m.csv}\nvariants: [{name: a, kind: logistic, path: p}]\n", to: directory.appendingPathComponent("bad.yaml"))
        let result = try Self.run(["run", "bad.yaml"], in: directory)
        #expect(result.status == 65)
        #expect(result.stderr.contains("bad.yaml:1: dataset.label: is required"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test func anInvalidOptionValueIsOneLineAndExit65() throws {
        let directory = try TestSupport.temporaryDirectory()
        try TestSupport.write("id,path,sex,split\na,a.png,female,test\n", to: directory.appendingPathComponent("m.csv"))
        try TestSupport.write("""
        dataset: {manifest: m.csv, label: sex, labels: [female, male]}
        variants: [{name: v, kind: tfjs, path: none, options: {normalize: bogus}}]
        """, to: directory.appendingPathComponent("e.yaml"))
        let result = try Self.run(["run", "e.yaml", "--db", "s.sqlite"], in: directory)
        #expect(result.status == 65 && result.stderr.contains("variant 'v': ") && result.stderr.contains("option normalize 'bogus'"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    /// Manifest strings reach the terminal with their control characters escaped: a label
    /// carrying ESC sequences (a title change, a line erase) is shown, not obeyed.
    @Test func validateShowsControlCharactersEscaped() throws {
        let directory = try TestSupport.temporaryDirectory()
        let data = directory.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: TestSupport.fixtures.appendingPathComponent("images/gradient-24x16.png"), to: data.appendingPathComponent("a.png"))
        try TestSupport.write("id,path,sex,split\na,a.png,\u{1B}]0;owned\u{07}x,test\nb,a.png,y,te\u{1B}[8mst\n", to: data.appendingPathComponent("manifest.csv"))
        let result = try Self.run(["dataset", "validate", "data/manifest.csv", "--label", "sex"], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stdout.contains("\u{1B}") && !result.stdout.contains("\u{07}"), "\(result.stdout.debugDescription)")
        #expect(result.stdout.contains("\\u{1B}"), "\(result.stdout)")
    }

    @Test func validateDecodeListsEveryUnreadableImageUpFront() throws {
        let directory = try TestSupport.temporaryDirectory()
        let (_, bad) = try RunnerTests.datasetWithUnreadableImages(in: directory)
        let plain = try Self.run(["dataset", "validate", "data/manifest.csv", "--label", "sex"], in: directory)
        #expect(plain.status == 0, "without --decode only the manifest is checked")
        let result = try Self.run(["dataset", "validate", "data/manifest.csv", "--label", "sex", "--decode", "--quiet"], in: directory)
        #expect(result.status == 65)
        for (index, file) in bad.enumerated() {
            #expect(result.stdout.contains("data/manifest.csv:\(index + 4): id 'bad\(index)'") && result.stdout.contains(file), "\(result.stdout)")
        }
        let json = try Self.run(["dataset", "validate", "data/manifest.csv", "--label", "sex", "--decode", "--format", "json"], in: directory)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((object["unreadable"] as? [[String: Any]])?.count == bad.count)
    }

    @Test func everyCommandFindsTheDatabaseThroughSTRATUM_DB() throws {
        let directory = try TestSupport.temporaryDirectory()
        let summary = try HostileInputTests.tinyRun(reportsRoot: directory.appendingPathComponent("Reports"), in: directory)
        let environment = ["STRATUM_DB": summary.database]
        let runs = try Self.run(["runs", "--format", "json"], in: directory, environment: environment)
        #expect(runs.status == 0 && runs.stdout.contains("\"number\" : 1"), "\(runs.stderr)")
        let history = try Self.run(["history", "e"], in: directory, environment: environment)
        #expect(history.status == 0, "\(history.stderr)")
        let without = try Self.run(["runs"], in: directory)
        #expect(without.status == 65 && without.stderr.contains("no database at stratum.sqlite"), "\(without.stderr)")
        // With an Experiments folder, run and every reader agree on Experiments/stratum.sqlite.
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("Experiments"), withIntermediateDirectories: true)
        let missing = try Self.run(["runs"], in: directory)
        #expect(missing.status == 65 && missing.stderr.contains("no database at Experiments/stratum.sqlite"), "\(missing.stderr)")
    }

    @Test func reportsFindADatasetThatMovedWithDataRoot() throws {
        let directory = try TestSupport.temporaryDirectory()
        let summary = try HostileInputTests.tinyRun(reportsRoot: directory.appendingPathComponent("Reports"), in: directory)
        try FileManager.default.moveItem(at: directory.appendingPathComponent("data"), to: directory.appendingPathComponent("moved"))
        // Without --data-root the report is drawn with crossed boxes for the images it cannot
        // read, and says which and why, with the hint; it exits 2 (written, but not whole).
        let lost = try Self.run(["report", "--db", summary.database, "--reports", "R2"], in: directory)
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("R2/e/run-1/index.html").path))
        #expect(lost.status == 2 && lost.stderr.contains("cannot be read now ('s") && lost.stderr.contains("No such file")
                && lost.stderr.contains("the first tried: \(directory.path)/data/s") && lost.stderr.contains("pass --data-root"), "\(lost.stderr)")
        // A --data-root that is no folder is a usage error, before anything is drawn.
        let mistyped = try Self.run(["report", "--db", summary.database, "--reports", "R4", "--data-root", "nowhere"], in: directory)
        #expect(mistyped.status == 64 && mistyped.stderr.contains("--data-root nowhere is not a folder"), "\(mistyped.stderr)")
        let found = try Self.run(["report", "--db", summary.database, "--reports", "R2", "--data-root", "moved"], in: directory)
        #expect(found.status == 0, "\(found.stderr)")
        let gallery = try Self.run(["gallery", "--db", summary.database, "--variant", "v", "-o", "g.png", "--data-root", "moved"], in: directory)
        #expect(gallery.status == 0 && !gallery.stderr.contains("changed"), "\(gallery.stderr)")
        // The moved copy's images replaced by other pictures: drawn from the store as before,
        // but the galleries leave them out and both commands say which.
        let images = try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("moved").path).filter { $0.hasSuffix(".png") }
        for name in images {
            let file = directory.appendingPathComponent("moved").appendingPathComponent(name)
            try FileManager.default.removeItem(at: file)
            try FileManager.default.copyItem(at: TestSupport.fixtures.appendingPathComponent("images/gray-8x6.png"), to: file)
        }
        let replaced = try Self.run(["report", "--db", summary.database, "--reports", "R3", "--data-root", "moved"], in: directory)
        #expect(replaced.status == 2 && replaced.stderr.contains("samples changed since run 1 read them ('s") && !replaced.stderr.contains("--data-root"), "\(replaced.stderr)")
        let replacedGallery = try Self.run(["gallery", "--db", summary.database, "--variant", "v", "-o", "g2.png", "--data-root", "moved"], in: directory)
        #expect(replacedGallery.status == 2 && replacedGallery.stderr.contains("changed since run 1")
                && replacedGallery.stderr.contains("samples were not drawn (above); the files are written"), "\(replacedGallery.stderr)")
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("g2.png").path))
        #expect(replacedGallery.stdout.contains("not drawn"), "\(replacedGallery.stdout)")
    }

    /// Two runs of one manifest whose image files changed in between: compare says how many
    /// compared samples had other image bytes (a flip there may be the image's doing).
    @Test func compareNamesSamplesWhoseImagesChangedBetweenRuns() throws {
        let directory = try TestSupport.temporaryDirectory()
        let first = try HostileInputTests.tinyRun(reportsRoot: directory.appendingPathComponent("Reports"), in: directory)
        let unchanged = try Self.run(["compare", "e/1:v", "e/1:v", "--db", first.database, "--format", "json", "--dry-run"], in: directory)
        #expect(unchanged.status == 0 && !unchanged.stdout.contains("image bytes"), "\(unchanged.stderr)")
        for name in ["s0.png", "s3.png"] {
            let file = directory.appendingPathComponent("data").appendingPathComponent(name)
            try FileManager.default.removeItem(at: file)
            try FileManager.default.copyItem(at: TestSupport.fixtures.appendingPathComponent("images/gray-8x6.png"), to: file)
        }
        _ = try HostileInputTests.tinyRun(reportsRoot: directory.appendingPathComponent("Reports"), in: directory)
        let compared = try Self.run(["compare", "e/1:v", "e/2:v", "--db", first.database, "--format", "json", "--dry-run"], in: directory)
        #expect(compared.status == 0 && compared.stdout.contains("2 of the 8 compared samples had other image bytes in the candidate run"), "\(compared.stdout)\(compared.stderr)")
    }

    @Test func invalidManifestListsLines() throws {
        let directory = try TestSupport.temporaryDirectory()
        try TestSupport.write("id,path,label,split\na,a.png,cat,test\na,b.png,dog,test\n", to: directory.appendingPathComponent("m.csv"))
        let result = try Self.run(["dataset", "validate", "m.csv"], in: directory)
        #expect(result.status == 65)
        #expect(result.stderr.contains("m.csv:2: image file not found: a.png"))
        #expect(result.stderr.contains("m.csv:3: duplicate id 'a' (first used on line 2)"))
        // --format json answers in JSON when the manifest is invalid too.
        let json = try Self.run(["dataset", "validate", "m.csv", "--format", "json"], in: directory)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], "\(json.stdout)")
        let problems = object["problems"] as? [[String: Any]] ?? []
        #expect(json.status == 65 && object["valid"] as? Bool == false && problems.count == 3, "\(json.stdout)")
        #expect(problems.contains { $0["line"] as? Int == 3 && ($0["message"] as? String)?.contains("duplicate id 'a'") == true }, "\(problems)")
        // The default label column is named when a manifest lacks it.
        try TestSupport.write("id,path,sex,split\na,a.png,f,test\n", to: directory.appendingPathComponent("s.csv"))
        let unlabelled = try Self.run(["dataset", "validate", "s.csv"], in: directory)
        #expect(unlabelled.status == 65 && unlabelled.stderr.contains("--label names the label column") && unlabelled.stderr.contains("id, path, sex, split"), "\(unlabelled.stderr)")
    }

    /// The whole flow through the binary: generate, validate, run (exit 0), then a run with a
    /// broken variant next to a good one (exit 2), then list runs as JSON.
    /// `bench tfjs --format json`: a result per batch size with the FLOP count of the network
    /// (the small CNN is 15.24 MFLOP per image) and, given onnxruntime's figures, their ratio.
    @Test func benchTFJSPrintsJSONWithRatios() throws {
        let directory = try TestSupport.temporaryDirectory()
        let images = TestSupport.fixtures.appendingPathComponent("tfjs/images")
        let files = try FileManager.default.contentsOfDirectory(atPath: images.path).filter { $0.hasSuffix(".png") }.sorted().prefix(3)
        for file in files { try FileManager.default.copyItem(at: images.appendingPathComponent(file), to: directory.appendingPathComponent(file)) }
        let rows = files.enumerated().map { "f\($0.offset),\($0.element),female,test" }
        try TestSupport.write((["id,path,sex,split"] + rows).joined(separator: "\n") + "\n", to: directory.appendingPathComponent("manifest.csv"))
        try TestSupport.write(#"{"small-cnn": {"1": 1000, "32": 2000}}"#, to: directory.appendingPathComponent("ort.json"))
        let model = TestSupport.repositoryRoot.appendingPathComponent("Experiments/models/small-cnn").path
        let result = try Self.run(["bench", "tfjs", "--model", "\(model)=unit", "--manifest", "manifest.csv", "--count", "3", "--repeats", "1",
                                   "--reference", "ort.json", "--format", "json"], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let results = try #require(object["results"] as? [[String: Any]])
        #expect(results.compactMap { $0["batch"] as? Int } == [1, 32])
        for entry in results {
            let rate = try #require(entry["images_per_second"] as? Double)
            let reference = try #require(entry["reference_images_per_second"] as? Double)
            #expect(rate > 0)
            #expect(abs((entry["ratio"] as? Double ?? 0) - rate / reference) < 1e-9)
            #expect(abs((entry["mflop_per_image"] as? Double ?? 0) - 15.2416) < 1e-3)
        }
    }

    /// `bench tfjs --reference-server`: Stratum's passes alternate with passes the server times
    /// (here a shell loop that answers every request with 1,000 images/s), each ratio is the
    /// median over pairs, and a server that refuses or dies is named in a clear error.
    @Test func benchPluginOverheadPrintsJSON() throws {
        // Committed files only: the demo's data and fitted model are generated, not in a clean clone.
        let directory = try TestSupport.temporaryDirectory()
        let generate = try Self.run(["dataset", "generate", "faces", "--count", "16", "--seed", "2", "--size", "32", "--out", "data", "--quiet"], in: directory)
        #expect(generate.status == 0, "\(generate.stderr)")
        let result = try Self.run(["bench", "plugin-overhead", "--model", TestSupport.repositoryRoot.path + "/Experiments/models/small-cnn",
                                   "--manifest", "data/manifest.csv", "--count", "16", "--batch-size", "8", "--repeats", "1", "--format", "json"], in: directory)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
        let rows = object["rows"] as? [[String: Any]] ?? []
        #expect(result.status == 0 && rows.count == 2 && object["overheadMicrosecondsPerImage"] is Double, "\(result.stdout)")
        #expect(rows.first?["ratioToReference"] as? Double == 1 && (rows.last?["imagesPerSecond"] as? Double ?? 0) > 0, "\(rows)")
    }

    @Test func benchTFJSAgainstAReferenceServer() throws {
        let directory = try TestSupport.temporaryDirectory()
        let image = TestSupport.fixtures.appendingPathComponent("tfjs/images")
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: image.path).filter { $0.hasSuffix(".png") }.sorted().first)
        try FileManager.default.copyItem(at: image.appendingPathComponent(file), to: directory.appendingPathComponent(file))
        try TestSupport.write("id,path,sex,split\nf0,\(file),female,test\n", to: directory.appendingPathComponent("manifest.csv"))
        // Each request is logged, so the test can check what the server was asked.
        try TestSupport.write("""
        while IFS= read -r line; do printf '%s\\n' "$line" >> requests.log; printf '{"images_per_second": 1000}\\n'; done
        """, to: directory.appendingPathComponent("server.sh"))
        try TestSupport.write("""
        read -r line; printf '{"error": "no such model here"}\\n'
        """, to: directory.appendingPathComponent("refuses.sh"))
        try TestSupport.write("exit 3\n", to: directory.appendingPathComponent("dies.sh"))
        let model = TestSupport.repositoryRoot.appendingPathComponent("Experiments/models/small-cnn").path
        func bench(_ server: String, _ extra: [String] = []) throws -> Result {
            try Self.run(["bench", "tfjs", "--model", "\(model)=unit", "--manifest", "manifest.csv", "--count", "1", "--repeats", "3", "--batch", "1",
                          "--reference-server", server, "--format", "json"] + extra, in: directory)
        }

        let result = try bench("sh server.sh")
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["paired"] as? Bool == true)
        let entry = try #require((object["results"] as? [[String: Any]])?.first)
        let rate = try #require(entry["images_per_second"] as? Double)
        let ratios = try #require(entry["paired_ratios"] as? [Double])
        #expect(entry["reference_images_per_second"] as? Double == 1000)
        #expect(ratios.count == 3)
        // Against a constant reference the median ratio is the median rate over 1,000.
        #expect(abs((entry["ratio"] as? Double ?? 0) - rate / 1000) < 1e-9)
        #expect(abs(ratios.sorted()[1] - rate / 1000) < 1e-9)
        // One untimed request (the server's warm-up), then one per pair, for the model's folder name.
        let requests = try String(contentsOf: directory.appendingPathComponent("requests.log"), encoding: .utf8).split(separator: "\n")
        #expect(requests.count == 4)
        for request in requests {
            let fields = try #require(try JSONSerialization.jsonObject(with: Data(request.utf8)) as? [String: Any])
            #expect(fields["model"] as? String == "small-cnn" && fields["batch"] as? Int == 1 && fields["images"] as? Int == 1)
        }

        let refused = try bench("sh refuses.sh")
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("cannot time small-cnn at batch 1: no such model here"), "\(refused.stderr)")
        let died = try bench("sh dies.sh")
        #expect(died.status == 1)
        #expect(died.stderr.contains("the reference server (sh dies.sh)"), "\(died.stderr)")
        let both = try bench("sh server.sh", ["--reference", "ort.json"])
        #expect(both.status == 64)
        #expect(both.stderr.contains("give one of them"))
    }

    @Test func generateValidateRunAndList() throws {
        let directory = try TestSupport.temporaryDirectory()
        let generate = try Self.run(["dataset", "generate", "faces", "--count", "80", "--seed", "3", "--size", "40", "--out", "data", "--quiet"], in: directory)
        #expect(generate.status == 0, "\(generate.stderr)")
        #expect(generate.stdout.isEmpty && generate.stderr.isEmpty, "--quiet printed: \(generate.stdout)\(generate.stderr)")
        // A folder that holds anything is not overwritten without --force; a file is not a folder.
        let again = try Self.run(["dataset", "generate", "faces", "--count", "5", "--out", "data", "--quiet"], in: directory)
        #expect(again.status == 64 && again.stderr.contains("not empty") && again.stderr.contains("manifest.csv"), "\(again.stderr)")
        #expect(try String(contentsOf: directory.appendingPathComponent("data/manifest.csv"), encoding: .utf8).split(separator: "\n").count == 81)
        let file = try Self.run(["dataset", "generate", "faces", "--count", "5", "--out", "data/manifest.csv", "--quiet"], in: directory)
        #expect(file.status == 64 && file.stderr.contains("is a file"), "\(file.stderr)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("other"), withIntermediateDirectories: true)
        try TestSupport.write("mine", to: directory.appendingPathComponent("other/notes.txt"))
        let forced = try Self.run(["dataset", "generate", "faces", "--count", "5", "--size", "32", "--out", "other", "--quiet", "--force"], in: directory)
        #expect(forced.status == 0 && FileManager.default.fileExists(atPath: directory.appendingPathComponent("other/manifest.csv").path), "\(forced.stderr)")
        let validate = try Self.run(["dataset", "validate", "data/manifest.csv", "--label", "sex", "--format", "json"], in: directory)
        #expect(validate.status == 0)
        #expect(validate.stdout.contains("\"samples\" : 80"))

        try TestSupport.write("""
        name: cli
        dataset: {manifest: data/manifest.csv, label: sex}
        variants:
          - {name: base, kind: logistic, path: base.json, options: {size: 8}}
        slices: {by: [age_group], named: {children: "age < 13"}}
        """, to: directory.appendingPathComponent("good.yaml"))
        // A slice that cannot be built stops the run before any prediction is made or stored.
        for (slices, says) in [("{by: [nosuch]}", "slice attribute 'nosuch' is missing"), ("{named: {kids: \"agee < 13\"}}", "slice 'kids'")] {
            try TestSupport.write(try String(contentsOf: directory.appendingPathComponent("good.yaml"), encoding: .utf8)
                .replacingOccurrences(of: "slices: {by: [age_group], named: {children: \"age < 13\"}}", with: "slices: \(slices)"),
                to: directory.appendingPathComponent("badslice.yaml"))
            let bad = try Self.run(["run", "badslice.yaml", "--quiet", "--db", "badslice.sqlite"], in: directory)
            #expect(bad.status == 65 && bad.stderr.contains("badslice.yaml: slices: ") && bad.stderr.contains(says), "\(bad.stderr)")
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("badslice.sqlite").path))
        }
        let run = try Self.run(["run", "good.yaml", "--quiet", "--format", "json"], in: directory)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!run.stderr.contains("training data"), "\(run.stderr)")
        // The model Stratum fits, evaluated on the split it was fitted on, is pointed out.
        try TestSupport.write("""
        name: cli-train
        dataset: {manifest: data/manifest.csv, label: sex, split: train}
        variants:
          - {name: base, kind: logistic, path: base.json, options: {size: 8}}
        """, to: directory.appendingPathComponent("train.yaml"))
        let onTraining = try Self.run(["run", "train.yaml", "--quiet", "--db", "train.sqlite"], in: directory)
        #expect(onTraining.status == 0 && onTraining.stderr.contains("warning: base was fitted on split 'train'") && onTraining.stderr.contains("its own training data"), "\(onTraining.stderr)")
        // Time per stage is part of the JSON summary.
        let runJSON = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let stages = (runJSON?["stages"] as? [[String: Any]])?.compactMap { $0["stage"] as? String }
        #expect(stages == ["dataset", "models", "predictions", "metrics", "reports"], "\(String(describing: stages))")
        // And where the predictions stage went: each variant's inference, decoding and store writes.
        let predictions = runJSON?["predictions"] as? [String: Any]
        #expect((predictions?["variants"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["base"], "\(String(describing: predictions))")
        // (Milliseconds: a tiny run's store writes can round to 0.) The variants and the waits for
        // decoding are the main thread's, inside the predictions stage.
        let parts = ["decode", "store", "waitingForDecode", "waitingForStore"].map { predictions?[$0] as? Double }
        #expect(parts.allSatisfy { ($0 ?? -1) >= 0 }, "\(String(describing: predictions))")
        let inside = ((predictions?["variants"] as? [[String: Any]]) ?? []).compactMap { $0["seconds"] as? Double }.reduce(0, +) + (parts[2] ?? 0)
        let stage = (runJSON?["stages"] as? [[String: Any]])?.first { $0["stage"] as? String == "predictions" }?["seconds"] as? Double
        #expect(inside <= (stage ?? 0) + 0.005, "\(inside) s of variants and waits in a \(String(describing: stage)) s stage")
        let summary = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        #expect(summary?["run"] as? Int == 1)
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("Reports/cli/run-1/confusion-base.png").path))

        try TestSupport.write("{\"format\": \"stratum-logistic\"}", to: directory.appendingPathComponent("broken.json"))
        try TestSupport.write("""
        name: cli
        dataset: {manifest: data/manifest.csv, label: sex}
        variants:
          - {name: base, kind: logistic, path: base.json}
          - {name: broken, kind: logistic, path: broken.json}
        """, to: directory.appendingPathComponent("mixed.yaml"))
        let mixed = try Self.run(["run", "mixed.yaml", "--quiet", "--resamples", "50", "--seed", "9"], in: directory)
        #expect(mixed.status == 2, "\(mixed.stderr)")
        #expect(mixed.stderr.contains("broken.json: missing field"))
        #expect(mixed.stdout.contains("FAILED broken"))

        let runs = try Self.run(["runs", "--db", "stratum.sqlite", "--format", "json"], in: directory)
        #expect(runs.status == 0)
        let listed = try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [[String: Any]]
        #expect(listed?.map { $0["status"] as? String } == ["completed", "completed_with_errors"])
        // Each run's bootstrap settings, as recorded when it started (the defaults, then those given).
        let settings = listed?.map { ($0["bootstrap"] as? [String: Any]).map { [$0["resamples"] as? Int, ($0["seed"] as? NSNumber)?.intValue] } }
        #expect(settings == [[1000, 20_260_601], [50, 9]], "\(runs.stdout)")
        #expect(listed?.allSatisfy { $0["settings"] == nil } == true)

        // Reports come back from the database alone.
        let rerender = try Self.run(["report", "cli/1", "--db", "stratum.sqlite", "--reports", "again"], in: directory)
        #expect(rerender.status == 0, "\(rerender.stderr)")
        for file in ["index.html", "confusion-base.png", "failures-base.png", "reliability-base.png", "slice-accuracy.png"] {
            #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("again/cli/run-1/\(file)").path), "\(file)")
        }
        let gallery = try Self.run(["gallery", "1", "--db", "stratum.sqlite", "--variant", "base", "--slice", "children", "--limit", "3", "-o", "g.png"], in: directory)
        #expect(gallery.status == 0, "\(gallery.stderr)")
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("g.png").path))
        let unknown = try Self.run(["gallery", "2", "--db", "stratum.sqlite", "--variant", "nope", "-o", "x.png"], in: directory)
        #expect(unknown.status == 65 && unknown.stderr.contains("no variant 'nope'"))
        // `compare`'s RUN:VARIANT given to a command that takes --variant: the error says how to write it there.
        for command in ["slices", "metrics", "gallery"] {
            let colon = try Self.run([command, "cli:base", "--db", "stratum.sqlite"] + (command == "gallery" ? ["--variant", "base", "-o", "y.png"] : []), in: directory)
            #expect(colon.status == 64 && colon.stderr.contains("no experiment 'cli:base'") && colon.stderr.contains("stratum \(command) cli --variant base"), "\(command): \(colon.stderr)")
        }
        let notAVariant = try Self.run(["slices", "nope:base", "--db", "stratum.sqlite"], in: directory)
        #expect(notAVariant.status == 65 && notAVariant.stderr.contains("no experiment 'nope:base'") && !notAVariant.stderr.contains("--variant"), "\(notAVariant.stderr)")
        // report draws every variant; history takes the experiment (or its file) and --variant;
        // a gate that cannot compare is not a failed gate.
        let reportColon = try Self.run(["report", "cli/1:base", "--db", "stratum.sqlite"], in: directory)
        #expect(reportColon.status == 64 && reportColon.stderr.contains("draws every variant of a run: stratum report cli/1") && !reportColon.stderr.contains("Usage"), "\(reportColon.stderr)")
        let historyColon = try Self.run(["history", "cli:base", "--db", "stratum.sqlite"], in: directory)
        #expect(historyColon.status == 64 && historyColon.stderr.contains("stratum history cli --variant base"), "\(historyColon.stderr)")
        #expect(try Self.run(["history", "good.yaml", "--db", "stratum.sqlite"], in: directory).status == 0)
        let noRun = try Self.run(["gate", "cli/1", "--baseline", "cli/9", "--db", "stratum.sqlite"], in: directory)
        #expect(noRun.status == 65 && noRun.stderr.contains("has no run 9"), "\(noRun.stderr)")
        // A run that did not finish is not compared (its metrics may be partial), and metrics says so.
        let store = try Store(path: directory.appendingPathComponent("stratum.sqlite").path)
        try store.finishRun(try store.run(experiment: "cli", number: 1).run.id, status: .interrupted,
                            error: "\r\nkilled while drawing\u{1B}[31m; resume with: stratum run x --resume 1\r\nsecond line")
        // `runs` shows the error's first line in its own column (escaped); runs without one leave it empty.
        let table = try Self.run(["runs", "--db", "stratum.sqlite"], in: directory).stdout.split(separator: "\n").map(String.init)
        #expect(table.first?.hasSuffix("  error") == true && !table.joined().utf8.contains(0x1B), "\(table)")
        #expect(table.contains { $0.contains("interrupted") && $0.hasSuffix("killed while drawing\\u{1B}[31m; resume with: stratum run x --resume 1…") }, "\(table)")
        let partial = try Self.run(["gate", "cli/2", "--baseline", "cli/1", "--db", "stratum.sqlite"], in: directory)
        #expect(partial.status == 65 && partial.stderr.contains("cli/1 is interrupted, not finished"), "\(partial.stderr)")
        let partialMetrics = try Self.run(["metrics", "cli/1", "--db", "stratum.sqlite"], in: directory)
        #expect(partialMetrics.status == 0 && partialMetrics.stderr.contains("is interrupted: its metrics may cover some variants only"), "\(partialMetrics.stderr)")
        let history = try Self.run(["history", "cli", "--db", "stratum.sqlite", "--variant", "base"], in: directory)
        #expect(history.status == 0)
        #expect(history.stdout.split(separator: "\n").count == 4, "header, rule and one row per run: \(history.stdout)")
        let plot = try Self.run(["history", "cli", "--db", "stratum.sqlite", "--plot", "h.png"], in: directory)
        #expect(plot.status == 0 && FileManager.default.fileExists(atPath: directory.appendingPathComponent("h.png").path))
        // A run on another split is flagged, not joined as if comparable.
        try TestSupport.write(try String(contentsOf: directory.appendingPathComponent("good.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "label: sex}", with: "label: sex, split: train}"), to: directory.appendingPathComponent("split.yaml"))
        #expect(try Self.run(["run", "split.yaml", "--quiet"], in: directory).status == 0)
        let flagged = try Self.run(["history", "cli", "--db", "stratum.sqlite", "--variant", "base", "--format", "json"], in: directory)
        let flags = try JSONSerialization.jsonObject(with: Data(flagged.stdout.utf8)) as? [[String: Any]]
        #expect(flags?.map { ($0["flag"] as? String)?.contains("evaluated split 'test'") ?? false } == [true, true, false], "\(flagged.stdout)")
        // With --dataset, another experiment on the same manifest predicting another column is
        // flagged too (it was drawn on the same line unflagged: review of the store).
        try TestSupport.write(try String(contentsOf: directory.appendingPathComponent("good.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "name: cli", with: "name: cli-age").replacingOccurrences(of: "label: sex}", with: "label: age_group}")
            .replacingOccurrences(of: "base.json", with: "age.json"), to: directory.appendingPathComponent("age.yaml"))
        let age = try Self.run(["run", "age.yaml", "--quiet"], in: directory)
        #expect(age.status == 0, "\(age.stderr)")
        let byDataset = try Self.run(["history", "cli", "--dataset", "--db", "stratum.sqlite", "--variant", "base", "--format", "json"], in: directory)
        let rows = try JSONSerialization.jsonObject(with: Data(byDataset.stdout.utf8)) as? [[String: Any]] ?? []
        let ageRows = rows.filter { $0["experiment"] as? String == "cli-age" }
        #expect(!ageRows.isEmpty && ageRows.allSatisfy { ($0["flag"] as? String)?.contains("predicts column 'age_group'") == true }, "\(byDataset.stdout)")
        #expect(rows.filter { $0["experiment"] as? String == "cli" }.allSatisfy { ($0["flag"] as? String)?.contains("predicts column") != true }, "\(byDataset.stdout)")
    }

    /// Attribute values that are hostile to a terminal or a spreadsheet: escape sequences, CR
    /// LF, and quotes or commas followed by a combining mark (one `Character` each, but a
    /// quote or comma to a CSV reader).
    @Test func hostileValuesStayInsideTheirCellsOnTheTerminalAndInCSV() throws {
        let directory = try TestSupport.temporaryDirectory()
        let generate = try Self.run(["dataset", "generate", "faces", "--count", "60", "--seed", "5", "--size", "32", "--out", "data", "--quiet"], in: directory)
        #expect(generate.status == 0, "\(generate.stderr)")
        let manifest = directory.appendingPathComponent("data/manifest.csv")
        let table = try CSVTable(parsing: String(contentsOf: manifest, encoding: .utf8))
        let values = ["\u{1B}[31mred\u{1B}]0;title\u{07}", "a\r\nb", "c\"\u{301},d", ",\u{301}e", "=1+2"]
        func field(_ text: String) -> String { "\"" + text.mappingScalars { $0 == "\"" ? "\"\"" : nil } + "\"" }
        var text = (table.header + ["note"]).map(field).joined(separator: ",") + "\n"
        for (index, record) in table.records.enumerated() {
            text += (record.fields + [values[index % values.count]]).map(field).joined(separator: ",") + "\n"
        }
        try TestSupport.write(text, to: manifest)
        try TestSupport.write("""
        name: hostile
        dataset: {manifest: data/manifest.csv, label: sex}
        variants:
          - {name: base, kind: logistic, path: base.json, options: {size: 8}}
        slices: {by: [note], intersections: false}
        """, to: directory.appendingPathComponent("e.yaml"))
        let run = try Self.run(["run", "e.yaml"], in: directory)
        #expect(run.status == 0, "\(run.stderr)")
        for output in [run.stdout, try Self.run(["metrics", "hostile", "--variant", "base"], in: directory).stdout,
                       try Self.run(["slices", "hostile", "--variant", "base", "--min-support", "1"], in: directory).stdout] {
            #expect(!output.utf8.contains(0x1B) && !output.utf8.contains(0x07) && !output.utf8.contains(0x0D), "\(output.debugDescription)")
        }
        #expect(run.stdout.contains("note=\\u{1B}[31mred"), "\(run.stdout)")
        // Columns line up by characters as shown (a combining mark adds none), and no line ends in padding.
        let shown = try Self.run(["metrics", "hostile", "--variant", "base"], in: directory).stdout.split(separator: "\n").map { Array($0) }
        let metricColumn = try #require(String(shown[0]).range(of: "metric").map { String(shown[0])[..<$0.lowerBound].count })
        #expect(shown.count > 10 && shown.allSatisfy { $0.last != " " }, "\(shown.map { String($0) })")
        for line in shown.dropFirst(2) {
            #expect(line.count > metricColumn && line[metricColumn - 2] == " " && line[metricColumn - 1] == " " && line[metricColumn] != " ", "\(String(line))")
        }
        // `runs` shows a long name whole (it was cut to 10 characters) and escaped.
        try TestSupport.write(try String(contentsOf: directory.appendingPathComponent("e.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "name: hostile", with: "name: \"a-long-experiment-name\\e[31m\""), to: directory.appendingPathComponent("long.yaml"))
        #expect(try Self.run(["run", "long.yaml", "--quiet"], in: directory).status == 0)
        let runs = try Self.run(["runs"], in: directory).stdout
        #expect(runs.contains("a-long-experiment-name\\u{1B}[31m  1") && !runs.utf8.contains(0x1B), "\(runs)")
        // With two experiments stored, `latest` (the default) is the run started last; a bare number is ambiguous.
        let latest = try Self.run(["metrics", "--format", "json"], in: directory)
        #expect(latest.status == 0 && latest.stdout.contains("a-long-experiment-name") && !latest.stdout.contains("\"hostile\""), "\(latest.stderr)")
        let ambiguous = try Self.run(["metrics", "1"], in: directory)
        #expect(ambiguous.status == 65 && ambiguous.stderr.contains("name one as EXPERIMENT/N"), "\(ambiguous.stderr)")
        let unknown = try Self.run(["metrics", "x\u{1B}]0;title\u{07}", "--variant", "base"], in: directory)
        #expect(unknown.status != 0 && unknown.stderr.contains("x\\u{1B}]0;title\\u{7}") && !unknown.stderr.utf8.contains(0x1B), "\(unknown.stderr)")
        let csv = try Self.run(["metrics", "hostile", "--variant", "base", "--format", "csv"], in: directory)
        #expect(csv.status == 0, "\(csv.stderr)")
        let parsed = try CSVTable(parsing: csv.stdout)
        let json = try Self.run(["metrics", "hostile", "--variant", "base", "--format", "json"], in: directory)
        let rows = try #require((try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["metrics"] as? [[String: Any]])
        #expect(parsed.records.count == rows.count && rows.count > 0)
        // Every row has every key, null where a metric is undefined.
        #expect(rows.allSatisfy { $0.count == 11 } && rows.contains { $0["value"] is NSNull && $0["undefinedReason"] is String }, "\(rows.prefix(3))")
        #expect(parsed.records.allSatisfy { $0.fields.count == parsed.header.count }, "\(csv.stdout)")
        let slices = Set(parsed.records.map { $0.fields[parsed.header.firstIndex(of: "slice") ?? 0] })
        #expect(slices.isSuperset(of: values.map { "note=" + $0 }), "\(slices)")

        // Exit codes of input the user gave: 64 for a command line that asks the impossible,
        // 65 for files that are not what they should be.
        try TestSupport.write(String(repeating: "junk ", count: 200), to: directory.appendingPathComponent("junk.sqlite"))
        try TestSupport.write("not a model", to: directory.appendingPathComponent("model.bin"))
        try TestSupport.write("""
        name: nosplit
        dataset: {manifest: data/manifest.csv, label: sex, split: nosuch}
        variants:
          - {name: base, kind: logistic, path: base.json, options: {size: 8}}
        """, to: directory.appendingPathComponent("nosplit.yaml"))
        for (arguments, status) in [(["compare", "hostile/1:base", "hostile/1:base", "--metric", "recall", "--dry-run"], 64),
                                    (["runs", "--db", "junk.sqlite"], 65),
                                    (["predict", "model.bin", "data/images/face-00001.png"], 65),
                                    (["run", "nosplit.yaml", "--quiet", "--db", "nosplit.sqlite"], 65),
                                    (["run", "e.yaml", "--quiet", "--db", "r.sqlite", "--reports", "model.bin/R"], 65)] as [([String], Int32)] {
            let result = try Self.run(arguments, in: directory)
            #expect(result.status == status, "stratum \(arguments.joined(separator: " ")): \(result.status) \(result.stderr)")
        }
        // A failing variant's message keeps its lines (a plugin's stderr), each escaped alone.
        try TestSupport.write("""
        name: failing
        dataset: {manifest: data/manifest.csv, label: sex}
        variants:
          - {name: base, kind: logistic, path: base.json, options: {size: 8}}
          - {name: broken, kind: process, path: ., options: {command: '["/bin/sh", "-c", "echo first-line >&2; echo second-line >&2; exit 3"]'}}
        """, to: directory.appendingPathComponent("failing.yaml"))
        let failing = try Self.run(["run", "failing.yaml", "--quiet", "--db", "failing.sqlite"], in: directory)
        #expect(failing.status == 2 && failing.stdout.contains("FAILED broken: ") && !failing.stdout.contains("\\u{A}"), "\(failing.stdout)")
        #expect(failing.stdout.split(separator: "\n").contains { $0.hasPrefix("  ") && $0.contains("second-line") }, "\(failing.stdout)")
        // A reports folder that cannot be made is refused before any work is done or stored.
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("r.sqlite").path))
    }
}
