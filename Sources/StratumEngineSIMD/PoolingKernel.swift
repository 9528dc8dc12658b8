extension SIMDKernels {
    /// Max or average pooling of one NHWC image, 8 channels at a time (`channels` must be a
    /// multiple of 8). Windows are clipped to the image: padding takes no part in a maximum
    /// and is not counted in an average (TensorFlow's semantics). Sizes are (height, width);
    /// `padding` is (top, left).
    public static func pool(input: UnsafePointer<Float>, size: (Int, Int), channels c: Int, window: (Int, Int), strides: (Int, Int),
                            padding: (Int, Int), average: Bool, output: UnsafeMutablePointer<Float>, outputSize: (Int, Int)) {
        precondition(c % 8 == 0, "pooling kernel needs a multiple of 8 channels")
        for oy in 0..<outputSize.0 {
            let rows = inside(oy &* strides.0 &- padding.0, window.0, 1, size.0)
            for ox in 0..<outputSize.1 {
                let columns = inside(ox &* strides.1 &- padding.1, window.1, 1, size.1)
                let origin = input + ((oy &* strides.0 &- padding.0) &* size.1 &+ ox &* strides.1 &- padding.1) &* c
                let out = output + (oy &* outputSize.1 &+ ox) &* c
                let taps = rows.count &* columns.count
                var cb = 0
                while cb < c {
                    var acc = SIMD8<Float>(repeating: average ? 0 : -.infinity)
                    for ky in rows {
                        for kx in columns {
                            let value = load(origin + ((ky &* size.1 &+ kx) &* c &+ cb))
                            if average { acc += value } else { acc.replace(with: value, where: value .> acc) }
                        }
                    }
                    if average && taps > 0 { acc *= SIMD8(repeating: 1 / Float(taps)) }
                    store(acc, out + cb)
                    cb &+= 8
                }
            }
        }
    }
}
