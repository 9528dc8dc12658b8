// Slice expressions: SliceExpression(parsing:), then its attributes, canonical text (parsed
// again) and evaluation against attribute values of several kinds.
import StratumData

let sampleValues = ["12", "abc", "", "-0", "1e308", "nan", "0x1p3", "short", "true"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let expression = try? SliceExpression(parsing: fuzzText(data, size)) else { return 0 }
    let names = expression.attributes.sorted()
    _ = try? SliceExpression(parsing: expression.description)
    for shift in 0..<3 {
        var attributes: [String: String] = [:]
        for (index, name) in names.enumerated() { attributes[name] = sampleValues[(index + shift * 4) % sampleValues.count] }
        _ = try? expression.evaluate(attributes)
    }
    _ = try? expression.evaluate([:])
    return 0
}
