import StratumStore

/// A set of sample ids as a bitset over the range they span: a run's ids are consecutive
/// (the store numbers a dataset's rows as it inserts them), so each id costs a bit, where a
/// `Set<SampleID>` of a million costs ~16 MB per variant. Ids spread far apart (more than
/// 128 bits of range per id) make it a plain `Set`.
struct SampleIDSet: Sendable {
    /// The word index (id >> 6) of `words[0]`.
    private var firstWord = 0
    private var words: [UInt64] = []
    private var sparse: Set<SampleID>?
    private(set) var count = 0

    init() {}

    init(_ ids: some Sequence<SampleID>) {
        formUnion(ids)
    }

    func contains(_ id: SampleID) -> Bool {
        if let sparse { return sparse.contains(id) }
        let word = Int(id.rawValue >> 6) - firstWord
        return words.indices.contains(word) && words[word] & (1 << UInt64(id.rawValue & 63)) != 0
    }

    mutating func insert(_ id: SampleID) {
        if sparse != nil {
            if sparse!.insert(id).inserted { count += 1 }
            return
        }
        let wordOfID = Int(id.rawValue >> 6)
        if words.isEmpty {
            firstWord = wordOfID
            words = [0]
        }
        let low = min(firstWord, wordOfID), high = max(firstWord + words.count - 1, wordOfID)
        if high - low + 1 > max(1024, 2 * (count + 1)) {
            var set = Set<SampleID>(minimumCapacity: count + 1)
            for (offset, word) in words.enumerated() where word != 0 {
                for bit in 0..<64 where word & (1 << UInt64(bit)) != 0 {
                    set.insert(SampleID(rawValue: Int64(firstWord + offset) << 6 | Int64(bit)))
                }
            }
            sparse = set
            words = []
            insert(id)
            return
        }
        if low < firstWord {
            words.insert(contentsOf: repeatElement(0, count: firstWord - low), at: 0)
            firstWord = low
        }
        if high >= firstWord + words.count { words.append(contentsOf: repeatElement(0, count: high - firstWord - words.count + 1)) }
        let index = wordOfID - firstWord, mask: UInt64 = 1 << UInt64(id.rawValue & 63)
        if words[index] & mask == 0 {
            words[index] |= mask
            count += 1
        }
    }

    mutating func formUnion(_ ids: some Sequence<SampleID>) {
        for id in ids { insert(id) }
    }
}
