#if arch(x86_64)
import StratumEngineSIMD

extension AVX512Kernels {
    /// `SIMDKernels.smallChannelConvolution` (same arguments and results) on 16-lane vectors:
    /// blocks of 12 pixels × 16 output channels, and × 8 for the last 8 when `outChannels` is
    /// not a multiple of 16.
    public static func smallChannelConvolution(input: UnsafePointer<Float>, size: (Int, Int), channels c: Int, filter: UnsafePointer<Float>,
                                               kernel: (Int, Int), outChannels n: Int, strides: (Int, Int), dilations: (Int, Int),
                                               bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
                                               outputSize: (Int, Int), lower: Float, upper: Float, hardSwish: Bool, rows: (Int, Int)) {
        let offsets = SIMDKernels.windowOffsets(kernel: kernel, dilations: dilations, width: size.1, channels: c)
        defer { offsets.deallocate() }
        let mode = clampMode(lower: lower, upper: upper, hardSwish: hardSwish)
        switch mode {
        case 0: smallChannels(input, size, c, filter, kernel, n, strides, dilations, bias, residual, output, outputSize, lower, upper, rows, offsets, mode: 0)
        case 1: smallChannels(input, size, c, filter, kernel, n, strides, dilations, bias, residual, output, outputSize, lower, upper, rows, offsets, mode: 1)
        case 2: smallChannels(input, size, c, filter, kernel, n, strides, dilations, bias, residual, output, outputSize, lower, upper, rows, offsets, mode: 2)
        default: smallChannels(input, size, c, filter, kernel, n, strides, dilations, bias, residual, output, outputSize, lower, upper, rows, offsets, mode: 3)
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
        let lo = SIMD16<Float>(repeating: lower), hi = SIMD16<Float>(repeating: upper)
        let lo8 = SIMD8<Float>(repeating: lower), hi8 = SIMD8<Float>(repeating: upper)
        let ow = outputSize.1, step = strides.1 &* c
        var oy = rows.0
        while oy < rows.1 {
            let row = input + oy &* strides.0 &* size.1 &* c
            var ox = 0
            while ox < ow {
                let count = least(12, ow &- ox)
                let pixel = oy &* ow &+ ox
                var j = 0
                while j &+ 16 <= n {
                    let (base, weights, out) = (row + ox &* step, filter + j, output + (pixel &* n &+ j))
                    let (bias, residual) = (bias.map { $0 + j }, residual.map { $0 + (pixel &* n &+ j) })
                    // RGB stems (3 channels at stride 2 or 1) in whole blocks: with the step and
                    // the count literals, the block's 12 input pointers are one pointer and
                    // constant displacements (as 12 pointers, three of them and the loop's
                    // counters were reloaded from the stack on every window value).
                    if count == 12 && step == 6 {
                        smallBlock12x16(taps: taps, offsets: offsets, base: base, step: 6, count: 12, filter: weights, ldb: n, bias: bias, residual: residual,
                                        out: out, lo: lo, hi: hi, mode: mode)
                    } else if count == 12 && step == 3 {
                        smallBlock12x16(taps: taps, offsets: offsets, base: base, step: 3, count: 12, filter: weights, ldb: n, bias: bias, residual: residual,
                                        out: out, lo: lo, hi: hi, mode: mode)
                    } else {
                        smallBlock12x16(taps: taps, offsets: offsets, base: base, step: step, count: count, filter: weights, ldb: n,
                                        bias: bias, residual: residual, out: out, lo: lo, hi: hi, mode: mode)
                    }
                    j &+= 16
                }
                if j < n {
                    // The last 8 channels (8 alone: torch-mobilenetv3's stem) on StratumEngineSIMD's 12 × 8
                    // block, compiled here: with AVX-512's 32 vector registers its 12 sums and their
                    // broadcasts stay in registers (on AVX2's 16 they went through the stack on every
                    // window value). Whole blocks of RGB stems with one input pointer, as above.
                    let (base, weights, out) = (row + ox &* step, filter + j, output + (pixel &* n &+ j))
                    let (bias, residual) = (bias.map { $0 + j }, residual.map { $0 + (pixel &* n &+ j) })
                    if count == 12 && step == 6 {
                        SIMDKernels.smallBlock12x8(taps: taps, offsets: offsets, base: base, step: 6, count: 12, filter: weights, ldb: n,
                                                   bias: bias, residual: residual, out: out, lo: lo8, hi: hi8, mode: mode)
                    } else if count == 12 && step == 3 {
                        SIMDKernels.smallBlock12x8(taps: taps, offsets: offsets, base: base, step: 3, count: 12, filter: weights, ldb: n,
                                                   bias: bias, residual: residual, out: out, lo: lo8, hi: hi8, mode: mode)
                    } else {
                        SIMDKernels.smallBlock12x8(taps: taps, offsets: offsets, base: base, step: step, count: count, filter: weights, ldb: n,
                                                   bias: bias, residual: residual, out: out, lo: lo8, hi: hi8, mode: mode)
                    }
                }
                ox &+= count
            }
            oy &+= 1
        }
    }

    /// 12 pixels (`count` real ones; the others repeat the last) × 16 output channels.
    @_transparent
    static func smallBlock12x16(taps: Int, offsets: UnsafePointer<Int>, base: UnsafePointer<Float>, step: Int, count: Int,
                                filter: UnsafePointer<Float>, ldb: Int, bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?,
                                out: UnsafeMutablePointer<Float>, lo: SIMD16<Float>, hi: SIMD16<Float>, mode: ClampMode) {
        let initial = bias.map { load($0) } ?? SIMD16()
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
            a0 = a0.addingProduct(SIMD16(repeating: p0[o]), b); a1 = a1.addingProduct(SIMD16(repeating: p1[o]), b)
            a2 = a2.addingProduct(SIMD16(repeating: p2[o]), b); a3 = a3.addingProduct(SIMD16(repeating: p3[o]), b)
            a4 = a4.addingProduct(SIMD16(repeating: p4[o]), b); a5 = a5.addingProduct(SIMD16(repeating: p5[o]), b)
            a6 = a6.addingProduct(SIMD16(repeating: p6[o]), b); a7 = a7.addingProduct(SIMD16(repeating: p7[o]), b)
            a8 = a8.addingProduct(SIMD16(repeating: p8[o]), b); a9 = a9.addingProduct(SIMD16(repeating: p9[o]), b)
            a10 = a10.addingProduct(SIMD16(repeating: p10[o]), b); a11 = a11.addingProduct(SIMD16(repeating: p11[o]), b)
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

    /// One pixel's accumulator, plus its residual, activated and stored. Transparent, as
    /// `clamp` is: with @inline(__always) the optimiser left it out of line in the block (a call
    /// per stored pixel, its vector passed in 128-bit pieces, the mode tested at run time).
    @_transparent
    static func smallStore(_ value: SIMD16<Float>, _ out: UnsafeMutablePointer<Float>, _ residual: UnsafePointer<Float>?,
                           _ lo: SIMD16<Float>, _ hi: SIMD16<Float>, _ mode: ClampMode) {
        var v = value
        if let residual { v += load(residual) }
        store(clamp(v, lo, hi, mode), out)
    }
}
#endif
