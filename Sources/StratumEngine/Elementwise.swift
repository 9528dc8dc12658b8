import Foundation
import StratumEngineSIMD

/// Element-wise and shape operations.
public enum Elementwise {
    public enum Binary: Sendable { case add, subtract, multiply, divide, maximum, minimum }

    /// Applies `op` with NumPy broadcasting (shapes aligned from the right; size-1 dims stretch).
    public static func binary(_ a: Tensor, _ b: Tensor, _ op: Binary) throws -> Tensor {
        let rank = max(a.rank, b.rank)
        let shapeA = [Int](repeating: 1, count: rank - a.rank) + a.shape
        let shapeB = [Int](repeating: 1, count: rank - b.rank) + b.shape
        var shape: [Int] = []
        for axis in 0..<rank {
            let (x, y) = (shapeA[axis], shapeB[axis])
            guard x == y || x == 1 || y == 1 else { throw EngineError.shapeMismatch("cannot broadcast \(a.shape) with \(b.shape)") }
            shape.append(x == 1 ? y : x)
        }
        let f: (Float, Float) -> Float
        switch op {
        case .add: f = (+)
        case .subtract: f = (-)
        case .multiply: f = (*)
        case .divide: f = (/)
        case .maximum: f = { Swift.max($0, $1) }
        case .minimum: f = { Swift.min($0, $1) }
        }
        // Two small inputs can broadcast to a huge output ([n, 1] with [1, m]): bounded first.
        guard let count = Tensor.checkedCount(shape) else {
            throw EngineError.shapeMismatch("broadcasting \(a.shape) with \(b.shape) gives more than \(Tensor.maxElements) values")
        }
        if shapeA == shapeB {
            // Same shapes (residual additions): one tight loop, the common ops written out.
            var out = a.data
            out.withUnsafeMutableBufferPointer { y in
                b.data.withUnsafeBufferPointer { v in
                    switch op {
                    case .add: for i in 0..<count { y[i] += v[i] }
                    case .subtract: for i in 0..<count { y[i] -= v[i] }
                    case .multiply: for i in 0..<count { y[i] *= v[i] }
                    default: for i in 0..<count { y[i] = f(y[i], v[i]) }
                    }
                }
            }
            return Tensor(shape: shape, data: out)
        }
        // Common case: b is a per-channel vector over the last axis (or a scalar).
        if b.count == shape[rank - 1] && shapeB.dropLast().allSatisfy({ $0 == 1 }) && shapeA == shape {
            let c = b.count
            var out = a.data
            out.withUnsafeMutableBufferPointer { y in
                b.data.withUnsafeBufferPointer { v in
                    var i = 0
                    while i < count {
                        for ch in 0..<c { y[i + ch] = f(y[i + ch], v[ch]) }
                        i += c
                    }
                }
            }
            return Tensor(shape: shape, data: out)
        }
        if b.count == 1 && shapeA == shape { let s = b.data[0]; return Tensor(shape: shape, data: a.data.map { f($0, s) }) }
        if a.count == 1 && shapeB == shape { let s = a.data[0]; return Tensor(shape: shape, data: b.data.map { f(s, $0) }) }
        let stridesA = broadcastStrides(shapeA, shape), stridesB = broadcastStrides(shapeB, shape)
        let outStrides = Tensor(zeros: shape).strides
        var out = [Float](repeating: 0, count: count)
        for flat in 0..<count {
            var remainder = flat, ia = 0, ib = 0
            for axis in 0..<rank {
                let index = remainder / outStrides[axis]
                remainder %= outStrides[axis]
                ia += index * stridesA[axis]
                ib += index * stridesB[axis]
            }
            out[flat] = f(a.data[ia], b.data[ib])
        }
        return Tensor(shape: shape, data: out)
    }

    static func broadcastStrides(_ shape: [Int], _ target: [Int]) -> [Int] {
        let strides = Tensor(zeros: shape).strides
        return shape.indices.map { shape[$0] == 1 && target[$0] != 1 ? 0 : strides[$0] }
    }

    /// Softmax over the last axis (max-subtracted).
    public static func softmax(_ input: Tensor) -> Tensor {
        guard let classes = input.shape.last, classes > 0 else { return input }
        var out = input.data
        for start in stride(from: 0, to: out.count, by: classes) {
            let row = start..<(start + classes)
            let top = out[row].max() ?? 0
            var sum: Float = 0
            for i in row { out[i] = expf(out[i] - top); sum += out[i] }
            for i in row { out[i] /= sum }
        }
        return Tensor(shape: input.shape, data: out)
    }

    /// Applies an activation to every value.
    public static func activate(_ input: Tensor, _ activation: Activation) -> Tensor {
        var out = input.data
        activation.apply(&out)
        return Tensor(shape: input.shape, data: out)
    }

    /// Inference batch normalisation over the last axis: (x − mean)/√(var + ε)·γ + β (Keras semantics).
    public static func batchNorm(_ input: Tensor, mean: [Float], variance: [Float], scale: [Float]?, offset: [Float]?, epsilon: Float) throws -> Tensor {
        guard let c = input.shape.last, mean.count == c, variance.count == c, scale.map({ $0.count == c }) ?? true, offset.map({ $0.count == c }) ?? true else {
            throw EngineError.shapeMismatch("batch norm parameters do not match \(input.shape.last ?? 0) channels")
        }
        let multiplier = (0..<c).map { (scale?[$0] ?? 1) / (variance[$0] + epsilon).squareRoot() }
        let shift = (0..<c).map { (offset?[$0] ?? 0) - mean[$0] * multiplier[$0] }
        var out = input.data
        for start in stride(from: 0, to: out.count, by: c) {
            for ch in 0..<c { out[start + ch] = out[start + ch] * multiplier[ch] + shift[ch] }
        }
        return Tensor(shape: input.shape, data: out)
    }

    /// Matrix product of 2-D tensors with optional transposes, bias and activation.
    /// With `simd` (the default where the CPU allows) and B not transposed, runs on the SIMD
    /// GEMM with bias and the activation fused where it has a store form (a single row, as at batch 1, on its
    /// one-row kernel); otherwise on BLAS, then bias and activation in a pass.
    public static func matMul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false, bias: [Float]? = nil, activation: Activation = .none,
                              simd: Bool = SIMDSupport.isAvailable) throws -> Tensor {
        guard a.rank == 2, b.rank == 2 else { throw EngineError.shapeMismatch("matmul needs 2-D tensors, got \(a.shape) and \(b.shape)") }
        let left = transposeA ? transpose2D(a) : a
        let (m, k) = (left.shape[0], left.shape[1])
        let (kb, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        guard k == kb else { throw EngineError.shapeMismatch("matmul inner dimensions differ: \(a.shape) × \(b.shape)") }
        if let bias, bias.count != n { throw EngineError.shapeMismatch("matmul bias has \(bias.count) values for \(n) columns") }
        guard Tensor.checkedCount([m, n]) != nil else { throw EngineError.shapeMismatch("matmul output [\(m), \(n)] exceeds \(Tensor.maxElements) values") }
        FlopCounter.shared.add(try ComputeLimit.check(m, n, k, op: "matmul"))
        if simd, !transposeB, k > 0 {
            // An activation the kernel cannot apply as it stores (HardSwish, say) takes a pass after.
            let form = activation.storeForm ?? (-.infinity, .infinity, false)
            var out = [Float](unsafeUninitializedCapacity: m * n) { z, count in
                left.data.withUnsafeBufferPointer { x in
                    b.data.withUnsafeBufferPointer { y in
                        Convolution.withOptionalPointer(bias) { bias in
                            guard let x = x.baseAddress, let y = y.baseAddress, let z = z.baseAddress else { return }
                            SIMDSupport.gemmBiasClamp(m: m, n: n, k: k, a: x, lda: k, b: y, bias: bias, residual: nil, c: z,
                                                             lower: form.lower, upper: form.upper, hardSwish: form.hardSwish)
                        }
                    }
                }
                count = m * n
            }
            if activation.storeForm == nil { activation.apply(&out) }
            return Tensor(shape: [m, n], data: out)
        }
        var out = [Float](repeating: 0, count: m * n)
        left.data.withUnsafeBufferPointer { x in
            b.data.withUnsafeBufferPointer { y in
                out.withUnsafeMutableBufferPointer { z in
                    BLAS.gemm(m: m, n: n, k: k, a: x.baseAddress!, b: y.baseAddress!, c: z.baseAddress!, transposeB: transposeB)
                }
            }
        }
        Convolution.finish(&out, channels: n, bias: bias, activation: activation)
        return Tensor(shape: [m, n], data: out)
    }

    static func transpose2D(_ t: Tensor) -> Tensor {
        let (r, c) = (t.shape[0], t.shape[1])
        var out = [Float](repeating: 0, count: r * c)
        for i in 0..<r { for j in 0..<c { out[j * r + i] = t.data[i * c + j] } }
        return Tensor(shape: [c, r], data: out)
    }

    /// Constant padding; `paddings` holds (before, after) per axis.
    public static func pad(_ input: Tensor, paddings: [(Int, Int)], value: Float = 0) throws -> Tensor {
        guard paddings.count == input.rank, paddings.allSatisfy({ $0.0 >= 0 && $0.1 >= 0 }) else {
            throw EngineError.shapeMismatch("pad needs one non-negative (before, after) per axis of \(input.shape)")
        }
        let shape = zip(input.shape, paddings).map { $0 + $1.0 + $1.1 }
        guard paddings.allSatisfy({ $0.0 <= Tensor.maxElements && $0.1 <= Tensor.maxElements }), let count = Tensor.checkedCount(shape) else {
            throw EngineError.shapeMismatch("padding \(input.shape) by \(paddings) gives more than \(Tensor.maxElements) values")
        }
        var out = [Float](repeating: value, count: count)
        // Fast path: spatial padding of NHWC, copied row by row.
        if input.rank == 4 && paddings[0] == (0, 0) && paddings[3] == (0, 0) {
            let (n, h, w, c) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
            let (ow, top, left) = (shape[2], paddings[1].0, paddings[2].0)
            out.withUnsafeMutableBufferPointer { y in
                input.data.withUnsafeBufferPointer { x in
                    for image in 0..<n {
                        for row in 0..<h {
                            let source = x.baseAddress! + ((image * h + row) * w) * c
                            let target = y.baseAddress! + ((image * shape[1] + row + top) * ow + left) * c
                            target.update(from: source, count: w * c)
                        }
                    }
                }
            }
            return Tensor(shape: shape, data: out)
        }
        let outStrides = Tensor(zeros: shape).strides, inStrides = input.strides
        for flat in 0..<input.count {
            var remainder = flat, target = 0
            for axis in 0..<input.rank {
                let index = remainder / inStrides[axis]
                remainder %= inStrides[axis]
                target += (index + paddings[axis].0) * outStrides[axis]
            }
            out[target] = input.data[flat]
        }
        return Tensor(shape: shape, data: out)
    }

    /// Concatenation along `axis` (negative counts from the end).
    public static func concat(_ inputs: [Tensor], axis: Int) throws -> Tensor {
        guard let first = inputs.first else { throw EngineError.shapeMismatch("concat of nothing") }
        let a = axis < 0 ? axis + first.rank : axis
        guard a >= 0 && a < first.rank else { throw EngineError.shapeMismatch("concat axis \(axis) out of range for \(first.shape)") }
        for t in inputs where t.rank != first.rank || (0..<first.rank).contains(where: { $0 != a && t.shape[$0] != first.shape[$0] }) {
            throw EngineError.shapeMismatch("concat along \(a): \(t.shape) does not match \(first.shape)")
        }
        // The output is bounded before anything is reserved: a node may list one value any
        // number of times (a 307 KB model asked for 400 GB: review of hostile model files).
        var shape = first.shape
        shape[a] = 0
        for t in inputs {
            let (sum, overflow) = shape[a].addingReportingOverflow(t.shape[a])
            guard !overflow, sum <= Tensor.maxElements else { throw EngineError.shapeMismatch("concat along \(a) of \(inputs.count) inputs exceeds \(Tensor.maxElements) values") }
            shape[a] = sum
        }
        guard let count = Tensor.checkedCount(shape) else {
            throw EngineError.shapeMismatch("concat output \(shape) exceeds \(Tensor.maxElements) values")
        }
        let outer = first.shape[..<a].reduce(1, *)
        let inners = inputs.map { $0.shape[a...].reduce(1, *) }
        var out: [Float] = []
        out.reserveCapacity(count)
        for o in 0..<outer {
            for (t, inner) in zip(inputs, inners) { out += t.data[(o * inner)..<((o + 1) * inner)] }
        }
        return Tensor(shape: shape, data: out)
    }

    /// Bilinear resize of NHWC, TensorFlow's ResizeBilinear: `alignCorners` maps corner to
    /// corner; else `halfPixelCenters` samples at (i + 0.5)·scale − 0.5; else at i·scale.
    public static func resizeBilinear(_ input: Tensor, height oh: Int, width ow: Int, alignCorners: Bool, halfPixelCenters: Bool) throws -> Tensor {
        guard input.rank == 4 else { throw EngineError.shapeMismatch("resize needs NHWC input, got \(input.shape)") }
        let (n, h, w, c) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        // The target size comes from the model file: bounded before any allocation (found by fuzzing).
        guard oh >= 1, ow >= 1, oh <= Tensor.maxElements, ow <= Tensor.maxElements, h >= 1, w >= 1,
              Tensor.checkedCount([n, oh, ow, c]) != nil else {
            throw EngineError.shapeMismatch("resize of \(input.shape) to \(oh)×\(ow) is empty or exceeds \(Tensor.maxElements) elements")
        }
        func scale(_ inSize: Int, _ outSize: Int) -> Float {
            alignCorners && outSize > 1 ? Float(inSize - 1) / Float(outSize - 1) : Float(inSize) / Float(outSize)
        }
        func taps(_ inSize: Int, _ outSize: Int) -> [(Int, Int, Float)] {
            let s = scale(inSize, outSize)
            return (0..<outSize).map { i in
                let position = halfPixelCenters ? max(0, (Float(i) + 0.5) * s - 0.5) : Float(i) * s
                let low = min(Int(position), inSize - 1)
                return (low, min(low + 1, inSize - 1), position - Float(low))
            }
        }
        let ys = taps(h, oh), xs = taps(w, ow)
        var out = [Float](repeating: 0, count: n * oh * ow * c)
        input.data.withUnsafeBufferPointer { x in
            for image in 0..<n {
                for (oy, ty) in ys.enumerated() {
                    for (ox, tx) in xs.enumerated() {
                        let o = ((image * oh + oy) * ow + ox) * c
                        let p00 = ((image * h + ty.0) * w + tx.0) * c, p01 = ((image * h + ty.0) * w + tx.1) * c
                        let p10 = ((image * h + ty.1) * w + tx.0) * c, p11 = ((image * h + ty.1) * w + tx.1) * c
                        for ch in 0..<c {
                            let top = x[p00 + ch] + (x[p01 + ch] - x[p00 + ch]) * tx.2
                            let bottom = x[p10 + ch] + (x[p11 + ch] - x[p10 + ch]) * tx.2
                            out[o + ch] = top + (bottom - top) * ty.2
                        }
                    }
                }
            }
        }
        return Tensor(shape: [n, oh, ow, c], data: out)
    }

    /// SpaceToBatchND for NHWC with a 2-D block: pads H and W, then moves each (i, j) phase of
    /// the block into the batch: out[(i·bw + j)·N + n, y, x, c] = padded[n, y·bh + i, x·bw + j, c].
    public static func spaceToBatch(_ input: Tensor, block: (Int, Int), paddings: ((Int, Int), (Int, Int))) throws -> Tensor {
        guard input.rank == 4 else { throw EngineError.shapeMismatch("SpaceToBatchND needs NHWC input") }
        guard block.0 > 0, block.1 > 0, block.0 <= Tensor.maxElements, block.1 <= Tensor.maxElements else {
            throw EngineError.shapeMismatch("SpaceToBatchND block \(block) must be in 1…\(Tensor.maxElements)")
        }
        let padded = try pad(input, paddings: [(0, 0), paddings.0, paddings.1, (0, 0)])
        let (n, h, w, c) = (padded.shape[0], padded.shape[1], padded.shape[2], padded.shape[3])
        guard block.0 > 0, block.1 > 0, h % block.0 == 0, w % block.1 == 0 else { throw EngineError.shapeMismatch("padded size \(h)×\(w) is not a multiple of block \(block)") }
        let (oh, ow) = (h / block.0, w / block.1)
        var out = [Float](repeating: 0, count: padded.count)
        for i in 0..<block.0 { for j in 0..<block.1 { for image in 0..<n { for y in 0..<oh { for x in 0..<ow {
            let target = ((((i * block.1 + j) * n + image) * oh + y) * ow + x) * c
            let source = ((image * h + y * block.0 + i) * w + x * block.1 + j) * c
            for ch in 0..<c { out[target + ch] = padded.data[source + ch] }
        } } } } }
        return Tensor(shape: [n * block.0 * block.1, oh, ow, c], data: out)
    }

    /// BatchToSpaceND for NHWC with a 2-D block: the inverse of `spaceToBatch`, then crops.
    public static func batchToSpace(_ input: Tensor, block: (Int, Int), crops: ((Int, Int), (Int, Int))) throws -> Tensor {
        // Block sizes from the file, bounded before they are multiplied (2^32 × 2^32 overflowed).
        guard input.rank == 4, block.0 > 0, block.1 > 0, block.0 <= Tensor.maxElements, block.1 <= Tensor.maxElements,
              input.shape[0] % (block.0 * block.1) == 0 else {
            throw EngineError.shapeMismatch("BatchToSpaceND: batch \(input.shape.first ?? 0) is not a multiple of block \(block)")
        }
        let (b, h, w, c) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let n = b / (block.0 * block.1)
        guard Tensor.checkedCount([n, h, block.0, w, block.1, c]) != nil else {
            throw EngineError.shapeMismatch("BatchToSpaceND of \(input.shape) by block \(block) exceeds \(Tensor.maxElements) values")
        }
        let (fh, fw) = (h * block.0, w * block.1)
        var full = [Float](repeating: 0, count: n * fh * fw * c)
        for i in 0..<block.0 { for j in 0..<block.1 { for image in 0..<n { for y in 0..<h { for x in 0..<w {
            let source = ((((i * block.1 + j) * n + image) * h + y) * w + x) * c
            let target = ((image * fh + y * block.0 + i) * fw + x * block.1 + j) * c
            for ch in 0..<c { full[target + ch] = input.data[source + ch] }
        } } } } }
        guard crops.0.0 >= 0, crops.0.1 >= 0, crops.1.0 >= 0, crops.1.1 >= 0 else {
            throw EngineError.shapeMismatch("BatchToSpaceND crops \(crops) must not be negative")
        }
        let (oh, ow) = (fh - crops.0.0 - crops.0.1, fw - crops.1.0 - crops.1.1)
        guard oh >= 0, ow >= 0 else { throw EngineError.shapeMismatch("BatchToSpaceND crops exceed the size") }
        var out = [Float](repeating: 0, count: n * oh * ow * c)
        for image in 0..<n { for y in 0..<oh {
            let source = ((image * fh + y + crops.0.0) * fw + crops.1.0) * c
            let target = (image * oh + y) * ow * c
            for k in 0..<(ow * c) { out[target + k] = full[source + k] }
        } }
        return Tensor(shape: [n, oh, ow, c], data: out)
    }
}
