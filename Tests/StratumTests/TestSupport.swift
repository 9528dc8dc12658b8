import Foundation

/// Paths and scratch folders for tests.
enum TestSupport {
    /// The repository root (two levels above this file's folder).
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = repositoryRoot.appendingPathComponent("Tests/Fixtures")

    /// A fresh empty folder, removed by the OS's tmp cleaning (tests never depend on its removal).
    static func temporaryDirectory(_ name: String = #function) throws -> URL {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("stratum-tests-\(safe)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func write(_ text: String, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    /// Runs `executable` and waits; stdout and stderr together. `environment` replaces the
    /// inherited one when `inherit` is false, else is merged over it.
    static func run(_ executable: String, _ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:],
                    inherit: Bool = true) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        process.environment = inherit ? ProcessInfo.processInfo.environment.merging(environment) { _, new in new } : environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func json(_ relativePath: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent(relativePath)))
    }
}

/// Strict access to JSON fixtures: a missing key or a value of the wrong type is a thrown error
/// naming the key, never a silent empty default that would make a test compare nothing.
enum Fixture {
    struct Missing: Error, CustomStringConvertible {
        var key: String
        var expected: String
        var description: String { "fixture key '\(key)' is missing or is not \(expected)" }
    }

    static func value<T>(_ object: Any?, _ key: String, as type: T.Type = T.self) throws -> T {
        guard let dictionary = object as? [String: Any], let value = dictionary[key] as? T else {
            throw Missing(key: key, expected: "\(T.self)")
        }
        return value
    }

    /// A non-empty list under `key`.
    static func list<T>(_ object: Any?, _ key: String, of type: T.Type = T.self) throws -> [T] {
        let list: [T] = try value(object, key)
        guard !list.isEmpty else { throw Missing(key: key, expected: "a non-empty list of \(T.self)") }
        return list
    }
}

/// The largest of `errors`, or +∞ when any is NaN (a plain `.max()` skips NaNs after the first
/// element, so a kernel producing NaN could pass) or when the counts differ.
func worstError(_ actual: [Float], _ expected: [Float], relative: Float = 0) -> Float {
    guard actual.count == expected.count, !actual.isEmpty else { return .infinity }
    var worst: Float = 0
    for (a, e) in zip(actual, expected) {
        let error = abs(a - e) - relative * abs(e)
        if error.isNaN || a.isNaN || e.isNaN { return .infinity }
        worst = max(worst, error)
    }
    return worst
}
