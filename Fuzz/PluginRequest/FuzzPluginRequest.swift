// Plugin frames, host → plugin: PluginServer.serve (the plugin side of
// docs/plugin-protocol.md, as `stratum serve` runs it) reading the fuzz input as its standard
// input — length prefixes, PluginFrame.decode, hello/protocol check, predict frames (shape vs
// float32 body, ImageBatch) and shutdown — answering to /dev/null with a stub model.
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import StratumCore
import StratumModelProcess

/// A model that answers uniform probabilities after reading every value.
struct StubClassifier: ImageClassifier {
    let descriptor = ModelDescriptor(name: "stub", kind: "fuzz", labels: ["a", "b"],
                                     input: InputSpec(width: 4, height: 4, channels: 3), contentHash: "")
    func predict(_ batch: ImageBatch) throws -> [[Float]] {
        (0..<batch.count).map { index in
            let sum = batch.image(index).reduce(0, +)
            return sum.isNaN ? [1, 0] : [0.5, 0.5]
        }
    }
}

let output = FileHandle(forWritingAtPath: "/dev/null")!

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let url = writeScratch("request.bin", UnsafeBufferPointer(start: data, count: size))
    let fd = open(url.path, O_RDONLY)
    guard fd >= 0 else { fatalError("fuzz harness: cannot open \(url.path)") }
    let input = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    do {
        try PluginServer.serve(StubClassifier(), input: input, output: output)
    } catch {
        _ = "\(error)"
    }
    return 0
}
