extension SIMDKernels {
    /// Direct 2-D convolution of one NHWC image with an HWIO filter, bias and clamp fused;
    /// `outChannels` must be a multiple of 8. No im2col: output pixels whose window lies inside
    /// the image go in runs of 6 along a row, 16 output channels at a time, reading each
    /// window row straight from the input; the others test every tap against the bounds.
    /// Sizes are (height, width); `padding` is (top, left).
    public static func convBiasClamp(input: UnsafePointer<Float>, size: (Int, Int), channels: Int, filter: UnsafePointer<Float>, kernel: (Int, Int),
                                     outChannels: Int, strides: (Int, Int), dilations: (Int, Int), padding: (Int, Int), bias: UnsafePointer<Float>?,
                                     output: UnsafeMutablePointer<Float>, outputSize: (Int, Int), lower: Float, upper: Float) {
        precondition(outChannels % 8 == 0, "convolution kernel needs a multiple of 8 output channels")
        let (h, w) = size, (kh, kw) = kernel, (sy, sx) = strides, (dy, dx) = dilations, (top, left) = padding
        let (oh, ow) = outputSize, c = channels, oc = outChannels
        let lo = SIMD8<Float>(repeating: lower), hi = SIMD8<Float>(repeating: upper)
        // Without horizontal dilation a window row (kw taps × c channels) is contiguous in the
        // input, and so are its filter rows: one loop of kw·c instead of kw loops of c.
        let (taps, span) = dx == 1 ? (kw, kw * c) : (1, c)
        var interiorStart = 0
        while interiorStart < ow && interiorStart * sx - left < 0 { interiorStart += 1 }
        var interiorEnd = ow
        while interiorEnd > interiorStart && (interiorEnd - 1) * sx - left + (kw - 1) * dx >= w { interiorEnd -= 1 }
        for oy in 0..<oh {
            let y0 = oy * sy - top
            let rowsInside = y0 >= 0 && y0 + (kh - 1) * dy < h
            let outRow = output + oy * ow * oc
            var ox = 0
            while ox < ow {
                if rowsInside && ox >= interiorStart && ox + 6 <= interiorEnd {
                    var j = 0
                    while j + 16 <= oc {
                        let bias0 = bias.map { load($0 + j) } ?? SIMD8(), bias1 = bias.map { load($0 + j + 8) } ?? SIMD8()
                        var c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1, c20 = bias0, c21 = bias1
                        var c30 = bias0, c31 = bias1, c40 = bias0, c41 = bias1, c50 = bias0, c51 = bias1
                        let step = sx * c
                        for ky in 0..<kh {
                            for kx in stride(from: 0, to: kw, by: taps) {
                                let x0 = input + ((y0 + ky * dy) * w + ox * sx - left + kx * dx) * c
                                let x1 = x0 + step, x2 = x1 + step, x3 = x2 + step, x4 = x3 + step, x5 = x4 + step
                                var pw = filter + (ky * kw + kx) * c * oc + j
                                for ci in 0..<span {
                                    let b0 = load(pw), b1 = load(pw + 8)
                                    var s = SIMD8<Float>(repeating: x0[ci]); c00 = c00.addingProduct(s, b0); c01 = c01.addingProduct(s, b1)
                                    s = SIMD8<Float>(repeating: x1[ci]); c10 = c10.addingProduct(s, b0); c11 = c11.addingProduct(s, b1)
                                    s = SIMD8<Float>(repeating: x2[ci]); c20 = c20.addingProduct(s, b0); c21 = c21.addingProduct(s, b1)
                                    s = SIMD8<Float>(repeating: x3[ci]); c30 = c30.addingProduct(s, b0); c31 = c31.addingProduct(s, b1)
                                    s = SIMD8<Float>(repeating: x4[ci]); c40 = c40.addingProduct(s, b0); c41 = c41.addingProduct(s, b1)
                                    s = SIMD8<Float>(repeating: x5[ci]); c50 = c50.addingProduct(s, b0); c51 = c51.addingProduct(s, b1)
                                    pw += oc
                                }
                            }
                        }
                        let out = outRow + ox * oc + j
                        store(clamp(c00, lo, hi), out); store(clamp(c01, lo, hi), out + 8)
                        store(clamp(c10, lo, hi), out + oc); store(clamp(c11, lo, hi), out + oc + 8)
                        store(clamp(c20, lo, hi), out + 2 * oc); store(clamp(c21, lo, hi), out + 2 * oc + 8)
                        store(clamp(c30, lo, hi), out + 3 * oc); store(clamp(c31, lo, hi), out + 3 * oc + 8)
                        store(clamp(c40, lo, hi), out + 4 * oc); store(clamp(c41, lo, hi), out + 4 * oc + 8)
                        store(clamp(c50, lo, hi), out + 5 * oc); store(clamp(c51, lo, hi), out + 5 * oc + 8)
                        j += 16
                    }
                    if j < oc {
                        for r in 0..<6 { convPixel(ox: ox + r, oy: oy, from: j, input: input, size: size, channels: c, filter: filter, kernel: kernel, outChannels: oc,
                                                   strides: strides, dilations: dilations, padding: padding, bias: bias, out: outRow + (ox + r) * oc, lo: lo, hi: hi) }
                    }
                    ox += 6
                } else {
                    convPixel(ox: ox, oy: oy, from: 0, input: input, size: size, channels: c, filter: filter, kernel: kernel, outChannels: oc,
                              strides: strides, dilations: dilations, padding: padding, bias: bias, out: outRow + ox * oc, lo: lo, hi: hi)
                    ox += 1
                }
            }
        }
    }

    /// One output pixel, output channels `first..<oc` in blocks of 8, taps tested against the bounds.
    @inline(__always)
    static func convPixel(ox: Int, oy: Int, from first: Int, input: UnsafePointer<Float>, size: (Int, Int), channels c: Int, filter: UnsafePointer<Float>,
                          kernel: (Int, Int), outChannels oc: Int, strides: (Int, Int), dilations: (Int, Int), padding: (Int, Int),
                          bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>, lo: SIMD8<Float>, hi: SIMD8<Float>) {
        var j = first
        while j < oc {
            var acc = bias.map { load($0 + j) } ?? SIMD8()
            for ky in 0..<kernel.0 {
                let iy = oy * strides.0 - padding.0 + ky * dilations.0
                if iy < 0 || iy >= size.0 { continue }
                for kx in 0..<kernel.1 {
                    let ix = ox * strides.1 - padding.1 + kx * dilations.1
                    if ix < 0 || ix >= size.1 { continue }
                    let x = input + (iy * size.1 + ix) * c
                    var pw = filter + (ky * kernel.1 + kx) * c * oc + j
                    for ci in 0..<c {
                        acc = acc.addingProduct(SIMD8(repeating: x[ci]), load(pw))
                        pw += oc
                    }
                }
            }
            store(clamp(acc, lo, hi), out + j)
            j += 8
        }
    }
}
