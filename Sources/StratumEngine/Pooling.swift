import StratumEngineSIMD

/// Pooling and reductions on NHWC tensors.
public enum Pooling {
    public enum Kind: Sendable { case max, average }

    /// Max or average pooling; averages count only the window's in-bounds values (padding excluded),
    /// as TensorFlow's AvgPool does.
    /// With `simd` (the default where the CPU allows) and a multiple of 8 channels, runs on the
    /// SIMD kernel, one image's output rows split across threads when an op may use several
    /// (`IntraOpParallelism`): the rows a thread pools are then mostly those the convolution
    /// before it wrote on that thread, still in that core's cache (at batch 1, small-cnn's
    /// pooling took 14% of the time on one thread).
    public static func pool2d(_ input: Tensor, kind: Kind, window: (Int, Int), strides: (Int, Int), padding: Padding,
                              simd: Bool = SIMDSupport.isAvailable) throws -> Tensor {
        guard input.rank == 4 else { throw EngineError.shapeMismatch("pooling needs NHWC input, got \(input.shape)") }
        let (n, h, w, c) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        guard window.0 >= 1, window.1 >= 1, window.0 <= Tensor.maxElements, window.1 <= Tensor.maxElements else {
            throw EngineError.shapeMismatch("pooling window \(window) must be in 1…\(Tensor.maxElements)")
        }
        try Padding.checkWindow(strides: strides, dilations: (1, 1), padding: padding, op: "pooling")
        let (oh, top, ow, left) = padding.resolve2D(height: h, width: w, kernel: window, strides: strides, dilations: (1, 1))
        guard Tensor.checkedCount([n, oh, ow, c]) != nil else {
            throw EngineError.shapeMismatch("pooling output \([n, oh, ow, c]) exceeds \(Tensor.maxElements) values")
        }
        _ = try ComputeLimit.check(n, oh, ow, c, window.0, window.1, op: "pooling")
        if simd && c % 8 == 0 {
            let output = [Float](unsafeUninitializedCapacity: n * oh * ow * c) { y, count in
                input.data.withUnsafeBufferPointer { x in
                    guard let x = x.baseAddress, let y = y.baseAddress else { return }
                    // Split by rows even below the usual size threshold: the point is locality.
                    let parts = IntraOpParallelism.ranges(total: oh, alignment: 1, flops: IntraOpParallelism.minimumFlops)
                    for image in 0..<n {
                        IntraOpParallelism.run(parts) { first, end in
                            SIMDSupport.pool(input: x + image * h * w * c, size: (h, w), channels: c, window: window, strides: strides,
                                             padding: (top, left), average: kind == .average, output: y + image * oh * ow * c, outputSize: (oh, ow),
                                             rows: (first, end))
                        }
                    }
                }
                count = n * oh * ow * c
            }
            return Tensor(shape: [n, oh, ow, c], data: output)
        }
        var output = [Float](repeating: 0, count: n * oh * ow * c)
        var accumulator = [Float](repeating: 0, count: c)
        input.data.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                accumulator.withUnsafeMutableBufferPointer { acc in
                    for image in 0..<n {
                        for oy in 0..<oh {
                            for ox in 0..<ow {
                                acc.update(repeating: kind == .max ? -Float.infinity : 0)
                                var counted = 0
                                for ky in 0..<window.0 {
                                    let iy = oy * strides.0 - top + ky
                                    if iy < 0 || iy >= h { continue }
                                    for kx in 0..<window.1 {
                                        let ix = ox * strides.1 - left + kx
                                        if ix < 0 || ix >= w { continue }
                                        counted += 1
                                        let pixel = x.baseAddress! + ((image * h + iy) * w + ix) * c
                                        if kind == .max {
                                            for ch in 0..<c { acc[ch] = Swift.max(acc[ch], pixel[ch]) }
                                        } else {
                                            for ch in 0..<c { acc[ch] += pixel[ch] }
                                        }
                                    }
                                }
                                let out = y.baseAddress! + ((image * oh + oy) * ow + ox) * c
                                let scale = kind == .average && counted > 0 ? 1 / Float(counted) : 1
                                for ch in 0..<c { out[ch] = kind == .average ? acc[ch] * scale : acc[ch] }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [n, oh, ow, c], data: output)
    }

    /// Mean over `axes` (negative axes count from the end), keeping them as size 1 when asked.
    public static func mean(_ input: Tensor, axes: [Int], keepDims: Bool) throws -> Tensor {
        try reduce(input, axes: axes, keepDims: keepDims, maximum: false)
    }

    /// Maximum over `axes`.
    public static func max(_ input: Tensor, axes: [Int], keepDims: Bool) throws -> Tensor {
        try reduce(input, axes: axes, keepDims: keepDims, maximum: true)
    }

    static func reduce(_ input: Tensor, axes: [Int], keepDims: Bool, maximum: Bool) throws -> Tensor {
        let rank = input.rank
        let normalized = Set(try axes.map { axis -> Int in
            let a = axis < 0 ? axis + rank : axis
            guard a >= 0 && a < rank else { throw EngineError.shapeMismatch("mean axis \(axis) out of range for rank \(rank)") }
            return a
        })
        // Fast path: spatial mean of NHWC (global average pooling).
        let strides = input.strides
        var outShape: [Int] = []
        for axis in 0..<rank {
            if normalized.contains(axis) { if keepDims { outShape.append(1) } } else { outShape.append(input.shape[axis]) }
        }
        let reducedShape = (0..<rank).map { normalized.contains($0) ? 1 : input.shape[$0] }
        let reducedStrides = Tensor(zeros: reducedShape).strides
        var sums = [Double](repeating: maximum ? -Double.infinity : 0, count: reducedShape.reduce(1, *))
        let divisor = Double(normalized.reduce(1) { $0 * input.shape[$1] })
        input.data.withUnsafeBufferPointer { x in
            var index = [Int](repeating: 0, count: rank)
            for flat in 0..<x.count {
                var remainder = flat
                var target = 0
                for axis in 0..<rank {
                    index[axis] = remainder / strides[axis]
                    remainder %= strides[axis]
                    if !normalized.contains(axis) { target += index[axis] * reducedStrides[axis] }
                }
                if maximum { sums[target] = Swift.max(sums[target], Double(x[flat])) } else { sums[target] += Double(x[flat]) }
            }
        }
        return Tensor(shape: outShape, data: sums.map { maximum ? Float($0) : Float($0 / Swift.max(1, divisor)) })
    }

    /// Global average pooling of NHWC to [N, C] (optionally [N,1,1,C]).
    public static func globalAverage(_ input: Tensor, keepDims: Bool = false) throws -> Tensor {
        guard input.rank == 4 else { throw EngineError.shapeMismatch("global average pooling needs NHWC input, got \(input.shape)") }
        let (n, h, w, c) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        // Summed in place in the output, pixel after pixel, on pointers so that the channel loop
        // vectorises (float sums, as onnxruntime's; with a Double per channel this op took 6% of
        // a MobileNetV3's op time, STRATUM_PROFILE=1).
        let pixels = h * w
        let out = [Float](unsafeUninitializedCapacity: n * c) { buffer, count in
            buffer.initialize(repeating: 0)
            input.data.withUnsafeBufferPointer { x in
                guard let sums = buffer.baseAddress, var pixel = x.baseAddress else { return }
                let scale = 1 / Float(Swift.max(1, pixels))
                for image in 0..<n {
                    let row = sums + image &* c
                    for _ in 0..<pixels {
                        for ch in 0..<c { row[ch] += pixel[ch] }
                        pixel += c
                    }
                    for ch in 0..<c { row[ch] *= scale }
                }
            }
            count = n * c
        }
        return Tensor(shape: keepDims ? [n, 1, 1, c] : [n, c], data: out)
    }
}
