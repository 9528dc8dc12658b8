import Foundation
@testable import StratumImaging
import Testing

/// JPEGs whose sampling factors TurboJPEG 2.1 refuses, decoded through libjpeg's own API, against
/// the pixels libjpeg-turbo's djpeg gives (fixtures: scripts/make_jpeg_sampling_fixtures.sh), and
/// that path against TurboJPEG's on files both read.
@Suite struct JPEGSamplingTests {
    static let folder = TestSupport.fixtures.appendingPathComponent("images/jpeg-sampling")

    /// A binary PPM's size and samples.
    static func ppm(_ url: URL) throws -> (width: Int, height: Int, pixels: [UInt8]) {
        let bytes = [UInt8](try Data(contentsOf: url))
        // "P6\n<w> <h>\n255\n" then the samples.
        var fields: [Int] = [], index = 2, current = ""
        while fields.count < 3, index < bytes.count {
            let byte = bytes[index]
            index += 1
            if (0x30...0x39).contains(byte) { current.append(Character(UnicodeScalar(byte))) } else if !current.isEmpty { fields.append(Int(current)!); current = "" }
        }
        try #require(bytes.starts(with: Array("P6".utf8)) && fields.count == 3 && fields[2] == 255, "\(url.lastPathComponent) is no 8-bit P6 PPM")
        return (fields[0], fields[1], Array(bytes[index...]))
    }

    @Test(arguments: ["410", "410-progressive", "1x4", "3x1", "mixed-chroma", "chroma-finer", "420"])
    func decodesAsDjpegDoes(_ name: String) throws {
        let url = Self.folder.appendingPathComponent("\(name).jpg")
        let expected = try Self.ppm(Self.folder.appendingPathComponent("\(name).ppm"))
        let image = try ImageFile.read(url)
        #expect(image.width == expected.width && image.height == expected.height)
        #expect(image.pixels == expected.pixels, "\(name): \(zip(image.pixels, expected.pixels).filter { $0 != $1 }.count) samples differ")
    }

    /// Stray bytes in the header warn, but the pixels are whole: decoded as the file without them.
    @Test(arguments: ["420", "410"])
    func strayBytesInTheHeaderAreLetThrough(_ name: String) throws {
        let image = try ImageFile.read(Self.folder.appendingPathComponent("header-junk-\(name).jpg"))
        #expect(image.pixels == (try Self.ppm(Self.folder.appendingPathComponent("\(name).ppm"))).pixels)
    }

    /// Stray bytes before restart markers (as webcams write them) and before later scans warn,
    /// but the pixels are the unpadded file's, through TurboJPEG's path (4:2:0, progressive)
    /// and libjpeg's (1×4), as Pillow decodes them.
    @Test(arguments: ["padded-420", "padded-1x4", "padded-progressive"])
    func strayBytesBeforeLaterMarkersAreLetThrough(_ name: String) throws {
        let image = try ImageFile.read(Self.folder.appendingPathComponent("\(name).jpg"))
        #expect(image.pixels == (try Self.ppm(Self.folder.appendingPathComponent("\(name).ppm"))).pixels, "\(name)")
    }

    /// The libjpeg path decodes what TurboJPEG reads to the same bytes: RGB at 4:2:0 and
    /// 4:4:4, CMYK with and without Adobe's segment, YCCK.
    @Test(arguments: ["jpeg-sampling/420.jpg", "gradient-24x16.jpg", "hostile/cmyk.jpg", "hostile/cmyk-noadobe.jpg", "hostile/ycck.jpg"])
    func theLibjpegPathEqualsTurboJPEGs(_ file: String) throws {
        let url = TestSupport.fixtures.appendingPathComponent("images/\(file)")
        let bytes = [UInt8](try Data(contentsOf: url))
        let turbo = try JPEGDecoder.decode(bytes, source: file, applyOrientation: false)
        let libjpeg = try #require(try JPEGDecoder.decodeThroughLibjpeg(bytes, source: file))
        #expect(libjpeg.width == turbo.width && libjpeg.height == turbo.height)
        #expect(libjpeg.pixels == turbo.pixels, "\(file)")
    }

    /// Cut inside its scan data, a file TurboJPEG cannot name fails as corrupt (libjpeg's
    /// warning), never as a half-grey image; bytes that are no JPEG keep TurboJPEG's message.
    @Test func brokenFilesStillFail() throws {
        let bytes = [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent("410.jpg")))
        let cut = Array(bytes.prefix(bytes.count * 2 / 3))
        let error = try #require(throws: ImageError.self) { try JPEGDecoder.decode(cut, source: "cut.jpg") }
        guard case .corrupt(let format, let message) = error.reason else { Issue.record("\(error)"); return }
        #expect(format == "JPEG" && message.contains("Premature end"), "\(message)")
        #expect(error.source == "cut.jpg")

        let junk = [0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x04] + [UInt8](repeating: 0x42, count: 40)
        #expect(try JPEGDecoder.decodeThroughLibjpeg(junk, source: "junk.jpg") == nil)
        #expect(throws: ImageError.self) { try JPEGDecoder.decode(junk, source: "junk.jpg") }
    }
}
