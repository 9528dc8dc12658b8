import Foundation
import StratumData

/// Loads an experiment's dataset, generating the demo data first when asked and absent.
enum DatasetPreparation {
    static func load(_ spec: ExperimentSpec, events: @escaping @Sendable (RunEvent) -> Void) throws -> Dataset {
        if let generate = spec.generate, !FileManager.default.fileExists(atPath: spec.manifest.path) {
            events(.generatingDataset(count: generate.count, directory: generate.out))
            try FaceDatasetWriter.write(count: generate.count, seed: generate.seed, size: generate.size, to: generate.out) { done in
                events(.generatedImages(done: done, total: generate.count))
            }
        }
        return try ManifestReader.read(spec.manifest, columns: ManifestColumns(label: spec.labelColumn), allowedLabels: spec.labels)
    }
}
