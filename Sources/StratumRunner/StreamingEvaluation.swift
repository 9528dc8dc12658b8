import Foundation
import StratumCore
import StratumImaging
import StratumStore

/// Runs every live variant over the evaluated samples chunk by chunk: decode a chunk in
/// parallel, then each variant predicts it in batches, each batch stored in one transaction;
/// the chunk's images are dropped before the next is decoded. Peak memory is one chunk of
/// decoded images plus the models, whatever the dataset's size. Samples a variant already
/// has a stored prediction for (a resumed run) are not predicted again.
struct StreamingEvaluation {
    /// Decoded images held at once (default).
    static let defaultChunkSize = 256

    let store: any RunStore
    let runID: Int64
    let samples: [Sample]
    /// Store ids of `samples`, same order.
    let sampleIDs: [Int64]
    /// Samples recorded unreadable earlier in this run (resumed): not decoded again.
    let knownUnreadable: Set<Int64>
    let batchSize: Int
    let chunkSize: Int
    let strict: Bool
    let applyOrientation: Bool
    let manifest: String
    let events: @Sendable (RunEvent) -> Void

    /// Evaluates; returns the samples found unreadable now (already recorded in the store).
    func run(_ variants: [RunVariant]) throws -> [UnreadableSample] {
        var unreadable: [UnreadableSample] = []
        var start = 0
        while start < samples.count {
            let end = min(samples.count, start + chunkSize)
            defer { start = end }
            let live = variants.filter { $0.classifier != nil }
            if live.isEmpty { break }
            let pending = (start..<end).filter { index in
                !knownUnreadable.contains(sampleIDs[index]) && live.contains { !$0.done.contains(sampleIDs[index]) }
            }
            if pending.isEmpty {
                events(.decodedImages(done: end, total: samples.count))
                continue
            }
            let specs = Array(Set(live.compactMap { $0.classifier?.descriptor.input }))
            let loaded = ImageLoading.prepare(pending.map { samples[$0] }, for: specs, applyOrientation: applyOrientation)
            events(.decodedImages(done: end, total: samples.count))
            if !loaded.unreadable.isEmpty {
                let ids = Dictionary(uniqueKeysWithValues: pending.map { (samples[$0].id, sampleIDs[$0]) })
                try store.insertUnreadableSamples(runID: runID, loaded.unreadable.compactMap { sample in ids[sample.id].map { ($0, sample.reason) } })
                unreadable += loaded.unreadable
                if strict { throw UnreadableImagesError(manifest: manifest, samples: loaded.unreadable, noneReadable: false) }
                events(.unreadableImages(loaded.unreadable))
            }
            let readableIDs = Dictionary(uniqueKeysWithValues: pending.map { (samples[$0].id, sampleIDs[$0]) })
            let chunk = loaded.readable.compactMap { sample, inputs in readableIDs[sample.id].map { (sample: sample, id: $0, inputs: inputs) } }
            for variant in live {
                let todo = chunk.filter { !variant.done.contains($0.id) }
                do {
                    try predict(variant, todo)
                } catch {
                    try variant.fail("\(error)", store: store, events: events)
                }
                events(.predicting(variant: variant.name, done: min(samples.count, variant.done.count), total: samples.count))
            }
        }
        return unreadable
    }

    private func predict(_ variant: RunVariant, _ items: [(sample: Sample, id: Int64, inputs: [InputSpec: [Float]])]) throws {
        guard let classifier = variant.classifier else { return }
        let descriptor = classifier.descriptor
        var start = 0
        while start < items.count {
            let end = min(items.count, start + batchSize)
            let batch = Array(items[start..<end])
            let spec = descriptor.input
            var values: [Float] = []
            values.reserveCapacity(batch.count * spec.width * spec.height * spec.channels)
            for item in batch {
                guard let prepared = item.inputs[spec] else { throw RunError(message: "no prepared input for '\(item.sample.id)' (\(spec))") }
                values += prepared
            }
            let rows = try classifier.predict(ImageBatch(count: batch.count, height: spec.height, width: spec.width, channels: spec.channels, values: values))
            try Self.check(rows, count: batch.count, labels: descriptor.labels.count, model: descriptor.name, firstSample: batch[0].sample.id)
            let records = zip(batch, rows).map { item, row in
                PredictionRecord(runId: runID, modelVariantId: variant.variantID, sampleId: item.id, predicted: descriptor.labels[row.argmax], probabilities: row)
            }
            try store.insertPredictions(records)
            variant.done.formUnion(batch.map(\.id))
            start = end
        }
    }

    static func check(_ rows: [[Float]], count: Int, labels: Int, model: String, firstSample: String) throws {
        guard rows.count == count else {
            throw RunError(message: "model '\(model)' returned \(rows.count) rows for a batch of \(count) (batch starting at sample '\(firstSample)')")
        }
        for (index, row) in rows.enumerated() {
            guard row.count == labels else {
                throw RunError(message: "model '\(model)' returned \(row.count) probabilities for \(labels) labels (row \(index) of the batch starting at '\(firstSample)')")
            }
            guard row.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
                throw RunError(message: "model '\(model)' returned a non-finite or negative probability (row \(index) of the batch starting at '\(firstSample)')")
            }
            let sum = row.reduce(0, +)
            guard abs(sum - 1) <= 1e-3 else {
                throw RunError(message: "model '\(model)' returned probabilities summing to \(sum), not 1 (row \(index) of the batch starting at '\(firstSample)')")
            }
        }
    }
}

/// A run cannot be resumed as asked: says what differs.
public struct ResumeRefusal: Error, CustomStringConvertible, Equatable {
    public var what: String
    public var description: String { "cannot resume: \(what); start a new run instead (without --resume)" }
}
