extension SIMDKernels {
    /// Output pixels gathered per panel: a multiple of the GEMM's 6-row block, and small
    /// enough that the panel (pixels × kh·kw·c floats) stays in L1 or L2.
    static let panelPixels = 48

    /// 2-D convolution of one NHWC image with an HWIO filter, bias, an optional residual (laid
    /// out as the output) and clamp fused. Sizes are (height, width); `padding` is (top, left).
    ///
    /// The image is cut into panels of `panelPixels` output pixels; each panel's windows are
    /// copied into a small row-major matrix (one row of kh·kw·c values per pixel, zeros
    /// outside the image) that `gemmBiasClamp` multiplies by the filter, seen as a
    /// (kh·kw·c) × outChannels matrix. The whole im2col matrix never exists, so the panel
    /// and the filter stay in cache.
    public static func convBiasClamp(input: UnsafePointer<Float>, size: (Int, Int), channels: Int, filter: UnsafePointer<Float>, kernel: (Int, Int),
                                     outChannels: Int, strides: (Int, Int), dilations: (Int, Int), padding: (Int, Int), bias: UnsafePointer<Float>?,
                                     residual: UnsafePointer<Float>? = nil, output: UnsafeMutablePointer<Float>, outputSize: (Int, Int),
                                     lower: Float, upper: Float) {
        let (h, w) = size, (kh, kw) = kernel, (sy, sx) = strides, (dy, dx) = dilations, (top, left) = padding
        let (oh, ow) = outputSize, c = channels
        let patch = kh &* kw &* c
        let pixels = oh &* ow
        let panel = UnsafeMutablePointer<Float>.allocate(capacity: panelPixels &* patch)
        defer { panel.deallocate() }
        var first = 0
        while first < pixels {
            let count = Swift.min(panelPixels, pixels &- first)
            var oy = first / ow, ox = first &- oy &* ow
            for row in 0..<count {
                defer {
                    ox &+= 1
                    if ox == ow { ox = 0; oy &+= 1 }
                }
                let y0 = oy &* sy &- top, x0 = ox &* sx &- left
                var target = panel + row &* patch
                let columnsInside = x0 >= 0 && x0 &+ (kw &- 1) &* dx < w
                for ky in 0..<kh {
                    let iy = y0 &+ ky &* dy
                    if iy < 0 || iy >= h {
                        target.update(repeating: 0, count: kw &* c)
                    } else if columnsInside && dx == 1 {
                        copy(input + (iy &* w &+ x0) &* c, to: target, count: kw &* c)
                    } else {
                        for kx in 0..<kw {
                            let ix = x0 &+ kx &* dx
                            if ix < 0 || ix >= w {
                                (target + kx &* c).update(repeating: 0, count: c)
                            } else {
                                copy(input + (iy &* w &+ ix) &* c, to: target + kx &* c, count: c)
                            }
                        }
                    }
                    target += kw &* c
                }
            }
            gemmBiasClamp(m: count, n: outChannels, k: patch, a: panel, lda: patch, b: filter, bias: bias,
                          residual: residual.map { $0 + first &* outChannels }, c: output + first &* outChannels, lower: lower, upper: upper)
            first &+= count
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
