import ArgumentParser
import Foundation
import StratumCore
import StratumMetrics
import StratumStatistics

extension BenchCommand {
    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stats",
            abstract: "Metrics with bootstrap intervals, paired comparisons and slice discovery on the workloads of scripts/bench_stats.py, against its Python timings.",
            discussion: """
            Run `python3 scripts/bench_stats.py WORKDIR > WORKDIR/python.json` first (make bench does both).
            """)

        @Option(help: "The folder scripts/bench_stats.py wrote its workloads into.")
        var workdir: String

        @Option(help: "The Python timings (JSON printed by scripts/bench_stats.py); default WORKDIR/python.json.")
        var reference: String?

        @Option(help: "Bootstrap resamples.")
        var resamples: Int = 1000

        @Option(help: "Output format: table or json.")
        var format: OutputFormat = .table

        struct Workload {
            var labels = ["female", "male"]
            var variants: [String: (truth: [Int32], predicted: [Int32], probabilities: [Double])] = [:]
            var attributes: [[String: String]] = []
        }

        /// Reads a bench CSV (plain comma-separated, no quoting: these files are generated).
        static func table(_ path: URL) throws -> (header: [String], rows: [[Substring]]) {
            let text = try String(contentsOf: path, encoding: .utf8)
            var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
            guard !lines.isEmpty else { throw ValidationError("\(path.path) is empty") }
            let header = lines.removeFirst().split(separator: ",").map(String.init)
            return (header, lines.map { $0.split(separator: ",", omittingEmptySubsequences: false) })
        }

        static func predictions(_ path: URL) throws -> Workload {
            let (header, rows) = try table(path)
            func column(_ name: String) throws -> Int {
                guard let i = header.firstIndex(of: name) else { throw ValidationError("\(path.path): no column '\(name)'") }
                return i
            }
            let (label, predicted, female, male, variant) = (try column("label"), try column("predicted"), try column("p_female"), try column("p_male"), try column("variant"))
            let attributeColumns = header.indices.filter { !["id", "label", "predicted", "p_female", "p_male", "variant"].contains(header[$0]) }
            var workload = Workload()
            var firstVariant: Substring?
            for row in rows {
                guard row.count == header.count else { throw ValidationError("\(path.path): a row has \(row.count) fields, not \(header.count)") }
                let name = String(row[variant])
                // Appended in place (copying the entry out and back would copy its arrays each row).
                workload.variants[name, default: ([], [], [])].truth.append(row[label] == "male" ? 1 : 0)
                workload.variants[name, default: ([], [], [])].predicted.append(row[predicted] == "male" ? 1 : 0)
                workload.variants[name, default: ([], [], [])].probabilities += [Double(row[female]) ?? .nan, Double(row[male]) ?? .nan]
                if firstVariant == nil { firstVariant = row[variant] }
                if row[variant] == firstVariant {
                    workload.attributes.append(Dictionary(uniqueKeysWithValues: attributeColumns.map { (header[$0], String(row[$0])) }))
                }
            }
            return workload
        }

        static func seconds(_ body: () throws -> Void) rethrows -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }

        func run() throws {
            let folder = URL(fileURLWithPath: workdir)
            let referenceURL = self.reference.map { URL(fileURLWithPath: $0) } ?? folder.appendingPathComponent("python.json")
            let python = (try? JSONSerialization.jsonObject(with: Data(contentsOf: referenceURL))) as? [String: Any] ?? [:]
            func reference(_ key: String) -> Double? { python[key] as? Double }
            let settings = BootstrapSettings(resamples: resamples)
            var rows: [(String, Double, String)] = []

            // 1. One variant, 20,000 predictions, overall + the four `group` slices.
            let small = try Self.predictions(folder.appendingPathComponent("predictions-20k.csv"))
            let smallSlices = Self.slices(small, attribute: "group")
            let smallTime = try Self.seconds {
                let v = try _require(small.variants.values.first)
                let outcomes = VariantOutcomes(labels: small.labels, truth: v.truth, predicted: v.predicted, probabilities: v.probabilities)
                _ = StatisticsParallel.map(Array(smallSlices.enumerated())) { i, members in
                    Bootstrap.evaluate([outcomes], slice: EvaluationSlice(members: members, truth: outcomes.truth, classCount: 2), settings: settings, stream: UInt64(i))
                }
            }
            rows.append(("20k × 1 variant, 5 slices, all 21 metrics, \(resamples) resamples", smallTime, ""))
            if let fairlearn = reference("fairlearn_bootstrap_20k") {
                rows.append(("  fairlearn MetricFrame, 5 metrics, n_boot=100 (reference)", fairlearn,
                             String(format: "Stratum %.0f× faster, with %d× the resamples and 21 metrics", fairlearn / smallTime, max(1, resamples / 100))))
            }
            if let numpy = reference("numpy_bootstrap_all_20k") {
                rows.append(("  numpy hand-vectorised, the same 21 metrics, 1,000 resamples (reference)", numpy, Self.ratio(numpy, smallTime)))
            }
            if let numpy = reference("numpy_bootstrap_20k") {
                rows.append(("  numpy hand-vectorised, 5 confusion metrics only (information)", numpy, Self.ratio(numpy, smallTime)))
            }

            // 2. Three variants × 100,000, overall + group slices, every metric, plus the three paired comparisons.
            let large = try Self.predictions(folder.appendingPathComponent("predictions-100k.csv"))
            let largeSlices = Self.slices(large, attribute: "group")
            let names = large.variants.keys.sorted()
            let outcomes = names.map { n in
                let v = large.variants[n]!
                return VariantOutcomes(labels: large.labels, truth: v.truth, predicted: v.predicted, probabilities: v.probabilities)
            }
            var resampled: [[[[Double]]]] = []
            let largeTime = Self.seconds {
                resampled = StatisticsParallel.map(Array(largeSlices.enumerated())) { i, members in
                    Bootstrap.evaluateKeepingResamples(outcomes, slice: EvaluationSlice(members: members, truth: outcomes[0].truth, classCount: 2),
                                                       settings: settings, stream: UInt64(i)).resamples
                }
            }
            rows.append(("100k × 3 variants, 5 slices, all metrics, \(resamples) resamples", largeTime, ""))
            if let numpy = reference("numpy_bootstrap_all_100k") {
                rows.append(("  numpy hand-vectorised, the same 21 metrics, same slices (reference)", numpy, Self.ratio(numpy, largeTime)))
            }
            if let numpy = reference("numpy_bootstrap_100k") {
                rows.append(("  numpy hand-vectorised, 5 confusion metrics only (information)", numpy, Self.ratio(numpy, largeTime)))
            }
            let pairs = [(0, 1), (0, 2), (1, 2)]
            let comparisonTime = try Self.seconds {
                let named = largeSlices.enumerated().map { ("slice \($0)", EvaluationSlice(members: $1, truth: outcomes[0].truth, classCount: 2)) }
                // The pairs reuse the resamples drawn for the intervals (all variants on the same ones).
                let shared = resampled
                _ = try StatisticsParallel.map(pairs) { a, b in
                    Result { try PairedComparison.compare(baseline: outcomes[a], candidate: outcomes[b], slices: named, settings: ComparisonSettings(bootstrap: settings),
                                                          resampled: shared.map { [$0[a], $0[b]] }) }
                }.map { try $0.get() }
            }
            rows.append(("100k: paired comparisons of the 3 pairs, 5 slices (McNemar, Holm, intervals)", comparisonTime, ""))
            rows.append(("100k total (metrics + comparisons); goal < 2 s", largeTime + comparisonTime, ""))

            // 3. Slice discovery against sliceline on the same error vectors.
            for size in ["20k", "200k"] {
                let (header, table) = try Self.table(folder.appendingPathComponent("slices-\(size).csv"))
                guard let errorColumn = header.firstIndex(of: "error") else { throw ValidationError("slices-\(size).csv: no error column") }
                let attributes = header.indices.filter { header[$0] != "id" && header[$0] != "error" }
                let dataRows = table.map { row in Dictionary(uniqueKeysWithValues: attributes.map { (header[$0], String(row[$0])) }) }
                let wrong = table.map { $0[errorColumn] != "0" }
                var found: [SliceDiscovery.Found] = []
                let time = Self.seconds {
                    let t = SliceDiscovery.Table(rows: dataRows, order: attributes.map { header[$0] })
                    found = SliceDiscovery.find(t, wrong: wrong, settings: .init(maxDegree: 3, minSupport: wrong.count / 100, scoring: .sliceline(alpha: 0.95, k: 10)))
                }
                var same = "sliceline's top slices not found in WORKDIR"
                if let data = try? Data(contentsOf: folder.appendingPathComponent("sliceline-top-\(size).json")),
                   let theirs = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any], let top = theirs["top"] as? [[String: Any]] ?? (theirs["slices"] as? [[String: Any]]) {
                    let theirNames = top.map { ($0["slice"] as? [String: String] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " & ") }
                    let ours = found.map { $0.predicates.sorted { $0.attribute < $1.attribute }.map(\.description).joined(separator: " & ") }
                    same = ours == theirNames ? "same \(ours.count) top slices as sliceline, same order" : "DIFFERENT top slices from sliceline: ours \(ours) theirs \(theirNames)"
                }
                rows.append(("slice discovery \(size) × 6 attributes, degree ≤ 3 (sliceline scoring)", time, same))
                if let reference = reference("sliceline_\(size)") {
                    rows.append(("  sliceline.Slicefinder, same data (reference)", reference, Self.ratio(reference, time)))
                }
            }

            let cpu = CPUInfo.modelName
            switch format {
            case .json:
                struct Row: Encodable { var what: String; var seconds: Double; var note: String }
                struct Output: Encodable { var cpu: String; var rows: [Row] }
                print(try JSONOutput.string(Output(cpu: cpu, rows: rows.map { Row(what: $0.0, seconds: $0.1, note: $0.2) })))
            case .table:
                print("statistics benchmark on \(cpu) (\(CPUCores.available) cores); Python timings from \(referenceURL.path)")
                for (what, seconds, note) in rows {
                    print(what.padding(toLength: 76, withPad: " ", startingAt: 0) + String(format: "%8.3f s  ", seconds) + note)
                }
            }
        }

        /// "Stratum 3.1× faster" / "Stratum 1.2× slower" for a reference time and ours.
        static func ratio(_ reference: Double, _ ours: Double) -> String {
            String(format: "Stratum %.2f× %@", max(reference / ours, ours / reference), reference >= ours ? "faster" : "slower")
        }

        /// overall + one slice per value of `attribute`, as sample indices.
        static func slices(_ workload: Workload, attribute: String) -> [[Int32]] {
            var groups: [String: [Int32]] = [:]
            for (i, row) in workload.attributes.enumerated() { groups[row[attribute] ?? "", default: []].append(Int32(i)) }
            return [Array(0..<Int32(workload.attributes.count))] + groups.keys.sorted().map { groups[$0]! }
        }
    }
}

/// `try #require`-like unwrap for the bench (no test framework here).
private func _require<T>(_ value: T?) throws -> T {
    guard let value else { throw ValidationError("the workload has no variant") }
    return value
}
