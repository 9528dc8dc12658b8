// CSV manifests: ManifestReader.read on a `.csv` file (byte-order mark, CSVTable parsing,
// field counts, required columns, empty values, duplicate ids, path containment and symlink
// checks). Image files are not required to exist (checkFiles: false).
import StratumData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let url = writeScratch("manifest.csv", UnsafeBufferPointer(start: data, count: size))
    _ = try? ManifestReader.read(url, checkFiles: false)
    // The allowed-label check and the error text too.
    do {
        _ = try ManifestReader.read(url, allowedLabels: ["female", "male"], checkFiles: false)
    } catch {
        _ = "\(error)"
    }
    return 0
}
