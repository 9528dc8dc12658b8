extension SIMDKernels {
    /// Max or average pooling of one NHWC image, 8 channels at a time (`channels` must be a
    /// multiple of 8). Windows are clipped to the image: padding takes no part in a maximum
    /// and is not counted in an average (TensorFlow's semantics). Sizes are (height, width);
    /// `padding` is (top, left); `rows`, when given, limits the work to output rows [first, end).
    public static func pool(input: UnsafePointer<Float>, size: (Int, Int), channels c: Int, window: (Int, Int), strides: (Int, Int),
                            padding: (Int, Int), average: Bool, output: UnsafeMutablePointer<Float>, outputSize: (Int, Int), rows: (Int, Int)? = nil) {
        precondition(c % 8 == 0, "pooling kernel needs a multiple of 8 channels")
        let rows = rows ?? (0, outputSize.0)
        // Each kind gets its own compiled loop, without the other's branch inside it.
        if average {
            pool(input: input, size: size, channels: c, window: window, strides: strides, padding: padding, averaging: true, output: output,
                 outputSize: outputSize, rows: rows)
        } else {
            pool(input: input, size: size, channels: c, window: window, strides: strides, padding: padding, averaging: false, output: output,
                 outputSize: outputSize, rows: rows)
        }
    }

    @inline(__always)
    static func pool(input: UnsafePointer<Float>, size: (Int, Int), channels c: Int, window: (Int, Int), strides: (Int, Int),
                     padding: (Int, Int), averaging: Bool, output: UnsafeMutablePointer<Float>, outputSize: (Int, Int), rows outputRows: (Int, Int)) {
        let rowStride = size.1 &* c
        // Max pooling over 2×2 and 3×3 windows: the outputs whose windows lie inside the image
        // go through an unrolled loop (as in the AVX-512 kernel).
        let unrolled = !averaging && (window == (2, 2) || window == (3, 3))
        let (firstInside, endInside) = poolColumnsInside(padding: padding.1, stride: strides.1, window: window.1,
                                                         width: size.1, count: outputSize.1)
        var out = output + outputRows.0 &* outputSize.1 &* c
        for oy in outputRows.0..<outputRows.1 {
            let y0 = oy &* strides.0 &- padding.0
            let rows = inside(y0, window.0, 1, size.0)
            var ox = 0
            while ox < outputSize.1 {
                defer { ox &+= 1 }
                if unrolled && ox == firstInside && firstInside < endInside && rows == 0..<window.0 {
                    let first = input + (y0 &* size.1 &+ ox &* strides.1 &- padding.1) &* c
                    if window.0 == 3 { maxWindows(first, rowStride, c, strides.1 &* c, endInside &- ox, out, size: 3) }
                    else { maxWindows(first, rowStride, c, strides.1 &* c, endInside &- ox, out, size: 2) }
                    out += (endInside &- ox) &* c
                    ox = endInside &- 1
                    continue
                }
                let x0 = ox &* strides.1 &- padding.1
                let columns = inside(x0, window.1, 1, size.1)
                let first = input + ((y0 &+ rows.lowerBound) &* size.1 &+ x0 &+ columns.lowerBound) &* c
                let (height, width) = (rows.upperBound &- rows.lowerBound, columns.upperBound &- columns.lowerBound)
                let scale = SIMD8<Float>(repeating: height &* width > 0 ? 1 / Float(height &* width) : 1)
                var cb = 0
                while cb < c {
                    var acc = SIMD8<Float>(repeating: averaging ? 0 : -.infinity)
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
                    cb &+= 8
                }
                out += c
            }
        }
    }

    /// [first, end) of the `count` output columns whose pooling windows lie inside the image's
    /// `width` columns (the start of a window o·stride − padding ≥ 0, its end ≤ width).
    public static func poolColumnsInside(padding: Int, stride: Int, window: Int, width: Int, count: Int) -> (Int, Int) {
        let first = least(count, (padding &+ stride &- 1) / stride)
        let lastOrigin = width &- window &+ padding
        let end = lastOrigin < 0 ? first : least(count, lastOrigin / stride &+ 1)
        return (first, end < first ? first : end)
    }

    @inline(__always)
    static func larger(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a.replacing(with: b, where: b .> a) }

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
                cb &+= 8
            }
            window += step
            out += c
        }
    }
}
