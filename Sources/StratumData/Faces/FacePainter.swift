/// Draws one cartoon face, back to front, from its attributes and sampled style.
///
/// Layers: background, hair behind the head, shoulders, long strands over the shoulders,
/// neck, ears (covered by medium/long hair), head and cheeks, beard, nose, mouth, eyes,
/// brows, hair over the forehead, ears over short hair, glasses. Lighting and pixel noise
/// are applied afterwards by `FaceRenderer`. Geometry is in face units (see `FaceFrame`).
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
        canvas.fillBackground(top: style.background.0, bottom: style.background.1)
        drawHairBehind()
        drawBody()
        drawHead()
        if style.beardStyle >= 0 { drawBeard() }
        drawNose()
        drawMouth()
        drawEyes()
        drawHairFront()
        if isShortHaired { drawEars() }
        if attributes.glasses { drawGlasses() }
    }

    private var isShortHaired: Bool { attributes.hairLength == "short" }
    private var mouthY: Double { 0.72 - 0.1 * style.childness }
    private var mouthHalfWidth: Double {
        0.25 + 0.03 * style.bodyMasculinity - 0.03 * style.childness
    }

    private static func oval(_ cx: Double, _ cy: Double, _ rx: Double, _ ry: Double) -> FaceEllipse {
        FaceEllipse(cx: cx, cy: cy, rx: rx, ry: ry)
    }

    private static func rgb(_ r: Double, _ g: Double, _ b: Double) -> FaceRGB {
        FaceRGB(r: r, g: g, b: b)
    }

    private var hairOuter: FaceEllipse {
        let vol = style.hairVolume
        return isShortHaired
            ? Self.oval(0, -0.3, 1.05 * vol, 1.07 * vol) : Self.oval(0, -0.17, 1.14 * vol, 1.27 * vol)
    }

    private var hairPaint: FacePaint {
        FacePaint(color: style.hair, shade: 0.35, shadeDepth: 0.07, stripes: 0.07, stripeFrequency: 10)
    }

    private mutating func drawHairBehind() {
        canvas.paint(.ellipse(hairOuter), hairPaint)
        if isShortHaired { return }
        let top = -0.45
        let bottom = style.hairBottom
        let halfWidth = hairOuter.rx * (attributes.hairLength == "long" ? 1.04 : 0.98)
        let middle = (top + bottom) / 2
        let halfHeight = (bottom - top) / 2
        canvas.paint(.box(cx: 0, cy: middle, hx: halfWidth, hy: halfHeight, r: 0.38), hairPaint)
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
        canvas.paint(
            .box(cx: 0, cy: 1.35, hx: neckHX, hy: 0.55, r: 0.12), FacePaint(color: s.skin.scaled(0.88)))
        let chin = s.head.jaw.cy + s.head.jaw.ry
        canvas.paint(
            .ellipse(Self.oval(0, chin + 0.02, neckHX + 0.02, 0.16)),
            FacePaint(color: s.skin.scaled(0.6), alpha: 0.5, edge: 3))
        if !isShortHaired { drawEars() }
    }

    private mutating func drawEars() {
        let earX = style.head.cranium.rx - 0.03
        let paint = FacePaint(color: style.skin.scaled(0.93), shade: 0.25, shadeDepth: 0.08)
        for side in [-1.0, 1.0] {
            canvas.paint(.ellipse(Self.oval(side * earX, 0.1, 0.13, 0.2)), paint)
        }
    }

    private mutating func drawHead() {
        let s = style
        canvas.paint(.head(s.head), FacePaint(color: s.skin, shade: 0.2, shadeDepth: 0.15))
        let blush = FacePaint(
            color: Self.rgb(0.9, 0.35, 0.4), alpha: 0.06 + 0.1 * s.lipFemininity + 0.12 * s.childness,
            edge: 4)
        for side in [-1.0, 1.0] {
            canvas.paint(.ellipse(Self.oval(side * 0.55 + s.yaw * 0.1, 0.38, 0.17, 0.11)), blush)
        }
    }

    private mutating func drawBeard() {
        let s = style
        let color = s.hair.scaled(0.8)
        let mouth = Self.oval(s.yaw * 0.12, mouthY, mouthHalfWidth + 0.02, 0.07)
        let clear = Self.oval(s.yaw * 0.1, -0.2, 0.8, 0.66)
        switch s.beardStyle {
        case 0:  // stubble
            canvas.paint(
                .beard(s.head, clear: clear, grow: 0, mouth: mouth),
                FacePaint(color: color, alpha: 0.24, edge: 4))
        case 1:  // full beard
            canvas.paint(
                .beard(s.head, clear: Self.oval(s.yaw * 0.1, -0.2, 0.78, 0.6), grow: 0.1, mouth: mouth),
                FacePaint(
                    color: color, alpha: 0.92, edge: 1.5, shade: 0.2, shadeDepth: 0.1,
                    stripes: 0.1, stripeFrequency: 14))
        default:  // moustache and goatee over light stubble
            canvas.paint(
                .beard(s.head, clear: clear, grow: 0, mouth: mouth),
                FacePaint(color: color, alpha: 0.2, edge: 3))
            let moustache = Self.oval(s.yaw * 0.12, mouthY - 0.07, mouthHalfWidth + 0.04, 0.07)
            canvas.paint(.ellipse(moustache), FacePaint(color: color, alpha: 0.9))
            let chin = s.head.jaw.cy + s.head.jaw.ry
            let goatee = Self.oval(s.yaw * 0.1, chin - 0.12, 0.16, 0.14)
            canvas.paint(.ellipse(goatee), FacePaint(color: color, alpha: 0.85))
        }
    }

    private mutating func drawNose() {
        let s = style
        let k = s.childness
        let x = s.yaw * 0.18
        let y = 0.36 - 0.06 * k
        let length = 0.13 + 0.03 * s.jawMasculinity - 0.04 * k
        canvas.paint(
            .capsule(ax: x + 0.03, ay: y - length, bx: x + 0.05, by: y, r: 0.03),
            FacePaint(color: s.skin.scaled(0.7), alpha: 0.35, edge: 3))
        let nostrilPaint = FacePaint(color: s.skin.scaled(0.45), alpha: 0.6, edge: 1.5)
        for side in [-1.0, 1.0] {
            canvas.paint(.ellipse(Self.oval(x + side * 0.065, y + 0.06, 0.035, 0.02)), nostrilPaint)
        }
        if s.wrinkles > 0 {
            // Nasolabial folds, from beside the nose to the mouth corners.
            let fold = FacePaint(color: s.skin.scaled(0.6), alpha: 0.45 * s.wrinkles, edge: 1.5)
            let mouthX = s.yaw * 0.12
            for side in [-1.0, 1.0] {
                let end = mouthX + side * (mouthHalfWidth + 0.07)
                let start = x + side * 0.16
                let foldY = mouthY + 0.05
                canvas.paint(.capsule(ax: start, ay: y + 0.02, bx: end, by: foldY, r: 0.012), fold)
            }
        }
    }

    private mutating func drawMouth() {
        let s = style
        let x = s.yaw * 0.12
        let y = mouthY
        let w = mouthHalfWidth
        let upper = 0.025 + 0.045 * s.lipFemininity
        let lower = 0.03 + 0.055 * s.lipFemininity
        canvas.paint(
            .ellipse(Self.oval(x, y - upper * 0.7, w, upper)), FacePaint(color: s.lip.scaled(0.9)))
        canvas.paint(.ellipse(Self.oval(x, y + lower * 0.8, w * 0.85, lower)), FacePaint(color: s.lip))
        // The lip line: a thin crescent that curves up at the corners when smiling.
        let line = Self.oval(x, y - s.smile, w * 0.95, s.smile + 0.012)
        let cut = Self.oval(x, y - s.smile - 0.024, w * 1.1, s.smile + 0.02)
        canvas.paint(.crescent(outer: line, inner: cut), FacePaint(color: s.lip.scaled(0.45)))
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
        let browPaint = FacePaint(color: s.hair.mixed(Self.rgb(0.1, 0.08, 0.07), 0.35), edge: 1.2)
        for side in [-1.0, 1.0] {
            let x = side * 0.36 + s.yaw * 0.13
            let ix = x + s.yaw * 0.03
            canvas.paint(.ellipse(Self.oval(x, y, rx, ry)), FacePaint(color: Self.rgb(0.96, 0.96, 0.94)))
            canvas.paint(.ellipse(Self.oval(ix, y, irisR, irisR)), FacePaint(color: s.iris))
            let pupil = Self.oval(ix, y, irisR * 0.5, irisR * 0.5)
            canvas.paint(.ellipse(pupil), FacePaint(color: Self.rgb(0.03, 0.03, 0.03)))
            let glint = Self.oval(ix + irisR * 0.35, y - irisR * 0.35, irisR * 0.28, irisR * 0.28)
            canvas.paint(.ellipse(glint), FacePaint(color: Self.rgb(1, 1, 1), alpha: 0.9))
            // Upper lid line: thicker with more "make-up" (a weak female cue).
            let lid = Self.oval(x, y, rx + lash * 0.5, ry + lash)
            let below = Self.oval(x, y + lash * 1.2, rx * 1.3, ry + lash * 0.2)
            let lidPaint = FacePaint(color: Self.rgb(0.1, 0.07, 0.06))
            canvas.paint(.crescent(outer: lid, inner: below), lidPaint)
            // Brow: a crescent, thicker and lower for more masculine faces.
            let top = y - browGap + 0.1
            let outer = Self.oval(x, top, 0.2, 0.1 + browThickness)
            let inner = Self.oval(x, top + browThickness * 1.3, 0.23, 0.1 + browThickness)
            canvas.paint(.crescent(outer: outer, inner: inner), browPaint)
        }
    }

    private mutating func drawHairFront() {
        let windowRX = isShortHaired ? 0.96 : 0.83
        let windowRY = 1.15
        let window = Self.oval(style.hairPart, style.hairline + windowRY, windowRX, windowRY)
        canvas.paint(.crescent(outer: hairOuter, inner: window), hairPaint)
    }

    private mutating func drawGlasses() {
        let s = style
        let y = s.eyeY
        let rx = 0.22 + 0.02 * s.childness
        let half = 0.028
        let frame = FacePaint(color: s.frameColor)
        let tint = FacePaint(color: Self.rgb(0.85, 0.9, 0.95), alpha: 0.15)
        for side in [-1.0, 1.0] {
            let lens = Self.oval(side * 0.37 + s.yaw * 0.13, y, rx, 0.16)
            canvas.paint(.ellipse(lens), tint)
            canvas.paint(.ring(lens, halfWidth: half), frame)
            let hinge = lens.cx + side * rx
            canvas.paint(.capsule(ax: hinge, ay: y - 0.04, bx: side * 0.98, by: y - 0.07, r: half), frame)
        }
        let middle = s.yaw * 0.13
        let reach = 0.37 - rx
        let (left, right, bridgeY) = (middle - reach, middle + reach, y - 0.03)
        canvas.paint(.capsule(ax: left, ay: bridgeY, bx: right, by: bridgeY, r: half), frame)
    }
}
