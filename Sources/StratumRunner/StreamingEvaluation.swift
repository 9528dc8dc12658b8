import Foundation
import StratumCore
import StratumImaging
import StratumStore

/// Runs every live variant over the evaluated samples chunk by chunk, the three stages
/// overlapping: while the variants predict chunk N, chunk N + 1 is decoded (in parallel) on
/// other threads, and each finished batch of predictions is handed to a writer that stores it
/// in one transaction while inference goes on. Peak memory is two chunks of decoded images, a
/// few batches waiting to be written, and the models — whatever the dataset's size. Samples a
/// variant already has a stored prediction for (a resumed run) are not predicted again.
struct StreamingEvaluation {
    /// Decoded images per chunk (default): two batches of 32. Measured at 20,000 images (the
    /// demo's three variants, 2-core AMD EPYC): peak RSS 108, 121, 142 and 231 MB with chunks
    /// of 32, 64, 128 and 256 images, and the prediction stage no slower within the noise
    /// (±20% run to run) — decoding one chunk ahead keeps both cores busy already.
    public static let defaultChunkSize = 64
    /// Batches of predictions that may wait for the writer before inference waits for it.
    static let writeQueueDepth = 8

    let store: any RunStore
    /// The store as messages name it (a URL without its password).
    let database: String
    let runID: RunID
    let samples: [Sample]
    /// Store ids of `samples`, same order.
    let sampleIDs: [SampleID]
    let batchSize: Int
    let chunkSize: Int
    let strict: Bool
    let applyOrientation: Bool
    let manifest: String
    let events: @Sendable (RunEvent) -> Void

    typealias Decoded = (readable: [PreparedSample], unreadable: [UnreadableSample])

    /// Where the prediction stage's time went, filled in by `run`.
    let times = PipelineClock()

    /// Evaluates; returns the samples found unreadable now (already recorded in the store).
    func run(_ variants: [RunVariant]) throws -> [UnreadableSample] {
        let writer = StoreWriter(depth: Self.writeQueueDepth, clock: times)
        defer { writer.finish() }
        do {
            return try stream(variants, writer: writer)
        } catch let failure as StoreWriter.Failure {
            // Named: SQLite's "error 13 … COMMIT TRANSACTION" on a full disk said nothing of which
            // database (the batches committed before it are kept).
            throw RunError(message: "cannot store predictions in \(database): \(failure.underlying)")
        }
    }

    /// Bytes of prepared input one chunk may hold (two are held: one predicted, one decoded).
    static let chunkInputBudget = 512 << 20

    /// Samples per chunk: `chunkSize`, fewer when the variants' inputs are large. Inputs are set
    /// by the models (a plugin's hello asked for 4096 × 4096 × 3: 201 MB a sample, 13 GB a
    /// chunk of 64), so the chunk is cut to keep its prepared floats within the budget.
    static func samplesPerChunk(_ chunkSize: Int, inputs: [InputSpec]) -> Int {
        let bytesPerSample = Set(inputs).reduce(0) { $0 + $1.width * $1.height * $1.channels * 4 }
        guard bytesPerSample > 0 else { return chunkSize }
        return max(1, min(chunkSize, chunkInputBudget / bytesPerSample))
    }

    private func stream(_ variants: [RunVariant], writer: StoreWriter) throws -> [UnreadableSample] {
        var unreadable: [UnreadableSample] = []
        let chunkSize = Self.samplesPerChunk(chunkSize, inputs: variants.compactMap { $0.classifier?.descriptor.input })
        let chunks = stride(from: 0, to: samples.count, by: chunkSize).map { $0..<min(samples.count, $0 + chunkSize) }
        // Progress counts this run's samples only. What a resumed run (or another shard) stored
        // already is reported once, first, so that rates count the work done now: reported
        // chunk by chunk, stored chunks' counts came microseconds apart and read as thousands
        // of images a second. Images that cannot be decoded count as done for every variant.
        let liveAtStart = variants.filter { $0.classifier != nil }
        let resuming = liveAtStart.contains { $0.done.count > 0 }
        let stored = resuming ? samples.indices.count { !isPending($0, liveAtStart) } : 0
        var doneHere = Dictionary(liveAtStart.map { variant in
            (variant.name, resuming ? sampleIDs.count { variant.done.contains($0) } : 0)
        }, uniquingKeysWith: { first, _ in first })
        var decodedHere = 0
        if stored > 0 { events(.decodedImages(done: stored, total: samples.count)) }
        /// Chunk `index` decoding, the one after it read ahead; nil past the last.
        func decodeChunk(_ index: Int) -> Pending<([Int], Decoded?)>? {
            index < chunks.count ? decode(chunks[index], variants, readingAhead: index + 1 < chunks.count ? chunks[index + 1] : nil) : nil
        }
        var ahead = decodeChunk(0)
        for number in chunks.indices {
            guard let (pending, decodedChunk) = times.timing(\.waitingForDecode, { ahead?.wait() }) else { break }
            // The next chunk decodes while this one is predicted.
            ahead = decodeChunk(number + 1)
            let live = variants.filter { $0.classifier != nil }
            if live.isEmpty { break }
            decodedHere += pending.count
            if !pending.isEmpty || number == chunks.count - 1 {
                events(.decodedImages(done: number == chunks.count - 1 ? samples.count : min(samples.count, stored + decodedHere), total: samples.count))
            }
            if number % 32 == 31 { FreedMemory.release() }
            guard let loaded = decodedChunk else { continue }
            let idOfKey = Dictionary(uniqueKeysWithValues: pending.map { (samples[$0].id, sampleIDs[$0]) })
            if !loaded.unreadable.isEmpty {
                let rows = loaded.unreadable.compactMap { sample in idOfKey[sample.id].map { ($0, sample.reason) } }
                try writer.submit { [store, runID] in try store.insertUnreadableSamples(runID: runID, rows) }
                unreadable += loaded.unreadable
                if strict {
                    try writer.drain()
                    throw UnreadableImagesError(manifest: manifest, samples: loaded.unreadable, noneReadable: false)
                }
                events(.unreadableImages(loaded.unreadable))
            }
            let chunk = loaded.readable.compactMap { prepared in idOfKey[prepared.sample.id].map { (sample: prepared.sample, id: $0, inputs: prepared.inputs) } }
            // What each file was when predicted, stored before its predictions (the writer keeps
            // order): a resume checks the files of the samples it does not predict again.
            let fingerprints = loaded.readable.compactMap { prepared in idOfKey[prepared.sample.id].map { (sampleID: $0, fingerprint: prepared.fingerprint) } }
            try writer.submit { [store, runID] in try store.insertImageFingerprints(runID: runID, fingerprints) }
            for variant in live {
                let todo = chunk.filter { !variant.done.contains($0.id) }
                let before = variant.done.count
                do {
                    let started = PipelineClock.now()
                    try predict(variant, todo, writer: writer)
                    times.addVariant(variant.name, PipelineClock.now() - started)
                } catch let failure as StoreWriter.Failure {
                    throw failure
                } catch {
                    // Its batches already handed over are stored before the failure is recorded.
                    try writer.drain()
                    try variant.fail("\(error)", store: store, events: events)
                }
                doneHere[variant.name, default: 0] += variant.done.count - before
                events(.predicting(variant: variant.name, done: min(samples.count, doneHere[variant.name, default: 0] + unreadable.count), total: samples.count))
            }
        }
        _ = ahead?.wait()
        try times.timing(\.waitingForStore) { try writer.drain() }
        return unreadable
    }

    /// Whether a variant of `live` still has to predict sample `index`.
    private func isPending(_ index: Int, _ live: [RunVariant]) -> Bool {
        live.contains { !$0.done.contains(sampleIDs[index]) }
    }

    /// Starts decoding the samples of `range` some live variant still needs; nil inside when none does.
    /// The files of `readingAhead`'s samples still needed are hinted to the system first
    /// (`ImageFile.readAhead`), to be read while this chunk decodes and the one before is predicted.
    private func decode(_ range: Range<Int>, _ variants: [RunVariant], readingAhead next: Range<Int>?) -> Pending<([Int], Decoded?)> {
        let live = variants.filter { $0.classifier != nil }
        let pending = range.filter { isPending($0, live) }
        let specs = Array(Set(live.compactMap { $0.classifier?.descriptor.input }))
        let chosen = pending.map { samples[$0] }
        let upcoming = next.map { $0.filter { isPending($0, live) }.map { samples[$0].filePath } } ?? []
        let orientation = applyOrientation
        let times = self.times
        return Pending {
            ImageFile.readAhead(upcoming)
            // Beside the variants' inference: its spinning threads yield to this.
            return SharedCores.sharing {
                times.timing(\.decode) {
                    (pending, pending.isEmpty ? nil : ImageLoading.prepare(chosen, for: specs, applyOrientation: orientation))
                }
            }
        }
    }

    private func predict(_ variant: RunVariant, _ items: [(sample: Sample, id: SampleID, inputs: [InputSpec: [Float]])], writer: StoreWriter) throws {
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
                StoredPrediction(runID: runID, variantID: variant.variantID, sampleID: item.id, predicted: descriptor.labels[row.argmax], probabilities: row)
            }
            try writer.submit { [store] in try store.insertPredictions(records) }
            variant.done.formUnion(batch.map(\.id))
            start = end
        }
    }

    /// Every row a probability vector over the labels: finite, in [0, 1], summing to 1 within
    /// 1e-3. What a model returns is checked before it is stored (`run`) or shown (`predict`);
    /// a model that returns anything else is a bad model file.
    static func check(_ rows: [[Float]], count: Int, labels: Int, model: String, firstSample: String) throws {
        func fail(_ message: String) -> RunError { RunError(message: message, isBadInput: true) }
        guard rows.count == count else {
            throw fail("model '\(model)' returned \(rows.count) rows for a batch of \(count) (batch starting at sample '\(firstSample)')")
        }
        for (index, row) in rows.enumerated() {
            guard row.count == labels else {
                throw fail("model '\(model)' returned \(row.count) probabilities for \(labels) labels (row \(index) of the batch starting at '\(firstSample)')")
            }
            guard row.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 1 + 1e-6 }) else {
                throw fail("model '\(model)' returned a value that is not a probability (non-finite, negative or over 1: \(row.prefix(8))) (row \(index) of the batch starting at '\(firstSample)')")
            }
            let sum = row.reduce(0, +)
            guard abs(sum - 1) <= 1e-3 else {
                throw fail("model '\(model)' returned probabilities summing to \(sum), not 1 (row \(index) of the batch starting at '\(firstSample)')")
            }
        }
    }
}

/// A value computed on another thread, waited for once.
final class Pending<Value>: @unchecked Sendable {
    // Invariant: `value` is written once by the worker before `done` is signalled, and read
    // only after waiting on `done`.
    private var value: Value?
    private let done = DispatchSemaphore(value: 0)

    init(_ work: @escaping @Sendable () -> Value) {
        DispatchQueue.global().async { [self] in
            value = work()
            done.signal()
        }
    }

    func wait() -> Value {
        done.wait()
        done.signal()
        return value!
    }
}

/// Store writes on one serial background queue, at most `depth` waiting: inference hands a
/// batch over and goes on. The first failed write is reported by the next `submit` or `drain`
/// (as `Failure`), and nothing after it is written, so the store holds a prefix of the batches.
final class StoreWriter: @unchecked Sendable {
    struct Failure: Error { var underlying: Error }

    private let queue = DispatchQueue(label: "stratum.store-writer")
    private let slots: DispatchSemaphore
    private let clock: PipelineClock
    // Invariant: `failure` is only touched under `lock`.
    private let lock = NSLock()
    private var failure: Error?

    init(depth: Int, clock: PipelineClock = PipelineClock()) {
        slots = DispatchSemaphore(value: depth)
        self.clock = clock
    }

    private func failed() -> Error? { lock.lock(); defer { lock.unlock() }; return failure }

    func submit(_ write: @escaping @Sendable () throws -> Void) throws {
        if let failure = failed() { throw Failure(underlying: failure) }
        clock.timing(\.waitingForStore) { slots.wait() }
        queue.async { [self] in
            defer { slots.signal() }
            guard failed() == nil else { return }
            do { try SharedCores.sharing { try clock.timing(\.store) { try write() } } } catch { lock.lock(); failure = error; lock.unlock() }
        }
    }

    /// Waits until every submitted write is done; throws the first failure.
    func drain() throws {
        queue.sync {}
        if let failure = failed() { throw Failure(underlying: failure) }
    }

    /// Waits for the queue (on every exit path, so nothing writes after the run returns).
    func finish() { queue.sync {} }
}

/// Seconds spent in each part of the prediction stage, from whichever thread does it: decoding
/// and store writes run beside inference, so the parts add up to more than the stage's wall time.
final class PipelineClock: @unchecked Sendable {
    // Invariant: `times` is only touched under `lock`.
    private let lock = NSLock()
    private var times = PredictionTimes()

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// Runs `body`, adding its duration to `part`.
    func timing<T>(_ part: WritableKeyPath<PredictionTimes, Double>, _ body: () throws -> T) rethrows -> T {
        let started = Self.now()
        defer {
            let seconds = Self.now() - started
            lock.lock()
            times[keyPath: part] += seconds
            lock.unlock()
        }
        return try body()
    }

    func addVariant(_ name: String, _ seconds: Double) {
        lock.lock()
        defer { lock.unlock() }
        if let index = times.variants.firstIndex(where: { $0.name == name }) {
            times.variants[index].seconds += seconds
        } else {
            times.variants.append((name, seconds))
        }
    }

    var snapshot: PredictionTimes {
        lock.lock()
        defer { lock.unlock() }
        return times
    }
}

/// A run cannot be resumed as asked: says what differs.
public struct ResumeRefusal: Error, CustomStringConvertible, Equatable {
    public var what: String
    /// What to do instead (nothing added when empty: `what` says it).
    public var instead = "start a new run instead (without --resume)"
    public var description: String { "cannot resume: \(what)" + (instead.isEmpty ? "" : "; \(instead)") }
}
