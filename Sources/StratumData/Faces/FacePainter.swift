/// Draws one cartoon face, back to front, from its attributes and sampled style.
///
/// Layers: background, hair behind the head, shoulders, long strands over the shoulders,
/// neck, ears, head, cheeks, beard, nose, mouth, eyes, brows, wrinkles, hair over the
/// forehead, glasses. Lighting and pixel noise are applied later by `FaceRenderer`.
struct FacePainter {
    let attributes: FaceAttributes
    let style: FaceStyle
    var canvas: FaceCanvas

    init(attributes: FaceAttributes, style: FaceStyle, size: Int) {
        self.attributes = attributes
        self.style = style
        self.canvas = FaceCanvas(size: size, frame: style.frame)
    }

    /// Renders every layer into `canvas`.
    mutating func draw() {
        let s = style
        canvas.fillBackground(top: s.background.0, bottom: s.background.1)
        drawHairBehind()
        drawBody()
        drawHead()
        if s.beardStyle >= 0 { drawBeard() }
        drawNoseAndMouth()
        drawEyes()
        drawHairFront()
        if attributes.hairLength == "short" { drawEars() }
        if attributes.glasses { drawGlasses() }
    }

    private var hairOuter: FaceEllipse {
        let vol = style.hairVolume
        if attributes.hairLength == "short" {
            return FaceEllipse(cx: 0, cy: -0.3, rx: 1.05 * vol, ry: 1.07 * vol)
        }
        return FaceEllipse(cx: 0, cy: -0.17, rx: 1.14 * vol, ry: 1.27 * vol)
    }

    private var hairPaint: FacePaint {
        FacePaint(color: style.hair, shade: 0.35, shadeDepth: 0.07, stripes: 0.07, stripeFrequency: 10)
    }

    private mutating func drawHairBehind() {
        canvas.paint(.ellipse(hairOuter), hairPaint)
        if attributes.hairLength == "short" { return }
        let top = -0.45
        let bottom = style.hairBottom
        let halfWidth = hairOuter.rx * (attributes.hairLength == "long" ? 1.04 : 0.98)
        canvas.paint(
            .box(cx: 0, cy: (top + bottom) / 2, hx: halfWidth, hy: (bottom - top) / 2, r: 0.38),
            hairPaint)
    }

    private mutating func drawBody() {
        let s = style
        let k = s.childness
        let shoulderHalfWidth = 1.75 + 0.3 * s.bodyMasculinity - 0.45 * k
        canvas.paint(
            .box(cx: 0, cy: 2.4, hx: shoulderHalfWidth, hy: 0.75, r: 0.6),
            FacePaint(color: s.clothing, shade: 0.25, shadeDepth: 0.1))
        if attributes.hairLength == "long" {
            let w = 0.22 * s.hairVolume
            let x = hairOuter.rx - w
            let hy = (s.hairBottom - 0.1) / 2
            for side in [-1.0, 1.0] {
                canvas.paint(.box(cx: side * x, cy: 0.1 + hy, hx: w, hy: hy, r: w * 0.9), hairPaint)
            }
        }
        let neckHX = 0.31 + 0.1 * s.bodyMasculinity - 0.04 * k
        canvas.paint(.box(cx: 0, cy: 1.35, hx: neckHX, hy: 0.55, r: 0.12), FacePaint(color: s.skin.scaled(0.88)))
        let chin = s.head.jaw.cy + s.head.jaw.ry
        canvas.paint(
            .ellipse(FaceEllipse(cx: 0, cy: chin + 0.02, rx: neckHX + 0.02, ry: 0.16)),
            FacePaint(color: s.skin.scaled(0.6), alpha: 0.5, edge: 3))
        if attributes.hairLength != "short" { drawEars() }
    }

    private mutating func drawEars() {
        let s = style
        let earX = s.head.cranium.rx - 0.03
        for side in [-1.0, 1.0] {
            canvas.paint(
                .ellipse(FaceEllipse(cx: side * earX, cy: 0.1, rx: 0.13, ry: 0.2)),
                FacePaint(color: s.skin.scaled(0.93), shade: 0.25, shadeDepth: 0.08))
        }
    }

    private mutating func drawHead() {
        let s = style
        canvas.paint(.head(s.head), FacePaint(color: s.skin, shade: 0.2, shadeDepth: 0.15))
        let blush = 0.06 + 0.1 * s.lipFemininity + 0.12 * s.childness
        for side in [-1.0, 1.0] {
            canvas.paint(
                .ellipse(FaceEllipse(cx: side * 0.55 + s.yaw * 0.1, cy: 0.38, rx: 0.17, ry: 0.11)),
                FacePaint(color: FaceRGB(r: 0.9, g: 0.35, b: 0.4), alpha: blush, edge: 4))
        }
    }

    private var mouthY: Double { 0.72 - 0.1 * style.childness }
    private var mouthHalfWidth: Double { 0.25 + 0.03 * style.bodyMasculinity - 0.03 * style.childness }

    private mutating func drawBeard() {
        let s = style
        let color = s.hair.scaled(0.8)
        let mouth = FaceEllipse(cx: s.yaw * 0.12, cy: mouthY, rx: mouthHalfWidth + 0.02, ry: 0.07)
        switch s.beardStyle {
        case 0:  // stubble
            let clear = FaceEllipse(cx: s.yaw * 0.1, cy: -0.2, rx: 0.8, ry: 0.66)
            canvas.paint(
                .beard(s.head, clear: clear, grow: 0, mouth: mouth),
                FacePaint(color: color, alpha: 0.24, edge: 4))
        case 1:  // full beard
            let clear = FaceEllipse(cx: s.yaw * 0.1, cy: -0.2, rx: 0.78, ry: 0.6)
            canvas.paint(
                .beard(s.head, clear: clear, grow: 0.1, mouth: mouth),
                FacePaint(color: color, alpha: 0.92, edge: 1.5, shade: 0.2, shadeDepth: 0.1,
                          stripes: 0.1, stripeFrequency: 14))
        default:  // moustache and goatee over light stubble
            let clear = FaceEllipse(cx: s.yaw * 0.1, cy: -0.2, rx: 0.8, ry: 0.66)
            canvas.paint(
                .beard(s.head, clear: clear, grow: 0, mouth: mouth),
                FacePaint(color: color, alpha: 0.2, edge: 3))
            let m = FaceEllipse(cx: s.yaw * 0.12, cy: mouthY - 0.07, rx: mouthHalfWidth + 0.04, ry: 0.07)
            canvas.paint(.ellipse(m), FacePaint(color: color, alpha: 0.9))
            let g = FaceEllipse(cx: s.yaw * 0.1, cy: s.head.jaw.cy + s.head.jaw.ry - 0.12, rx: 0.16, ry: 0.14)
            canvas.paint(.ellipse(g), FacePaint(color: color, alpha: 0.85))
        }
    }

    private mutating func drawNoseAndMouth() {
        let s = style
        let k = s.childness
        let noseX = s.yaw * 0.18
        let noseY = 0.36 - 0.06 * k
        let noseLength = 0.13 + 0.03 * s.jawMasculinity - 0.04 * k
        let shadow = FacePaint(color: s.skin.scaled(0.7), alpha: 0.35, edge: 3)
        canvas.paint(.capsule(ax: noseX + 0.03, ay: noseY - noseLength, bx: noseX + 0.05, by: noseY, r: 0.03), shadow)
        for side in [-1.0, 1.0] {
            let nostril = FaceEllipse(cx: noseX + side * 0.065, cy: noseY + 0.06, rx: 0.035, ry: 0.02)
            canvas.paint(.ellipse(nostril), FacePaint(color: s.skin.scaled(0.45), alpha: 0.6, edge: 1.5))
        }
        let mx = s.yaw * 0.12
        let w = mouthHalfWidth
        let upper = 0.025 + 0.045 * s.lipFemininity
        let lower = 0.03 + 0.055 * s.lipFemininity
        canvas.paint(.ellipse(FaceEllipse(cx: mx, cy: mouthY - upper * 0.7, rx: w, ry: upper)), FacePaint(color: s.lip.scaled(0.9)))
        canvas.paint(.ellipse(FaceEllipse(cx: mx, cy: mouthY + lower * 0.8, rx: w * 0.85, ry: lower)), FacePaint(color: s.lip))
        let line = FaceEllipse(cx: mx, cy: mouthY - s.smile, rx: w * 0.95, ry: s.smile + 0.012)
        let cut = FaceEllipse(cx: mx, cy: mouthY - s.smile - 0.024, rx: w * 1.1, ry: s.smile + 0.02)
        canvas.paint(.crescent(outer: line, inner: cut), FacePaint(color: s.lip.scaled(0.45)))
        if s.wrinkles > 0 {
            let fold = FacePaint(color: s.skin.scaled(0.6), alpha: 0.45 * s.wrinkles, edge: 1.5)
            for side in [-1.0, 1.0] {
                canvas.paint(
                    .capsule(ax: noseX + side * 0.16, ay: noseY + 0.02, bx: mx + side * (w + 0.07), by: mouthY + 0.05, r: 0.012),
                    fold)
            }
        }
    }

    private mutating func drawEyes() {
        let s = style
        let k = s.childness
        let y = s.eyeY
        let rx = 0.15 + 0.05 * k
        let ry = 0.085 + 0.05 * k
        let irisR = 0.068 + 0.035 * k
        let lash = 0.012 + 0.03 * s.lipFemininity
        let browThickness = 0.03 + 0.06 * s.browMasculinity
        let browGap = 0.2 + 0.04 * k - 0.05 * s.browMasculinity
        let browColor = s.hair.mixed(FaceRGB(r: 0.1, g: 0.08, b: 0.07), 0.35)
        for side in [-1.0, 1.0] {
            let x = side * 0.36 + s.yaw * 0.13
            canvas.paint(.ellipse(FaceEllipse(cx: x, cy: y, rx: rx, ry: ry)), FacePaint(color: FaceRGB(r: 0.96, g: 0.96, b: 0.94)))
            let ix = x + s.yaw * 0.03
            canvas.paint(.ellipse(FaceEllipse(cx: ix, cy: y, rx: irisR, ry: irisR)), FacePaint(color: s.iris))
            canvas.paint(.ellipse(FaceEllipse(cx: ix, cy: y, rx: irisR * 0.5, ry: irisR * 0.5)), FacePaint(color: FaceRGB(r: 0.03, g: 0.03, b: 0.03)))
            canvas.paint(
                .ellipse(FaceEllipse(cx: ix + irisR * 0.35, cy: y - irisR * 0.35, rx: irisR * 0.28, ry: irisR * 0.28)),
                FacePaint(color: FaceRGB(r: 1, g: 1, b: 1), alpha: 0.9))
            // Upper lid: the eye outline's top half, thicker for more "make-up".
            let lid = FaceEllipse(cx: x, cy: y, rx: rx + lash * 0.5, ry: ry + lash)
            let below = FaceEllipse(cx: x, cy: y + lash * 1.2, rx: rx * 1.3, ry: ry + lash * 0.2)
            canvas.paint(.crescent(outer: lid, inner: below), FacePaint(color: FaceRGB(r: 0.1, g: 0.07, b: 0.06)))
            let by = y - browGap
            let outer = FaceEllipse(cx: x, cy: by + 0.1, rx: 0.2, ry: 0.1 + browThickness)
            let inner = FaceEllipse(cx: x, cy: by + 0.1 + browThickness * 1.3, rx: 0.23, ry: 0.1 + browThickness)
            canvas.paint(.crescent(outer: outer, inner: inner), FacePaint(color: browColor, edge: 1.2))
        }
    }

    private mutating func drawHairFront() {
        let s = style
        let outer = hairOuter
        let short = attributes.hairLength == "short"
        let windowRX = short ? 0.96 : 0.83
        let windowRY = 1.15
        let window = FaceEllipse(cx: s.hairPart, cy: s.hairline + windowRY, rx: windowRX, ry: windowRY)
        canvas.paint(.crescent(outer: outer, inner: window), hairPaint)
    }

    private mutating func drawGlasses() {
        let s = style
        let y = s.eyeY
        let rx = 0.22 + 0.02 * s.childness
        let ry = 0.16
        let half = 0.028
        let paint = FacePaint(color: s.frameColor)
        var lensX: [Double] = []
        for side in [-1.0, 1.0] {
            let x = side * 0.37 + s.yaw * 0.13
            lensX.append(x)
            let lens = FaceEllipse(cx: x, cy: y, rx: rx, ry: ry)
            canvas.paint(.ellipse(lens), FacePaint(color: FaceRGB(r: 0.85, g: 0.9, b: 0.95), alpha: 0.15))
            canvas.paint(.ring(lens, halfWidth: half), paint)
            let hinge = x + side * rx
            canvas.paint(.capsule(ax: hinge, ay: y - 0.04, bx: side * 0.98, by: y - 0.07, r: half), paint)
        }
        if lensX.count == 2 {
            canvas.paint(.capsule(ax: lensX[0] + rx, ay: y - 0.03, bx: lensX[1] - rx, by: y - 0.03, r: half), paint)
        }
    }
}
