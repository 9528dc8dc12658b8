import Foundation
import StratumCore

/// A reference engine that times one pass at a time on request (`scripts/bench_onnxruntime.py
/// --serve`), so that `bench tfjs` can alternate its passes with Stratum's own.
///
/// On this project's shared machines the speed of the same binary swings by 2× from one minute
/// to the next; two engines timed a minute apart compare the minutes as much as the engines.
/// Alternating single passes puts the two sides of each ratio a fraction of a second apart.
///
/// The protocol is one JSON object per line: `{"model": NAME, "batch": B, "images": N}` out,
/// `{"images_per_second": R}` or `{"error": MESSAGE}` back.
final class PairedReference {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let process: ChildProcess
    private let command: String
    private var pending: [UInt8] = []
    /// How long one pass (including the first request's session creation and warm-up) may take.
    static let passDeadline: TimeInterval = 300
    /// Longest answer line accepted.
    static let maximumLine = 1 << 16

    /// Starts `command` through /bin/sh (it is the user's own command line, as typed into a shell).
    init(command: String) throws {
        self.command = command
        process = try ChildProcess(command: ["/bin/sh", "-c", command], directory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
                                   name: "the reference server")
    }

    deinit { process.terminate(grace: 1) }

    /// Images/second of one timed pass of `model` at `batch` over `images` images.
    func pass(model: String, batch: Int, images: Int) throws -> Double {
        let request = try JSONSerialization.data(withJSONObject: ["model": model, "batch": batch, "images": images], options: [.sortedKeys])
        let deadline = Date().addingTimeInterval(Self.passDeadline)
        do {
            try process.write(Array(request) + [UInt8(ascii: "\n")], deadline: deadline)
            let line = try readLine(deadline: deadline)
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                throw Failure(description: "the reference server (\(command)) answered '\(Self.excerpt(line))', not a JSON object")
            }
            if let message = object["error"] as? String {
                throw Failure(description: "the reference server (\(command)) cannot time \(model) at batch \(batch): \(message)")
            }
            guard let rate = (object["images_per_second"] as? NSNumber)?.doubleValue, rate.isFinite, rate > 0 else {
                throw Failure(description: "the reference server (\(command)) answered '\(Self.excerpt(line))': no positive images_per_second")
            }
            return rate
        } catch let failure as ChildProcess.Failure {
            let stderr = process.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            throw Failure(description: "the reference server (\(command)): \(failure.description)\(stderr.isEmpty ? "" : "; its stderr ends: \(stderr)")")
        }
    }

    private func readLine(deadline: Date) throws -> [UInt8] {
        while true {
            if let end = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(pending[..<end])
                pending.removeSubrange(...end)
                return line
            }
            guard pending.count <= Self.maximumLine else {
                throw Failure(description: "the reference server (\(command)) wrote over \(Self.maximumLine) bytes without a newline")
            }
            let chunk = try process.readAvailable(deadline: deadline)
            if chunk.isEmpty {
                throw Failure(description: "the reference server (\(command)) closed its output without answering (it has probably exited)")
            }
            pending += chunk
        }
    }

    private static func excerpt(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes.prefix(200), as: UTF8.self)
        return bytes.count > 200 ? text + "…" : text
    }
}
