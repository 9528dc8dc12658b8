import ArgumentParser
import Foundation
import StratumCore
import StratumRunner
import StratumStore

extension BenchCommand {
    /// How fast a store takes predictions: the runner's write path (one transaction per batch),
    /// into a fresh SQLite file and, with `--postgres`, into a PostgreSQL database, same run.
    struct StoreWrites: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "store",
            abstract: "Prediction write rate of the store (predictions/s): SQLite, and PostgreSQL with --postgres, in the same run.",
            discussion: """
            Each writer opens its own store (a shard process would), joins one run and inserts its share of \
            --predictions in batches of --batch (one transaction each, as `stratum run` does per chunk). \
            Rates are for 1 writer and for --writers at once. The SQLite file is made in a temporary folder; \
            the PostgreSQL database must be empty (it is written to).
            """)

        @Option(help: "A PostgreSQL URL to measure beside SQLite (an empty database).")
        var postgres: String?

        @Option(help: "Predictions written in all (per configuration).")
        var predictions: Int = 100_000

        @Option(help: "Predictions per transaction (the runner writes one chunk per transaction).")
        var batch: Int = 256

        @Option(help: "Concurrent writers for the second figure.")
        var writers: Int = 4

        @Option(help: "Output format: table or json.")
        var format: OutputFormat = .table

        struct Figure: Codable {
            var store: String
            var writers: Int
            var predictions: Int
            var seconds: Double
            var predictionsPerSecond: Double
            /// This figure's rate over SQLite's with one writer (same run).
            var ratioToSQLiteOneWriter: Double
        }

        func validate() throws {
            guard (1...10_000_000).contains(predictions) else { throw ValidationError("--predictions must be in 1…10000000") }
            guard (1...100_000).contains(batch) else { throw ValidationError("--batch must be in 1…100000") }
            guard (1...64).contains(writers) else { throw ValidationError("--writers must be in 1…64") }
        }

        /// Writes `predictions` rows into `location` from `writers` concurrent stores; seconds taken.
        func measure(_ location: String, writers: Int, experiment: String) throws -> Double {
            let setup = try RunStores.openForWriting(location)
            let samples = (0..<predictions).map {
                Sample(id: "s\($0)", url: URL(fileURLWithPath: "/b/\($0).png"), relativePath: "\($0).png", label: $0 % 3 == 0 ? "m" : "f",
                       split: "test", attributes: ["age_group": $0 % 5 == 0 ? "child" : "adult"], line: $0 + 2)
            }
            let run = try setup.beginRun(experiment: experiment, spec: "bench", specHash: "bench", gitCommit: nil, lease: .current)
            let (_, ids) = try setup.storeDataset(manifestPath: "/b/\(experiment).csv", manifestHash: experiment, labelColumn: "sex",
                                                  labels: ["f", "m"], samples: samples, runID: run.id)
            let variant = try setup.insertVariant(runID: run.id, name: "v", kind: "bench", path: "/b/m", fileHash: nil, labels: ["f", "m"])
            let sampleIDs = samples.map { ids[$0.id] ?? -1 }
            let failures = ErrorBox()
            let start = Date()
            DispatchQueue.concurrentPerform(iterations: writers) { writer in
                do {
                    let store = try RunStores.openForWriting(location)
                    let mine = stride(from: writer, to: sampleIDs.count, by: writers).map { sampleIDs[$0] }
                    var offset = 0
                    while offset < mine.count {
                        let slice = mine[offset..<min(mine.count, offset + batch)]
                        try store.insertPredictions(slice.map { id in
                            let p = Float(id.rawValue & 1023) / 1023
                            return StoredPrediction(runID: run.id, variantID: variant, sampleID: id, predicted: p < 0.5 ? "m" : "f", probabilities: [p, 1 - p])
                        })
                        offset += batch
                    }
                } catch {
                    failures.record(error)
                }
            }
            let seconds = Date().timeIntervalSince(start)
            if let error = failures.first { throw error }
            let stored = try setup.listRuns(experiment: experiment).first { $0.number == run.number }?.predictions ?? -1
            guard stored == predictions else {
                throw ValidationError("\(RunStores.displayName(location)): \(stored) predictions stored, \(predictions) written")
            }
            return seconds
        }

        func run() throws {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stratum-bench-store-\(getpid())")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            var locations = [("sqlite", folder.appendingPathComponent("bench.sqlite").path)]
            if let postgres { locations.append(("postgresql", postgres)) }
            var figures: [Figure] = []
            var reference = 0.0
            for (name, location) in locations {
                for count in Array(Set([1, writers])).sorted() {
                    Terminal.status("bench store: \(name), \(count) writer(s), \(predictions) predictions …")
                    let seconds = try measure(location, writers: count, experiment: "bench-\(count)")
                    let rate = Double(predictions) / seconds
                    if figures.isEmpty { reference = rate }
                    figures.append(Figure(store: name, writers: count, predictions: predictions, seconds: seconds, predictionsPerSecond: rate,
                                          ratioToSQLiteOneWriter: rate / reference))
                }
            }
            switch format {
            case .json: print(try JSONOutput.string(figures))
            case .table:
                print("store       writers  predictions  seconds  predictions/s  vs SQLite, 1 writer")
                for figure in figures {
                    print([figure.store.padding(toLength: 10, withPad: " ", startingAt: 0),
                           String(figure.writers).padding(toLength: 7, withPad: " ", startingAt: 0),
                           String(figure.predictions).padding(toLength: 11, withPad: " ", startingAt: 0),
                           String(format: "%7.2f", figure.seconds),
                           String(format: "%13.0f", figure.predictionsPerSecond),
                           String(format: "%.2f×", figure.ratioToSQLiteOneWriter)].joined(separator: "  "))
                }
                print("(batches of \(batch) predictions, one transaction each; CPU: \(CPUInfo.modelName))")
            }
        }
    }
}

/// The first error of several threads.
final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [any Error] = []
    func record(_ error: any Error) { lock.withLock { errors.append(error) } }
    var first: (any Error)? { lock.withLock { errors.first } }
}

/// What /proc/cpuinfo says the processor is, for benchmark output.
enum CPUInfo {
    static var modelName: String {
        (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { $0.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" } ?? "unknown CPU"
    }
}
