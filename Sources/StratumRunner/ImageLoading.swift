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

/// Decodes many image files in parallel, keeping their order and every failure.
enum ImageLoading {
    struct Decoded {
        /// One slot per input, nil where decoding failed.
        var images: [RGBImage?]
        /// The failures, in input order.
        var failures: [(index: Int, error: Error)]
    }

    static func decodeAll(_ urls: [URL], applyOrientation: Bool = true, progress: @Sendable (Int) -> Void) -> Decoded {
        let results = ConcurrentResults<RGBImage>(count: urls.count)
        let chunk = 64
        let chunks = (urls.count + chunk - 1) / chunk
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let range = (c * chunk)..<min(urls.count, (c + 1) * chunk)
            for index in range {
                results.set(index, Result { try ImageFile.read(urls[index], applyOrientation: applyOrientation) })
            }
            progress(results.finished(range.count))
        }
        let all = results.results()
        var failures: [(Int, Error)] = []
        let images = all.enumerated().map { index, result -> RGBImage? in
            switch result {
            case .success(let image): return image
            case .failure(let error): failures.append((index, error)); return nil
            }
        }
        return Decoded(images: images, failures: failures)
    }

    /// `samples` decoded in parallel and each image reduced at once to every input in `specs`
    /// (crop, resize, gray, normalise — exactly what the variants would do later), so a large
    /// image is held only while its own worker prepares it: memory per sample is the sum of
    /// the variants' inputs, not the decoded size.
    static func prepare(_ samples: [Sample], for specs: [InputSpec], applyOrientation: Bool) -> (readable: [(Sample, [InputSpec: [Float]])], unreadable: [UnreadableSample]) {
        let results = ConcurrentResults<[InputSpec: [Float]]>(count: samples.count)
        let workers = max(1, min(samples.count, ProcessInfo.processInfo.activeProcessorCount))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let index = results.claimNext() {
                results.set(index, Result {
                    let image = try ImageFile.read(samples[index].url, applyOrientation: applyOrientation)
                    return Dictionary(uniqueKeysWithValues: specs.map { ($0, Preprocessor.prepare(image, for: $0)) })
                })
            }
        }
        var readable: [(Sample, [InputSpec: [Float]])] = []
        var unreadable: [UnreadableSample] = []
        for (sample, result) in zip(samples, results.results()) {
            switch result {
            case .success(let inputs): readable.append((sample, inputs))
            case .failure(let error):
                unreadable.append(UnreadableSample(id: sample.id, path: sample.relativePath, line: sample.line, reason: "\(error)"))
            }
        }
        return (readable, unreadable)
    }

    /// `samples` split into the decodable ones (with their images) and the unreadable ones.
    static func load(_ samples: [Sample], applyOrientation: Bool, progress: @Sendable (Int) -> Void) -> (readable: [(Sample, RGBImage)], unreadable: [UnreadableSample]) {
        let decoded = decodeAll(samples.map(\.url), applyOrientation: applyOrientation, progress: progress)
        var readable: [(Sample, RGBImage)] = []
        readable.reserveCapacity(samples.count)
        for (sample, image) in zip(samples, decoded.images) {
            if let image { readable.append((sample, image)) }
        }
        let unreadable = decoded.failures.map { index, error in
            UnreadableSample(id: samples[index].id, path: samples[index].relativePath, line: samples[index].line, reason: "\(error)")
        }
        return (readable, unreadable)
    }
}
