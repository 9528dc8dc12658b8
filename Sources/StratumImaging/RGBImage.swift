/// An 8-bit RGB image, interleaved, row-major, top row first.
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// `width * height * 3` bytes: R, G, B for each pixel.
    public var pixels: [UInt8]

    /// Creates an image; `pixels.count` must equal `width * height * 3`.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0 && pixels.count == width * height * 3, "RGBImage: pixel count does not match its size")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A uniform image of one colour.
    public init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8) = (0, 0, 0)) {
        self.init(width: width, height: height, pixels: [UInt8](repeating: fill.0, count: width * height * 3))
        if fill.1 != fill.0 || fill.2 != fill.0 { self.fill(x: 0, y: 0, width: width, height: height, color: fill) }
    }
}

/// 8-bit RGBA pixels, straight (not premultiplied) alpha, interleaved, row-major, top row first:
/// a layer to composite over an `RGBImage` (a PNG with transparency, as gnuplot draws text).
public struct RGBAPixels: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// `width * height * 4` bytes: R, G, B, A for each pixel.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height * 4, "RGBAPixels: pixel count does not match its size")
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}
