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
            var y = 0
            while y < n {
                let c = top.mixed(bottom, Double(y) / denominator)
                var i = y * n * 3
                let end = i + n * 3
                while i < end {
                    buf[i] = c.r
                    buf[i + 1] = c.g
                    buf[i + 2] = c.b
                    i += 3
                }
                y += 1
            }
        }
    }

    /// Composites `shape` with `paint` over the current pixels.
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
        let x0 = Int(max(0, (minX - pad).rounded(.down)))
        let x1 = Int(min(limit, (maxX + pad).rounded(.up)))
        let y0 = Int(max(0, (minY - pad).rounded(.down)))
        let y1 = Int(min(limit, (maxY + pad).rounded(.up)))
        if x0 > x1 || y0 > y1 { return }

        let invU = 1.0 / (f.scale * f.squash)
        let invV = 1.0 / f.scale
        let pixelsPerUnit = f.scale * f.squash
        let invEdge = 1.0 / paint.edge
        let c = paint.color
        let n = size
        pixels.withUnsafeMutableBufferPointer { buf in
            var y = y0
            while y <= y1 {
                let dy = Double(y) + 0.5 - f.cy
                var x = x0
                while x <= x1 {
                    let dx = Double(x) + 0.5 - f.cx
                    let u = (f.cosA * dx + f.sinA * dy) * invU
                    let v = (f.cosA * dy - f.sinA * dx) * invV
                    let d = shape.distance(u, v)
                    var cover = 0.5 - d * pixelsPerUnit * invEdge
                    if cover > 0 {
                        cover = (cover > 1 ? 1 : cover) * paint.alpha
                        var k = 1.0
                        if paint.shade > 0 {
                            var t = 1 + d / paint.shadeDepth
                            t = t < 0 ? 0 : (t > 1 ? 1 : t)
                            k -= paint.shade * t * t
                        }
                        if paint.stripes > 0 {
                            let s = u * paint.stripeFrequency + v * 0.7
                            let frac = s - s.rounded(.down)
                            let tri = 4 * (frac < 0.5 ? 0.5 - frac : frac - 0.5) - 1
                            k *= 1 + paint.stripes * tri
                        }
                        let i = (y * n + x) * 3
                        buf[i] += (c.r * k - buf[i]) * cover
                        buf[i + 1] += (c.g * k - buf[i + 1]) * cover
                        buf[i + 2] += (c.b * k - buf[i + 2]) * cover
                    }
                    x += 1
                }
                y += 1
            }
        }
    }
}
