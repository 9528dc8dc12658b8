extension SIMDKernels {
    /// Output pixels gathered per panel: a multiple of the GEMM's 6-row block, and small
    /// enough that the panel (pixels × kh·kw·c floats) stays in L1 or L2.
    static let panelPixels = 48

    /// 2-D convolution of one NHWC image with an HWIO filter, bias, an optional residual (laid
    /// out as the output) and clamp fused. Sizes are (height, width); `padding` is (top, left);
    /// `rows`, when given, limits the work to output rows [first, end).
    ///
    /// With 8 or more input channels, the indirect kernel (`indirect`) reads each window in
    /// place. With fewer (a first RGB layer), pixels are gathered `panelPixels` at a time into
    /// a small row-major matrix, one row of kh·kw·c values per pixel with zeros outside the
    /// image, which one GEMM multiplies by the whole filter: the full im2col matrix never
    /// exists, so the panel and the filter stay in cache.
    public static func convBiasClamp(input: UnsafePointer<Float>, size: (Int, Int), channels: Int, filter: UnsafePointer<Float>, kernel: (Int, Int),
                                     outChannels: Int, strides: (Int, Int), dilations: (Int, Int), padding: (Int, Int), bias: UnsafePointer<Float>?,
                                     residual: UnsafePointer<Float>? = nil, output: UnsafeMutablePointer<Float>, outputSize: (Int, Int),
                                     lower: Float, upper: Float, rows: (Int, Int)? = nil) {
        let (h, w) = size, (kh, kw) = kernel, (sy, sx) = strides, (dy, dx) = dilations, (top, left) = padding
        let (oh, ow) = outputSize, c = channels
        let (firstRow, endRow) = rows ?? (0, oh)
        // With 8 or more channels a tap's run is long enough for the indirect kernel, which
        // copies nothing (measured against this path and the row-by-row GEMMs it replaced on
        // ResNet, MobileNet and small-CNN layer shapes: as fast or up to 1.3× faster).
        guard c < 8 else {
            withClampMode(lower: lower, upper: upper) { mode in
                indirect(input: input, size: size, channels: c, filter: filter, kernel: kernel, outChannels: outChannels, strides: strides,
                         dilations: dilations, padding: padding, bias: bias, residual: residual, output: output, outputSize: outputSize,
                         lower: lower, upper: upper, mode: mode, rows: (firstRow, endRow))
            }
            return
        }
        let patch = kh &* kw &* c
        let panel = UnsafeMutablePointer<Float>.allocate(capacity: panelPixels &* patch)
        defer { panel.deallocate() }
        // Output columns whose window lies inside the image horizontally.
        var interiorStart = 0
        while interiorStart < ow && interiorStart &* sx &- left < 0 { interiorStart &+= 1 }
        var interiorEnd = ow
        while interiorEnd > interiorStart && (interiorEnd &- 1) &* sx &- left &+ (kw &- 1) &* dx >= w { interiorEnd &-= 1 }
        let windowRow = kw &* c

        /// Output pixels [from, to) through gathered panels.
        func gatheredPanels(_ from: Int, _ to: Int) {
            var first = from
            while first < to {
                let count = Swift.min(panelPixels, to &- first)
                var row = 0
                // The panel's pixels, one output row's stretch at a time.
                while row < count {
                    let oy = (first &+ row) / ow, start = (first &+ row) &- oy &* ow
                    let stretch = Swift.min(count &- row, ow &- start)
                    let y0 = oy &* sy &- top
                    var fastStart = start, fastEnd = start
                    if dx == 1 && y0 >= 0 && y0 &+ (kh &- 1) &* dy < h {
                        fastStart = Swift.max(start, interiorStart)
                        fastEnd = Swift.max(fastStart, Swift.min(start &+ stretch, interiorEnd))
                    }
                    // Whole windows inside: per filter row, one contiguous kw·c run per pixel.
                    for ky in 0..<kh where fastEnd > fastStart {
                        var source = input + ((y0 &+ ky &* dy) &* w &+ fastStart &* sx &- left) &* c
                        var target = panel + ((row &+ fastStart &- start) &* patch &+ ky &* windowRow)
                        for _ in fastStart..<fastEnd {
                            copy(source, to: target, count: windowRow)
                            source += sx &* c
                            target += patch
                        }
                    }
                    for ox in start..<(start &+ stretch) where ox < fastStart || ox >= fastEnd {
                        gatherClipped(ox: ox, oy: oy, input: input, size: size, channels: c, kernel: kernel, strides: strides, dilations: dilations,
                                      padding: padding, target: panel + (row &+ ox &- start) &* patch)
                    }
                    row &+= stretch
                }
                gemmBiasClamp(m: count, n: outChannels, k: patch, a: panel, lda: patch, b: filter, bias: bias,
                              residual: residual.map { $0 + first &* outChannels }, c: output + first &* outChannels, lower: lower, upper: upper)
                first &+= count
            }
        }

        gatheredPanels(firstRow &* ow, endRow &* ow)
    }

    /// One output pixel's window, zeros where it leaves the image.
    @inline(__always)
    static func gatherClipped(ox: Int, oy: Int, input: UnsafePointer<Float>, size: (Int, Int), channels c: Int, kernel: (Int, Int),
                              strides: (Int, Int), dilations: (Int, Int), padding: (Int, Int), target start: UnsafeMutablePointer<Float>) {
        let y0 = oy &* strides.0 &- padding.0, x0 = ox &* strides.1 &- padding.1
        var target = start
        for ky in 0..<kernel.0 {
            let iy = y0 &+ ky &* dilations.0
            for kx in 0..<kernel.1 {
                let ix = x0 &+ kx &* dilations.1
                if iy < 0 || iy >= size.0 || ix < 0 || ix >= size.1 {
                    target.update(repeating: 0, count: c)
                } else {
                    copy(input + (iy &* size.1 &+ ix) &* c, to: target, count: c)
                }
                target += c
            }
        }
    }

    /// Copies `count` floats. A run of 8 to 16 floats (a 3×3 window row of 3 channels is 9)
    /// takes two overlapping vector moves: a loop here would become a call to memmove, whose
    /// call costs more than such a short copy.
    @inline(__always)
    static func copy(_ source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int) {
        if count >= 8 && count <= 16 {
            let head = load(source), tail = load(source + (count &- 8))
            store(head, target)
            store(tail, target + (count &- 8))
        } else if count > 16 {
            target.update(from: source, count: count)
        } else {
            for i in 0..<count { target[i] = source[i] }
        }
    }
}
