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
        let firstInside = least(outputSize.1, (padding.1 &+ strides.1 &- 1) / strides.1)
        let lastOrigin = size.1 &- window.1 &+ padding.1
        let endInside = lastOrigin < 0 ? firstInside : Swift.max(firstInside, least(outputSize.1, lastOrigin / strides.1 &+ 1))
        var out = output + outputRows.0 &* outputSize.1 &* c
        for oy in outputRows.0..<outputRows.1 {
            let y0 = oy &* strides.0 &- padding.0
            let rows = inside(y0, window.0, 1, size.0)
            var ox = 0
            while ox < outputSize.1 {
                defer { ox &+= 1 }
                if unrolled && ox == firstInside && firstInside < endInside && rows == 0..<window.0 {
                    let first = input + (y0 &* size.1 &+ ox &* strides.1 &- padding.1) &* c
                    if window.0 == 3 {
                        max3x3(first, rowStride, c, strides.1 &* c, endInside &- ox, out)
                    } else {
                        max2x2(first, rowStride, c, strides.1 &* c, endInside &- ox, out)
                    }
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

    @inline(__always)
    static func larger(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a.replacing(with: b, where: b .> a) }

    /// `count` outputs along a row of 3×3 max-pooling windows, all inside the image: the first
    /// window's top-left value at `first`, the next `step` values on; `c` channels.
    @inline(__always)
    static func max3x3(_ first: UnsafePointer<Float>, _ rowStride: Int, _ c: Int, _ step: Int, _ count: Int, _ output: UnsafeMutablePointer<Float>) {
        var window = first, out = output
        for _ in 0..<count {
            var cb = 0
            while cb < c {
                let r0 = window + cb, r1 = r0 + rowStride, r2 = r1 + rowStride
                let a = larger(load(r0), load(r0 + c)), b = larger(load(r0 + 2 &* c), load(r1))
                let d = larger(load(r1 + c), load(r1 + 2 &* c)), e = larger(load(r2), load(r2 + c))
                store(larger(larger(a, b), larger(larger(d, e), load(r2 + 2 &* c))), out + cb)
                cb &+= 8
            }
            window += step
            out += c
        }
    }

    /// As `max3x3`, over 2×2 windows.
    @inline(__always)
    static func max2x2(_ first: UnsafePointer<Float>, _ rowStride: Int, _ c: Int, _ step: Int, _ count: Int, _ output: UnsafeMutablePointer<Float>) {
        var window = first, out = output
        for _ in 0..<count {
            var cb = 0
            while cb < c {
                let r0 = window + cb, r1 = r0 + rowStride
                store(larger(larger(load(r0), load(r0 + c)), larger(load(r1), load(r1 + c))), out + cb)
                cb &+= 8
            }
            window += step
            out += c
        }
    }
}
