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

    /// The pixel loop of `paint`, over the inclusive pixel box `x0...x1 × y0...y1`.
    ///
    /// Written call-free and with every variable hoisted out of the loops: unoptimised Swift
    /// spends most of its time on calls and per-iteration local set-up, and the test suite
    /// renders in debug. The common shapes (round ellipses, boxes, heads, crescents) are
    /// evaluated inline, matching `FaceShape.distance`; the rest fall back to calling it.
    private mutating func raster(_ shape: FaceShape, _ paint: FacePaint, _ x0: Int, _ x1: Int, _ y0: Int, _ y1: Int) {
        let f = frame
        let invU = 1.0 / (f.scale * f.squash)
        let invV = 1.0 / f.scale
        let ppu = f.scale * f.squash
        let slackPixels = 0.35
        let slack = slackPixels / ppu
        let invEdge = 1.0 / paint.edge
        let halfEdge = 0.5 * paint.edge
        let (alpha, shade, shadeDepth) = (paint.alpha, paint.shade, paint.shadeDepth)
        let (stripes, frequency) = (paint.stripes, paint.stripeFrequency)
        let solid = shade > 0 && shadeDepth * ppu > halfEdge ? shadeDepth * ppu : halfEdge
        let (cr, cg, cb) = (paint.color.r, paint.color.g, paint.color.b)
        let (cx, cy, cosA, sinA) = (f.cx, f.cy, f.cosA, f.sinA)
        let (ex0, ey0, ix0, iy0, m0) = (shape.ax0, shape.ay0, shape.ix0, shape.iy0, shape.m0)
        let (ex1, ey1, ix1, iy1, m1) = (shape.ax1, shape.ay1, shape.ix1, shape.iy1, shape.m1)
        let (p0, p1, p2, p3, p4) = (shape.p0, shape.p1, shape.p2, shape.p3, shape.p4)
        let fast: Int
        switch shape.kind {
        case .ellipse: fast = shape.round0 ? 1 : 0
        case .box: fast = 2
        case .head: fast = shape.round0 && shape.round1 ? 3 : 0
        case .crescent: fast = shape.round0 && shape.round1 ? 4 : 0
        default: fast = 0
        }
        // The inline paths are 1-Lipschitz (no slack); 0.02 px absorbs rounding.
        let guardPixels = fast == 0 ? 2 * slackPixels + 0.02 : 0.02
        // Strand texture phase: linear in x along a row.
        let stripeStep = (cosA * invU * frequency - sinA * invV * 0.7)
        let n = size
        pixels.withUnsafeMutableBufferPointer { buf in
            guard let p = buf.baseAddress else { return }
            var (u, v, d, a, b, c, h, dx, dy) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
            var (cover, k, kk, t, s, frac) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
            var (x, y, last, xi, i) = (0, y0, 0, 0, 0)
            while y <= y1 {
                dy = Double(y) + 0.5 - cy
                x = x0
                while x <= x1 {
                    dx = Double(x) + 0.5 - cx
                    u = (cosA * dx + sinA * dy) * invU
                    v = (cosA * dy - sinA * dx) * invV
                    switch fast {
                    case 1:
                        d = ((((u - ex0) * ix0) * ((u - ex0) * ix0) + ((v - ey0) * iy0) * ((v - ey0) * iy0)).squareRoot() - 1) * m0
                    case 2:
                        a = (u < p0 ? p0 - u : u - p0) - p2 + p4
                        b = (v < p1 ? p1 - v : v - p1) - p3 + p4
                        d = ((a > 0 ? a * a : 0) + (b > 0 ? b * b : 0)).squareRoot()
                            + (a > b ? (a < 0 ? a : 0) : (b < 0 ? b : 0)) - p4
                    case 3:
                        a = ((((u - ex0) * ix0) * ((u - ex0) * ix0) + ((v - ey0) * iy0) * ((v - ey0) * iy0)).squareRoot() - 1) * m0
                        b = ((((u - ex1) * ix1) * ((u - ex1) * ix1) + ((v - ey1) * iy1) * ((v - ey1) * iy1)).squareRoot() - 1) * m1
                        h = 0.35 - (a > b ? a - b : b - a) > 0 ? (0.35 - (a > b ? a - b : b - a)) / 0.35 : 0
                        d = (a < b ? a : b) - h * h * 0.35 * 0.25
                        a = (u < 0 ? -u : u) - p1 + p3
                        b = (v < p0 ? p0 - v : v - p0) - p2 + p3
                        c = ((a > 0 ? a * a : 0) + (b > 0 ? b * b : 0)).squareRoot()
                            + (a > b ? (a < 0 ? a : 0) : (b < 0 ? b : 0)) - p3
                        h = 0.25 - (d > c ? d - c : c - d) > 0 ? (0.25 - (d > c ? d - c : c - d)) / 0.25 : 0
                        d = (d < c ? d : c) - h * h * 0.25 * 0.25
                    case 4:
                        a = ((((u - ex0) * ix0) * ((u - ex0) * ix0) + ((v - ey0) * iy0) * ((v - ey0) * iy0)).squareRoot() - 1) * m0
                        b = -((((u - ex1) * ix1) * ((u - ex1) * ix1) + ((v - ey1) * iy1) * ((v - ey1) * iy1)).squareRoot() - 1) * m1
                        d = a > b ? a : b
                    default:
                        d = shape.distance(u, v, slack)
                    }
                    cover = 0.5 - d * ppu * invEdge
                    if cover <= 0 {
                        // Fully outside: jump over pixels that must be outside too.
                        t = d * ppu - halfEdge - guardPixels
                        x += t >= 1 ? Int(t) + 1 : 1
                        continue
                    }
                    k = 1.0
                    t = 0.0
                    if shade > 0 {
                        t = 1 + d / shadeDepth
                        t = t < 0 ? 0 : (t > 1 ? 1 : t)
                        k -= shade * t * t
                    }
                    last = x
                    if cover >= 1 && t == 0 {
                        // Fully inside and unshaded: the following pixels are too.
                        t = -d * ppu - solid - guardPixels
                        last = t >= 1 ? x + Int(t) : x
                        last = last > x1 ? x1 : last
                    }
                    cover = (cover > 1 ? 1 : cover) * alpha
                    if stripes > 0 {
                        s = u * frequency + v * 0.7
                        frac = Double(Int(s))
                        frac = s - (frac > s ? frac - 1 : frac)
                    }
                    xi = x
                    i = (y * n + x) * 3
                    while xi <= last {
                        kk = k
                        if stripes > 0 {
                            kk *= 1 + stripes * (4 * (frac < 0.5 ? 0.5 - frac : frac - 0.5) - 1)
                            frac += stripeStep
                            frac = frac >= 1 ? frac - 1 : (frac < 0 ? frac + 1 : frac)
                        }
                        p[i] += (cr * kk - p[i]) * cover
                        p[i + 1] += (cg * kk - p[i + 1]) * cover
                        p[i + 2] += (cb * kk - p[i + 2]) * cover
                        i += 3
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
