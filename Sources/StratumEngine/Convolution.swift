import StratumEngineSIMD

/// Convolutions on NHWC tensors.
///
/// Where the CPU allows (`SIMDSupport.isAvailable`), matrix products and depthwise windows run
/// on the vector kernels of `StratumEngineSIMD` with bias and the activation (ReLU, ReLU6, Clip,
/// hard swish: `Activation.storeForm`) fused into the store; otherwise on OpenBLAS (or the
/// portable GEMM) and the scalar loops below.
public enum Convolution {
    /// 2-D convolution. `filter` is HWIO ([kh, kw, in, out]), `bias` has `out` values.
    /// With `simd` (the default where the CPU allows) and an activation the kernels apply as they
    /// store: 3×3 stride-1 convolutions of 16+ channels as Winograd F(2×2, 3×3) where it pays
    /// (`Winograd.applies`); the SIMD GEMM on the input itself for 1×1 stride-1 convolutions;
    /// else a direct kernel for 1–4 input channels or an indirect GEMM reading windows in place
    /// (see `SIMDSupport.convBiasClamp`); one image's output rows may be split across threads
    /// (`IntraOpParallelism`). Otherwise im2col + one BLAS GEMM per image (1×1 stride-1
    /// convolutions skip im2col), then bias and activation in one pass.
    ///
    /// `residual`, when given, is added before the activation (a ResNet/MobileNetV2 shortcut):
    /// on the SIMD path as the product is stored, else in a pass of its own; a residual whose
    /// shape is not the output's is added with broadcasting after the convolution.
    public static func conv2d(_ input: Tensor, filter: Tensor, bias: [Float]? = nil, strides: (Int, Int) = (1, 1),
                              dilations: (Int, Int) = (1, 1), padding: Padding, activation: Activation = .none,
                              residual: Tensor? = nil, simd: Bool = SIMDSupport.isAvailable) throws -> Tensor {
        try conv2dCore(input, filter: filter, bias: bias, strides: strides, dilations: dilations, padding: padding, activation: activation,
                       residual: residual, simd: simd, companion: nil)
    }

    /// A 1×1 convolution without padding that reads the same input as another convolution with
    /// the same strides, and so has the same output grid when the other's padding keeps it (a
    /// ResNet block's projection shortcut beside the block's first 3×3 convolution).
    public struct Companion: Sendable {
        /// HWIO, [1, 1, in, out].
        public var filter: Tensor
        public var bias: [Float]?
        public var activation: Activation

        public init(filter: Tensor, bias: [Float]? = nil, activation: Activation = .none) {
            (self.filter, self.bias, self.activation) = (filter, bias, activation)
        }
    }

    /// `conv2d` and its `companion` in one pass over the image: each part of the image's output
    /// rows (or output channels) a thread takes computes the companion's rows too, so the
    /// companion, too small to be split on its own (a few microseconds at batch 1: the pool's
    /// fork and join would cost as much as they saved), no longer runs on one thread while the
    /// others wait. Each output value is computed exactly as by `conv2d` alone.
    ///
    /// nil, with nothing computed, when the two cannot run together: off the SIMD path, an
    /// activation the kernels cannot apply as they store, a convolution that takes the Winograd
    /// or the 1×1 path, a residual not of the output's shape, or output grids that differ. The
    /// caller then runs each alone.
    public static func conv2d(_ input: Tensor, filter: Tensor, bias: [Float]? = nil, strides: (Int, Int) = (1, 1),
                              dilations: (Int, Int) = (1, 1), padding: Padding, activation: Activation = .none,
                              residual: Tensor? = nil, companion: Companion) throws -> (Tensor, Tensor)? {
        guard SIMDSupport.isAvailable, input.rank == 4, filter.rank == 4, companion.filter.rank == 4, activation.storeForm != nil,
              let companionForm = companion.activation.storeForm else { return nil }
        let (n, h, w, c) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (kh, kw, fc, oc) = (filter.shape[0], filter.shape[1], filter.shape[2], filter.shape[3])
        let second = companion.filter.shape[3]
        guard fc == c, companion.filter.shape[0] == 1, companion.filter.shape[1] == 1, companion.filter.shape[2] == c, second > 0,
              companion.bias.map({ $0.count == second }) ?? true, bias.map({ $0.count == oc }) ?? true else { return nil }
        try Padding.checkWindow(strides: strides, dilations: dilations, padding: padding, op: "conv2d")
        let (oh, top, ow, left) = padding.resolve2D(height: h, width: w, kernel: (kh, kw), strides: strides, dilations: dilations)
        guard simdRoute(kernel: (kh, kw), strides: strides, dilations: dilations, channels: c, outChannels: oc, input: (h, w), output: (oh, ow),
                        origin: (top, left)) == .direct,
              oh == (h + strides.0 - 1) / strides.0, ow == (w + strides.1 - 1) / strides.1, residual.map({ $0.shape == [n, oh, ow, oc] }) ?? true,
              let count = Tensor.checkedCount([n, oh, ow, second]) else { return nil }
        FlopCounter.shared.add(try ComputeLimit.check(n, oh, ow, c, second, op: "conv2d"))
        // Every value is written by the parts (the kernel stores each output row it is given).
        var values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            #if DEBUG
            // NaN until written: rows no part computed would then fail the tests (a debug build)
            // instead of holding whatever the memory held, such as a freed earlier result.
            buffer.initialize(repeating: .nan)
            #endif
            initialized = count
        }
        let main = try values.withUnsafeMutableBufferPointer { y in
            try companion.filter.data.withUnsafeBufferPointer { f in
                try withOptionalPointer(companion.bias) { b in
                    try conv2dCore(input, filter: filter, bias: bias, strides: strides, dilations: dilations, padding: padding, activation: activation,
                                   residual: residual, simd: true,
                                   companion: CompanionPointers(filter: f.baseAddress!, bias: b, outChannels: second, output: y.baseAddress!, fused: companionForm))
                }
            }
        }
        return (main, Tensor(shape: [n, oh, ow, second], data: values))
    }

    /// Which of `conv2dCore`'s SIMD branches a convolution of this geometry takes: Winograd
    /// (3×3 stride 1 where it pays), the GEMM on the input itself (1×1, stride 1, no padding),
    /// or the direct kernels. (The 1×1 test also picks the BLAS path's im2col-free product.)
    enum SIMDRoute { case winograd, pointwise, direct }

    static func simdRoute(kernel: (Int, Int), strides: (Int, Int), dilations: (Int, Int), channels: Int, outChannels: Int,
                          input: (Int, Int), output: (Int, Int), origin: (Int, Int)) -> SIMDRoute {
        if Winograd.isEnabled && Winograd.applies(kernel: kernel, strides: strides, dilations: dilations, channels: channels, outChannels: outChannels,
                                                  outputSize: output) {
            return .winograd
        }
        return kernel == (1, 1) && strides == (1, 1) && origin == (0, 0) && output == input ? .pointwise : .direct
    }

    /// Where a companion's weights are and its output goes, for the parts of `conv2dCore`.
    struct CompanionPointers {
        let filter: UnsafePointer<Float>
        let bias: UnsafePointer<Float>?
        let outChannels: Int
        let output: UnsafeMutablePointer<Float>
        let fused: (lower: Float, upper: Float, hardSwish: Bool)
    }

    /// `conv2d`; with `companion` (`conv2d(_:…companion:)` has checked that the convolution
    /// takes the SIMD path of direct convolutions below) also the companion's rows, in the same
    /// parts.
    private static func conv2dCore(_ input: Tensor, filter: Tensor, bias: [Float]?, strides: (Int, Int), dilations: (Int, Int), padding: Padding,
                                   activation: Activation, residual: Tensor?, simd: Bool, companion: CompanionPointers?) throws -> Tensor {
        guard input.rank == 4, filter.rank == 4 else { throw EngineError.shapeMismatch("conv2d needs NHWC input and HWIO filter, got \(input.shape) and \(filter.shape)") }
        if simd && activation.storeForm == nil {
            // An activation the kernels cannot apply as they store: the SIMD path, then one pass.
            var y = try conv2d(input, filter: filter, bias: bias, strides: strides, dilations: dilations, padding: padding, residual: residual, simd: true)
            activation.apply(&y.data)
            return y
        }
        let (n, h, w, c) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (kh, kw, fc, oc) = (filter.shape[0], filter.shape[1], filter.shape[2], filter.shape[3])
        guard fc == c else { throw EngineError.shapeMismatch("conv2d filter expects \(fc) input channels, input has \(c)") }
        if let bias, bias.count != oc { throw EngineError.shapeMismatch("conv2d bias has \(bias.count) values for \(oc) channels") }
        try Padding.checkWindow(strides: strides, dilations: dilations, padding: padding, op: "conv2d")
        let (oh, top, ow, left) = padding.resolve2D(height: h, width: w, kernel: (kh, kw), strides: strides, dilations: dilations)
        if let residual, residual.shape != [n, oh, ow, oc] {
            let y = try conv2d(input, filter: filter, bias: bias, strides: strides, dilations: dilations, padding: padding, simd: simd)
            return Elementwise.activate(try Elementwise.binary(y, residual, .add), activation)
        }
        // Sizes come from model files: bounded before allocating or computing.
        guard Tensor.checkedCount([n, oh, ow, oc]) != nil, Tensor.checkedCount([oh, ow, kh, kw, c]) != nil else {
            throw EngineError.shapeMismatch("conv2d output \([n, oh, ow, oc]) or its windows exceed \(Tensor.maxElements) values")
        }
        let patch = kh * kw * c
        FlopCounter.shared.add(try ComputeLimit.check(n, oh, ow, patch, oc, op: "conv2d"))
        // Every output and im2col value is written below (GEMM with β = 0), so no zero-fill.
        var output = [Float](unsafeUninitializedCapacity: n * oh * ow * oc) { _, count in count = n * oh * ow * oc }
        let route = simdRoute(kernel: (kh, kw), strides: strides, dilations: dilations, channels: c, outChannels: oc, input: (h, w), output: (oh, ow),
                              origin: (top, left))
        let pointwise = route == .pointwise
        let fused = simd ? activation.storeForm : nil
        if let fused, route == .winograd {
            let u = WinogradFilters.shared.transform(filter)
            input.data.withUnsafeBufferPointer { x in
                u.withUnsafeBufferPointer { u in
                    output.withUnsafeMutableBufferPointer { y in
                        withOptionalPointer(bias) { b in
                            withOptionalPointer(residual?.data) { r in
                                Winograd.convolve(x: x.baseAddress!, n: n, size: (h, w), channels: c, padding: (top, left), u: u.baseAddress!,
                                                  outChannels: oc, bias: b, residual: r, y: y.baseAddress!, outputSize: (oh, ow), fused: fused)
                            }
                        }
                    }
                }
            }
            assert(companion == nil, "a companion runs only beside direct convolutions on the SIMD path")
            return Tensor(shape: [n, oh, ow, oc], data: output)
        }
        if let fused, route == .direct {
            // The SIMD kernel reads windows in place: no im2col buffer. A padded convolution
            // reads a zero-bordered copy of each image instead (see `ZeroBordered`), so every
            // window lies inside and every block takes whole filter rows as its taps. When an
            // image's rows are split among threads, each part copies just the rows its windows
            // read into a buffer of its own, at the same time as the others (the whole copy on
            // the calling thread, with the others waiting, was a tenth of resnet_style's time at
            // batch 1 together with Winograd's).
            let border = ZeroBordered(height: h, width: w, channels: c, top: top, left: left,
                                      extent: ((oh - 1) * strides.0 + (kh - 1) * dilations.0 + 1, (ow - 1) * strides.1 + (kw - 1) * dilations.1 + 1))
            let parts = IntraOpParallelism.ranges(total: oh, alignment: 1, flops: 2 * oh * ow * patch * oc)
            // Outputs of a few rows split by output channels instead (a whole number of the
            // kernels' 64-channel blocks each where their rows are 3, 4 or 8 pixels wide), the
            // image's copy then made once; not those of up to 4 channels in, whose kernels
            // take every output channel at once.
            let channelParts = c <= 4 ? nil : IntraOpParallelism.channelRanges(rows: oh, channels: oc, alignment: ow <= 4 || ow == 8 ? 64 : 16,
                                                                               flops: 2 * oh * ow * patch * oc)
            let span = { (first: Int, end: Int) in (first * strides.0, (end - 1) * strides.0 + (kh - 1) * dilations.0 + 1) }
            let partRows = parts.map { span($0.0, $0.1) }.map { $0.1 - $0.0 }.max() ?? 0
            let splitCopies = border.isNeeded && parts.count > 1 && channelParts == nil
            // The bordered copy's size follows from the padding, which may come from a model file.
            guard Tensor.checkedCount([max(border.height, parts.count * partRows), border.width, c]) != nil else {
                throw EngineError.shapeMismatch("conv2d input \(input.shape) with padding (\(top), \(left)) exceeds \(Tensor.maxElements) values")
            }
            // A companion's rows, per part: the part's own rows when parts are rows, else the
            // rows split as evenly among the channel parts (none made without a companion).
            let companionRows: [(Int, Int)]? = companion == nil ? nil : channelParts.map { channelParts in
                let per = (oh + channelParts.count - 1) / channelParts.count
                return (0..<channelParts.count).map { (min(oh, $0 * per), min(oh, ($0 + 1) * per)) }
            }
            /// The companion's output rows `rows` of the image at `image` (unpadded, as it reads it).
            func runCompanion(_ image: UnsafePointer<Float>, index: Int, rows: (Int, Int)) {
                guard let companion, rows.0 < rows.1 else { return }
                SIMDSupport.convBiasClamp(input: image, size: (h, w), channels: c, filter: companion.filter, kernel: (1, 1),
                                          outChannels: companion.outChannels, strides: strides, dilations: (1, 1), padding: (0, 0),
                                          bias: companion.bias, residual: nil, output: companion.output + index * oh * ow * companion.outChannels,
                                          outputSize: (oh, ow), lower: companion.fused.lower, upper: companion.fused.upper,
                                          hardSwish: companion.fused.hardSwish, rows: rows, validRows: (0, h))
            }
            let capacity = splitCopies ? parts.count * partRows * border.width * c : border.count
            let padded = border.isNeeded ? UnsafeMutablePointer<Float>.allocate(capacity: capacity) : nil
            #if DEBUG
            // NaN where `fill` writes nothing: a kernel that read past the rows it was given would
            // then fail the tests (they run a debug build) instead of reading stale values.
            padded?.initialize(repeating: .nan, count: capacity)
            #endif
            defer { padded?.deallocate() }
            input.data.withUnsafeBufferPointer { x in
                filter.data.withUnsafeBufferPointer { f in
                    output.withUnsafeMutableBufferPointer { y in
                        withOptionalPointer(bias) { b in
                            withOptionalPointer(residual?.data) { r in
                                let (x, f, y) = (x.baseAddress!, f.baseAddress!, y.baseAddress!)
                                for image in 0..<n {
                                    var source = x + image * h * w * c
                                    let (target, added) = (y + image * oh * ow * oc, r.map { $0 + image * oh * ow * oc })
                                    if splitCopies, let p = padded {
                                        IntraOpParallelism.run(parts) { [source] first, end in
                                            // This part's rows of the bordered image, in its own stretch of the buffer.
                                            let (r0, r1) = span(first, end)
                                            let copy = p + (parts.firstIndex { $0.0 == first } ?? 0) * partRows * border.width * c
                                            border.fill(copy, rows: r0..<r1, from: source)
                                            let valid = (min(max(0, top - r0), r1 - r0), min(max(0, top + h - r0), r1 - r0))
                                            SIMDSupport.convBiasClamp(input: copy, size: (r1 - r0, border.width), channels: c, filter: f, kernel: (kh, kw),
                                                                      outChannels: oc, strides: strides, dilations: dilations, padding: (0, 0), bias: b,
                                                                      residual: added.map { $0 + first * ow * oc }, output: target + first * ow * oc,
                                                                      outputSize: (end - first, ow), lower: fused.lower, upper: fused.upper,
                                                                      hardSwish: fused.hardSwish, rows: (0, end - first), validRows: valid)
                                            runCompanion(source, index: image, rows: (first, end))
                                        }
                                        continue
                                    }
                                    let unpadded = source
                                    var (size, origin, valid) = ((h, w), (top, left), (0, h))
                                    if let p = padded {
                                        border.fill(p, rows: 0..<border.height, from: source)
                                        source = UnsafePointer(p)
                                        // The image's rows in the copy: the kernels leave out filter rows on the border.
                                        (size, origin, valid) = ((border.height, border.width), (0, 0), (top, top + h))
                                    }
                                    IntraOpParallelism.run(channelParts ?? parts) { [source, size, origin, valid] first, end in
                                        SIMDSupport.convBiasClamp(input: source, size: size, channels: c, filter: f, kernel: (kh, kw),
                                                                  outChannels: oc, strides: strides, dilations: dilations, padding: origin, bias: b,
                                                                  residual: added, output: target, outputSize: (oh, ow), lower: fused.lower,
                                                                  upper: fused.upper, hardSwish: fused.hardSwish,
                                                                  rows: channelParts == nil ? (first, end) : (0, oh), validRows: valid,
                                                                  outChannelRange: channelParts == nil ? nil : (first, end))
                                        if companion != nil {
                                            let rows = companionRows.map { rows in rows[channelParts?.firstIndex { $0.0 == first } ?? 0] } ?? (first, end)
                                            runCompanion(unpadded, index: image, rows: rows)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            return Tensor(shape: [n, oh, ow, oc], data: output)
        }
        var columns = pointwise ? [] : [Float](unsafeUninitializedCapacity: oh * ow * patch) { _, count in count = oh * ow * patch }
        input.data.withUnsafeBufferPointer { x in
            filter.data.withUnsafeBufferPointer { f in
                output.withUnsafeMutableBufferPointer { y in
                    columns.withUnsafeMutableBufferPointer { col in
                        for image in 0..<n {
                            let source = x.baseAddress! + image * h * w * c
                            let target = y.baseAddress! + image * oh * ow * oc
                            if pointwise {
                                withOptionalPointer(residual?.data) { r in
                                    product(m: h * w, n: oc, k: c, a: source, b: f.baseAddress!, bias: bias, residual: r.map { $0 + image * oh * ow * oc },
                                            c: target, fused: fused)
                                }
                                continue
                            }
                            // im2col: one row per output pixel holding its kh·kw·c window (zeros outside).
                            var row = 0
                            for oy in 0..<oh {
                                for ox in 0..<ow {
                                    let base = col.baseAddress! + row * patch
                                    var offset = 0
                                    for ky in 0..<kh {
                                        let iy = oy * strides.0 - top + ky * dilations.0
                                        for kx in 0..<kw {
                                            let ix = ox * strides.1 - left + kx * dilations.1
                                            if iy >= 0 && iy < h && ix >= 0 && ix < w {
                                                (base + offset).update(from: source + (iy * w + ix) * c, count: c)
                                            } else {
                                                (base + offset).update(repeating: 0, count: c)
                                            }
                                            offset += c
                                        }
                                    }
                                    row += 1
                                }
                            }
                            product(m: oh * ow, n: oc, k: patch, a: col.baseAddress!, b: f.baseAddress!, bias: bias, residual: nil, c: target, fused: fused)
                        }
                    }
                }
            }
        }
        if fused == nil {
            if let residual {
                // Bias, residual, activation: the residual goes in before the activation.
                finish(&output, channels: oc, bias: bias, activation: .none)
                residual.data.withUnsafeBufferPointer { r in output.withUnsafeMutableBufferPointer { y in for i in y.indices { y[i] += r[i] } } }
                activation.apply(&output)
            } else {
                finish(&output, channels: oc, bias: bias, activation: activation)
            }
        }
        assert(companion == nil, "a companion runs only beside direct convolutions on the SIMD path")
        return Tensor(shape: [n, oh, ow, oc], data: output)
    }

    /// An image with a border of zeros around it, big enough that every window of a padded
    /// convolution lies inside: `top` rows above, `left` columns before, and below and to the
    /// right as many as the windows reach (`extent`: the rows and columns they span, counted
    /// from the border's first). `fill` writes any stretch of its rows, border and image, into a
    /// buffer: a whole image, or just the rows one thread's part of an image reads.
    struct ZeroBordered {
        let height: Int, width: Int, channels: Int
        let top: Int, left: Int
        let imageHeight: Int, imageWidth: Int

        init(height: Int, width: Int, channels: Int, top: Int, left: Int, extent: (Int, Int)) {
            (imageHeight, imageWidth, self.channels, self.top, self.left) = (height, width, channels, top, left)
            // At least the image itself; windows may end before its last rows or columns.
            self.height = max(top + height, extent.0)
            self.width = max(left + width, extent.1)
        }

        var isNeeded: Bool { top > 0 || left > 0 || height > imageHeight || width > imageWidth }
        var count: Int { height * width * channels }

        /// Rows `rows` of the bordered image, border included, written from `buffer` on (every
        /// value of them: zeros on the border, the image's values inside).
        func fill(_ buffer: UnsafeMutablePointer<Float>, rows: Range<Int>, from image: UnsafePointer<Float>) {
            let rowLength = width * channels, imageRow = imageWidth * channels
            for y in rows {
                let target = buffer + (y - rows.lowerBound) * rowLength
                guard y >= top && y < top + imageHeight else {
                    target.initialize(repeating: 0, count: rowLength)
                    continue
                }
                target.initialize(repeating: 0, count: left * channels)
                (target + left * channels).initialize(from: image + (y - top) * imageRow, count: imageRow)
                (target + left * channels + imageRow).initialize(repeating: 0, count: rowLength - left * channels - imageRow)
            }
        }
    }

    /// C = A·B, with bias and the activation applied in the SIMD kernel's store when `fused`
    /// gives its store form (the caller then skips `finish`).
    private static func product(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, bias: [Float]?,
                                residual: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>,
                                fused: (lower: Float, upper: Float, hardSwish: Bool)?) {
        guard let fused else {
            BLAS.gemm(m: m, n: n, k: k, a: a, b: b, c: c)
            return
        }
        withOptionalPointer(bias) { bias in
            IntraOpParallelism.run(IntraOpParallelism.ranges(total: m, alignment: 6, flops: 2 * m * n * k)) { first, end in
                SIMDSupport.gemmBiasClamp(m: end - first, n: n, k: k, a: a + first * k, lda: k, b: b, bias: bias, residual: residual.map { $0 + first * n },
                                          c: c + first * n, lower: fused.lower, upper: fused.upper, hardSwish: fused.hardSwish)
            }
        }
    }

    /// Calls `body` with a pointer to `values`' storage, or nil when there are none.
    static func withOptionalPointer<R>(_ values: [Float]?, _ body: (UnsafePointer<Float>?) throws -> R) rethrows -> R {
        guard let values else { return try body(nil) }
        return try values.withUnsafeBufferPointer { try body($0.baseAddress) }
    }

    /// Depthwise convolution. `filter` is [kh, kw, in, multiplier]; output channel
    /// `ci · multiplier + m` convolves input channel `ci` with filter slice `m` (TensorFlow's order).
    public static func depthwiseConv2d(_ input: Tensor, filter: Tensor, bias: [Float]? = nil, strides: (Int, Int) = (1, 1),
                                       dilations: (Int, Int) = (1, 1), padding: Padding, activation: Activation = .none,
                                       simd: Bool = SIMDSupport.isAvailable) throws -> Tensor {
        guard input.rank == 4, filter.rank == 4 else { throw EngineError.shapeMismatch("depthwise conv needs NHWC input and [kh,kw,in,mult] filter") }
        if simd && activation.storeForm == nil {
            var y = try depthwiseConv2d(input, filter: filter, bias: bias, strides: strides, dilations: dilations, padding: padding, simd: true)
            activation.apply(&y.data)
            return y
        }
        let (n, h, w, c) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (kh, kw, fc, mult) = (filter.shape[0], filter.shape[1], filter.shape[2], filter.shape[3])
        guard fc == c else { throw EngineError.shapeMismatch("depthwise filter expects \(fc) channels, input has \(c)") }
        let oc = c * mult
        if let bias, bias.count != oc { throw EngineError.shapeMismatch("depthwise bias has \(bias.count) values for \(oc) channels") }
        try Padding.checkWindow(strides: strides, dilations: dilations, padding: padding, op: "depthwise conv")
        let (oh, top, ow, left) = padding.resolve2D(height: h, width: w, kernel: (kh, kw), strides: strides, dilations: dilations)
        guard Tensor.checkedCount([n, oh, ow, oc]) != nil else {
            throw EngineError.shapeMismatch("depthwise conv output \([n, oh, ow, oc]) exceeds \(Tensor.maxElements) values")
        }
        FlopCounter.shared.add(try ComputeLimit.check(n, oh, ow, kh, kw, oc, op: "depthwise conv"))
        if simd, mult == 1, c % 8 == 0, let fused = activation.storeForm {
            // The kernel writes every output value, so no zero-fill.
            let total = n * oh * ow * oc
            let output = [Float](unsafeUninitializedCapacity: total) { y, count in
                input.data.withUnsafeBufferPointer { x in
                    filter.data.withUnsafeBufferPointer { f in
                        withOptionalPointer(bias) { b in
                            let (x, f, y) = (x.baseAddress!, f.baseAddress!, y.baseAddress!)
                            let parts = IntraOpParallelism.ranges(total: oh, alignment: 1, flops: 2 * oh * ow * kh * kw * oc)
                            for image in 0..<n {
                                IntraOpParallelism.run(parts) { first, end in
                                    SIMDKernels.depthwiseBiasClamp(input: x + image * h * w * c, size: (h, w), channels: c, filter: f,
                                                                   kernel: (kh, kw), strides: strides, dilations: dilations, padding: (top, left), bias: b,
                                                                   output: y + image * oh * ow * oc, outputSize: (oh, ow),
                                                                   lower: fused.lower, upper: fused.upper, hardSwish: fused.hardSwish,
                                                                   rows: (first, end))
                                }
                            }
                        }
                    }
                }
                count = total
            }
            return Tensor(shape: [n, oh, ow, oc], data: output)
        }
        var output = [Float](repeating: 0, count: n * oh * ow * oc)
        // For each output row and filter tap, the output columns whose input column is in bounds
        // form one contiguous range, so the inner loops run without bounds tests.
        let columnRanges: [Range<Int>] = (0..<kw).map { kx in
            let offset = kx * dilations.1 - left
            var first = 0
            while first < ow && first * strides.1 + offset < 0 { first += 1 }
            var last = ow
            while last > first && (last - 1) * strides.1 + offset >= w { last -= 1 }
            return first..<last
        }
        input.data.withUnsafeBufferPointer { x in
            filter.data.withUnsafeBufferPointer { f in
                output.withUnsafeMutableBufferPointer { y in
                    guard let xs = x.baseAddress, let fs = f.baseAddress, let ys = y.baseAddress else { return }
                    for image in 0..<n {
                        for oy in 0..<oh {
                            let outRow = ys + (image * oh + oy) * ow * oc
                            for ky in 0..<kh {
                                let iy = oy * strides.0 - top + ky * dilations.0
                                if iy < 0 || iy >= h { continue }
                                let inRow = xs + (image * h + iy) * w * c
                                for kx in 0..<kw {
                                    let weights = fs + (ky * kw + kx) * oc
                                    let offset = kx * dilations.1 - left
                                    for ox in columnRanges[kx] {
                                        let pixel = inRow + (ox * strides.1 + offset) * c
                                        let out = outRow + ox * oc
                                        if mult == 1 {
                                            for ci in 0..<c { out[ci] += pixel[ci] * weights[ci] }
                                        } else {
                                            for ci in 0..<c {
                                                let value = pixel[ci]
                                                for m in 0..<mult { out[ci * mult + m] += value * weights[ci * mult + m] }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        finish(&output, channels: oc, bias: bias, activation: activation)
        return Tensor(shape: [n, oh, ow, oc], data: output)
    }

    /// Adds a per-channel bias and applies an activation in one pass over the values.
    static func finish(_ values: inout [Float], channels: Int, bias: [Float]?, activation: Activation) {
        guard let bias else {
            activation.apply(&values)
            return
        }
        values.withUnsafeMutableBufferPointer { y in
            bias.withUnsafeBufferPointer { b in
                guard let base = y.baseAddress, let vector = b.baseAddress else { return }
                var row = base
                let end = base + y.count
                switch activation {
                case .none:
                    while row < end { for ch in 0..<channels { row[ch] += vector[ch] }; row += channels }
                case .relu:
                    while row < end { for ch in 0..<channels { row[ch] = Swift.max(0, row[ch] + vector[ch]) }; row += channels }
                case .relu6:
                    while row < end { for ch in 0..<channels { row[ch] = Swift.min(6, Swift.max(0, row[ch] + vector[ch])) }; row += channels }
                default:
                    while row < end { for ch in 0..<channels { row[ch] = activation.apply(row[ch] + vector[ch]) }; row += channels }
                }
            }
        }
    }
}
