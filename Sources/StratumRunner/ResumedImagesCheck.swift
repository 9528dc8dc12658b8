import Foundation
import StratumCore
import StratumData
import StratumImaging
import StratumStore

/// A resumed run keeps the predictions it stored, which were made from the image files as they
/// were then. Before going on, each of those files is read again and its fingerprint
/// (`ContentFingerprint`) compared with the one stored when it was decoded: a file that changed
/// or can no longer be read stops the resume and is named, since the run would otherwise mix
/// predictions of two versions of the dataset under one manifest hash.
///
/// Reading costs a fraction of decoding (no pixels are decoded). Samples predicted by a Stratum
/// that stored no fingerprints are not checked.
enum ResumedImagesCheck {
    /// Files named in the refusal; the rest are counted.
    static let namedFiles = 5

    static func verify(samples: [Sample], ids: [SampleID], variants: [RunVariant], stored: [SampleID: UInt64]) throws {
        guard !stored.isEmpty else { return }
        let checked = ids.indices.filter { index in
            stored[ids[index]] != nil && variants.contains { $0.done.contains(ids[index]) }
        }
        let results = ConcurrentResults<String?>(count: checked.count)
        DispatchQueue.concurrentPerform(iterations: max(1, min(checked.count, CPUCores.available))) { _ in
            while let slot = results.claimNext() {
                let index = checked[slot]
                let problem: String?
                do {
                    let bytes = try ImageFile.contents(of: samples[index].filePath)
                    problem = ContentFingerprint.of(bytes) == stored[ids[index]] ? nil : "\(samples[index].relativePath) (changed)"
                } catch let error as ImageError {
                    guard case .unreadable(let message) = error.reason else { problem = "\(error)"; break }
                    problem = "\(samples[index].relativePath) (\(message))"
                } catch {
                    problem = "\(samples[index].relativePath) (\(error))"
                }
                results.set(slot, .success(problem))
                _ = results.finished(1)
            }
        }
        let problems = results.results().compactMap { try? $0.get() }.compactMap { $0 }
        guard !problems.isEmpty else { return }
        let named = problems.prefix(namedFiles).joined(separator: ", ")
        let more = problems.count > namedFiles ? ", and \(problems.count - namedFiles) more" : ""
        throw ResumeRefusal(what: "\(problems.count) of the \(checked.count) image files this run has predictions for changed or cannot be read since then: \(named)\(more); the run would mix predictions of two versions of them")
    }
}
