import Foundation
import StratumCore
import StratumMetrics

/// One evaluated sample as reports see it.
public struct ReportSample: Sendable, Equatable {
    public var key: String
    public var trueLabel: String
    public var tags: [String]
    private var location: Location

    /// An image given as a URL, or a path inside a folder every sample of the run shares (the
    /// URL then made when asked for: reports hold every sample of a run, and a URL apiece
    /// would be most of their memory).
    private enum Location: Sendable, Equatable {
        case url(URL)
        case inFolder(SampleRoot, String)
    }

    public var image: URL {
        get {
            switch location {
            case .url(let url): return url
            case .inFolder(let root, let path): return root.url.appendingPathComponent(path)
            }
        }
        set { location = .url(newValue) }
    }

    public init(key: String, image: URL, trueLabel: String, tags: [String]) {
        self.key = key
        self.location = .url(image)
        self.trueLabel = trueLabel
        self.tags = tags
    }

    /// A sample whose image is `path` inside `root`.
    public init(key: String, root: SampleRoot, path: String, trueLabel: String, tags: [String]) {
        self.key = key
        self.location = .inFolder(root, path)
        self.trueLabel = trueLabel
        self.tags = tags
    }
}

public struct ReportPrediction: Sendable, Equatable {
    public var predicted: String
    public var probabilities: [Float]
    /// The probability of the predicted label.
    public var confidence: Float { probabilities.max() ?? 0 }

    public init(predicted: String, probabilities: [Float]) {
        self.predicted = predicted
        self.probabilities = probabilities
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
    /// Predictions by sample key (a failed variant may have only some).
    public var predictions: [String: ReportPrediction]
    /// Scores in slice order (empty for a failed variant).
    public var scores: [SliceScore]

    public init(name: String, kind: String, status: String, error: String?, labels: [String], predictions: [String: ReportPrediction], scores: [SliceScore]) {
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
    public var members: Set<String>
    /// What it is made of (none for overall).
    public var parts: [SlicePart]

    public init(name: String, definition: String, members: Set<String>, parts: [SlicePart]? = nil) {
        self.name = name
        self.definition = definition
        self.members = members
        self.parts = parts ?? (name == "overall" ? [] : [.named(name)])
    }

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
        // (true, predicted) label indices per sample; nil without a prediction or with a label
        // the variant does not have.
        let pairs = samples.map { sample -> (Int, Int)? in
            guard let prediction = variant.predictions[sample.key], let t = index[sample.trueLabel], let p = index[prediction.predicted] else { return nil }
            return (t, p)
        }
        return slices.map { slice in
            var truth: [Int] = [], predicted: [Int] = []
            for (position, pair) in pairs.enumerated() {
                guard let (t, p) = pair, slice?.members.contains(samples[position].key) ?? true else { continue }
                truth.append(t)
                predicted.append(p)
            }
            return ConfusionMatrix(labels: variant.labels, trueIndices: truth, predictedIndices: predicted)
        }
    }

    /// Slices worth charting: overall, single slices, and intersections with a named slice.
    public var chartedSlices: [ReportSlice] {
        slices.filter { slice in
            !slice.isIntersection || slice.parts.contains { if case .named = $0 { return true } else { return false } }
        }
    }
}
