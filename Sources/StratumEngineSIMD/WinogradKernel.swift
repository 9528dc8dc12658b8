/// The input and output transforms of Winograd's F(2×2, 3×3) convolution (Lavin and Gray,
/// "Fast Algorithms for Convolutional Neural Networks", 2015), 8 channels at a time.
///
/// A 3×3 stride-1 convolution computes each 2×2 tile of outputs from the 4×4 tile of inputs
/// under it as Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A: 16 products per tile and channel pair instead of 36.
/// The element-wise products summed over input channels are 16 independent matrix products
/// (tiles × input channels by input channels × output channels), which the GEMM kernels run;
/// here are the transforms around them. Bᵀ rows are (1, 0, −1, 0), (0, 1, 1, 0), (0, −1, 1, 0),
/// (0, 1, 0, −1); Aᵀ rows are (1, 1, 1, 0), (0, 1, −1, −1). Both hold only 0 and ±1, so the
/// transforms are additions and the results differ from the direct sum only by rounding.
extension SIMDKernels {
    /// Bᵀ d B for tiles [firstRow, endRow) × all tile columns of one image, every channel.
    /// `input` is the image with every tile inside it (a zero-bordered copy: rows and columns
    /// 2·tile … 2·tile + 3), `width` its width, `channels` a multiple of 8. Writes V[k][tile][c]
    /// at `output + (k · tileStride + firstTile + tile) · channels`, tiles counted row by row
    /// from the image's first.
    public static func winogradInput(input: UnsafePointer<Float>, width: Int, channels c: Int, tileColumns: Int, rows: (Int, Int),
                                     output: UnsafeMutablePointer<Float>, tileStride: Int, firstTile: Int) {
        let rowStep = width &* c
        let plane = tileStride &* c
        var ty = rows.0
        while ty < rows.1 {
            var tx = 0
            while tx < tileColumns {
                let origin = input + (2 &* ty &* width &+ 2 &* tx) &* c
                let out = output + (firstTile &+ ty &* tileColumns &+ tx) &* c
                var cb = 0
                while cb < c {
                    let p = origin + cb
                    let r0 = p, r1 = p + rowStep, r2 = p + 2 &* rowStep, r3 = p + 3 &* rowStep
                    let d00 = load(r0), d01 = load(r0 + c), d02 = load(r0 + 2 &* c), d03 = load(r0 + 3 &* c)
                    let d10 = load(r1), d11 = load(r1 + c), d12 = load(r1 + 2 &* c), d13 = load(r1 + 3 &* c)
                    let d20 = load(r2), d21 = load(r2 + c), d22 = load(r2 + 2 &* c), d23 = load(r2 + 3 &* c)
                    let d30 = load(r3), d31 = load(r3 + c), d32 = load(r3 + 2 &* c), d33 = load(r3 + 3 &* c)
                    // Bᵀ d: four rows of 4.
                    let b00 = d00 - d20, b01 = d01 - d21, b02 = d02 - d22, b03 = d03 - d23
                    let b10 = d10 + d20, b11 = d11 + d21, b12 = d12 + d22, b13 = d13 + d23
                    let b20 = d20 - d10, b21 = d21 - d11, b22 = d22 - d12, b23 = d23 - d13
                    let b30 = d10 - d30, b31 = d11 - d31, b32 = d12 - d32, b33 = d13 - d33
                    // (Bᵀ d) B: the same combinations of each row's columns; element k = 4·row + column.
                    let o = out + cb
                    store(b00 - b02, o); store(b01 + b02, o + plane); store(b02 - b01, o + 2 &* plane); store(b01 - b03, o + 3 &* plane)
                    store(b10 - b12, o + 4 &* plane); store(b11 + b12, o + 5 &* plane)
                    store(b12 - b11, o + 6 &* plane); store(b11 - b13, o + 7 &* plane)
                    store(b20 - b22, o + 8 &* plane); store(b21 + b22, o + 9 &* plane)
                    store(b22 - b21, o + 10 &* plane); store(b21 - b23, o + 11 &* plane)
                    store(b30 - b32, o + 12 &* plane); store(b31 + b32, o + 13 &* plane)
                    store(b32 - b31, o + 14 &* plane); store(b31 - b33, o + 15 &* plane)
                    cb &+= 8
                }
                tx &+= 1
            }
            ty &+= 1
        }
    }

    /// Aᵀ m A for tiles [firstRow, endRow) × all tile columns of one image, plus bias and
    /// residual, activated (`lower`, `upper`, `hardSwish` as for the other kernels) and stored
    /// into the image's output (NHWC, `outputSize`; a tile's outputs past its edge are left
    /// out). M[k][tile][n] is read at `products + (k · tileStride + firstTile + tile) · n`;
    /// `n` is a multiple of 8; the residual, when given, is laid out as the output.
    public static func winogradOutput(products: UnsafePointer<Float>, tileStride: Int, firstTile: Int, tileColumns: Int, rows: (Int, Int),
                                      outChannels n: Int, bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?,
                                      output: UnsafeMutablePointer<Float>, outputSize: (Int, Int), lower: Float, upper: Float, hardSwish: Bool) {
        // One compiled loop per mode, the activation inlined into each (a closure per mode would
        // leave standard-library specialisations behind).
        switch clampMode(lower: lower, upper: upper, hardSwish: hardSwish) {
        case noClamp:
            winogradOutput(products, tileStride, firstTile, tileColumns, rows, n, bias, residual, output, outputSize, lower, upper, mode: noClamp)
        case lowerOnly:
            winogradOutput(products, tileStride, firstTile, tileColumns, rows, n, bias, residual, output, outputSize, lower, upper, mode: lowerOnly)
        case bothBounds:
            winogradOutput(products, tileStride, firstTile, tileColumns, rows, n, bias, residual, output, outputSize, lower, upper, mode: bothBounds)
        default:
            winogradOutput(products, tileStride, firstTile, tileColumns, rows, n, bias, residual, output, outputSize, lower, upper, mode: hardSwishMode)
        }
    }

    @inline(__always)
    static func winogradOutput(_ products: UnsafePointer<Float>, _ tileStride: Int, _ firstTile: Int, _ tileColumns: Int, _ rows: (Int, Int), _ n: Int,
                               _ bias: UnsafePointer<Float>?, _ residual: UnsafePointer<Float>?, _ output: UnsafeMutablePointer<Float>,
                               _ outputSize: (Int, Int), _ lower: Float, _ upper: Float, mode: ClampMode) {
        let lo = SIMD8<Float>(repeating: lower), hi = SIMD8<Float>(repeating: upper)
        let plane = tileStride &* n
        let (oh, ow) = outputSize
        var ty = rows.0
        while ty < rows.1 {
            var tx = 0
            while tx < tileColumns {
                let m = products + (firstTile &+ ty &* tileColumns &+ tx) &* n
                let oy = 2 &* ty, ox = 2 &* tx
                let right = ox &+ 1 < ow, below = oy &+ 1 < oh
                let pixel = oy &* ow &+ ox
                var cb = 0
                while cb < n {
                    let q = m + cb
                    let m00 = load(q), m01 = load(q + plane), m02 = load(q + 2 &* plane), m03 = load(q + 3 &* plane)
                    let m10 = load(q + 4 &* plane), m11 = load(q + 5 &* plane), m12 = load(q + 6 &* plane), m13 = load(q + 7 &* plane)
                    let m20 = load(q + 8 &* plane), m21 = load(q + 9 &* plane), m22 = load(q + 10 &* plane), m23 = load(q + 11 &* plane)
                    let m30 = load(q + 12 &* plane), m31 = load(q + 13 &* plane), m32 = load(q + 14 &* plane), m33 = load(q + 15 &* plane)
                    // Aᵀ m: two rows of 4.
                    let s00 = m00 + m10 + m20, s01 = m01 + m11 + m21, s02 = m02 + m12 + m22, s03 = m03 + m13 + m23
                    let s10 = m10 - m20 - m30, s11 = m11 - m21 - m31, s12 = m12 - m22 - m32, s13 = m13 - m23 - m33
                    // (Aᵀ m) A: 2 × 2.
                    let b = bias.map { load($0 + cb) } ?? SIMD8()
                    var y00 = s00 + s01 + s02 + b, y01 = s01 - s02 - s03 + b
                    var y10 = s10 + s11 + s12 + b, y11 = s11 - s12 - s13 + b
                    let o = output + (pixel &* n &+ cb)
                    if let residual {
                        let r = residual + (pixel &* n &+ cb)
                        y00 += load(r)
                        if right { y01 += load(r + n) }
                        if below { y10 += load(r + ow &* n) }
                        if right && below { y11 += load(r + (ow &+ 1) &* n) }
                    }
                    store(clamp(y00, lo, hi, mode), o)
                    if right { store(clamp(y01, lo, hi, mode), o + n) }
                    if below { store(clamp(y10, lo, hi, mode), o + ow &* n) }
                    if right && below { store(clamp(y11, lo, hi, mode), o + (ow &+ 1) &* n) }
                    cb &+= 8
                }
                tx &+= 1
            }
            ty &+= 1
        }
    }
}
