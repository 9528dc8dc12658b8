/// Direct convolution for inputs of few channels: a network's first layer on RGB.
///
/// With 3 input channels the indirect GEMM's taps are 3 to 9 values long, so its per-tap
/// pointer loads and loop set-up cost as much as the multiplications. Here a block of
/// neighbouring output pixels of one row keeps an accumulator per pixel (8 output channels
/// each) in registers and walks the whole window, kh·kw·c values, as one flat list of offsets:
/// per value, one load of 8 weights and a broadcast of each pixel's input feed an FMA per pixel
/// (8 pixels on AVX2, 12 with AVX-512's registers). Where the output channels come in sixteens
/// (every stem of the bench networks but torch-mobilenetv3's 8-channel one), blocks of 6 pixels
/// × 16 channels take two weight loads and 6 broadcasts for the 12 FMAs instead.
extension SIMDKernels {
    /// Whether `smallChannelConvolution` takes a convolution: at most 4 input channels and a
    /// multiple of `lanes` output channels.
    public static func takesSmallChannels(channels: Int, outChannels: Int, lanes: Int = 8) -> Bool {
        channels >= 1 && channels <= 4 && outChannels > 0 && outChannels % lanes == 0
    }

    /// 2-D convolution of one NHWC image whose every window lies inside it (a zero-bordered
    /// copy: no padding here), HWIO filter, bias, an optional residual (laid out as the output)
    /// and the activation fused into the store (`ClampMode`, hard swish included). Output rows
    /// [rows.0, rows.1) only. Needs `takesSmallChannels`.
    public static func smallChannelConvolution(input: UnsafePointer<Float>, size: (Int, Int), channels c: Int, filter: UnsafePointer<Float>,
                                               kernel: (Int, Int), outChannels n: Int, strides: (Int, Int), dilations: (Int, Int),
                                               bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
                                               outputSize: (Int, Int), lower: Float, upper: Float, hardSwish: Bool, rows: (Int, Int)) {
        let offsets = windowOffsets(kernel: kernel, dilations: dilations, width: size.1, channels: c)
        defer { offsets.deallocate() }
        // One compiled loop per mode (a closure per mode would leave standard-library specialisations behind).
        switch clampMode(lower: lower, upper: upper, hardSwish: hardSwish) {
        case noClamp: smallChannels(input, size, c, filter, kernel, n, strides, dilations, bias, residual, output, outputSize, lower, upper, rows, offsets, mode: noClamp)
        case lowerOnly: smallChannels(input, size, c, filter, kernel, n, strides, dilations, bias, residual, output, outputSize, lower, upper, rows, offsets, mode: lowerOnly)
        case bothBounds: smallChannels(input, size, c, filter, kernel, n, strides, dilations, bias, residual, output, outputSize, lower, upper, rows, offsets, mode: bothBounds)
        default: smallChannels(input, size, c, filter, kernel, n, strides, dilations, bias, residual, output, outputSize, lower, upper, rows, offsets, mode: hardSwishMode)
        }
    }

    // Transparent: with @inline(__always) the optimiser kept one copy taking the mode at run
    // time, tested at each stored pixel. (That cost little: before this, a one-convolution model
    // ran as fast with hard swish as with ReLU.)
    @_transparent
    static func smallChannels(_ input: UnsafePointer<Float>, _ size: (Int, Int), _ c: Int, _ filter: UnsafePointer<Float>, _ kernel: (Int, Int), _ n: Int,
                              _ strides: (Int, Int), _ dilations: (Int, Int), _ bias: UnsafePointer<Float>?, _ residual: UnsafePointer<Float>?,
                              _ output: UnsafeMutablePointer<Float>, _ outputSize: (Int, Int), _ lower: Float, _ upper: Float, _ rows: (Int, Int),
                              _ offsets: UnsafePointer<Int>, mode: ClampMode) {
        let taps = kernel.0 &* kernel.1 &* c
        let lo = SIMD8<Float>(repeating: lower), hi = SIMD8<Float>(repeating: upper)
        let ow = outputSize.1, step = strides.1 &* c
        // 16 output channels at a time where they come in sixteens: half the broadcasts per FMA.
        let wide = n % 16 == 0
        let block = wide ? 6 : 8
        var oy = rows.0
        while oy < rows.1 {
            let row = input + oy &* strides.0 &* size.1 &* c
            var ox = 0
            while ox < ow {
                let count = least(block, ow &- ox)
                let pixel = oy &* ow &+ ox
                var j = 0
                while j < n {
                    let (base, weights, out) = (row + ox &* step, filter + j, output + (pixel &* n &+ j))
                    let (bias, residual) = (bias.map { $0 + j }, residual.map { $0 + (pixel &* n &+ j) })
                    if wide {
                        smallBlock6x16(taps: taps, offsets: offsets, base: base, step: step, count: count, filter: weights, ldb: n,
                                       bias: bias, residual: residual, out: out, lo: lo, hi: hi, mode: mode)
                        j &+= 16
                    } else {
                        smallBlock8x8(taps: taps, offsets: offsets, base: base, step: step, count: count, filter: weights, ldb: n,
                                      bias: bias, residual: residual, out: out, lo: lo, hi: hi, mode: mode)
                        j &+= 8
                    }
                }
                ox &+= count
            }
            oy &+= 1
        }
    }

    /// 6 pixels (`count` real ones; the others repeat the last) × 16 output channels, as two
    /// vectors: per window value, two loads of 8 weights and 6 broadcasts feed 12 FMAs (the
    /// 8 × 8 block takes a broadcast per FMA). 12 accumulators, two weight vectors and a
    /// broadcast: 15 of the 16 registers.
    @_transparent
    static func smallBlock6x16(taps: Int, offsets: UnsafePointer<Int>, base: UnsafePointer<Float>, step: Int, count: Int,
                               filter: UnsafePointer<Float>, ldb: Int, bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?,
                               out: UnsafeMutablePointer<Float>, lo: SIMD8<Float>, hi: SIMD8<Float>, mode: ClampMode) {
        let low = bias.map { load($0) } ?? SIMD8(), high = bias.map { load($0 + 8) } ?? SIMD8()
        var a0 = low, b0 = high, a1 = low, b1 = high, a2 = low, b2 = high
        var a3 = low, b3 = high, a4 = low, b4 = high, a5 = low, b5 = high
        let last = count &- 1
        let p0 = base, p1 = base + least(1, last) &* step, p2 = base + least(2, last) &* step
        let p3 = base + least(3, last) &* step, p4 = base + least(4, last) &* step, p5 = base + least(5, last) &* step
        var w = filter
        for t in 0..<taps {
            let o = offsets[t], w0 = load(w), w1 = load(w + 8)
            var x = SIMD8<Float>(repeating: p0[o]); a0 = a0.addingProduct(x, w0); b0 = b0.addingProduct(x, w1)
            x = SIMD8(repeating: p1[o]); a1 = a1.addingProduct(x, w0); b1 = b1.addingProduct(x, w1)
            x = SIMD8(repeating: p2[o]); a2 = a2.addingProduct(x, w0); b2 = b2.addingProduct(x, w1)
            x = SIMD8(repeating: p3[o]); a3 = a3.addingProduct(x, w0); b3 = b3.addingProduct(x, w1)
            x = SIMD8(repeating: p4[o]); a4 = a4.addingProduct(x, w0); b4 = b4.addingProduct(x, w1)
            x = SIMD8(repeating: p5[o]); a5 = a5.addingProduct(x, w0); b5 = b5.addingProduct(x, w1)
            w += ldb
        }
        let high8 = residual.map { $0 + 8 }
        smallStore(a0, out, residual, lo, hi, mode); smallStore(b0, out + 8, high8, lo, hi, mode)
        if count > 1 { smallStore(a1, out + ldb, residual.map { $0 + ldb }, lo, hi, mode); smallStore(b1, out + (ldb &+ 8), high8.map { $0 + ldb }, lo, hi, mode) }
        if count > 2 { smallStore(a2, out + 2 &* ldb, residual.map { $0 + 2 &* ldb }, lo, hi, mode); smallStore(b2, out + (2 &* ldb &+ 8), high8.map { $0 + 2 &* ldb }, lo, hi, mode) }
        if count > 3 { smallStore(a3, out + 3 &* ldb, residual.map { $0 + 3 &* ldb }, lo, hi, mode); smallStore(b3, out + (3 &* ldb &+ 8), high8.map { $0 + 3 &* ldb }, lo, hi, mode) }
        if count > 4 { smallStore(a4, out + 4 &* ldb, residual.map { $0 + 4 &* ldb }, lo, hi, mode); smallStore(b4, out + (4 &* ldb &+ 8), high8.map { $0 + 4 &* ldb }, lo, hi, mode) }
        if count > 5 { smallStore(a5, out + 5 &* ldb, residual.map { $0 + 5 &* ldb }, lo, hi, mode); smallStore(b5, out + (5 &* ldb &+ 8), high8.map { $0 + 5 &* ldb }, lo, hi, mode) }
    }

    /// `windowOffsets` into a new buffer (the caller deallocates it). A function of its own: the
    /// allocation inside the kernels' large, transparent loops was left out of line as a
    /// standard-library specialisation compiled for this module's CPU.
    @inline(never)
    public static func windowOffsets(kernel: (Int, Int), dilations: (Int, Int), width: Int, channels c: Int) -> UnsafeMutablePointer<Int> {
        let offsets = UnsafeMutablePointer<Int>.allocate(capacity: kernel.0 &* kernel.1 &* c)
        windowOffsets(offsets, kernel: kernel, dilations: dilations, width: width, channels: c)
        return offsets
    }

    /// Each window value's offset from the window's first, in the order of the HWIO filter's
    /// rows: (ky, kx, channel).
    public static func windowOffsets(_ offsets: UnsafeMutablePointer<Int>, kernel: (Int, Int), dilations: (Int, Int), width: Int, channels c: Int) {
        var t = 0
        for ky in 0..<kernel.0 {
            for kx in 0..<kernel.1 {
                for ci in 0..<c {
                    offsets[t] = (ky &* dilations.0 &* width &+ kx &* dilations.1) &* c &+ ci
                    t &+= 1
                }
            }
        }
    }

    /// 12 pixels (`count` real ones; the others repeat the last) × 8 output channels: the
    /// AVX-512 kernels' block for 8 channels (`AVX512Kernels.smallChannelConvolution` compiles
    /// it with 32 vector registers; on AVX2's 16 it spilled, see `smallBlock8x8`).
    @_transparent
    public static func smallBlock12x8(taps: Int, offsets: UnsafePointer<Int>, base: UnsafePointer<Float>, step: Int, count: Int,
                               filter: UnsafePointer<Float>, ldb: Int, bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?,
                               out: UnsafeMutablePointer<Float>, lo: SIMD8<Float>, hi: SIMD8<Float>, mode: ClampMode) {
        let initial = bias.map { load($0) } ?? SIMD8()
        var a0 = initial, a1 = initial, a2 = initial, a3 = initial, a4 = initial, a5 = initial
        var a6 = initial, a7 = initial, a8 = initial, a9 = initial, a10 = initial, a11 = initial
        let last = count &- 1
        let p0 = base, p1 = base + least(1, last) &* step, p2 = base + least(2, last) &* step, p3 = base + least(3, last) &* step
        let p4 = base + least(4, last) &* step, p5 = base + least(5, last) &* step, p6 = base + least(6, last) &* step
        let p7 = base + least(7, last) &* step, p8 = base + least(8, last) &* step, p9 = base + least(9, last) &* step
        let p10 = base + least(10, last) &* step, p11 = base + least(11, last) &* step
        var w = filter
        for t in 0..<taps {
            let o = offsets[t], b = load(w)
            a0 = a0.addingProduct(SIMD8(repeating: p0[o]), b); a1 = a1.addingProduct(SIMD8(repeating: p1[o]), b)
            a2 = a2.addingProduct(SIMD8(repeating: p2[o]), b); a3 = a3.addingProduct(SIMD8(repeating: p3[o]), b)
            a4 = a4.addingProduct(SIMD8(repeating: p4[o]), b); a5 = a5.addingProduct(SIMD8(repeating: p5[o]), b)
            a6 = a6.addingProduct(SIMD8(repeating: p6[o]), b); a7 = a7.addingProduct(SIMD8(repeating: p7[o]), b)
            a8 = a8.addingProduct(SIMD8(repeating: p8[o]), b); a9 = a9.addingProduct(SIMD8(repeating: p9[o]), b)
            a10 = a10.addingProduct(SIMD8(repeating: p10[o]), b); a11 = a11.addingProduct(SIMD8(repeating: p11[o]), b)
            w += ldb
        }
        // (A nested function here kept the accumulators in memory and was not inlined.)
        smallStore(a0, out, residual, lo, hi, mode)
        if count > 1 { smallStore(a1, out + ldb, residual.map { $0 + ldb }, lo, hi, mode) }
        if count > 2 { smallStore(a2, out + 2 &* ldb, residual.map { $0 + 2 &* ldb }, lo, hi, mode) }
        if count > 3 { smallStore(a3, out + 3 &* ldb, residual.map { $0 + 3 &* ldb }, lo, hi, mode) }
        if count > 4 { smallStore(a4, out + 4 &* ldb, residual.map { $0 + 4 &* ldb }, lo, hi, mode) }
        if count > 5 { smallStore(a5, out + 5 &* ldb, residual.map { $0 + 5 &* ldb }, lo, hi, mode) }
        if count > 6 { smallStore(a6, out + 6 &* ldb, residual.map { $0 + 6 &* ldb }, lo, hi, mode) }
        if count > 7 { smallStore(a7, out + 7 &* ldb, residual.map { $0 + 7 &* ldb }, lo, hi, mode) }
        if count > 8 { smallStore(a8, out + 8 &* ldb, residual.map { $0 + 8 &* ldb }, lo, hi, mode) }
        if count > 9 { smallStore(a9, out + 9 &* ldb, residual.map { $0 + 9 &* ldb }, lo, hi, mode) }
        if count > 10 { smallStore(a10, out + 10 &* ldb, residual.map { $0 + 10 &* ldb }, lo, hi, mode) }
        if count > 11 { smallStore(a11, out + 11 &* ldb, residual.map { $0 + 11 &* ldb }, lo, hi, mode) }
    }

    /// 8 pixels (`count` real ones; the others repeat the last) × 8 output channels: the block
    /// of the AVX2 kernels for channels that do not come in sixteens. 8 sums, their broadcasts
    /// and a weight vector fit AVX2's 16 registers where `smallBlock12x8`'s did not (its sums
    /// and broadcasts went through the stack on every window value; it is kept for the
    /// AVX-512 kernels, which have 32).
    @_transparent
    static func smallBlock8x8(taps: Int, offsets: UnsafePointer<Int>, base: UnsafePointer<Float>, step: Int, count: Int,
                              filter: UnsafePointer<Float>, ldb: Int, bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?,
                              out: UnsafeMutablePointer<Float>, lo: SIMD8<Float>, hi: SIMD8<Float>, mode: ClampMode) {
        let initial = bias.map { load($0) } ?? SIMD8()
        var a0 = initial, a1 = initial, a2 = initial, a3 = initial, a4 = initial, a5 = initial, a6 = initial, a7 = initial
        let last = count &- 1
        let p0 = base, p1 = base + least(1, last) &* step, p2 = base + least(2, last) &* step, p3 = base + least(3, last) &* step
        let p4 = base + least(4, last) &* step, p5 = base + least(5, last) &* step, p6 = base + least(6, last) &* step
        let p7 = base + least(7, last) &* step
        var w = filter
        for t in 0..<taps {
            let o = offsets[t], b = load(w)
            a0 = a0.addingProduct(SIMD8(repeating: p0[o]), b); a1 = a1.addingProduct(SIMD8(repeating: p1[o]), b)
            a2 = a2.addingProduct(SIMD8(repeating: p2[o]), b); a3 = a3.addingProduct(SIMD8(repeating: p3[o]), b)
            a4 = a4.addingProduct(SIMD8(repeating: p4[o]), b); a5 = a5.addingProduct(SIMD8(repeating: p5[o]), b)
            a6 = a6.addingProduct(SIMD8(repeating: p6[o]), b); a7 = a7.addingProduct(SIMD8(repeating: p7[o]), b)
            w += ldb
        }
        smallStore(a0, out, residual, lo, hi, mode)
        if count > 1 { smallStore(a1, out + ldb, residual.map { $0 + ldb }, lo, hi, mode) }
        if count > 2 { smallStore(a2, out + 2 &* ldb, residual.map { $0 + 2 &* ldb }, lo, hi, mode) }
        if count > 3 { smallStore(a3, out + 3 &* ldb, residual.map { $0 + 3 &* ldb }, lo, hi, mode) }
        if count > 4 { smallStore(a4, out + 4 &* ldb, residual.map { $0 + 4 &* ldb }, lo, hi, mode) }
        if count > 5 { smallStore(a5, out + 5 &* ldb, residual.map { $0 + 5 &* ldb }, lo, hi, mode) }
        if count > 6 { smallStore(a6, out + 6 &* ldb, residual.map { $0 + 6 &* ldb }, lo, hi, mode) }
        if count > 7 { smallStore(a7, out + 7 &* ldb, residual.map { $0 + 7 &* ldb }, lo, hi, mode) }
    }

    /// One pixel's accumulator, plus its residual, activated and stored. Transparent, as
    /// `clamp` is: with @inline(__always) the optimiser left it out of line in the block (a call
    /// per stored pixel, its vector passed in 128-bit pieces, the mode tested at run time).
    @_transparent @usableFromInline
    static func smallStore(_ value: SIMD8<Float>, _ out: UnsafeMutablePointer<Float>, _ residual: UnsafePointer<Float>?,
                           _ lo: SIMD8<Float>, _ hi: SIMD8<Float>, _ mode: ClampMode) {
        var v = value
        if let residual { v += load(residual) }
        store(clamp(v, lo, hi, mode), out)
    }
}
