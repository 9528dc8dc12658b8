import Foundation
import GRDB

/// A paired comparison as stored: two variants (of one run or of two) and one row per slice.
public struct StoredComparison: Sendable, Codable {
    public struct Row: Sendable, Codable {
        public var slice: String
        public var n: Int
        public var baseline: Double?
        public var candidate: Double?
        public var difference: Double?
        public var low: Double?
        public var high: Double?
        public var baselineOnlyCorrect: Int
        public var candidateOnlyCorrect: Int
        public var p: Double?
        public var adjustedP: Double?
        public var verdict: String

        public init(slice: String, n: Int, baseline: Double?, candidate: Double?, difference: Double?, low: Double?, high: Double?,
                    baselineOnlyCorrect: Int, candidateOnlyCorrect: Int, p: Double?, adjustedP: Double?, verdict: String) {
            self.slice = slice; self.n = n; self.baseline = baseline; self.candidate = candidate; self.difference = difference
            self.low = low; self.high = high; self.baselineOnlyCorrect = baselineOnlyCorrect; self.candidateOnlyCorrect = candidateOnlyCorrect
            self.p = p; self.adjustedP = adjustedP; self.verdict = verdict
        }
    }

    public var baselineRunID: RunID
    public var baselineVariant: String
    public var candidateRunID: RunID
    public var candidateVariant: String
    public var metric: String
    public var correction: String
    public var alpha: Double
    public var resamples: Int
    public var seed: UInt64
    public var createdAt: Date
    public var slices: [Row]

    public init(baselineRunID: RunID, baselineVariant: String, candidateRunID: RunID, candidateVariant: String, metric: String,
                correction: String, alpha: Double, resamples: Int, seed: UInt64, createdAt: Date = Date(), slices: [Row]) {
        self.baselineRunID = baselineRunID; self.baselineVariant = baselineVariant; self.candidateRunID = candidateRunID
        self.candidateVariant = candidateVariant; self.metric = metric; self.correction = correction; self.alpha = alpha
        self.resamples = resamples; self.seed = seed; self.createdAt = createdAt; self.slices = slices
    }
}

/// Every stored metric row of a run, with what the tables and JSON show.
public struct StoredMetricRow: Sendable, Codable, Equatable {
    public var variant: String
    public var slice: String
    public var name: String
    public var value: Double?
    public var ciLow: Double?
    public var ciHigh: Double?
    public var intervalMethod: String?
    public var n: Int
    public var denominator: Int?
    /// Why the value is undefined.
    public var note: String?

    public init(variant: String, slice: String, name: String, value: Double?, ciLow: Double?, ciHigh: Double?, intervalMethod: String?, n: Int, denominator: Int?, note: String?) {
        self.variant = variant
        self.slice = slice
        self.name = name
        self.value = value
        self.ciLow = ciLow
        self.ciHigh = ciHigh
        self.intervalMethod = intervalMethod
        self.n = n
        self.denominator = denominator
        self.note = note
    }
}

/// One cell of a stored confusion matrix.
public struct StoredConfusionCell: Sendable, Codable, Equatable {
    public var variant: String
    public var slice: String
    public var trueLabel: String
    public var predictedLabel: String
    public var count: Int

    public init(variant: String, slice: String, trueLabel: String, predictedLabel: String, count: Int) {
        self.variant = variant
        self.slice = slice
        self.trueLabel = trueLabel
        self.predictedLabel = predictedLabel
        self.count = count
    }
}

/// One metric of one variant on one slice in one run, with what a history must compare.
public struct MetricHistoryRow: Sendable, Codable, Equatable {
    public var experiment: String
    public var run: Int
    public var startedAt: Date
    public var variant: String
    public var slice: String
    public var sliceDefinition: String
    public var datasetHash: String?
    public var value: Double?
    public var ciLow: Double?
    public var ciHigh: Double?
    public var n: Int

    public init(experiment: String, run: Int, startedAt: Date, variant: String, slice: String, sliceDefinition: String, datasetHash: String?, value: Double?, ciLow: Double?, ciHigh: Double?, n: Int) {
        self.experiment = experiment
        self.run = run
        self.startedAt = startedAt
        self.variant = variant
        self.slice = slice
        self.sliceDefinition = sliceDefinition
        self.datasetHash = datasetHash
        self.value = value
        self.ciLow = ciLow
        self.ciHigh = ciHigh
        self.n = n
    }
}

extension Store {
    /// Metric `name` on slice `slice` in every run of `experiment`, or (with `datasetHash`) in
    /// every run of any experiment evaluated on that dataset file; oldest first.
    public func metricHistory(named name: String, slice: String, experiment: String?, datasetHash: String?) throws -> [MetricHistoryRow] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT e.name AS experiment, r.number, r.startedAt, v.name AS variant, s.name AS slice, s.definition, d.manifestHash,
                       m.value, m.ciLow, m.ciHigh, m.n
                FROM metric m JOIN run r ON r.id = m.runId JOIN experiment e ON e.id = r.experimentId
                JOIN modelVariant v ON v.id = m.modelVariantId JOIN slice s ON s.id = m.sliceId LEFT JOIN dataset d ON d.id = r.datasetId
                WHERE m.name = ? AND s.name = ? AND (? IS NULL OR e.name = ?) AND (? IS NULL OR d.manifestHash = ?)
                ORDER BY r.startedAt, r.id, v.id
                """, arguments: [name, slice, experiment, experiment, datasetHash, datasetHash]).map {
                MetricHistoryRow(experiment: $0["experiment"], run: $0["number"], startedAt: $0["startedAt"], variant: $0["variant"], slice: $0["slice"],
                                 sliceDefinition: $0["definition"], datasetHash: $0["manifestHash"], value: $0["value"], ciLow: $0["ciLow"],
                                 ciHigh: $0["ciHigh"], n: $0["n"])
            }
        }
    }

    /// Every metric of a run, by variant (in insertion order), slice and metric.
    public func allMetrics(runID: RunID) throws -> [StoredMetricRow] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT v.name AS variant, s.name AS slice, m.name, m.value, m.ciLow, m.ciHigh, m.intervalMethod, m.n, m.denominator, m.note
                FROM metric m JOIN modelVariant v ON v.id = m.modelVariantId JOIN slice s ON s.id = m.sliceId
                WHERE m.runId = ? ORDER BY v.id, s.id, m.id
                """, arguments: [runID]).map {
                StoredMetricRow(variant: $0["variant"], slice: $0["slice"], name: $0["name"], value: $0["value"], ciLow: $0["ciLow"],
                                ciHigh: $0["ciHigh"], intervalMethod: $0["intervalMethod"], n: $0["n"], denominator: $0["denominator"], note: $0["note"])
            }
        }
    }

    public func confusionCells(runID: RunID) throws -> [StoredConfusionCell] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT v.name AS variant, s.name AS slice, c.trueLabel, c.predictedLabel, c.count
                FROM confusionCell c JOIN modelVariant v ON v.id = c.modelVariantId JOIN slice s ON s.id = c.sliceId
                WHERE c.runId = ? ORDER BY v.id, s.id, c.rowid
                """, arguments: [runID]).map {
                StoredConfusionCell(variant: $0["variant"], slice: $0["slice"], trueLabel: $0["trueLabel"], predictedLabel: $0["predictedLabel"], count: $0["count"])
            }
        }
    }

    /// Comparisons whose candidate run is `runID`, newest first.
    public func comparisons(candidateRunID runID: RunID) throws -> [StoredComparison] {
        try read { db in
            let heads = try Row.fetchAll(db, sql: "SELECT * FROM comparison WHERE candidateRunId = ? ORDER BY id DESC", arguments: [runID])
            return try heads.map { head in
                let rows = try Row.fetchAll(db, sql: "SELECT * FROM comparisonSlice WHERE comparisonId = ? ORDER BY rowid", arguments: [head["id"] as Int64]).map {
                    StoredComparison.Row(slice: $0["slice"], n: $0["n"], baseline: $0["baseline"], candidate: $0["candidate"], difference: $0["difference"],
                                         low: $0["ciLow"], high: $0["ciHigh"], baselineOnlyCorrect: $0["baselineOnlyCorrect"],
                                         candidateOnlyCorrect: $0["candidateOnlyCorrect"], p: $0["p"], adjustedP: $0["adjustedP"], verdict: $0["verdict"])
                }
                return StoredComparison(baselineRunID: RunID(rawValue: head["baselineRunId"]), baselineVariant: head["baselineVariant"], candidateRunID: RunID(rawValue: head["candidateRunId"]),
                                        candidateVariant: head["candidateVariant"], metric: head["metric"], correction: head["correction"], alpha: head["alpha"],
                                        resamples: head["resamples"], seed: UInt64(bitPattern: head["seed"] as Int64), createdAt: head["createdAt"], slices: rows)
            }
        }
    }
}
