/// Deterministic renderer of labelled synthetic cartoon faces for sex-classifier experiments.
///
/// Face `index` depends only on `(seed, index, size)`: each index gets its own `FaceRandom`
/// stream, so faces may be rendered in any order and in parallel (the type is an immutable
/// `Sendable` value). Output is bit-identical across x86-64/arm64 and debug/release because
/// rendering uses only `+ - * /`, `sqrt`, comparisons and rounding, no libm transcendentals.
/// About 66% of faces are female; sex is signalled by weak cues that are much weaker for
/// children and blurred by pose, lighting, colours and noise, and hair length is only a
/// prior, so classifiers do worse on children and on gender-atypical hair by design.
public struct FaceRenderer: Sendable {
    /// The dataset seed.
    public let seed: UInt64
    /// Width and height of every image in pixels.
    public let size: Int

    /// Creates a renderer; `size` must be at least 8 (96 is the reference size).
    public init(seed: UInt64, size: Int = 96) {
        precondition(size >= 8, "FaceRenderer size must be at least 8 pixels")
        self.seed = seed
        self.size = size
    }

    /// The labels of face `index`, without rendering it (cheap; same as `face(index:)`'s).
    public func attributes(index: Int) -> FaceAttributes {
        var rng = stream(index)
        return FaceAttributes.sample(&rng)
    }

    /// Renders face `index` (any `Int`, typically `0..<count`).
    ///
    /// Returns its labels and `size * size * 3` bytes of RGB, interleaved, row-major, top row
    /// first. Costs about 1 ms in a release build at size 96.
    public func face(index: Int) -> (attributes: FaceAttributes, pixels: [UInt8]) {
        var rng = stream(index)
        let attributes = FaceAttributes.sample(&rng)
        let style = FaceStyle.sample(attributes, size: size, &rng)
        var painter = FacePainter(attributes: attributes, style: style, size: size)
        painter.draw()
        let pixels = finish(painter.canvas.pixels, style: style, rng: &rng)
        return (attributes, pixels)
    }

    private func stream(_ index: Int) -> FaceRandom {
        FaceRandom(seed: seed, stream: UInt64(bitPattern: Int64(index)))
    }

    /// Applies the lighting gradient and per-pixel noise, then quantises to bytes.
    private func finish(_ source: [Double], style: FaceStyle, rng: inout FaceRandom) -> [UInt8] {
        let n = size
        var out = [UInt8](repeating: 0, count: n * n * 3)
        let inv = 1.0 / Double(n)
        // Uniform noise of standard deviation `style.noise`: width sqrt(12) * sd.
        let noiseScale = style.noise * 3.4641016151377544 / 2_097_152.0
        let noiseOffset = style.noise * 1.7320508075688772
        source.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                var y = 0
                while y < n {
                    let ly = style.lightY * ((Double(y) + 0.5) * inv - 0.5) * 2
                    var x = 0
                    while x < n {
                        let lx = style.lightX * ((Double(x) + 0.5) * inv - 0.5) * 2
                        let light = style.brightness * (1 + lx + ly)
                        var bits = rng.next()
                        var i = (y * n + x) * 3
                        let end = i + 3
                        while i < end {
                            let noise = Double(bits & 0x1F_FFFF) * noiseScale - noiseOffset
                            bits >>= 21
                            var value = (src[i] * light + noise) * 255 + 0.5
                            value = value < 0 ? 0 : (value > 255 ? 255 : value)
                            dst[i] = UInt8(value)
                            i += 1
                        }
                        x += 1
                    }
                    y += 1
                }
            }
        }
        return out
    }
}
