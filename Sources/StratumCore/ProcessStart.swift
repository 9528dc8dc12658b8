import Foundation

/// When a process started: field 22 of `/proc/PID/stat`, clock ticks since boot. With its pid
/// it names one process for good; a pid alone is handed to another process once pids wrap
/// (at 32,768 on this project's machines).
public enum ProcessStart {
    /// The start of `pid`, or nil when no such process exists (nor, with `alive`, a zombie or
    /// dead one: killed, not yet reaped, it holds nothing) or there is no `/proc`.
    public static func ticks(of pid: Int32, alive: Bool = false) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after the command name (which may hold spaces): state is field 3, start time field 22.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        if alive, let state = fields.first, state == "Z" || state == "X" { return nil }
        return fields.count > 19 ? String(fields[19]) : nil
    }

    /// This process's: "PID-START", or the pid alone without `/proc`.
    public static let identity: String = {
        let pid = getpid()
        return ticks(of: pid).map { "\(pid)-\($0)" } ?? String(pid)
    }()

    /// Whether the process an `identity` names is still running: same pid and start, or the
    /// pid alive when no start was recorded (or none can be read).
    public static func isRunning(_ identity: Substring) -> Bool {
        let parts = identity.split(separator: "-", omittingEmptySubsequences: false)
        guard let pid = Int32(parts[0]), pid > 0, parts.count <= 2 else { return false }
        if pid == getpid() { return parts.count == 1 || identity == self.identity }
        if parts.count == 2, let start = ticks(of: pid, alive: true) { return start == parts[1] }
        return kill(pid, 0) == 0 || errno == EPERM
    }
}
