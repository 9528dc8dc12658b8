import Foundation
import StratumCore
import StratumImaging
import Testing

@Suite struct ImagingTests {
    static let images = TestSupport.fixtures.appendingPathComponent("images")

    @Test(arguments: [(7, 5, PNGCodec.Compression.small), (7, 5, .fast), (1, 1, .fast), (300, 211, .small), (300, 211, .fast)])
    func pngRoundTripIsLossless(_ width: Int, _ height: Int, _ compression: PNGCodec.Compression) throws {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for i in pixels.indices { pixels[i] = UInt8((i * 37 + i / 1000) % 256) }
        let image = RGBImage(width: width, height: height, pixels: pixels)
        let png = try PNGCodec.encode(image, compression: compression)
        #expect(png.starts(with: PNGCodec.signature))
        #expect(try PNGCodec.decode(png, source: "memory") == image)
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

    /// The row-caching resize against each output value computed from its four neighbours, bit
    /// for bit: shrinking, enlarging, one axis only, to and from one pixel, same size.
    @Test(arguments: [(96, 96, 64, 64), (96, 96, 24, 24), (96, 96, 96, 96), (7, 5, 19, 3), (1, 1, 4, 4), (13, 9, 1, 1), (40, 30, 40, 11), (3, 17, 8, 17)])
    func resizeMatchesFourNeighbourInterpolation(_ width: Int, _ height: Int, _ newWidth: Int, _ newHeight: Int) {
        var state: UInt32 = 12345
        let pixels = (0..<(width * height * 3)).map { _ -> UInt8 in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: state >> 24)
        }
        let image = RGBImage(width: width, height: height, pixels: pixels)
        func tap(_ i: Int, _ source: Int, _ target: Int) -> (Int, Int, Float) {
            let position = max(0, (Float(i) + 0.5) * (Float(source) / Float(target)) - 0.5)
            let low = min(Int(position), source - 1)
            return (low, min(low + 1, source - 1), position - Float(low))
        }
        var expected = [Float]()
        for y in 0..<newHeight {
            let (y0, y1, wy) = tap(y, height, newHeight)
            for x in 0..<newWidth {
                let (x0, x1, wx) = tap(x, width, newWidth)
                for c in 0..<3 {
                    func at(_ x: Int, _ y: Int) -> Float { Float(pixels[(y * width + x) * 3 + c]) }
                    let top = at(x0, y0) * (1 - wx) + at(x1, y0) * wx
                    let bottom = at(x0, y1) * (1 - wx) + at(x1, y1) * wx
                    expected.append(top * (1 - wy) + bottom * wy)
                }
            }
        }
        #expect(image.resizedFloats(width: newWidth, height: newHeight) == expected)
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

    /// Per-channel mean and std, 16 pixels at a time: the same subtraction and division as
    /// value by value, to the bit, whole runs and a shorter last one alike.
    @Test(arguments: [(3, 96 * 96), (3, 35), (3, 16), (1, 50), (4, 21), (2, 1)])
    func standardizingMatchesValueByValue(_ channels: Int, _ pixels: Int) {
        let values = (0..<(channels * pixels)).map { Float(($0 * 7919) % 256) / 255 }
        let mean = (0..<channels).map { 0.4 + Float($0) * 0.03 }, std = (0..<channels).map { 0.21 + Float($0) * 0.017 }
        var standardized = values
        Preprocessor.standardize(&standardized, channels: channels, mean: mean, std: std)
        let expected = values.indices.map { (values[$0] - mean[$0 % channels]) / std[$0 % channels] }
        let differing = standardized.indices.filter { standardized[$0].bitPattern != expected[$0].bitPattern }
        #expect(standardized.count == expected.count && differing.isEmpty, "\(differing.count) values differ, the first at \(differing.first ?? -1)")
    }

    @Test func grayscaleInputUsesBT601Luma() {
        let spec = InputSpec(width: 1, height: 1, channels: 1, normalization: .raw)
        let value = Preprocessor.prepare(RGBImage(width: 1, height: 1, fill: (100, 200, 50)), for: spec)[0]
        #expect(abs(value - (0.299 * 100 + 0.587 * 200 + 0.114 * 50)) < 1e-3)
    }

    /// Laying a PNG over a canvas one decoded row at a time gives exactly what decoding it whole
    /// as RGBA and compositing does, for every colour type and depth among the fixtures.
    /// `rgba-8x6.png` (alpha from 0 to 255, written by Pillow: `Image.new("RGBA", (8, 6))`, pixel
    /// (x, y) = (31x mod 256, (47y + 5x) mod 256, 13xy mod 256, a) with a from
    /// [0, 1, 64, 127, 128, 200, 254, 255] on even rows and [255, 0, 17, 254, 1, 99, 0, 180] on odd).
    @Test(arguments: ["rgba-8x6.png", "gray-8x6.png", "hostile/gray-alpha.png", "hostile/gray16.png", "hostile/palette.png",
                      "hostile/rgb16.png", "hostile/rgb16-gamma.png", "hostile/rgb8-gamma-045.png", "hostile/rgb8.png"])
    func compositingRowByRowEqualsDecodingWhole(_ name: String) throws {
        let url = Self.images.appendingPathComponent(name)
        let bytes = Array(try Data(contentsOf: url))
        let layer = try PNGCodec.decodeRGBA(bytes, source: name).image
        var expected = RGBImage(width: layer.width, height: layer.height,
                                pixels: (0..<(layer.width * layer.height * 3)).map { UInt8(($0 * 29 + 7) % 256) })
        var actual = expected
        expected.composite(layer)
        try PNGCodec.composite(bytes, over: &actual, source: name)
        #expect(actual == expected)
    }

    /// `decode` reads a file without alpha as RGB directly: the same samples as decoding it as
    /// RGBA and dropping alpha, for every colour type and depth among the fixtures (with alpha,
    /// it takes the RGBA route itself).
    @Test(arguments: ["gradient-24x16.png", "rgba-8x6.png", "gray-8x6.png", "hostile/gray-alpha.png", "hostile/gray16.png", "hostile/palette.png",
                      "hostile/rgb16.png", "hostile/rgb16-gamma.png", "hostile/rgb8-gamma-045.png", "hostile/rgb8.png", "hostile/rgb8-gamma.png",
                      "hostile/exif-orient-6.png"])
    func decodingAsRGBEqualsDroppingAlphaFromRGBA(_ name: String) throws {
        let bytes = Array(try Data(contentsOf: Self.images.appendingPathComponent(name)))
        let rgba = try PNGCodec.decodeRGBA(bytes, source: name).image
        let rgb = try PNGCodec.decode(bytes, source: name, applyOrientation: false)
        #expect(rgb.width == rgba.width && rgb.height == rgba.height)
        var dropped: [UInt8] = []
        for pixel in 0..<(rgba.width * rgba.height) { dropped += rgba.pixels[(pixel * 4)..<(pixel * 4 + 3)] }
        #expect(rgb.pixels == dropped)
    }

    /// Filling a rectangle (clipped to the image) and a uniform image equal a pixel-by-pixel fill.
    @Test(arguments: [(x: 0, y: 0, width: 7, height: 5), (x: 2, y: 1, width: 3, height: 2), (x: -2, y: -1, width: 4, height: 3),
                      (x: 5, y: 3, width: 9, height: 9), (x: 3, y: 2, width: 1, height: 1), (x: 7, y: 0, width: 2, height: 2), (x: 1, y: 1, width: 0, height: 3)])
    func fillingARectangleEqualsFillingPixelByPixel(x: Int, y: Int, width: Int, height: Int) {
        var image = RGBImage(width: 7, height: 5, pixels: (0..<105).map { UInt8($0) })
        var expected = image.pixels
        for row in 0..<5 {
            for column in 0..<7 where column >= x && column < x + width && row >= y && row < y + height {
                expected.replaceSubrange(((row * 7 + column) * 3)..<((row * 7 + column) * 3 + 3), with: [200, 100, 50])
            }
        }
        image.fill(x: x, y: y, width: width, height: height, color: (200, 100, 50))
        #expect(image.pixels == expected)
        #expect(RGBImage(width: 3, height: 2, fill: (9, 8, 7)).pixels == Array([[UInt8]](repeating: [9, 8, 7], count: 6).joined()))
        #expect(RGBImage(width: 3, height: 2, fill: (4, 4, 4)).pixels == [UInt8](repeating: 4, count: 18))
    }

    @Test func compositingRefusesAPageOfAnotherSizeAndBrokenData() throws {
        let rgba = Array(try Data(contentsOf: Self.images.appendingPathComponent("rgba-8x6.png")))
        var canvas = RGBImage(width: 9, height: 6, fill: (1, 2, 3))
        #expect(throws: ImageError.self) { try PNGCodec.composite(rgba, over: &canvas, source: "rgba-8x6.png") }
        let truncated = Array(try Data(contentsOf: Self.images.appendingPathComponent("hostile/truncated.png")))
        var small = RGBImage(width: 8, height: 6, fill: (1, 2, 3))
        let error = try #require(throws: ImageError.self) { try PNGCodec.composite(truncated, over: &small, source: "truncated.png") }
        #expect("\(error)".contains("truncated.png"))
    }
}
