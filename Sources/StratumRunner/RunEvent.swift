import Foundation
import StratumReports
import StratumCore
import StratumStore

/// Progress of a run, for the CLI to show (the library never prints).
public enum RunEvent: Sendable {
    case generatingDataset(count: Int, directory: URL)
    case generatedImages(done: Int, total: Int)
    case datasetLoaded(samples: Int, evaluated: Int, split: String)
    case decodedImages(done: Int, total: Int)
    /// Images that could not be decoded: recorded and left out of every variant.
    case unreadableImages([UnreadableSample])
    case runStarted(number: Int, database: String)
    /// This shard is held by a process elsewhere whose lease has not expired yet: waiting.
    case waitingForShardLease(shard: Int, seconds: Double, holder: String)
    /// The experiment's latest run was interrupted (a new run starts; `--resume` would continue
    /// it, or, split into `shards`, its shards run again).
    case interruptedRunFound(number: Int, shards: Int?)
    case fitting(variant: String, examples: Int)
    /// The model at `existing` was fitted with other options or data (or `--refit`): a new file is fitted.
    case refitting(variant: String, existing: URL, reason: String)
    case fitted(variant: String, summary: FitSummary, path: URL)
    /// A variant Stratum fitted on `trainSplit` is evaluated on those very samples (the run's
    /// split is the training split, or all): its scores are on its own training data.
    case evaluatedOnTrainingData(variant: String, samples: Int, trainSplit: String)
    case predicting(variant: String, done: Int, total: Int)
    case variantFailed(variant: String, message: String)
    case slicesBuilt(count: Int, skipped: [String])
    case reportWritten(URL)
}

/// What one variant's evaluation came to.
public struct VariantOutcome: Sendable {
    public var name: String
    public var kind: String
    public var failed: String?
}

/// One cell of the summary table.
public struct SliceAccuracy: Sendable {
    public var variant: String
    public var slice: String
    public var n: Int
    public var accuracy: Double?
    public var interval: (low: Double, high: Double)?
}

/// The result of `Runner.run`.
public struct RunSummary: Sendable {
    public var experiment: String
    public var runNumber: Int
    public var runID: RunID
    public var status: String
    public var database: String
    public var reportDirectory: URL
    public var variants: [VariantOutcome]
    public var slices: [(name: String, size: Int, parts: [SlicePart])]
    public var accuracies: [SliceAccuracy]
    public var reports: [URL]
    /// Set when the data was stored but drawing the reports failed.
    public var reportError: String?
    /// Samples the galleries did not draw: their image changed since the run read it, or
    /// cannot be read now.
    public var reportOmissions: [Gallery.Omission] = []
    /// Samples of the evaluated split whose image could not be decoded (left out of every variant).
    public var unreadable: [UnreadableSample] = []
    /// Wall-clock seconds per stage (dataset, models, predictions, metrics, reports), in order.
    public var stageSeconds: [(stage: String, seconds: Double)] = []
    /// For one shard of a sharded run: which, and how many shards are done.
    public var shard: ShardProgress?
    /// Where the predictions stage's time went.
    public var predictionTimes: PredictionTimes?
}

/// Where the predictions stage's time went, in seconds. Inference runs each variant in turn
/// on the main thread (its batches spread over the cores); decoding the next chunk and writing
/// stored predictions run beside it on other threads, so `decode` and `store` overlap the rest.
public struct PredictionTimes: Sendable {
    /// Each variant's share of the main thread, in the order the variants run: assembling its
    /// batches, inference (on every core), handing the predictions to the store.
    public var variants: [(name: String, seconds: Double)] = []
    /// Decoding and preparing images (summed over chunks; beside inference).
    public var decode = 0.0
    /// Writing predictions to the store (beside inference).
    public var store = 0.0
    /// Inference waiting for a chunk still decoding.
    public var waitingForDecode = 0.0
    /// Inference waiting for the store: its queue of batches full (this time is also inside the
    /// variant's), or draining at the end.
    public var waitingForStore = 0.0

    public init() {}

    /// One line: what inference spent, then what ran beside it.
    public var summary: String {
        let own = variants.map { String(format: "%@ %.2f s", $0.name, $0.seconds) }
            + [String(format: "waiting for decoding %.2f s", waitingForDecode), String(format: "waiting for the store %.2f s", waitingForStore)]
        return own.joined(separator: " · ") + String(format: "; beside them: decoding %.2f s, store writes %.2f s", decode, store)
    }
}

/// Where a sharded run stands after one shard's process.
public struct ShardProgress: Sendable, Equatable, Codable {
    public var index: Int
    public var count: Int
    /// Shards whose predictions are all stored (this one included).
    public var done: Int
}
