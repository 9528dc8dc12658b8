/// How a window op pads its input, in TensorFlow's conventions.
public enum Padding: Sendable, Equatable {
    /// Output = ceil(input / stride); the total padding max((out−1)·s + (k−1)·d + 1 − in, 0)
    /// is split with the smaller half before (TensorFlow's SAME).
    case same
    /// No padding: output = ceil((in − (k−1)·d) / s).
    case valid
    /// Explicit (before, after) for height and width.
    case explicit(top: Int, bottom: Int, left: Int, right: Int)

    /// (output size, padding before) along one axis.
    func resolve(input: Int, kernel: Int, stride: Int, dilation: Int) -> (output: Int, before: Int) {
        let effective = (kernel - 1) * dilation + 1
        switch self {
        case .same:
            let output = (input + stride - 1) / stride
            let total = max((output - 1) * stride + effective - input, 0)
            return (output, total / 2)
        case .valid:
            return (max(0, (input - effective + stride) / stride), 0)
        case .explicit:
            return (0, 0)
        }
    }

    /// Throws unless `strides` and `dilations` are in 1…`Tensor.maxElements` and explicit
    /// amounts in 0…`Tensor.maxElements`: values from model files, bounded so that the window
    /// arithmetic below cannot overflow (an explicit padding of Int.max did: review of hostile
    /// model files).
    static func checkWindow(strides: (Int, Int), dilations: (Int, Int), padding: Padding, op: String) throws {
        let limit = Tensor.maxElements
        guard [strides.0, strides.1, dilations.0, dilations.1].allSatisfy({ $0 >= 1 && $0 <= limit }) else {
            throw EngineError.shapeMismatch("\(op) strides \(strides) and dilations \(dilations) must be in 1…\(limit)")
        }
        if case .explicit(let top, let bottom, let left, let right) = padding, ![top, bottom, left, right].allSatisfy({ $0 >= 0 && $0 <= limit }) {
            throw EngineError.shapeMismatch("\(op) padding (\(top), \(bottom), \(left), \(right)) must be in 0…\(limit)")
        }
    }

    /// (output height, pad top, output width, pad left).
    func resolve2D(height: Int, width: Int, kernel: (Int, Int), strides: (Int, Int), dilations: (Int, Int)) -> (Int, Int, Int, Int) {
        if case .explicit(let top, let bottom, let left, let right) = self {
            let eh = (kernel.0 - 1) * dilations.0 + 1, ew = (kernel.1 - 1) * dilations.1 + 1
            return (max(0, (height + top + bottom - eh) / strides.0 + 1), top, max(0, (width + left + right - ew) / strides.1 + 1), left)
        }
        let (oh, top) = resolve(input: height, kernel: kernel.0, stride: strides.0, dilation: dilations.0)
        let (ow, left) = resolve(input: width, kernel: kernel.1, stride: strides.1, dilation: dilations.1)
        return (oh, top, ow, left)
    }
}

/// An activation fused into a conv or matmul (or used alone).
public enum Activation: Sendable, Equatable {
    case none, relu, relu6, sigmoid, tanh, elu
    case leakyRelu(Float)
    /// min(max(x, lower), upper) (ONNX's Clip).
    case clip(Float, Float)
    /// x · min(max(x/6 + ½, 0), 1) (MobileNetV3's hard swish).
    case hardSwish
    /// min(max(α·x + β, 0), 1).
    case hardSigmoid(Float, Float)

    @inline(__always)
    func apply(_ x: Float) -> Float {
        switch self {
        case .none: return x
        case .relu: return max(0, x)
        case .relu6: return min(6, max(0, x))
        case .sigmoid: return 1 / (1 + expf(-x))
        case .tanh: return tanhf(x)
        case .elu: return x >= 0 ? x : expf(x) - 1
        case .leakyRelu(let alpha): return x >= 0 ? x : alpha * x
        case .clip(let lower, let upper): return min(upper, max(lower, x))
        case .hardSwish: return x * min(max(x / 6 + 0.5, 0), 1)
        case .hardSigmoid(let alpha, let beta): return min(max(alpha * x + beta, 0), 1)
        }
    }

    /// How the SIMD kernels apply the activation as they store results: a clamp (none, ReLU,
    /// ReLU6, Clip) as its bounds, or hard swish (bounds unused); nil for the others, which
    /// take a pass of their own after the kernel.
    var storeForm: (lower: Float, upper: Float, hardSwish: Bool)? {
        switch self {
        case .none: return (-.infinity, .infinity, false)
        case .relu: return (0, .infinity, false)
        case .relu6: return (0, 6, false)
        case .clip(let lower, let upper): return (lower, upper, false)
        case .hardSwish: return (-.infinity, .infinity, true)
        default: return nil
        }
    }

    func apply(_ values: inout [Float]) {
        if self == .none { return }
        values.withUnsafeMutableBufferPointer { buffer in
            switch self {
            case .relu: for i in buffer.indices { buffer[i] = max(0, buffer[i]) }
            case .relu6: for i in buffer.indices { buffer[i] = min(6, max(0, buffer[i])) }
            case .clip(let lower, let upper): for i in buffer.indices { buffer[i] = min(upper, max(lower, buffer[i])) }
            case .hardSwish: for i in buffer.indices { let x = buffer[i]; buffer[i] = x * min(max(x / 6 + 0.5, 0), 1) }
            case .sigmoid: for i in buffer.indices { buffer[i] = 1 / (1 + expf(-buffer[i])) }
            default: for i in buffer.indices { buffer[i] = apply(buffer[i]) }
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
