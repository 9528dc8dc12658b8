/// Every continuous drawing parameter of one face, sampled from its attributes and a PRNG.
///
/// Sex shows only through weak, noisy cues (jaw, brows, lips, neck and shoulder width, eye
/// make-up, facial hair, and hair length via the attributes), each scaled by `dimorphism`:
/// 0.15 for children, 0.6 for teens, 1 for adults and 0.9 for seniors. Pose, size, lighting,
/// colours and noise are nuisance variation independent of sex.
struct FaceStyle: Sendable {
    var frame: FaceFrame
    var yaw: Double
    var background: (FaceRGB, FaceRGB)
    var skin: FaceRGB
    var hair: FaceRGB
    var clothing: FaceRGB
    var iris: FaceRGB
    var lip: FaceRGB
    var frameColor: FaceRGB
    var head: FaceHead
    var childness: Double
    var jawMasculinity: Double
    var browMasculinity: Double
    var lipFemininity: Double
    var bodyMasculinity: Double
    var eyeY: Double
    var hairVolume: Double
    var hairline: Double
    var hairPart: Double
    var hairBottom: Double
    var beardStyle: Int
    var wrinkles: Double
    var smile: Double
    var lightX: Double
    var lightY: Double
    var brightness: Double
    var noise: Double

    /// Draws the style of a face with attributes `a` rendered at `size` pixels.
    ///
    /// Consumes a fixed, attribute-dependent sequence of `rng` outputs, so the result
    /// depends only on `a`, `size` and the generator state.
    static func sample(_ a: FaceAttributes, size: Int, _ rng: inout FaceRandom) -> FaceStyle {
        let female = a.isFemale
        let sign = female ? -1.0 : 1.0
        let dimorphism: Double
        switch a.ageGroup {
        case "child": dimorphism = 0.15
        case "teen": dimorphism = 0.6
        case "senior": dimorphism = 0.9
        default: dimorphism = 1.0
        }
        let childness = clamp((16.0 - Double(a.age)) / 13.0)
        /// A cue in [0, 1]: 0.5 ± half the dimorphism, blurred by per-face noise.
        func cue(_ sd: Double, _ r: inout FaceRandom) -> Double {
            clamp(0.5 + 0.5 * dimorphism * sign + r.normal(mean: 0, sd: sd))
        }
        let jaw = cue(0.2, &rng)
        let brow = cue(0.2, &rng)
        let lips = 1 - cue(0.2, &rng)
        let body = cue(0.2, &rng)

        let sizeD = Double(size)
        let tilt = clamp(rng.normal(mean: 0, sd: 0.06), -0.2, 0.2)
        let norm = 1.0 / (1.0 + tilt * tilt).squareRoot()
        let yaw = clamp(rng.normal(mean: 0, sd: 0.35), -0.8, 0.8)
        let frame = FaceFrame(
            cx: sizeD * (0.5 + rng.normal(mean: 0, sd: 0.02)),
            cy: sizeD * (0.41 + rng.normal(mean: 0, sd: 0.015)),
            scale: sizeD * 0.235
                * (1 + 0.04 * dimorphism * sign + 0.06 * childness + rng.normal(mean: 0, sd: 0.035)),
            squash: 1 - 0.1 * (yaw < 0 ? -yaw : yaw), cosA: norm, sinA: tilt * norm)

        let cranium = FaceEllipse(cx: 0, cy: -0.15, rx: 1.0 + 0.05 * childness, ry: 1.12)
        let jawEllipse = FaceEllipse(
            cx: 0, cy: 0.38 - 0.06 * childness,
            rx: 0.70 + 0.16 * jaw + 0.1 * childness,
            ry: 0.84 + 0.05 * jaw - 0.16 * childness)
        let head = FaceHead(
            cranium: cranium, jaw: jawEllipse, boxY: 0.72 - 0.12 * childness,
            boxHX: 0.25 + 0.42 * jaw, boxHY: 0.34, boxR: 0.32 - 0.1 * jaw)

        let tone = FaceAttributes.skinTones.firstIndex(of: a.skinTone) ?? 2
        let tones: [FaceRGB] = [
            FaceRGB(r: 0.96, g: 0.84, b: 0.76), FaceRGB(r: 0.92, g: 0.75, b: 0.62),
            FaceRGB(r: 0.83, g: 0.64, b: 0.50), FaceRGB(r: 0.69, g: 0.50, b: 0.36),
            FaceRGB(r: 0.52, g: 0.36, b: 0.25), FaceRGB(r: 0.36, g: 0.24, b: 0.17),
        ]
        let skin = jitter(tones[tone], 0.025, &rng)
        let hair = hairColor(age: a.age, tone: tone, &rng)
        let redness = 0.2 + 0.35 * lips + 0.1 * childness
        let lip = skin.mixed(FaceRGB(r: 0.78, g: 0.25, b: 0.30), redness).scaled(0.92)
        let irises: [FaceRGB] = [
            FaceRGB(r: 0.30, g: 0.18, b: 0.10), FaceRGB(r: 0.15, g: 0.10, b: 0.07),
            FaceRGB(r: 0.25, g: 0.45, b: 0.65), FaceRGB(r: 0.30, g: 0.45, b: 0.30),
        ]
        let iris = irises[rng.index(weights: tone < 2 ? [3, 2, 3, 2] : [5, 4, 0.3, 0.3])]

        let longish = a.hairLength != "short"
        let receding = !female && a.age >= 40 && rng.chance(Double(a.age - 30) / 100)
        var hairline = longish ? rng.uniform(-0.8, -0.4) : rng.uniform(-0.8, -0.58)
        if receding { hairline = rng.uniform(-1.1, -0.9) }
        let beardStyle =
            a.facialHair ? (a.ageGroup == "teen" ? 0 : rng.index(weights: [3, 4, 2])) : -1
        let wrinkles = a.age > 35 ? clamp(Double(a.age - 35) / 40) * rng.uniform(0.5, 1) : 0
        // Remaining draws, one statement each so the stream order is explicit.
        let background = backgroundColors(&rng)
        let clothing = jitter(FaceRGB(r: 0.5, g: 0.5, b: 0.5), 0.3, &rng)
        let darkFrame = rng.chance(0.6)
        let frameColor = darkFrame
            ? FaceRGB(r: 0.08, g: 0.07, b: 0.07)
            : jitter(FaceRGB(r: 0.5, g: 0.4, b: 0.35), 0.2, &rng)
        let eyeY = -0.02 + 0.14 * childness + rng.normal(mean: 0, sd: 0.03)
        let hairVolume = longish ? rng.uniform(1.0, 1.15) : rng.uniform(0.98, 1.06)
        let hairPart = rng.normal(mean: 0, sd: 0.08)
        let hairBottom = a.hairLength == "long" ? rng.uniform(1.9, 2.6) : rng.uniform(0.9, 1.25)
        let smile = rng.uniform(0, 0.05)
        let lightX = rng.normal(mean: 0, sd: 0.15)
        let lightY = rng.normal(mean: 0, sd: 0.08)
        let brightness = rng.uniform(0.85, 1.1)
        let noise = rng.uniform(0.01, 0.03)

        return FaceStyle(
            frame: frame, yaw: yaw, background: background, skin: skin, hair: hair,
            clothing: clothing, iris: iris, lip: lip, frameColor: frameColor, head: head,
            childness: childness, jawMasculinity: jaw, browMasculinity: brow,
            lipFemininity: lips, bodyMasculinity: body, eyeY: eyeY, hairVolume: hairVolume,
            hairline: hairline, hairPart: hairPart, hairBottom: hairBottom,
            beardStyle: beardStyle, wrinkles: wrinkles, smile: smile,
            lightX: lightX, lightY: lightY, brightness: brightness, noise: noise)
    }

    /// Clamps `x` to `[lo, hi]`.
    static func clamp(_ x: Double, _ lo: Double = 0, _ hi: Double = 1) -> Double {
        x < lo ? lo : (x > hi ? hi : x)
    }

    private static func jitter(_ c: FaceRGB, _ sd: Double, _ rng: inout FaceRandom) -> FaceRGB {
        FaceRGB(
            r: clamp(c.r + rng.normal(mean: 0, sd: sd)),
            g: clamp(c.g + rng.normal(mean: 0, sd: sd)),
            b: clamp(c.b + rng.normal(mean: 0, sd: sd)))
    }

    private static func hairColor(age: Int, tone: Int, _ rng: inout FaceRandom) -> FaceRGB {
        let palette: [FaceRGB] = [
            FaceRGB(r: 0.07, g: 0.06, b: 0.06), FaceRGB(r: 0.22, g: 0.14, b: 0.09),
            FaceRGB(r: 0.42, g: 0.28, b: 0.16), FaceRGB(r: 0.62, g: 0.46, b: 0.28),
            FaceRGB(r: 0.86, g: 0.74, b: 0.48), FaceRGB(r: 0.58, g: 0.26, b: 0.12),
        ]
        // Black, dark brown, brown, light brown, blond, auburn; darker skin, darker hair.
        let weights: [Double] =
            tone < 2
            ? [1.5, 2.5, 2, 1.2, 1.2, 0.8]
            : (tone < 4 ? [3, 3, 2, 0.8, 0.4, 0.4] : [6, 3, 0.5, 0.1, 0.1, 0.1])
        var c = jitter(palette[rng.index(weights: weights)], 0.03, &rng)
        let greyChance = age >= 60 ? 0.85 : (age >= 45 ? 0.35 : 0)
        if rng.chance(greyChance) {
            let amount = age >= 60 ? rng.uniform(0.5, 1.0) : rng.uniform(0.2, 0.5)
            c = c.mixed(FaceRGB(r: 0.78, g: 0.78, b: 0.77), amount)
        }
        return c
    }

    private static func backgroundColors(_ rng: inout FaceRandom) -> (FaceRGB, FaceRGB) {
        let grey = rng.uniform(0.55, 0.95)
        let base = jitter(FaceRGB(r: grey, g: grey, b: grey), 0.08, &rng)
        return (base, base.scaled(rng.uniform(0.75, 1.0)))
    }
}
