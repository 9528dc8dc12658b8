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
        var columnLight = [Double](repeating: 0, count: n)
        for x in 0..<n {
            columnLight[x] = style.lightX * ((Double(x) + 0.5) * inv - 0.5) * 2
        }
        // Uniform noise of standard deviation `style.noise`: width sqrt(12) * sd over 21 bits.
        let noiseScale = style.noise * 3.4641016151377544 / 2_097_152.0
        let noiseOffset = style.noise * 1.7320508075688772
        source.withUnsafeBufferPointer { srcBuffer in
            out.withUnsafeMutableBufferPointer { dstBuffer in
                columnLight.withUnsafeBufferPointer { lightBuffer in
                    guard let src = srcBuffer.baseAddress, let dst = dstBuffer.baseAddress,
                        let columns = lightBuffer.baseAddress
                    else { return }
                    // A 64-bit LCG with an xorshift output, seeded from the face stream: far
                    // cheaper per pixel than SplitMix in unoptimised builds, fine for noise.
                    var state = rng.next()
                    var y = 0
                    var i = 0
                    while y < n {
                        let rowLight = 1 + style.lightY * ((Double(y) + 0.5) * inv - 0.5) * 2
                        var x = 0
                        while x < n {
                            let light = style.brightness * (rowLight + columns[x])
                            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                            let bits = state ^ (state >> 29)
                            let n0 = Double(Int(bits & 0x1F_FFFF)) * noiseScale - noiseOffset
                            let n1 = Double(Int((bits >> 21) & 0x1F_FFFF)) * noiseScale - noiseOffset
                            let n2 = Double(Int(bits >> 43)) * noiseScale - noiseOffset
                            let v0 = (src[i] * light + n0) * 255 + 0.5
                            dst[i] = v0 <= 0 ? 0 : (v0 >= 255 ? 255 : UInt8(Int(v0)))
                            let v1 = (src[i + 1] * light + n1) * 255 + 0.5
                            dst[i + 1] = v1 <= 0 ? 0 : (v1 >= 255 ? 255 : UInt8(Int(v1)))
                            let v2 = (src[i + 2] * light + n2) * 255 + 0.5
                            dst[i + 2] = v2 <= 0 ? 0 : (v2 >= 255 ? 255 : UInt8(Int(v2)))
                            i += 3
                            x += 1
                        }
                        y += 1
                    }
                }
            }
        }
        return out
    }
}
