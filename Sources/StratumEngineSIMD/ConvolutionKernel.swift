extension SIMDKernels {
    /// 2-D convolution of one NHWC image with an HWIO filter, bias, an optional residual (laid
    /// out as the output) and clamp fused. Sizes are (height, width); `padding` is (top, left);
    /// `rows`, when given, limits the work to output rows [first, end), and `outChannelRange`
    /// to output channels [first, end) (`first` a multiple of 8); input rows outside
    /// `validRows`, when given, hold zeros (see `indirectConvolution`).
    ///
    /// Runs as an indirect GEMM (`indirectConvolution`, `indirectColumns`): windows are read in place, nothing is copied,
    /// and the full im2col matrix never exists. Measured on one core of an AMD EPYC (Zen 4)
    /// against the gathered-panel GEMM and row-by-row GEMMs it replaced, on the first layers
    /// and the 3×3 and 5×5 layers of the bench networks: 1.0–1.3× as fast, 1.2× on first layers
    /// of 3 channels.
    public static func convBiasClamp(input: UnsafePointer<Float>, size: (Int, Int), channels: Int, filter: UnsafePointer<Float>, kernel: (Int, Int),
                                     outChannels: Int, strides: (Int, Int), dilations: (Int, Int), padding: (Int, Int), bias: UnsafePointer<Float>?,
                                     residual: UnsafePointer<Float>? = nil, output: UnsafeMutablePointer<Float>, outputSize: (Int, Int),
                                     lower: Float, upper: Float, hardSwish: Bool = false, rows: (Int, Int)? = nil, validRows: (Int, Int)? = nil,
                                     outChannelRange: (Int, Int)? = nil) {
        let (first, end) = outChannelRange ?? (0, outChannels)
        // Outputs at most 3 wide (a ResNet's last stage) go a row at a time, in blocks of 3 pixels
        // × 32 columns (`iblock3x32`) that leave out the filter rows on the zero border above and
        // below: 21 pixel-taps of a 3×3 output with padding 1 instead of the 36 its two 6-pixel
        // blocks (one of them half repeats) multiplied. One core of an AMD EPYC (Zen 4), AVX2
        // kernels: a model of one such convolution (3×3×128 → 128 on a 3×3 map) ran 1.36–1.50× as
        // many images a second, one of 6×6×64 → 128 with stride 2, 1.28–1.36×.
        let narrow = outputSize.1 <= 3
        let mode = clampMode(lower: lower, upper: upper, hardSwish: hardSwish)
        let lo = SIMD8<Float>(repeating: lower), hi = SIMD8<Float>(repeating: upper)
        indirectConvolution(input: input, size: size, channels: channels, kernel: kernel, strides: strides, dilations: dilations, padding: padding,
                            outputSize: outputSize, rows: rows ?? (0, outputSize.0), validRows: validRows,
                            rowAligned: narrow ? 3 : 0) { table, firstTap, taps, tapLength, pixel, count in
            let filter = filter + firstTap &* tapLength &* outChannels
            var j = first
            if narrow {
                while j &+ 32 <= end {
                    iblock3x32(taps: taps, c: tapLength, pointers: table, b: filter + j, ldb: outChannels, rows: count, bias: bias.map { $0 + j },
                               residual: residual.map { $0 + (pixel &* outChannels &+ j) }, out: output + (pixel &* outChannels &+ j), ldc: outChannels,
                               lo: lo, hi: hi, mode: mode)
                    j &+= 32
                }
            }
            indirectColumns(from: j, to: end, table: table, taps: taps, tapLength: tapLength, pixel: pixel, count: count,
                            filter: filter, outChannels: outChannels,
                            bias: bias, residual: residual, output: output, lower: lower, upper: upper, hardSwish: hardSwish)
        }
    }
}
