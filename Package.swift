// swift-tools-version:6.0
import PackageDescription

// The engine's SIMD kernels are compiled for Haswell (AVX2, FMA, BMI2, F16C) on x86-64 hosts
// and called only after a run-time check of the CPU. They are always optimised, so that debug
// builds (the tests) run the same code as release builds and no shared helper symbol compiled
// for Haswell is left for baseline modules to bind to (scripts/check-simd-symbols.sh checks).
// The AVX-512 kernels likewise for Skylake-SP (AVX-512 F, CD, BW, DQ, VL), called only where
// the CPU has those; elsewhere the module compiles to nothing. Cross-module optimisation is
// off for both: it would offer their function bodies to other modules for inlining (into
// baseline code) and leave the standard-library specialisations they use as shared symbols.
#if arch(x86_64)
let simdKernelSettings: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell", "-O", "-Xfrontend", "-disable-cmo"])]
let avx512KernelSettings: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "skylake-avx512", "-O", "-Xfrontend", "-disable-cmo"])]
#else
let simdKernelSettings: [SwiftSetting] = [.unsafeFlags(["-O"])]
let avx512KernelSettings: [SwiftSetting] = [.unsafeFlags(["-O"])]
#endif

let package = Package(
    name: "Stratum",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "stratum", targets: ["stratum"]),
        .library(name: "StratumRunner", targets: ["StratumRunner"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
        .package(url: "https://github.com/vapor/postgres-nio", exact: "1.33.2"),
    ],
    targets: [
        // Thin system-library wrappers: a module map and a shim, nothing else.
        .systemLibrary(name: "CLibPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev", "libjpeg62-turbo-dev"])]),

        .target(name: "StratumCore"),
        .target(name: "StratumImaging", dependencies: ["StratumCore", "CLibPNG", "CTurboJPEG"]),
        .target(name: "StratumData", dependencies: ["StratumCore", "StratumImaging"]),
        // Metrics and statistics run every bootstrap resample: optimised in every build, so that
        // the tests (debug) run them at the speed users see.
        .target(name: "StratumMetrics", dependencies: ["StratumCore"], swiftSettings: [.unsafeFlags(["-O"])]),
        .target(name: "StratumStatistics", dependencies: ["StratumCore", "StratumMetrics"], swiftSettings: [.unsafeFlags(["-O"])]),
        .target(name: "StratumModelLogistic", dependencies: ["StratumCore", "StratumImaging"]),
        .target(name: "StratumModelProcess", dependencies: ["StratumCore"]),
        // Lane-wise max/min as single instructions for the kernels' activations (see its header).
        .target(name: "CKernelSupport"),
        .target(name: "StratumEngineSIMD", dependencies: ["CKernelSupport"], swiftSettings: simdKernelSettings),
        .target(name: "StratumEngineAVX512", dependencies: ["StratumEngineSIMD", "CKernelSupport"], swiftSettings: avx512KernelSettings),
        // x86 PAUSE / ARM YIELD for the intra-op threads' spin loops (no Swift spelling exists).
        .target(name: "CSpinPause"),
        .target(name: "StratumEngine", dependencies: ["StratumCore", "StratumEngineSIMD", "StratumEngineAVX512", "CSpinPause"]),
        .target(name: "StratumModelTFJS", dependencies: ["StratumCore", "StratumEngine"]),
        // ONNX's protobuf messages, generated once by scripts/gen-onnx-proto.sh and committed.
        .target(name: "StratumONNXProto", dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .target(name: "StratumModelONNX", dependencies: [
            "StratumCore", "StratumEngine", "StratumONNXProto", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ]),
        .target(name: "StratumStore", dependencies: [
            "StratumCore", "StratumMetrics", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // The PostgreSQL `RunStore`, for shards on several machines writing one store.
        .target(name: "StratumStorePostgres", dependencies: [
            "StratumCore", "StratumMetrics", "StratumStore", .product(name: "PostgresNIO", package: "postgres-nio"),
        ]),
        .target(name: "StratumReports", dependencies: ["StratumCore", "StratumMetrics", "StratumImaging"]),
        .target(name: "StratumRunner", dependencies: [
            "StratumCore", "StratumImaging", "StratumData", "StratumMetrics", "StratumStatistics", "StratumStore",
            "StratumStorePostgres", "StratumReports", "StratumModelLogistic", "StratumModelProcess", "StratumModelTFJS", "StratumModelONNX",
            .product(name: "Yams", package: "Yams"),
        ]),
        .executableTarget(name: "stratum", dependencies: [
            "StratumRunner", "StratumCore", "StratumData", "StratumImaging", "StratumMetrics", "StratumStatistics", "StratumStore", "StratumModelLogistic", "StratumModelProcess", "StratumModelTFJS", "StratumModelONNX", "StratumEngine",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .target(name: "StratumTesting", dependencies: ["StratumCore", "StratumMetrics", "StratumStore"]),

        // A reference plugin written from docs/plugin-protocol.md alone; no Stratum imports.
        .executableTarget(name: "stratum-plugin-brightness", path: "Experiments/plugins/swift-brightness"),

        .testTarget(name: "StratumTests", dependencies: [
            "StratumCore", "StratumImaging", "StratumData", "StratumMetrics", "StratumStatistics", "StratumModelLogistic",
            "StratumModelProcess", "StratumEngine", "StratumModelTFJS", "StratumModelONNX", "StratumONNXProto", "StratumStore", "StratumStorePostgres", "StratumReports", "StratumRunner", "StratumTesting",
            .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Yams", package: "Yams"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
