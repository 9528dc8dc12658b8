import Foundation
import StratumCore
import StratumEngine

/// Reads the weights of a TensorFlow.js export.
///
/// `weightsManifest` is a list of groups, each with shard `paths` and `weights` entries
/// (`name`, `shape`, `dtype`, optional `quantization`). The bytes of all shards of all groups,
/// concatenated in manifest order, hold the weights back to back in manifest order, so one
/// tensor may straddle two shards. Decoding follows TensorFlow.js: float32 and int32 as
/// stored; `quantization.dtype` uint8/uint16 → q·scale + min; float16 → IEEE 754 half.
struct WeightsManifest {
    struct Entry {
        var name: String
        var shape: [Int]
        var dtype: String
        var quantization: Quantization?
        var byteCount: Int { shape.reduce(1, *) * (quantization?.bytesPerValue ?? 4) }
    }

    struct Quantization {
        var dtype: String
        var scale: Float
        var min: Float
        var bytesPerValue: Int { dtype == "uint8" ? 1 : 2 }
    }

    /// Decoded weights by name (int32 weights are converted to float).
    static func load(_ manifest: [[String: Any]], directory: URL, file: String) throws -> [String: Tensor] {
        var entries: [Entry] = []
        var bytes = Data()
        for (groupIndex, group) in manifest.enumerated() {
            let groupBytesBefore = bytes.count, groupEntriesBefore = entries.count
            guard let paths = group["paths"] as? [String], let weights = group["weights"] as? [[String: Any]] else {
                throw TFJSError(file: file, message: "weightsManifest[\(groupIndex)] needs 'paths' and 'weights'")
            }
            var shards: [(path: String, url: URL)] = []
            for path in paths {
                switch ContainedFile.resolve(path, in: directory) {
                case .success(let resolved): shards.append((path, resolved))
                case .failure(let refusal): throw TFJSError(file: file, message: "weight shard \(refusal.message)")
                }
            }
            for weight in weights {
                guard let name = weight["name"] as? String, let shape = weight["shape"] as? [Int], let dtype = weight["dtype"] as? String else {
                    throw TFJSError(file: file, message: "a weights entry of group \(groupIndex) lacks name, shape or dtype")
                }
                // Bounded before anything is sized from it, as every tensor is (an empty weight's
                // other dimensions too: [0, 2^32, 2^32]).
                guard Tensor.checkedCount(shape) != nil else {
                    throw TFJSError(file: file, node: name, message: "weight shape \(shape) is negative or over \(Tensor.maxElements) values")
                }
                var quantization: Quantization?
                if let q = weight["quantization"] as? [String: Any], let qtype = q["dtype"] as? String {
                    guard ["uint8", "uint16", "float16"].contains(qtype) else {
                        throw TFJSError(file: file, node: name, message: "unsupported quantization dtype '\(qtype)' (supported: uint8, uint16, float16)")
                    }
                    // uint8/uint16 values mean nothing without their scale and minimum (TF.js refuses them too).
                    let scale = (q["scale"] as? NSNumber)?.floatValue, minimum = (q["min"] as? NSNumber)?.floatValue
                    guard qtype == "float16" || (scale?.isFinite == true && minimum?.isFinite == true) else {
                        throw TFJSError(file: file, node: name, message: "\(qtype) quantization needs a finite scale and min")
                    }
                    quantization = Quantization(dtype: qtype, scale: scale ?? 1, min: minimum ?? 0)
                }
                guard quantization != nil || dtype == "float32" || dtype == "int32" else {
                    throw TFJSError(file: file, node: name, message: "unsupported dtype '\(dtype)' (supported: float32, int32)")
                }
                entries.append(Entry(name: name, shape: shape, dtype: dtype, quantization: quantization))
            }
            // Each group's shards hold exactly its weights: with only the total checked, bytes
            // moved from one group to another shifted every weight between them. Their sizes are
            // compared before they are read (a 50 GB shard for one weight was read whole first).
            let groupNeeded = entries[groupEntriesBefore...].reduce(0) { $0 + $1.byteCount }
            var groupHeld = 0
            for shard in shards {
                guard let size = (try? FileManager.default.attributesOfItem(atPath: shard.url.path))?[.size] as? Int else {
                    throw TFJSError(file: file, message: "weight shard '\(shard.path)' is missing or unreadable (expected at \(shard.url.path))")
                }
                groupHeld += size
            }
            if groupHeld == groupNeeded {
                for shard in shards {
                    guard let data = try? Data(contentsOf: shard.url) else {
                        throw TFJSError(file: file, message: "weight shard '\(shard.path)' is missing or unreadable (expected at \(shard.url.path))")
                    }
                    bytes.append(data)
                }
                groupHeld = bytes.count - groupBytesBefore
            }
            guard groupHeld == groupNeeded else {
                throw TFJSError(file: file, message: "weightsManifest[\(groupIndex)]'s shards (\(paths.joined(separator: ", "))) hold \(groupHeld) bytes but its weights need \(groupNeeded) (truncated or mismatched shard?)")
            }
        }
        let needed = entries.reduce(0) { $0 + $1.byteCount }
        guard bytes.count == needed else {
            throw TFJSError(file: file, message: "the weight shards hold \(bytes.count) bytes but the manifest describes \(needed) (truncated or mismatched shard?)")
        }
        var result: [String: Tensor] = [:]
        var offset = 0
        let raw = [UInt8](bytes)
        for entry in entries {
            let count = entry.shape.reduce(1, *)
            let slice = raw[offset..<(offset + entry.byteCount)]
            result[entry.name] = Tensor(shape: entry.shape, data: decode(slice, count: count, entry: entry))
            offset += entry.byteCount
        }
        return result
    }

    static func decode(_ bytes: ArraySlice<UInt8>, count: Int, entry: Entry) -> [Float] {
        let base = bytes.startIndex
        func u16(_ i: Int) -> UInt16 { UInt16(bytes[base + 2 * i]) | UInt16(bytes[base + 2 * i + 1]) << 8 }
        func u32(_ i: Int) -> UInt32 {
            UInt32(bytes[base + 4 * i]) | UInt32(bytes[base + 4 * i + 1]) << 8 | UInt32(bytes[base + 4 * i + 2]) << 16 | UInt32(bytes[base + 4 * i + 3]) << 24
        }
        if let q = entry.quantization {
            switch q.dtype {
            case "uint8": return (0..<count).map { Float(bytes[base + $0]) * q.scale + q.min }
            case "uint16": return (0..<count).map { Float(u16($0)) * q.scale + q.min }
            default: return (0..<count).map { Float(Float16Bits(u16($0))) }
            }
        }
        if entry.dtype == "int32" { return (0..<count).map { Float(Int32(bitPattern: u32($0))) } }
        return (0..<count).map { Float(bitPattern: u32($0)) }
    }
}

/// IEEE 754 binary16 → Float, written out so it needs no Float16 support from the platform.
func Float16Bits(_ bits: UInt16) -> Float {
    let sign: UInt32 = UInt32(bits >> 15) << 31
    let exponent = Int((bits >> 10) & 0x1F)
    let mantissa = UInt32(bits & 0x3FF)
    if exponent == 0 {
        if mantissa == 0 { return Float(bitPattern: sign) }
        let value = Float(mantissa) / 1024 / 16384  // subnormal: m · 2^−24
        return sign != 0 ? -value : value
    }
    if exponent == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
    return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
}
