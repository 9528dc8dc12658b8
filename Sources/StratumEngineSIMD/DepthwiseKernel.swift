extension SIMDKernels {
    /// Depthwise convolution of one image with a fused bias and clamp. `channels` must be a
    /// multiple of 8; the filter is [kh, kw, channels]; taps outside the image count as zero.
    /// Sizes are (height, width); `padding` is (top, left); `rows`, when given, limits the
    /// work to output rows [first, end).
    ///
    /// 3×3 and 5×5 filters with stride 1 or 2 and no horizontal dilation take a fast path for
    /// output pixels whose whole window lies inside the image: four neighbouring output pixels
    /// are computed together, each input column of a filter row loaded once for the taps that
    /// share it (6 loads for 12 FMAs at stride 1, 9 at stride 2 on 3×3; 8 for 20 and 11 for 20
    /// on 5×5) and four independent FMA chains hiding latency. A 3×3 filter takes one block of
    /// 8 channels at a time along the whole row, its nine weight vectors and bias loaded once
    /// for the row's groups (with every block of a group before the next group, as before, each
    /// group reloaded them: a 16-channel 48×48 layer ran 31% slower, a 96-channel 24×24 one 5%).
    /// A 5×5 group takes every block before the next group, loading a filter row's five weight
    /// vectors per row. On the top and bottom border rows the groups run too, over the filter rows
    /// that fall inside the image; where the interior is not a multiple of four wide, its last
    /// group overlaps the one before. The left and right border columns (and interiors under four
    /// wide) go through `borderPixel`, which clips the window once per pixel. Narrow maps whose
    /// columns are mostly border read a copy padded with zeros left and right instead, where every
    /// column is interior. (A zero-bordered copy once measured no faster on MobileNetV3's 6×6 maps,
    /// with the pixels after the last group on the slow paths; with overlapping groups, its 6×6
    /// 5×5 layers took 0.70–0.78× the time on one core, the model at batch 32 +3%.)
    public static func depthwiseBiasClamp(input: UnsafePointer<Float>, size: (Int, Int), channels: Int, filter: UnsafePointer<Float>, kernel: (Int, Int),
                                          strides: (Int, Int), dilations: (Int, Int), padding: (Int, Int), bias: UnsafePointer<Float>?,
                                          output: UnsafeMutablePointer<Float>, outputSize: (Int, Int), lower: Float, upper: Float,
                                          hardSwish: Bool = false, rows: (Int, Int)? = nil) {
        let rows = rows ?? (0, outputSize.0)
        let (h, w) = size, c = channels, (kh, kw) = kernel
        // A narrow map whose columns are mostly on the padding (MobileNetV3's 6×6 maps under 5×5
        // filters: 2 of 6 columns inside) runs on a copy padded with zeros left and right, where
        // every column is inside and a row is a group or two of four. (Where most columns are
        // inside, as on its stride-2 layers, the copy cost more than the border pixels it saved.)
        let reach = (outputSize.1 &- 1) &* strides.1 &+ kw
        let inside = interiorColumns(outputWidth: outputSize.1, width: w, kernelWidth: kw, stride: strides.1, dilation: dilations.1, left: padding.1)
        if takesGroups(kernel: kernel, strideX: strides.1, dilationX: dilations.1) && padding.1 > 0
            && outputSize.1 >= 4 && outputSize.1 <= narrowWidth && 2 &* inside.count < outputSize.1 && rows.1 > rows.0 {
            let paddedWidth = reach > padding.1 &+ w ? reach : padding.1 &+ w
            let copy = UnsafeMutablePointer<Float>.allocate(capacity: h &* paddedWidth &* c)
            defer { copy.deallocate() }
            // The input rows these output rows read (the others stay unwritten and unread).
            let first = rows.0 &* strides.0 &- padding.0, last = (rows.1 &- 1) &* strides.0 &- padding.0 &+ (kh &- 1) &* dilations.0
            let rowStart = first > 0 ? first : 0, rowEnd = last &+ 1 < h ? last &+ 1 : h
            if rowStart < rowEnd {
                for y in rowStart..<rowEnd {
                    let target = copy + y &* paddedWidth &* c, source = input + y &* w &* c
                    for i in 0..<(padding.1 &* c) { target[i] = 0 }
                    for i in 0..<(w &* c) { target[padding.1 &* c &+ i] = source[i] }
                    for i in ((padding.1 &+ w) &* c)..<(paddedWidth &* c) { target[i] = 0 }
                }
            }
            withClampMode(lower: lower, upper: upper, hardSwish: hardSwish) { mode in
                depthwise(input: UnsafePointer(copy), size: (h, paddedWidth), channels: c, filter: filter, kernel: kernel, strides: strides,
                          dilations: dilations, padding: (padding.0, 0), bias: bias, output: output, outputSize: outputSize, lower: lower,
                          upper: upper, mode: mode, rows: rows)
            }
            return
        }
        withClampMode(lower: lower, upper: upper, hardSwish: hardSwish) { mode in
            depthwise(input: input, size: size, channels: channels, filter: filter, kernel: kernel, strides: strides, dilations: dilations,
                      padding: padding, bias: bias, output: output, outputSize: outputSize, lower: lower, upper: upper, mode: mode,
                      rows: rows)
        }
    }

    /// Outputs at most this wide with padded columns run on a zero-padded copy (see `depthwiseBiasClamp`).
    static let narrowWidth = 12

    /// Whether a filter takes the groups of four: 3×3 or 5×5, stride 1 or 2 across, no
    /// dilation across.
    @inline(__always)
    static func takesGroups(kernel: (Int, Int), strideX: Int, dilationX: Int) -> Bool {
        (kernel == (3, 3) || kernel == (5, 5)) && (strideX == 1 || strideX == 2) && dilationX == 1
    }

    /// The output columns whose whole window lies inside the image's `width` columns.
    @inline(__always)
    static func interiorColumns(outputWidth: Int, width: Int, kernelWidth: Int, stride: Int, dilation: Int, left: Int) -> Range<Int> {
        var start = 0
        while start < outputWidth && start * stride - left < 0 { start += 1 }
        var end = outputWidth
        while end > start && (end - 1) * stride - left + (kernelWidth - 1) * dilation >= width { end -= 1 }
        return start..<end
    }

    @inline(__always)
    static func depthwise(input: UnsafePointer<Float>, size: (Int, Int), channels: Int, filter: UnsafePointer<Float>, kernel: (Int, Int),
                          strides: (Int, Int), dilations: (Int, Int), padding: (Int, Int), bias: UnsafePointer<Float>?,
                          output: UnsafeMutablePointer<Float>, outputSize: (Int, Int), lower: Float, upper: Float, mode: ClampMode,
                          rows: (Int, Int)) {
        // (No geometry struct: a type here would get value witnesses compiled for this module's CPU.)
        precondition(channels % 8 == 0, "depthwise kernel needs a multiple of 8 channels")
        let (height, width) = size, (strideY, strideX) = strides, (dilationY, dilationX) = dilations
        let outputWidth = outputSize.1, (top, left) = padding, c = channels
        let lo = SIMD8<Float>(repeating: lower), hi = SIMD8<Float>(repeating: upper)
        let interior = interiorColumns(outputWidth: outputWidth, width: width, kernelWidth: kernel.1, stride: strideX, dilation: dilationX, left: left)
        let (interiorStart, interiorEnd) = (interior.lowerBound, interior.upperBound)
        let five = kernel == (5, 5)
        let fast = takesGroups(kernel: kernel, strideX: strideX, dilationX: dilationX)
        for oy in rows.0..<rows.1 {
            let y0 = oy * strideY - top
            let outRow = output + oy * outputWidth * c
            // The filter rows whose input rows lie inside the image: all of them but on the
            // top and bottom border rows, which take the groups of four too, on fewer rows.
            let valid = inside(y0, kernel.0, dilationY, height)
            guard fast && !valid.isEmpty else {
                for ox in 0..<outputWidth {
                    borderPixel(ox: ox, oy: oy, input: input, size: size, channels: c, filter: filter, kernel: kernel, strides: strides,
                                dilations: dilations, padding: padding, bias: bias, out: outRow + ox * c, lo: lo, hi: hi, mode: mode)
                }
                continue
            }
            let clipped = valid.count < kernel.0
            for ox in 0..<outputWidth where ox < interiorStart || ox >= interiorEnd {
                borderPixel(ox: ox, oy: oy, input: input, size: size, channels: c, filter: filter, kernel: kernel, strides: strides,
                            dilations: dilations, padding: padding, bias: bias, out: outRow + ox * c, lo: lo, hi: hi, mode: mode)
            }
            let rowStride = dilationY &* width &* c
            // The first input row read (the window's first when no filter row is left out).
            let r0 = input + (y0 &+ valid.lowerBound &* dilationY) &* width &* c
            var ox = interiorStart
            // Groups of four output pixels, all channel blocks of a group before the next
            // group, so that the group's input columns stay in L1 while the blocks pass: here
            // 5×5 filters, and 3×3 ones on a border row, a filter row at a time.
            // Groups of four to the end of the interior; when it is not a multiple of four wide,
            // the last group overlaps the one before it (its pixels' sums are the same either
            // way) instead of leaving pixels to the slower paths.
            let groups = interiorEnd &- interiorStart >= 4
            while (five || clipped) && groups && ox < interiorEnd {
                if ox &+ 4 > interiorEnd { ox = interiorEnd &- 4 }
                let rowBase = r0 + (ox &* strideX &- left) &* c
                let out = outRow + ox &* c
                var cb = 0
                while cb < c {
                    let bias8 = bias.map { load($0 + cb) } ?? SIMD8()
                    var a0 = bias8, a1 = bias8, a2 = bias8, a3 = bias8
                    var row = rowBase + cb, w = filter + (valid.lowerBound &* kernel.1 &* c &+ cb)
                    for _ in valid {
                        if five {
                            let w0 = load(w), w1 = load(w + c), w2 = load(w + 2 &* c), w3 = load(w + 3 &* c), w4 = load(w + 4 &* c)
                            if strideX == 1 {
                                row5x4Stride1(row, c, w0, w1, w2, w3, w4, &a0, &a1, &a2, &a3)
                            } else {
                                row5x4Stride2(row, c, w0, w1, w2, w3, w4, &a0, &a1, &a2, &a3)
                            }
                        } else if strideX == 1 {
                            row3x4Stride1(row, c, load(w), load(w + c), load(w + 2 &* c), &a0, &a1, &a2, &a3)
                        } else {
                            row3x4Stride2(row, c, load(w), load(w + c), load(w + 2 &* c), &a0, &a1, &a2, &a3)
                        }
                        row += rowStride
                        w += kernel.1 &* c
                    }
                    let o = out + cb
                    store(clamp(a0, lo, hi, mode), o); store(clamp(a1, lo, hi, mode), o + c)
                    store(clamp(a2, lo, hi, mode), o + 2 &* c); store(clamp(a3, lo, hi, mode), o + 3 &* c)
                    cb &+= 8
                }
                ox &+= 4
            }
            // 3×3 windows wholly inside: a block of 8 channels at a time along the row, its nine
            // weight vectors and bias loaded once for the row's groups.
            if groups && ox < interiorEnd {
                var cb = 0
                while cb < c {
                    let w = filter + cb
                    let w0 = load(w), w1 = load(w + c), w2 = load(w + 2 &* c)
                    let w3 = load(w + 3 &* c), w4 = load(w + 4 &* c), w5 = load(w + 5 &* c)
                    let w6 = load(w + 6 &* c), w7 = load(w + 7 &* c), w8 = load(w + 8 &* c)
                    let bias8 = bias.map { load($0 + cb) } ?? SIMD8()
                    var gx = ox
                    while gx < interiorEnd {
                        if gx &+ 4 > interiorEnd { gx = interiorEnd &- 4 }
                        let row = r0 + ((gx &* strideX &- left) &* c &+ cb)
                        var a0 = bias8, a1 = bias8, a2 = bias8, a3 = bias8
                        if strideX == 1 {
                            row3x4Stride1(row, c, w0, w1, w2, &a0, &a1, &a2, &a3)
                            row3x4Stride1(row + rowStride, c, w3, w4, w5, &a0, &a1, &a2, &a3)
                            row3x4Stride1(row + 2 &* rowStride, c, w6, w7, w8, &a0, &a1, &a2, &a3)
                        } else {
                            row3x4Stride2(row, c, w0, w1, w2, &a0, &a1, &a2, &a3)
                            row3x4Stride2(row + rowStride, c, w3, w4, w5, &a0, &a1, &a2, &a3)
                            row3x4Stride2(row + 2 &* rowStride, c, w6, w7, w8, &a0, &a1, &a2, &a3)
                        }
                        let o = outRow + (gx &* c &+ cb)
                        store(clamp(a0, lo, hi, mode), o); store(clamp(a1, lo, hi, mode), o + c)
                        store(clamp(a2, lo, hi, mode), o + 2 &* c); store(clamp(a3, lo, hi, mode), o + 3 &* c)
                        gx &+= 4
                    }
                    cb &+= 8
                }
                ox = interiorEnd
            }
            while (five || clipped) && ox < interiorEnd {
                borderPixel(ox: ox, oy: oy, input: input, size: size, channels: c, filter: filter, kernel: kernel, strides: strides,
                            dilations: dilations, padding: padding, bias: bias, out: outRow + ox * c, lo: lo, hi: hi, mode: mode)
                ox &+= 1
            }
            while ox < interiorEnd {
                let p0 = r0 + (ox &* strideX &- left) &* c
                var cb = 0
                while cb < c {
                    let p = p0 + cb, q = p + rowStride, s = q + rowStride, w = filter + cb
                    var acc = bias.map { load($0 + cb) } ?? SIMD8()
                    acc = acc.addingProduct(load(p), load(w))
                    acc = acc.addingProduct(load(p + c), load(w + c))
                    acc = acc.addingProduct(load(p + 2 &* c), load(w + 2 &* c))
                    acc = acc.addingProduct(load(q), load(w + 3 &* c))
                    acc = acc.addingProduct(load(q + c), load(w + 4 &* c))
                    acc = acc.addingProduct(load(q + 2 &* c), load(w + 5 &* c))
                    acc = acc.addingProduct(load(s), load(w + 6 &* c))
                    acc = acc.addingProduct(load(s + c), load(w + 7 &* c))
                    acc = acc.addingProduct(load(s + 2 &* c), load(w + 8 &* c))
                    store(clamp(acc, lo, hi, mode), outRow + (ox &* c &+ cb))
                    cb &+= 8
                }
                ox &+= 1
            }
        }
    }

    /// One filter row for four output pixels at stride 1: input columns 0…5, each loaded once.
    @inline(__always)
    static func row3x4Stride1(_ row: UnsafePointer<Float>, _ c: Int, _ wa: SIMD8<Float>, _ wb: SIMD8<Float>, _ wc: SIMD8<Float>,
                              _ a0: inout SIMD8<Float>, _ a1: inout SIMD8<Float>, _ a2: inout SIMD8<Float>, _ a3: inout SIMD8<Float>) {
        var p = row
        var x = load(p); a0 = a0.addingProduct(x, wa)
        p += c; x = load(p); a0 = a0.addingProduct(x, wb); a1 = a1.addingProduct(x, wa)
        p += c; x = load(p); a0 = a0.addingProduct(x, wc); a1 = a1.addingProduct(x, wb); a2 = a2.addingProduct(x, wa)
        p += c; x = load(p); a1 = a1.addingProduct(x, wc); a2 = a2.addingProduct(x, wb); a3 = a3.addingProduct(x, wa)
        p += c; x = load(p); a2 = a2.addingProduct(x, wc); a3 = a3.addingProduct(x, wb)
        p += c; x = load(p); a3 = a3.addingProduct(x, wc)
    }

    /// One 5-wide filter row for four output pixels at stride 1: input columns 0…7, each loaded once.
    @inline(__always)
    static func row5x4Stride1(_ row: UnsafePointer<Float>, _ c: Int, _ wa: SIMD8<Float>, _ wb: SIMD8<Float>, _ wc: SIMD8<Float>,
                              _ wd: SIMD8<Float>, _ we: SIMD8<Float>,
                              _ a0: inout SIMD8<Float>, _ a1: inout SIMD8<Float>, _ a2: inout SIMD8<Float>, _ a3: inout SIMD8<Float>) {
        var p = row
        var x = load(p); a0 = a0.addingProduct(x, wa)
        p += c; x = load(p); a0 = a0.addingProduct(x, wb); a1 = a1.addingProduct(x, wa)
        p += c; x = load(p); a0 = a0.addingProduct(x, wc); a1 = a1.addingProduct(x, wb); a2 = a2.addingProduct(x, wa)
        p += c; x = load(p); a0 = a0.addingProduct(x, wd); a1 = a1.addingProduct(x, wc); a2 = a2.addingProduct(x, wb); a3 = a3.addingProduct(x, wa)
        p += c; x = load(p); a0 = a0.addingProduct(x, we); a1 = a1.addingProduct(x, wd); a2 = a2.addingProduct(x, wc); a3 = a3.addingProduct(x, wb)
        p += c; x = load(p); a1 = a1.addingProduct(x, we); a2 = a2.addingProduct(x, wd); a3 = a3.addingProduct(x, wc)
        p += c; x = load(p); a2 = a2.addingProduct(x, we); a3 = a3.addingProduct(x, wd)
        p += c; x = load(p); a3 = a3.addingProduct(x, we)
    }

    /// One 5-wide filter row for four output pixels at stride 2: input columns 0…10, each loaded once.
    @inline(__always)
    static func row5x4Stride2(_ row: UnsafePointer<Float>, _ c: Int, _ wa: SIMD8<Float>, _ wb: SIMD8<Float>, _ wc: SIMD8<Float>,
                              _ wd: SIMD8<Float>, _ we: SIMD8<Float>,
                              _ a0: inout SIMD8<Float>, _ a1: inout SIMD8<Float>, _ a2: inout SIMD8<Float>, _ a3: inout SIMD8<Float>) {
        var p = row
        var x = load(p); a0 = a0.addingProduct(x, wa)
        p += c; x = load(p); a0 = a0.addingProduct(x, wb)
        p += c; x = load(p); a0 = a0.addingProduct(x, wc); a1 = a1.addingProduct(x, wa)
        p += c; x = load(p); a0 = a0.addingProduct(x, wd); a1 = a1.addingProduct(x, wb)
        p += c; x = load(p); a0 = a0.addingProduct(x, we); a1 = a1.addingProduct(x, wc); a2 = a2.addingProduct(x, wa)
        p += c; x = load(p); a1 = a1.addingProduct(x, wd); a2 = a2.addingProduct(x, wb)
        p += c; x = load(p); a1 = a1.addingProduct(x, we); a2 = a2.addingProduct(x, wc); a3 = a3.addingProduct(x, wa)
        p += c; x = load(p); a2 = a2.addingProduct(x, wd); a3 = a3.addingProduct(x, wb)
        p += c; x = load(p); a2 = a2.addingProduct(x, we); a3 = a3.addingProduct(x, wc)
        p += c; x = load(p); a3 = a3.addingProduct(x, wd)
        p += c; x = load(p); a3 = a3.addingProduct(x, we)
    }

    /// One filter row for four output pixels at stride 2: input columns 0…8, each loaded once.
    @inline(__always)
    static func row3x4Stride2(_ row: UnsafePointer<Float>, _ c: Int, _ wa: SIMD8<Float>, _ wb: SIMD8<Float>, _ wc: SIMD8<Float>,
                              _ a0: inout SIMD8<Float>, _ a1: inout SIMD8<Float>, _ a2: inout SIMD8<Float>, _ a3: inout SIMD8<Float>) {
        var p = row
        var x = load(p); a0 = a0.addingProduct(x, wa)
        p += c; x = load(p); a0 = a0.addingProduct(x, wb)
        p += c; x = load(p); a0 = a0.addingProduct(x, wc); a1 = a1.addingProduct(x, wa)
        p += c; x = load(p); a1 = a1.addingProduct(x, wb)
        p += c; x = load(p); a1 = a1.addingProduct(x, wc); a2 = a2.addingProduct(x, wa)
        p += c; x = load(p); a2 = a2.addingProduct(x, wb)
        p += c; x = load(p); a2 = a2.addingProduct(x, wc); a3 = a3.addingProduct(x, wa)
        p += c; x = load(p); a3 = a3.addingProduct(x, wb)
        p += c; x = load(p); a3 = a3.addingProduct(x, wc)
    }

    /// Every channel of one output pixel whose window may leave the image: the window is
    /// clipped to the image once, then blocks of 8 channels sum the taps inside, each block on
    /// two FMA chains (even and odd columns of the window) so that a short map's few channel
    /// blocks do not wait on one chain's latency.
    @inline(__always)
    static func borderPixel(ox: Int, oy: Int, input: UnsafePointer<Float>, size: (Int, Int), channels c: Int, filter: UnsafePointer<Float>,
                            kernel: (Int, Int), strides: (Int, Int), dilations: (Int, Int), padding: (Int, Int),
                            bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>, lo: SIMD8<Float>, hi: SIMD8<Float>, mode: ClampMode) {
        let y0 = oy * strides.0 - padding.0, x0 = ox * strides.1 - padding.1
        let rows = inside(y0, kernel.0, dilations.0, size.0), columns = inside(x0, kernel.1, dilations.1, size.1)
        let origin = input + (y0 &* size.1 &+ x0) &* c, rowStep = dilations.0 &* size.1 &* c, columnStep = dilations.1 &* c
        let pairEnd = columns.lowerBound &+ (columns.count & ~1)
        var cb = 0
        while cb < c {
            var a = bias.map { load($0 + cb) } ?? SIMD8(), b = SIMD8<Float>()
            for ky in rows {
                var kx = columns.lowerBound
                while kx < pairEnd {
                    let x = origin + (ky &* rowStep &+ kx &* columnStep &+ cb), w = filter + ((ky &* kernel.1 &+ kx) &* c &+ cb)
                    a = a.addingProduct(load(x), load(w)); b = b.addingProduct(load(x + columnStep), load(w + c))
                    kx &+= 2
                }
                if kx < columns.upperBound {
                    a = a.addingProduct(load(origin + (ky &* rowStep &+ kx &* columnStep &+ cb)), load(filter + ((ky &* kernel.1 &+ kx) &* c &+ cb)))
                }
            }
            store(clamp(a + b, lo, hi, mode), out + cb)
            cb &+= 8
        }
    }
}
