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
        var out = output + outputRows.0 &* outputSize.1 &* c
        for oy in outputRows.0..<outputRows.1 {
            let y0 = oy &* strides.0 &- padding.0
            let rows = inside(y0, window.0, 1, size.0)
            for ox in 0..<outputSize.1 {
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
}
