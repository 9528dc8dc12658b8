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
    let irx: Double
    let iry: Double
    let minR: Double
    /// Aspect ratio at most 1.35: the cheap lower bound is used as the distance.
    let roundish: Bool

    init(cx: Double, cy: Double, rx: Double, ry: Double) {
        self.cx = cx
        self.cy = cy
        self.rx = rx
        self.ry = ry
        irx = 1 / rx
        iry = 1 / ry
        minR = rx < ry ? rx : ry
        roundish = (rx < ry ? ry / rx : rx / ry) <= 1.35
    }

    /// Approximate signed distance (face units), exact in sign and accurate near the edge.
    func distance(_ u: Double, _ v: Double, _ slack: Double) -> Double {
        FaceEllipse.distance(u - cx, v - cy, irx, iry, minR, roundish, slack)
    }

    /// Signed distance of the offset `(px, py)` from the centre; scalar arguments only, so
    /// unoptimised builds do not copy structs per pixel.
    ///
    /// Returns the 1-Lipschitz lower bound `(k0 - 1) * min(rx, ry)` for near-round ellipses
    /// (where it is close enough for anti-aliasing); otherwise the gradient-normalised
    /// implicit `k0 (k0 - 1) / k1` (only `sqrt`) clamped to within `slack` of that bound.
    /// Either way the result is within `slack` of a 1-Lipschitz function, which
    /// `FaceCanvas` relies on to skip runs of pixels safely.
    static func distance(
        _ px: Double, _ py: Double, _ irx: Double, _ iry: Double, _ minR: Double,
        _ roundish: Bool, _ slack: Double
    ) -> Double {
        let ax = px * irx
        let ay = py * iry
        let k0 = (ax * ax + ay * ay).squareRoot()
        let lower = (k0 - 1) * minR
        if roundish { return lower }
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
}

/// A filled 2-D shape in face units (u to the right, v downwards).
///
/// Stored flat (a kind plus up to four ellipses and five scalars) rather than as an enum
/// with payloads, because unoptimised builds copy and zero large enum payloads on every
/// per-pixel `distance` call. Build values with the static constructors.
struct FaceShape: Sendable {
    enum Kind: Sendable { case ellipse, capsule, ring, box, crescent, head, beard }

    let kind: Kind
    /// Ellipse slots 0...3, flattened: centre, inverse radii, minimum radius, roundness.
    let ax0, ay0, ix0, iy0, m0: Double, round0: Bool
    let ax1, ay1, ix1, iy1, m1: Double, round1: Bool
    let ax2, ay2, ix2, iy2, m2: Double, round2: Bool
    let ax3, ay3, ix3, iy3, m3: Double, round3: Bool
    /// The slot-0 and slot-1 ellipses themselves, for bounds.
    let e0: FaceEllipse
    let e1: FaceEllipse
    let p0: Double
    let p1: Double
    let p2: Double
    let p3: Double
    let p4: Double

    private static let none = FaceEllipse(cx: 0, cy: 0, rx: 1, ry: 1)

    private init(
        _ kind: Kind, _ e0: FaceEllipse = none, _ e1: FaceEllipse = none,
        _ e2: FaceEllipse = none, _ e3: FaceEllipse = none, p: [Double] = []
    ) {
        self.kind = kind
        (ax0, ay0, ix0, iy0, m0, round0) = (e0.cx, e0.cy, e0.irx, e0.iry, e0.minR, e0.roundish)
        (ax1, ay1, ix1, iy1, m1, round1) = (e1.cx, e1.cy, e1.irx, e1.iry, e1.minR, e1.roundish)
        (ax2, ay2, ix2, iy2, m2, round2) = (e2.cx, e2.cy, e2.irx, e2.iry, e2.minR, e2.roundish)
        (ax3, ay3, ix3, iy3, m3, round3) = (e3.cx, e3.cy, e3.irx, e3.iry, e3.minR, e3.roundish)
        self.e0 = e0
        self.e1 = e1
        p0 = p.count > 0 ? p[0] : 0
        p1 = p.count > 1 ? p[1] : 0
        p2 = p.count > 2 ? p[2] : 0
        p3 = p.count > 3 ? p[3] : 0
        p4 = p.count > 4 ? p[4] : 0
    }

    static func ellipse(_ e: FaceEllipse) -> FaceShape { FaceShape(.ellipse, e) }

    /// A segment from `(ax, ay)` to `(bx, by)` thickened by radius `r`.
    static func capsule(ax: Double, ay: Double, bx: Double, by: Double, r: Double) -> FaceShape {
        FaceShape(.capsule, p: [ax, ay, bx, by, r])
    }

    /// The outline of an ellipse, `halfWidth` thick on each side.
    static func ring(_ e: FaceEllipse, halfWidth: Double) -> FaceShape {
        FaceShape(.ring, e, p: [halfWidth])
    }

    /// A rounded rectangle with centre, half extents and corner radius.
    static func box(cx: Double, cy: Double, hx: Double, hy: Double, r: Double) -> FaceShape {
        FaceShape(.box, p: [cx, cy, hx, hy, r])
    }

    /// `outer` minus `inner` (crescents: brows, hairlines, eyelids).
    static func crescent(outer: FaceEllipse, inner: FaceEllipse) -> FaceShape {
        FaceShape(.crescent, outer, inner)
    }

    static func head(_ h: FaceHead) -> FaceShape {
        FaceShape(.head, h.cranium, h.jaw, p: [h.boxY, h.boxHX, h.boxHY, h.boxR, 0])
    }

    /// `head` grown by `grow`, minus the `clear` (upper face) and `mouth` ellipses.
    static func beard(_ h: FaceHead, clear: FaceEllipse, grow: Double, mouth: FaceEllipse) -> FaceShape {
        FaceShape(.beard, h.cranium, h.jaw, clear, mouth, p: [h.boxY, h.boxHX, h.boxHY, h.boxR, grow])
    }

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
        switch kind {
        case .ellipse:
            return FaceEllipse.distance(u - ax0, v - ay0, ix0, iy0, m0, round0, slack)
        case .capsule:
            let px = u - p0
            let py = v - p1
            let dx = p2 - p0
            let dy = p3 - p1
            let len2 = dx * dx + dy * dy
            var t = len2 > 0 ? (px * dx + py * dy) / len2 : 0
            t = t < 0 ? 0 : (t > 1 ? 1 : t)
            let ex = px - dx * t
            let ey = py - dy * t
            return (ex * ex + ey * ey).squareRoot() - p4
        case .ring:
            let d = FaceEllipse.distance(u - ax0, v - ay0, ix0, iy0, m0, round0, slack)
            return (d < 0 ? -d : d) - p0
        case .box:
            return FaceShape.boxDistance(u, v, p0, p1, p2, p3, p4)
        case .crescent:
            let a = FaceEllipse.distance(u - ax0, v - ay0, ix0, iy0, m0, round0, slack)
            let b = -FaceEllipse.distance(u - ax1, v - ay1, ix1, iy1, m1, round1, slack)
            return a > b ? a : b
        case .head:
            return headDistance(u, v, slack)
        case .beard:
            let a = headDistance(u, v, slack) - p4
            let b = -FaceEllipse.distance(u - ax2, v - ay2, ix2, iy2, m2, round2, slack)
            let c = -FaceEllipse.distance(u - ax3, v - ay3, ix3, iy3, m3, round3, slack)
            let ab = a > b ? a : b
            return ab > c ? ab : c
        }
    }

    private func headDistance(_ u: Double, _ v: Double, _ slack: Double) -> Double {
        let a = FaceEllipse.distance(u - ax0, v - ay0, ix0, iy0, m0, round0, slack)
        let b = FaceEllipse.distance(u - ax1, v - ay1, ix1, iy1, m1, round1, slack)
        let c = FaceShape.boxDistance(u, v, 0, p0, p1, p2, p3)
        return FaceShape.smoothMin(FaceShape.smoothMin(a, b, 0.35), c, 0.25)
    }

    /// A bounding box `(u0, v0, u1, v1)` in face units that contains the whole shape.
    var bounds: (Double, Double, Double, Double) {
        switch kind {
        case .ellipse, .crescent:
            return (e0.cx - e0.rx, e0.cy - e0.ry, e0.cx + e0.rx, e0.cy + e0.ry)
        case .capsule:
            return ((p0 < p2 ? p0 : p2) - p4, (p1 < p3 ? p1 : p3) - p4,
                    (p0 > p2 ? p0 : p2) + p4, (p1 > p3 ? p1 : p3) + p4)
        case .ring:
            return (e0.cx - e0.rx - p0, e0.cy - e0.ry - p0, e0.cx + e0.rx + p0, e0.cy + e0.ry + p0)
        case .box:
            return (p0 - p2, p1 - p3, p0 + p2, p1 + p3)
        case .head, .beard:
            // The smooth unions bulge by at most k / 4 < 0.1 beyond the plain union.
            let pad = (kind == .beard ? p4 : 0) + 0.1
            let left = min(e0.cx - e0.rx, e1.cx - e1.rx, -p1) - pad
            let right = max(e0.cx + e0.rx, e1.cx + e1.rx, p1) + pad
            let top = min(e0.cy - e0.ry, e1.cy - e1.ry, p0 - p2) - pad
            let bottom = max(e0.cy + e0.ry, e1.cy + e1.ry, p0 + p2) + pad
            return (left, top, right, bottom)
        }
    }
}
