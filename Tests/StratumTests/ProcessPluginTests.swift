import Foundation
import GRDB
import StratumCore
import StratumImaging
import StratumModelLogistic
import StratumModelProcess
import StratumRunner
import StratumStore
import StratumTesting
import Testing

@Suite(.serialized) struct ProcessPluginTests {
    static let faulty = TestSupport.fixtures.appendingPathComponent("plugins/faulty.py")
    static let pythonPlugin = TestSupport.repositoryRoot.appendingPathComponent("Experiments/plugins/python-numpy")

    static func faultySpec(_ mode: String, from batch: Int = 1, timeout: String = "5", name: String = "faulty") -> ModelSpec {
        ModelSpec(name: name, kind: "process", path: faulty.deletingLastPathComponent(),
                  options: ["command": "[\"python3\", \"faulty.py\", \"\(mode)\", \"\(batch)\"]", "timeout": timeout, "startup_timeout": timeout])
    }

    static func batch(_ count: Int, side: Int = 4, channels: Int = 1) -> ImageBatch {
        ImageBatch(count: count, height: side, width: side, channels: channels, values: (0..<(count * side * side * channels)).map { Float($0 % 7) / 7 })
    }

    /// True when `pid` is gone or, at least, not a zombie left for us to reap.
    static func isReaped(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        return !stat.contains(") Z ")
    }

    @Test func aWellBehavedPluginConformsAndShutsDownCleanly() throws {
        let classifier = try ProcessLoader().load(Self.faultySpec("ok"))
        #expect(classifier.descriptor.labels == ["female", "male"])
        #expect(classifier.descriptor.input == InputSpec(width: 4, height: 4, channels: 1, normalization: .unit))
        #expect(ClassifierConformance.violations(of: classifier, on: Self.batch(3)).isEmpty)
        let pid = try #require((classifier as? ProcessClassifier)?.processID)
        classifier.close()
        #expect(Self.isReaped(pid))
    }

    /// The numpy plugin serving the logistic model file gives the in-process probabilities.
    @Test func pythonPluginAgreesWithTheInProcessModel() throws {
        let directory = try TestSupport.temporaryDirectory()
        let model = directory.appendingPathComponent("model.json")
        var examples: [TrainingExample] = []
        for i in 0..<30 {
            examples.append(TrainingExample(values: (0..<12).map { Float((i * 5 + $0 * 3) % 17) / 17 }, label: i % 3 == 0 ? "b" : "a"))
        }
        _ = try LogisticLoader().fit(ModelSpec(name: "m", kind: "logistic", path: model, options: ["size": "2", "channels": "3"]), labels: ["a", "b"], examples: examples,
                                     provenance: FitProvenance(kind: "logistic", options: [:], manifestHash: "m", labelColumn: "label", trainSplit: "train", labels: ["a", "b"]))
        let local = try LogisticLoader().load(ModelSpec(name: "m", kind: "logistic", path: model))
        let plugin = try ProcessLoader().load(ModelSpec(name: "numpy", kind: "process", path: Self.pythonPlugin,
                                                        options: ["command": "[\"python3\", \"plugin.py\", \"--model\", \"\(model.path)\"]"]))
        defer { plugin.close() }
        #expect(plugin.descriptor.input == local.descriptor.input)
        let batch = ImageBatch(count: 5, height: 2, width: 2, channels: 3, values: examples.prefix(5).flatMap(\.values))
        for (a, b) in zip(try local.predict(batch), try plugin.predict(batch)) {
            for (x, y) in zip(a, b) { #expect(abs(x - y) < 1e-5) }
        }
        #expect(ClassifierConformance.violations(of: plugin, on: batch).isEmpty)
    }

    @Test func swiftPluginSpeaksTheProtocol() throws {
        let binary = CLITests.binary.deletingLastPathComponent().appendingPathComponent("stratum-plugin-brightness")
        let classifier = try ProcessLoader().load(ModelSpec(name: "brightness", kind: "process", path: binary))
        defer { classifier.close() }
        #expect(classifier.descriptor.input.width == 16)
        #expect(ClassifierConformance.violations(of: classifier, on: Self.batch(4, side: 16)).isEmpty)
    }

    /// Start-up failures: (mode, message fragment).
    static let startupFailures: [(String, String)] = [
        ("version", "speaks protocol 2; this Stratum speaks protocol 1"),
        ("crash", "cannot load weights from /nowhere"),
        ("silent", "timed out"),
    ]

    @Test(arguments: startupFailures)
    func startupFailuresNameThePlugin(_ mode: String, _ fragment: String) {
        do {
            _ = try ProcessLoader().load(Self.faultySpec(mode, timeout: "1"))
            Issue.record("\(mode): loaded")
        } catch let error as PluginError {
            #expect(error.plugin == "faulty")
            #expect(error.description.contains(fragment), "\(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func aMissingProgramIsAClearError() {
        let spec = ModelSpec(name: "ghost", kind: "process", path: Self.faulty.deletingLastPathComponent(), options: ["command": "no-such-program-xyz", "startup_timeout": "5"])
        let error = #expect(throws: PluginError.self) { try ProcessLoader().load(spec) }
        #expect(error?.description.contains("no-such-program-xyz") == true, "\(String(describing: error))")
    }

    /// Batch failures: (mode, message fragment), each from the second batch on.
    static let batchFailures: [(String, String)] = [
        ("exit", "closed its standard output"),
        ("hang", "timed out waiting for an answer"),
        ("malformed", "malformed frame"),
        // A length prefix far past what a result can hold is refused before reading it, and
        // a log line on stdout is named as one.
        ("oversized", "malformed frame: length 100000000 (must be 4…"),
        ("text", "text on stdout?"),
        ("wrong_count", "returned 3 probabilities per image for 2 labels"),
        ("missing_rows", "rows for"),
        ("nan", "non-finite"),
        ("error", "out of memory (simulated)"),
        ("wrong_id", "expected 2"),
    ]

    @Test(arguments: batchFailures)
    func aFailingPluginFailsItsVariantOnlyAndIsReaped(_ mode: String, _ fragment: String) throws {
        let directory = try TestSupport.temporaryDirectory()
        let spec = try RunnerTests.experiment(variants: """
          - {name: faulty, kind: process, path: \(Self.faulty.deletingLastPathComponent().path), options: {command: [python3, faulty.py, \(mode), "2"], timeout: 2}}
          - {name: steady, kind: process, path: \(Self.faulty.deletingLastPathComponent().path), options: {command: [python3, faulty.py, ok]}}
        """, in: directory)
        let summary = try Runner().run(spec, options: RunOptions(reportsRoot: directory.appendingPathComponent("Reports")))
        #expect(summary.status == "completed_with_errors")
        let failure = summary.variants.first { $0.name == "faulty" }?.failed ?? ""
        #expect(failure.contains("plugin 'faulty'") && failure.contains(fragment), "\(failure)")
        #expect(summary.variants.first { $0.name == "steady" }?.failed == nil)
        try Store(path: summary.database).read { db in
            let faulty = try #require(try ModelVariantRecord.filter(Column("name") == "faulty").fetchOne(db))
            #expect(faulty.status == .failed && faulty.error?.contains(fragment) == true)
            // The first batch (8 images) was answered and stored before the plugin failed.
            #expect(try PredictionRecord.filter(Column("modelVariantId") == faulty.id).fetchCount(db) == 8)
        }
        if ["exit", "hang", "malformed"].contains(mode) {
            #expect(failure.contains("misbehaving (\(mode))"), "stderr is shown: \(failure)")
        }
    }

    @Test func aHungPluginIsKilledAndReaped() throws {
        let classifier = try ProcessLoader().load(Self.faultySpec("hang", timeout: "1"))
        let pid = try #require((classifier as? ProcessClassifier)?.processID)
        #expect(throws: PluginError.self) { try classifier.predict(Self.batch(2)) }
        #expect(Self.isReaped(pid))
        #expect(kill(pid, 0) != 0, "the plugin's process is gone")
        // Later batches fail fast with the same error instead of talking to a dead plugin.
        #expect(throws: PluginError.self) { try classifier.predict(Self.batch(2)) }
    }

    /// Reads the pid a shell wrote to `file`, waiting up to 10 s for it.
    static func pid(in file: URL) throws -> Int32 {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let text = try? String(contentsOf: file, encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) { return pid }
            Thread.sleep(forTimeInterval: 0.02)
        }
        struct NoPid: Error {}
        Issue.record("no pid in \(file.path)")
        throw NoPid()
    }

    /// True once `pid` has been gone (or is a zombie) within 5 s.
    static func dies(_ pid: Int32) -> Bool {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline { if kill(pid, 0) != 0 || !isReaped(pid) { return true }; Thread.sleep(forTimeInterval: 0.02) }
        return false
    }

    /// What a plugin started goes with it: a plugin that exits leaves no worker behind (the
    /// group was killed only when the plugin itself still ran), and `stratum` killed by SIGTERM
    /// or SIGINT stops a hung plugin instead of leaving it running under init.
    @Test func aPluginsProcessesEndWithItAndWithStratum() throws {
        let directory = try TestSupport.temporaryDirectory()
        let exits = ModelSpec(name: "exits", kind: "process", path: directory, options: [
            "command": "[\"/bin/sh\", \"-c\", \"sleep 300 & echo $! > worker.pid; exit 3\"]", "startup_timeout": "5"])
        #expect(throws: PluginError.self) { try ProcessLoader().load(exits) }
        #expect(Self.dies(try Self.pid(in: directory.appendingPathComponent("worker.pid"))), "the plugin's worker outlived it")

        let generate = try CLITests.run(["dataset", "generate", "faces", "--count", "10", "--size", "32", "--out", "data", "--quiet"], in: directory)
        try #require(generate.status == 0, "\(generate.stderr)")
        try TestSupport.write("""
        name: hung
        dataset: {manifest: data/manifest.csv, label: sex, split: all}
        variants:
          - {name: hung, kind: process, path: ., options: {command: '["/bin/sh", "-c", "echo $$ > plugin.pid; sleep 300"]', startup_timeout: 30}}
        """, to: directory.appendingPathComponent("e.yaml"))
        for signal in [SIGTERM, SIGINT] {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent("plugin.pid"))
            let process = try ResumeTests.start(["run", "e.yaml", "--quiet", "--db", "s\(signal).sqlite"], in: directory)
            let plugin = try Self.pid(in: directory.appendingPathComponent("plugin.pid"))
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == signal, "stratum dies of the signal as before")
            #expect(Self.dies(plugin), "the hung plugin outlived stratum (signal \(signal))")
        }
    }
}

/// The C plugin was written from docs/plugin-protocol.md alone: the document is enough.
@Suite(.serialized) struct CPluginTests {
    static let folder = TestSupport.repositoryRoot.appendingPathComponent("Experiments/plugins/c-color")

    /// Compiles the plugin with the first C compiler found (the Swift toolchain ships clang).
    static func build() throws {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"
        let compiler = ["clang", "cc", "gcc"].lazy.flatMap { name in path.split(separator: ":").map { "\($0)/\(name)" } }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(compiler, "no C compiler on PATH"))
        process.arguments = ["-O2", "-std=c99", "-Wall", "-Wextra", "-o", folder.appendingPathComponent("plugin").path, folder.appendingPathComponent("plugin.c").path, "-lm"]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    @Test func conformsThroughTheLoader() throws {
        try Self.build()
        let classifier = try ProcessLoader().load(ModelSpec(name: "c-color", kind: "process", path: Self.folder))
        defer { classifier.close() }
        #expect(classifier.descriptor.input == InputSpec(width: 32, height: 32, channels: 3, normalization: .unit))
        #expect(ClassifierConformance.violations(of: classifier, on: ProcessPluginTests.batch(5, side: 32, channels: 3)).isEmpty)
    }

    @Test func worksInPredictAndInARun() throws {
        try Self.build()
        let images = ["face-00007.png", "face-00027.png"].map { TestSupport.fixtures.appendingPathComponent("tfjs/images/\($0)").path }
        let predict = try CLITests.run(["predict", Self.folder.path, "--kind", "process", "--format", "json"] + images)
        #expect(predict.status == 0, "\(predict.stderr)")
        let output = try JSONSerialization.jsonObject(with: Data(predict.stdout.utf8)) as? [String: Any]
        #expect((output?["predictions"] as? [Any])?.count == 2)
        let refused = try CLITests.run(["predict", Self.folder.path, "--kind", "process", "--normalize", "raw"] + images)
        #expect(refused.status != 0 && refused.stderr.contains("--normalize cannot be used with kind process"))

        let directory = try TestSupport.temporaryDirectory()
        let spec = try RunnerTests.experiment(variants: "  - {name: c-color, kind: process, path: \(Self.folder.path)}", in: directory)
        let summary = try Runner().run(spec, options: RunOptions(reportsRoot: directory.appendingPathComponent("Reports")))
        #expect(summary.status == "completed", "\(summary.variants.map { $0.failed ?? "ok" })")
    }
}
