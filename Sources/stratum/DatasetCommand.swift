import ArgumentParser
import Foundation
import StratumData
import StratumRunner

struct DatasetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "Generate and validate datasets.",
        subcommands: [Generate.self, Validate.self])

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Render a synthetic dataset (kind: faces) with a CSV manifest.",
            discussion: "Same --count, --seed and --size give byte-identical files on any machine.")

        @Argument(help: "The generator: faces.")
        var kind: String

        @Option(help: "Number of images.")
        var count: Int = 2000

        @Option(help: "Random seed.")
        var seed: UInt64 = 1

        @Option(help: "Image side in pixels (32…1024).")
        var size: Int = 96

        @Option(help: "Output folder (gets images/ and manifest.csv).")
        var out: String

        @Flag(help: "Write into --out even if it is not empty (files of the same names are replaced).")
        var force = false

        @Flag(help: "Print nothing on success (no progress, no closing line); errors still go to stderr.")
        var quiet = false

        func validate() throws {
            guard kind == "faces" else { throw ValidationError("unknown generator '\(kind)' (known: faces)") }
            guard (1...FaceDatasetWriter.maxCount).contains(count) else { throw ValidationError("--count must be in 1…\(FaceDatasetWriter.maxCount)") }
            guard (32...1024).contains(size) else { throw ValidationError("--size must be in 32…1024") }
        }

        func run() throws {
            // Generating writes manifest.csv and images/face-NNNNN.png: into a folder that holds
            // anything, that can replace someone's own dataset, silently.
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory) {
                guard isDirectory.boolValue else { throw ValidationError("--out \(out) is a file; give a folder (new or empty)") }
                let held = ((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []).sorted()
                if !held.isEmpty && !force {
                    let shown = held.prefix(5).joined(separator: ", ") + (held.count > 5 ? ", … (\(held.count) entries)" : "")
                    throw ValidationError("--out \(out) is not empty (it holds \(shown)); generating would overwrite manifest.csv and images there. Give a new or empty folder, or --force")
                }
            }
            let progress = ProgressLine(quiet: quiet)
            do {
                let manifest: URL
                do {
                    defer { progress.finish() }  // also when writing fails; before stdout
                    manifest = try FaceDatasetWriter.write(count: count, seed: seed, size: size, to: URL(fileURLWithPath: out)) { done in
                        progress.update("rendering faces", done: done, total: count)
                    }
                }
                if !quiet { print("wrote \(count) faces and \(manifest.path)") }
            } catch {
                throw report(error)
            }
        }
    }

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check a manifest (CSV or JSON Lines): columns, ids, files, labels.")

        @Argument(help: "The manifest file.")
        var manifest: String

        @Option(help: "The label column.")
        var label: String = "label"

        @Option(help: "Allowed labels, comma-separated (default: any).")
        var labels: String?

        @Flag(help: "Also decode every image (in parallel) and list every file that cannot be read.")
        var decode = false

        @Option(help: "Output format: table or json.")
        var format: OutputFormat = .table

        @Flag(help: "No progress output.")
        var quiet = false

        func run() throws {
            do {
                let allowed = labels.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
                let dataset = try ManifestReader.read(URL(fileURLWithPath: manifest), columns: ManifestColumns(label: label), allowedLabels: allowed)
                var splits: [String: Int] = [:]
                for sample in dataset.samples { splits[sample.split, default: 0] += 1 }
                let progress = ProgressLine(quiet: quiet || format == .json)
                let unreadable = decode ? DatasetDecodeCheck.unreadable(in: dataset) { progress.update("decoding images", done: $0, total: $1) } : []
                progress.finish()
                switch format {
                case .json:
                    struct Summary: Encodable {
                        var manifest: String; var valid: Bool; var samples: Int; var labels: [String]; var splits: [String: Int]; var columns: [String]
                        var decoded: Bool; var unreadable: [UnreadableSample]
                    }
                    print(try JSONOutput.string(Summary(manifest: manifest, valid: unreadable.isEmpty, samples: dataset.samples.count, labels: dataset.labels, splits: splits,
                                                        columns: dataset.columns, decoded: decode, unreadable: unreadable)))
                case .table:
                    // Labels, splits and ids come from the manifest: control characters shown escaped.
                    print("\(manifest.terminalSafe): \(dataset.samples.count) samples, labels \(dataset.labels.map(\.terminalSafe).joined(separator: ", "))")
                    print("splits: " + splits.sorted { $0.key < $1.key }.map { "\($0.key.terminalSafe)=\($0.value)" }.joined(separator: ", "))
                    if decode {
                        print(unreadable.isEmpty ? "every image decodes" : "\(unreadable.count) image(s) cannot be decoded:")
                        for sample in unreadable { print("\(manifest.terminalSafe):\(sample.line): id '\(sample.id.terminalSafe)': \(sample.reason.terminalSafe)") }
                    }
                }
                if !unreadable.isEmpty { throw ExitCode(ExitCodes.dataError) }
            } catch let error as ManifestError {
                // --format json answers with JSON either way: the problems, each with its line.
                if format == .json {
                    struct Problem: Encodable {
                        var line: Int?
                        var message: String
                        func encode(to encoder: Encoder) throws {  // line: null for file-level problems
                            enum Key: String, CodingKey { case line, message }
                            var c = encoder.container(keyedBy: Key.self)
                            try c.encode(line, forKey: .line)
                            try c.encode(message, forKey: .message)
                        }
                    }
                    struct Invalid: Encodable { var manifest: String; var valid: Bool; var problems: [Problem] }
                    print(try JSONOutput.string(Invalid(manifest: manifest, valid: false,
                                                        problems: error.issues.map { Problem(line: $0.line, message: ManifestError.text($0.problem)) })))
                }
                let exit = report(error)
                if label == "label", let columns = error.issues.lazy.compactMap({ issue -> [String]? in
                    if case .missingColumn("label", let available) = issue.problem { return available } else { return nil }
                }).first {
                    Terminal.status("note: --label names the label column (default 'label'); this manifest's columns: \(columns.joined(separator: ", "))")
                }
                throw exit
            } catch {
                throw report(error)
            }
        }
    }
}
