import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The one way Stratum starts a program (plugins, gnuplot): a child in its own process group,
/// with a clean signal mask and default dispositions (whatever the spawning thread blocks),
/// piped stdin/stdout/stderr, and deadlines on every read, write and wait. A child that exits
/// early makes writes fail with an error, never a SIGPIPE death (SIGPIPE is ignored here).
/// Owns the child: `terminate` (and deinit) stops the whole group and reaps it, so no stray
/// process is left.
public final class ChildProcess {
    public let pid: pid_t
    /// How messages name the program ("the plugin", "gnuplot").
    private let name: String
    private let input: Int32
    private let output: Int32
    private let stderrTail: StderrTail
    private var reaped = false
    private var inputClosed = false
    public private(set) var exitStatus: Int32?

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    /// glibc's `posix_spawn_file_actions_addclosefrom_np`, when the C library has it.
    private static let closeFrom: CloseFrom? = {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: CloseFrom.self)
    }()

    /// Starts `command` (argv; the first element found on PATH if not a path) in `directory`.
    public init(command: [String], directory: URL, environment: [String: String] = [:], name: String = "the program") throws {
        self.name = name
        guard !command.isEmpty else { throw ChildProcess.Failure("empty command") }
        signal(SIGPIPE, SIG_IGN)
        // `go`: the child waits on it before running the command, until this process has
        // registered its group (`LiveGroups`); a signal that killed `stratum` between the spawn
        // and the registration left the command running under init (seen under load in CI).
        var stdinPipe: [Int32] = [0, 0], stdoutPipe: [Int32] = [0, 0], stderrPipe: [Int32] = [0, 0], goPipe: [Int32] = [0, 0]
        guard pipe(&stdinPipe) == 0, pipe(&stdoutPipe) == 0, pipe(&stderrPipe) == 0, pipe(&goPipe) == 0 else {
            throw ChildProcess.Failure("cannot create pipes: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
        for fd in stdinPipe + stdoutPipe + stderrPipe { posix_spawn_file_actions_addclose(&actions, fd) }
        // The read end of `go` becomes descriptor 3 in the child; its write end stays here.
        posix_spawn_file_actions_addclose(&actions, goPipe[1])
        if goPipe[0] != 3 {
            posix_spawn_file_actions_adddup2(&actions, goPipe[0], 3)
            posix_spawn_file_actions_addclose(&actions, goPipe[0])
        }
        // Nothing else of this process reaches the child: not the store's files, not a file
        // being written (an inherited write descriptor keeps a script "Text file busy"), not
        // other children's pipes (glibc 2.34+; looked up at run time, as Swift's Glibc module
        // does not export it).
        if let closeFrom = Self.closeFrom { _ = closeFrom(&actions, 4) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)

        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        // The working directory is set by a tiny sh wrapper: Swift's Glibc module does not
        // export posix_spawn_file_actions_addchdir_np. `exec` replaces the shell, so the pid is
        // the plugin's. It first waits for `go` on descriptor 3 (end of file, this process gone
        // before registering it: it exits without running the command).
        let wrapped = ["/bin/sh", "-c", "IFS= read -r go <&3 || exit 1; exec 3<&-; cd \"$0\" && exec \"$@\"", directory.path] + command
        let argv = wrapped.map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, "/bin/sh", &actions, &attributes, argv, envp)
        close(stdinPipe[0]); close(stdoutPipe[1]); close(stderrPipe[1]); close(goPipe[0])
        guard status == 0 else {
            close(stdinPipe[1]); close(stdoutPipe[0]); close(stderrPipe[0]); close(goPipe[1])
            throw ChildProcess.Failure("cannot start '\(command.joined(separator: " "))' in \(directory.path): \(String(cString: strerror(status)))")
        }
        pid = child
        input = stdinPipe[1]
        output = stdoutPipe[0]
        // 1 MiB pipes (Linux F_SETPIPE_SZ = 1031) let a whole batch through without ping-pong.
        _ = fcntl(input, 1031, 1 << 20)
        _ = fcntl(output, 1031, 1 << 20)
        _ = fcntl(input, F_SETFL, fcntl(input, F_GETFL) | O_NONBLOCK)
        _ = fcntl(input, F_SETFD, FD_CLOEXEC)
        _ = fcntl(output, F_SETFD, FD_CLOEXEC)
        _ = fcntl(stderrPipe[0], F_SETFD, FD_CLOEXEC)
        stderrTail = StderrTail(fd: stderrPipe[0])
        LiveGroups.add(child)
        _ = "go\n".withCString { Glibc.write(goPipe[1], $0, 3) }
        close(goPipe[1])
    }

    deinit {
        terminate(grace: 0)
        closeInput()
        close(output)
    }

    /// The last 8 KiB the plugin wrote to stderr.
    public var stderr: String { stderrTail.text }

    /// Closes the plugin's standard input (after `shutdown`, so a plugin reading to the end exits).
    public func closeInput() {
        guard !inputClosed else { return }
        inputClosed = true
        close(input)
    }

    /// Writes all of `bytes` before `deadline`.
    public func write(_ bytes: [UInt8], deadline: Date) throws {
        try bytes.withUnsafeBytes { try write($0, deadline: deadline) }
    }

    /// Writes all of `buffer` before `deadline` (no intermediate copy).
    public func write(_ buffer: UnsafeRawBufferPointer, deadline: Date) throws {
        guard let base = buffer.baseAddress else { return }
        var offset = 0
        while offset < buffer.count {
            try wait(for: input, events: Int16(POLLOUT), deadline: deadline, doing: "waiting to send")
            let written = Glibc.write(input, base + offset, buffer.count - offset)
            if written < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                throw ChildProcess.Failure(errno == EPIPE ? "\(name) stopped reading its input (it has probably exited\(exitDescription))" : "write failed: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    /// Reads exactly `count` bytes before `deadline`. Memory grows with the bytes that arrive
    /// (a peer declaring a large frame and sending nothing costs nothing).
    public func read(_ count: Int, deadline: Date) throws -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(min(count, 1 << 20))
        var chunk = [UInt8](repeating: 0, count: min(count, 1 << 20))
        while buffer.count < count {
            try wait(for: output, events: Int16(POLLIN), deadline: deadline, doing: "waiting for an answer")
            let wanted = min(chunk.count, count - buffer.count)
            let n = chunk.withUnsafeMutableBytes { raw in Glibc.read(output, raw.baseAddress, wanted) }
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                throw ChildProcess.Failure("read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 {
                throw ChildProcess.Failure("\(name) closed its standard output\(buffer.isEmpty ? "" : " in the middle of a frame") (it has probably exited\(exitDescription))")
            }
            buffer += chunk[0..<n]
        }
        return buffer
    }

    /// Reads standard output until the child closes it (at most `limit` bytes) or `deadline`.
    public func readToEnd(limit: Int = 1 << 20, deadline: Date) throws -> [UInt8] {
        var result: [UInt8] = []
        while result.count < limit {
            let chunk = try readAvailable(limit: min(4096, limit - result.count), deadline: deadline)
            if chunk.isEmpty { break }
            result += chunk
        }
        return result
    }

    /// Reads what standard output has now, at most `limit` bytes, waiting for at least one byte
    /// until `deadline`; empty when the child has closed it (end of file).
    public func readAvailable(limit: Int = 1 << 16, deadline: Date) throws -> [UInt8] {
        var chunk = [UInt8](repeating: 0, count: max(1, limit))
        while true {
            try wait(for: output, events: Int16(POLLIN), deadline: deadline, doing: "reading its output", allowExit: true)
            // The child has exited and nothing is left to read: the end, even if a process it
            // started still holds the pipe open (a read would block).
            var now = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            if poll(&now, 1, 0) == 0 && exitStatus != nil { return [] }
            let n = chunk.withUnsafeMutableBytes { Glibc.read(output, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                throw ChildProcess.Failure("read failed: \(String(cString: strerror(errno)))")
            }
            chunk.removeSubrange(n...)
            return chunk
        }
    }

    /// Polls `fd` until ready or `deadline`. Between polls, a plugin that has exited is noticed
    /// at once — even when a process it started still holds the pipe open, so no EOF comes.
    private func wait(for fd: Int32, events: Int16, deadline: Date, doing: String, allowExit: Bool = false) throws {
        while true {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { throw ChildProcess.Failure("timed out \(doing)", timedOut: true) }
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&descriptor, 1, Int32(min(remaining, 0.25) * 1000) + 1)
            if ready > 0 { return }
            if ready < 0 && errno != EINTR { throw ChildProcess.Failure("poll failed: \(String(cString: strerror(errno)))") }
            reapIfExited()
            if let status = exitStatus {
                // Whatever it wrote before exiting is still readable.
                var last = pollfd(fd: fd, events: events, revents: 0)
                if poll(&last, 1, 0) > 0 || allowExit { return }
                let how = status >= 128 ? "was killed by signal \(status - 128)" : "exited with status \(status)"
                throw ChildProcess.Failure("\(name) \(how) while Stratum was \(doing)")
            }
        }
    }

    private var exitDescription: String {
        // Give a dying child a moment so its status can be reported.
        for _ in 0..<20 where exitStatus == nil {
            reapIfExited()
            if exitStatus == nil { usleep(10_000) }
        }
        guard let status = exitStatus else { return "" }
        return status >= 128 ? ": killed by signal \(status - 128)" : ": exit status \(status)"
    }

    /// Waits until the child exits or `deadline` passes; returns its status (128 + signal when
    /// killed), or nil at the deadline (the child is left running: call `terminate`).
    public func waitForExit(deadline: Date) -> Int32? {
        while exitStatus == nil && Date() < deadline {
            reapIfExited()
            if exitStatus == nil { usleep(2_000) }
        }
        if exitStatus != nil { stderrTail.finish() }
        return exitStatus
    }

    private func reapIfExited() {
        guard !reaped else { return }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            let signalled = status & 0x7F
            exitStatus = signalled == 0 ? (status >> 8) & 0xFF : 128 + signalled
            reapedGroupLeader()
        }
    }

    /// The child was just reaped: what it started is stopped with it (a plugin that exits
    /// mid-batch or at shutdown left its workers running), at once, before its pid, still the
    /// group's id, could be handed to anyone else.
    private func reapedGroupLeader() {
        reaped = true
        kill(-pid, SIGKILL)
        LiveGroups.remove(pid)
    }

    /// Waits up to `grace` seconds for the child to exit, then SIGTERMs and finally SIGKILLs its
    /// process group; always reaps it, so no zombie is left.
    public func terminate(grace: Double) {
        let deadline = Date().addingTimeInterval(grace)
        while !reaped && Date() < deadline { reapIfExited(); if !reaped { usleep(10_000) } }
        if !reaped {
            kill(-pid, SIGTERM)
            let termDeadline = Date().addingTimeInterval(2)
            while !reaped && Date() < termDeadline { reapIfExited(); if !reaped { usleep(10_000) } }
        }
        if !reaped {
            kill(-pid, SIGKILL)
            var status: Int32 = 0
            if waitpid(pid, &status, 0) == pid { exitStatus = 128 + SIGKILL; reapedGroupLeader() }
        }
        stderrTail.finish()
    }

    /// Makes SIGINT, SIGTERM and SIGHUP stop every child's process group before this process
    /// dies of the signal as it would have (exit status 130, 143…): killed that way, `stratum`
    /// left a hung plugin running under init. (SIGKILL cannot be caught; gnuplot also dies with
    /// `stratum` through `setpriv --pdeathsig`.)
    ///
    /// The three are unblocked too (threads made later inherit that): a parent that blocks them
    /// when it starts `stratum` (some test runners, Foundation's `Process` from such a thread)
    /// otherwise left the signal pending for good.
    public static func stopChildrenOnTermination() {
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        for signal in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&unblocked, signal) }
        pthread_sigmask(SIG_UNBLOCK, &unblocked, nil)
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { received in
                LiveGroups.killAll()
                Glibc.signal(received, SIG_DFL)
                raise(received)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            sigaction(signal, &action, nil)
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public var timedOut = false
        init(_ description: String, timedOut: Bool = false) {
            self.description = description
            self.timedOut = timedOut
        }
    }
}

/// Keeps the last 8 KiB of a stderr pipe, read on its own thread.
/// Invariant: `buffer` is only touched under `lock`; the thread owns `fd` and closes it.
final class StderrTail: @unchecked Sendable {
    private let lock = NSLock()
    private var buffer: [UInt8] = []
    private let done = DispatchSemaphore(value: 0)
    private var finished = false

    init(fd: Int32) {
        let thread = Thread { [self] in
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, 4096) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                lock.lock()
                buffer += chunk[0..<n]
                if buffer.count > 8192 { buffer.removeFirst(buffer.count - 8192) }
                lock.unlock()
            }
            close(fd)
            done.signal()
        }
        thread.start()
    }

    var text: String {
        lock.lock(); defer { lock.unlock() }
        return String(decoding: buffer, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Waits briefly for the reader to drain (the child is gone, so EOF is near).
    func finish() {
        lock.lock()
        let already = finished
        finished = true
        lock.unlock()
        if !already { _ = done.wait(timeout: .now() + 1) }
    }
}

/// The process groups of the children alive now, for a signal handler to stop: a fixed table
/// of pids written under a lock by `ChildProcess` and only read (each slot one aligned 32-bit
/// word) by the handler, which may run at any moment and so can take no lock.
enum LiveGroups {
    static let capacity = 1024
    nonisolated(unsafe) static let slots: UnsafeMutablePointer<Int32> = {
        let slots = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        slots.initialize(repeating: 0, count: capacity)
        return slots
    }()
    static let lock = NSLock()

    static func add(_ pid: pid_t) {
        lock.lock(); defer { lock.unlock() }
        if let free = (0..<capacity).first(where: { slots[$0] == 0 }) { slots[free] = pid }
    }

    static func remove(_ pid: pid_t) {
        lock.lock(); defer { lock.unlock() }
        if let index = (0..<capacity).first(where: { slots[$0] == pid }) { slots[index] = 0 }
    }

    /// Async-signal-safe: reads the table and calls kill(2) only.
    static func killAll() {
        for index in 0..<capacity where slots[index] > 0 { kill(-slots[index], SIGKILL) }
    }
}
