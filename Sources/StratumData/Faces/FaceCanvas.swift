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
    /// Distances are within `slack` of a 1-Lipschitz function, and one pixel step moves at
    /// most `1 / pixelsPerUnit` face units, so a pixel at distance `d` lets the loop jump
    /// over the next `d - threshold - 2 * slack` pixels of the row (all fully outside, or all
    /// fully inside and unshaded) with the same result as evaluating each of them.
    mutating func paint(_ shape: FaceShape, _ paint: FacePaint) {
        let f = frame
        let (u0, v0, u1, v1) = shape.bounds
        let corners = [f.pixel(u0, v0), f.pixel(u1, v0), f.pixel(u0, v1), f.pixel(u1, v1)]
        var minX = corners[0].0, maxX = corners[0].0, minY = corners[0].1, maxY = corners[0].1
        for (x, y) in corners {
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

        let invU = 1.0 / (f.scale * f.squash)
        let invV = 1.0 / f.scale
        let cosA = f.cosA, sinA = f.sinA
        let ppu = f.scale * f.squash
        let slackPixels = 0.35
        let slack = slackPixels / ppu
        let guardPixels = 2 * slackPixels + 0.02
        let invEdge = 1.0 / paint.edge
        let alpha = paint.alpha
        let shade = paint.shade
        let shadeDepth = paint.shadeDepth
        let stripes = paint.stripes
        let frequency = paint.stripeFrequency
        let halfEdge = 0.5 * paint.edge
        let solidThreshold = shade > 0 && shadeDepth * ppu > halfEdge ? shadeDepth * ppu : halfEdge
        let cr = paint.color.r, cg = paint.color.g, cb = paint.color.b
        let n = size
        pixels.withUnsafeMutableBufferPointer { buf in
            guard let p = buf.baseAddress else { return }
            var y = y0
            while y <= y1 {
                let dy = Double(y) + 0.5 - f.cy
                var x = x0
                while x <= x1 {
                    let dx = Double(x) + 0.5 - f.cx
                    let u = (cosA * dx + sinA * dy) * invU
                    let v = (cosA * dy - sinA * dx) * invV
                    let d = shape.distance(u, v, slack)
                    let dp = d * ppu
                    var cover = 0.5 - dp * invEdge
                    if cover <= 0 {
                        let jump = dp - halfEdge - guardPixels
                        x += jump >= 1 ? Int(jump) + 1 : 1
                        continue
                    }
                    var k = 1.0
                    var t = 0.0
                    if shade > 0 {
                        t = 1 + d / shadeDepth
                        t = t < 0 ? 0 : (t > 1 ? 1 : t)
                        k -= shade * t * t
                    }
                    var last = x
                    if cover >= 1 && t == 0 {
                        let run = -dp - solidThreshold - guardPixels
                        last = run >= 1 ? x + Int(run) : x
                        last = last > x1 ? x1 : last
                    }
                    cover = (cover > 1 ? 1 : cover) * alpha
                    var xi = x
                    while xi <= last {
                        var kk = k
                        if stripes > 0 {
                            let ux = Double(xi) + 0.5 - f.cx
                            let s = (cosA * ux + sinA * dy) * invU * frequency
                                + (cosA * dy - sinA * ux) * invV * 0.7
                            let whole = Double(Int(s))
                            let frac = s - (whole > s ? whole - 1 : whole)
                            kk *= 1 + stripes * (4 * (frac < 0.5 ? 0.5 - frac : frac - 0.5) - 1)
                        }
                        let i = (y * n + xi) * 3
                        p[i] += (cr * kk - p[i]) * cover
                        p[i + 1] += (cg * kk - p[i + 1]) * cover
                        p[i + 2] += (cb * kk - p[i + 2]) * cover
                        xi += 1
                    }
                    x = last + 1
                }
                y += 1
            }
        }
    }

    /// Largest integer-valued `Double` not above `x`, for `|x| < 2^62` (no libm needed).
    static func floor(_ x: Double) -> Double {
        let t = Double(Int(x))
        return t > x ? t - 1 : t
    }
}
