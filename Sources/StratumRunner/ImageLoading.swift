import Foundation
import StratumCore
import StratumData
import StratumImaging

/// A sample whose image could not be decoded: left out of every variant alike.
public struct UnreadableSample: Sendable, Equatable, Encodable {
    /// The manifest id.
    public var id: String
    /// The path as the manifest gives it.
    public var path: String
    /// 1-based manifest line.
    public var line: Int
    /// What is wrong with the file (the decoder's message, with the file named).
    public var reason: String
}

/// Some images could not be decoded and the run is strict (`--strict`), or none could.
public struct UnreadableImagesError: Error, CustomStringConvertible, Equatable {
    public var manifest: String
    public var samples: [UnreadableSample]
    /// True when no image of the split could be read at all.
    public var noneReadable: Bool

    public var description: String {
        let head = noneReadable
            ? "\(manifest): no image of the evaluated split could be decoded (\(samples.count) unreadable)"
            : "\(manifest): \(samples.count) image(s) could not be decoded (--strict)"
        let lines = samples.prefix(20).map { "  line \($0.line), id '\($0.id)': \($0.reason)" }
        let more = samples.count > 20 ? ["  … and \(samples.count - 20) more"] : []
        return ([head] + lines + more).joined(separator: "\n")
    }
}

/// A decoded sample reduced to the variants' inputs, with the fingerprint of its file's bytes
/// (`ContentFingerprint`: what `run --resume` checks the file against later).
struct PreparedSample: Sendable {
    var sample: Sample
    var inputs: [InputSpec: [Float]]
    var fingerprint: UInt64
}

/// Decodes image files in parallel, keeping order and every failure.
enum ImageLoading {
    /// `samples` decoded in parallel and each image reduced at once to every input in `specs`
    /// (crop, resize, gray, normalise — exactly what the variants would do later), so a large
    /// image is held only while its own worker prepares it: memory per sample is the sum of
    /// the variants' inputs, not the decoded size.
    static func prepare(_ samples: [Sample], for specs: [InputSpec], applyOrientation: Bool,
                        progress: @Sendable (Int) -> Void = { _ in }) -> (readable: [PreparedSample], unreadable: [UnreadableSample]) {
        let results = ConcurrentResults<([InputSpec: [Float]], UInt64)>(count: samples.count)
        let workers = max(1, min(samples.count, CPUCores.available))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let index = results.claimNext() {
                results.set(index, Result {
                    let path = samples[index].filePath
                    let bytes = try ImageFile.contents(of: path)
                    let image = try ImageFile.decode(bytes, source: path, applyOrientation: applyOrientation)
                    for spec in specs { try Preprocessor.checkSize(image, for: spec, source: path) }
                    return (Dictionary(uniqueKeysWithValues: specs.map { ($0, Preprocessor.prepare(image, for: $0)) }), ContentFingerprint.of(bytes))
                })
                let done = results.finished(1)
                if done % 64 == 0 || done == samples.count { progress(done) }
            }
        }
        var readable: [PreparedSample] = []
        var unreadable: [UnreadableSample] = []
        for (sample, result) in zip(samples, results.results()) {
            switch result {
            case .success(let (inputs, fingerprint)): readable.append(PreparedSample(sample: sample, inputs: inputs, fingerprint: fingerprint))
            case .failure(let error):
                unreadable.append(UnreadableSample(id: sample.id, path: sample.relativePath, line: sample.line, reason: "\(error)"))
            }
        }
        return (readable, unreadable)
    }
}
