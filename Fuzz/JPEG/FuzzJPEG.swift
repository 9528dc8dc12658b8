// JPEG decoding: ImageFile.decode (signature dispatch, marker walk for EXIF orientation and
// Adobe APP14, TurboJPEG header and decode, CMYK/YCCK → RGB, orientation).
import StratumImaging

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    _ = try? ImageFile.decode(bytes, source: "fuzz.jpg")
    return 0
}
