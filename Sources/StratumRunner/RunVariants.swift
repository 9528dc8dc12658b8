import Foundation
import StratumCore
import StratumData
import StratumStore

/// One variant of a run, loaded and ready to predict (or failed before predicting).
final class RunVariant {
    let name: String
    let kind: String
    let variantID: VariantID
    /// nil once the variant has failed (or when it failed to load).
    var classifier: (any ImageClassifier)?
    var failure: String?
    /// Samples (store ids) this variant already has a stored prediction for.
    var done: SampleIDSet

    init(name: String, kind: String, variantID: VariantID, classifier: (any ImageClassifier)?, failure: String?, done: SampleIDSet) {
        self.name = name
        self.kind = kind
        self.variantID = variantID
        self.classifier = classifier
        self.failure = failure
        self.done = done
    }

    /// Records the failure, closes the model, and leaves the variant out of later chunks.
    func fail(_ message: String, store: any RunStore, events: @Sendable (RunEvent) -> Void) throws {
        failure = message
        classifier?.close()
        classifier = nil
        try store.setVariantStatus(variantID, .failed, error: message)
        events(.variantFailed(variant: name, message: message))
    }
}

/// Loads (fitting first when needed) every variant of a run. A fresh run inserts each variant;
/// a resumed run finds it by name and refuses a model file that changed since.
enum RunVariants {
    static func prepare(_ spec: ExperimentSpec, dataset: Dataset, evaluatedLabels: Set<String>, store: any RunStore, runID: RunID, resuming: Bool,
                        registry: ModelRegistry, options: RunOptions, events: @escaping @Sendable (RunEvent) -> Void) throws -> [RunVariant] {
        let stored = resuming ? Dictionary(try store.variants(runID: runID).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a }) : [:]
        var variants: [RunVariant] = []
        for variant in spec.variants {
            if let record = stored[variant.name], record.status != .running {
                // Finished (completed or failed) before the interruption: nothing left to do.
                let done = SampleIDSet(try store.predictedLabels(runID: runID, variantID: record.id).keys)
                variants.append(RunVariant(name: variant.name, kind: variant.kind, variantID: record.id, classifier: nil,
                                           failure: record.status == .failed ? (record.error ?? "failed") : nil, done: done))
                continue
            }
            let variantID = try stored[variant.name]?.id
                ?? store.insertVariant(runID: runID, name: variant.name, kind: variant.kind, path: variant.path.path, fileHash: nil, labels: [])
            let slot = RunVariant(name: variant.name, kind: variant.kind, variantID: variantID, classifier: nil, failure: nil,
                                  done: resuming ? SampleIDSet(try store.predictedLabels(runID: runID, variantID: variantID).keys) : SampleIDSet())
            do {
                let loader = try registry.loader(for: variant.kind)
                var modelSpec = ModelSpec(name: variant.name, kind: variant.kind, path: variant.path, options: variant.options)
                modelSpec.path = try ModelFitting.resolve(loader, modelSpec, dataset: dataset, labelColumn: spec.labelColumn, trainSplit: spec.trainSplit,
                                                          evaluatedSplit: spec.split, refit: options.refit && !resuming, strict: options.strict,
                                                          applyOrientation: spec.applyExifOrientation, events: events)
                let classifier = try loader.load(modelSpec)
                let descriptor = classifier.descriptor
                if let record = stored[variant.name], let recorded = record.fileHash, recorded != descriptor.contentHash {
                    classifier.close()
                    throw ResumeRefusal(what: "the model of variant '\(variant.name)' (\(modelSpec.path.path)) changed since the run started (hash \(recorded.prefix(12))… → \(descriptor.contentHash.prefix(12))…)")
                }
                let foreign = descriptor.labels.filter { !dataset.labels.contains($0) }
                guard foreign.isEmpty else {
                    classifier.close()
                    throw RunError(message: "model '\(descriptor.name)' has label(s) \(foreign.map { "'\($0)'" }.joined(separator: ", ")) that the dataset does not (dataset labels: \(dataset.labels.joined(separator: ", "))); its predictions would not be comparable")
                }
                if let unknown = evaluatedLabels.sorted().first(where: { !descriptor.labels.contains($0) }) {
                    classifier.close()
                    throw RunError(message: "the evaluated split has label '\(unknown)', which model '\(descriptor.name)' does not know (its labels: \(descriptor.labels.joined(separator: ", ")))")
                }
                if let recorded = try store.updateVariant(variantID, path: modelSpec.path.path, fileHash: descriptor.contentHash, labels: descriptor.labels) {
                    // Another process (a shard started at the same moment) recorded another model.
                    classifier.close()
                    throw ResumeRefusal(what: "the model of variant '\(variant.name)' (\(modelSpec.path.path)) differs from the one this run recorded (hash \(recorded.prefix(12))… → \(descriptor.contentHash.prefix(12))…)")
                }
                slot.classifier = classifier
            } catch let refusal as ResumeRefusal {
                variants.forEach { $0.classifier?.close() }
                throw refusal
            } catch where stored[variant.name] != nil {
                // A variant the interrupted run was running cannot be loaded now (its file moved
                // or is missing): the resume stops, so that the run can be resumed once it is
                // back; marked failed, its work for the run was lost for good.
                variants.forEach { $0.classifier?.close() }
                throw ResumeRefusal(what: "variant '\(variant.name)' cannot be loaded: \(error)")
            } catch {
                try slot.fail("\(error)", store: store, events: events)
            }
            variants.append(slot)
        }
        return variants
    }
}
