// TensorFlow.js exports, loaded and then run: the `tfjs` target's input and loading
// (TFJSModel(contentsOf:) on model.json + `shard<k>.bin`, separated by "\n--shard--\n"), then,
// when the model loads and its input shape is small (free dimensions taken as 1, at most
// 4,096 values), one inference on a constant input: every op's shape checks and kernels
// against whatever the model file declares.
import Foundation
import StratumEngine
import StratumModelTFJS

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // A model may ask for any amount of arithmetic; past 100 MFLOP in one op it is an error
    // here, so that an expensive (not a looping) model is not reported as a hang.
    ComputeLimit.maximumFlopsPerOp = 100_000_000
    // Likewise memory: at most 64 MiB per tensor, so that two live tensors stay far below the
    // fuzzer's 2 GiB RSS limit (the engine's default is 1 GiB per tensor).
    Tensor.maxElements = 1 << 24
    let modelFile = writeModelFolder(fuzzBytes(data, size))
    guard let model = try? TFJSModel(contentsOf: modelFile) else { return 0 }
    let shape = model.inputShape.map { $0 <= 0 ? 1 : $0 }
    guard !shape.isEmpty, shape.count <= 6, shape.allSatisfy({ $0 <= 4096 }),
          shape.reduce(1, { $0.multipliedReportingOverflow(by: $1).partialValue }) <= 4096 else { return 0 }
    let count = shape.reduce(1, *)
    let input = Tensor(shape: shape, data: (0..<count).map { Float($0 % 7) / 7 })
    do {
        _ = try model.run(input)
    } catch {
        _ = "\(error)"
    }
    return 0
}
