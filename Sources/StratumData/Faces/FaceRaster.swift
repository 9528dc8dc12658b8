extension FaceCanvas {
    /// The pixel loop of `paint`, over the inclusive pixel box `x0...x1 × y0...y1`.
    ///
    /// Each row is marched left to right. Distances are within `slack` of a 1-Lipschitz
    /// function and one pixel step moves at most `1 / ppu` face units, so a pixel at
    /// distance `d` proves the next `d·ppu - threshold - 2·slack·ppu` pixels of the row
    /// fully outside (skipped) or fully inside and unshaded (filled without evaluating),
    /// giving the same bytes as evaluating every pixel. For row-convex shapes (round
    /// ellipses, boxes, capsules, heads) the march restarts from the right end at the first
    /// fully inside pixel, and everything between the two inside pixels is filled.
    ///
    /// The loop is written call-free with every variable hoisted out of it, because
    /// unoptimised Swift spends most of its time on calls and per-iteration local set-up
    /// and the test suite renders in debug. Shapes are evaluated inline exactly as
    /// `FaceShape.distance` would; only beards fall back to calling it.
    mutating func raster(
        _ shape: FaceShape, _ paint: FacePaint, _ x0: Int, _ x1: Int, _ y0: Int, _ y1: Int
    ) {
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
        let (round0, round1) = (shape.round0, shape.round1)
        let (p0, p1, p2, p3, p4) = (shape.p0, shape.p1, shape.p2, shape.p3, shape.p4)
        // 1 ellipse, 2 box, 3 head, 4 crescent, 5 capsule, 6 ring, 0 call `distance`.
        let kind: Int
        switch shape.kind {
        case .ellipse: kind = 1
        case .box: kind = 2
        case .head: kind = 3
        case .crescent: kind = 4
        case .capsule: kind = 5
        case .ring: kind = 6
        case .beard: kind = 0
        }
        let usesSlot0 = kind == 1 || kind == 3 || kind == 4 || kind == 6
        let usesSlot1 = kind == 3 || kind == 4
        let convex = kind == 2 || kind == 5 || (kind == 1 && round0) || (kind == 3 && round0 && round1)
        // Round ellipses, boxes and capsules are 1-Lipschitz; clamped ellipses need 2 slack.
        let exact = kind == 2 || kind == 5 || (usesSlot0 && round0 && (!usesSlot1 || round1))
        let guardPixels = exact ? 0.02 : 2 * slackPixels + 0.02
        // Strand phase advance per pixel, reduced to [0, 1) so one wrap per step suffices.
        let rawStep = cosA * invU * frequency - sinA * invV * 0.7
        let stripeStep = rawStep - FaceCanvas.floor(rawStep)
        let n = size
        pixels.withUnsafeMutableBufferPointer { buf in
            guard let p = buf.baseAddress else { return }
            var (u, v, d, a, b, c, g, h, e0, e1) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
            var (cover, k, kk, t, s, frac, dx, dy) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
            var (x, y, step, xs, fa, fb, xi, i) = (0, y0, 1, -1, 0, 0, 0, 0)
            while y <= y1 {
                dy = Double(y) + 0.5 - cy
                x = x0
                step = 1
                xs = -1
                while step > 0 ? x <= x1 : x > xs {
                    dx = Double(x) + 0.5 - cx
                    u = (cosA * dx + sinA * dy) * invU
                    v = (cosA * dy - sinA * dx) * invV
                    if usesSlot0 {
                        a = (u - ex0) * ix0
                        b = (v - ey0) * iy0
                        c = (a * a + b * b).squareRoot()
                        e0 = (c - 1) * m0
                        if !round0 {
                            a *= ix0
                            b *= iy0
                            g = (a * a + b * b).squareRoot()
                            if g >= 1e-9 {
                                h = c * (c - 1) / g
                                e0 = h > e0 + slack ? e0 + slack : (h < e0 - slack ? e0 - slack : h)
                            }
                        }
                    }
                    if usesSlot1 {
                        a = (u - ex1) * ix1
                        b = (v - ey1) * iy1
                        c = (a * a + b * b).squareRoot()
                        e1 = (c - 1) * m1
                        if !round1 {
                            a *= ix1
                            b *= iy1
                            g = (a * a + b * b).squareRoot()
                            if g >= 1e-9 {
                                h = c * (c - 1) / g
                                e1 = h > e1 + slack ? e1 + slack : (h < e1 - slack ? e1 - slack : h)
                            }
                        }
                    }
                    switch kind {
                    case 1:
                        d = e0
                    case 2:
                        a = (u < p0 ? p0 - u : u - p0) - p2 + p4
                        b = (v < p1 ? p1 - v : v - p1) - p3 + p4
                        d = ((a > 0 ? a * a : 0) + (b > 0 ? b * b : 0)).squareRoot()
                            + (a > b ? (a < 0 ? a : 0) : (b < 0 ? b : 0)) - p4
                    case 3:
                        // smoothMin(smoothMin(cranium, jaw, 0.35), jaw box, 0.25)
                        h = 0.35 - (e0 > e1 ? e0 - e1 : e1 - e0)
                        h = h > 0 ? h / 0.35 : 0
                        d = (e0 < e1 ? e0 : e1) - h * h * 0.35 * 0.25
                        a = (u < 0 ? -u : u) - p1 + p3
                        b = (v < p0 ? p0 - v : v - p0) - p2 + p3
                        c = ((a > 0 ? a * a : 0) + (b > 0 ? b * b : 0)).squareRoot()
                            + (a > b ? (a < 0 ? a : 0) : (b < 0 ? b : 0)) - p3
                        h = 0.25 - (d > c ? d - c : c - d)
                        h = h > 0 ? h / 0.25 : 0
                        d = (d < c ? d : c) - h * h * 0.25 * 0.25
                    case 4:
                        d = e0 > -e1 ? e0 : -e1
                    case 5:
                        a = p2 - p0
                        b = p3 - p1
                        g = a * a + b * b
                        t = g > 0 ? ((u - p0) * a + (v - p1) * b) / g : 0
                        t = t < 0 ? 0 : (t > 1 ? 1 : t)
                        a = u - p0 - a * t
                        b = v - p1 - b * t
                        d = (a * a + b * b).squareRoot() - p4
                    case 6:
                        d = (e0 < 0 ? -e0 : e0) - p0
                    default:
                        d = shape.distance(u, v, slack)
                    }
                    cover = 0.5 - d * ppu * invEdge
                    if cover <= 0 {
                        // Fully outside: so are the next `t` pixels in the marching direction.
                        t = d * ppu - halfEdge - guardPixels
                        x += t >= 1 ? step * (Int(t) + 1) : step
                        continue
                    }
                    k = 1.0
                    t = 0.0
                    if shade > 0 {
                        t = 1 + d / shadeDepth
                        t = t < 0 ? 0 : (t > 1 ? 1 : t)
                        k -= shade * t * t
                    }
                    fa = x
                    fb = x
                    if cover >= 1 && t == 0 {
                        if convex {
                            if step > 0 {
                                xs = x
                            } else {
                                fa = xs + 1
                            }
                        } else {
                            t = -d * ppu - solid - guardPixels
                            fb = t >= 1 ? x + Int(t) : x
                            fb = fb > x1 ? x1 : fb
                        }
                    }
                    cover = (cover > 1 ? 1 : cover) * alpha
                    if stripes > 0 {
                        dx = Double(fa) + 0.5 - cx
                        s = (cosA * dx + sinA * dy) * invU * frequency
                            + (cosA * dy - sinA * dx) * invV * 0.7
                        frac = Double(Int(s))
                        frac = s - (frac > s ? frac - 1 : frac)
                    }
                    xi = fa
                    i = (y * n + fa) * 3
                    while xi <= fb {
                        kk = k
                        if stripes > 0 {
                            kk *= 1 + stripes * (4 * (frac < 0.5 ? 0.5 - frac : frac - 0.5) - 1)
                            frac += stripeStep
                            frac = frac >= 1 ? frac - 1 : frac
                        }
                        if cover == 1 {
                            p[i] = cr * kk
                            p[i + 1] = cg * kk
                            p[i + 2] = cb * kk
                        } else {
                            p[i] += (cr * kk - p[i]) * cover
                            p[i + 1] += (cg * kk - p[i + 1]) * cover
                            p[i + 2] += (cb * kk - p[i + 2]) * cover
                        }
                        i += 3
                        xi += 1
                    }
                    if step < 0 {
                        // Right-to-left march: stop once the inside run has been filled.
                        x = fa == x ? x - 1 : xs
                    } else if xs == x {
                        // First fully inside pixel of a row-convex shape: march from the right.
                        step = -1
                        x = x1
                    } else {
                        x = fb + 1
                    }
                }
                y += 1
            }
        }
    }
}
