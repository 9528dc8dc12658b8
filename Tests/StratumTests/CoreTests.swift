import Foundation
@testable import StratumCore
import StratumData
import Testing

@Suite struct CoreTests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func sha256MatchesFIPSVectors(_ input: String, _ digest: String) {
        #expect(SHA256.hex(Array(input.utf8)) == digest)
    }

    @Test func sha256OfAMillionAs() {
        #expect(SHA256.hex([UInt8](repeating: 0x61, count: 1_000_000)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test(arguments: [
        ("max 100000", nil), ("200000 100000", 2), ("150000 100000", 2), ("50000 100000", 1), ("-1 100000", nil),
        ("100000 100000\n", 1), ("", nil), ("max", nil), ("abc 100000", nil), ("100000 0", nil),
    ] as [(String, Int?)])
    func cgroupQuotaIsReadInWholeCoresRoundedUp(_ text: String, _ cores: Int?) {
        #expect(CPUCores.quotaCores(cpuMax: text) == cores)
    }

    #if os(Linux)
    /// `taskset -c 0` as a thread's own affinity: one core counted, whatever the machine has.
    @Test func affinityMaskLimitsTheCores() throws {
        let saved = try #require(CPUCores.affinityMask())
        defer { _ = CPUCores.setAffinityMask(saved) }
        let word = try #require(saved.firstIndex { $0 != 0 })
        var one = [UInt64](repeating: 0, count: saved.count)
        one[word] = 1 << UInt64(saved[word].trailingZeroBitCount)
        try #require(CPUCores.setAffinityMask(one))
        #expect(CPUCores.affinityCount() == 1)
        #expect(CPUCores.available >= 1 && CPUCores.available <= ProcessInfo.processInfo.activeProcessorCount)
    }
    #endif

    /// Work counted as sharing the cores with inference is in use while it runs, nested or
    /// not, and `sharing` hands back its body's value or error. (Other tests may be sharing at
    /// the same time, so only "in use inside" is certain.)
    @Test func sharedCoresAreInUseWhileWorkBesideInferenceRuns() {
        struct Stop: Error {}
        #expect(SharedCores.sharing { SharedCores.inUse && SharedCores.sharing { SharedCores.inUse } })
        #expect(SharedCores.sharing { 42 } == 42)
        #expect(throws: Stop.self) { try SharedCores.sharing { () throws -> Int in #expect(SharedCores.inUse); throw Stop() } }
    }

    @Test func registryNamesKnownKindsForAnUnknownOne() throws {
        let registry = ModelRegistry()
        let error = try #require(throws: RegistryError.self) { try registry.loader(for: "onnx") }
        #expect(error.kind == "onnx" && error.description.contains("unknown model kind 'onnx'"))
    }

    /// A list option's items: a JSON list (an experiment file's YAML list) or comma-separated
    /// text. Refused (nil here): text starting with [ that is no JSON list, a list holding
    /// null, lists or mappings, and a mapping.
    @Test(arguments: [
        (#"["a"," b, c "]"#, ["a", "b, c"] as [String]?), (#"[0.5, 2, "x", true]"#, ["0.5", "2", "x", "true"]), ("a, b ,c", ["a", "b", "c"]),
        ("a,,b", ["a", "", "b"]), ("[a, b]", nil), ("[a, b", nil), (#"[["a"], "b"]"#, nil), (#"[{"a": 1}]"#, nil), (#"["a", null]"#, nil),
        (#"{"female": 0}"#, nil), ("[]", []), ("x", ["x"]), ("a]", ["a]"]),
    ])
    func listOptionItems(_ text: String, _ items: [String]?) {
        #expect((try? ModelOption.listItems(text)) == items)
    }

    /// A command's JSON list keeps each argument exactly; labels' checks say what is wrong and
    /// cut what they quote.
    @Test func commandListsAreKeptVerbatimAndLabelsChecked() throws {
        #expect(try ModelOption.jsonList(#"["python3", " ", "  padded  "]"#) == ["python3", " ", "  padded  "])
        #expect(try ModelOption.jsonList("python3 plugin.py") == nil)
        #expect(throws: ModelOption.ListValueError.self) { try ModelOption.jsonList(#"["python3", ["x"]]"#) }
        #expect(throws: ModelOption.ListValueError(message: "gives no labels")) { try ModelOption.labelItems("[]") }
        let many = (0..<20_000).map(String.init) + ["7"]
        let problem = try #require(ModelOption.labelsProblem(many))
        #expect(problem == "labels ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', … (20001 in all)] name '7' more than once", "\(problem)")
        // Many labels repeated, and long ones: counted, ten named, each cut.
        let long = String(repeating: "Q", count: 5_000)
        let repeated = try #require(ModelOption.labelsProblem((0..<12).map { "x\($0)" } + (0..<12).map { "x\($0)" } + [long, long]))
        #expect(repeated.contains("name 13 labels more than once, among them 'Q") && repeated.count < 1_500, "\(repeated)")
    }

    @Test func argmaxTakesTheFirstOfTies() {
        #expect([0.2, 0.4, 0.4].map(Float.init).argmax == 1)
    }

    @Test func csvTrailingNewlinesAndBlankLinesAreIgnored() throws {
        let table = try CSVTable(parsing: "a,b\n1,2\n\n3,4\n\n")
        #expect(table.header == ["a", "b"])
        #expect(table.records.map(\.fields) == [["1", "2"], ["3", "4"]])
        #expect(table.records.map(\.line) == [2, 4])
    }
}

@Suite struct ChildProcessDescriptorTests {
    /// A child gets stdin, stdout and stderr only: a descriptor this process holds without
    /// close-on-exec (a database, a file being written) does not leak into plugins or gnuplot.
    @Test func aChildInheritsOnlyItsThreeStandardDescriptors() throws {
        let directory = try TestSupport.temporaryDirectory()
        let file = directory.appendingPathComponent("held.txt")
        try TestSupport.write("x", to: file)
        let held = open(file.path, O_RDONLY)  // no O_CLOEXEC
        try #require(held >= 3)
        defer { close(held) }
        let child = try ChildProcess(command: ["/bin/sh", "-c", "ls /proc/$$/fd"], directory: directory, name: "ls")
        let deadline = Date().addingTimeInterval(10)
        let listing = String(decoding: try child.readToEnd(deadline: deadline), as: UTF8.self)
        #expect(child.waitForExit(deadline: deadline) == 0)
        let descriptors = Set(listing.split(whereSeparator: \.isWhitespace).compactMap { Int32($0) })
        #expect(descriptors.isSuperset(of: [0, 1, 2]), "\(listing)")
        #expect(!descriptors.contains(held), "descriptor \(held) leaked into the child: \(listing)")
    }

    /// File errors in plain words, whatever layer of Foundation they come from: the CLI
    /// review saw "NSCocoaErrorDomain error 256" and raw NSError dumps.
    @Test func fileErrorsAreInPlainWords() throws {
        let cases: [(Error, String)] = [
            (NSError(domain: NSPOSIXErrorDomain, code: Int(ENOSPC)), "No space left on device"),
            (NSError(domain: NSCocoaErrorDomain, code: NSFileWriteUnknownError, userInfo: [NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(EROFS))]), "Read-only file system"),
            (CocoaError(.fileWriteOutOfSpace), "no space left on device"),
            (CocoaError(.fileReadNoSuchFile), "no such file"),
        ]
        for (error, reason) in cases {
            #expect(FileAccessError("write", "/x/y", error).description == "cannot write /x/y: \(reason)")
        }
        let directory = try TestSupport.temporaryDirectory()
        let error = try #require(throws: (any Error).self) { try String(contentsOf: directory.appendingPathComponent("none"), encoding: .utf8) }
        #expect(FileAccessError.cause(of: error).lowercased().contains("no such file"), "\(FileAccessError.cause(of: error))")
    }

    /// Files are hashed as they stream (the digest of their bytes, across the 1 MiB reads),
    /// and a folder's FIFO is passed over instead of blocking the hash forever.
    @Test func filesHashAsTheirBytesAndAFolderSkipsWhatIsNotAFile() throws {
        let directory = try TestSupport.temporaryDirectory()
        var state: UInt32 = 1
        let bytes = (0..<(1 << 20) + 17).map { _ -> UInt8 in state = state &* 1_664_525 &+ 1_013_904_223; return UInt8(state >> 24) }
        let file = directory.appendingPathComponent("weights.bin")
        try Data(bytes).write(to: file)
        #expect(try SHA256.hex(contentsOf: file) == SHA256.hex(bytes))
        let before = try SHA256.hex(contentsOf: directory)
        #expect(mkfifo(directory.appendingPathComponent("pipe").path, 0o600) == 0)
        #expect(try SHA256.hex(contentsOf: directory) == before)
        var expected = SHA256()
        expected.update(Array("weights.bin".utf8))
        expected.update(bytes)
        #expect(before == expected.hexDigest())
    }
}
