extension RandomAccessCollection where Element: Comparable, Index == Int {
    /// The index of `value` in this collection, which must be in ascending order (a binary
    /// search; the first of equal elements), or nil when it is not there. Inlinable, so that
    /// callers in other modules get it specialised for their element type (unspecialised, a
    /// comparison was a call through a witness table: 9% of `report` on 200,000 samples).
    @inlinable public func sortedIndex(of value: Element) -> Int? {
        var low = startIndex, high = endIndex
        while low < high {
            let middle = low + (high - low) / 2
            if self[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low < endIndex && self[low] == value ? low : nil
    }
}
