import Foundation
import StratumCore

/// Loads external plugins: kind `process`.
///
/// Options: `command` (a JSON list like `["python3", "plugin.py"]`, or words split on spaces),
/// `env` (a JSON object), `timeout` (seconds per batch, default 60), `startup_timeout`
/// (default 30). Without `command`, `path` must be an executable, or a folder with a
/// `plugin.json` holding `{"command": [...], "env": {...}}`. The working directory is `path`
/// when it is a folder, else the folder holding it.
public struct ProcessLoader: ModelLoader {
    public static let kindName = "process"
    public var kind: String { Self.kindName }
    public var summary: String { "an external program speaking the stdio plugin protocol (docs/plugin-protocol.md); any language" }

    public var options: [ModelOption] {
        [ModelOption("command", "the program and its arguments: a JSON list, or words split on spaces (default: path itself, or plugin.json's)"),
         ModelOption("env", "extra environment variables: a mapping of names to strings"),
         ModelOption("timeout", "seconds allowed per batch (default 60)"),
         ModelOption("startup_timeout", "seconds allowed for the plugin's hello (default 30)")]
    }

    public init() {}

    /// A folder holding `plugin.json`, or an executable file.
    public func recognises(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { return false }
        if isDirectory.boolValue { return FileManager.default.fileExists(atPath: url.appendingPathComponent("plugin.json").path) }
        return FileManager.default.isExecutableFile(atPath: url.path)
    }

    public func load(_ spec: ModelSpec) throws -> any ImageClassifier {
        let launch = try Self.launch(for: spec)
        let hash = (try? SHA256.hex(contentsOf: spec.path)) ?? SHA256.hex(Array(launch.command.joined(separator: "\u{0}").utf8))
        return try ProcessClassifier(name: spec.name, launch: launch, contentHash: hash)
    }

    static func launch(for spec: ModelSpec) throws -> PluginLaunch {
        func fail(_ message: String) -> PluginError { PluginError(plugin: spec.name, message: message, stderr: "") }
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: spec.path.path, isDirectory: &isDirectory)
        let directory = exists && isDirectory.boolValue ? spec.path : spec.path.deletingLastPathComponent()
        var command: [String] = []
        var environment: [String: String] = [:]
        if let text = spec.options["command"] {
            command = try parseList(text, fail: fail) ?? text.split(separator: " ").map(String.init)
        } else if exists && isDirectory.boolValue {
            let manifest = spec.path.appendingPathComponent("plugin.json")
            guard let data = try? Data(contentsOf: manifest) else {
                throw fail("\(spec.path.path) is a folder without plugin.json, and no 'command' option is given")
            }
            guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let list = object["command"] as? [String], !list.isEmpty else {
                throw fail("\(manifest.path): needs \"command\": a non-empty list of strings")
            }
            command = list
            environment = object["env"] as? [String: String] ?? [:]
        } else if exists && FileManager.default.isExecutableFile(atPath: spec.path.path) {
            command = [spec.path.path]
        } else {
            throw fail("\(spec.path.path) is not an executable, nor a folder with plugin.json, and no 'command' option is given")
        }
        guard !command.isEmpty else { throw fail("the command is empty") }
        let values = try optionValues(spec)
        environment.merge(values.environment) { _, given in given }
        return PluginLaunch(command: command, directory: directory, environment: environment, timeout: values.timeout, startupTimeout: values.startup)
    }

    public func checkOptionValues(_ spec: ModelSpec) throws { _ = try Self.optionValues(spec) }

    /// The options whose values do not depend on the plugin's files, as `launch` reads them.
    static func optionValues(_ spec: ModelSpec) throws -> (environment: [String: String], timeout: Double, startup: Double) {
        func fail(_ message: String) -> PluginError { PluginError(plugin: spec.name, message: message, stderr: "") }
        if let text = spec.options["command"], (try parseList(text, fail: fail) ?? text.split(separator: " ").map(String.init)).isEmpty {
            throw fail("the command is empty")
        }
        var environment: [String: String] = [:]
        if let text = spec.options["env"] {
            guard let data = text.data(using: .utf8), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw fail("option 'env' must be a mapping of names to strings")
            }
            for (key, value) in object { environment[key] = "\(value)" }
        }
        func seconds(_ name: String, default value: Double) throws -> Double {
            try spec.options[name].map { text -> Double in
                guard let value = Double(text), value > 0 else { throw fail("option '\(name)' must be a positive number of seconds") }
                return value
            } ?? value
        }
        return (environment, try seconds("timeout", default: 60), try seconds("startup_timeout", default: 30))
    }

    /// A JSON list of strings (and numbers), each exactly as given, or nil when `text` does not
    /// start with `[`.
    static func parseList(_ text: String, fail: (String) -> PluginError) throws -> [String]? {
        do { return try ModelOption.jsonList(text) } catch { throw fail("the command '\(ModelOption.clipped(text))' \(error)") }
    }
}
