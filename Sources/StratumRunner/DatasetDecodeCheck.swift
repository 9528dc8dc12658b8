import Foundation
import StratumCore
import StratumData

/// `stratum dataset validate --decode`: every image of a dataset decoded (in parallel, as a run
/// would decode it), so that every unreadable file is listed before a run starts.
public enum DatasetDecodeCheck {
    /// The samples whose image cannot be decoded, in manifest order.
    public static func unreadable(in dataset: Dataset, applyOrientation: Bool = true, progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) -> [UnreadableSample] {
        let total = dataset.samples.count
        // Decoded and dropped at once: no image is kept (no input specs to reduce to).
        return ImageLoading.prepare(dataset.samples, for: [], applyOrientation: applyOrientation) { progress($0, total) }.unreadable
    }
}
