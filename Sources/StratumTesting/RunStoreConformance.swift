import Foundation
import StratumCore
import StratumMetrics
import StratumStore

/// Checks the contract of `RunStore` (see its documentation) on a fresh, empty store; every
/// implementation's tests run it. Returns the violations found (empty when it conforms).
public enum RunStoreConformance {
    public static func violations(of store: any RunStore) -> [String] {
        var problems: [String] = []
        func check(_ what: String, _ body: () throws -> Bool) {
            do {
                if try !body() { problems.append(what) }
            } catch {
                problems.append("\(what): threw \(error)")
            }
        }
        let me = RunLease.current
        let gone = RunLease(host: "elsewhere", processSpace: "another-space", pid: 1, processStart: "0")
        var runID: RunID = -1
        check("run numbers count up per experiment from 1") {
            let a1 = try store.beginRun(experiment: "a", spec: "s", specHash: "h", gitCommit: nil, lease: me)
            let a2 = try store.beginRun(experiment: "a", spec: "s", specHash: "h", gitCommit: nil, lease: gone)
            let b1 = try store.beginRun(experiment: "b", spec: "s", specHash: "h", gitCommit: nil, lease: me)
            runID = a1.id
            return (a1.number, a2.number, b1.number) == (1, 2, 1) && Set([a1.id, a2.id, b1.id]).count == 3 && a1.experiment == "a"
        }
        check("concurrent writers never share a run number") {
            let numbers = ConcurrentResults<Int>(count: 8)
            DispatchQueue.concurrentPerform(iterations: 8) { index in
                numbers.set(index, Result { try store.beginRun(experiment: "c", spec: "", specHash: "", gitCommit: nil, lease: me).number })
            }
            return try Set(numbers.values()) == Set(1...8)
        }
        check("a run's settings are recorded once: later ones get the first back") {
            let first = try store.recordSettings(runID, "{\"seed\":1}")
            let second = try store.recordSettings(runID, "{\"seed\":2}")
            let concurrent = ConcurrentResults<String>(count: 6)
            let fresh = try store.beginRun(experiment: "settings", spec: "", specHash: "", gitCommit: nil, lease: me).id
            DispatchQueue.concurrentPerform(iterations: 6) { index in
                concurrent.set(index, Result { try store.recordSettings(fresh, "{\"seed\":\(index)}") })
            }
            let unknown = (try? store.recordSettings(RunID(rawValue: 9_999_999), "{}")) == nil
            let settled = Set(try concurrent.values())
            return first == "{\"seed\":1}" && second == first && settled.count == 1 && unknown
        }
        var sampleIDs: [String: SampleID] = [:]
        var variantID: VariantID = -1
        check("a dataset's samples get ids, and storing it again gives the same ones") {
            let samples = ["x", "y"].map { Sample(id: $0, url: URL(fileURLWithPath: "/d/\($0).png"), relativePath: "\($0).png", label: "f", split: "test", attributes: [:], line: 2) }
            sampleIDs = try store.storeDataset(manifestPath: "/d/m.csv", manifestHash: "mh", labelColumn: "sex", labels: ["f", "m"], samples: samples, runID: runID).sampleIDs
            let again = try store.storeDataset(manifestPath: "/d/m.csv", manifestHash: "mh", labelColumn: "sex", labels: ["f", "m"], samples: samples, runID: runID).sampleIDs
            let hash = try store.datasetHash(runID: runID)
            let only = try store.storeDataset(manifestPath: "/d/m.csv", manifestHash: "mh", labelColumn: "sex", labels: ["f", "m"], samples: samples,
                                              runID: runID, returningIDsOf: ["y", "not-a-sample"]).sampleIDs
            return sampleIDs.count == 2 && again == sampleIDs && hash == "mh" && only == ["y": sampleIDs["y"] ?? -1]
        }
        check("each run keeps its own class list for a dataset another experiment stored first") {
            let samples = ["x", "y"].map { Sample(id: $0, url: URL(fileURLWithPath: "/d/\($0).png"), relativePath: "\($0).png", label: "f", split: "test", attributes: [:], line: 2) }
            let other = try store.beginRun(experiment: "other", spec: "", specHash: "", gitCommit: nil, lease: me).id
            _ = try store.storeDataset(manifestPath: "/d/m.csv", manifestHash: "mh", labelColumn: "sex", labels: ["m", "f", "x"], samples: samples, runID: other)
            return try store.datasetLabels(runID: runID) == ["f", "m"] && store.datasetLabels(runID: other) == ["m", "f", "x"]
        }
        check("a prediction is unique per run, variant and sample; a batch holding a duplicate stores nothing") {
            variantID = try store.insertVariant(runID: runID, name: "v", kind: "k", path: "/m", fileHash: nil, labels: ["f", "m"])
            let x = sampleIDs["x"] ?? -1, y = sampleIDs["y"] ?? -1
            try store.insertPredictions([StoredPrediction(runID: runID, variantID: variantID, sampleID: x, predicted: "f", probabilities: [0.9, 0.1])])
            let duplicate = (try? store.insertPredictions([
                StoredPrediction(runID: runID, variantID: variantID, sampleID: y, predicted: "m", probabilities: [0.2, 0.8]),
                StoredPrediction(runID: runID, variantID: variantID, sampleID: x, predicted: "m", probabilities: [0.2, 0.8]),
            ])) == nil
            let stored = try store.predictedLabels(runID: runID, variantID: variantID)
            return duplicate && stored == [x: "f"]
        }
        check("the variant records the file and hash it ran") {
            let first = try store.updateVariant(variantID, path: "/m2", fileHash: "fh", labels: ["f", "m"])
            let variant = try store.variants(runID: runID).first
            return first == nil && variant?.path == "/m2" && variant?.fileHash == "fh"
        }
        check("another model file is refused once one is recorded, and nothing is written") {
            let same = try store.updateVariant(variantID, path: "/m2", fileHash: "fh", labels: ["f", "m"])
            let other = try store.updateVariant(variantID, path: "/other", fileHash: "other", labels: ["f", "m"])
            let variant = try store.variants(runID: runID).first
            return same == nil && other == "fh" && variant?.path == "/m2" && variant?.fileHash == "fh"
        }
        check("unreadable samples are recorded with their reason") {
            try store.insertUnreadableSamples(runID: runID, [(sampleIDs["y"] ?? -1, "y.png: truncated")])
            return try store.unreadableSamples(runID: runID).map(\.reason) == ["y.png: truncated"]
        }
        check("unreadable samples can be forgotten (a resume decodes them again), one by one") {
            try store.insertUnreadableSamples(runID: runID, [(sampleIDs["x"] ?? -1, "x.png: truncated")])
            try store.deleteUnreadableSamples(runID: runID, [sampleIDs["x"] ?? -1, 987_654])
            return try store.unreadableSamples(runID: runID).map(\.reason) == ["y.png: truncated"]
        }
        check("image fingerprints keep all 64 bits, and a later one replaces an earlier one (also within one batch)") {
            let x = sampleIDs["x"] ?? -1, y = sampleIDs["y"] ?? -1
            try store.insertImageFingerprints(runID: runID, [(x, 1), (y, UInt64.max)])
            try store.insertImageFingerprints(runID: runID, [(x, 0x8000_0000_0000_0001), (x, 0xfeed_face_cafe_beef)])
            return try store.imageFingerprints(runID: runID) == [x: 0xfeed_face_cafe_beef, y: UInt64.max]
        }
        check("derived results can be cleared and written again") {
            try store.clearDerivedResults(runID, heldBy: me)
            let ids = try store.insertSlices(runID: runID, heldBy: me, [("overall", "true", [], [sampleIDs["x"] ?? -1])])
            try store.clearDerivedResults(runID, heldBy: me)
            let again = try store.insertSlices(runID: runID, heldBy: me, [("overall", "true", [], [sampleIDs["x"] ?? -1]),
                                                             ("a=b & c", "(a == 'b & c')", [.attribute("a", value: "b & c")], [])])
            let slices = try store.slices(runID: runID)
            return ids.count == 1 && again.count == 2 && slices.count == 2 && slices[1].parts == [.attribute("a", value: "b & c")]
        }
        check("a run whose holder is gone is marked interrupted; a live one is not") {
            try store.heartbeat(runID, heldBy: me, at: Date())
            let marked = try store.reconcileInterruptedRuns(observer: me, now: Date().addingTimeInterval(RunLease.expiry + 60))
            let statuses = try store.listRuns(experiment: "a").map(\.status)
            return marked.map(\.number) == [2] && statuses == ["running", "interrupted"]
        }
        check("an interrupted run can be resumed once (a second taker is refused) and finished") {
            let interrupted = try store.run(experiment: "a", number: 2).run
            let first = try store.resumeRun(interrupted.id, lease: me)
            let second = try store.resumeRun(interrupted.id, lease: RunLease(host: "elsewhere", processSpace: "x", pid: 7, processStart: "1"))
            try store.finishRun(interrupted.id, status: .completed, error: nil)
            let status = try store.run(experiment: "a", number: nil).run.status
            return first && !second && status == .completed
        }
        check("only the process holding a running run can mark it failed") {
            let run = try store.beginRun(experiment: "a", spec: "s", specHash: "h", gitCommit: nil, lease: me)
            try store.failRun(run.id, error: "lost it", heldBy: RunLease(host: "elsewhere", processSpace: "x", pid: 7, processStart: "1"))
            let untouched = try store.run(experiment: "a", number: run.number).run.status == .running
            try store.failRun(run.id, error: "mine", heldBy: me)
            let failed = try store.run(experiment: "a", number: run.number).run
            return untouched && failed.status == .failed && failed.error == "mine"
        }
        check("a sharded run whose shards are all done lives while its finisher (who completed the last shard) does") {
            let join = try store.joinShardedRun(experiment: "sharded", spec: "s", specHash: "h", gitCommit: nil, key: "k", shardCount: 2, shardIndex: 0,
                                                lease: gone, now: Date())
            _ = try store.joinShardedRun(experiment: "sharded", spec: "s", specHash: "h", gitCommit: nil, key: "k", shardCount: 2, shardIndex: 1,
                                         lease: me, now: Date())
            let first = try store.finishShard(join.run.id, index: 0, lease: gone, now: Date())
            let last = try store.finishShard(join.run.id, index: 1, lease: me, now: Date())
            // Shard 0 run again meanwhile: the live finisher keeps the run.
            let again = try store.finishShard(join.run.id, index: 0, lease: gone, now: Date())
            try store.reconcileInterruptedRuns(observer: me, now: Date())
            let whileAlive = try store.run(experiment: "sharded", number: nil).run
            // A holder that is gone (its lease last renewed long ago, on another machine) is
            // replaced by a shard run again; once that one is gone too, the run is stuck.
            let takeover = try store.finishShard(join.run.id, index: 1, lease: gone, now: Date().addingTimeInterval(RunLease.expiry + 60))
            try store.reconcileInterruptedRuns(observer: me, now: Date().addingTimeInterval(2 * (RunLease.expiry + 60)))
            let afterwards = try store.run(experiment: "sharded", number: nil).run
            return first == (1, 2, false) && last == (2, 2, true) && again == (2, 2, false) && whileAlive.status == .running && whileAlive.lease == me
                && takeover == (2, 2, true) && afterwards.status == .interrupted && afterwards.error?.contains("finalize") == true
        }
        check("a heartbeat renews only the lease of the process holding the run or shard") {
            let holder = RunLease(host: "node-3", processSpace: "boot-3/pid:[1]", pid: 42, processStart: "9")
            let start = Date()
            let run = try store.beginRun(experiment: "beats", spec: "s", specHash: "h", gitCommit: nil, lease: holder)
            let byHolder = try store.heartbeat(run.id, heldBy: holder, at: start)
            let byOther = try store.heartbeat(run.id, heldBy: gone, at: start.addingTimeInterval(RunLease.expiry))
            let join = try store.joinShardedRun(experiment: "beats-sharded", spec: "s", specHash: "h", gitCommit: nil, key: "k", shardCount: 2,
                                                shardIndex: 0, lease: holder, now: start)
            let shardByHolder = try store.shardHeartbeat(join.run.id, index: 0, heldBy: holder, at: start)
            let shardByOther = try store.shardHeartbeat(join.run.id, index: 0, heldBy: gone, at: start.addingTimeInterval(RunLease.expiry))
            // Judged just after the holder's last renewal expired: the other's beats kept nothing alive.
            try store.reconcileInterruptedRuns(observer: me, now: start.addingTimeInterval(RunLease.expiry + 1))
            let status = try store.run(experiment: "beats", number: nil).run.status
            let shard = try store.shards(runID: join.run.id).first?.status
            return byHolder && !byOther && shardByHolder && !shardByOther && status == .interrupted && shard == .interrupted
        }
        check("only the holder of a run may store its slices and metrics; nothing is written for another") {
            let run = try store.beginRun(experiment: "derived", spec: "s", specHash: "h", gitCommit: nil, lease: me)
            let other = RunLease(host: "elsewhere", processSpace: "x", pid: 7, processStart: "1")
            let variant = try store.insertVariant(runID: run.id, name: "v", kind: "k", path: "/m", fileHash: nil, labels: ["f", "m"])
            var refused = 0
            do { _ = try store.insertSlices(runID: run.id, heldBy: other, [("overall", "true", [], [])]) } catch is RunLostError { refused += 1 }
            let slices = try store.insertSlices(runID: run.id, heldBy: me, [("overall", "true", [], [])])
            let outcomes = VariantOutcomes(labels: ["f", "m"], truth: [0], predicted: [0], probabilities: [0.9, 0.1])
            let metrics = MetricSuite.evaluate(outcomes, slice: EvaluationSlice(members: [0], truth: [0], classCount: 2))
            let sliceID = slices["overall"] ?? -1
            do { try store.insertMetrics(runID: run.id, variantID: variant, heldBy: other, [(sliceID, metrics)]) } catch is RunLostError { refused += 1 }
            let before = try store.allMetrics(runID: run.id).count
            try store.insertMetrics(runID: run.id, variantID: variant, heldBy: me, [(sliceID, metrics)])
            let stored = (slices: try store.slices(runID: run.id).count, metrics: try store.allMetrics(runID: run.id).count)
            return refused == 2 && stored.slices == 1 && before == 0 && stored.metrics > 0
        }
        check("only the holder of a run or of one of its shards may store its predictions or a variant's status; nothing is written for another") {
            let other = RunLease(host: "elsewhere", processSpace: "x", pid: 7, processStart: "1")
            let run = try store.beginRun(experiment: "held-writes", spec: "s", specHash: "h", gitCommit: nil, lease: me)
            let samples = [Sample(id: "a", url: URL(fileURLWithPath: "/d/a.png"), relativePath: "a.png", label: "f", split: "test", attributes: [:], line: 2)]
            let ids = try store.storeDataset(manifestPath: "/m.csv", manifestHash: "mh", labelColumn: "sex", labels: ["f", "m"],
                                             samples: samples, runID: run.id).sampleIDs
            let variant = try store.insertVariant(runID: run.id, name: "v", kind: "k", path: "/m", fileHash: nil, labels: ["f", "m"])
            let prediction = StoredPrediction(runID: run.id, variantID: variant, sampleID: ids["a"] ?? -1, predicted: "f", probabilities: [0.9, 0.1])
            var refused = 0
            do { try store.insertPredictions([prediction], heldBy: other) } catch is RunLostError { refused += 1 }
            do { try store.setVariantStatus(variant, .failed, error: "stale", heldBy: other) } catch is RunLostError { refused += 1 }
            let untouched = try store.predictions(runID: run.id).isEmpty && store.variants(runID: run.id).first?.status == .running
            try store.insertPredictions([prediction], heldBy: me)
            try store.setVariantStatus(variant, .completed, error: nil, heldBy: me)
            // A shard's process holds its shard, not the run: it may write the run's predictions.
            let join = try store.joinShardedRun(experiment: "held-writes-sharded", spec: "s", specHash: "h", gitCommit: nil, key: "k", shardCount: 2,
                                                shardIndex: 1, lease: other, now: Date())
            let shardIDs = try store.storeDataset(manifestPath: "/m.csv", manifestHash: "mh", labelColumn: "sex", labels: ["f", "m"],
                                                  samples: samples, runID: join.run.id).sampleIDs
            let shardVariant = try store.insertVariant(runID: join.run.id, name: "v", kind: "k", path: "/m", fileHash: nil, labels: ["f", "m"])
            try store.insertPredictions([StoredPrediction(runID: join.run.id, variantID: shardVariant, sampleID: shardIDs["a"] ?? -1, predicted: "m",
                                                          probabilities: [0.2, 0.8])], heldBy: other)
            try store.setVariantStatus(shardVariant, .failed, error: "no model", heldBy: other)
            var refusedElsewhere = false
            do { try store.setVariantStatus(shardVariant, .completed, error: nil, heldBy: me) } catch is RunLostError { refusedElsewhere = true }
            return try refused == 2 && untouched && refusedElsewhere && store.predictions(runID: run.id).count == 1
                && store.variants(runID: run.id).first?.status == .completed && store.predictions(runID: join.run.id).count == 1
                && store.variants(runID: join.run.id).first?.status == .failed
        }
        check("only the holder of a run may clear its derived results or store its final status") {
            let run = try store.beginRun(experiment: "held", spec: "s", specHash: "h", gitCommit: nil, lease: me)
            let other = RunLease(host: "elsewhere", processSpace: "x", pid: 7, processStart: "1")
            let refusedClear: Bool
            do { try store.clearDerivedResults(run.id, heldBy: other); refusedClear = false } catch is RunLostError { refusedClear = true }
            let refusedFinish = try !store.finishRun(run.id, status: .completed, error: nil, heldBy: other)
            let stillRunning = try store.run(experiment: "held", number: nil).run.status == .running
            try store.clearDerivedResults(run.id, heldBy: me)
            let finished = try store.finishRun(run.id, status: .completed, error: nil, heldBy: me)
            let afterwards = try store.finishRun(run.id, status: .interrupted, error: nil, heldBy: me)
            let status = try store.run(experiment: "held", number: nil).run.status
            return refusedClear && refusedFinish && stillRunning && finished && !afterwards && status == .completed
        }
        return problems
    }
}
