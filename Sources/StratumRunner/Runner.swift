import Foundation
import StratumCore
import StratumData
import StratumImaging
import StratumMetrics
import StratumReports
import StratumStore

/// Where a run writes and how it batches.
public struct RunOptions: Sendable {
    /// The SQLite file; default `stratum.sqlite` next to the experiment file.
    public var database: URL?
    /// Reports go to `<reportsRoot>/<experiment>/run-<number>/`.
    public var reportsRoot: URL
    /// Overrides the experiment's batch size.
    public var batchSize: Int?
    /// Refit trainable variants even when their model file exists.
    public var refit: Bool
    /// An image that cannot be decoded stops the run (default: it is recorded and left out of
    /// every variant alike).
    public var strict: Bool

    public init(database: URL? = nil, reportsRoot: URL = URL(fileURLWithPath: "Reports"), batchSize: Int? = nil, refit: Bool = false, strict: Bool = false) {
        self.database = database
        self.reportsRoot = reportsRoot
        self.batchSize = batchSize
        self.refit = refit
        self.strict = strict
    }
}

/// Evaluates every variant of an experiment on its split and slices, storing all and drawing reports.
public struct Runner: Sendable {
    public var registry: ModelRegistry

    public init(registry: ModelRegistry = .standard) {
        self.registry = registry
    }

    /// The database a run of `spec` uses with `options`.
    public static func databaseURL(for spec: ExperimentSpec, options: RunOptions) -> URL {
        options.database ?? spec.file.deletingLastPathComponent().appendingPathComponent("stratum.sqlite")
    }

    /// Runs the experiment. Input problems (dataset, images, unknown kinds) throw before a run is
    /// stored; a variant that fails is recorded as failed and the others still run.
    public func run(_ spec: ExperimentSpec, options: RunOptions = RunOptions(), events: @escaping @Sendable (RunEvent) -> Void = { _ in }) throws -> RunSummary {
        for variant in spec.variants {
            try registry.loader(for: variant.kind).checkOptions(variant.options, variant: variant.name)
        }
        let dataset = try DatasetPreparation.load(spec, events: events)
        let splitSamples = dataset.samples(inSplit: spec.split)
        guard !splitSamples.isEmpty else {
            let splits = Set(dataset.samples.map(\.split)).sorted().joined(separator: ", ")
            throw RunError(message: "\(dataset.manifest.path): split '\(spec.split)' has no samples (splits present: \(splits))")
        }
        events(.datasetLoaded(samples: dataset.samples.count, evaluated: splitSamples.count, split: spec.split))
        let loaded = ImageLoading.load(splitSamples, applyOrientation: spec.applyExifOrientation) {
            events(.decodedImages(done: $0, total: splitSamples.count))
        }
        let unreadable = loaded.unreadable
        if !unreadable.isEmpty {
            if options.strict || loaded.readable.isEmpty {
                throw UnreadableImagesError(manifest: dataset.manifest.path, samples: unreadable, noneReadable: loaded.readable.isEmpty)
            }
            events(.unreadableImages(unreadable))
        }
        // Every variant sees exactly the decodable samples; slices are built over them alone.
        let samples = loaded.readable.map(\.0)
        let images = loaded.readable.map(\.1)
        let (slices, skipped) = try SliceBuilder.build(spec.slices, samples: samples)
        events(.slicesBuilt(count: slices.count, skipped: skipped.map { "\($0.name) (n=\($0.size))" }))

        let databaseURL = Self.databaseURL(for: spec, options: options)
        let store = try Store(path: databaseURL.path)
        try store.reconcileInterruptedRuns()
        let run = try store.beginRun(experiment: spec.name, spec: spec.text, specHash: spec.hash, gitCommit: GitInfo.commit(near: spec.file))
        let runID = run.id ?? 0
        let lease = LeaseKeeper(store: store, runID: runID)
        defer { lease.stop() }
        events(.runStarted(number: run.number, database: databaseURL.path))
        let reportDirectory = StoredRunReports.directory(reportsRoot: options.reportsRoot, experiment: spec.name, run: run.number)

        do {
            let (_, sampleIDs) = try store.storeDataset(
                manifestPath: dataset.manifest.path, manifestHash: dataset.manifestHash, labelColumn: spec.labelColumn,
                labels: dataset.labels, samples: dataset.samples, runID: runID)
            let evaluatedIDs = try samples.map { sample -> Int64 in
                guard let id = sampleIDs[sample.id] else { throw RunError(message: "sample '\(sample.id)' missing from the store") }
                return id
            }
            try store.insertUnreadableSamples(runID: runID, unreadable.map { sample in
                (sampleIDs[sample.id] ?? -1, sample.reason)
            }.filter { $0.0 >= 0 })
            let sliceIDs = try store.insertSlices(runID: runID, slices.map { slice in
                (slice.name, slice.definition, slice.members.map { evaluatedIDs[$0] })
            })

            var outcomes: [VariantOutcome] = []
            var accuracies: [SliceAccuracy] = []
            var reports: [URL] = []
            let evaluation = VariantEvaluation(
                store: store, runID: runID, samples: samples, datasetLabels: dataset.labels, sampleIDs: evaluatedIDs, images: images,
                batchSize: options.batchSize ?? spec.batchSize, events: events)
            for variant in spec.variants {
                let modelSpec = ModelSpec(name: variant.name, kind: variant.kind, path: variant.path, options: variant.options)
                let variantID = try store.insertVariant(runID: runID, name: variant.name, kind: variant.kind, path: variant.path.path, fileHash: nil, labels: [])
                do {
                    let loader = try registry.loader(for: variant.kind)
                    var modelSpec = modelSpec
                    modelSpec.path = try ModelFitting.resolve(loader, modelSpec, dataset: dataset, labelColumn: spec.labelColumn, trainSplit: spec.trainSplit,
                                                              refit: options.refit, strict: options.strict, applyOrientation: spec.applyExifOrientation, events: events)
                    let classifier = try loader.load(modelSpec)
                    defer { classifier.close() }
                    try store.updateVariant(variantID, path: modelSpec.path.path, fileHash: classifier.descriptor.contentHash, labels: classifier.descriptor.labels)
                    let predicted = try evaluation.predict(classifier, variantID: variantID)
                    for slice in slices {
                        let metrics = ClassificationMetrics(confusion: ConfusionMatrix(
                            labels: classifier.descriptor.labels,
                            trueIndices: slice.members.map { predicted.trueIndices[$0] },
                            predictedIndices: slice.members.map { predicted.predictedIndices[$0] }))
                        try store.insertMetrics(runID: runID, variantID: variantID, sliceID: sliceIDs[slice.name] ?? 0, metrics: metrics)
                        let interval = metrics.accuracyInterval.map { ($0.low, $0.high) }
                        accuracies.append(SliceAccuracy(variant: variant.name, slice: slice.name, n: metrics.n, accuracy: metrics.accuracy.number, interval: interval))
                    }
                    try store.setVariantStatus(variantID, .completed)
                    outcomes.append(VariantOutcome(name: variant.name, kind: variant.kind, failed: nil))
                } catch {
                    let message = "\(error)"
                    try store.setVariantStatus(variantID, .failed, error: message)
                    events(.variantFailed(variant: variant.name, message: message))
                    outcomes.append(VariantOutcome(name: variant.name, kind: variant.kind, failed: message))
                }
            }
            let status: RunStatus = outcomes.allSatisfy({ $0.failed == nil }) ? .completed : (outcomes.allSatisfy({ $0.failed != nil }) ? .failed : .completedWithErrors)
            try store.finishRun(runID, status: status, error: status == .completed ? nil : "\(outcomes.filter { $0.failed != nil }.count) of \(outcomes.count) variants failed")
            var reportError: String?
            do {
                reports = try StoredRunReports.render(store: store, experiment: spec.name, number: run.number, reportsRoot: options.reportsRoot).files
                reports.forEach { events(.reportWritten($0)) }
            } catch {
                reportError = "\(error)"
            }
            return RunSummary(
                experiment: spec.name, runNumber: run.number, runID: runID, status: status.rawValue, database: databaseURL.path,
                reportDirectory: reportDirectory, variants: outcomes, slices: slices.map { ($0.name, $0.members.count) },
                accuracies: accuracies, reports: reports, reportError: reportError, unreadable: unreadable)
        } catch {
            try? store.finishRun(runID, status: .failed, error: "\(error)")
            throw error
        }
    }
}

/// A run could not proceed.
public struct RunError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public var description: String { message }
}


/// The git commit of the repository holding a file, when there is one.
enum GitInfo {
    static func commit(near file: URL) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", file.deletingLastPathComponent().path, "rev-parse", "HEAD"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        let commit = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return commit.isEmpty ? nil : commit
    }
}
