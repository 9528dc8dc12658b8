import Foundation
import StratumCore
import StratumMetrics

/// One evaluated sample as reports see it.
///
/// Reports hold every evaluated sample of a run (a million, say): a sample read from the store
/// is its `Sample` row (a view of the run's column-wise table) and the tags are shared arrays,
/// so each costs a few words here.
public struct ReportSample: Sendable, Equatable {
    /// The tagged slices it is in (`child`, `short`, …), for captions.
    public var tags: [String]
    /// The row: its `id` is the key, its label the true label.
    private let sample: Sample
    /// The folder the dataset is in now, when it moved since the run.
    private let movedTo: SampleRoot?

    public var key: String { sample.id }
    public var trueLabel: String { sample.label }

    /// The image: the row's path inside its dataset's folder (or the folder it moved to).
    public var image: URL {
        guard let root = movedTo ?? sample.root else { return sample.url }
        return root.file(sample.relativePath)
    }

    /// A sample on its own (a one-row table).
    public init(key: String, image: URL, trueLabel: String, tags: [String]) {
        self.init(sample: Sample(id: key, url: image, relativePath: image.lastPathComponent, label: trueLabel, split: "", attributes: [:], line: 0),
                  tags: tags)
    }

    /// A stored row; `movedTo`: the folder the dataset is in now, when it moved since the run.
    public init(sample: Sample, movedTo root: SampleRoot? = nil, tags: [String]) {
        self.sample = sample
        self.movedTo = root
        self.tags = tags
    }
}

public struct ReportPrediction: Sendable, Equatable {
    public var predicted: String
    /// The probability of the predicted label (the largest).
    public var confidence: Float

    public init(predicted: String, confidence: Float) {
        self.predicted = predicted
        self.confidence = confidence
    }

    /// From the probabilities of every label: the confidence is the largest.
    public init(predicted: String, probabilities: [Float]) {
        self.init(predicted: predicted, confidence: probabilities.max() ?? 0)
    }
}

/// A variant's predictions by sample position (the order of `RunReportData.samples`), held as
/// a label code and a confidence per sample: 8 bytes each, where a dictionary by key took ~120.
public struct ReportPredictions: Sendable, Equatable {
    /// Per sample: the index into `labels`, or -1 without a prediction.
    private var codes: [Int32]
    private var confidences: [Float]
    private var labels: [String] = []
    private var labelCodes: [String: Int32] = [:]
    /// How many samples have a prediction.
    public private(set) var count = 0

    /// No prediction yet for any of `sampleCount` samples.
    public init(sampleCount: Int) {
        codes = Array(repeating: -1, count: sampleCount)
        confidences = Array(repeating: 0, count: sampleCount)
    }

    /// One entry per sample, in sample order (nil: no prediction).
    public init(_ predictions: [ReportPrediction?]) {
        self.init(sampleCount: predictions.count)
        for (position, prediction) in predictions.enumerated() { self[position] = prediction }
    }

    public var sampleCount: Int { codes.count }
    public var isEmpty: Bool { count == 0 }

    public subscript(position: Int) -> ReportPrediction? {
        get {
            guard codes.indices.contains(position) else { return nil }
            let code = codes[position]
            return code < 0 ? nil : ReportPrediction(predicted: labels[Int(code)], confidence: confidences[position])
        }
        set {
            if codes[position] >= 0 { count -= 1 }
            guard let newValue else {
                codes[position] = -1
                return
            }
            let code: Int32
            if let known = labelCodes[newValue.predicted] {
                code = known
            } else {
                code = Int32(labels.count)
                labels.append(newValue.predicted)
                labelCodes[newValue.predicted] = code
            }
            codes[position] = code
            confidences[position] = newValue.confidence
            count += 1
        }
    }
}

/// Accuracy of one variant on one slice, with its Wilson interval.
public struct SliceScore: Sendable, Equatable {
    public var slice: String
    public var n: Int
    public var accuracy: Double?
    public var ciLow: Double?
    public var ciHigh: Double?

    public init(slice: String, n: Int, accuracy: Double?, ciLow: Double?, ciHigh: Double?) {
        self.slice = slice
        self.n = n
        self.accuracy = accuracy
        self.ciLow = ciLow
        self.ciHigh = ciHigh
    }
}

/// A variant of a run with everything reports draw.
public struct ReportVariant: Sendable {
    public var name: String
    public var kind: String
    public var status: String
    public var error: String?
    public var labels: [String]
    /// Predictions by sample position (a failed variant may have only some).
    public var predictions: ReportPredictions
    /// Scores in slice order (empty for a failed variant).
    public var scores: [SliceScore]

    public init(name: String, kind: String, status: String, error: String?, labels: [String], predictions: ReportPredictions, scores: [SliceScore]) {
        self.name = name
        self.kind = kind
        self.status = status
        self.error = error
        self.labels = labels
        self.predictions = predictions
        self.scores = scores
    }

    public var completed: Bool { status == "completed" }

    /// The overall accuracy, if computed.
    public var overallAccuracy: Double? { scores.first { $0.slice == "overall" }?.accuracy }
}

/// A slice of a run.
public struct ReportSlice: Sendable, Equatable {
    public var name: String
    public var definition: String
    /// Positions of its samples in `RunReportData.samples`, ascending (4 bytes each: a run of
    /// 200,000 samples has about a million members over its slices).
    private(set) var positions: [Int32]
    /// Positions of its samples in `RunReportData.samples`, ascending.
    public var members: [Int] { positions.map(Int.init) }
    public var memberCount: Int { positions.count }
    /// What it is made of (none for overall).
    public var parts: [SlicePart]

    public init(name: String, definition: String, members: [Int], parts: [SlicePart]? = nil) {
        self.name = name
        self.definition = definition
        precondition(members.allSatisfy { $0 >= 0 && $0 <= Int(Int32.max) }, "ReportSlice: positions are non-negative Int32s")
        self.positions = members.map { Int32($0) }.sorted()
        self.parts = parts ?? (name == "overall" ? [] : [.named(name)])
    }

    /// Whether the sample at `position` is in the slice.
    public func contains(_ position: Int) -> Bool { members.sortedIndex(of: position) != nil }

    /// True for slices intersecting two or more parts.
    public var isIntersection: Bool { parts.isIntersection }
}

/// A sample left out of a run because its image could not be decoded.
public struct ReportUnreadable: Sendable, Equatable {
    public var key: String
    public var path: String
    public var reason: String
    public init(key: String, path: String, reason: String) {
        self.key = key
        self.path = path
        self.reason = reason
    }
}

/// Everything stored about one run, as value types: the input of every report.
/// One stored metric of a variant on a slice, as the index's metric table shows it.
public struct ReportMetric: Sendable, Equatable {
    public var variant: String
    public var slice: String
    public var name: String
    public var value: Double?
    public var ciLow: Double?
    public var ciHigh: Double?
    public var intervalMethod: String?
    public var n: Int
    public var denominator: Int?
    /// Why it is undefined.
    public var note: String?

    public init(variant: String, slice: String, name: String, value: Double?, ciLow: Double?, ciHigh: Double?, intervalMethod: String?, n: Int, denominator: Int?, note: String?) {
        self.variant = variant; self.slice = slice; self.name = name; self.value = value; self.ciLow = ciLow; self.ciHigh = ciHigh
        self.intervalMethod = intervalMethod; self.n = n; self.denominator = denominator; self.note = note
    }
}

public struct RunReportData: Sendable {
    public var experiment: String
    public var runNumber: Int
    public var status: String
    public var startedAt: Date
    public var split: String
    public var samples: [ReportSample]
    public var slices: [ReportSlice]
    public var variants: [ReportVariant]
    /// Samples of the evaluated split left out because their image could not be decoded.
    public var unreadable: [ReportUnreadable] = []
    /// Each sample's image `ContentFingerprint` when the run read it, by position in `samples`
    /// (0 where none was stored; empty when the run stored none): a gallery checks each file
    /// against it before drawing it. 8 bytes a sample, where an optional field of each sample
    /// and the store's dictionary took ~30 at 200,000 samples.
    public var imageFingerprints: [UInt64] = []

    /// The fingerprint stored for the sample at `position`, if any.
    public func imageFingerprint(at position: Int) -> UInt64? {
        position < imageFingerprints.count && imageFingerprints[position] != 0 ? imageFingerprints[position] : nil
    }
    /// Every stored metric (empty for runs without them).
    public var metrics: [ReportMetric] = []

    public init(experiment: String, runNumber: Int, status: String, startedAt: Date, split: String, samples: [ReportSample], slices: [ReportSlice], variants: [ReportVariant]) {
        self.experiment = experiment
        self.runNumber = runNumber
        self.status = status
        self.startedAt = startedAt
        self.split = split
        self.samples = samples
        self.slices = slices
        self.variants = variants
    }

    /// The confusion matrix of a variant on a slice (all samples when `slice` is nil), from its predictions.
    public func confusion(of variant: ReportVariant, slice: ReportSlice? = nil) -> ConfusionMatrix {
        confusions(of: variant, slices: [slice])[0]
    }

    /// The confusion matrices of a variant on each of `slices` (nil: all samples). Each
    /// sample's pair of label indices is found once, not once per slice: a report draws every
    /// slice of runs with a million samples.
    public func confusions(of variant: ReportVariant, slices: [ReportSlice?]) -> [ConfusionMatrix] {
        let index = Dictionary(uniqueKeysWithValues: variant.labels.enumerated().map { ($1, $0) })
        let k = variant.labels.count
        // (true, predicted) as one cell number t·k + p per sample position; -1 without a
        // prediction or with a label the variant does not have. Counted straight into each
        // slice's matrix: a pair and a copy of the positions per member were 12 MB at 200,000.
        let cells = samples.indices.map { position -> Int in
            guard let prediction = variant.predictions[position], let t = index[samples[position].trueLabel], let p = index[prediction.predicted] else { return -1 }
            return t * k + p
        }
        return slices.map { slice in
            var counts = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
            func add(_ position: Int) {
                let cell = cells[position]
                if cell >= 0 { counts[cell / k][cell % k] += 1 }
            }
            if let slice {
                for position in slice.positions where Int(position) < cells.count { add(Int(position)) }
            } else {
                cells.indices.forEach(add)
            }
            return ConfusionMatrix(labels: variant.labels, counts: counts)
        }
    }

    /// Positions of the samples of `slice` (every sample when nil), ascending.
    public func positions(in slice: ReportSlice?) -> [Int] {
        slice.map { $0.positions.lazy.map(Int.init).filter { $0 < samples.count } } ?? Array(samples.indices)
    }

    /// Slices worth charting: overall, single slices, and intersections with a named slice.
    public var chartedSlices: [ReportSlice] {
        slices.filter { slice in
            !slice.isIntersection || slice.parts.contains { if case .named = $0 { return true } else { return false } }
        }
    }
}
