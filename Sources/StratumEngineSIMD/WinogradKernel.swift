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
    /// Bᵀ d B for tiles [tiles.0, tiles.1) of one image (counted row by row), every channel.
    /// `input` is the image itself (`size` rows × columns, `channels` a multiple of 8); tile
    /// (ty, tx) reads rows 2·ty − top … 2·ty − top + 3 and the same columns from the left,
    /// where `padding` is (top, left), and takes zeros for those outside the image. (No
    /// zero-bordered copy: at batch 1 the copies were a tenth of resnet_style's time, all of
    /// it on one thread.) Writes V[k][tile][c] at `output + (k · tileStride + firstTile + tile)
    /// · channels`, tiles counted row by row from the image's first.
    public static func winogradInput(input: UnsafePointer<Float>, size: (Int, Int), padding: (Int, Int), channels c: Int, tileColumns: Int,
                                     tiles: (Int, Int), output: UnsafeMutablePointer<Float>, tileStride: Int, firstTile: Int) {
        let (h, w) = size
        let rowStep = w &* c
        let plane = tileStride &* c
        var tile = tiles.0
        while tile < tiles.1 {
            let ty = tile / tileColumns, tx = tile &- ty &* tileColumns
            let iy = 2 &* ty &- padding.0
            let rowsInside = iy >= 0 && iy &+ 4 <= h
            do {
                let ix = 2 &* tx &- padding.1
                let out = output + (firstTile &+ ty &* tileColumns &+ tx) &* c
                if rowsInside && ix >= 0 && ix &+ 4 <= w {
                    let origin = input + (iy &* w &+ ix) &* c
                    var cb = 0
                    while cb < c {
                        let r0 = origin + cb, r1 = r0 + rowStep, r2 = r0 + 2 &* rowStep, r3 = r0 + 3 &* rowStep
                        winogradInputTile(load(r0), load(r0 + c), load(r0 + 2 &* c), load(r0 + 3 &* c),
                                          load(r1), load(r1 + c), load(r1 + 2 &* c), load(r1 + 3 &* c),
                                          load(r2), load(r2 + c), load(r2 + 2 &* c), load(r2 + 3 &* c),
                                          load(r3), load(r3 + c), load(r3 + 2 &* c), load(r3 + 3 &* c), out + cb, plane)
                        cb &+= 8
                    }
                } else {
                    // A tile across the image's edge: zeros for its rows and columns outside.
                    // Bit r of `rowsIn` (k of `columnsIn`): row iy + r (column ix + k) is in the image.
                    var rowsIn = 0, columnsIn = 0
                    for r in 0..<4 {
                        if iy &+ r >= 0 && iy &+ r < h { rowsIn |= 1 << r }
                        if ix &+ r >= 0 && ix &+ r < w { columnsIn |= 1 << r }
                    }
                    var cb = 0
                    while cb < c {
                        @inline(__always) func d(_ r: Int, _ k: Int) -> SIMD8<Float> {
                            let inside: Bool = (rowsIn >> r) & (columnsIn >> k) & 1 != 0
                            if !inside { return SIMD8<Float>() }
                            let offset: Int = ((iy &+ r) &* w &+ ix &+ k) &* c &+ cb
                            return load(input + offset)
                        }
                        winogradInputTile(d(0, 0), d(0, 1), d(0, 2), d(0, 3), d(1, 0), d(1, 1), d(1, 2), d(1, 3),
                                          d(2, 0), d(2, 1), d(2, 2), d(2, 3), d(3, 0), d(3, 1), d(3, 2), d(3, 3), out + cb, plane)
                        cb &+= 8
                    }
                }
            }
            tile &+= 1
        }
    }

    /// Bᵀ d B of one tile's 4×4 values (8 channels) into the 16 planes at `o`, `plane` apart.
    @inline(__always)
    static func winogradInputTile(_ d00: SIMD8<Float>, _ d01: SIMD8<Float>, _ d02: SIMD8<Float>, _ d03: SIMD8<Float>,
                                  _ d10: SIMD8<Float>, _ d11: SIMD8<Float>, _ d12: SIMD8<Float>, _ d13: SIMD8<Float>,
                                  _ d20: SIMD8<Float>, _ d21: SIMD8<Float>, _ d22: SIMD8<Float>, _ d23: SIMD8<Float>,
                                  _ d30: SIMD8<Float>, _ d31: SIMD8<Float>, _ d32: SIMD8<Float>, _ d33: SIMD8<Float>,
                                  _ o: UnsafeMutablePointer<Float>, _ plane: Int) {
        // Bᵀ d: four rows of 4.
        let b00 = d00 - d20, b01 = d01 - d21, b02 = d02 - d22, b03 = d03 - d23
        let b10 = d10 + d20, b11 = d11 + d21, b12 = d12 + d22, b13 = d13 + d23
        let b20 = d20 - d10, b21 = d21 - d11, b22 = d22 - d12, b23 = d23 - d13
        let b30 = d10 - d30, b31 = d11 - d31, b32 = d12 - d32, b33 = d13 - d33
        // (Bᵀ d) B: the same combinations of each row's columns; element k = 4·row + column.
        store(b00 - b02, o); store(b01 + b02, o + plane); store(b02 - b01, o + 2 &* plane); store(b01 - b03, o + 3 &* plane)
        store(b10 - b12, o + 4 &* plane); store(b11 + b12, o + 5 &* plane)
        store(b12 - b11, o + 6 &* plane); store(b11 - b13, o + 7 &* plane)
        store(b20 - b22, o + 8 &* plane); store(b21 + b22, o + 9 &* plane)
        store(b22 - b21, o + 10 &* plane); store(b21 - b23, o + 11 &* plane)
        store(b30 - b32, o + 12 &* plane); store(b31 + b32, o + 13 &* plane)
        store(b32 - b31, o + 14 &* plane); store(b31 - b33, o + 15 &* plane)
    }

    /// Aᵀ m A for tiles [tiles.0, tiles.1) of one image (counted row by row), plus bias and
    /// residual, activated (`lower`, `upper`, `hardSwish` as for the other kernels) and stored
    /// into the image's output (NHWC, `outputSize`; a tile's outputs past its edge are left
    /// out). M[k][tile][n] is read at `products + (k · tileStride + firstTile + tile) · n`;
    /// `n` is a multiple of 8; the residual, when given, is laid out as the output.
    public static func winogradOutput(products: UnsafePointer<Float>, tileStride: Int, firstTile: Int, tileColumns: Int, tiles: (Int, Int),
                                      outChannels n: Int, bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?,
                                      output: UnsafeMutablePointer<Float>, outputSize: (Int, Int), lower: Float, upper: Float, hardSwish: Bool) {
        // One compiled loop per mode, the activation inlined into each (a closure per mode would
        // leave standard-library specialisations behind).
        switch clampMode(lower: lower, upper: upper, hardSwish: hardSwish) {
        case noClamp:
            winogradOutput(products, tileStride, firstTile, tileColumns, tiles, n, bias, residual, output, outputSize, lower, upper, mode: noClamp)
        case lowerOnly:
            winogradOutput(products, tileStride, firstTile, tileColumns, tiles, n, bias, residual, output, outputSize, lower, upper, mode: lowerOnly)
        case bothBounds:
            winogradOutput(products, tileStride, firstTile, tileColumns, tiles, n, bias, residual, output, outputSize, lower, upper, mode: bothBounds)
        default:
            winogradOutput(products, tileStride, firstTile, tileColumns, tiles, n, bias, residual, output, outputSize, lower, upper, mode: hardSwishMode)
        }
    }

    @inline(__always)
    static func winogradOutput(_ products: UnsafePointer<Float>, _ tileStride: Int, _ firstTile: Int, _ tileColumns: Int, _ tiles: (Int, Int), _ n: Int,
                               _ bias: UnsafePointer<Float>?, _ residual: UnsafePointer<Float>?, _ output: UnsafeMutablePointer<Float>,
                               _ outputSize: (Int, Int), _ lower: Float, _ upper: Float, mode: ClampMode) {
        let lo = SIMD8<Float>(repeating: lower), hi = SIMD8<Float>(repeating: upper)
        let plane = tileStride &* n
        let (oh, ow) = outputSize
        var tile = tiles.0
        while tile < tiles.1 {
            let ty = tile / tileColumns, tx = tile &- ty &* tileColumns
            do {
                let m = products + (firstTile &+ tile) &* n
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
            }
            tile &+= 1
        }
    }
}
