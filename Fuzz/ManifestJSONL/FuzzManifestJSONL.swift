// JSON Lines manifests: ManifestReader.read on a `.jsonl` file (per-line JSON objects of
// scalars, header union, then the same validation as CSV manifests).
import StratumData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let url = writeScratch("manifest.jsonl", UnsafeBufferPointer(start: data, count: size))
    do {
        _ = try ManifestReader.read(url, checkFiles: false)
    } catch {
        _ = "\(error)"
    }
    return 0
}
