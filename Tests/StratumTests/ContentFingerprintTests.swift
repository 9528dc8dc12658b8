import Foundation
import StratumCore
import Testing

/// `ContentFingerprint` values are stored with predictions and compared by later versions of
/// Stratum, so they are pinned here; and every change of one bit or of the length shows.
@Suite struct ContentFingerprintTests {
    static let pinned: [(bytes: [UInt8], fingerprint: UInt64)] = [
        ([], 0x08b0_7cb9_77a8_6e31),
        (Array("a".utf8), 0x1ce1_2705_9703_d1e0),
        (Array("stratum".utf8), 0x7b2a_85d3_a0f5_d7c3),
        (Array("stratum!".utf8), 0x6ebe_a0b0_295d_7714),
        ((0..<31).map { UInt8($0) }, 0x0ccf_97c8_9d68_e639),
        ((0..<32).map { UInt8($0) }, 0x61b0_801c_02f6_59f8),
        ((0..<100).map { UInt8($0 * 7 & 255) }, 0x0ab2_33c5_f1e4_ae86),
        ([UInt8](repeating: 0, count: 4096), 0xb2fd_531b_c79a_3dff),
    ]

    @Test(arguments: pinned)
    func pinnedValues(_ bytes: [UInt8], _ expected: UInt64) {
        #expect(ContentFingerprint.of(bytes) == expected)
    }

    /// Each single-bit flip of a 100-byte input (every lane, the 8-byte words after the lanes
    /// and the last bytes) gives its own fingerprint, as do zero-filled inputs of each length.
    /// 0 stands for "none stored" (the changed-file check is then skipped), so no file has it:
    /// this 88-byte PNG, made to hash to 0, gets 1.
    @Test func noFileFingerprintsToZero() throws {
        let bytes = try [UInt8](Data(contentsOf: TestSupport.fixtures.appendingPathComponent("fingerprint-zero.png")))
        #expect(bytes.count == 88 && bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        #expect(ContentFingerprint.of(bytes) == 1)
    }

    @Test func everyBitAndEveryLengthCounts() {
        let base = (0..<100).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        var seen: Set<UInt64> = [ContentFingerprint.of(base)]
        for bit in 0..<(base.count * 8) {
            var flipped = base
            flipped[bit / 8] ^= 1 << (bit % 8)
            seen.insert(ContentFingerprint.of(flipped))
        }
        #expect(seen.count == 1 + base.count * 8)
        let lengths = Set((0...80).map { ContentFingerprint.of([UInt8](repeating: 0, count: $0)) })
        #expect(lengths.count == 81)
    }

    /// Unaligned input (a slice of a larger buffer) reads the same words.
    @Test func alignmentDoesNotMatter() {
        let bytes = (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        let shifted = [0] + bytes
        let fromSlice = shifted.withUnsafeBytes { ContentFingerprint.of(UnsafeRawBufferPointer(rebasing: $0[1...])) }
        #expect(fromSlice == ContentFingerprint.of(bytes))
    }
}
