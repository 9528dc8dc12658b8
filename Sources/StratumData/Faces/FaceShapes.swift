/// An RGB colour with components nominally in `[0, 1]`.
struct FaceRGB: Sendable {
    var r: Double
    var g: Double
    var b: Double

    /// Multiplies every component by `k`.
    func scaled(_ k: Double) -> FaceRGB { FaceRGB(r: r * k, g: g * k, b: b * k) }

    /// Linear interpolation: `t == 0` gives `self`, `t == 1` gives `other`.
    func mixed(_ other: FaceRGB, _ t: Double) -> FaceRGB {
        FaceRGB(r: r + (other.r - r) * t, g: g + (other.g - g) * t, b: b + (other.b - b) * t)
    }
}

/// An axis-aligned ellipse in face units, with a fast approximate signed distance.
struct FaceEllipse: Sendable {
    let cx: Double
    let cy: Double
    let rx: Double
    let ry: Double
    private let irx: Double
    private let iry: Double
    private let minR: Double

    init(cx: Double, cy: Double, rx: Double, ry: Double) {
        self.cx = cx
        self.cy = cy
        self.rx = rx
        self.ry = ry
        irx = 1 / rx
        iry = 1 / ry
        minR = rx < ry ? rx : ry
    }

    /// Approximate signed distance (face units), exact in sign and accurate near the edge.
    ///
    /// Uses the gradient-normalised implicit `k0 (k0 - 1) / k1` (only `sqrt`), clamped to
    /// within `slack` of the 1-Lipschitz lower bound `(k0 - 1) * min(rx, ry)`. The result is
    /// therefore within `slack` of a 1-Lipschitz function, which `FaceCanvas` relies on to
    /// skip runs of pixels safely.
    func distance(_ u: Double, _ v: Double, _ slack: Double) -> Double {
        let ax = (u - cx) * irx
        let ay = (v - cy) * iry
        let k0 = (ax * ax + ay * ay).squareRoot()
        let lower = (k0 - 1) * minR
        let bx = ax * irx
        let by = ay * iry
        let b2 = bx * bx + by * by
        if b2 < 1e-18 { return lower }
        let d = k0 * (k0 - 1) / b2.squareRoot()
        if d > lower + slack { return lower + slack }
        if d < lower - slack { return lower - slack }
        return d
    }
}

/// The skin silhouette: a cranium ellipse smoothly joined to a jaw ellipse and a jaw box.
struct FaceHead: Sendable {
    var cranium: FaceEllipse
    var jaw: FaceEllipse
    /// Rounded jaw box: centre `(0, boxY)`, half-size `(boxHX, boxHY)`, corner radius `boxR`.
    var boxY: Double
    var boxHX: Double
    var boxHY: Double
    var boxR: Double

    /// Approximate signed distance in face units.
    func distance(_ u: Double, _ v: Double, _ slack: Double) -> Double {
        let a = cranium.distance(u, v, slack)
        let b = jaw.distance(u, v, slack)
        let c = FaceShape.boxDistance(u, v, 0, boxY, boxHX, boxHY, boxR)
        return FaceShape.smoothMin(FaceShape.smoothMin(a, b, 0.35), c, 0.25)
    }
}

/// A filled 2-D shape in face units (u to the right, v downwards).
enum FaceShape: Sendable {
    case ellipse(FaceEllipse)
    /// A segment from `(ax, ay)` to `(bx, by)` thickened by radius `r`.
    case capsule(ax: Double, ay: Double, bx: Double, by: Double, r: Double)
    /// The outline of an ellipse, `halfWidth` thick on each side.
    case ring(FaceEllipse, halfWidth: Double)
    /// A rounded rectangle with centre, half extents and corner radius.
    case box(cx: Double, cy: Double, hx: Double, hy: Double, r: Double)
    /// `outer` minus `inner` (crescents: brows, hairlines, eyelids).
    case crescent(outer: FaceEllipse, inner: FaceEllipse)
    case head(FaceHead)
    /// `head` grown by `grow`, minus the `clear` (upper face) and `mouth` ellipses.
    case beard(FaceHead, clear: FaceEllipse, grow: Double, mouth: FaceEllipse)

    /// Polynomial smooth minimum with blend radius `k` (no transcendental functions).
    static func smoothMin(_ a: Double, _ b: Double, _ k: Double) -> Double {
        let diff = a > b ? a - b : b - a
        let h = k - diff > 0 ? (k - diff) / k : 0
        return (a < b ? a : b) - h * h * k * 0.25
    }

    /// Exact signed distance to a rounded box.
    static func boxDistance(
        _ u: Double, _ v: Double, _ cx: Double, _ cy: Double,
        _ hx: Double, _ hy: Double, _ r: Double
    ) -> Double {
        let du = u - cx
        let dv = v - cy
        let qx = (du < 0 ? -du : du) - hx + r
        let qy = (dv < 0 ? -dv : dv) - hy + r
        let ox = qx > 0 ? qx : 0
        let oy = qy > 0 ? qy : 0
        let inner = qx > qy ? qx : qy
        return (ox * ox + oy * oy).squareRoot() + (inner < 0 ? inner : 0) - r
    }

    /// Signed distance in face units (negative inside), within `slack` of a 1-Lipschitz
    /// function (exact for capsules and boxes).
    func distance(_ u: Double, _ v: Double, _ slack: Double) -> Double {
        switch self {
        case .ellipse(let e):
            return e.distance(u, v, slack)
        case let .capsule(ax, ay, bx, by, r):
            let px = u - ax
            let py = v - ay
            let dx = bx - ax
            let dy = by - ay
            let len2 = dx * dx + dy * dy
            var t = len2 > 0 ? (px * dx + py * dy) / len2 : 0
            t = t < 0 ? 0 : (t > 1 ? 1 : t)
            let ex = px - dx * t
            let ey = py - dy * t
            return (ex * ex + ey * ey).squareRoot() - r
        case let .ring(e, halfWidth):
            let d = e.distance(u, v, slack)
            return (d < 0 ? -d : d) - halfWidth
        case let .box(cx, cy, hx, hy, r):
            return FaceShape.boxDistance(u, v, cx, cy, hx, hy, r)
        case let .crescent(outer, inner):
            let a = outer.distance(u, v, slack)
            let b = -inner.distance(u, v, slack)
            return a > b ? a : b
        case .head(let h):
            return h.distance(u, v, slack)
        case let .beard(h, clear, grow, mouth):
            let a = h.distance(u, v, slack) - grow
            let b = -clear.distance(u, v, slack)
            let c = -mouth.distance(u, v, slack)
            let ab = a > b ? a : b
            return ab > c ? ab : c
        }
    }

    /// A bounding box `(u0, v0, u1, v1)` in face units that contains the whole shape.
    var bounds: (Double, Double, Double, Double) {
        switch self {
        case .ellipse(let e):
            return (e.cx - e.rx, e.cy - e.ry, e.cx + e.rx, e.cy + e.ry)
        case let .capsule(ax, ay, bx, by, r):
            return ((ax < bx ? ax : bx) - r, (ay < by ? ay : by) - r,
                    (ax > bx ? ax : bx) + r, (ay > by ? ay : by) + r)
        case let .ring(e, w):
            return (e.cx - e.rx - w, e.cy - e.ry - w, e.cx + e.rx + w, e.cy + e.ry + w)
        case let .box(cx, cy, hx, hy, _):
            return (cx - hx, cy - hy, cx + hx, cy + hy)
        case let .crescent(e, _):
            return (e.cx - e.rx, e.cy - e.ry, e.cx + e.rx, e.cy + e.ry)
        case .head(let h):
            return FaceShape.headBounds(h, grow: 0)
        case let .beard(h, _, grow, _):
            return FaceShape.headBounds(h, grow: grow)
        }
    }

    private static func headBounds(_ h: FaceHead, grow: Double) -> (Double, Double, Double, Double) {
        let c = h.cranium
        let j = h.jaw
        let pad = grow + 0.1
        let left = min(c.cx - c.rx, j.cx - j.rx, -h.boxHX) - pad
        let right = max(c.cx + c.rx, j.cx + j.rx, h.boxHX) + pad
        let top = min(c.cy - c.ry, j.cy - j.ry, h.boxY - h.boxHY) - pad
        let bottom = max(c.cy + c.ry, j.cy + j.ry, h.boxY + h.boxHY) + pad
        return (left, top, right, bottom)
    }
}
