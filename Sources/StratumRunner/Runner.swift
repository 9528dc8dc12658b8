import Foundation
import StratumCore
import StratumData
import StratumImaging
import StratumMetrics
import StratumReports
import StratumStatistics
import StratumStore

/// Where a run writes and how it batches.
public struct RunOptions: Sendable {
    /// The store: a SQLite file or a `postgres://` URL; default `stratum.sqlite` next to the experiment file.
    public var database: String?
    /// Reports go to `<reportsRoot>/<experiment>/run-<number>/`.
    public var reportsRoot: URL
    /// Overrides the experiment's batch size.
    public var batchSize: Int?
    /// Refit trainable variants even when their model file exists.
    public var refit: Bool
    /// An image that cannot be decoded stops the run (default: it is recorded and left out of
    /// every variant alike).
    public var strict: Bool
    /// Continue an interrupted run instead of starting a new one.
    public var resume: ResumeTarget?
    /// Images decoded and held at once (memory is about this many decoded images plus the models).
    public var chunkSize = StreamingEvaluation.defaultChunkSize
    /// Resamples and seed of the bootstrap intervals (metrics that are not proportions), as
    /// given: nil takes the run's recorded one (a resumed run, a shard joining, `finalize`) or
    /// the default (a new run). One that differs from the run's recorded one is refused
    /// (`RunSettings`).
    public var resamples: Int?
    public var seed: UInt64?
    /// Evaluate one shard of a sharded run (see `ShardSelection`).
    public var shard: ShardSelection?

    public init(database: String? = nil, reportsRoot: URL = URL(fileURLWithPath: "Reports"), batchSize: Int? = nil, refit: Bool = false,
                strict: Bool = false, resume: ResumeTarget? = nil) {
        self.resume = resume
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

    /// The store a run of `spec` uses with `options`: `options.database`, else
    /// `$STRATUM_DB`, else `stratum.sqlite` next to the experiment file.
    public static func databaseLocation(for spec: ExperimentSpec, options: RunOptions) -> String {
        if let database = options.database { return database }
        if let environment = ProcessInfo.processInfo.environment["STRATUM_DB"], !environment.isEmpty {
            return environment
        }
        return spec.file.deletingLastPathComponent().appendingPathComponent("stratum.sqlite").path
    }

    /// Runs the experiment. Input problems (dataset, unknown kinds or options) throw before a
    /// run is stored; a variant that fails is recorded as failed and the others still run;
    /// an unreadable image is recorded and left out of every variant (or, `strict`, fails the run).
    ///
    /// Stages: open or resume the run → load (and fit) every variant → stream the evaluated
    /// split through them chunk by chunk, storing each batch → slices and metrics from the
    /// stored predictions → reports. With `options.resume`, an interrupted run continues:
    /// predictions already stored are kept and none is computed twice.
    public func run(_ spec: ExperimentSpec, options: RunOptions = RunOptions(), events: @escaping @Sendable (RunEvent) -> Void = { _ in }) throws -> RunSummary {
        let clock = StageClock()
        // Reports are drawn once `evaluate` has returned: the manifest's samples it held are
        // gone by then, and the reports read what they need from the store.
        let (summary, store) = try evaluate(spec, options: options, clock: clock, events: events)
        guard let store else { return summary }
        var drawn = summary
        Self.drawReports(&drawn, store: store, experiment: spec.name, options: options, events: events)
        try Self.finish(drawn, store: store)
        clock.end("reports")
        drawn.stageSeconds = clock.stages
        return drawn
    }

    /// Stores the run's final status (its reports drawn, or failed to draw: they can be drawn
    /// again from the store), as `complete` computed it into `summary`.
    static func finish(_ summary: RunSummary, store: any RunStore) throws {
        let status = RunStatus(rawValue: summary.status) ?? .completed
        let failed = summary.variants.filter { $0.failed != nil }.count
        guard try store.finishRun(summary.runID, status: status, error: status == .completed ? nil : "\(failed) of \(summary.variants.count) variants failed",
                                  heldBy: .current) else { throw RunLostError(runID: summary.runID) }
    }

    /// Everything up to the metrics; the store is returned when the run's reports are to be
    /// drawn (not for a shard that other shards are still to follow).
    private func evaluate(_ spec: ExperimentSpec, options: RunOptions, clock: StageClock,
                          events: @escaping @Sendable (RunEvent) -> Void) throws -> (RunSummary, (any RunStore)?) {
        for variant in spec.variants {
            try registry.loader(for: variant.kind).checkOptions(of: ModelSpec(name: variant.name, kind: variant.kind, path: variant.path, options: variant.options))
        }
        try Self.checkReportsRoot(options.reportsRoot)
        func endStage(_ name: String) { clock.end(name) }
        let dataset = try DatasetPreparation.load(spec, events: events)
        let splitSamples = dataset.samples(inSplit: spec.split)
        guard !splitSamples.isEmpty else {
            let splits = Set(dataset.samples.map(\.split)).sorted().joined(separator: ", ")
            throw RunError(message: "\(dataset.manifest.path): split '\(spec.split)' has no samples (splits present: \(splits))", isBadInput: true)
        }
        events(.datasetLoaded(samples: dataset.samples.count, evaluated: splitSamples.count, split: spec.split))
        // Slices are built after the predictions; a slice that cannot be built stops the run now.
        do {
            try SliceBuilder.check(spec.slices, samples: splitSamples)
        } catch let error as SliceBuildError {
            throw RunError(message: "\(spec.file.path): slices: \(error) (in \(dataset.manifest.path))", isBadInput: true)
        }

        let database = Self.databaseLocation(for: spec, options: options)
        let store = try RunStores.openForWriting(database)
        try store.reconcileInterruptedRuns()
        let run: StoredRun, resuming: Bool, shardAlreadyDone: Bool
        if let shard = options.shard {
            // The first shard to arrive creates the run; the others join it (and are checked
            // to bring the same experiment file, manifest and models, as a resumed run is).
            let join = try Self.joinShard(shard, of: spec, store: store, events: events)
            (run, resuming, shardAlreadyDone) = (join.run, !join.created, join.shardAlreadyDone)
            if resuming, let stored = try store.datasetHash(runID: run.id), stored != dataset.manifestHash {
                throw ShardRefusal("the manifest \(dataset.manifest.path) differs from the one run \(run.number) started with")
            }
        } else {
            (run, resuming) = try Self.openRun(spec, dataset: dataset, store: store, resume: options.resume, events: events)
            shardAlreadyDone = false
        }
        let runID = run.id
        let lease = LeaseKeeper(store: store, runID: runID, shard: options.shard?.index)
        defer { lease.stop() }
        events(.runStarted(number: run.number, database: RunStores.displayName(database)))
        endStage("dataset")
        let reportDirectory = StoredRunReports.directory(reportsRoot: options.reportsRoot, experiment: spec.name, run: run.number)

        var variants: [RunVariant] = []
        defer { variants.forEach { $0.classifier?.close() } }
        do {
            let settings = try RunSettings.settle(resamples: options.resamples, seed: options.seed, run: run, store: store) { what -> any Error in
                if let shard = options.shard { return ShardRefusal("shard \(shard.index) cannot join run \(run.number): \(what)") }
                return ResumeRefusal(what: what, instead: "")
            }
            // A shard evaluates its own samples only (none when an earlier attempt stored them
            // all) and asks the store for their ids alone: with many shards, each fetching every
            // id would cost the store n times the dataset.
            let evaluatedHere = options.shard.map { shard in shardAlreadyDone ? [] : splitSamples.filter { shard.owns($0.id) } } ?? splitSamples
            var sampleIDs: [String: SampleID]? = try store.storeDataset(
                manifestPath: dataset.manifest.path, manifestHash: dataset.manifestHash, labelColumn: spec.labelColumn,
                labels: dataset.labels, samples: dataset.samples, runID: runID, returningIDsOf: options.shard == nil ? nil : evaluatedHere.map(\.id)).sampleIDs
            var earlier = resuming ? try store.unreadableSamples(runID: runID) : []
            // Images found unreadable before are decoded again, as an uninterrupted run on the
            // files as they are now would (one mended since is evaluated); those still
            // unreadable are recorded again.
            let retried = earlier.compactMap { sampleIDs?[$0.key] }
            if !retried.isEmpty {
                try store.deleteUnreadableSamples(runID: runID, retried)
                earlier.removeAll { sampleIDs?[$0.key] != nil }
            }
            variants = try RunVariants.prepare(spec, dataset: dataset, evaluatedLabels: Set(splitSamples.map(\.label)), store: store, runID: runID,
                                               resuming: resuming, registry: registry, options: options, events: events)
            endStage("models")
            // Ids beside the samples, not (sample, id) pairs: the sample arrays stay shared with
            // the dataset's instead of being copied (a copy per stage adds up at a million rows).
            let mine = try Self.storedIDs(of: evaluatedHere, in: sampleIDs ?? [:])
            if resuming {
                try ResumedImagesCheck.verify(samples: evaluatedHere, ids: mine, variants: variants, stored: try store.imageFingerprints(runID: runID)) { what in
                    let error: any Error = options.shard.map { ShardRefusal("shard \($0.index) cannot go on with run \(run.number): \(what)") } ?? ResumeRefusal(what: what)
                    return error
                }
            }
            var splitIDs = options.shard == nil ? mine : []
            // Not needed while predicting (a hash table of every sample: 12 MB at 200,000).
            sampleIDs = nil
            let streaming = StreamingEvaluation(
                store: store, database: RunStores.displayName(database), runID: runID, samples: evaluatedHere, sampleIDs: mine,
                batchSize: options.batchSize ?? spec.batchSize, chunkSize: max(1, options.chunkSize), strict: options.strict, applyOrientation: spec.applyExifOrientation,
                manifest: dataset.manifest.path, events: events)
            var found = try streaming.run(variants)
            let predictionTimes = streaming.times.snapshot
            variants.forEach { $0.classifier?.close(); $0.classifier = nil }
            FreedMemory.returnPromptly()
            endStage("predictions")
            var shardProgress: ShardProgress?
            if let shard = options.shard {
                let (done, _, finishing) = try store.finishShard(runID, index: shard.index, lease: .current, now: Date())
                shardProgress = ShardProgress(index: shard.index, count: shard.count, done: done)
                if !finishing {
                    // Other shards are still to come (the last one computes metrics and reports),
                    // or another process is finishing the run already (its last shard, `finalize`).
                    lease.stop()
                    return (RunSummary(
                        experiment: spec.name, runNumber: run.number, runID: runID, status: RunStatus.running.rawValue, database: RunStores.displayName(database),
                        reportDirectory: reportDirectory, variants: variants.map { VariantOutcome(name: $0.name, kind: $0.kind, failed: $0.failure) },
                        slices: [], accuracies: [], reports: [], reportError: nil, unreadable: found, stageSeconds: clock.stages, shard: shardProgress, predictionTimes: predictionTimes), nil)
                }
                // The last shard: a variant that failed in any shard failed for the run, and the
                // unreadable samples are every shard's.
                let stored = Dictionary(try store.variants(runID: runID).map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
                for variant in variants where variant.failure == nil {
                    if let record = stored[variant.variantID], record.status == .failed { variant.failure = record.error ?? "failed" }
                }
                found = []
            }

            if options.shard != nil {
                earlier = try store.unreadableSamples(runID: runID)
                // The last shard computes the metrics over every sample: now it needs every id.
                let all = try store.storeDataset(manifestPath: dataset.manifest.path, manifestHash: dataset.manifestHash, labelColumn: spec.labelColumn,
                                                 labels: dataset.labels, samples: dataset.samples, runID: runID, returningIDsOf: nil).sampleIDs
                splitIDs = try Self.storedIDs(of: splitSamples, in: all)
            }
            // The manifest's rows (~50 bytes a sample, with the arrays of samples over them) are let
            // go before the metrics: what those need from them is built first (slices, labels).
            let manifest = dataset.manifest, labels = dataset.labels
            _ = consume streaming
            _ = consume evaluatedHere
            _ = consume dataset
            var summary = try Self.complete(spec, manifest: manifest, labels: labels, evaluated: consume splitSamples, evaluatedIDs: splitIDs,
                                            unreadable: earlier, found: found, variants: variants, store: store, run: run, options: options,
                                            bootstrap: settings.bootstrap, database: database, endStage: endStage, events: events)
            summary.shard = shardProgress
            summary.predictionTimes = predictionTimes
            return (summary, store)
        } catch {
            // A shard's error is its own: the run's other shards go on (the shard is seen as
            // interrupted once this process has ended, and can be run again).
            // A resume refused after taking the run over hands it back as it was found
            // (interrupted, to be resumed once the cause is mended), not failed.
            if options.shard == nil {
                if error is ResumeRefusal {
                    _ = try? store.finishRun(runID, status: .interrupted, error: nil, heldBy: .current)
                } else {
                    try? store.failRun(runID, error: "\(error)", heldBy: .current)
                }
            }
            throw error
        }
    }

    /// Joins the shard's run. A shard still held by a process on another machine or container
    /// (a pod that died moments ago, whose replacement the scheduler has started) is waited for
    /// until its lease expires, then taken over; one whose holder keeps renewing it is refused.
    static func joinShard(_ shard: ShardSelection, of spec: ExperimentSpec, store: any RunStore,
                          events: @escaping @Sendable (RunEvent) -> Void) throws -> ShardJoin {
        let deadline = Date().addingTimeInterval(RunLease.expiry + 30)
        while true {
            do {
                return try store.joinShardedRun(experiment: spec.name, spec: spec.text, specHash: spec.hash, gitCommit: GitInfo.commit(near: spec.file),
                                                key: shard.key, shardCount: shard.count, shardIndex: shard.index, lease: .current, now: Date())
            } catch let refusal as ShardRefusal {
                guard let wait = refusal.retryAfter, Date().addingTimeInterval(wait) < deadline else { throw refusal }
                events(.waitingForShardLease(shard: shard.index, seconds: wait, holder: refusal.message))
                Thread.sleep(forTimeInterval: min(wait + 1, 15))
            }
        }
    }

    /// Slices and metrics over every decodable sample of the evaluated split from the stored
    /// predictions, the run's final status, then the reports.
    static func complete(_ spec: ExperimentSpec, manifest: URL, labels: [String], evaluated: consuming [Sample], evaluatedIDs: [SampleID],
                         unreadable earlier: [(key: String, path: String, reason: String)], found: [UnreadableSample], variants: [RunVariant],
                         store: any RunStore, run: StoredRun, options: RunOptions, bootstrap: BootstrapSettings, database: String,
                         endStage: (String) -> Void, events: @escaping @Sendable (RunEvent) -> Void) throws -> RunSummary {
        let runID = run.id
        // Every variant is scored on exactly the decodable samples; slices are built over them alone.
        // (Built only when there are earlier unreadable samples to look up: it would hold a
        // copy of every evaluated sample.)
        let byKey = earlier.isEmpty ? [:] : Dictionary(uniqueKeysWithValues: evaluated.map { ($0.id, $0) })
        let unreadable = earlier.compactMap { stored in
            byKey[stored.key].map { UnreadableSample(id: $0.id, path: $0.relativePath, line: $0.line, reason: stored.reason) }
        } + found
        let unreadableKeys = Set(unreadable.map(\.id))
        let unreadableIDs = unreadableKeys.isEmpty ? [] : Set(evaluated.indices.filter { unreadableKeys.contains(evaluated[$0].id) }.map { evaluatedIDs[$0] })
        _ = consume byKey
        var readable: [Sample], readableIDs = evaluatedIDs
        if unreadableIDs.isEmpty {
            readable = consume evaluated
        } else {
            let kept = evaluatedIDs.indices.filter { !unreadableIDs.contains(evaluatedIDs[$0]) }
            readable = kept.map { evaluated[$0] }
            readableIDs = kept.map { evaluatedIDs[$0] }
            _ = consume evaluated
        }
        guard !readable.isEmpty else {
            throw UnreadableImagesError(manifest: manifest.path, samples: unreadable, noneReadable: true)
        }
        let outcome = try RunFinalization.finish(spec, labels: labels, samples: consume readable, sampleIDs: readableIDs,
                                                 variants: variants, bootstrap: bootstrap, store: store, runID: runID, events: events)
        let outcomes = variants.map { VariantOutcome(name: $0.name, kind: $0.kind, failed: $0.failure) }
        let failed = outcomes.filter { $0.failed != nil }.count
        let status: RunStatus = failed == 0 ? .completed : (failed == outcomes.count ? .failed : .completedWithErrors)
        // The status is stored once the reports are drawn (`finish`): a run killed while drawing
        // them stays unfinished, is marked interrupted, and `--resume` draws them; it read as
        // completed with half its reports, and --resume had nothing to do.
        endStage("metrics")
        return RunSummary(
            experiment: spec.name, runNumber: run.number, runID: runID, status: status.rawValue, database: RunStores.displayName(database),
            reportDirectory: StoredRunReports.directory(reportsRoot: options.reportsRoot, experiment: spec.name, run: run.number),
            variants: outcomes, slices: outcome.slices.map { ($0.name, $0.members.count, $0.parts) },
            accuracies: outcome.accuracies, reports: [], reportError: nil, unreadable: unreadable)
    }

    /// Draws the run's reports from the store into the summary (a failure is recorded there:
    /// the run itself is stored and complete).
    static func drawReports(_ summary: inout RunSummary, store: any RunStore, experiment: String, options: RunOptions,
                            events: @escaping @Sendable (RunEvent) -> Void) {
        do {
            let rendered = try StoredRunReports.render(store: store, experiment: experiment, number: summary.runNumber, reportsRoot: options.reportsRoot,
                                                       runStatus: summary.status)
            summary.reports = rendered.files
            summary.reportOmissions = rendered.omitted
            summary.reports.forEach { events(.reportWritten($0)) }
        } catch {
            summary.reportError = "\(error)"
        }
    }

    /// Finishes a sharded run whose shards have all stored their predictions but whose last
    /// shard died before computing metrics and reports (running any of its shards again does
    /// the same). `number`: the run (default: the experiment's latest).
    public func finalize(_ spec: ExperimentSpec, run number: Int?, options: RunOptions = RunOptions(),
                         events: @escaping @Sendable (RunEvent) -> Void = { _ in }) throws -> RunSummary {
        let clock = StageClock()
        FreedMemory.returnPromptly()  // no inference here
        let dataset = try DatasetPreparation.load(spec, events: events)
        let splitSamples = dataset.samples(inSplit: spec.split)
        let database = Self.databaseLocation(for: spec, options: options)
        let store = try RunStores.openForWriting(database)
        try store.reconcileInterruptedRuns()
        let run = try store.run(experiment: spec.name, number: number).run
        guard let count = run.shardCount else {
            throw RunError(message: "run \(run.number) of '\(spec.name)' is not sharded (an interrupted run continues with `stratum run --resume`)")
        }
        guard run.status == .running || run.status == .interrupted else {
            throw RunError(message: "run \(run.number) of '\(spec.name)' is already \(run.status.rawValue)")
        }
        guard run.specHash == spec.hash else { throw ShardRefusal("the experiment file differs from the one run \(run.number) started with") }
        if let stored = try store.datasetHash(runID: run.id), stored != dataset.manifestHash {
            throw ShardRefusal("the manifest \(dataset.manifest.path) differs from the one run \(run.number) started with")
        }
        let shards = try store.shards(runID: run.id)
        let done = Set(shards.filter { $0.status == .completed }.map(\.index))
        guard done.count == count else {
            let missing = (0..<count).filter { !done.contains($0) }
            throw RunError(message: "run \(run.number) of '\(spec.name)' has \(done.count) of \(count) shards done; still to run: \(missing.prefix(20).map(String.init).joined(separator: ", "))\(missing.count > 20 ? ", …" : "")")
        }
        // Every shard done, and still `running` after reconciling: the run has a live finisher
        // (its last shard computing the metrics, or another `finalize`), which holds its lease.
        let holder = run.lease.map { "pid \($0.pid) on \($0.host)" } ?? "pid \(run.pid)"
        guard run.status == .interrupted else {
            throw ShardRefusal("run \(run.number) of '\(spec.name)' is being finished by \(holder) (its last shard, or another finalize): nothing to do")
        }
        // Taken over in one conditional statement: of two finalizes at once, one goes on.
        guard try store.resumeRun(run.id, lease: .current) else {
            throw ShardRefusal("run \(run.number) of '\(spec.name)' was taken over by another process a moment ago")
        }
        let lease = LeaseKeeper(store: store, runID: run.id)
        defer { lease.stop() }
        do {
            return try complete(finalizing: run, spec: spec, dataset: dataset, splitSamples: splitSamples, store: store, database: database,
                                options: options, clock: clock, events: events)
        } catch {
            // Handed back as it was found, to be finalized again once the cause is mended (if it
            // is still this process's: not a run another process took over and completed).
            _ = try? store.finishRun(run.id, status: .interrupted, error: "finalize failed: \(error) (stratum finalize again once mended)", heldBy: .current)
            throw error
        }
    }

    private func complete(finalizing run: StoredRun, spec: ExperimentSpec, dataset: Dataset, splitSamples: [Sample], store: any RunStore,
                          database: String, options: RunOptions, clock: StageClock,
                          events: @escaping @Sendable (RunEvent) -> Void) throws -> RunSummary {
        func endStage(_ name: String) { clock.end(name) }
        let (_, sampleIDs) = try store.storeDataset(manifestPath: dataset.manifest.path, manifestHash: dataset.manifestHash, labelColumn: spec.labelColumn,
                                                    labels: dataset.labels, samples: dataset.samples, runID: run.id)
        let evaluatedIDs = try Self.storedIDs(of: splitSamples, in: sampleIDs)
        let stored = try store.variants(runID: run.id)
        let variants = spec.variants.compactMap { variant in stored.first { $0.name == variant.name } }.map { record in
            RunVariant(name: record.name, kind: record.kind, variantID: record.id, classifier: nil,
                       failure: record.status == .failed ? (record.error ?? "failed") : nil, done: SampleIDSet())
        }
        endStage("dataset")
        let settings = try RunSettings.settle(resamples: options.resamples, seed: options.seed, run: run, store: store) { what in
            ShardRefusal("cannot finalize run \(run.number): \(what)")
        }
        var summary = try Self.complete(spec, manifest: dataset.manifest, labels: dataset.labels, evaluated: splitSamples, evaluatedIDs: evaluatedIDs, unreadable: try store.unreadableSamples(runID: run.id),
                                        found: [], variants: variants, store: store, run: run, options: options, bootstrap: settings.bootstrap, database: database,
                                        endStage: endStage, events: events)
        Self.drawReports(&summary, store: store, experiment: spec.name, options: options, events: events)
        try Self.finish(summary, store: store)
        endStage("reports")
        summary.stageSeconds = clock.stages
        return summary
    }

    /// Refuses a reports folder that cannot be made before any work: its nearest existing
    /// ancestor must be a folder this process may write (a `--reports` naming a file was found
    /// only after a whole run, its results stored but no report drawn).
    static func checkReportsRoot(_ root: URL) throws {
        do {
            try Gnuplot.checkOutputPath(root.appendingPathComponent("chart.png"))
        } catch let error as ReportError {
            throw RunError(message: "reports folder: \(error.message)", isBadInput: true)
        }
        var candidate = root.standardizedFileURL
        while true {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory) {
                guard isDirectory.boolValue else {
                    throw RunError(message: "reports folder \(root.path): \(candidate.path) is a file, not a folder", isBadInput: true)
                }
                guard access(candidate.path, W_OK | X_OK) == 0 else {
                    throw RunError(message: "reports folder \(root.path): \(candidate.path) is not writable", isBadInput: true)
                }
                return
            }
            let parent = candidate.deletingLastPathComponent()
            if parent.path == candidate.path { return }
            candidate = parent
        }
    }

    /// The store's id of each sample, in order.
    static func storedIDs(of samples: [Sample], in sampleIDs: [String: SampleID]) throws -> [SampleID] {
        try samples.map { sample in
            guard let id = sampleIDs[sample.id] else { throw RunError(message: "sample '\(sample.id)' missing from the store") }
            return id
        }
    }

    /// A new run, or (`resume`) the interrupted run asked for, checked to be the same experiment
    /// on the same data. Without `resume`, an interrupted latest run is pointed out.
    static func openRun(_ spec: ExperimentSpec, dataset: Dataset, store: any RunStore, resume: ResumeTarget?,
                        events: @Sendable (RunEvent) -> Void) throws -> (StoredRun, resuming: Bool) {
        guard let resume else {
            if let latest = try? store.run(experiment: spec.name, number: nil).run, latest.status == .interrupted {
                events(.interruptedRunFound(number: latest.number, shards: latest.shardCount))
            }
            return (try store.beginRun(experiment: spec.name, spec: spec.text, specHash: spec.hash, gitCommit: GitInfo.commit(near: spec.file)), false)
        }
        let number: Int? = if case .number(let n) = resume { n } else { nil }
        let run = try store.run(experiment: spec.name, number: number).run
        // A sharded run continues shard by shard: taken over whole, it evaluated every shard's
        // remaining samples while queued shards could join it, the two writers colliding
        // (review of the store).
        if let shards = run.shardCount {
            throw ResumeRefusal(what: "run \(run.number) is split into \(shards) shards; run its unfinished shards again (stratum run \(spec.file.lastPathComponent) --shard I/\(shards)), or `stratum finalize \(spec.file.lastPathComponent) \(run.number)` once they are done")
        }
        switch run.status {
        case .interrupted, .failed: break
        case .running:
            throw ResumeRefusal(what: "run \(run.number) is still running (\(run.lease.map { "pid \($0.pid) on \($0.host)" } ?? "pid \(run.pid)"))")
        default:
            throw ResumeRefusal(what: "run \(run.number) is \(run.status.rawValue); there is nothing to resume (re-draw its reports with `stratum report \(spec.name)/\(run.number)`)")
        }
        guard run.specHash == spec.hash else {
            throw ResumeRefusal(what: "the experiment file \(spec.file.path) changed since run \(run.number) started")
        }
        if let stored = try store.datasetHash(runID: run.id), stored != dataset.manifestHash {
            throw ResumeRefusal(what: "the manifest \(dataset.manifest.path) changed since run \(run.number) started")
        }
        guard try store.resumeRun(run.id) else {
            throw ResumeRefusal(what: "run \(run.number) was taken over by another process a moment ago")
        }
        return (run, true)
    }
}

/// Which stored run `--resume` continues.
public enum ResumeTarget: Sendable, Equatable {
    /// The experiment's latest run.
    case latest
    case number(Int)
}

/// A run could not proceed.
public struct RunError: Error, CustomStringConvertible, Equatable {
    public var message: String
    /// Caused by what the user gave (a split the manifest lacks, a file no kind reads) rather
    /// than by the run failing: the CLI exits 65 for it.
    public var isBadInput = false
    public var description: String { message }
}


/// The git commit of the repository holding a file, when there is one.
enum GitInfo {
    static func commit(near file: URL) -> String? {
        guard let git = ChildProcessPath.find("git"),
              let child = try? ChildProcess(command: [git, "rev-parse", "HEAD"], directory: file.deletingLastPathComponent(), name: "git") else { return nil }
        defer { child.terminate(grace: 0) }
        let deadline = Date().addingTimeInterval(10)
        guard let output = try? child.readToEnd(limit: 4096, deadline: deadline), child.waitForExit(deadline: deadline) == 0 else { return nil }
        let commit = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return commit.isEmpty ? nil : commit
    }
}

/// Programs found on `PATH`.
enum ChildProcessPath {
    static func find(_ name: String) -> String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return directories.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

/// Wall time per stage of a run, each stage ending where the next begins.
final class StageClock {
    private(set) var stages: [(stage: String, seconds: Double)] = []
    private var start = Date()

    func end(_ name: String) {
        // What the stage freed goes back to the system before the next one starts.
        FreedMemory.release()
        let now = Date()
        stages.append((name, now.timeIntervalSince(start)))
        start = now
    }
}
