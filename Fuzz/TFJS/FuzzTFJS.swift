// TensorFlow.js exports: TFJSModel(contentsOf:) on a folder holding model.json and its weight
// shards (JSON parsing, weightsManifest groups and dtypes/quantization, shard concatenation
// and size check, weight decoding, then graph-model or layers-model construction: node and
// layer tables, weight lookups, shape checks, fusion and pad folding).
//
// Input: model.json, then each shard, separated by "\n--shard--\n"; shard k (1-based) is
// written as `shard<k>.bin`, so the seeds' manifests name their shards that way.
import Foundation
import StratumModelTFJS

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let model = writeModelFolder(fuzzBytes(data, size))
    do {
        let loaded = try TFJSModel(contentsOf: model)
        _ = (loaded.inputShape, loaded.inputNames, loaded.format)
    } catch {
        _ = "\(error)"
    }
    return 0
}
