import Foundation
import StratumCore
import StratumData
import StratumImaging

/// Fits variants whose kind Stratum trains itself, when their model file is missing.
enum ModelFitting {
    static func fitIfNeeded(_ loader: any ModelLoader, _ spec: ModelSpec, dataset: Dataset, trainSplit: String, refit: Bool,
                             strict: Bool, applyOrientation: Bool, events: @escaping @Sendable (RunEvent) -> Void) throws {
        guard let trainable = loader as? any TrainableModelLoader else { return }
        let exists = FileManager.default.fileExists(atPath: spec.path.path)
        guard refit || !exists else { return }
        let training = dataset.samples(inSplit: trainSplit)
        guard !training.isEmpty else {
            throw RunError(message: "variant '\(spec.name)': model file \(spec.path.path) is missing and split '\(trainSplit)' has no samples to fit it on")
        }
        events(.fitting(variant: spec.name, examples: training.count))
        let input = try trainable.trainingInput(for: spec)
        let loaded = ImageLoading.load(training, applyOrientation: applyOrientation) { _ in }
        if !loaded.unreadable.isEmpty {
            if strict || loaded.readable.isEmpty {
                throw UnreadableImagesError(manifest: dataset.manifest.path, samples: loaded.unreadable, noneReadable: loaded.readable.isEmpty)
            }
            events(.unreadableImages(loaded.unreadable))
        }
        let examples = loaded.readable.map { sample, image in
            TrainingExample(values: Preprocessor.prepare(image, for: input), label: sample.label)
        }
        let summary = try trainable.fit(spec, labels: dataset.labels, examples: examples)
        events(.fitted(variant: spec.name, summary: summary, path: spec.path))
    }
}
