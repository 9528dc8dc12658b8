import Foundation
import StratumCore
import StratumImaging

/// Writes the synthetic-faces demo dataset: PNG images plus a CSV manifest.
///
/// Layout of `directory`: `images/face-00001.png` … and `manifest.csv` with columns
/// `id, path, sex, age, age_group, hair_length, skin_tone, glasses, facial_hair, split`.
/// Same (count, seed, size) ⇒ byte-identical files on any machine.
public enum FaceDatasetWriter {
    /// The most faces one call writes: 10 million (~17 GB of 96 px PNGs). A count from an
    /// experiment file is bounded by it (Int.max trapped sizing the work: review of hostile input).
    public static let maxCount = 10_000_000

    /// Manifest columns, in file order.
    public static let columns = ["id", "path", "sex", "age", "age_group", "hair_length", "skin_tone", "glasses", "facial_hair", "split"]

    /// Renders `count` faces in parallel and writes them; `progress` is called with the number done.
    @discardableResult
    public static func write(count: Int, seed: UInt64, size: Int = 96, to directory: URL,
                             progress: (@Sendable (Int) -> Void)? = nil) throws -> URL {
        guard count > 0, count <= maxCount else { throw FaceDatasetError(message: "count must be in 1…\(maxCount), got \(count)") }
        guard (32...1024).contains(size) else { throw FaceDatasetError(message: "size must be in 32…1024, got \(size)") }
        let images = directory.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        let renderer = FaceRenderer(seed: seed, size: size)
        let width = max(5, String(count).count)
        @Sendable func name(_ index: Int) -> String {
            let digits = String(index + 1)
            return "face-" + String(repeating: "0", count: width - digits.count) + digits
        }

        let written = ConcurrentResults<Void>(count: count)
        let chunk = 50
        let chunks = (count + chunk - 1) / chunk
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            for index in (c * chunk)..<min(count, (c + 1) * chunk) {
                let face = renderer.face(index: index)
                written.set(index, Result {
                    try ImageFile.writePNG(RGBImage(width: size, height: size, pixels: face.pixels), to: images.appendingPathComponent(name(index) + ".png"))
                })
            }
            progress?(min(count, (c + 1) * chunk))
        }
        do {
            _ = try written.values()
        } catch {
            throw FaceDatasetError(message: "cannot write an image in \(images.path): \(error)")
        }

        var lines = [columns.joined(separator: ",")]
        for index in 0..<count {
            let a = renderer.attributes(index: index)
            lines.append([name(index), "images/\(name(index)).png", a.sex, String(a.age), a.ageGroup, a.hairLength, a.skinTone,
                          String(a.glasses), String(a.facialHair), a.split].joined(separator: ","))
        }
        let manifest = directory.appendingPathComponent("manifest.csv")
        do {
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: manifest, options: .atomic)
        } catch {
            throw FaceDatasetError(message: FileAccessError("write", manifest.path, error).description)
        }
        return manifest
    }
}

/// The face generator was asked for something it cannot make, or could not write.
public struct FaceDatasetError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public var description: String { "face generator: \(message)" }
}
