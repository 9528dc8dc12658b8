/// Maps face units (u right, v down, head half-width ≈ 1) to pixel coordinates.
///
/// The head is rotated in-plane by the angle whose cosine/sine are `cosA`/`sinA` (kept
/// normalised by the caller with `sqrt`, no trigonometry) and compressed horizontally by
/// `squash` to mimic a small yaw.
struct FaceFrame: Sendable {
    var cx: Double
    var cy: Double
    var scale: Double
    var squash: Double
    var cosA: Double
    var sinA: Double

    /// Pixel position of the face point `(u, v)`.
    func pixel(_ u: Double, _ v: Double) -> (Double, Double) {
        let du = u * scale * squash
        let dv = v * scale
        return (cx + cosA * du - sinA * dv, cy + sinA * du + cosA * dv)
    }
}

/// How a shape is filled: colour, opacity, edge softness and optional texture.
struct FacePaint: Sendable {
    var color: FaceRGB
    /// Overall opacity in `[0, 1]`.
    var alpha: Double = 1
    /// Width of the soft edge in pixels (1 gives plain anti-aliasing).
    var edge: Double = 1
    /// Darkening at the rim, fading to none `shadeDepth` face units inside.
    var shade: Double = 0
    var shadeDepth: Double = 0.3
    /// Amplitude of a vertical strand texture (hair), 0 for none.
    var stripes: Double = 0
    var stripeFrequency: Double = 9
}

/// A floating-point RGB raster that shapes are composited onto back to front.
///
/// Pixels are interleaved RGB, row-major, nominally in `[0, 1]`; each shape touches only the
/// pixels of its bounding box, and coverage comes from the signed distance (no supersampling).
struct FaceCanvas {
    let size: Int
    let frame: FaceFrame
    var pixels: [Double]

    init(size: Int, frame: FaceFrame) {
        self.size = size
        self.frame = frame
        self.pixels = [Double](repeating: 0, count: size * size * 3)
    }

    /// Fills the whole canvas with a vertical gradient from `top` to `bottom`.
    mutating func fillBackground(top: FaceRGB, bottom: FaceRGB) {
        let n = size
        let denominator = Double(n > 1 ? n - 1 : 1)
        pixels.withUnsafeMutableBufferPointer { buf in
            guard let p = buf.baseAddress else { return }
            var y = 0
            while y < n {
                let c = top.mixed(bottom, Double(y) / denominator)
                var i = y * n * 3
                let end = i + n * 3
                while i < end {
                    p[i] = c.r
                    p[i + 1] = c.g
                    p[i + 2] = c.b
                    i += 3
                }
                y += 1
            }
        }
    }

    /// Composites `shape` with `paint` over the current pixels.
    ///
    /// Only the pixels of the shape's bounding box (plus the soft edge) are visited; see
    /// `raster` for how most of those are skipped or filled without evaluating the shape.
    mutating func paint(_ shape: FaceShape, _ paint: FacePaint) {
        let f = frame
        let (u0, v0, u1, v1) = shape.bounds
        var minX = Double.infinity, maxX = -Double.infinity
        var minY = Double.infinity, maxY = -Double.infinity
        for (x, y) in [f.pixel(u0, v0), f.pixel(u1, v0), f.pixel(u0, v1), f.pixel(u1, v1)] {
            minX = x < minX ? x : minX
            maxX = x > maxX ? x : maxX
            minY = y < minY ? y : minY
            maxY = y > maxY ? y : maxY
        }
        let pad = paint.edge + 1
        let limit = Double(size - 1)
        let x0 = Int(FaceCanvas.floor(minX - pad < 0 ? 0 : minX - pad))
        let x1 = Int(FaceCanvas.floor(maxX + pad > limit ? limit : maxX + pad))
        let y0 = Int(FaceCanvas.floor(minY - pad < 0 ? 0 : minY - pad))
        let y1 = Int(FaceCanvas.floor(maxY + pad > limit ? limit : maxY + pad))
        if x0 > x1 || y0 > y1 { return }
        raster(shape, paint, x0, x1, y0, y1)
    }

    /// Largest integer-valued `Double` not above `x`, for `|x| < 2^62` (no libm needed).
    static func floor(_ x: Double) -> Double {
        let t = Double(Int(x))
        return t > x ? t - 1 : t
    }
}
