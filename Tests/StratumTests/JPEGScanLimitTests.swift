import Foundation
@testable import StratumImaging
import Testing

/// The limit on a JPEG's scans (`ImageLimits.maxJPEGScans`): files of many valid scans
/// (scripts/make_jpeg_scan_fixtures.py: flat grey, 64×64) are refused past it before either
/// decoder runs, and decode up to it.
@Suite struct JPEGScanLimitTests {
    static let images = TestSupport.fixtures.appendingPathComponent("images")

    /// Scans counted as libjpeg reads them: each count is what `djpeg -verbose -verbose` reports
    /// ("Start Of Scan" lines), stray and fill bytes before markers included.
    @Test(arguments: [
        ("gradient-24x16.jpg", 1), ("hostile/cmyk.jpg", 1), ("hostile/truncated.jpg", 1), ("hostile/junk-before-eoi.jpg", 1),
        ("jpeg-sampling/410-progressive.jpg", 10), ("jpeg-sampling/padded-progressive.jpg", 10),
        ("jpeg-sampling/padded-420.jpg", 1), ("jpeg-sampling/header-junk-420.jpg", 1),
        ("jpeg-scans/scans-100.jpg", 100), ("jpeg-scans/scans-101.jpg", 101), ("jpeg-scans/scans-101-stray.jpg", 101),
        ("jpeg-scans/scans-101-empty.jpg", 101),
    ])
    func countsScansAsLibjpegReadsThem(_ file: String, _ scans: Int) throws {
        let bytes = [UInt8](try Data(contentsOf: Self.images.appendingPathComponent(file)))
        #expect(JPEGMarkers.scanCount(bytes, limit: 1_000) == scans, "\(file)")
        // The walk stops once past the limit.
        #expect(JPEGMarkers.scanCount(bytes, limit: 0) == 1, "\(file)")
    }

    @Test func aFileAtTheLimitDecodes() throws {
        #expect(ImageLimits.maxJPEGScans == 100)
        let image = try ImageFile.read(Self.images.appendingPathComponent("jpeg-scans/scans-100.jpg"))
        #expect(image.width == 64 && image.height == 64)
        #expect(image.pixels.allSatisfy { $0 == 128 }, "every coefficient is 0: djpeg decodes it to 128 everywhere")
    }

    /// Refused, not decoded: also when a comment, a stray byte and a fill byte stand before
    /// each scan (libjpeg skips them; a count that stopped at the stray byte would see 1 scan),
    /// and after segments of length 0 and 1 (libjpeg reads them as empty and goes on).
    @Test(arguments: ["scans-101", "scans-101-stray", "scans-101-empty"])
    func aFilePastTheLimitIsRefused(_ name: String) throws {
        let url = Self.images.appendingPathComponent("jpeg-scans/\(name).jpg")
        do {
            _ = try ImageFile.read(url)
            Issue.record("\(name) was decoded")
        } catch let error as ImageError {
            #expect(error.reason == .tooManyScans(limit: 100), "\(error)")
            #expect(error.description.contains("\(name).jpg") && error.description.contains("more than 100 scans"), "\(error)")
        }
    }

    /// Cut anywhere, a file counts the scans whose headers it still holds: never fewer than a
    /// shorter cut, never more than the whole (arbitrary bytes: the jpeg fuzz target).
    @Test func cutFilesCountTheScansTheyHold() throws {
        let bytes = [UInt8](try Data(contentsOf: Self.images.appendingPathComponent("jpeg-scans/scans-101-stray.jpg")))
        var previous = 0
        for end in stride(from: 0, through: bytes.count, by: 7) {
            let scans = JPEGMarkers.scanCount(Array(bytes[..<end]), limit: 1_000)
            #expect(scans >= previous && scans <= 101, "cut at \(end)")
            previous = scans
        }
        #expect(previous >= 100)
    }
}
