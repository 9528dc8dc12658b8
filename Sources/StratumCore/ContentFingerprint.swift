/// A 64-bit fingerprint of a file's bytes: whether an image changed since a run predicted it
/// (`run --resume` compares the fingerprint stored with each predicted sample against the file
/// as it is now).
///
/// Not cryptographic, and not meant to be: it tells accidental changes apart (an image
/// re-encoded, regenerated or replaced), at memory speed. A SHA-256 of every image would cost
/// more than decoding some of them. Stored values outlive versions of Stratum, so the function
/// is fixed: `ContentFingerprintTests` pins its values.
///
/// Four independent lanes take 8-byte little-endian words in turn (a multiply, a rotation and
/// a second multiply each), so the multiplies of one 32-byte block overlap; the lanes are then
/// folded together with the length and the last bytes, and mixed so that every input bit
/// reaches every output bit.
public enum ContentFingerprint {
    private static let multiplier1: UInt64 = 0x9E37_79B9_7F4A_7C15
    private static let multiplier2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private static let multiplier3: UInt64 = 0x1656_67B1_9E37_79F9

    /// The fingerprint of `bytes`.
    public static func of(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let count = bytes.count
        var lanes: (UInt64, UInt64, UInt64, UInt64) = (multiplier1, multiplier2, multiplier3, ~multiplier1)
        @inline(__always) func step(_ lane: UInt64, _ word: UInt64) -> UInt64 {
            ((lane ^ (word &* multiplier2)).rotated(by: 29)) &* multiplier1
        }
        @inline(__always) func word(_ offset: Int) -> UInt64 {
            UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        }
        var offset = 0
        while offset + 32 <= count {
            lanes.0 = step(lanes.0, word(offset))
            lanes.1 = step(lanes.1, word(offset + 8))
            lanes.2 = step(lanes.2, word(offset + 16))
            lanes.3 = step(lanes.3, word(offset + 24))
            offset += 32
        }
        var hash = lanes.0.rotated(by: 1) &+ lanes.1.rotated(by: 7) &+ lanes.2.rotated(by: 12) &+ lanes.3.rotated(by: 18)
        hash = step(hash, UInt64(count))
        while offset + 8 <= count {
            hash = step(hash, word(offset))
            offset += 8
        }
        if offset < count {
            // The last 1–7 bytes, little-endian, with a 1 byte above them (so trailing zeros count).
            var last: UInt64 = 1
            for index in (offset..<count).reversed() { last = last << 8 | UInt64(bytes[index]) }
            hash = step(hash, last)
        }
        // 0 means "no fingerprint stored" to the stores and the reports, which then skip the
        // changed-file check: a file whose fingerprint is 0 (an 88-byte PNG made to have one,
        // in a review of hostile input) is given 1 instead, so it is checked like any other.
        let fingerprint = mixed(hash)
        return fingerprint == 0 ? 1 : fingerprint
    }

    /// The fingerprint of `bytes`.
    public static func of(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { of($0) }
    }

    /// Spreads every bit over the whole word (a xor-shift-multiply finaliser).
    private static func mixed(_ value: UInt64) -> UInt64 {
        var x = value
        x ^= x >> 31
        x &*= multiplier2
        x ^= x >> 29
        x &*= multiplier3
        x ^= x >> 32
        return x
    }
}

extension UInt64 {
    @inline(__always) fileprivate func rotated(by bits: UInt64) -> UInt64 { self << bits | self >> (64 - bits) }
}
