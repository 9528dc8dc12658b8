import ArgumentParser
import Foundation
import StratumCore
import StratumData
import StratumImaging
import StratumModelProcess
import StratumEngine
import StratumModelTFJS
import StratumModelONNX
import StratumRunner

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks; every figure is printed next to a reference measured in the same run.",
        subcommands: [PluginOverhead.self, TFJS.self, Stats.self, StoreWrites.self])

    struct PluginOverhead: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "plugin-overhead",
            abstract: "Images/second of one model in-process and through the `process` kind (`stratum serve`), same batches.")

        @Option(help: "The model (any kind `stratum serve` can load).")
        var model: String = "Experiments/data/models/logistic-baseline.json"

        @Option(help: "A manifest whose images are used.")
        var manifest: String = "Experiments/data/faces/manifest.csv"

        @Option(help: "Number of images.")
        var count: Int = 320

        @Option(help: "Images per batch.")
        var batchSize: Int = 32

        @Option(help: "Timed repetitions (the median is reported).")
        var repeats: Int = 7

        @Option(help: "Also time this plugin folder (e.g. Experiments/plugins/python-numpy), for information.")
        var plugin: String?

        @Option(help: "Output format: table or json (one object: the input, a rate and ratio per row, the overhead).")
        var format: OutputFormat = .table

        func run() throws {
            do {
                let modelURL = URL(fileURLWithPath: model)
                guard let kind = ModelRegistry.standard.kind(of: modelURL) else { throw ValidationError("cannot tell the kind of \(model)") }
                let local = try ModelRegistry.standard.loader(for: kind).load(ModelSpec(name: "in-process", kind: kind, path: modelURL))
                let dataset = try ManifestReader.read(URL(fileURLWithPath: manifest), columns: ManifestColumns(label: "sex"))
                let images = try dataset.samples.prefix(count).map { try ImageFile.read($0.url) }
                let batches = stride(from: 0, to: images.count, by: batchSize).map {
                    Preprocessor.batch(Array(images[$0..<min(images.count, $0 + batchSize)]), for: local.descriptor.input)
                }
                let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
                let served = try ProcessClassifier(name: "served", launch: PluginLaunch(command: [executable, "serve", modelURL.path],
                                                                                        directory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)),
                                                   contentHash: "")
                defer { served.close() }
                var rows: [(String, Double)] = []
                // Repetitions alternate between the two so that machine noise hits both alike.
                let paired = try Self.interleaved([local, served], batches, repeats)
                let reference = paired[0]
                rows.append(("\(kind) in-process (reference)", reference))
                rows.append(("\(kind) via process kind (stratum serve)", paired[1]))
                if let plugin {
                    let python = try ProcessLoader().load(ModelSpec(name: "plugin", kind: "process", path: URL(fileURLWithPath: plugin)))
                    defer { python.close() }
                    rows.append(("plugin \(URL(fileURLWithPath: plugin).lastPathComponent) (other implementation)", try Self.throughput(python, batches, repeats)))
                }
                let overhead = (reference / rows[1].1 - 1) * 100
                let perImage = (1 / rows[1].1 - 1 / reference) * 1e6
                let input = local.descriptor.input
                let bytes = input.width * input.height * input.channels * 4
                if format == .json {
                    struct Row: Encodable { var name: String; var imagesPerSecond: Double; var ratioToReference: Double }
                    struct Output: Encodable {
                        var images: Int; var width: Int; var height: Int; var channels: Int; var batchSize: Int; var repeats: Int
                        var rows: [Row]; var overheadPercent: Double; var overheadMicrosecondsPerImage: Double; var bytesPerImage: Int
                    }
                    print(try JSONOutput.string(Output(images: images.count, width: input.width, height: input.height, channels: input.channels, batchSize: batchSize,
                                                       repeats: repeats, rows: rows.map { Row(name: $0.0, imagesPerSecond: $0.1, ratioToReference: $0.1 / reference) },
                                                       overheadPercent: overhead, overheadMicrosecondsPerImage: perImage, bytesPerImage: bytes)))
                    return
                }
                print("plugin overhead: \(images.count) images of \(input.width)×\(input.height)×\(input.channels), batch \(batchSize), median of \(repeats)")
                for (name, rate) in rows {
                    let ratio = rate / reference
                    print(name.padding(toLength: 52, withPad: " ", startingAt: 0) + String(format: "%10.0f images/s   %.3f× reference", rate, ratio))
                }
                print(String(format: "protocol overhead: %+.1f%% time per image, i.e. %.1f µs per image of %d bytes (a fixed cost, independent of the model's own compute)", overhead, perImage, bytes))
            } catch let error as ValidationError {
                throw error
            } catch {
                throw report(error)
            }
        }

        /// Median images/second of each classifier, timing them in turn within every repetition.
        static func interleaved(_ classifiers: [any ImageClassifier], _ batches: [ImageBatch], _ repeats: Int) throws -> [Double] {
            let images = batches.reduce(0) { $0 + $1.count }
            for classifier in classifiers { _ = try batches.map(classifier.predict) }
            var rates = [[Double]](repeating: [], count: classifiers.count)
            for _ in 0..<max(1, repeats) {
                for (index, classifier) in classifiers.enumerated() {
                    let start = DispatchTime.now().uptimeNanoseconds
                    for batch in batches { _ = try classifier.predict(batch) }
                    rates[index].append(Double(images) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
                }
            }
            return rates.map { $0.sorted()[$0.count / 2] }
        }

        static func throughput(_ classifier: any ImageClassifier, _ batches: [ImageBatch], _ repeats: Int) throws -> Double {
            let images = batches.reduce(0) { $0 + $1.count }
            _ = try batches.map(classifier.predict) // warm-up
            var rates: [Double] = []
            for _ in 0..<max(1, repeats) {
                let start = DispatchTime.now().uptimeNanoseconds
                for batch in batches { _ = try classifier.predict(batch) }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                rates.append(Double(images) / seconds)
            }
            return rates.sorted()[rates.count / 2]
        }
    }
}

extension BenchCommand {
    struct TFJS: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tfjs",
            abstract: "Images/second and GFLOP/s of TensorFlow.js and ONNX models on the engine at batch 1 and 32.",
            discussion: """
            With --reference (JSON from scripts/bench_onnxruntime.py: {model: {batch: images_per_second}}), prints each figure as a \
            ratio to onnxruntime's, measured in the same run. A model ending in .onnx is loaded by the onnx kind: onnxruntime and \
            Stratum then run the very same file. Its reference name is its folder's name for a model.onnx, else the file name \
            without extension. GFLOP/s are also given as a share of this CPU's peak for the kernels in use, measured first: a loop \
            of independent FMAs on the kernels' widest vectors (16 lanes with AVX-512, else 8), on every core this process may \
            use at once. (/proc/cpuinfo's clock is the base clock on virtual machines, well below what the cores run at.)
            """)

        @Option(help: "model folder or .onnx file=normalization, repeatable.")
        var model: [String] = ["Experiments/models/small-cnn=unit", "Experiments/models/automl-mobilenet=symmetric",
                               "Experiments/models/automl-mobilenet/model.onnx=symmetric",
                               "Experiments/models/torch-mobilenetv3/model.onnx=imagenet", "Tests/Fixtures/onnx/nets/resnet_style.onnx=imagenet"]

        @Option(help: "A manifest whose images are used.")
        var manifest: String = "Experiments/data/faces/manifest.csv"

        @Option(help: "Images per timed pass.")
        var count: Int = 512

        @Option(help: "Timed repetitions (the median is reported).")
        var repeats: Int = 5

        @Option(help: "Batch size to time, repeatable. (default: 1 and 32)")
        var batch: [Int] = []

        @Option(help: "onnxruntime's figures from the same run (JSON).")
        var reference: String?

        @Option(help: ArgumentHelp("A shell command serving onnxruntime's passes one at a time, alternated with Stratum's.",
                                   discussion: "scripts/bench_onnxruntime.py --serve, run with a Python that has onnxruntime. Each ratio is then the median over --repeats pairs of passes run a fraction of a second apart, the order within a pair alternating.",
                                   valueName: "command"))
        var referenceServer: String?

        @Option(help: "table or json (one object: engine and a result per model and batch size).")
        var format: OutputFormat = .table

        func validate() throws {
            if let bad = batch.first(where: { $0 < 1 }) { throw ValidationError("--batch \(bad): a batch holds at least one image") }
            if count < 1 { throw ValidationError("--count \(count): at least one image is needed") }
            if reference != nil && referenceServer != nil { throw ValidationError("--reference and --reference-server: give one of them") }
        }

        func run() throws {
            do {
                var referenceRates: [String: [String: Double]] = [:]
                if let reference {
                    guard let data = FileManager.default.contents(atPath: reference),
                          let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                        throw ValidationError("cannot read the reference figures in \(reference)")
                    }
                    for (model, value) in object {
                        guard let rates = value as? [String: Any] else { continue }
                        referenceRates[model] = rates.compactMapValues { ($0 as? NSNumber)?.doubleValue }
                    }
                }
                let server = try referenceServer.map { try PairedReference(command: $0) }
                let dataset = try ManifestReader.read(URL(fileURLWithPath: manifest), columns: ManifestColumns(label: "sex"))
                let images = try dataset.samples.prefix(count).map { try ImageFile.read($0.url) }
                let peak = SIMDSupport.measuredPeakGFLOPS().map { (gflops: $0, cores: CPUCores.available, megahertz: Self.clockMegahertz()) }
                if format == .table {
                    print("engine: \(SIMDSupport.description); BLAS fallback: \(BLAS.backend)")
                    if let peak {
                        print(String(format: "peak here: %.0f GFLOP/s measured (FMA loop, %d-lane vectors, %d cores at once; /proc/cpuinfo clock %.0f MHz)",
                                     peak.gflops, SIMDSupport.hasAVX512 ? 16 : 8, peak.cores, peak.megahertz ?? 0))
                    }
                }
                var results: [[String: Any]] = []
                for entry in model {
                    let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
                    let path = URL(fileURLWithPath: parts[0])
                    let normalize = parts.count > 1 ? parts[1] : "unit"
                    let isONNX = path.pathExtension.lowercased() == "onnx"
                    let key = isONNX ? (path.lastPathComponent == "model.onnx" ? path.deletingLastPathComponent().lastPathComponent : path.deletingPathExtension().lastPathComponent)
                        : path.lastPathComponent
                    let name = isONNX ? "\(key) (onnx)" : key
                    let classifier: any ImageClassifier
                    if isONNX {
                        var options = ["normalize": normalize]
                        if try ONNXModel(contentsOf: path).labels == nil { options["labels"] = "female,male" }
                        classifier = try ONNXLoader().load(ModelSpec(name: name, kind: "onnx", path: path, options: options))
                    } else {
                        classifier = try TFJSLoader().load(ModelSpec(name: name, kind: "tfjs", path: path, options: ["normalize": normalize]))
                    }
                    FlopCounter.shared.start()
                    _ = try classifier.predict(Preprocessor.batch([images[0]], for: classifier.descriptor.input))
                    let flopsPerImage = FlopCounter.shared.stop()
                    for batchSize in batch.isEmpty ? [1, 32] : batch {
                        let batches = stride(from: 0, to: images.count, by: batchSize).map {
                            Preprocessor.batch(Array(images[$0..<min(images.count, $0 + batchSize)]), for: classifier.descriptor.input)
                        }
                        let rate: Double
                        var paired: (reference: Double, ratios: [Double])?
                        if let server {
                            let timed = try Self.pairedThroughput(classifier, batches, repeats, reference: server, key: key)
                            rate = Self.median(timed.ours)
                            paired = (Self.median(timed.theirs), zip(timed.ours, timed.theirs).map { $0 / $1 })
                        } else {
                            rate = try PluginOverhead.throughput(classifier, batches, repeats)
                        }
                        var result: [String: Any] = ["model": name, "batch": batchSize, "images_per_second": rate,
                                                     "gflops": rate * flopsPerImage / 1e9, "mflop_per_image": flopsPerImage / 1e6]
                        var line = "\(name) batch \(batchSize)".padding(toLength: 36, withPad: " ", startingAt: 0)
                            + String(format: "%8.1f images/s  %6.2f GFLOP/s (%.1f MFLOP/image)", rate, rate * flopsPerImage / 1e9, flopsPerImage / 1e6)
                        if let peak {
                            let share = rate * flopsPerImage / 1e9 / peak.gflops
                            line += String(format: " %4.1f%% of peak", 100 * share)
                            result["share_of_peak"] = share
                        }
                        if let paired {
                            let ratio = Self.median(paired.ratios)
                            line += String(format: "   onnxruntime %8.1f images/s → %.2f× onnxruntime (%d paired passes %.2f–%.2f)", paired.reference, ratio,
                                           paired.ratios.count, paired.ratios.min() ?? 0, paired.ratios.max() ?? 0)
                            result["reference_images_per_second"] = paired.reference
                            result["ratio"] = ratio
                            result["paired_ratios"] = paired.ratios
                        } else if let theirs = referenceRates[key]?[String(batchSize)] {
                            line += String(format: "   onnxruntime %8.1f images/s → %.2f× onnxruntime", theirs, rate / theirs)
                            result["reference_images_per_second"] = theirs
                            result["ratio"] = rate / theirs
                        }
                        if format == .table { print(line) }
                        results.append(result)
                    }
                }
                if format == .json {
                    var object: [String: Any] = ["engine": SIMDSupport.description, "blas": BLAS.backend, "images": images.count, "repeats": repeats,
                                                 "paired": server != nil, "results": results]
                    if let peak { object["peak_gflops"] = peak.gflops }
                    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
                    print(String(decoding: data, as: UTF8.self))
                }
                if ProfileMode.current == .pool {
                    if #available(macOS 15.0, *) { print(PoolProfile.shared.report()) }
                } else if ProfileMode.current.timesOps {
                    print(TFJSModel.profile); print(ONNXModel.profile)
                }
            } catch let error as ValidationError {
                throw error
            } catch {
                throw report(error)
            }
        }

        /// How long each pass of a pair waits first: the other side's threads spin for a while
        /// after their last op and must have gone to sleep. Stratum's spin for up to 2 ms;
        /// onnxruntime's pool used ~40 ms of CPU in the 50 ms after a pass, none after. With
        /// 20 ms, every Stratum pass that followed an onnxruntime pass ran 15–25% slower than
        /// one that followed its own.
        static let pause: TimeInterval = 0.2

        /// Stratum's and the reference's images/second over `repeats` pairs of passes, after a
        /// warm-up of each. Within a pair the two passes run one right after the other (after
        /// `pause`), which goes first alternating from pair to pair.
        static func pairedThroughput(_ classifier: any ImageClassifier, _ batches: [ImageBatch], _ repeats: Int, reference: PairedReference,
                                     key: String) throws -> (ours: [Double], theirs: [Double]) {
            let images = batches.reduce(0) { $0 + $1.count }
            let batchSize = batches.first?.count ?? 1
            _ = try batches.map(classifier.predict) // warm-up
            _ = try reference.pass(model: key, batch: batchSize, images: images) // its session, warm-up and one pass
            var ours: [Double] = [], theirs: [Double] = []
            for pair in 0..<max(1, repeats) {
                for side in pair % 2 == 0 ? [0, 1] : [1, 0] {
                    Thread.sleep(forTimeInterval: Self.pause)
                    if side == 1 {
                        theirs.append(try reference.pass(model: key, batch: batchSize, images: images))
                    } else {
                        let start = DispatchTime.now().uptimeNanoseconds
                        for batch in batches { _ = try classifier.predict(batch) }
                        ours.append(Double(images) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
                    }
                }
            }
            return (ours, theirs)
        }

        static func median(_ values: [Double]) -> Double {
            let sorted = values.sorted()
            guard !sorted.isEmpty else { return 0 }
            return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        }

        /// The mean of /proc/cpuinfo's 'cpu MHz' lines (nil when it cannot be read).
        static func clockMegahertz() -> Double? {
            guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
            let clocks = info.split(separator: "\n").filter { $0.hasPrefix("cpu MHz") }.compactMap { Double($0.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "") }
            return clocks.isEmpty ? nil : clocks.reduce(0, +) / Double(clocks.count)
        }
    }
}
