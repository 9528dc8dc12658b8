import Foundation
import StratumRunner
import Testing
import Yams

/// The deployment examples under Experiments/deploy: every Kubernetes document is well formed,
/// the Job's pieces agree with each other, with `--shard` and with postgres.yaml, and the Slurm
/// array script parses and hands `stratum run` the shard and run key it should. No cluster is
/// needed: the YAML is read with Yams, and the script is run by bash with `echo` as stratum.
@Suite struct DeployFilesTests {
    static let deploy = TestSupport.repositoryRoot.appendingPathComponent("Experiments/deploy")
    static let slurmScript = deploy.appendingPathComponent("slurm/stratum-shards.sbatch")

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    // MARK: Kubernetes

    @Test(arguments: [
        ("kubernetes/stratum-shards.yaml", ["Job"]),
        ("kubernetes/postgres.yaml", ["Secret", "Service", "StatefulSet"]),
    ])
    func everyKubernetesDocumentHasAnAPIVersionKindAndName(_ path: String, _ kinds: [String]) throws {
        let documents = try Self.documents(path)
        #expect(documents.map { $0["kind"]?.string ?? "" } == kinds, "\(path): the kinds of its documents")
        for (position, document) in documents.enumerated() {
            for field in ["apiVersion", "kind", "metadata.name"] {
                let value = Self.node(document, field)?.string ?? ""
                #expect(!value.isEmpty, "\(path), document \(position + 1): \(field) is missing")
            }
        }
    }

    /// Both manifests against the Kubernetes API's own schemas (strict: no unknown field), for the
    /// oldest version they support and the newest the validator knows. kubernetes-validate
    /// (PyPI) checks offline; scripts/test.sh installs it and names it in
    /// $STRATUM_TEST_KUBERNETES_VALIDATE.
    @Test(arguments: ["1.29.0", "1.37.0"])
    func theManifestsValidateAgainstTheKubernetesSchemas(_ version: String) throws {
        let validator = ProcessInfo.processInfo.environment["STRATUM_TEST_KUBERNETES_VALIDATE"] ?? ""
        try #require(FileManager.default.isExecutableFile(atPath: validator),
                     "set STRATUM_TEST_KUBERNETES_VALIDATE to kubernetes-validate (pip install kubernetes-validate==1.37.0; scripts/test.sh does)")
        let files = ["kubernetes/stratum-shards.yaml", "kubernetes/postgres.yaml"].map { Self.deploy.appendingPathComponent($0).path }
        let result = try TestSupport.run(validator, ["--strict", "-k", version] + files)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.components(separatedBy: "passed for resource").count - 1 == 4, "\(result.output)")
    }

    @Test func theJobRunsOneShardPerIndexUnderItsOwnName() throws {
        let job = try Self.only("Job", in: Self.documents("kubernetes/stratum-shards.yaml"))
        #expect(Self.node(job, "spec.completionMode")?.string == "Indexed")
        let completions = try Self.int(job, "spec.completions")
        let parallelism = try Self.int(job, "spec.parallelism")
        #expect(completions >= 2)
        #expect(parallelism == completions, "parallelism \(parallelism) ≠ completions \(completions)")

        let pod = try #require(Self.node(job, "spec.template.spec"))
        let restartPolicy = Self.node(pod, "restartPolicy")?.string ?? ""
        #expect(["Never", "OnFailure"].contains(restartPolicy), "restartPolicy '\(restartPolicy)'")
        if Self.node(job, "spec.backoffLimitPerIndex") != nil || Self.node(job, "spec.podFailurePolicy") != nil {
            #expect(restartPolicy == "Never", "backoffLimitPerIndex and podFailurePolicy need restartPolicy Never")
        }

        let containers = Self.node(pod, "containers")?.array() ?? []
        let stratum = try #require(containers.first(where: { Self.commandLine($0).contains("--shard") }), "no container runs stratum with --shard")
        let arguments = Self.commandLine(stratum)
        let shard = try Self.value(after: "--shard", in: arguments)
        #expect(shard == "auto/\(completions)", "--shard \(shard) with \(completions) completions")
        for index in 0..<completions {
            let selection = try ShardSelection.parse(shard, key: "k", environment: ["JOB_COMPLETION_INDEX": String(index)])
            #expect(selection == ShardSelection(index: index, count: completions, key: "k"))
        }

        // The run key is $(VAR), VAR taken from the Job's name: one key per Job, the same in every pod.
        let environment = Self.node(stratum, "env")?.array() ?? []
        func variable(_ name: String) -> Node? { environment.first(where: { $0["name"]?.string == name }) }
        let runKey = try Self.value(after: "--run-key", in: arguments)
        let reference = try #require(runKey.range(of: "$("), "--run-key \(runKey) names no variable")
        let name = String(runKey[reference.upperBound...].prefix { $0 != ")" })
        let fieldPath = variable(name).flatMap { Self.node($0, "valueFrom.fieldRef.fieldPath")?.string } ?? ""
        #expect(["metadata.labels['batch.kubernetes.io/job-name']", "metadata.labels['job-name']"].contains(fieldPath),
                "\(name) comes from '\(fieldPath)', not the Job's name")

        // The store's URL comes from a Secret, and stays off the command line (it holds a password).
        let database = try #require(variable("STRATUM_DB"), "STRATUM_DB is not set")
        let secretName = Self.node(database, "valueFrom.secretKeyRef.name")?.string ?? ""
        let secretKey = Self.node(database, "valueFrom.secretKeyRef.key")?.string ?? ""
        #expect(!secretName.isEmpty && !secretKey.isEmpty, "STRATUM_DB is not from a Secret")
        #expect(!arguments.contains("--db"))

        // The experiment is on a claim mounted read-only.
        let experiment = try Self.value(after: "run", in: arguments)
        let mounts = Self.node(stratum, "volumeMounts")?.array() ?? []
        let mount = try #require(mounts.first(where: { experiment.hasPrefix(($0["mountPath"]?.string ?? "\u{0}") + "/") }),
                                 "\(experiment) is on no mounted volume")
        #expect(mount["readOnly"]?.bool == true, "\(experiment)'s volume is not mounted read-only")
        let volumes = Self.node(pod, "volumes")?.array() ?? []
        let volume = try #require(volumes.first(where: { $0["name"]?.string == mount["name"]?.string }))
        let claim = Self.node(volume, "persistentVolumeClaim.claimName")?.string ?? ""
        #expect(!claim.isEmpty, "\(experiment)'s volume is not a claim")
    }

    @Test func postgresServiceStatefulSetSecretAndJobAgree() throws {
        let documents = try Self.documents("kubernetes/postgres.yaml")
        let secret = try Self.only("Secret", in: documents)
        let service = try Self.only("Service", in: documents)
        let statefulSet = try Self.only("StatefulSet", in: documents)
        let secretName = try Self.string(secret, "metadata.name")
        let serviceName = try Self.string(service, "metadata.name")

        // The Service selects the StatefulSet's pods and forwards to the port PostgreSQL listens on.
        #expect(try Self.string(statefulSet, "spec.serviceName") == serviceName)
        let podLabels = Self.strings(Self.node(statefulSet, "spec.template.metadata.labels"))
        for (owner, selector) in [(service, "spec.selector"), (statefulSet, "spec.selector.matchLabels")] {
            let labels = Self.strings(Self.node(owner, selector))
            #expect(!labels.isEmpty && labels.allSatisfy { podLabels[$0.key] == $0.value },
                    "the \(Self.node(owner, "kind")?.string ?? "")'s \(selector) does not select the pods")
        }
        let port = try Self.int(service, "spec.ports.0.port")
        let targetPort = try #require(Self.node(service, "spec.ports.0.targetPort"))
        let postgres = try #require((Self.node(statefulSet, "spec.template.spec.containers")?.array() ?? []).first)
        let containerPorts = Self.node(postgres, "ports")?.array() ?? []
        let listens = containerPorts.contains(where: { containerPort in
            if let number = targetPort.int { return containerPort["containerPort"]?.int == number }
            return containerPort["name"]?.string == targetPort.string
        })
        #expect(listens, "the Service's targetPort is no port of the container")
        let image = Self.node(postgres, "image")?.string ?? ""
        #expect(image.hasPrefix("postgres:15"), "image \(image)")

        // The URL in the Secret reaches that Service as the user, password and database the container creates.
        func variable(_ name: String) -> Node? { (Self.node(postgres, "env")?.array() ?? []).first(where: { $0["name"]?.string == name }) }
        let url = try #require(URLComponents(string: try Self.string(secret, "stringData.url")), "stringData.url is not a URL")
        #expect(["postgres", "postgresql"].contains(url.scheme ?? ""))
        #expect(url.host == serviceName)
        #expect((url.port ?? 5432) == port)
        #expect(url.user == variable("POSTGRES_USER")?["value"]?.string)
        #expect(url.path == "/" + (variable("POSTGRES_DB")?["value"]?.string ?? ""))
        let password = try #require(variable("POSTGRES_PASSWORD"))
        #expect(Self.node(password, "valueFrom.secretKeyRef.name")?.string == secretName)
        let passwordKey = try #require(Self.node(password, "valueFrom.secretKeyRef.key")?.string)
        #expect(url.password == Self.node(secret, "stringData.\(passwordKey)")?.string)

        // The Job reads STRATUM_DB from this Secret, under a key it has.
        let job = try Self.only("Job", in: Self.documents("kubernetes/stratum-shards.yaml"))
        let jobContainers = Self.node(job, "spec.template.spec.containers")?.array() ?? []
        let jobVariables: [Node] = jobContainers.flatMap { Self.node($0, "env")?.array() ?? [] }
        let database = try #require(jobVariables.first(where: { $0["name"]?.string == "STRATUM_DB" }), "the Job sets no STRATUM_DB")
        #expect(Self.node(database, "valueFrom.secretKeyRef.name")?.string == secretName)
        let urlKey = try #require(Self.node(database, "valueFrom.secretKeyRef.key")?.string)
        #expect(Self.node(secret, "stringData.\(urlKey)")?.string != nil, "the Secret has no key '\(urlKey)'")
    }

    // MARK: Slurm

    @Test func theSlurmScriptParsesAndItsDirectivesComeFirst() throws {
        let check = try Self.bash(["-n", Self.slurmScript.path])
        #expect(check.status == 0, "bash -n: \(check.output)")
        let lines = try String(contentsOf: Self.slurmScript, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "#!/bin/bash")
        // sbatch reads #SBATCH lines only up to the script's first command.
        let firstCommand = lines.firstIndex(where: {
            let line = $0.trimmingCharacters(in: .whitespaces)
            return !line.isEmpty && !line.hasPrefix("#")
        }) ?? lines.count
        let directives = lines.enumerated().filter { $0.element.hasPrefix("#SBATCH ") }
        #expect(directives.allSatisfy { $0.offset < firstCommand }, "an #SBATCH line after the first command is ignored")
        let options = directives.map { $0.element.dropFirst("#SBATCH ".count).trimmingCharacters(in: .whitespaces) }
        for option in ["--array=", "--cpus-per-task=", "--mem=", "--time=", "--output=", "--requeue"] {
            #expect(options.contains(where: { $0.hasPrefix(option) }), "no #SBATCH \(option)")
        }
        #expect(try Self.slurmShardCount() >= 2)
    }

    /// One array task as Slurm starts it; `{N}` stands for the array's size.
    struct SlurmTask: Sendable, CustomTestStringConvertible {
        var name: String
        var environment: [String: String]
        var shard: String
        var runKey: String
        var testDescription: String { name }
    }

    @Test(arguments: [
        SlurmTask(name: "task 1 of the array",
                  environment: ["SLURM_ARRAY_JOB_ID": "1234", "SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_COUNT": "{N}"],
                  shard: "auto", runKey: "slurm-1234"),
        // `sbatch --array=1` of a failed index: Slurm's variables describe an array of one task
        // (as a local slurmctld shows), so the shard count and the first job's key are given.
        SlurmTask(name: "index 1 run again",
                  environment: ["SLURM_ARRAY_JOB_ID": "5678", "SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "1",
                                "STRATUM_RUN_KEY": "slurm-1234", "STRATUM_SHARD_COUNT": "{N}"],
                  shard: "1/{N}", runKey: "slurm-1234"),
    ])
    func theSlurmScriptRunsItsShardUnderTheArraysKey(_ task: SlurmTask) throws {
        let count = String(try Self.slurmShardCount())
        let environment = task.environment.mapValues { $0.replacingOccurrences(of: "{N}", with: count) }
        let result = try Self.bash([Self.slurmScript.path], environment: environment.merging(Self.slurmBasics) { _, basic in basic })
        #expect(result.status == 0, "\(result.output)")
        let line = try #require(result.output.split(separator: "\n").first(where: { $0.hasPrefix("run ") }), "stratum was not run: \(result.output)")
        let arguments = line.split(separator: " ").map(String.init)
        // The experiment last, after `--`: a path starting with "-" is no option.
        #expect(arguments.first == "run" && Array(arguments.suffix(2)) == ["--", "/experiments/demo.yaml"], "\(arguments)")
        let shard = try Self.value(after: "--shard", in: arguments)
        let runKey = try Self.value(after: "--run-key", in: arguments)
        #expect(shard == task.shard.replacingOccurrences(of: "{N}", with: count))
        #expect(runKey == task.runKey)
        #expect(!arguments.contains("--db"), "the URL (with its password) is passed in the environment, not on the command line")
        #expect(!result.output.contains("s3cret"))
        #expect(try ShardSelection.parse(shard, key: runKey, environment: environment) == ShardSelection(index: 1, count: Int(count) ?? 0, key: task.runKey))
    }

    @Test(arguments: ["EXPERIMENT", "STRATUM_DB"])
    func theSlurmScriptRefusesToRunWithout(_ variable: String) throws {
        var environment = Self.slurmBasics.merging(["SLURM_ARRAY_JOB_ID": "1234", "SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "4"]) { _, new in new }
        environment[variable] = nil
        let result = try Self.bash([Self.slurmScript.path], environment: environment)
        #expect(result.status != 0)
        #expect(result.output.contains(variable))
        #expect(!result.output.split(separator: "\n").contains(where: { $0.hasPrefix("run ") }), "stratum ran without \(variable)")
    }

    /// What every task of the script needs; `echo` stands for stratum.
    static let slurmBasics = ["EXPERIMENT": "/experiments/demo.yaml", "STRATUM_DB": "postgres://stratum:s3cret@db:5432/stratum", "STRATUM_BIN": "echo"]

    // MARK: Helpers

    /// Every document of a YAML file under Experiments/deploy.
    static func documents(_ path: String) throws -> [Node] {
        let text = try String(contentsOf: deploy.appendingPathComponent(path), encoding: .utf8)
        var sequence = try Yams.compose_all(yaml: text)
        var documents: [Node] = []
        while let document = sequence.next() { documents.append(document) }
        if let error = sequence.error { throw error }
        return documents
    }

    /// The one document of `kind`.
    static func only(_ kind: String, in documents: [Node]) throws -> Node {
        let found = documents.filter { $0["kind"]?.string == kind }
        guard found.count == 1, let document = found.first else { throw Failure("expected one \(kind), found \(found.count)") }
        return document
    }

    /// The node at a dotted path such as `spec.ports.0.port` (numbers index sequences).
    static func node(_ root: Node, _ path: String) -> Node? {
        var current: Node? = root
        for key in path.split(separator: ".").map(String.init) {
            guard let here = current else { return nil }
            if let index = Int(key), here.sequence != nil {
                let items = here.array()
                current = items.indices.contains(index) ? items[index] : nil
            } else {
                current = here[key]
            }
        }
        return current
    }

    static func string(_ root: Node, _ path: String) throws -> String {
        guard let value = node(root, path)?.string else { throw Failure("\(path) is missing or not a string") }
        return value
    }

    static func int(_ root: Node, _ path: String) throws -> Int {
        guard let value = node(root, path)?.int else { throw Failure("\(path) is missing or not an integer") }
        return value
    }

    /// A mapping of strings (labels, selectors) as a dictionary.
    static func strings(_ mapping: Node?) -> [String: String] {
        var result: [String: String] = [:]
        for pair in mapping?.mapping ?? [:] {
            if let key = pair.key.string, let value = pair.value.string { result[key] = value }
        }
        return result
    }

    /// A container's command followed by its args.
    static func commandLine(_ container: Node) -> [String] {
        (node(container, "command")?.array(of: String.self) ?? []) + (node(container, "args")?.array(of: String.self) ?? [])
    }

    /// The value of `option`, given as `--option VALUE` or `--option=VALUE`.
    static func value(after option: String, in arguments: [String]) throws -> String {
        if let joined = arguments.first(where: { $0.hasPrefix(option + "=") }) { return String(joined.dropFirst(option.count + 1)) }
        guard let position = arguments.firstIndex(of: option), position + 1 < arguments.count else { throw Failure("no \(option) VALUE in \(arguments)") }
        return arguments[position + 1]
    }

    /// N of the Slurm script's `#SBATCH --array=0-(N-1)` (a `%K` throttle allowed).
    static func slurmShardCount() throws -> Int {
        let text = try String(contentsOf: slurmScript, encoding: .utf8)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("#SBATCH --array=") }) else { throw Failure("no #SBATCH --array=") }
        let range = line.dropFirst("#SBATCH --array=".count).trimmingCharacters(in: .whitespaces).split(separator: "%").first.map(String.init) ?? ""
        let bounds = range.split(separator: "-").map { Int($0) }
        guard bounds.count == 2, bounds[0] == 0, let last = bounds[1], last >= 0 else { throw Failure("--array=\(range) is not 0-(N-1)") }
        return last + 1
    }

    /// Runs /bin/bash with only PATH and `environment` set; stdout and stderr together.
    static func bash(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        try TestSupport.run("/bin/bash", arguments, environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
            .merging(environment) { _, new in new }, inherit: false)
    }
}
