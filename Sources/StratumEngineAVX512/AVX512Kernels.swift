#if arch(x86_64)
import CKernelSupport
import StratumEngineSIMD

/// Stratum's AVX-512 kernels: the GEMM's and the indirect convolution's column blocks on
/// 16-lane vectors.
///
/// This module is compiled for Skylake-SP-class CPUs (AVX-512 F, CD, BW, DQ, VL on top of
/// AVX2 and FMA; see Package.swift), so nothing here may run before StratumEngine's
/// `SIMDSupport.hasAVX512` has said yes. As in StratumEngineSIMD, everything is written on raw
/// pointers and `SIMD16<Float>`, and `scripts/check-simd-symbols.sh` checks that no shared
/// standard-library specialisation is left in the objects. The pointer tables come from
/// StratumEngineSIMD's `indirectConvolution`, and the columns these blocks leave (fewer than
/// 16) go to its 8-column and scalar code.
///
/// With 32 vector registers a block of 6 pixels takes 32 output channels (12 accumulators of
/// 16 lanes): twice the work of the AVX2 block per broadcast and per load of A. On an AMD EPYC
/// (Zen 4, whose 512-bit FMAs take two 256-bit halves) it measured 1.0–1.4× the AVX2 kernel on
/// one core on the bench networks' 3×3 and 5×5 layers (more for more output channels); on CPUs
/// with two 512-bit FMA units the gap should be wider.
public enum AVX512Kernels {
    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always)
    static func store(_ value: SIMD16<Float>, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD16<Float>.self)
    }

    /// Which bounds a block applies as it stores (0: none, 1: lower, 2: both, 3: hard swish), a
    /// constant per compiled loop, as StratumEngineSIMD's `ClampMode`.
    typealias ClampMode = Int

    @inline(__always)
    static func clamp(_ value: SIMD16<Float>, _ lo: SIMD16<Float>, _ hi: SIMD16<Float>, _ mode: ClampMode) -> SIMD16<Float> {
        if mode == 0 { return value }
        if mode == 3 {
            var t = value * SIMD16<Float>(repeating: 1 / 6) + SIMD16<Float>(repeating: 0.5)
            t = stratum_min16(SIMD16<Float>(repeating: 1), stratum_max16(SIMD16<Float>(), t))
            return value * t
        }
        // MAXPS/MINPS (CKernelSupport), as StratumEngineSIMD's `clamp`: NaN stays NaN.
        let result = stratum_max16(lo, value)
        if mode == 1 { return result }
        return stratum_min16(hi, result)
    }

    /// The mode for these bounds, or 3 for hard swish.
    @inline(__always)
    static func clampMode(lower: Float, upper: Float, hardSwish: Bool) -> ClampMode {
        hardSwish ? 3 : lower == -.infinity && upper == .infinity ? 0 : upper == .infinity ? 1 : 2
    }

    @inline(__always)
    static func least(_ a: Int, _ b: Int) -> Int { a < b ? a : b }

    /// `rounds` × 12 independent 16-lane FMAs (384 floating-point operations a round): what
    /// this CPU's FMA units sustain on AVX-512 (`SIMDSupport.measuredPeak`). Returns a sum of
    /// the accumulators so that the work cannot be left out.
    public static func fmaProbe(rounds: Int) -> Float {
        let m = SIMD16<Float>(repeating: 0.5), a = SIMD16<Float>(repeating: 1e-7)
        var c0 = SIMD16<Float>(repeating: 1), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0
        var c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0
        for _ in 0..<rounds {
            c0 = c0.addingProduct(m, a); c1 = c1.addingProduct(m, a); c2 = c2.addingProduct(m, a)
            c3 = c3.addingProduct(m, a); c4 = c4.addingProduct(m, a); c5 = c5.addingProduct(m, a)
            c6 = c6.addingProduct(m, a); c7 = c7.addingProduct(m, a); c8 = c8.addingProduct(m, a)
            c9 = c9.addingProduct(m, a); c10 = c10.addingProduct(m, a); c11 = c11.addingProduct(m, a)
        }
        let total = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11))
        var sum: Float = 0
        for lane in 0..<16 { sum += total[lane] }
        return sum
    }

    /// `SIMDKernels.pool` (same arguments and results) 16 channels at a time; `channels` must
    /// be a multiple of 16.
    public static func pool(input: UnsafePointer<Float>, size: (Int, Int), channels c: Int, window: (Int, Int), strides: (Int, Int),
                            padding: (Int, Int), average: Bool, output: UnsafeMutablePointer<Float>, outputSize: (Int, Int), rows: (Int, Int)) {
        precondition(c % 16 == 0, "the AVX-512 pooling kernel needs a multiple of 16 channels")
        if average {
            pool(input, size, c, window, strides, padding, averaging: true, output, outputSize, rows)
        } else {
            pool(input, size, c, window, strides, padding, averaging: false, output, outputSize, rows)
        }
    }

    /// The window's rows or columns k (of `count`) with 0 ≤ origin + k < limit.
    @inline(__always)
    static func inside(_ origin: Int, _ count: Int, _ limit: Int) -> (Int, Int) {
        let first = origin < 0 ? least(count, 0 &- origin) : 0
        let last = origin &+ count > limit ? (limit &- origin > first ? limit &- origin : first) : count
        return (first, last)
    }

    @inline(__always)
    static func pool(_ input: UnsafePointer<Float>, _ size: (Int, Int), _ c: Int, _ window: (Int, Int), _ strides: (Int, Int), _ padding: (Int, Int),
                     averaging: Bool, _ output: UnsafeMutablePointer<Float>, _ outputSize: (Int, Int), _ outputRows: (Int, Int)) {
        let rowStride = size.1 &* c
        // Max pooling over 2×2 and 3×3 windows: the outputs whose windows lie inside the image
        // go through an unrolled loop (a tree of maxima, no per-pixel bounds); on resnet_style's
        // 96×96 stem pool the general loop took ~6 µs on one core.
        let unrolled = !averaging && (window == (2, 2) || window == (3, 3))
        let (firstInside, endInside) = SIMDKernels.poolColumnsInside(padding: padding.1, stride: strides.1, window: window.1,
                                                                     width: size.1, count: outputSize.1)
        var out = output + outputRows.0 &* outputSize.1 &* c
        var oy = outputRows.0
        while oy < outputRows.1 {
            let y0 = oy &* strides.0 &- padding.0
            let rows = inside(y0, window.0, size.0)
            var ox = 0
            while ox < outputSize.1 {
                if unrolled && ox == firstInside && firstInside < endInside && rows == (0, window.0) {
                    let (first, count) = (input + (y0 &* size.1 &+ ox &* strides.1 &- padding.1) &* c, endInside &- ox)
                    if window.0 == 3 { maxWindows(first, rowStride, c, strides.1 &* c, count, out, size: 3) }
                    else { maxWindows(first, rowStride, c, strides.1 &* c, count, out, size: 2) }
                    out += (endInside &- ox) &* c
                    ox = endInside
                    continue
                }
                let x0 = ox &* strides.1 &- padding.1
                let columns = inside(x0, window.1, size.1)
                let first = input + ((y0 &+ rows.0) &* size.1 &+ x0 &+ columns.0) &* c
                let (height, width) = (rows.1 &- rows.0, columns.1 &- columns.0)
                let scale = SIMD16<Float>(repeating: height &* width > 0 ? 1 / Float(height &* width) : 1)
                var cb = 0
                while cb < c {
                    var acc = SIMD16<Float>(repeating: averaging ? 0 : -.infinity)
                    var row = first + cb
                    var ky = 0
                    while ky < height {
                        var tap = row
                        var kx = 0
                        while kx < width {
                            let value = load(tap)
                            if averaging { acc += value } else { acc.replace(with: value, where: value .> acc) }
                            tap += c
                            kx &+= 1
                        }
                        row += rowStride
                        ky &+= 1
                    }
                    if averaging { acc *= scale }
                    store(acc, out + cb)
                    cb &+= 16
                }
                out += c
                ox &+= 1
            }
            oy &+= 1
        }
    }

    @inline(__always)
    static func larger(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> { a.replacing(with: b, where: b .> a) }

    /// `count` outputs along a row of `size`×`size` max-pooling windows (2 or 3: a constant at
    /// each call, so each gets its own unrolled loop), all inside the image: the first window's
    /// top-left value at `first`, the next `step` values on; `c` channels.
    @inline(__always)
    static func maxWindows(_ first: UnsafePointer<Float>, _ rowStride: Int, _ c: Int, _ step: Int, _ count: Int, _ output: UnsafeMutablePointer<Float>,
                           size: Int) {
        var window = first, out = output
        for _ in 0..<count {
            var cb = 0
            while cb < c {
                let r0 = window + cb, r1 = r0 + rowStride
                let top = larger(load(r0), load(r0 + c)), middle = larger(load(r1), load(r1 + c))
                if size == 3 {
                    let r2 = r1 + rowStride
                    let right = larger(load(r0 + 2 &* c), load(r1 + 2 &* c)), bottom = larger(load(r2), load(r2 + c))
                    store(larger(larger(top, middle), larger(larger(right, bottom), load(r2 + 2 &* c))), out + cb)
                } else {
                    store(larger(top, middle), out + cb)
                }
                cb &+= 16
            }
            window += step
            out += c
        }
    }

    /// `SIMDKernels.gemmBiasClamp` (same arguments and results) with blocks of 6 rows × 32 and
    /// 16 columns on 16-lane vectors; the last columns (fewer than 16), and products of one or
    /// two rows, on the AVX2 code.
    public static func gemmBiasClamp(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                                     bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>? = nil, c: UnsafeMutablePointer<Float>,
                                     lower: Float, upper: Float, hardSwish: Bool = false) {
        let mode = clampMode(lower: lower, upper: upper, hardSwish: hardSwish)
        switch mode {
        case 0: gemm(m, n, k, a, lda, b, bias, residual, c, lower, upper, mode: 0)
        case 1: gemm(m, n, k, a, lda, b, bias, residual, c, lower, upper, mode: 1)
        case 2: gemm(m, n, k, a, lda, b, bias, residual, c, lower, upper, mode: 2)
        default: gemm(m, n, k, a, lda, b, bias, residual, c, lower, upper, mode: 3)
        }
    }

    @inline(__always)
    static func gemm(_ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                     _ residual: UnsafePointer<Float>?, _ c: UnsafeMutablePointer<Float>, _ lower: Float, _ upper: Float, mode: ClampMode) {
        let lo = SIMD16<Float>(repeating: lower), hi = SIMD16<Float>(repeating: upper)
        var i = 0
        while i < m {
            let rows = least(6, m &- i)
            let (a, residual, c) = (a + i &* lda, residual.map { $0 + i &* n }, c + i &* n)
            i &+= rows
            if rows <= 2 {
                SIMDKernels.gemmBiasClamp(m: rows, n: n, k: k, a: a, lda: lda, b: b, bias: bias, residual: residual, c: c, lower: lower, upper: upper,
                                          hardSwish: mode == 3)
                continue
            }
            var j = 0
            while j &+ 32 <= n {
                gemmBlock6x32(k: k, a: a, lda: lda, rows: rows, b: b + j, ldb: n, bias: bias.map { $0 + j }, residual: residual.map { $0 + j },
                              c: c + j, ldc: n, lo: lo, hi: hi, mode: mode)
                j &+= 32
            }
            while j &+ 16 <= n {
                gemmBlock6x16(k: k, a: a, lda: lda, rows: rows, b: b + j, ldb: n, bias: bias.map { $0 + j }, residual: residual.map { $0 + j },
                              c: c + j, ldc: n, lo: lo, hi: hi, mode: mode)
                j &+= 16
            }
            if j < n {
                SIMDKernels.gemmColumns(from: j, rows: rows, n: n, k: k, a: a, lda: lda, b: b, bias: bias, residual: residual, c: c, lower: lower, upper: upper,
                                        hardSwish: mode == 3)
            }
        }
    }

    /// `SIMDKernels.convBiasClamp` (same arguments and results) with 32- and 16-column blocks
    /// of 16 lanes; the last columns (fewer than 16) on the AVX2 blocks and scalar code.
    public static func convBiasClamp(input: UnsafePointer<Float>, size: (Int, Int), channels: Int, filter: UnsafePointer<Float>, kernel: (Int, Int),
                                     outChannels n: Int, strides: (Int, Int), dilations: (Int, Int), padding: (Int, Int), bias: UnsafePointer<Float>?,
                                     residual: UnsafePointer<Float>? = nil, output: UnsafeMutablePointer<Float>, outputSize: (Int, Int),
                                     lower: Float, upper: Float, hardSwish: Bool = false, rows: (Int, Int)? = nil, validRows: (Int, Int)? = nil,
                                     outChannelRange: (Int, Int)? = nil) {
        let mode = clampMode(lower: lower, upper: upper, hardSwish: hardSwish)
        let columns = outChannelRange ?? (0, n)
        switch mode {
        case 0: convolve(input, size, channels, filter, kernel, n, strides, dilations, padding, bias, residual, output, outputSize, lower, upper, rows, validRows, columns, mode: 0)
        case 1: convolve(input, size, channels, filter, kernel, n, strides, dilations, padding, bias, residual, output, outputSize, lower, upper, rows, validRows, columns, mode: 1)
        case 2: convolve(input, size, channels, filter, kernel, n, strides, dilations, padding, bias, residual, output, outputSize, lower, upper, rows, validRows, columns, mode: 2)
        default: convolve(input, size, channels, filter, kernel, n, strides, dilations, padding, bias, residual, output, outputSize, lower, upper, rows, validRows, columns, mode: 3)
        }
    }

    @inline(__always)
    static func convolve(_ input: UnsafePointer<Float>, _ size: (Int, Int), _ channels: Int, _ filter: UnsafePointer<Float>, _ kernel: (Int, Int), _ n: Int,
                         _ strides: (Int, Int), _ dilations: (Int, Int), _ padding: (Int, Int), _ bias: UnsafePointer<Float>?,
                         _ residual: UnsafePointer<Float>?, _ output: UnsafeMutablePointer<Float>, _ outputSize: (Int, Int), _ lower: Float, _ upper: Float,
                         _ rows: (Int, Int)?, _ validRows: (Int, Int)?, _ columns: (Int, Int), mode: ClampMode) {
        let lo = SIMD16<Float>(repeating: lower), hi = SIMD16<Float>(repeating: upper)
        // Outputs 3, 4 or 8 pixels wide go a row at a time, on blocks of 3 or 4 pixels: a block
        // then leaves out the filter rows that fall on the zero border above or below the image
        // (on a 3×3 output with padding 1, 21 pixel-taps of 3×3 instead of 36 in 6-pixel blocks).
        let width = outputSize.1
        let aligned = width <= 3 ? 3 : width == 4 || width == 8 ? 4 : 0
        SIMDKernels.indirectConvolution(input: input, size: size, channels: channels, kernel: kernel, strides: strides, dilations: dilations,
                                        padding: padding, outputSize: outputSize, rows: rows ?? (0, outputSize.0), validRows: validRows,
                                        rowAligned: aligned) { table, firstTap, taps, tapLength, pixel, count in
            let filter = filter + firstTap &* tapLength &* n
            var j = columns.0
            if count <= 3 {
                while j &+ 64 <= columns.1 {
                    block3x64(taps: taps, c: tapLength, pointers: table, b: filter + j, ldb: n, rows: count, bias: bias.map { $0 + j },
                              residual: residual.map { $0 + (pixel &* n &+ j) }, out: output + (pixel &* n &+ j), ldc: n, lo: lo, hi: hi, mode: mode)
                    j &+= 64
                }
            } else if count == 4 {
                while j &+ 64 <= columns.1 {
                    block4x64(taps: taps, c: tapLength, pointers: table, b: filter + j, ldb: n, rows: count, bias: bias.map { $0 + j },
                              residual: residual.map { $0 + (pixel &* n &+ j) }, out: output + (pixel &* n &+ j), ldc: n, lo: lo, hi: hi, mode: mode)
                    j &+= 64
                }
            }
            while j &+ 32 <= columns.1 {
                block6x32(taps: taps, c: tapLength, pointers: table, b: filter + j, ldb: n, rows: count, bias: bias.map { $0 + j },
                          residual: residual.map { $0 + (pixel &* n &+ j) }, out: output + (pixel &* n &+ j), ldc: n, lo: lo, hi: hi, mode: mode)
                j &+= 32
            }
            while j &+ 16 <= columns.1 {
                block6x16(taps: taps, c: tapLength, pointers: table, b: filter + j, ldb: n, rows: count, bias: bias.map { $0 + j },
                          residual: residual.map { $0 + (pixel &* n &+ j) }, out: output + (pixel &* n &+ j), ldc: n, lo: lo, hi: hi, mode: mode)
                j &+= 16
            }
            if j < columns.1 {
                SIMDKernels.indirectColumns(from: j, to: columns.1, table: table, taps: taps, tapLength: tapLength, pixel: pixel, count: count, filter: filter,
                                            outChannels: n, bias: bias, residual: residual, output: output, lower: lower, upper: upper,
                                            hardSwish: mode == 3)
            }
        }
    }

    /// 3 pixels × 64 output channels (12 accumulators); reads the first 3 of the table's 6
    /// pointers per tap.
    @inline(__always)
    static func block3x64(taps: Int, c: Int, pointers: UnsafePointer<UnsafePointer<Float>>, b: UnsafePointer<Float>, ldb: Int, rows: Int,
                          bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>, ldc: Int,
                          lo: SIMD16<Float>, hi: SIMD16<Float>, mode: ClampMode) {
        let bias0 = bias.map { load($0) } ?? SIMD16(), bias1 = bias.map { load($0 + 16) } ?? SIMD16()
        let bias2 = bias.map { load($0 + 32) } ?? SIMD16(), bias3 = bias.map { load($0 + 48) } ?? SIMD16()
        var c00 = bias0, c01 = bias1, c02 = bias2, c03 = bias3
        var c10 = bias0, c11 = bias1, c12 = bias2, c13 = bias3
        var c20 = bias0, c21 = bias1, c22 = bias2, c23 = bias3
        if let r = residual {
            let r1 = r + least(1, rows &- 1) &* ldc, r2 = r + least(2, rows &- 1) &* ldc
            c00 += load(r); c01 += load(r + 16); c02 += load(r + 32); c03 += load(r + 48)
            c10 += load(r1); c11 += load(r1 + 16); c12 += load(r1 + 32); c13 += load(r1 + 48)
            c20 += load(r2); c21 += load(r2 + 16); c22 += load(r2 + 32); c23 += load(r2 + 48)
        }
        var pb = b
        var pp = pointers
        for _ in 0..<taps {
            let a0 = pp[0], a1 = pp[1], a2 = pp[2]
            for ci in 0..<c {
                let b0 = load(pb), b1 = load(pb + 16), b2 = load(pb + 32), b3 = load(pb + 48)
                var s = SIMD16<Float>(repeating: a0[ci])
                c00 = c00.addingProduct(s, b0); c01 = c01.addingProduct(s, b1); c02 = c02.addingProduct(s, b2); c03 = c03.addingProduct(s, b3)
                s = SIMD16<Float>(repeating: a1[ci])
                c10 = c10.addingProduct(s, b0); c11 = c11.addingProduct(s, b1); c12 = c12.addingProduct(s, b2); c13 = c13.addingProduct(s, b3)
                s = SIMD16<Float>(repeating: a2[ci])
                c20 = c20.addingProduct(s, b0); c21 = c21.addingProduct(s, b1); c22 = c22.addingProduct(s, b2); c23 = c23.addingProduct(s, b3)
                pb += ldb
            }
            pp += 6
        }
        store(clamp(c00, lo, hi, mode), out); store(clamp(c01, lo, hi, mode), out + 16)
        store(clamp(c02, lo, hi, mode), out + 32); store(clamp(c03, lo, hi, mode), out + 48)
        if rows > 1 {
            let o = out + ldc
            store(clamp(c10, lo, hi, mode), o); store(clamp(c11, lo, hi, mode), o + 16)
            store(clamp(c12, lo, hi, mode), o + 32); store(clamp(c13, lo, hi, mode), o + 48)
        }
        if rows > 2 {
            let o = out + 2 &* ldc
            store(clamp(c20, lo, hi, mode), o); store(clamp(c21, lo, hi, mode), o + 16)
            store(clamp(c22, lo, hi, mode), o + 32); store(clamp(c23, lo, hi, mode), o + 48)
        }
    }

    /// 4 pixels × 64 output channels (16 accumulators); reads the first 4 of the table's 6
    /// pointers per tap.
    @inline(__always)
    static func block4x64(taps: Int, c: Int, pointers: UnsafePointer<UnsafePointer<Float>>, b: UnsafePointer<Float>, ldb: Int, rows: Int,
                          bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>, ldc: Int,
                          lo: SIMD16<Float>, hi: SIMD16<Float>, mode: ClampMode) {
        let bias0 = bias.map { load($0) } ?? SIMD16(), bias1 = bias.map { load($0 + 16) } ?? SIMD16()
        let bias2 = bias.map { load($0 + 32) } ?? SIMD16(), bias3 = bias.map { load($0 + 48) } ?? SIMD16()
        var c00 = bias0, c01 = bias1, c02 = bias2, c03 = bias3
        var c10 = bias0, c11 = bias1, c12 = bias2, c13 = bias3
        var c20 = bias0, c21 = bias1, c22 = bias2, c23 = bias3
        var c30 = bias0, c31 = bias1, c32 = bias2, c33 = bias3
        if let r = residual {
            let r1 = r + least(1, rows &- 1) &* ldc, r2 = r + least(2, rows &- 1) &* ldc, r3 = r + least(3, rows &- 1) &* ldc
            c00 += load(r); c01 += load(r + 16); c02 += load(r + 32); c03 += load(r + 48)
            c10 += load(r1); c11 += load(r1 + 16); c12 += load(r1 + 32); c13 += load(r1 + 48)
            c20 += load(r2); c21 += load(r2 + 16); c22 += load(r2 + 32); c23 += load(r2 + 48)
            c30 += load(r3); c31 += load(r3 + 16); c32 += load(r3 + 32); c33 += load(r3 + 48)
        }
        var pb = b
        var pp = pointers
        for _ in 0..<taps {
            let a0 = pp[0], a1 = pp[1], a2 = pp[2], a3 = pp[3]
            for ci in 0..<c {
                let b0 = load(pb), b1 = load(pb + 16), b2 = load(pb + 32), b3 = load(pb + 48)
                var s = SIMD16<Float>(repeating: a0[ci])
                c00 = c00.addingProduct(s, b0); c01 = c01.addingProduct(s, b1); c02 = c02.addingProduct(s, b2); c03 = c03.addingProduct(s, b3)
                s = SIMD16<Float>(repeating: a1[ci])
                c10 = c10.addingProduct(s, b0); c11 = c11.addingProduct(s, b1); c12 = c12.addingProduct(s, b2); c13 = c13.addingProduct(s, b3)
                s = SIMD16<Float>(repeating: a2[ci])
                c20 = c20.addingProduct(s, b0); c21 = c21.addingProduct(s, b1); c22 = c22.addingProduct(s, b2); c23 = c23.addingProduct(s, b3)
                s = SIMD16<Float>(repeating: a3[ci])
                c30 = c30.addingProduct(s, b0); c31 = c31.addingProduct(s, b1); c32 = c32.addingProduct(s, b2); c33 = c33.addingProduct(s, b3)
                pb += ldb
            }
            pp += 6
        }
        store(clamp(c00, lo, hi, mode), out); store(clamp(c01, lo, hi, mode), out + 16)
        store(clamp(c02, lo, hi, mode), out + 32); store(clamp(c03, lo, hi, mode), out + 48)
        if rows > 1 {
            let o = out + ldc
            store(clamp(c10, lo, hi, mode), o); store(clamp(c11, lo, hi, mode), o + 16)
            store(clamp(c12, lo, hi, mode), o + 32); store(clamp(c13, lo, hi, mode), o + 48)
        }
        if rows > 2 {
            let o = out + 2 &* ldc
            store(clamp(c20, lo, hi, mode), o); store(clamp(c21, lo, hi, mode), o + 16)
            store(clamp(c22, lo, hi, mode), o + 32); store(clamp(c23, lo, hi, mode), o + 48)
        }
        if rows > 3 {
            let o = out + 3 &* ldc
            store(clamp(c30, lo, hi, mode), o); store(clamp(c31, lo, hi, mode), o + 16)
            store(clamp(c32, lo, hi, mode), o + 32); store(clamp(c33, lo, hi, mode), o + 48)
        }
    }

    @inline(__always)
    static func block6x32(taps: Int, c: Int, pointers: UnsafePointer<UnsafePointer<Float>>, b: UnsafePointer<Float>, ldb: Int, rows: Int,
                           bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>, ldc: Int,
                           lo: SIMD16<Float>, hi: SIMD16<Float>, mode: ClampMode) {
        let bias0 = bias.map { load($0) } ?? SIMD16(), bias1 = bias.map { load($0 + 16) } ?? SIMD16()
        var c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1, c20 = bias0, c21 = bias1
        var c30 = bias0, c31 = bias1, c40 = bias0, c41 = bias1, c50 = bias0, c51 = bias1
        if let r = residual {
            let r1 = r + least(1, rows &- 1) &* ldc, r2 = r + least(2, rows &- 1) &* ldc, r3 = r + least(3, rows &- 1) &* ldc
            let r4 = r + least(4, rows &- 1) &* ldc, r5 = r + least(5, rows &- 1) &* ldc
            c00 += load(r); c01 += load(r + 16); c10 += load(r1); c11 += load(r1 + 16); c20 += load(r2); c21 += load(r2 + 16)
            c30 += load(r3); c31 += load(r3 + 16); c40 += load(r4); c41 += load(r4 + 16); c50 += load(r5); c51 += load(r5 + 16)
        }
        var pb = b
        var pp = pointers
        for _ in 0..<taps {
            let a0 = pp[0], a1 = pp[1], a2 = pp[2], a3 = pp[3], a4 = pp[4], a5 = pp[5]
            for ci in 0..<c {
                let b0 = load(pb), b1 = load(pb + 16)
                var s = SIMD16<Float>(repeating: a0[ci]); c00 = c00.addingProduct(s, b0); c01 = c01.addingProduct(s, b1)
                s = SIMD16<Float>(repeating: a1[ci]); c10 = c10.addingProduct(s, b0); c11 = c11.addingProduct(s, b1)
                s = SIMD16<Float>(repeating: a2[ci]); c20 = c20.addingProduct(s, b0); c21 = c21.addingProduct(s, b1)
                s = SIMD16<Float>(repeating: a3[ci]); c30 = c30.addingProduct(s, b0); c31 = c31.addingProduct(s, b1)
                s = SIMD16<Float>(repeating: a4[ci]); c40 = c40.addingProduct(s, b0); c41 = c41.addingProduct(s, b1)
                s = SIMD16<Float>(repeating: a5[ci]); c50 = c50.addingProduct(s, b0); c51 = c51.addingProduct(s, b1)
                pb += ldb
            }
            pp += 6
        }
        store(clamp(c00, lo, hi, mode), out); store(clamp(c01, lo, hi, mode), out + 16)
        if rows > 1 { store(clamp(c10, lo, hi, mode), out + ldc); store(clamp(c11, lo, hi, mode), out + ldc + 16) }
        if rows > 2 { store(clamp(c20, lo, hi, mode), out + 2 &* ldc); store(clamp(c21, lo, hi, mode), out + 2 &* ldc + 16) }
        if rows > 3 { store(clamp(c30, lo, hi, mode), out + 3 &* ldc); store(clamp(c31, lo, hi, mode), out + 3 &* ldc + 16) }
        if rows > 4 { store(clamp(c40, lo, hi, mode), out + 4 &* ldc); store(clamp(c41, lo, hi, mode), out + 4 &* ldc + 16) }
        if rows > 5 { store(clamp(c50, lo, hi, mode), out + 5 &* ldc); store(clamp(c51, lo, hi, mode), out + 5 &* ldc + 16) }
    }

    @inline(__always)
    static func block6x16(taps: Int, c: Int, pointers: UnsafePointer<UnsafePointer<Float>>, b: UnsafePointer<Float>, ldb: Int, rows: Int,
                          bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>, ldc: Int,
                          lo: SIMD16<Float>, hi: SIMD16<Float>, mode: ClampMode) {
        let bias0 = bias.map { load($0) } ?? SIMD16()
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
                c0 = c0.addingProduct(SIMD16(repeating: a0[ci]), b0); c1 = c1.addingProduct(SIMD16(repeating: a1[ci]), b0)
                c2 = c2.addingProduct(SIMD16(repeating: a2[ci]), b0); c3 = c3.addingProduct(SIMD16(repeating: a3[ci]), b0)
                c4 = c4.addingProduct(SIMD16(repeating: a4[ci]), b0); c5 = c5.addingProduct(SIMD16(repeating: a5[ci]), b0)
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
    @inline(__always)
    static func gemmBlock6x32(k: Int, a: UnsafePointer<Float>, lda: Int, rows: Int, b: UnsafePointer<Float>, ldb: Int, bias: UnsafePointer<Float>?,
                          residual: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, ldc: Int, lo: SIMD16<Float>, hi: SIMD16<Float>, mode: ClampMode) {
        let bias0 = bias.map { load($0) } ?? SIMD16(), bias1 = bias.map { load($0 + 16) } ?? SIMD16()
        var c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1, c20 = bias0, c21 = bias1
        var c30 = bias0, c31 = bias1, c40 = bias0, c41 = bias1, c50 = bias0, c51 = bias1
        if let r = residual {
            let r1 = r + least(1, rows &- 1) &* ldc, r2 = r + least(2, rows &- 1) &* ldc, r3 = r + least(3, rows &- 1) &* ldc
            let r4 = r + least(4, rows &- 1) &* ldc, r5 = r + least(5, rows &- 1) &* ldc
            c00 += load(r); c01 += load(r + 16); c10 += load(r1); c11 += load(r1 + 16); c20 += load(r2); c21 += load(r2 + 16)
            c30 += load(r3); c31 += load(r3 + 16); c40 += load(r4); c41 += load(r4 + 16); c50 += load(r5); c51 += load(r5 + 16)
        }
        let a0 = a, a1 = a + least(1, rows &- 1) &* lda, a2 = a + least(2, rows &- 1) &* lda
        let a3 = a + least(3, rows &- 1) &* lda, a4 = a + least(4, rows &- 1) &* lda, a5 = a + least(5, rows &- 1) &* lda
        var pb = b
        for p in 0..<k {
            let b0 = load(pb), b1 = load(pb + 16)
            var s = SIMD16<Float>(repeating: a0[p]); c00 = c00.addingProduct(s, b0); c01 = c01.addingProduct(s, b1)
            s = SIMD16<Float>(repeating: a1[p]); c10 = c10.addingProduct(s, b0); c11 = c11.addingProduct(s, b1)
            s = SIMD16<Float>(repeating: a2[p]); c20 = c20.addingProduct(s, b0); c21 = c21.addingProduct(s, b1)
            s = SIMD16<Float>(repeating: a3[p]); c30 = c30.addingProduct(s, b0); c31 = c31.addingProduct(s, b1)
            s = SIMD16<Float>(repeating: a4[p]); c40 = c40.addingProduct(s, b0); c41 = c41.addingProduct(s, b1)
            s = SIMD16<Float>(repeating: a5[p]); c50 = c50.addingProduct(s, b0); c51 = c51.addingProduct(s, b1)
            pb += ldb
        }
        store(clamp(c00, lo, hi, mode), c); store(clamp(c01, lo, hi, mode), c + 16)
        if rows > 1 { store(clamp(c10, lo, hi, mode), c + ldc); store(clamp(c11, lo, hi, mode), c + ldc + 16) }
        if rows > 2 { store(clamp(c20, lo, hi, mode), c + 2 * ldc); store(clamp(c21, lo, hi, mode), c + 2 * ldc + 16) }
        if rows > 3 { store(clamp(c30, lo, hi, mode), c + 3 * ldc); store(clamp(c31, lo, hi, mode), c + 3 * ldc + 16) }
        if rows > 4 { store(clamp(c40, lo, hi, mode), c + 4 * ldc); store(clamp(c41, lo, hi, mode), c + 4 * ldc + 16) }
        if rows > 5 { store(clamp(c50, lo, hi, mode), c + 5 * ldc); store(clamp(c51, lo, hi, mode), c + 5 * ldc + 16) }
    }

    @inline(__always)
    static func gemmBlock6x16(k: Int, a: UnsafePointer<Float>, lda: Int, rows: Int, b: UnsafePointer<Float>, ldb: Int, bias: UnsafePointer<Float>?,
                         residual: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, ldc: Int, lo: SIMD16<Float>, hi: SIMD16<Float>, mode: ClampMode) {
        let bias0 = bias.map { load($0) } ?? SIMD16()
        var c0 = bias0, c1 = bias0, c2 = bias0, c3 = bias0, c4 = bias0, c5 = bias0
        if let r = residual {
            c0 += load(r); c1 += load(r + least(1, rows &- 1) &* ldc); c2 += load(r + least(2, rows &- 1) &* ldc)
            c3 += load(r + least(3, rows &- 1) &* ldc); c4 += load(r + least(4, rows &- 1) &* ldc); c5 += load(r + least(5, rows &- 1) &* ldc)
        }
        let a0 = a, a1 = a + least(1, rows &- 1) &* lda, a2 = a + least(2, rows &- 1) &* lda
        let a3 = a + least(3, rows &- 1) &* lda, a4 = a + least(4, rows &- 1) &* lda, a5 = a + least(5, rows &- 1) &* lda
        var pb = b
        for p in 0..<k {
            let b0 = load(pb)
            c0 = c0.addingProduct(SIMD16(repeating: a0[p]), b0); c1 = c1.addingProduct(SIMD16(repeating: a1[p]), b0)
            c2 = c2.addingProduct(SIMD16(repeating: a2[p]), b0); c3 = c3.addingProduct(SIMD16(repeating: a3[p]), b0)
            c4 = c4.addingProduct(SIMD16(repeating: a4[p]), b0); c5 = c5.addingProduct(SIMD16(repeating: a5[p]), b0)
            pb += ldb
        }
        store(clamp(c0, lo, hi, mode), c)
        if rows > 1 { store(clamp(c1, lo, hi, mode), c + ldc) }
        if rows > 2 { store(clamp(c2, lo, hi, mode), c + 2 &* ldc) }
        if rows > 3 { store(clamp(c3, lo, hi, mode), c + 3 &* ldc) }
        if rows > 4 { store(clamp(c4, lo, hi, mode), c + 4 &* ldc) }
        if rows > 5 { store(clamp(c5, lo, hi, mode), c + 5 &* ldc) }
    }

}
#endif
