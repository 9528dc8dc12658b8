import Foundation
import StratumCore
import StratumData
import StratumImaging

/// Fits variants whose kind Stratum trains itself, when no model fitted with the variant's
/// options on this data exists.
///
/// The file at the variant's `path` is used when it records the same provenance (options,
/// data) or records none (a model made elsewhere). Otherwise — options or data changed, or
/// `--refit` — the model is fitted into a new file beside it, `<name>.<key>.json` (key: the
/// first 12 hex digits of the provenance key; `-2`, `-3`, … on `--refit` when it exists), so a
/// file an earlier run used is never overwritten and a run's stored model hash always names
/// the file that made its predictions.
enum ModelFitting {
    /// The model file the variant runs: `spec.path` or a sibling fitted now. When that model
    /// was fitted by Stratum on samples the run evaluates (`evaluatedSplit` is the training
    /// split, or all), says so: its scores are on its own training data.
    static func resolve(_ loader: any ModelLoader, _ spec: ModelSpec, dataset: Dataset, labelColumn: String, trainSplit: String, evaluatedSplit: String,
                        refit: Bool, strict: Bool, applyOrientation: Bool, events: @escaping @Sendable (RunEvent) -> Void) throws -> URL {
        guard let trainable = loader as? any TrainableModelLoader else { return spec.path }
        let (path, fittedHere) = try resolve(trainable, spec, dataset: dataset, labelColumn: labelColumn, trainSplit: trainSplit, refit: refit,
                                             strict: strict, applyOrientation: applyOrientation, events: events)
        if fittedHere {
            let training = dataset.samples(inSplit: trainSplit).count
            let evaluatesAll = evaluatedSplit == Dataset.allSplits && !dataset.samples.contains { $0.split == evaluatedSplit }
            if training > 0 && (evaluatedSplit == trainSplit || evaluatesAll) {
                events(.evaluatedOnTrainingData(variant: spec.name, samples: training, trainSplit: trainSplit))
            }
        }
        return path
    }

    /// The model file, and whether Stratum fitted it on this dataset's training split.
    private static func resolve(_ trainable: any TrainableModelLoader, _ spec: ModelSpec, dataset: Dataset, labelColumn: String, trainSplit: String,
                                refit: Bool, strict: Bool, applyOrientation: Bool,
                                events: @escaping @Sendable (RunEvent) -> Void) throws -> (URL, fittedHere: Bool) {
        let wanted = FitProvenance(kind: spec.kind, options: spec.options, manifestHash: dataset.manifestHash,
                                   labelColumn: labelColumn, trainSplit: trainSplit, labels: dataset.labels)
        let fileManager = FileManager.default
        var target = spec.path
        if fileManager.fileExists(atPath: spec.path.path) {
            let recorded = trainable.provenance(of: spec.path)
            if !refit && (recorded == nil || recorded?.key == wanted.key) { return (spec.path, recorded != nil) }
            let stem = spec.path.deletingPathExtension().lastPathComponent
            let ext = spec.path.pathExtension.isEmpty ? "json" : spec.path.pathExtension
            let folder = spec.path.deletingLastPathComponent()
            let base = "\(stem).\(wanted.key.prefix(12))"
            target = folder.appendingPathComponent("\(base).\(ext)")
            if !refit, fileManager.fileExists(atPath: target.path), trainable.provenance(of: target)?.key == wanted.key { return (target, true) }
            var counter = 2
            while refit && fileManager.fileExists(atPath: target.path) {
                target = folder.appendingPathComponent("\(base)-\(counter).\(ext)")
                counter += 1
            }
            events(.refitting(variant: spec.name, existing: spec.path, reason: refit ? "--refit" : (recorded.map { Self.difference($0, wanted) } ?? "")))
        }
        try fit(trainable, ModelSpec(name: spec.name, kind: spec.kind, path: target, options: spec.options), provenance: wanted,
                dataset: dataset, trainSplit: trainSplit, strict: strict, applyOrientation: applyOrientation, events: events)
        return (target, true)
    }

    /// What differs between the recorded and the wanted fit, for the user.
    static func difference(_ recorded: FitProvenance, _ wanted: FitProvenance) -> String {
        var parts: [String] = []
        for key in Set(recorded.options.keys).union(wanted.options.keys).sorted() where recorded.options[key] != wanted.options[key] {
            parts.append("\(key) \(recorded.options[key] ?? "(default)") → \(wanted.options[key] ?? "(default)")")
        }
        if recorded.trainingData != wanted.trainingData { parts.append("training data changed") }
        return parts.isEmpty ? "fitted differently" : parts.joined(separator: ", ")
    }

    private static func fit(_ trainable: any TrainableModelLoader, _ spec: ModelSpec, provenance: FitProvenance, dataset: Dataset, trainSplit: String,
                            strict: Bool, applyOrientation: Bool, events: @escaping @Sendable (RunEvent) -> Void) throws {
        let training = dataset.samples(inSplit: trainSplit)
        guard !training.isEmpty else {
            throw RunError(message: "variant '\(spec.name)': model file \(spec.path.path) is missing and split '\(trainSplit)' has no samples to fit it on")
        }
        events(.fitting(variant: spec.name, examples: training.count))
        let input = try trainable.trainingInput(for: spec)
        // Each training image is reduced to the model's input as soon as it is decoded.
        let loaded = ImageLoading.prepare(training, for: [input], applyOrientation: applyOrientation)
        if !loaded.unreadable.isEmpty {
            if strict || loaded.readable.isEmpty {
                throw UnreadableImagesError(manifest: dataset.manifest.path, samples: loaded.unreadable, noneReadable: loaded.readable.isEmpty)
            }
            events(.unreadableImages(loaded.unreadable))
        }
        let examples = loaded.readable.map { prepared in
            TrainingExample(values: prepared.inputs[input] ?? [], label: prepared.sample.label)
        }
        let summary = try trainable.fit(spec, labels: dataset.labels, examples: examples, provenance: provenance)
        events(.fitted(variant: spec.name, summary: summary, path: spec.path))
    }
}
