import Foundation
import StratumCore
import StratumImaging
import Testing

@Suite struct ImagingTests {
    static let images = TestSupport.fixtures.appendingPathComponent("images")

    @Test func pngRoundTripIsLossless() throws {
        var pixels = [UInt8](repeating: 0, count: 7 * 5 * 3)
        for i in pixels.indices { pixels[i] = UInt8((i * 37) % 256) }
        let image = RGBImage(width: 7, height: 5, pixels: pixels)
        let decoded = try PNGCodec.decode(try PNGCodec.encode(image), source: "memory")
        #expect(decoded == image)
    }

    @Test func grayscalePNGIsExpandedToRGB() throws {
        let image = try ImageFile.read(Self.images.appendingPathComponent("gray-8x6.png"))
        #expect(image.width == 8 && image.height == 6)
        #expect(Array(image.pixels[3..<6]) == [30, 30, 30])
    }

    @Test func jpegDecodesToTheRightSizeAndColours() throws {
        let jpeg = try ImageFile.read(Self.images.appendingPathComponent("gradient-24x16.jpg"))
        let png = try ImageFile.read(Self.images.appendingPathComponent("gradient-24x16.png"))
        #expect(jpeg.width == 24 && jpeg.height == 16)
        let meanError = zip(jpeg.pixels, png.pixels).map { abs(Double($0) - Double($1)) }.reduce(0, +) / Double(png.pixels.count)
        #expect(meanError < 3, "quality-95 JPEG should be close to the lossless original")
    }

    static let corruptions: [(name: String, file: String, mutate: @Sendable ([UInt8]) -> [UInt8])] = [
        ("truncated PNG", "gradient-24x16.png", { Array($0.prefix($0.count / 2)) }),
        ("PNG signature only", "gradient-24x16.png", { Array($0.prefix(8)) }),
        ("PNG with garbage after the signature", "gradient-24x16.png", { Array($0.prefix(8)) + [UInt8](repeating: 0x41, count: 64) }),
        ("truncated JPEG", "gradient-24x16.jpg", { Array($0.prefix($0.count / 2)) }),
        ("JPEG header only", "gradient-24x16.jpg", { Array($0.prefix(4)) }),
        ("JPEG with zeroed body", "gradient-24x16.jpg", { Array($0.prefix(3)) + [UInt8](repeating: 0, count: $0.count - 3) }),
        ("neither PNG nor JPEG", "gradient-24x16.png", { _ in Array("hello".utf8) }),
        ("empty file", "gradient-24x16.png", { _ in [] }),
    ]

    @Test(arguments: corruptions.indices)
    func corruptFileIsAnErrorNamingTheFile(_ index: Int) throws {
        let corruption = Self.corruptions[index]
        let original = Array(try Data(contentsOf: Self.images.appendingPathComponent(corruption.file)))
        let directory = try TestSupport.temporaryDirectory()
        let url = directory.appendingPathComponent("bad-\(index).img")
        try Data(corruption.mutate(original)).write(to: url)
        do {
            _ = try ImageFile.read(url)
            Issue.record("\(corruption.name): decoded without error")
        } catch let error as ImageError {
            #expect(error.source == url.path, "\(corruption.name)")
            #expect(error.description.contains(url.lastPathComponent))
        }
    }

    @Test func missingFileIsUnreadable() {
        #expect(throws: ImageError.self) { try ImageFile.read(URL(fileURLWithPath: "/nonexistent/face.png")) }
    }

    @Test func resizeUsesHalfPixelCentres() {
        // 2×1 image (0 and 200) to 4×1: source x = (i + 0.5)/2 − 0.5 = −0.25, 0.25, 0.75, 1.25 → clamped.
        let image = RGBImage(width: 2, height: 1, pixels: [0, 0, 0, 200, 200, 200])
        let values = image.resizedFloats(width: 4, height: 1)
        #expect(stride(from: 0, to: 12, by: 3).map { values[$0] } == [0, 50, 150, 200])
    }

    @Test func resizeOfAConstantImageIsConstant() {
        let image = RGBImage(width: 13, height: 7, fill: (10, 20, 30))
        let resized = image.resized(width: 5, height: 9)
        #expect(resized.pixels == RGBImage(width: 5, height: 9, fill: (10, 20, 30)).pixels)
    }

    @Test func centerCropTakesTheMiddleSquare() {
        var pixels = [UInt8]()
        for x in 0..<4 { pixels += [UInt8(x), 0, 0] }
        let cropped = RGBImage(width: 4, height: 1, pixels: pixels).centerCropped()
        #expect(cropped.width == 1 && cropped.height == 1 && cropped.pixels[0] == 1)
    }

    @Test(arguments: [(Normalization.unit, Float(0), Float(1)), (.symmetric, -1, 1), (.raw, 0, 255)])
    func normalisationMapsTheByteRange(_ normalization: Normalization, _ low: Float, _ high: Float) {
        #expect(normalization.apply(0) == low)
        #expect(normalization.apply(255) == high)
        let spec = InputSpec(width: 1, height: 1, channels: 3, normalization: normalization)
        #expect(Preprocessor.prepare(RGBImage(width: 1, height: 1, fill: (0, 255, 0)), for: spec) == [low, high, low])
    }

    @Test func grayscaleInputUsesBT601Luma() {
        let spec = InputSpec(width: 1, height: 1, channels: 1, normalization: .raw)
        let value = Preprocessor.prepare(RGBImage(width: 1, height: 1, fill: (100, 200, 50)), for: spec)[0]
        #expect(abs(value - (0.299 * 100 + 0.587 * 200 + 0.114 * 50)) < 1e-3)
    }
}
