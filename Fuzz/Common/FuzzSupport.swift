// Shared by every fuzz target (compiled into each binary; see scripts/fuzz.sh).
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// libFuzzer's input as an array.
func fuzzBytes(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
    Array(UnsafeBufferPointer(start: data, count: size))
}

/// libFuzzer's input as text (invalid UTF-8 becomes U+FFFD, as `String(decoding:)` does
/// where Stratum reads files).
func fuzzText(_ data: UnsafePointer<UInt8>, _ size: Int) -> String {
    String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
}

/// A private folder for harnesses whose code under test reads files (in /dev/shm when there
/// is one, so nothing touches the disk); removed when the fuzzer exits normally.
let fuzzScratch: URL = {
    let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    var template = Array("\(base)/stratum-fuzz-XXXXXX".utf8CString)
    guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
        fatalError("fuzz harness: cannot create a scratch folder in \(base)")
    }
    let path = String(cString: made)
    atexit { try? FileManager.default.removeItem(at: fuzzScratch) }
    return URL(fileURLWithPath: path, isDirectory: true)
}()

/// Writes `bytes` to `name` in the scratch folder (replacing it) and returns its URL.
@discardableResult
func writeScratch<Bytes: Collection<UInt8>>(_ name: String, _ bytes: Bytes) -> URL {
    let url = fuzzScratch.appendingPathComponent(name)
    do {
        try Data(bytes).write(to: url)
    } catch {
        fatalError("fuzz harness: cannot write \(url.path): \(error)")
    }
    return url
}

/// Splits `bytes` at every occurrence of `separator`.
func split(_ bytes: [UInt8], separator: [UInt8]) -> [ArraySlice<UInt8>] {
    var parts: [ArraySlice<UInt8>] = []
    var start = 0, index = 0
    while index + separator.count <= bytes.count {
        if bytes[index..<(index + separator.count)].elementsEqual(separator) {
            parts.append(bytes[start..<index])
            index += separator.count
            start = index
        } else {
            index += 1
        }
    }
    parts.append(bytes[start...])
    return parts
}

nonisolated(unsafe) private var modelShardsWritten = 0

/// The TF.js targets' input written as an export folder: model.json, then each shard after
/// "\n--shard--\n" as `shard<k>.bin` (1-based); shards a previous input left are removed.
/// Returns the model.json URL.
func writeModelFolder(_ bytes: [UInt8]) -> URL {
    let parts = split(bytes, separator: Array("\n--shard--\n".utf8))
    let model = writeScratch("model.json", parts[0])
    for (index, shard) in parts.dropFirst().enumerated() { writeScratch("shard\(index + 1).bin", shard) }
    if modelShardsWritten > parts.count - 1 {
        for index in parts.count..<(modelShardsWritten + 1) {
            try? FileManager.default.removeItem(at: fuzzScratch.appendingPathComponent("shard\(index).bin"))
        }
    }
    modelShardsWritten = parts.count - 1
    return model
}
