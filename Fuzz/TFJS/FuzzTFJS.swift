// TensorFlow.js exports: TFJSModel(contentsOf:) on a folder holding model.json and its weight
// shards (JSON parsing, weightsManifest groups and dtypes/quantization, shard concatenation
// and size check, weight decoding, then graph-model or layers-model construction: node and
// layer tables, weight lookups, shape checks, fusion and pad folding).
//
// Input: model.json, then each shard, separated by "\n--shard--\n"; shard k (1-based) is
// written as `shard<k>.bin`, so the seeds' manifests name their shards that way.
import Foundation
import StratumModelTFJS

let separator = Array("\n--shard--\n".utf8)
nonisolated(unsafe) var shardsWritten = 0

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let parts = split(fuzzBytes(data, size), separator: separator)
    let model = writeScratch("model.json", parts[0])
    for (index, shard) in parts.dropFirst().enumerated() { writeScratch("shard\(index + 1).bin", shard) }
    // Shards of the previous input that this one does not have.
    if shardsWritten > parts.count - 1 {
        for index in parts.count..<(shardsWritten + 1) {
            try? FileManager.default.removeItem(at: fuzzScratch.appendingPathComponent("shard\(index).bin"))
        }
    }
    shardsWritten = parts.count - 1
    do {
        let loaded = try TFJSModel(contentsOf: model)
        _ = (loaded.inputShape, loaded.inputNames, loaded.format)
    } catch {
        _ = "\(error)"
    }
    return 0
}
