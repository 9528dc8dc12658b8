extension RGBImage {
    /// Fills the rectangle (clipped to the image) with one colour.
    public mutating func fill(x: Int, y: Int, width: Int, height: Int, color: (UInt8, UInt8, UInt8)) {
        let x0 = Swift.max(0, x), y0 = Swift.max(0, y)
        let x1 = Swift.min(self.width, x + width), y1 = Swift.min(self.height, y + height)
        guard x0 < x1, y0 < y1 else { return }
        let stride = self.width * 3, span = (x1 - x0) * 3
        pixels.withUnsafeMutableBufferPointer { buffer in
            // The first row pixel by pixel, the others copied from it (a gallery's canvas is 5 MB).
            let first = buffer.baseAddress! + y0 * stride + x0 * 3
            for offset in Swift.stride(from: 0, to: span, by: 3) {
                first[offset] = color.0
                first[offset + 1] = color.1
                first[offset + 2] = color.2
            }
            for row in (y0 + 1)..<y1 {
                (buffer.baseAddress! + row * stride + x0 * 3).update(from: first, count: span)
            }
        }
    }

    /// Copies `image` with its top-left corner at (x, y), clipped to this image.
    public mutating func draw(_ image: RGBImage, x: Int, y: Int) {
        for row in 0..<image.height {
            let target = y + row
            guard target >= 0, target < height else { continue }
            let from = Swift.max(0, -x), to = Swift.min(image.width, width - x)
            guard from < to else { continue }
            let source = (row * image.width + from) * 3
            let destination = (target * width + x + from) * 3
            pixels.replaceSubrange(destination..<(destination + (to - from) * 3), with: image.pixels[source..<(source + (to - from) * 3)])
        }
    }

    /// Composites `layer` over this image ("over", straight alpha), its top-left corner at the
    /// origin: each pixel becomes `(c·a + p·(255 − a)) / 255`, rounded. Where `layer` is
    /// transparent the image is unchanged; where it is opaque it is replaced.
    public mutating func composite(_ layer: RGBAPixels) {
        let w = Swift.min(width, layer.width), h = Swift.min(height, layer.height)
        for row in 0..<h {
            for column in 0..<w {
                let source = (row * layer.width + column) * 4
                let alpha = UInt32(layer.pixels[source + 3])
                guard alpha != 0 else { continue }
                let target = (row * width + column) * 3
                for channel in 0..<3 {
                    let over = UInt32(layer.pixels[source + channel]) * alpha + UInt32(pixels[target + channel]) * (255 - alpha)
                    pixels[target + channel] = UInt8((over + 127) / 255)
                }
            }
        }
    }

    /// Draws a rectangle outline `thickness` pixels wide, inside the given bounds.
    public mutating func stroke(x: Int, y: Int, width: Int, height: Int, thickness: Int, color: (UInt8, UInt8, UInt8)) {
        fill(x: x, y: y, width: width, height: thickness, color: color)
        fill(x: x, y: y + height - thickness, width: width, height: thickness, color: color)
        fill(x: x, y: y, width: thickness, height: height, color: color)
        fill(x: x + width - thickness, y: y, width: thickness, height: height, color: color)
    }

    /// The image scaled (bilinear) to fit a `side`×`side` box, keeping its aspect ratio.
    public func thumbnail(side: Int) -> RGBImage {
        let scale = Double(side) / Double(Swift.max(width, height))
        let w = Swift.max(1, Int((Double(width) * scale).rounded())), h = Swift.max(1, Int((Double(height) * scale).rounded()))
        return resized(width: w, height: h)
    }
}
