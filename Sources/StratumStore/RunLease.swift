import Foundation
import StratumCore

/// Who holds a running run, and how others tell whether it is still alive.
///
/// A pid alone says nothing across machines or containers (another PID namespace reuses the
/// same numbers). So a lease records the holder's host name, its *process space* (boot id and
/// PID-namespace inode: two processes with the same space see each other's pids), its pid and
/// the process's start time (clock ticks since boot, field 22 of `/proc/<pid>/stat`, which
/// tells a reused pid from the original). The holder renews `heartbeatAt` every
/// `heartbeatInterval` seconds while it works.
///
/// A `running` run is judged dead when its holder shares our process space and that pid no
/// longer exists or started at another time; or, from any other space, when its heartbeat is
/// older than `expiry` seconds.
public struct RunLease: Codable, Sendable, Equatable {
    public var host: String
    public var processSpace: String
    public var pid: Int32
    public var processStart: String

    public static let heartbeatInterval: TimeInterval = 10
    public static let expiry: TimeInterval = 90

    public init(host: String, processSpace: String, pid: Int32, processStart: String) {
        self.host = host
        self.processSpace = processSpace
        self.pid = pid
        self.processStart = processStart
    }

    /// The lease of this process.
    public static var current: RunLease {
        let pid = getpid()
        return RunLease(host: ProcessInfo.processInfo.hostName, processSpace: processSpace, pid: pid, processStart: ProcessStart.ticks(of: pid) ?? "")
    }

    /// Boot id and PID-namespace inode of this process.
    static var processSpace: String {
        let boot = (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown-boot"
        var buffer = [CChar](repeating: 0, count: 256)
        let length = readlink("/proc/self/ns/pid", &buffer, buffer.count - 1)
        let namespace = length > 0 ? String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "unknown-ns"
        return "\(boot)/\(namespace)"
    }

    /// Whether the holder of a lease last renewed at `heartbeat` is still alive, seen from `observer`.
    public func isAlive(heartbeat: Date?, now: Date = Date(), observer: RunLease = .current) -> Bool {
        if processSpace == observer.processSpace {
            return ProcessStart.ticks(of: pid, alive: true).map { $0 == processStart } ?? false
        }
        guard let heartbeat else { return false }
        return now.timeIntervalSince(heartbeat) < Self.expiry
    }
}
