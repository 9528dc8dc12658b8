import Foundation
import StratumCore
import StratumImaging
import StratumReports
import StratumStore
import Testing

/// Reports read each image from the path the run read, joined and standardised the same way.
/// Joined as a string, a manifest path `nosuchdir/../img.png` (the dataset's `img.png` for the
/// run) failed in every gallery as "image unreadable now", and a path through a symlink could
/// differ from the run's (review of hostile input). (A path whose `..` follows a link out of the
/// dataset is refused by the manifest check before any run: `ManifestTests`.)
@Suite struct SamplePathTests {
    @Test func reportsJoinPathsAsTheRunReadsThem() throws {
        let base = try TestSupport.temporaryDirectory()
        let dataset = base.appendingPathComponent("dataset"), outside = base.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: outside.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: dataset.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try Data("inside".utf8).write(to: dataset.appendingPathComponent("img.png"))
        try Data("outside".utf8).write(to: outside.appendingPathComponent("img.png"))
        try FileManager.default.createSymbolicLink(atPath: dataset.appendingPathComponent("lnk").path, withDestinationPath: "../outside/sub")
        let root = SampleRoot(dataset)
        let read = { (url: URL) in String(decoding: try Data(contentsOf: url), as: UTF8.self) }
        for path in ["nosuchdir/../img.png", "sub/../img.png", "./img.png", "lnk/../img.png"] {
            let sample = Sample(id: "s1", root: root, relativePath: path, label: "a", split: "test", attributes: [:], line: 2)
            // The run reads `sample.url`; every report path is that one.
            for image in [root.file(path), ReportSample(sample: sample, tags: []).image,
                          ReportSample(sample: sample, movedTo: SampleRoot(dataset), tags: []).image, StoredSample(id: 1, sample: sample).image] {
                #expect(image.path == sample.url.path, "\(path): \(image.path) vs \(sample.url.path)")
            }
            if !path.hasPrefix("lnk") { #expect(try read(ReportSample(sample: sample, tags: []).image) == "inside", "\(path)") }
        }
    }
}

/// `resize_shorter` resizes the whole image before cropping: a thin image would be resized to
/// far more pixels than any image may have. The size is checked first, the file named.
@Suite struct PreprocessorBoundsTests {
    @Test func resizeShorterOfAThinImageIsRefused() throws {
        var spec = InputSpec(width: 224, height: 224, channels: 3, normalization: .unit)
        spec.resizeShorter = 256
        let thin = RGBImage(width: 1, height: 100_000, fill: (10, 20, 30))
        let error = try #require(throws: ImageError.self) { try Preprocessor.checkSize(thin, for: spec, source: "thin.png") }
        #expect(error.source == "thin.png", "\(error)")
        // An ordinary image passes, and a spec without resize_shorter checks nothing.
        try Preprocessor.checkSize(RGBImage(width: 640, height: 480, fill: (0, 0, 0)), for: spec, source: "ok.png")
        try Preprocessor.checkSize(thin, for: InputSpec(width: 224, height: 224), source: "thin.png")
    }
}
