import Foundation
import StratumMetrics
import GRDB
import StratumCore
import StratumData
import StratumImaging
import StratumModelLogistic
import StratumRunner
import StratumStore
import Testing

/// A classifier kind for tests: predicts from the mean pixel, and can be told to misbehave
/// from a given batch on (`options.fail_from_batch`, `options.mode`).
struct ScriptedLoader: ModelLoader {
    var kind: String { "scripted" }
    var summary: String { "test classifier" }
    var options: [ModelOption] { [ModelOption("fail_from_batch", "batch number"), ModelOption("mode", "how to fail"), ModelOption("labels", "comma-separated")] }
    func recognises(_ url: URL) -> Bool { false }

    func load(_ spec: ModelSpec) throws -> any ImageClassifier {
        ScriptedClassifier(
            descriptor: ModelDescriptor(name: spec.name, kind: kind, labels: spec.options["labels"].map { $0.split(separator: ",").map(String.init) } ?? ["female", "male"], input: InputSpec(width: 8, height: 8, channels: 1), contentHash: "none"),
            failFromBatch: Int(spec.options["fail_from_batch"] ?? "") ?? Int.max, mode: spec.options["mode"] ?? "throw")
    }
}

final class ScriptedClassifier: ImageClassifier, @unchecked Sendable {
    // Invariant: `batches` is only touched under `lock`.
    let descriptor: ModelDescriptor
    let failFromBatch: Int
    let mode: String
    private let lock = NSLock()
    private var batches = 0

    init(descriptor: ModelDescriptor, failFromBatch: Int, mode: String) {
        self.descriptor = descriptor
        self.failFromBatch = failFromBatch
        self.mode = mode
    }

    struct Failure: Error, CustomStringConvertible { var description: String { "simulated crash in the model" } }

    func predict(_ batch: ImageBatch) throws -> [[Float]] {
        lock.lock(); batches += 1; let number = batches; lock.unlock()
        let rows = (0..<batch.count).map { index -> [Float] in
            let mean = batch.image(index).reduce(0, +) / Float(batch.imageSize)
            return [mean, 1 - mean] + [Float](repeating: 0, count: max(0, descriptor.labels.count - 2))
        }
        guard number >= failFromBatch else { return rows }
        switch mode {
        case "wrong_count": return rows.map { $0 + [0] }
        case "nan": return rows.map { _ in [.nan, 1] }
        case "over_one": return rows.map { _ in [0, 1.0009] }
        case "logits": return rows.map { _ in [2.03, -1.34] }
        case "missing_rows": return Array(rows.dropLast())
        default: throw Failure()
        }
    }
}

@Suite(.serialized) struct RunnerTests {
    /// A small generated dataset shared by the tests (faces are deterministic).
    static let datasetDirectory: URL = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stratum-runner-tests-\(UUID().uuidString)/faces")
        _ = try? FaceDatasetWriter.write(count: 160, seed: 11, size: 48, to: directory)
        return directory
    }()

    static func experiment(variants: String, in directory: URL) throws -> ExperimentSpec {
        let text = """
        name: tiny
        dataset:
          manifest: \(datasetDirectory.path)/manifest.csv
          label: sex
          labels: [female, male]
        variants:
        \(variants)
        slices:
          by: [age_group]
          named: {children: "age < 13"}
          min_size: 2
        batch_size: 8
        """
        let url = directory.appendingPathComponent("tiny.yaml")
        try TestSupport.write(text, to: url)
        return try ExperimentSpec.load(url)
    }

    static var registry: ModelRegistry {
        var registry = ModelRegistry.standard
        registry.register(ScriptedLoader())
        return registry
    }

    @Test func storesEveryPredictionMetricAndAConfusionMatrixPerVariant() throws {
        let directory = try TestSupport.temporaryDirectory()
        let spec = try Self.experiment(variants: """
          - {name: logistic, kind: logistic, path: logistic.json, options: {size: 8, C: 0.1}}
          - {name: scripted, kind: scripted, path: none}
        """, in: directory)
        let options = RunOptions(reportsRoot: directory.appendingPathComponent("Reports"))
        let summary = try Runner(registry: Self.registry).run(spec, options: options)
        #expect(summary.status == "completed")
        let testCount = try ManifestReader.read(Self.datasetDirectory.appendingPathComponent("manifest.csv"), columns: ManifestColumns(label: "sex")).samples(inSplit: "test").count
        let store = try Store(path: summary.database)
        try store.read { db in
            #expect(try PredictionRecord.fetchCount(db) == 2 * testCount)
            let slices = try SliceRecord.fetchCount(db)
            let metricsPerSlice = MetricLayout(labels: ["female", "male"]).names.count  // 9 overall + 6 per class
            #expect(try MetricRecord.fetchCount(db) == 2 * slices * metricsPerSlice)
            #expect(try ModelVariantRecord.fetchAll(db).allSatisfy { $0.status == .completed && $0.fileHash != nil })
        }
        for variant in ["logistic", "scripted"] {
            let png = summary.reportDirectory.appendingPathComponent("confusion-\(variant).png")
            let image = try ImageFile.read(png)
            #expect(image.width >= 1000 && image.height >= 480)
        }
        #expect(summary.accuracies.contains { $0.slice == "children" && $0.variant == "logistic" })

        // A second run gets the next number and leaves the first intact.
        let second = try Runner(registry: Self.registry).run(spec, options: options)
        #expect(second.runNumber == summary.runNumber + 1)
        #expect(try store.read { try PredictionRecord.fetchCount($0) } == 4 * testCount)
        #expect(second.reportDirectory != summary.reportDirectory)
    }

    @Test func changedFitOptionsRefitIntoANewFileAndNeverOverwriteAnEarlierRunsModel() throws {
        let directory = try TestSupport.temporaryDirectory()
        let options = RunOptions(reportsRoot: directory.appendingPathComponent("Reports"))
        func run(_ variantOptions: String, refit: Bool = false) throws -> (summary: RunSummary, variant: StoredVariant) {
            let spec = try Self.experiment(variants: "  - {name: logistic, kind: logistic, path: logistic.json, options: \(variantOptions)}", in: directory)
            var runOptions = options
            runOptions.refit = refit
            let summary = try Runner(registry: Self.registry).run(spec, options: runOptions)
            let variant = try #require(try Store(path: summary.database).variants(runID: summary.runID).first)
            return (summary, variant)
        }
        let original = directory.appendingPathComponent("logistic.json")
        let first = try run("{size: 8, C: 0.1}")
        let firstBytes = try Data(contentsOf: original)
        #expect(first.variant.path == original.path && first.variant.fileHash == SHA256.hex(firstBytes))

        let same = try run("{size: 8, C: 0.1}")
        #expect(same.variant.path == original.path && same.variant.fileHash == first.variant.fileHash, "same options: the model is reused")

        let changed = try run("{size: 6, C: 0.1}")
        #expect(changed.variant.path != original.path && changed.variant.path.hasPrefix(directory.appendingPathComponent("logistic.").path))
        #expect(try Data(contentsOf: original) == firstBytes, "the first run's model file is untouched")
        let changedFile = try LogisticModelFile.read(URL(fileURLWithPath: changed.variant.path))
        #expect(changedFile.input.width == 6 && changedFile.fit?.options["size"] == "6")
        #expect(changed.variant.fileHash == (try SHA256.hex(contentsOf: URL(fileURLWithPath: changed.variant.path))))

        let again = try run("{size: 6, C: 0.1}")
        #expect(again.variant.path == changed.variant.path, "the refitted file is found again")

        let refitted = try run("{size: 8, C: 0.1}", refit: true)
        #expect(refitted.variant.path != original.path && refitted.variant.path != changed.variant.path)
        #expect(try Data(contentsOf: original) == firstBytes, "--refit writes a new file")
    }

    static let misbehaviours: [(mode: String, message: String)] = [
        ("throw", "simulated crash in the model"),
        ("wrong_count", "returned 3 probabilities for 2 labels"),
        ("nan", "not a probability (non-finite, negative or over 1"),
        ("over_one", "not a probability (non-finite, negative or over 1"),
        ("logits", "not a probability"),
        ("missing_rows", "rows for a batch of"),
    ]

    @Test(arguments: misbehaviours)
    func aFailingVariantKeepsItsEarlierBatchesAndTheOthersComplete(_ mode: String, _ message: String) throws {
        let directory = try TestSupport.temporaryDirectory()
        let spec = try Self.experiment(variants: """
          - {name: flaky, kind: scripted, path: none, options: {fail_from_batch: 3, mode: \(mode)}}
          - {name: steady, kind: scripted, path: none}
        """, in: directory)
        let summary = try Runner(registry: Self.registry).run(spec, options: RunOptions(reportsRoot: directory.appendingPathComponent("Reports")))
        #expect(summary.status == "completed_with_errors")
        #expect(summary.variants.first { $0.name == "flaky" }?.failed?.contains(message) == true, "\(summary.variants.map { $0.failed ?? "ok" })")
        #expect(summary.variants.first { $0.name == "steady" }?.failed == nil)
        let store = try Store(path: summary.database)
        try store.read { db in
            let flaky = try #require(try ModelVariantRecord.filter(Column("name") == "flaky").fetchOne(db))
            #expect(flaky.status == .failed)
            #expect(flaky.error?.contains(message) == true)
            // Two full batches of 8 were stored before the third failed.
            #expect(try PredictionRecord.filter(Column("modelVariantId") == flaky.id).fetchCount(db) == 16)
            #expect(try RunRecord.fetchOne(db)?.status == .completedWithErrors)
        }
    }

    /// `predict` checks rows as `run` does: logits, NaN or a value over 1 are a bad model
    /// (exit 65), not printed as probabilities (nor a JSON encoder crash on NaN).
    @Test(arguments: ["logits", "nan", "over_one"])
    func predictRefusesRowsThatAreNotProbabilities(_ mode: String) throws {
        let image = TestSupport.fixtures.appendingPathComponent("images/gradient-24x16.png")
        let error = try #require(throws: RunError.self) {
            try Prediction.run(model: URL(fileURLWithPath: "/none"), kind: "scripted", images: [image], options: ["fail_from_batch": "1", "mode": mode], registry: Self.registry)
        }
        #expect(error.isBadInput && error.message.contains("not a probability") && error.message.contains("/none"), "\(error)")
        #expect(try Prediction.run(model: URL(fileURLWithPath: "/none"), kind: "scripted", images: [image], options: [:],
                                   registry: Self.registry).predictions.count == 1)
    }

    @Test func unknownKindFailsBeforeAnythingIsStored() throws {
        let directory = try TestSupport.temporaryDirectory()
        let spec = try Self.experiment(variants: "  - {name: x, kind: caffe, path: none}", in: directory)
        #expect(throws: RegistryError.self) { try Runner().run(spec, options: RunOptions(reportsRoot: directory)) }
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("stratum.sqlite").path))
    }

    /// A dataset of two good images and one of each unreadable kind (fixtures in images/hostile).
    static func datasetWithUnreadableImages(in directory: URL) throws -> (spec: ExperimentSpec, bad: [String]) {
        let images = directory.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        let good = try Data(contentsOf: TestSupport.fixtures.appendingPathComponent("images/gradient-24x16.png"))
        try good.write(to: images.appendingPathComponent("a.png"))
        try good.write(to: images.appendingPathComponent("b.png"))
        let bad = ["truncated.png", "zero.png", "text.png", "webp-named.png", "truncated.jpg", "huge-declared.png"]
        var manifest = "id,path,sex,split\na,a.png,female,test\nb,b.png,male,test\n"
        for (index, file) in bad.enumerated() {
            try Data(contentsOf: TestSupport.fixtures.appendingPathComponent("images/hostile/\(file)")).write(to: images.appendingPathComponent(file))
            manifest += "bad\(index),\(file),\(index % 2 == 0 ? "female" : "male"),test\n"
        }
        try TestSupport.write(manifest, to: images.appendingPathComponent("manifest.csv"))
        try TestSupport.write("""
        dataset: {manifest: data/manifest.csv, label: sex}
        variants: [{name: s, kind: scripted, path: none}, {name: t, kind: scripted, path: none}]
        """, to: directory.appendingPathComponent("e.yaml"))
        return (try ExperimentSpec.load(directory.appendingPathComponent("e.yaml")), bad)
    }

    @Test func unreadableImagesAreRecordedListedAndLeftOutOfEveryVariant() throws {
        let directory = try TestSupport.temporaryDirectory()
        let (spec, bad) = try Self.datasetWithUnreadableImages(in: directory)
        let summary = try Runner(registry: Self.registry).run(spec, options: RunOptions(reportsRoot: directory.appendingPathComponent("Reports")))
        #expect(summary.status == "completed")
        #expect(summary.unreadable.map(\.path) == bad)
        #expect(summary.unreadable.allSatisfy { $0.reason.contains($0.path) }, "each reason names its file")
        #expect(summary.slices.first { $0.name == "overall" }?.size == 2)
        let store = try Store(path: summary.database)
        #expect(try store.read { try PredictionRecord.fetchCount($0) } == 2 * 2)
        #expect(try store.unreadableSamples(runID: summary.runID).map(\.path).sorted() == bad.sorted())
        let html = try String(contentsOf: summary.reportDirectory.appendingPathComponent("index.html"), encoding: .utf8)
        for file in bad { #expect(html.contains(file)) }
    }

    @Test func strictRunStopsAtUnreadableImagesListingThemAndIsStoredAsFailed() throws {
        let directory = try TestSupport.temporaryDirectory()
        let (spec, bad) = try Self.datasetWithUnreadableImages(in: directory)
        let error = try #require(throws: UnreadableImagesError.self) {
            try Runner(registry: Self.registry).run(spec, options: RunOptions(reportsRoot: directory, strict: true))
        }
        #expect(error.samples.map(\.path) == bad)
        #expect(error.description.contains("webp-named.png") && error.description.contains("WebP"))
        let runs = try Store(path: directory.appendingPathComponent("stratum.sqlite").path).listRuns()
        #expect(runs.map(\.status) == ["failed"] && runs.first?.error?.contains("could not be decoded") == true)
    }
}
