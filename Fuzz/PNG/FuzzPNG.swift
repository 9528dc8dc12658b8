// PNG decoding: ImageFile.decode (signature dispatch, colour-space chunk stripping, eXIf
// orientation, libpng's simplified reader, RGBA → RGB) and PNGTextChunks.read.
import StratumImaging

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    _ = try? ImageFile.decode(bytes, source: "fuzz.png")
    _ = PNGTextChunks.read(bytes)
    return 0
}
