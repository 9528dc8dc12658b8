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
/// Reading costs a fraction of decoding (no pixels are decoded: ~0.1 s for 3,000 small faces).
/// Samples predicted by a Stratum that stored no fingerprints are not checked. A shard checks
/// the samples it owns: the other shards' files may be other copies on other machines.
enum ResumedImagesCheck {
    /// Files named in the refusal; the rest are counted.
    static let namedFiles = 5

    /// `refusal`: the error to throw with the description of what changed.
    static func verify(samples: [Sample], ids: [SampleID], variants: [RunVariant], stored: [SampleID: UInt64],
                       refusal: (String) -> Error) throws {
        guard !stored.isEmpty else { return }
        // One check per file (several manifest rows may name one file), in manifest order.
        var files: [(path: String, shown: String, fingerprint: UInt64)] = []
        var seen: [String: UInt64] = [:]
        for index in ids.indices {
            guard let fingerprint = stored[ids[index]], variants.contains(where: { $0.done.contains(ids[index]) }) else { continue }
            let path = samples[index].filePath
            if seen.updateValue(fingerprint, forKey: path) == nil {
                files.append((path, samples[index].relativePath, fingerprint))
            }
        }
        let checked = files
        let results = ConcurrentResults<String?>(count: checked.count)
        DispatchQueue.concurrentPerform(iterations: max(1, min(checked.count, CPUCores.available))) { _ in
            while let slot = results.claimNext() {
                results.set(slot, .success(problem(checked[slot].path, expected: checked[slot].fingerprint)))
                _ = results.finished(1)
            }
        }
        let problems = zip(files, results.results()).compactMap { file, result -> String? in
            let problem: String?
            switch result {
            case .success(let found): problem = found
            case .failure(let error): problem = "\(error)"
            }
            return problem.map { "'\(file.shown.terminalSafe)' (\($0.terminalSafe))" }
        }
        guard !problems.isEmpty else { return }
        let named = problems.prefix(namedFiles).joined(separator: "; ")
        let more = problems.count > namedFiles ? "; and \(problems.count - namedFiles) more" : ""
        throw refusal("\(problems.count) of the \(files.count) image files this run has predictions for changed or cannot be read since then: \(named)\(more); the run would mix predictions of two versions of them")
    }

    /// What is wrong with the file at `path` now, or nil when its bytes have `expected` as fingerprint.
    static func problem(_ path: String, expected: UInt64) -> String? {
        // Not opened unless it is a regular file: opening a FIFO would wait for a writer.
        var status = stat()
        guard stat(path, &status) == 0 else { return String(cString: strerror(errno)) }
        guard status.st_mode & S_IFMT == S_IFREG else { return "not a regular file any more" }
        do {
            return ContentFingerprint.of(try ImageFile.contents(of: path)) == expected ? nil : "changed"
        } catch let error as ImageError {
            if case .unreadable(let message) = error.reason { return message }
            return "\(error)"
        } catch {
            return "\(error)"
        }
    }
}
