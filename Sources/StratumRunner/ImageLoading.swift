import Foundation
import StratumCore
import StratumImaging

/// Decodes many image files in parallel, keeping their order; the first failure (by index) is thrown.
enum ImageLoading {
    static func decodeAll(_ urls: [URL], progress: @Sendable (Int) -> Void) throws -> [RGBImage] {
        let results = ConcurrentResults<RGBImage>(count: urls.count)
        let chunk = 64
        let chunks = (urls.count + chunk - 1) / chunk
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let range = (c * chunk)..<min(urls.count, (c + 1) * chunk)
            for index in range {
                results.set(index, Result { try ImageFile.read(urls[index]) })
            }
            progress(results.finished(range.count))
        }
        return try results.values()
    }
}
