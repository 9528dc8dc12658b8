import Synchronization

/// Work of this process that runs on the cores beside inference: a streaming run's decoding
/// of the next chunk and its store writes, a plugin process computing a batch. While any is
/// under way, the engine's spinning threads (`SpinningPool`) yield their core every so often
/// so that this work gets it; otherwise they hold it while they spin, whatever else runs on
/// the machine.
public enum SharedCores {
    /// Whether work beside inference is under way now.
    public static var inUse: Bool {
        if #available(macOS 15.0, *) { return SharedCoreCount.users.load(ordering: .relaxed) > 0 }
        return false
    }

    /// Runs `body`, counted as work beside inference while it runs.
    public static func sharing<T>(_ body: () throws -> T) rethrows -> T {
        guard #available(macOS 15.0, *) else { return try body() }
        SharedCoreCount.users.add(1, ordering: .relaxed)
        defer { SharedCoreCount.users.subtract(1, ordering: .relaxed) }
        return try body()
    }
}

@available(macOS 15.0, *)
private enum SharedCoreCount {
    static let users = Atomic<Int>(0)
}
