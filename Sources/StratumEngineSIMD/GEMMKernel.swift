/// Matrix products with a fused bias, residual and clamp, vectorised over output columns.
extension SIMDKernels {
    /// C[m×n] = min(max(A[m×k]·B[k×n] + bias + R, lower), upper), row-major. `lda` is A's row
    /// stride; B, C and the optional residual R are contiguous with n columns. `bias` has n
    /// values or is nil (zero). R lets a residual addition ride on the product's store.
    /// Rows go in blocks of 6 and columns in blocks of 16 (12 accumulators in registers);
    /// a column tail of 8 has its own block, columns left over (fewer than 8) a scalar loop.
    public static func gemmBiasClamp(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                                     bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>? = nil, c: UnsafeMutablePointer<Float>,
                                     lower: Float, upper: Float, hardSwish: Bool = false) {
        withClampMode(lower: lower, upper: upper, hardSwish: hardSwish) { mode in
            gemm(m: m, n: n, k: k, a: a, lda: lda, b: b, bias: bias, residual: residual, c: c, lower: lower, upper: upper, mode: mode)
        }
    }

    @inline(__always)
    static func gemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                     bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, lower: Float, upper: Float, mode: ClampMode) {
        let lo = SIMD8<Float>(repeating: lower), hi = SIMD8<Float>(repeating: upper)
        var i = 0
        while i < m {
            // A last block of 3 to 5 rows runs the 6-row kernels with the missing rows reading
            // the block's last row, and stores only the real ones; one or two rows (a batch-1
            // dense layer, a squeeze-excite 1×1 convolution) go row by row, which does not
            // multiply the same row six times.
            let rows = least(6, m &- i)
            if rows <= 2 {
                for r in i..<(i &+ rows) {
                    singleRow(n: n, k: k, a: a + r &* lda, b: b, bias: bias, residual: residual.map { $0 + r &* n }, c: c + r &* n,
                              lower: lower, upper: upper, lo: lo, hi: hi, mode: mode)
                }
                i &+= rows
                continue
            }
            var j = 0
            while j + 16 <= n {
                block6x16(k: k, a: a + i * lda, lda: lda, rows: rows, b: b + j, ldb: n, bias: bias.map { $0 + j }, residual: residual.map { $0 + (i * n + j) }, c: c + i * n + j, ldc: n, lo: lo, hi: hi, mode: mode)
                j += 16
            }
            if j + 8 <= n {
                block6x8(k: k, a: a + i * lda, lda: lda, rows: rows, b: b + j, ldb: n, bias: bias.map { $0 + j }, residual: residual.map { $0 + (i * n + j) }, c: c + i * n + j, ldc: n, lo: lo, hi: hi, mode: mode)
                j += 8
            }
            if j < n { for r in 0..<rows { scalarTail(from: j, n: n, k: k, a: a + (i + r) * lda, b: b, bias: bias, residual: residual.map { $0 + (i + r) * n }, c: c + (i + r) * n, lower: lower, upper: upper, mode: mode) } }
            i += rows
        }
    }

    /// Columns [first, n) of one block of 3 to 6 rows of `gemmBiasClamp`'s product (A, the
    /// residual and C given from the block's first row): 16 at a time, then 8, then one by one.
    /// For wider kernels (StratumEngineAVX512) that leave the last columns.
    public static func gemmColumns(from first: Int, rows: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                                   bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, lower: Float, upper: Float,
                                   hardSwish: Bool = false) {
        // The clamp mode as a value (the blocks are functions of their own; a closure per mode
        // here would leave standard-library specialisations in the object file).
        let mode = clampMode(lower: lower, upper: upper, hardSwish: hardSwish)
        let lo = SIMD8<Float>(repeating: lower), hi = SIMD8<Float>(repeating: upper)
        var j = first
        while j &+ 16 <= n {
            block6x16(k: k, a: a, lda: lda, rows: rows, b: b + j, ldb: n, bias: bias.map { $0 + j }, residual: residual.map { $0 + j }, c: c + j, ldc: n,
                      lo: lo, hi: hi, mode: mode)
            j &+= 16
        }
        if j &+ 8 <= n {
            block6x8(k: k, a: a, lda: lda, rows: rows, b: b + j, ldb: n, bias: bias.map { $0 + j }, residual: residual.map { $0 + j }, c: c + j, ldc: n,
                     lo: lo, hi: hi, mode: mode)
            j &+= 8
        }
        if j < n {
            for r in 0..<rows {
                scalarTail(from: j, n: n, k: k, a: a + r &* lda, b: b, bias: bias, residual: residual.map { $0 + r &* n }, c: c + r &* n, lower: lower, upper: upper, mode: mode)
            }
        }
    }

    @inline(__always)
    static func block6x16(k: Int, a: UnsafePointer<Float>, lda: Int, rows: Int, b: UnsafePointer<Float>, ldb: Int, bias: UnsafePointer<Float>?,
                          residual: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, ldc: Int, lo: SIMD8<Float>, hi: SIMD8<Float>, mode: ClampMode) {
        let bias0 = bias.map { load($0) } ?? SIMD8(), bias1 = bias.map { load($0 + 8) } ?? SIMD8()
        var c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1, c20 = bias0, c21 = bias1
        var c30 = bias0, c31 = bias1, c40 = bias0, c41 = bias1, c50 = bias0, c51 = bias1
        if let r = residual {
            let r1 = r + least(1, rows &- 1) &* ldc, r2 = r + least(2, rows &- 1) &* ldc, r3 = r + least(3, rows &- 1) &* ldc
            let r4 = r + least(4, rows &- 1) &* ldc, r5 = r + least(5, rows &- 1) &* ldc
            c00 += load(r); c01 += load(r + 8); c10 += load(r1); c11 += load(r1 + 8); c20 += load(r2); c21 += load(r2 + 8)
            c30 += load(r3); c31 += load(r3 + 8); c40 += load(r4); c41 += load(r4 + 8); c50 += load(r5); c51 += load(r5 + 8)
        }
        let a0 = a, a1 = a + least(1, rows &- 1) &* lda, a2 = a + least(2, rows &- 1) &* lda
        let a3 = a + least(3, rows &- 1) &* lda, a4 = a + least(4, rows &- 1) &* lda, a5 = a + least(5, rows &- 1) &* lda
        var pb = b
        for p in 0..<k {
            let b0 = load(pb), b1 = load(pb + 8)
            var s = SIMD8<Float>(repeating: a0[p]); c00 = c00.addingProduct(s, b0); c01 = c01.addingProduct(s, b1)
            s = SIMD8<Float>(repeating: a1[p]); c10 = c10.addingProduct(s, b0); c11 = c11.addingProduct(s, b1)
            s = SIMD8<Float>(repeating: a2[p]); c20 = c20.addingProduct(s, b0); c21 = c21.addingProduct(s, b1)
            s = SIMD8<Float>(repeating: a3[p]); c30 = c30.addingProduct(s, b0); c31 = c31.addingProduct(s, b1)
            s = SIMD8<Float>(repeating: a4[p]); c40 = c40.addingProduct(s, b0); c41 = c41.addingProduct(s, b1)
            s = SIMD8<Float>(repeating: a5[p]); c50 = c50.addingProduct(s, b0); c51 = c51.addingProduct(s, b1)
            pb += ldb
        }
        store(clamp(c00, lo, hi, mode), c); store(clamp(c01, lo, hi, mode), c + 8)
        if rows > 1 { store(clamp(c10, lo, hi, mode), c + ldc); store(clamp(c11, lo, hi, mode), c + ldc + 8) }
        if rows > 2 { store(clamp(c20, lo, hi, mode), c + 2 * ldc); store(clamp(c21, lo, hi, mode), c + 2 * ldc + 8) }
        if rows > 3 { store(clamp(c30, lo, hi, mode), c + 3 * ldc); store(clamp(c31, lo, hi, mode), c + 3 * ldc + 8) }
        if rows > 4 { store(clamp(c40, lo, hi, mode), c + 4 * ldc); store(clamp(c41, lo, hi, mode), c + 4 * ldc + 8) }
        if rows > 5 { store(clamp(c50, lo, hi, mode), c + 5 * ldc); store(clamp(c51, lo, hi, mode), c + 5 * ldc + 8) }
    }

    @inline(__always)
    static func block6x8(k: Int, a: UnsafePointer<Float>, lda: Int, rows: Int, b: UnsafePointer<Float>, ldb: Int, bias: UnsafePointer<Float>?,
                         residual: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, ldc: Int, lo: SIMD8<Float>, hi: SIMD8<Float>, mode: ClampMode) {
        let bias0 = bias.map { load($0) } ?? SIMD8()
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
            c0 = c0.addingProduct(SIMD8(repeating: a0[p]), b0); c1 = c1.addingProduct(SIMD8(repeating: a1[p]), b0)
            c2 = c2.addingProduct(SIMD8(repeating: a2[p]), b0); c3 = c3.addingProduct(SIMD8(repeating: a3[p]), b0)
            c4 = c4.addingProduct(SIMD8(repeating: a4[p]), b0); c5 = c5.addingProduct(SIMD8(repeating: a5[p]), b0)
            pb += ldb
        }
        store(clamp(c0, lo, hi, mode), c)
        if rows > 1 { store(clamp(c1, lo, hi, mode), c + ldc) }
        if rows > 2 { store(clamp(c2, lo, hi, mode), c + 2 &* ldc) }
        if rows > 3 { store(clamp(c3, lo, hi, mode), c + 3 &* ldc) }
        if rows > 4 { store(clamp(c4, lo, hi, mode), c + 4 &* ldc) }
        if rows > 5 { store(clamp(c5, lo, hi, mode), c + 5 &* ldc) }
    }

    /// One row of C: 32 columns at a time in four independent accumulators, then 8 at a time,
    /// then the scalar tail.
    @inline(__always)
    static func singleRow(n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?,
                          c: UnsafeMutablePointer<Float>, lower: Float, upper: Float, lo: SIMD8<Float>, hi: SIMD8<Float>, mode: ClampMode) {
        @inline(__always) func start(_ j: Int) -> SIMD8<Float> {
            (bias.map { load($0 + j) } ?? SIMD8()) + (residual.map { load($0 + j) } ?? SIMD8())
        }
        var j = 0
        while j &+ 32 <= n {
            var c0 = start(j), c1 = start(j &+ 8), c2 = start(j &+ 16), c3 = start(j &+ 24)
            var pb = b + j
            for p in 0..<k {
                let s = SIMD8<Float>(repeating: a[p])
                c0 = c0.addingProduct(s, load(pb)); c1 = c1.addingProduct(s, load(pb + 8))
                c2 = c2.addingProduct(s, load(pb + 16)); c3 = c3.addingProduct(s, load(pb + 24))
                pb += n
            }
            store(clamp(c0, lo, hi, mode), c + j); store(clamp(c1, lo, hi, mode), c + (j &+ 8))
            store(clamp(c2, lo, hi, mode), c + (j &+ 16)); store(clamp(c3, lo, hi, mode), c + (j &+ 24))
            j &+= 32
        }
        while j &+ 8 <= n {
            var c0 = start(j)
            var pb = b + j
            for p in 0..<k {
                c0 = c0.addingProduct(SIMD8<Float>(repeating: a[p]), load(pb))
                pb += n
            }
            store(clamp(c0, lo, hi, mode), c + j)
            j &+= 8
        }
        if j < n { scalarTail(from: j, n: n, k: k, a: a, b: b, bias: bias, residual: residual, c: c, lower: lower, upper: upper, mode: mode) }
    }

    @inline(__always)
    static func scalarTail(from first: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                           residual: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, lower: Float, upper: Float, mode: ClampMode) {
        for j in first..<n {
            var sum = (bias?[j] ?? 0) + (residual?[j] ?? 0)
            for p in 0..<k { sum = sum.addingProduct(a[p], b[p * n + j]) }
            c[j] = activated(sum, lower, upper, mode)
        }
    }
}
