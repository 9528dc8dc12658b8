/// A constant matrix B [k × n] of a matrix product stored as column panels, for products of a
/// few rows against a large B (a classifier's fully connected layer on a group of images).
///
/// Row-major, each of the SIMD GEMM's column blocks walks B's rows n floats apart; with n a
/// multiple of 1,024 that stride is 4 KiB, every row of a block lands in the same cache sets,
/// and B streams from L3 at a fraction of its bandwidth: MobileNetV3-small's 288 × 1,024
/// classifier layer took ~19 µs per image in groups of 4 against onnxruntime's ~4 µs. Here B
/// is stored once as panels of `width` columns, each [k × width] contiguous (the last one
/// padded with zero columns), and the product runs panel by panel, each panel a small
/// contiguous B for the same GEMM kernel.
public struct PackedColumns: Sendable {
    /// Columns per panel: the AVX-512 GEMM's widest block.
    public static let width = 32
    /// Below this many values in B the row-major product is used as it is.
    public static let minimumCount = 1 << 16

    public let k: Int, n: Int
    let panels: [Float]

    /// Packs `b` ([k, n]).
    public init(_ b: Tensor) {
        precondition(b.rank == 2, "PackedColumns needs a 2-D matrix")
        let (k, n, width) = (b.shape[0], b.shape[1], Self.width)
        (self.k, self.n) = (k, n)
        let count = (n + width - 1) / width
        var panels = [Float](repeating: 0, count: count * k * width)
        b.data.withUnsafeBufferPointer { source in
            panels.withUnsafeMutableBufferPointer { target in
                for panel in 0..<count {
                    let first = panel * width, columns = min(width, n - first)
                    for p in 0..<k {
                        for j in 0..<columns { target[(panel * k + p) * width + j] = source[p * n + first + j] }
                    }
                }
            }
        }
        self.panels = panels
    }
}

extension Elementwise {
    /// `matMul(a, b, bias:, activation:)` for a packed B, on the SIMD GEMM panel by panel
    /// (without the SIMD kernels: the unpacked product). Results equal the row-major
    /// product's: every output is the same sum in the same order.
    public static func matMul(_ a: Tensor, _ b: PackedColumns, bias: [Float]? = nil, activation: Activation = .none,
                              simd: Bool = SIMDSupport.isAvailable) throws -> Tensor {
        guard a.rank == 2, a.shape[1] == b.k else { throw EngineError.shapeMismatch("matmul of \(a.shape) by a packed [\(b.k), \(b.n)]") }
        if let bias, bias.count != b.n { throw EngineError.shapeMismatch("matmul bias has \(bias.count) values for \(b.n) columns") }
        let (m, k, n, width) = (a.shape[0], b.k, b.n, PackedColumns.width)
        guard simd, k > 0, let form = activation.storeForm else {
            return try matMul(a, unpacked(b), bias: bias, activation: activation, simd: simd)
        }
        guard Tensor.checkedCount([m, n]) != nil else { throw EngineError.shapeMismatch("matmul output [\(m), \(n)] exceeds \(Tensor.maxElements) values") }
        FlopCounter.shared.add(try ComputeLimit.check(m, n, k, op: "matmul"))
        var out = [Float](repeating: 0, count: m * n)
        var panelOut = [Float](repeating: 0, count: m * width)
        var panelBias = [Float](repeating: 0, count: width)
        a.data.withUnsafeBufferPointer { x in
            b.panels.withUnsafeBufferPointer { panels in
                out.withUnsafeMutableBufferPointer { z in
                    panelOut.withUnsafeMutableBufferPointer { t in
                        panelBias.withUnsafeMutableBufferPointer { pb in
                            var first = 0
                            while first < n {
                                let columns = min(width, n - first)
                                if let bias { for j in 0..<columns { pb[j] = bias[first + j] } }
                                SIMDSupport.gemmBiasClamp(m: m, n: width, k: k, a: x.baseAddress!, lda: k,
                                                          b: panels.baseAddress! + (first / width) * k * width,
                                                          bias: bias == nil ? nil : UnsafePointer(pb.baseAddress!), residual: nil, c: t.baseAddress!,
                                                          lower: form.lower, upper: form.upper, hardSwish: form.hardSwish)
                                for i in 0..<m {
                                    (z.baseAddress! + i * n + first).update(from: t.baseAddress! + i * width, count: columns)
                                }
                                first += width
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [m, n], data: out)
    }

    /// B row-major again.
    static func unpacked(_ b: PackedColumns) -> Tensor {
        let width = PackedColumns.width
        var data = [Float](repeating: 0, count: b.k * b.n)
        for p in 0..<b.k {
            for j in 0..<b.n { data[p * b.n + j] = b.panels[((j / width) * b.k + p) * width + j % width] }
        }
        return Tensor(shape: [b.k, b.n], data: data)
    }
}
