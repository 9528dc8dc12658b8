extension SIMDKernels {
    /// Output pixels gathered per panel: a multiple of the GEMM's 6-row block, and small
    /// enough that the panel (pixels × kh·kw·c floats) stays in L1 or L2.
    static let panelPixels = 48

    /// 2-D convolution of one NHWC image with an HWIO filter, bias, an optional residual (laid
    /// out as the output) and clamp fused. Sizes are (height, width); `padding` is (top, left);
    /// `rows`, when given, limits the work to output rows [first, end).
    ///
    /// With 8 or more input channels, no horizontal dilation and rows of 24 or more interior
    /// pixels, an output row's pixels whose windows lie inside the image need no copying: their window rows, sx·c floats apart in
    /// the input, are the rows of a matrix with that stride, so the row is kh GEMMs (one per
    /// filter row, k = kw·c, the filter rows as (kw·c) × outChannels matrices) accumulating
    /// into the output — bias with the first, clamp with the last. The other pixels (and every
    /// pixel when there are few channels, as in a first RGB layer) are gathered
    /// `panelPixels` at a time into a small row-major matrix, one row of kh·kw·c values per
    /// pixel with zeros outside the image, which one GEMM multiplies by the whole filter. The
    /// full im2col matrix never exists, so the panel and the filter stay in cache.
    public static func convBiasClamp(input: UnsafePointer<Float>, size: (Int, Int), channels: Int, filter: UnsafePointer<Float>, kernel: (Int, Int),
                                     outChannels: Int, strides: (Int, Int), dilations: (Int, Int), padding: (Int, Int), bias: UnsafePointer<Float>?,
                                     residual: UnsafePointer<Float>? = nil, output: UnsafeMutablePointer<Float>, outputSize: (Int, Int),
                                     lower: Float, upper: Float, rows: (Int, Int)? = nil) {
        let (h, w) = size, (kh, kw) = kernel, (sy, sx) = strides, (dy, dx) = dilations, (top, left) = padding
        let (oh, ow) = outputSize, c = channels
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

        // With 8 or more channels and no horizontal dilation, each output row's interior
        // stretch needs no gathering: the pixels' window rows, sx·c apart in the input, are the
        // rows of a matrix with that stride, so the convolution is kh GEMMs (one per filter
        // row, k = kw·c) accumulating into the output, bias first and clamp last.
        let (firstRow, endRow) = rows ?? (0, oh)
        // Row by row pays when rows are long: each GEMM call streams the filter for only one
        // row's pixels (measured: 30-pixel rows faster direct, 13-pixel rows faster gathered).
        guard c >= 8 && dx == 1 && interiorEnd - interiorStart >= 24 else {
            gatheredPanels(firstRow &* ow, endRow &* ow)
            return
        }
        // Pixels the direct path leaves (border columns, rows whose window leaves the image):
        // gathered 48 at a time from wherever they are, multiplied into a scratch block, then
        // put in place, so that a one-pixel border does not cost a 6-row GEMM block per pixel.
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: panelPixels &* outChannels)
        defer { scratch.deallocate() }
        // (Raw buffers, not arrays: an array here would bring standard-library code compiled
        // for this module's CPU into the link; see scripts/check-simd-symbols.sh.)
        let pending = UnsafeMutablePointer<Int>.allocate(capacity: panelPixels)
        defer { pending.deallocate() }
        var pendingCount = 0
        func flush() {
            guard pendingCount > 0 else { return }
            for row in 0..<pendingCount {
                let pixel = pending[row], oy = pixel / ow, ox = pixel &- oy &* ow
                gatherClipped(ox: ox, oy: oy, input: input, size: size, channels: c, kernel: kernel, strides: strides, dilations: dilations,
                              padding: padding, target: panel + row &* patch)
                if let residual { copy(residual + pixel &* outChannels, to: scratch + row &* outChannels, count: outChannels) }
            }
            gemmBiasClamp(m: pendingCount, n: outChannels, k: patch, a: panel, lda: patch, b: filter, bias: bias,
                          residual: residual == nil ? nil : UnsafePointer(scratch), c: scratch, lower: lower, upper: upper)
            for row in 0..<pendingCount {
                copy(scratch + row &* outChannels, to: output + pending[row] &* outChannels, count: outChannels)
            }
            pendingCount = 0
        }
        func later(_ pixel: Int) {
            pending[pendingCount] = pixel
            pendingCount &+= 1
            if pendingCount == panelPixels { flush() }
        }
        for oy in firstRow..<endRow {
            let y0 = oy &* sy &- top
            let outRow = oy &* ow
            guard y0 >= 0 && y0 &+ (kh &- 1) &* dy < h else {
                for ox in 0..<ow { later(outRow &+ ox) }
                continue
            }
            let a = interiorStart, b = interiorEnd
            for ky in 0..<kh {
                let last = ky == kh &- 1
                gemmBiasClamp(m: b &- a, n: outChannels, k: windowRow, a: input + ((y0 &+ ky &* dy) &* w &+ a &* sx &- left) &* c, lda: sx &* c,
                              b: filter + ky &* windowRow &* outChannels, bias: ky == 0 ? bias : nil,
                              residual: ky == 0 ? residual.map { $0 + (outRow &+ a) &* outChannels } : UnsafePointer(output + (outRow &+ a) &* outChannels),
                              c: output + (outRow &+ a) &* outChannels, lower: last ? lower : -.infinity, upper: last ? upper : .infinity)
            }
            for ox in 0..<ow where ox < a || ox >= b { later(outRow &+ ox) }
        }
        flush()
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
