import StratumEngine

/// An integer tensor (shapes, indices, axes: what ONNX graphs compute in int64).
struct IntTensor: Equatable {
    var shape: [Int]
    var data: [Int]

    init(shape: [Int], data: [Int]) {
        precondition(data.count == shape.reduce(1, *), "IntTensor: \(data.count) values for shape \(shape)")
        self.shape = shape
        self.data = data
    }

    init(vector: [Int]) { self.init(shape: [vector.count], data: vector) }
}

/// A value flowing through an ONNX graph.
///
/// Float values of rank 4 may be held *channels-last*: the graph means NCHW (as PyTorch
/// exports do) but the tensor is stored NHWC, the engine's layout. Convolutions, pooling,
/// batch norm and element-wise ops work on that form directly, so an NCHW graph runs without
/// transposing activations between ops; a value is put back in NCHW order only where an op
/// depends on the order of its elements (Flatten, Reshape, a general Transpose) — and then
/// without copying when height × width or channels is 1, as after global pooling.
enum Value {
    case float(Tensor, channelsLast: Bool)
    case int(IntTensor)

    /// The shape the graph sees (NCHW for a channels-last value).
    var shape: [Int] {
        switch self {
        case .float(let t, let channelsLast):
            return channelsLast ? [t.shape[0], t.shape[3], t.shape[1], t.shape[2]] : t.shape
        case .int(let t): return t.shape
        }
    }

    var rank: Int { shape.count }

    var isChannelsLast: Bool {
        if case .float(_, true) = self { return true }
        return false
    }

    /// The values in the graph's own layout, as floats (integers converted).
    func graphTensor() -> Tensor {
        switch self {
        case .float(let t, let channelsLast):
            return channelsLast ? Layout.toChannelsFirst(t) : t
        case .int(let t):
            return Tensor(shape: t.shape, data: t.data.map { Float($0) })
        }
    }

    /// The values in the graph's own layout, as integers (floats truncated toward zero,
    /// clamped to ±2⁶², as a cast from float to int64 does for finite values).
    func graphInts() -> IntTensor {
        switch self {
        case .int(let t): return t
        case .float:
            let t = graphTensor()
            return IntTensor(shape: t.shape, data: t.data.map(Layout.int))
        }
    }

    /// A rank-4 NCHW value held channels-last (transposed once if it was not).
    func channelsLastTensor() throws -> Tensor {
        switch self {
        case .float(let t, true): return t
        default:
            let t = graphTensor()
            guard t.rank == 4 else { throw EngineError.shapeMismatch("expected a 4-D NCHW value, got shape \(t.shape)") }
            return Layout.toChannelsLast(t)
        }
    }
}

/// Layout conversions and small tensor utilities.
enum Layout {
    static func int(_ value: Float) -> Int {
        guard value.isFinite else { return value.isNaN ? 0 : (value > 0 ? 1 << 62 : -(1 << 62)) }
        return Int(max(-4.6e18, min(4.6e18, value)))
    }

    /// The values rounded toward zero, as onnxruntime's integer kernels leave a mean or an
    /// interpolation.
    static func truncated(_ t: Tensor) -> IntTensor {
        IntTensor(shape: t.shape, data: t.data.map { int($0.rounded(.towardZero)) })
    }

    /// NHWC → NCHW; no copy when H·W or C is 1 (the element order is then the same).
    static func toChannelsFirst(_ t: Tensor) -> Tensor {
        let (n, h, w, c) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
        if h * w == 1 || c == 1 { return Tensor(shape: [n, c, h, w], data: t.data) }
        return transpose(t, [0, 3, 1, 2])
    }

    /// NCHW → NHWC; no copy when H·W or C is 1.
    static func toChannelsLast(_ t: Tensor) -> Tensor {
        let (n, c, h, w) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
        if h * w == 1 || c == 1 { return Tensor(shape: [n, h, w, c], data: t.data) }
        return transpose(t, [0, 2, 3, 1])
    }

    /// Axis permutation: output axis i is input axis `perm[i]`.
    static func transpose(_ t: Tensor, _ perm: [Int]) -> Tensor {
        let shape = perm.map { t.shape[$0] }
        let data = permute(t.data, shape: t.shape, perm: perm)
        return Tensor(shape: shape, data: data)
    }

    static func transpose(_ t: IntTensor, _ perm: [Int]) -> IntTensor {
        IntTensor(shape: perm.map { t.shape[$0] }, data: permute(t.data, shape: t.shape, perm: perm))
    }

    static func permute<T>(_ data: [T], shape: [Int], perm: [Int]) -> [T] {
        let rank = shape.count
        guard rank > 1, data.count > 1 else { return data }
        let outShape = perm.map { shape[$0] }
        var inStrides = [Int](repeating: 1, count: rank)
        for axis in stride(from: rank - 2, through: 0, by: -1) { inStrides[axis] = inStrides[axis + 1] * shape[axis + 1] }
        // Strides of the input, in output-axis order; the innermost output axis runs fastest.
        let strides = perm.map { inStrides[$0] }
        var out: [T] = []
        out.reserveCapacity(data.count)
        var index = [Int](repeating: 0, count: rank)
        let last = rank - 1
        let innerCount = outShape[last], innerStride = strides[last]
        data.withUnsafeBufferPointer { x in
            var base = 0
            while true {
                for i in 0..<innerCount { out.append(x[base + i * innerStride]) }
                // Advance the outer index (odometer over axes 0..<last).
                var axis = last - 1
                while axis >= 0 {
                    index[axis] += 1
                    base += strides[axis]
                    if index[axis] < outShape[axis] { break }
                    base -= strides[axis] * outShape[axis]
                    index[axis] = 0
                    axis -= 1
                }
                if axis < 0 { break }
            }
        }
        return out
    }
}
