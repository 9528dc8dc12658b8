extension SIMDKernels {
    /// Depthwise convolution of one image with a fused bias and clamp. `channels` must be a
    /// multiple of 8; the filter is [kh, kw, channels]; taps outside the image count as zero.
    /// For 3×3 filters, output pixels whose whole window lies inside the image keep the nine
    /// weight vectors of a channel block in registers.
    /// Sizes are (height, width); `padding` is (top, left).
    public static func depthwiseBiasClamp(input: UnsafePointer<Float>, size: (Int, Int), channels: Int, filter: UnsafePointer<Float>, kernel: (Int, Int),
                                          strides: (Int, Int), dilations: (Int, Int), padding: (Int, Int), bias: UnsafePointer<Float>?,
                                          output: UnsafeMutablePointer<Float>, outputSize: (Int, Int), lower: Float, upper: Float) {
        // (No geometry struct: a type here would get value witnesses compiled for this module's CPU.)
        let (height, width) = size, (kernelHeight, kernelWidth) = kernel, (strideY, strideX) = strides
        let (dilationY, dilationX) = dilations, (outputHeight, outputWidth) = outputSize, (top, left) = padding
        precondition(channels % 8 == 0, "depthwise kernel needs a multiple of 8 channels")
        let lo = SIMD8<Float>(repeating: lower), hi = SIMD8<Float>(repeating: upper)
        let c = channels
        // Output columns whose whole window is inside the image: ox·sx − left ≥ 0 and
        // ox·sx − left + (kw−1)·dx < width.
        var interiorStart = 0
        while interiorStart < outputWidth && interiorStart * strideX - left < 0 { interiorStart += 1 }
        var interiorEnd = outputWidth
        while interiorEnd > interiorStart && (interiorEnd - 1) * strideX - left + (kernelWidth - 1) * dilationX >= width { interiorEnd -= 1 }
        let fast3x3 = kernelHeight == 3 && kernelWidth == 3
        for oy in 0..<outputHeight {
            let y0 = oy * strideY - top
            let rowsInside = y0 >= 0 && y0 + (kernelHeight - 1) * dilationY < height
            let outRow = output + oy * outputWidth * c
            var cb = 0
            while cb < c {
                let bias8 = bias.map { load($0 + cb) } ?? SIMD8()
                if fast3x3 && rowsInside {
                    let w = filter + cb
                    let w0 = load(w), w1 = load(w + c), w2 = load(w + 2 * c)
                    let w3 = load(w + 3 * c), w4 = load(w + 4 * c), w5 = load(w + 5 * c)
                    let w6 = load(w + 6 * c), w7 = load(w + 7 * c), w8 = load(w + 8 * c)
                    let r0 = input + y0 * width * c + cb
                    let r1 = r0 + dilationY * width * c, r2 = r1 + dilationY * width * c
                    let dx = dilationX * c
                    for ox in 0..<interiorStart { generic(ox: ox, oy: oy, cb: cb, input: input, size: size, channels: c, filter: filter, kernel: kernel, strides: strides, dilations: dilations, padding: padding, bias8: bias8, out: outRow + ox * c + cb, lo: lo, hi: hi) }
                    // Four output pixels at a time: four independent FMA chains hide the latency.
                    let step = strideX &* c
                    var ox = interiorStart
                    while ox &+ 4 <= interiorEnd {
                        let x = (ox &* strideX &- left) &* c
                        let p0 = r0 + x, q0 = r1 + x, s0 = r2 + x
                        var a0 = bias8, a1 = bias8, a2 = bias8, a3 = bias8
                        row3x4(p0, step: step, dx: dx, w0, w1, w2, &a0, &a1, &a2, &a3)
                        row3x4(q0, step: step, dx: dx, w3, w4, w5, &a0, &a1, &a2, &a3)
                        row3x4(s0, step: step, dx: dx, w6, w7, w8, &a0, &a1, &a2, &a3)
                        let out = outRow + (ox &* c &+ cb)
                        store(clamp(a0, lo, hi), out); store(clamp(a1, lo, hi), out + c)
                        store(clamp(a2, lo, hi), out + 2 &* c); store(clamp(a3, lo, hi), out + 3 &* c)
                        ox &+= 4
                    }
                    while ox < interiorEnd {
                        let x = (ox &* strideX &- left) &* c
                        var acc = bias8.addingProduct(load(r0 + x), w0)
                        acc = acc.addingProduct(load(r0 + x + dx), w1)
                        acc = acc.addingProduct(load(r0 + x + 2 &* dx), w2)
                        acc = acc.addingProduct(load(r1 + x), w3)
                        acc = acc.addingProduct(load(r1 + x + dx), w4)
                        acc = acc.addingProduct(load(r1 + x + 2 &* dx), w5)
                        acc = acc.addingProduct(load(r2 + x), w6)
                        acc = acc.addingProduct(load(r2 + x + dx), w7)
                        acc = acc.addingProduct(load(r2 + x + 2 &* dx), w8)
                        store(clamp(acc, lo, hi), outRow + (ox &* c &+ cb))
                        ox &+= 1
                    }
                    for ox in interiorEnd..<outputWidth { generic(ox: ox, oy: oy, cb: cb, input: input, size: size, channels: c, filter: filter, kernel: kernel, strides: strides, dilations: dilations, padding: padding, bias8: bias8, out: outRow + ox * c + cb, lo: lo, hi: hi) }
                } else {
                    for ox in 0..<outputWidth { generic(ox: ox, oy: oy, cb: cb, input: input, size: size, channels: c, filter: filter, kernel: kernel, strides: strides, dilations: dilations, padding: padding, bias8: bias8, out: outRow + ox * c + cb, lo: lo, hi: hi) }
                }
                cb += 8
            }
        }
    }

    /// One filter row (three taps) for four output pixels `step` floats apart.
    @inline(__always)
    static func row3x4(_ row: UnsafePointer<Float>, step: Int, dx: Int, _ wa: SIMD8<Float>, _ wb: SIMD8<Float>, _ wc: SIMD8<Float>,
                       _ a0: inout SIMD8<Float>, _ a1: inout SIMD8<Float>, _ a2: inout SIMD8<Float>, _ a3: inout SIMD8<Float>) {
        let p1 = row + step, p2 = row + 2 &* step, p3 = row + 3 &* step
        a0 = a0.addingProduct(load(row), wa); a1 = a1.addingProduct(load(p1), wa)
        a2 = a2.addingProduct(load(p2), wa); a3 = a3.addingProduct(load(p3), wa)
        a0 = a0.addingProduct(load(row + dx), wb); a1 = a1.addingProduct(load(p1 + dx), wb)
        a2 = a2.addingProduct(load(p2 + dx), wb); a3 = a3.addingProduct(load(p3 + dx), wb)
        a0 = a0.addingProduct(load(row + 2 &* dx), wc); a1 = a1.addingProduct(load(p1 + 2 &* dx), wc)
        a2 = a2.addingProduct(load(p2 + 2 &* dx), wc); a3 = a3.addingProduct(load(p3 + 2 &* dx), wc)
    }

    /// One output pixel's 8 channels, testing every tap against the image's bounds.
    @inline(__always)
    static func generic(ox: Int, oy: Int, cb: Int, input: UnsafePointer<Float>, size: (Int, Int), channels: Int, filter: UnsafePointer<Float>,
                        kernel: (Int, Int), strides: (Int, Int), dilations: (Int, Int), padding: (Int, Int),
                        bias8: SIMD8<Float>, out: UnsafeMutablePointer<Float>, lo: SIMD8<Float>, hi: SIMD8<Float>) {
        var acc = bias8
        for ky in 0..<kernel.0 {
            let iy = oy * strides.0 - padding.0 + ky * dilations.0
            if iy < 0 || iy >= size.0 { continue }
            for kx in 0..<kernel.1 {
                let ix = ox * strides.1 - padding.1 + kx * dilations.1
                if ix < 0 || ix >= size.1 { continue }
                acc = acc.addingProduct(load(input + (iy * size.1 + ix) * channels + cb), load(filter + (ky * kernel.1 + kx) * channels + cb))
            }
        }
        store(clamp(acc, lo, hi), out)
    }
}
