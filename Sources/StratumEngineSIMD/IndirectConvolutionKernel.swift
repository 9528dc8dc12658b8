/// Convolution as an indirect GEMM: the GEMM's rows are output pixels, and instead of copying
/// each pixel's window into a row of a matrix (im2col), the kernel reads it through pointers.
extension SIMDKernels {
    /// The pointer tables of an indirect convolution of one image, block after block: for
    /// output rows [rows.0, rows.1), pixels taken 6 at a time across row ends, `multiply` is
    /// called with each block's table, its number of taps, the values per tap, its first pixel
    /// (in the image's output) and how many of its 6 pixels are real.
    ///
    /// A table holds, per tap and pixel ([tap][pixel], 6 pointers per tap), where the tap's
    /// values start in the input, or a run of zeros when the tap falls outside the image; a
    /// block of fewer than 6 pixels repeats its last one. With `rowAligned` > 0, blocks never
    /// span two output rows and hold at most that many pixels (for narrow outputs, where the
    /// next option then pays off). Input rows outside `validRows` are taken to hold zeros (the
    /// border of a zero-bordered copy): a block within one output row leaves out its taps on
    /// such rows (they are the first and last filter rows, as input rows grow with the tap),
    /// and `multiply` is told the first tap it gets (`firstTap`: the filter rows start at
    /// `firstTap · tapLength`). When every pixel of the block has
    /// its window inside the image horizontally (and there is no horizontal dilation), a tap is
    /// a whole filter row, kw·c contiguous values, which is also the filter's HWIO layout, so
    /// the block runs kh long taps instead of kh·kw short ones. The kernels (`indirectColumns`
    /// here, wider ones in StratumEngineAVX512) keep their accumulators in registers across
    /// every tap, so nothing is copied and each output is written once.
    public static func indirectConvolution(input: UnsafePointer<Float>, size: (Int, Int), channels: Int, kernel: (Int, Int), strides: (Int, Int),
                                           dilations: (Int, Int), padding: (Int, Int), outputSize: (Int, Int), rows: (Int, Int),
                                           validRows: (Int, Int)? = nil, rowAligned: Int = 0,
                                           multiply: (_ table: UnsafePointer<UnsafePointer<Float>>, _ firstTap: Int, _ taps: Int, _ tapLength: Int,
                                                      _ pixel: Int, _ count: Int) -> Void) {
        let (h, w) = size, (kh, kw) = kernel, (sy, sx) = strides, (dy, dx) = dilations, (top, left) = padding
        let ow = outputSize.1, c = channels
        let taps = kh &* kw
        // Zeros standing in for taps outside the image (a whole window row at most).
        let zeros = UnsafeMutablePointer<Float>.allocate(capacity: kw &* c)
        zeros.initialize(repeating: 0, count: kw &* c)
        defer { zeros.deallocate() }
        // One pointer per tap per pixel of a 6-pixel block: [tap][pixel].
        let pointers = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: taps &* 6)
        defer { pointers.deallocate() }
        // The block's pixels' window origins, advanced pixel by pixel (no division per pixel).
        let origins = UnsafeMutablePointer<Int>.allocate(capacity: 12)
        defer { origins.deallocate() }
        var pixel = rows.0 &* ow
        let end = rows.1 &* ow
        var oy = rows.0, ox = 0
        // Output columns whose window lies inside the image horizontally (no dilation).
        var interiorStart = 0, interiorEnd = 0
        if dx == 1 {
            while interiorStart < ow && interiorStart &* sx &- left < 0 { interiorStart &+= 1 }
            interiorEnd = ow
            while interiorEnd > interiorStart && (interiorEnd &- 1) &* sx &- left &+ kw > w { interiorEnd &-= 1 }
        }
        let pixelStride = sx &* c
        let (validTop, validEnd) = validRows ?? (0, h)
        while pixel < end {
            let count = least(rowAligned > 0 ? least(least(6, rowAligned), ow &- ox) : 6, end &- pixel)
            if ox >= interiorStart && ox &+ count <= interiorEnd {
                // The common case, quickly: one output row, every window inside horizontally.
                let y0 = oy &* sy &- top
                let x0 = ox &* sx &- left
                var firstTap = kh, lastTap = 0
                for ky in 0..<kh {
                    let iy = y0 &+ ky &* dy
                    let slots = pointers + ky &* 6
                    if iy >= 0 && iy < h {
                        let start = input + (iy &* w &+ x0) &* c
                        for r in 0..<6 { slots[r] = start + least(r, count &- 1) &* pixelStride }
                    } else {
                        for r in 0..<6 { slots[r] = UnsafePointer(zeros) }
                    }
                    if iy >= validTop && iy < validEnd && iy >= 0 && iy < h {
                        if firstTap == kh { firstTap = ky }
                        lastTap = ky &+ 1
                    }
                }
                if firstTap == kh { (firstTap, lastTap) = (0, 1) } // all zeros: one tap of them, for the bias and clamp
                multiply(UnsafePointer(pointers + firstTap &* 6), firstTap, lastTap &- firstTap, kw &* c, pixel, count)
                ox &+= count
                if ox == ow { ox = 0; oy &+= 1 }
                pixel &+= count
                continue
            }
            // Whole window rows inside horizontally for every pixel: one tap per filter row,
            // kw·c contiguous values; else one tap per (ky, kx), c values.
            var segments = dx == 1
            for r in 0..<count {
                let x0 = ox &* sx &- left
                origins[2 &* r] = oy &* sy &- top
                origins[2 &* r &+ 1] = x0
                if x0 < 0 || x0 &+ kw > w { segments = false }
                ox &+= 1
                if ox == ow { ox = 0; oy &+= 1 }
            }
            let blockTaps = segments ? kh : taps, seg = segments ? kw &* c : c
            for r in 0..<6 {
                let q = least(r, count &- 1)
                let y0 = origins[2 &* q], x0 = origins[2 &* q &+ 1]
                var t = 0
                for ky in 0..<kh {
                    let iy = y0 &+ ky &* dy
                    if segments {
                        pointers[t &* 6 &+ r] = iy >= 0 && iy < h ? input + (iy &* w &+ x0) &* c : UnsafePointer(zeros)
                        t &+= 1
                        continue
                    }
                    for kx in 0..<kw {
                        let ix = x0 &+ kx &* dx
                        pointers[t &* 6 &+ r] = iy >= 0 && iy < h && ix >= 0 && ix < w ? input + (iy &* w &+ ix) &* c : UnsafePointer(zeros)
                        t &+= 1
                    }
                }
            }
            multiply(UnsafePointer(pointers), 0, blockTaps, seg, pixel, count)
            pixel &+= count
        }
    }


    /// Output channels [first, outChannels) of the 6-pixel block whose table `indirectConvolution`
    /// made: 16 columns at a time, then 8, then one by one; bias first, then the residual (laid
    /// out as the output) and the clamp as the results are stored.
    public static func indirectColumns(from first: Int, to end: Int? = nil, table: UnsafePointer<UnsafePointer<Float>>, taps: Int, tapLength: Int, pixel: Int, count: Int,
                                       filter: UnsafePointer<Float>, outChannels n: Int, bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?,
                                       output: UnsafeMutablePointer<Float>, lower: Float, upper: Float, hardSwish: Bool = false) {
        // The clamp mode is passed on as a value: the blocks are functions of their own, and a
        // closure per mode here left standard-library specialisations in the object file.
        let mode = clampMode(lower: lower, upper: upper, hardSwish: hardSwish)
        let end = end ?? n
        do {
            let lo = SIMD8<Float>(repeating: lower), hi = SIMD8<Float>(repeating: upper)
            var j = first
            while j &+ 16 <= end {
                iblock6x16(taps: taps, c: tapLength, pointers: table, b: filter + j, ldb: n, rows: count, bias: bias.map { $0 + j },
                           residual: residual.map { $0 + (pixel &* n &+ j) }, out: output + (pixel &* n &+ j), ldc: n, lo: lo, hi: hi, mode: mode)
                j &+= 16
            }
            while j &+ 8 <= end {
                iblock6x8(taps: taps, c: tapLength, pointers: table, b: filter + j, ldb: n, rows: count, bias: bias.map { $0 + j },
                          residual: residual.map { $0 + (pixel &* n &+ j) }, out: output + (pixel &* n &+ j), ldc: n, lo: lo, hi: hi, mode: mode)
                j &+= 8
            }
            for r in 0..<count where j < end {
                for col in j..<end {
                    var sum = (bias?[col] ?? 0) + (residual?[(pixel &+ r) &* n &+ col] ?? 0)
                    for t in 0..<taps {
                        let a = table[t &* 6 &+ r]
                        for ci in 0..<tapLength { sum = sum.addingProduct(a[ci], filter[(t &* tapLength &+ ci) &* n &+ col]) }
                    }
                    output[(pixel &+ r) &* n &+ col] = activated(sum, lower, upper, mode)
                }
            }
        }
    }

    @inline(__always)
    static func iblock6x16(taps: Int, c: Int, pointers: UnsafePointer<UnsafePointer<Float>>, b: UnsafePointer<Float>, ldb: Int, rows: Int,
                           bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>, ldc: Int,
                           lo: SIMD8<Float>, hi: SIMD8<Float>, mode: ClampMode) {
        let bias0 = bias.map { load($0) } ?? SIMD8(), bias1 = bias.map { load($0 + 8) } ?? SIMD8()
        var c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1, c20 = bias0, c21 = bias1
        var c30 = bias0, c31 = bias1, c40 = bias0, c41 = bias1, c50 = bias0, c51 = bias1
        if let r = residual {
            let r1 = r + least(1, rows &- 1) &* ldc, r2 = r + least(2, rows &- 1) &* ldc, r3 = r + least(3, rows &- 1) &* ldc
            let r4 = r + least(4, rows &- 1) &* ldc, r5 = r + least(5, rows &- 1) &* ldc
            c00 += load(r); c01 += load(r + 8); c10 += load(r1); c11 += load(r1 + 8); c20 += load(r2); c21 += load(r2 + 8)
            c30 += load(r3); c31 += load(r3 + 8); c40 += load(r4); c41 += load(r4 + 8); c50 += load(r5); c51 += load(r5 + 8)
        }
        var pb = b
        var pp = pointers
        for _ in 0..<taps {
            let a0 = pp[0], a1 = pp[1], a2 = pp[2], a3 = pp[3], a4 = pp[4], a5 = pp[5]
            for ci in 0..<c {
                let b0 = load(pb), b1 = load(pb + 8)
                var s = SIMD8<Float>(repeating: a0[ci]); c00 = c00.addingProduct(s, b0); c01 = c01.addingProduct(s, b1)
                s = SIMD8<Float>(repeating: a1[ci]); c10 = c10.addingProduct(s, b0); c11 = c11.addingProduct(s, b1)
                s = SIMD8<Float>(repeating: a2[ci]); c20 = c20.addingProduct(s, b0); c21 = c21.addingProduct(s, b1)
                s = SIMD8<Float>(repeating: a3[ci]); c30 = c30.addingProduct(s, b0); c31 = c31.addingProduct(s, b1)
                s = SIMD8<Float>(repeating: a4[ci]); c40 = c40.addingProduct(s, b0); c41 = c41.addingProduct(s, b1)
                s = SIMD8<Float>(repeating: a5[ci]); c50 = c50.addingProduct(s, b0); c51 = c51.addingProduct(s, b1)
                pb += ldb
            }
            pp += 6
        }
        store(clamp(c00, lo, hi, mode), out); store(clamp(c01, lo, hi, mode), out + 8)
        if rows > 1 { store(clamp(c10, lo, hi, mode), out + ldc); store(clamp(c11, lo, hi, mode), out + ldc + 8) }
        if rows > 2 { store(clamp(c20, lo, hi, mode), out + 2 &* ldc); store(clamp(c21, lo, hi, mode), out + 2 &* ldc + 8) }
        if rows > 3 { store(clamp(c30, lo, hi, mode), out + 3 &* ldc); store(clamp(c31, lo, hi, mode), out + 3 &* ldc + 8) }
        if rows > 4 { store(clamp(c40, lo, hi, mode), out + 4 &* ldc); store(clamp(c41, lo, hi, mode), out + 4 &* ldc + 8) }
        if rows > 5 { store(clamp(c50, lo, hi, mode), out + 5 &* ldc); store(clamp(c51, lo, hi, mode), out + 5 &* ldc + 8) }
    }

    @inline(__always)
    static func iblock6x8(taps: Int, c: Int, pointers: UnsafePointer<UnsafePointer<Float>>, b: UnsafePointer<Float>, ldb: Int, rows: Int,
                          bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>, ldc: Int,
                          lo: SIMD8<Float>, hi: SIMD8<Float>, mode: ClampMode) {
        let bias0 = bias.map { load($0) } ?? SIMD8()
        var c0 = bias0, c1 = bias0, c2 = bias0, c3 = bias0, c4 = bias0, c5 = bias0
        if let r = residual {
            c0 += load(r); c1 += load(r + least(1, rows &- 1) &* ldc); c2 += load(r + least(2, rows &- 1) &* ldc)
            c3 += load(r + least(3, rows &- 1) &* ldc); c4 += load(r + least(4, rows &- 1) &* ldc); c5 += load(r + least(5, rows &- 1) &* ldc)
        }
        var pb = b
        var pp = pointers
        for _ in 0..<taps {
            let a0 = pp[0], a1 = pp[1], a2 = pp[2], a3 = pp[3], a4 = pp[4], a5 = pp[5]
            for ci in 0..<c {
                let b0 = load(pb)
                c0 = c0.addingProduct(SIMD8(repeating: a0[ci]), b0); c1 = c1.addingProduct(SIMD8(repeating: a1[ci]), b0)
                c2 = c2.addingProduct(SIMD8(repeating: a2[ci]), b0); c3 = c3.addingProduct(SIMD8(repeating: a3[ci]), b0)
                c4 = c4.addingProduct(SIMD8(repeating: a4[ci]), b0); c5 = c5.addingProduct(SIMD8(repeating: a5[ci]), b0)
                pb += ldb
            }
            pp += 6
        }
        store(clamp(c0, lo, hi, mode), out)
        if rows > 1 { store(clamp(c1, lo, hi, mode), out + ldc) }
        if rows > 2 { store(clamp(c2, lo, hi, mode), out + 2 &* ldc) }
        if rows > 3 { store(clamp(c3, lo, hi, mode), out + 3 &* ldc) }
        if rows > 4 { store(clamp(c4, lo, hi, mode), out + 4 &* ldc) }
        if rows > 5 { store(clamp(c5, lo, hi, mode), out + 5 &* ldc) }
    }
}

extension SIMDKernels {
    /// 3 pixels × 32 output channels (12 accumulators); reads the first 3 of the table's 6
    /// pointers per tap. For outputs at most 3 wide, a row at a time (see `convBiasClamp`): the
    /// 6-pixel blocks span rows there and so cannot leave out the filter rows on the zero
    /// border. (Blocks of 3 pixels × 16 columns were tried: their 6 sums in flight are too few
    /// to cover the FMA units' latency, and they were no faster than the 6-pixel blocks.)
    @inline(__always)
    static func iblock3x32(taps: Int, c: Int, pointers: UnsafePointer<UnsafePointer<Float>>, b: UnsafePointer<Float>, ldb: Int, rows: Int,
                           bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>, ldc: Int,
                           lo: SIMD8<Float>, hi: SIMD8<Float>, mode: ClampMode) {
        let bias0 = bias.map { load($0) } ?? SIMD8(), bias1 = bias.map { load($0 + 8) } ?? SIMD8()
        let bias2 = bias.map { load($0 + 16) } ?? SIMD8(), bias3 = bias.map { load($0 + 24) } ?? SIMD8()
        var c00 = bias0, c01 = bias1, c02 = bias2, c03 = bias3
        var c10 = bias0, c11 = bias1, c12 = bias2, c13 = bias3
        var c20 = bias0, c21 = bias1, c22 = bias2, c23 = bias3
        if let r = residual {
            let r1 = r + least(1, rows &- 1) &* ldc, r2 = r + least(2, rows &- 1) &* ldc
            c00 += load(r); c01 += load(r + 8); c02 += load(r + 16); c03 += load(r + 24)
            c10 += load(r1); c11 += load(r1 + 8); c12 += load(r1 + 16); c13 += load(r1 + 24)
            c20 += load(r2); c21 += load(r2 + 8); c22 += load(r2 + 16); c23 += load(r2 + 24)
        }
        var pb = b
        var pp = pointers
        for _ in 0..<taps {
            let a0 = pp[0], a1 = pp[1], a2 = pp[2]
            for ci in 0..<c {
                // The three broadcasts first, then a column vector at a time: 12 sums, 3 broadcasts and
                // one column vector are the 16 registers AVX2 has (all four column vectors held at
                // once spilled sums to the stack).
                let s0 = SIMD8<Float>(repeating: a0[ci]), s1 = SIMD8<Float>(repeating: a1[ci]), s2 = SIMD8<Float>(repeating: a2[ci])
                var v = load(pb)
                c00 = c00.addingProduct(s0, v); c10 = c10.addingProduct(s1, v); c20 = c20.addingProduct(s2, v)
                v = load(pb + 8)
                c01 = c01.addingProduct(s0, v); c11 = c11.addingProduct(s1, v); c21 = c21.addingProduct(s2, v)
                v = load(pb + 16)
                c02 = c02.addingProduct(s0, v); c12 = c12.addingProduct(s1, v); c22 = c22.addingProduct(s2, v)
                v = load(pb + 24)
                c03 = c03.addingProduct(s0, v); c13 = c13.addingProduct(s1, v); c23 = c23.addingProduct(s2, v)
                pb += ldb
            }
            pp += 6
        }
        store(clamp(c00, lo, hi, mode), out); store(clamp(c01, lo, hi, mode), out + 8)
        store(clamp(c02, lo, hi, mode), out + 16); store(clamp(c03, lo, hi, mode), out + 24)
        if rows > 1 {
            let o = out + ldc
            store(clamp(c10, lo, hi, mode), o); store(clamp(c11, lo, hi, mode), o + 8)
            store(clamp(c12, lo, hi, mode), o + 16); store(clamp(c13, lo, hi, mode), o + 24)
        }
        if rows > 2 {
            let o = out + 2 &* ldc
            store(clamp(c20, lo, hi, mode), o); store(clamp(c21, lo, hi, mode), o + 8)
            store(clamp(c22, lo, hi, mode), o + 16); store(clamp(c23, lo, hi, mode), o + 24)
        }
    }
}
