import Foundation
import StratumCore

/// A model served by an external program over the stdio plugin protocol (docs/plugin-protocol.md).
///
/// Thread safety: `predict` and `close` serialise on `lock`; the invariant is that `process`,
/// `nextID` and `broken` are only touched while holding it.
public final class ProcessClassifier: ImageClassifier, @unchecked Sendable {
    public static let protocolVersion = 1

    public let descriptor: ModelDescriptor
    private let lock = NSLock()
    private var process: ChildProcess?
    private var nextID = 1
    private var broken: PluginError?
    private let timeout: Double
    private let label: String

    /// Starts the plugin and completes the handshake; throws `PluginError` naming the plugin.
    public init(name: String, launch: PluginLaunch, contentHash: String) throws {
        label = name
        timeout = launch.timeout
        let process: ChildProcess
        do {
            process = try ChildProcess(command: launch.command, directory: launch.directory, environment: launch.environment, name: "the plugin")
        } catch {
            throw PluginError(plugin: name, message: "\(error)", stderr: "")
        }
        do {
            try Self.send(PluginFrame(header: ["type": .string("hello"), "protocol": .number(Double(Self.protocolVersion))]), to: process, timeout: launch.startupTimeout)
            let hello = try Self.receive(from: process, timeout: launch.startupTimeout, atMost: Self.replyHeaderAllowance)
            descriptor = try Self.describe(hello, name: name, contentHash: contentHash)
        } catch {
            let stderr = process.stderr
            process.terminate(grace: 0)
            throw PluginError(plugin: name, message: "handshake failed: \(error)", stderr: stderr.isEmpty ? process.stderr : stderr)
        }
        self.process = process
    }

    deinit {
        close()
    }

    /// The plugin's process id while it runs (for diagnostics and tests).
    public var processID: Int32? {
        lock.lock(); defer { lock.unlock() }
        return process?.pid
    }

    public func predict(_ batch: ImageBatch) throws -> [[Float]] {
        lock.lock(); defer { lock.unlock() }
        if let broken { throw broken }
        guard process != nil else { throw PluginError(plugin: label, message: "the plugin was already stopped", stderr: "") }
        // A frame may not exceed the protocol's 1 GiB: a large batch goes as several requests.
        let perFrame = Self.imagesPerFrame(imageBytes: batch.imageSize * 4)
        guard perFrame > 0 else {
            throw PluginError(plugin: label, message: "one \(batch.width)×\(batch.height)×\(batch.channels) image (\(batch.imageSize * 4) bytes) does not fit in a protocol frame of at most \(PluginFrame.maximumLength) bytes", stderr: "")
        }
        // The plugin's process computes on the cores the engine's idle threads spin on: they yield to it.
        return try SharedCores.sharing {
            var rows: [[Float]] = []
            rows.reserveCapacity(batch.count)
            var start = 0
            while start < batch.count {
                let end = min(batch.count, start + perFrame)
                rows += try predictFrame(batch, images: start..<end)
                start = end
            }
            return rows
        }
    }

    /// How many images of `imageBytes` bytes fit in one request frame (with room for its header).
    static func imagesPerFrame(imageBytes: Int) -> Int {
        let headerAllowance = 4096
        guard imageBytes > 0 else { return Int.max }
        return max(0, (PluginFrame.maximumLength - 4 - headerAllowance) / imageBytes)
    }

    /// Sends images `range` of `batch` as one request and reads its result. Caller holds `lock`.
    private func predictFrame(_ batch: ImageBatch, images range: Range<Int>) throws -> [[Float]] {
        guard let process else { throw PluginError(plugin: label, message: "the plugin was already stopped", stderr: "") }
        let id = nextID
        nextID += 1
        do {
            let shape: [JSONValue] = [range.count, batch.height, batch.width, batch.channels].map { .number(Double($0)) }
            let header = PluginFrame(header: ["type": .string("predict"), "id": .number(Double(id)), "shape": .array(shape), "dtype": .string("float32")])
            let deadline = Date().addingTimeInterval(timeout)
            let values = batch.values[(range.lowerBound * batch.imageSize)..<(range.upperBound * batch.imageSize)]
            // The header, then the floats straight from the batch (little-endian machines need no copy).
            try process.write(try header.encoded(bodyLength: values.count * 4), deadline: deadline)
            #if _endian(little)
            try values.withUnsafeBytes { try process.write($0, deadline: deadline) }
            #else
            try process.write(LittleEndianFloats.bytes(Array(values)), deadline: deadline)
            #endif
            // A result holds count × labels float32s and its header: a length prefix claiming
            // more (up to the protocol's 1 GiB) was read in full before the shape was checked.
            let reply = try Self.receive(from: process, timeout: timeout, atMost: range.count * descriptor.labels.count * 4 + Self.replyHeaderAllowance)
            return try Self.probabilities(reply, id: id, count: range.count, labels: descriptor.labels.count)
        } catch {
            let failure = PluginError(plugin: label, message: "batch \(id): \(error)", stderr: "")
            process.terminate(grace: 0)
            let withStderr = PluginError(plugin: label, message: failure.message, stderr: process.stderr)
            broken = withStderr
            self.process = nil
            throw withStderr
        }
    }

    /// Asks the plugin to shut down and reaps it (SIGTERM, then SIGKILL, after 5 s).
    public func close() {
        lock.lock(); defer { lock.unlock() }
        guard let process else { return }
        try? Self.send(PluginFrame(header: ["type": .string("shutdown")]), to: process, timeout: 2)
        process.closeInput()
        process.terminate(grace: 5)
        self.process = nil
    }

    // MARK: Frames

    static func send(_ frame: PluginFrame, to process: ChildProcess, timeout: Double) throws {
        try process.write(try frame.encoded(), deadline: Date().addingTimeInterval(timeout))
    }

    /// Room for a frame's JSON header (a hello's labels, an error's message): 1 MiB.
    static let replyHeaderAllowance = 1 << 20

    /// The next frame, refused before it is read when its length prefix is over `atMost` bytes.
    static func receive(from process: ChildProcess, timeout: Double, atMost: Int = PluginFrame.maximumLength) throws -> PluginFrame {
        let deadline = Date().addingTimeInterval(timeout)
        let prefix = try process.read(4, deadline: deadline)
        let length = PluginFrame.readUInt32(prefix[...])
        let limit = min(atMost, PluginFrame.maximumLength)
        guard length >= 4, length <= limit else {
            let text = prefix.allSatisfy { (0x20...0x7E).contains($0) } ? " (its first bytes read \"\(String(decoding: prefix, as: UTF8.self))\": text on stdout? a plugin must write only frames there, and log to stderr)" : ""
            throw PluginFrame.FrameError("malformed frame: length \(length) (must be 4…\(limit) here)\(text)")
        }
        let frame = try PluginFrame.decode(try process.read(length, deadline: deadline))
        if frame.type == "error" {
            throw PluginFrame.FrameError("the plugin reported an error: \(frame.header["message"]?.string ?? "(no message)")")
        }
        return frame
    }

    static func describe(_ hello: PluginFrame, name: String, contentHash: String) throws -> ModelDescriptor {
        guard hello.type == "hello" else { throw PluginFrame.FrameError("expected a 'hello' frame, got '\(hello.type ?? "no type")'") }
        guard let version = hello.header["protocol"]?.int else { throw PluginFrame.FrameError("'hello' has no protocol number") }
        guard version == protocolVersion else {
            throw PluginFrame.FrameError("the plugin speaks protocol \(version); this Stratum speaks protocol \(protocolVersion)")
        }
        guard let labels = hello.header["labels"]?.array?.compactMap(\.string), !labels.isEmpty, Set(labels).count == labels.count,
              labels.count == hello.header["labels"]?.array?.count else {
            throw PluginFrame.FrameError("'hello' needs 'labels': a non-empty list of distinct strings")
        }
        // As every other kind: no empty label (a plugin's "" was accepted).
        if let problem = ModelOption.labelsProblem(labels) { throw PluginFrame.FrameError("'hello': \(problem)") }
        guard let input = hello.header["input"]?.object, let height = input["height"]?.int, let width = input["width"]?.int,
              let channels = input["channels"]?.int, InputSpec.sideIsValid(height), InputSpec.sideIsValid(width), channels == 1 || channels == 3 else {
            throw PluginFrame.FrameError("'hello' needs 'input' with height and width in 1…\(InputSpec.maxSide) and channels 1 or 3")
        }
        let normalizationName = input["normalization"]?.string ?? "unit"
        guard let normalization = Normalization(rawValue: normalizationName) else {
            throw PluginFrame.FrameError("unknown normalization '\(normalizationName)' (expected unit, symmetric or raw)")
        }
        let spec = InputSpec(width: width, height: height, channels: channels, normalization: normalization, centerCrop: input["center_crop"]?.bool ?? false)
        return ModelDescriptor(name: name, kind: ProcessLoader.kindName, labels: labels, input: spec, contentHash: contentHash)
    }

    static func probabilities(_ reply: PluginFrame, id: Int, count: Int, labels: Int) throws -> [[Float]] {
        guard reply.type == "result" else { throw PluginFrame.FrameError("expected a 'result' frame, got '\(reply.type ?? "no type")'") }
        guard reply.header["id"]?.int == id else { throw PluginFrame.FrameError("result for id \(reply.header["id"]?.int.map(String.init) ?? "none"), expected \(id)") }
        guard let shape = reply.header["shape"]?.array?.compactMap(\.int), shape.count == 2 else {
            throw PluginFrame.FrameError("result needs a 2-element 'shape'")
        }
        guard shape[0] == count else { throw PluginFrame.FrameError("returned \(shape[0]) rows for \(count) images") }
        guard shape[1] == labels else { throw PluginFrame.FrameError("returned \(shape[1]) probabilities per image for \(labels) labels") }
        guard reply.body.count == count * labels * 4 else {
            throw PluginFrame.FrameError("body has \(reply.body.count) bytes; shape [\(count), \(labels)] of float32 needs \(count * labels * 4)")
        }
        let values = LittleEndianFloats.floats(reply.body)
        var rows: [[Float]] = []
        for r in 0..<count {
            let row = Array(values[(r * labels)..<((r + 1) * labels)])
            guard row.allSatisfy({ $0.isFinite && $0 >= 0 }) else { throw PluginFrame.FrameError("row \(r) has a non-finite or negative probability: \(row)") }
            let sum = row.reduce(0, +)
            guard abs(sum - 1) <= 1e-3 else { throw PluginFrame.FrameError("row \(r) sums to \(sum), not 1") }
            rows.append(row)
        }
        return rows
    }
}

/// How to start a plugin.
public struct PluginLaunch: Sendable, Equatable {
    public var command: [String]
    public var directory: URL
    public var environment: [String: String]
    /// Seconds per batch (send and answer).
    public var timeout: Double
    /// Seconds for start-up and the handshake.
    public var startupTimeout: Double

    public init(command: [String], directory: URL, environment: [String: String] = [:], timeout: Double = 60, startupTimeout: Double = 30) {
        self.command = command
        self.directory = directory
        self.environment = environment
        self.timeout = timeout
        self.startupTimeout = startupTimeout
    }
}

/// A plugin failed: names the plugin, what happened, and the tail of its stderr.
public struct PluginError: Error, CustomStringConvertible, Equatable {
    public var plugin: String
    public var message: String
    public var stderr: String

    public var description: String {
        let tail = stderr.isEmpty ? "" : "\n  plugin stderr (last lines):\n" + stderr.split(separator: "\n").suffix(12).map { "    " + $0 }.joined(separator: "\n")
        return "plugin '\(plugin)': \(message)\(tail)"
    }
}

/// float32 arrays to and from little-endian bytes (a plain copy on little-endian machines).
enum LittleEndianFloats {
    static func bytes(_ values: [Float]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: values.count * 4)
        #if _endian(little)
        out.withUnsafeMutableBytes { raw in values.withUnsafeBytes { raw.copyMemory(from: $0) } }
        #else
        for (i, value) in values.enumerated() {
            let bits = value.bitPattern
            for b in 0..<4 { out[i * 4 + b] = UInt8(truncatingIfNeeded: bits >> UInt32(8 * b)) }
        }
        #endif
        return out
    }

    static func floats(_ bytes: [UInt8]) -> [Float] {
        var out = [Float](repeating: 0, count: bytes.count / 4)
        #if _endian(little)
        out.withUnsafeMutableBytes { raw in bytes.withUnsafeBytes { raw.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<raw.count])) } }
        #else
        for i in out.indices {
            let bits = UInt32(bytes[4 * i]) | UInt32(bytes[4 * i + 1]) << 8 | UInt32(bytes[4 * i + 2]) << 16 | UInt32(bytes[4 * i + 3]) << 24
            out[i] = Float(bitPattern: bits)
        }
        #endif
        return out
    }
}
