import Foundation
import StratumMetrics
import StratumStatistics
import StratumStore

/// Two variants on the same samples, ready for `PairedComparison`: two variants of one run, or
/// a variant in two runs of the same dataset matched by sample id.
public struct ComparedPair: Sendable {
    public var baseline: RunOutcomes
    public var baselineVariant: String
    public var candidate: RunOutcomes
    public var candidateVariant: String
    /// The samples both evaluated (same id, same label), in the candidate run's order.
    public var samples: [StoredSample]
    public var baselineOutcomes: VariantOutcomes
    public var candidateOutcomes: VariantOutcomes
    /// The candidate run's slices, restricted to `samples`.
    public var slices: [(name: String, slice: EvaluationSlice)]
    /// Things a reader must know (different dataset, samples only one run evaluated…).
    public var notes: [String]
    /// The candidate run's image fingerprint of each of `samples` (nil where none was stored),
    /// for the flip gallery to check the files against.
    public var imageFingerprints: [UInt64?] = []

    /// Samples the baseline got right and the candidate wrong, and the reverse.
    public var flips: (rightToWrong: [Int], wrongToRight: [Int]) {
        var lost: [Int] = [], gained: [Int] = []
        for i in 0..<samples.count {
            let before = baselineOutcomes.truth[i] == baselineOutcomes.predicted[i]
            let after = candidateOutcomes.truth[i] == candidateOutcomes.predicted[i]
            if before && !after { lost.append(i) } else if after && !before { gained.append(i) }
        }
        return (lost, gained)
    }
}

/// A run and, optionally, one of its variants: `RUN[:VARIANT]`, RUN as `StoredRunReports.parseSelector` reads it.
public struct VariantReference: Sendable, Equatable, CustomStringConvertible {
    public var experiment: String?
    public var number: Int?
    public var variant: String?
    public var text: String

    public init(_ text: String) {
        self.text = text
        var run = text
        if let colon = text.firstIndex(of: ":") {
            run = String(text[..<colon])
            let name = String(text[text.index(after: colon)...])
            variant = name.isEmpty ? nil : name
        }
        (experiment, number) = StoredRunReports.parseSelector(run.isEmpty ? "latest" : run)
    }

    public var description: String { text }
}

public struct ComparisonError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

public enum RunComparison {
    /// The pairs `compare A B` means: with variants on both sides, that pair; with one, the same
    /// name on the other side; with none, every variant name both runs completed (or `only`).
    public static func pairs(store: any RunStore, baseline a: VariantReference, candidate b: VariantReference, only: [String] = []) throws -> [ComparedPair] {
        let left = try RunOutcomes.load(store: store, experiment: a.experiment, number: a.number)
        let sameRun = a.experiment == b.experiment && a.number == b.number
        let right = sameRun ? left : try RunOutcomes.load(store: store, experiment: b.experiment, number: b.number)
        // A run that did not finish may hold metrics and slices of some variants only (killed
        // while they were written): compared as it is, a gate checked what happened to be there.
        for side in [left, right] where ![.completed, .completedWithErrors].contains(side.run.status) {
            throw ComparisonError(message: "\(side.experiment)/\(side.run.number) is \(side.run.status.rawValue), not finished: its results may be partial (resume it with `stratum run EXPERIMENT --resume \(side.run.number)`, then compare)")
        }
        var names: [(String, String)]
        switch (a.variant, b.variant) {
        case let (x?, y?): names = [(x, y)]
        case let (x?, nil): names = [(x, x)]
        case let (nil, y?): names = [(y, y)]
        case (nil, nil):
            let common = left.variants.map(\.name).filter { right.variant(named: $0) != nil }
            names = common.filter { only.isEmpty || only.contains($0) }.map { ($0, $0) }
            guard !names.isEmpty else {
                throw ComparisonError(message: "the two runs have no completed variant in common\(only.isEmpty ? "" : " among \(only.joined(separator: ", "))") (baseline: \(left.variants.map(\.name).joined(separator: ", ")); candidate: \(right.variants.map(\.name).joined(separator: ", ")))")
            }
        }
        // Each run's image fingerprints (stored as it read the files), to find samples whose
        // image was other bytes in one run than in the other: same id, same manifest even.
        let candidateFingerprints = try store.imageFingerprints(runID: right.run.id)
        let fingerprints = (left: sameRun ? candidateFingerprints : try store.imageFingerprints(runID: left.run.id), right: candidateFingerprints)
        let datasetsDiffer = try store.datasetHash(runID: left.run.id) != store.datasetHash(runID: right.run.id)
        return try names.map { try pair(left, $0.0, right, $0.1, datasetsDiffer: datasetsDiffer, fingerprints: fingerprints, sameRun: sameRun) }
    }

    static func pair(_ left: RunOutcomes, _ baselineName: String, _ right: RunOutcomes, _ candidateName: String, datasetsDiffer: Bool,
                     fingerprints: (left: [SampleID: UInt64], right: [SampleID: UInt64])? = nil, sameRun: Bool = false) throws -> ComparedPair {
        guard let base = left.variant(named: baselineName) else {
            throw ComparisonError(message: "\(left.experiment)/\(left.run.number) has no completed variant '\(baselineName)' (completed: \(left.variants.map(\.name).joined(separator: ", ")))")
        }
        guard let cand = right.variant(named: candidateName) else {
            throw ComparisonError(message: "\(right.experiment)/\(right.run.number) has no completed variant '\(candidateName)' (completed: \(right.variants.map(\.name).joined(separator: ", ")))")
        }
        guard left.labels == right.labels else {
            throw ComparisonError(message: "the runs' labels differ (\(left.labels.joined(separator: ", ")) against \(right.labels.joined(separator: ", ")))")
        }
        var notes: [String] = []
        if datasetsDiffer { notes.append("the two runs evaluated different dataset files (manifest hashes differ): samples are matched by id and label") }
        let leftIndex = Dictionary(uniqueKeysWithValues: left.samples.enumerated().map { ($1.key, $0) })
        var leftPositions: [Int] = [], rightPositions: [Int] = []
        var relabelled = 0
        for (j, sample) in right.samples.enumerated() {
            guard let i = leftIndex[sample.key] else { continue }
            if left.samples[i].label != sample.label { relabelled += 1; continue }
            leftPositions.append(i)
            rightPositions.append(j)
        }
        guard !leftPositions.isEmpty else { throw ComparisonError(message: "the two runs share no evaluated sample id") }
        let onlyLeft = left.samples.count - leftPositions.count - relabelled, onlyRight = right.samples.count - rightPositions.count - relabelled
        if onlyLeft > 0 || onlyRight > 0 { notes.append("\(onlyLeft) samples only the baseline evaluated and \(onlyRight) only the candidate did are left out") }
        if relabelled > 0 { notes.append("\(relabelled) samples whose label changed between the runs are left out") }
        if let fingerprints, !sameRun {
            let changed = zip(leftPositions, rightPositions).filter { i, j in
                guard let old = fingerprints.left[left.samples[i].id], let new = fingerprints.right[right.samples[j].id] else { return false }
                return old != new
            }.count
            if changed > 0 {
                notes.append("\(changed) of the \(leftPositions.count) compared samples had other image bytes in the candidate run than in the baseline (same id): a change on those may come from the image, not the model")
            }
        }
        let baselineOutcomes = base.outcomes.subset(leftPositions)
        let candidateOutcomes = cand.outcomes.subset(rightPositions)
        // Candidate-run slices restricted to the common samples, re-indexed.
        var position = [Int32](repeating: -1, count: right.samples.count)
        for (k, j) in rightPositions.enumerated() { position[j] = Int32(k) }
        let slices = right.slices.map { s in
            (s.name, EvaluationSlice(members: s.slice.members.map { position[Int($0)] }.filter { $0 >= 0 }, truth: candidateOutcomes.truth,
                                     classCount: right.labels.count))
        }
        return ComparedPair(baseline: left, baselineVariant: baselineName, candidate: right, candidateVariant: candidateName,
                            samples: rightPositions.map { right.samples[$0] }, baselineOutcomes: baselineOutcomes,
                            candidateOutcomes: candidateOutcomes, slices: slices, notes: notes,
                            imageFingerprints: rightPositions.map { fingerprints?.right[right.samples[$0].id] })
    }

    /// `old` → `new` as diff lines ("  - " removed, "  + " added) in file order: each removed line
    /// where it stood, before the lines added in its place. (Swift's `CollectionDifference`
    /// lists removals last line first.)
    static func lineDiff(from old: [String], to new: [String]) -> [String] {
        var removed = Set<Int>(), inserted = Set<Int>()
        for change in new.difference(from: old) {
            switch change {
            case .remove(let offset, _, _): removed.insert(offset)
            case .insert(let offset, _, _): inserted.insert(offset)
            }
        }
        var lines: [String] = [], i = 0, j = 0
        while i < old.count || j < new.count {
            if i < old.count && removed.contains(i) {
                lines.append("  - \(old[i])"); i += 1
            } else if j < new.count && inserted.contains(j) {
                lines.append("  + \(new[j])"); j += 1
            } else {
                i += 1; j += 1  // a line both have
            }
        }
        return lines
    }

    /// What differs between two runs: the experiment file (a line diff), model files, dataset, commit.
    public static func changes(store: any RunStore, baseline: RunOutcomes, candidate: RunOutcomes) throws -> [String] {
        guard baseline.run.id != candidate.run.id else { return [] }
        var lines: [String] = []
        if baseline.run.specHash != candidate.run.specHash {
            let old = baseline.run.spec.components(separatedBy: "\n"), new = candidate.run.spec.components(separatedBy: "\n")
            lines.append("experiment file changed:")
            lines += lineDiff(from: old, to: new)
        }
        var before = Dictionary(try store.variants(runID: baseline.run.id).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for variant in try store.variants(runID: candidate.run.id) {
            guard let old = before[variant.name] else { lines.append("variant \(variant.name): new in the candidate run"); continue }
            before[variant.name] = nil
            if old.fileHash != variant.fileHash {
                lines.append("variant \(variant.name): model file changed (\(old.fileHash.map { String($0.prefix(12)) } ?? "—") → \(variant.fileHash.map { String($0.prefix(12)) } ?? "—"))")
            }
        }
        for name in before.keys.sorted() { lines.append("variant \(name): not in the candidate run") }
        let oldHash = try store.datasetHash(runID: baseline.run.id), newHash = try store.datasetHash(runID: candidate.run.id)
        if oldHash != newHash { lines.append("dataset changed (\(oldHash.map { String($0.prefix(12)) } ?? "—") → \(newHash.map { String($0.prefix(12)) } ?? "—"))") }
        if baseline.run.gitCommit != candidate.run.gitCommit {
            lines.append("git commit: \(baseline.run.gitCommit ?? "—") → \(candidate.run.gitCommit ?? "—")")
        }
        return lines
    }
}
