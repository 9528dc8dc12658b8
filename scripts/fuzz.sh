#!/usr/bin/env bash
# libFuzzer targets for Stratum's parsers (see Fuzz/README.md).
#
#   bash scripts/fuzz.sh [--runs N] [--short] [--build-only] [--jobs-nice N] [target...]
#
# Builds every named target (default: all) into .build-fuzz/ with
# `swiftc -sanitize=fuzzer,address`, then runs each for N executions (default 1,000,000;
# --short: 2,000) on a copy of its committed corpus (Fuzz/corpus/<target>/ is never written),
# first replaying Fuzz/regressions/<target>/. Prints one summary line per target and exits
# non-zero when any target crashes, hangs (> 5 s on one input), leaks or runs out of memory;
# the failing input is kept in .build-fuzz/crashes/<target>/. The hang limit is wall-clock
# time: FUZZ_TIMEOUT=60 when the machine is busy (the fuzzers run at the lowest priority, and a
# starved one can overrun 5 s on an input that takes 0.1 s).
# The whole script is one { … } block: bash reads all of it before running any, so editing
# this file cannot disturb a run in progress.
{
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

ALL_TARGETS=(png jpeg tfjs tfjs-run onnx manifest-csv manifest-jsonl experiment-yaml slice-expression plugin-request plugin-response)

runs=1000000
seed_args=()
build_only=0
targets=()
while (($#)); do
    case "$1" in
        --runs) runs="$2"; shift 2 ;;
        --runs=*) runs="${1#--runs=}"; shift ;;
        # The short form (the test command's) uses a fixed seed: CI stays reproducible, and new
        # finds come from `make fuzz`, which seeds from the clock.
        --short) runs=2000; seed_args=(-seed=1); shift ;;
        --build-only) build_only=1; shift ;;
        -h|--help) sed -n 2,12p "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done
((${#targets[@]})) || targets=("${ALL_TARGETS[@]}")
for target in "${targets[@]}"; do
    [[ " ${ALL_TARGETS[*]} " == *" $target "* ]] || { echo "fuzz.sh: unknown target '$target' (known: ${ALL_TARGETS[*]})" >&2; exit 2; }
done

OUT=$ROOT/.build-fuzz
OBJ=$OUT/obj
BIN=$OUT/bin
mkdir -p "$OBJ" "$BIN"

if ! command -v swiftc >/dev/null 2>&1; then
    if [ -x /opt/swift/usr/bin/swiftc ]; then PATH=/opt/swift/usr/bin:$PATH; else echo "fuzz.sh: swiftc not found" >&2; exit 1; fi
fi
CLANG=$(dirname "$(command -v swiftc)")/clang
[ -x "$CLANG" ] || CLANG=clang

# Everything compiled here runs at the lowest priority: builds of the package come first.
NICE=(nice -n 19)
SAN=(-sanitize=fuzzer,address)
# -O keeps Swift's overflow, bounds and unwrap traps (only -Ounchecked drops them).
SWIFTFLAGS=(-O -g -enable-testing -parse-as-library -wmo "${SAN[@]}")

log() { printf '%s\n' "$*" >&2; }

# Objects are rebuilt when their sources, the compiler or the common flags change.
STAMP=$OBJ/flags.stamp
flags_wanted="$(swiftc --version 2>/dev/null | head -1) ${SWIFTFLAGS[*]}"
[ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$flags_wanted" ] || printf '%s' "$flags_wanted" > "$STAMP"

# A package dependency's checkout (the version Package.resolved pins): NAME and a folder that
# must exist in it; resolved into .build-fuzz/pkg when no checkout is there yet.
checkout_dir() {
    local name=$1 marker=$2 dir
    for dir in "$OUT/pkg/checkouts/$name" "$ROOT/.build/checkouts/$name"; do
        if [ -d "$dir/$marker" ]; then echo "$dir"; return; fi
    done
    log "== resolving package dependencies into .build-fuzz/pkg (for $name)"
    "${NICE[@]}" swift package resolve --scratch-path "$OUT/pkg" >&2
    echo "$OUT/pkg/checkouts/$name"
}
yams_dir() { checkout_dir Yams Sources/Yams; }            # experiment YAML
protobuf_dir() { checkout_dir swift-protobuf Sources/SwiftProtobuf; }   # ONNX files

# True when $1 is missing or older than any of the remaining files.
stale() {
    local output=$1; shift
    [ -e "$output" ] || return 0
    local input
    for input in "$@"; do [ "$input" -nt "$output" ] && return 0; done
    return 1
}

# build_module NAME "extra flags" SOURCES...: one object + swiftmodule per package module.
build_module() {
    local name=$1 extra=$2; shift 2
    local object="$OBJ/$name.o" dependency dependencies=()
    # A module is rebuilt when a module it imports was (its types' layout may have changed):
    # an object compiled against an older interface miscompiles silently.
    for dependency in $(module_dependencies "$name"); do dependencies+=("$OBJ/$dependency.o"); done
    # shellcheck disable=SC2086
    if stale "$object" "$@" "${dependencies[@]}" "$STAMP"; then
        log "== compiling module $name"
        local start=$SECONDS
        "${NICE[@]}" swiftc "${SWIFTFLAGS[@]}" $extra -I "$OBJ" -module-name "$name" \
            -emit-module -emit-module-path "$OBJ/$name.swiftmodule" -c -o "$object" "$@" 2> "$OBJ/$name.log" \
            || { cat "$OBJ/$name.log" >&2; return 1; }
        # swiftc leaves an unchanged output file untouched; its time must still say "built".
        touch "$object"
        log "   $name: $((SECONDS - start)) s"
    fi
}

# The package modules each module imports (as Package.swift says), for rebuilds.
module_dependencies() {
    case "$1" in
        StratumImaging) echo StratumCore ;;
        StratumData) echo StratumCore StratumImaging ;;
        StratumEngineAVX512) echo StratumEngineSIMD ;;
        StratumEngine) echo StratumEngineSIMD StratumEngineAVX512 ;;
        StratumModelTFJS) echo StratumCore StratumEngine ;;
        StratumModelProcess) echo StratumCore ;;
        StratumONNXProto) echo SwiftProtobuf ;;
        StratumModelONNX) echo StratumCore StratumEngine StratumONNXProto SwiftProtobuf ;;
        StratumRunner) echo StratumCore StratumData Yams ;;
    esac
}

module_built=" "
need_module() {
    local name
    for name in "$@"; do
        [[ "$module_built" == *" $name "* ]] && continue
        case "$name" in
            StratumCore) build_module StratumCore "-swift-version 6" Sources/StratumCore/*.swift ;;
            StratumImaging)
                need_module StratumCore
                build_module StratumImaging "-swift-version 6 -I Sources/CLibPNG -I Sources/CTurboJPEG" Sources/StratumImaging/*.swift ;;
            StratumData)
                need_module StratumCore StratumImaging
                build_module StratumData "-swift-version 6 -I Sources/CLibPNG -I Sources/CTurboJPEG" Sources/StratumData/*.swift Sources/StratumData/Faces/*.swift ;;
            StratumEngineSIMD)
                local simd="-swift-version 6 -I Sources/CKernelSupport/include"
                [ "$(uname -m)" = x86_64 ] && simd="$simd -target-cpu haswell"
                build_module StratumEngineSIMD "$simd" Sources/StratumEngineSIMD/*.swift ;;
            StratumEngineAVX512)
                need_module StratumEngineSIMD
                local avx512="-swift-version 6 -I Sources/CKernelSupport/include"
                [ "$(uname -m)" = x86_64 ] && avx512="$avx512 -target-cpu skylake-avx512"
                build_module StratumEngineAVX512 "$avx512" Sources/StratumEngineAVX512/*.swift ;;
            StratumEngine)
                need_module StratumEngineSIMD StratumEngineAVX512
                build_module StratumEngine "-swift-version 6 -I Sources/CSpinPause/include -I Sources/CKernelSupport/include" Sources/StratumEngine/*.swift ;;
            StratumModelTFJS)
                need_module StratumCore StratumEngine
                build_module StratumModelTFJS "-swift-version 6 -I Sources/CSpinPause/include -I Sources/CKernelSupport/include" Sources/StratumModelTFJS/*.swift ;;
            SwiftProtobuf)
                build_module SwiftProtobuf "-swift-version 5 -package-name swift_protobuf" "$(protobuf_dir)"/Sources/SwiftProtobuf/*.swift ;;
            StratumONNXProto)
                need_module SwiftProtobuf
                build_module StratumONNXProto "-swift-version 6" Sources/StratumONNXProto/*.swift ;;
            StratumModelONNX)
                need_module StratumCore StratumEngine StratumONNXProto
                build_module StratumModelONNX "-swift-version 6 -I Sources/CSpinPause/include -I Sources/CKernelSupport/include" Sources/StratumModelONNX/*.swift ;;
            StratumModelProcess)
                need_module StratumCore
                build_module StratumModelProcess "-swift-version 6" Sources/StratumModelProcess/*.swift ;;
            Yams)
                local yams
                yams=$(yams_dir)
                local cfile
                for cfile in "$yams"/Sources/CYaml/src/*.c; do
                    local cobject="$OBJ/CYaml-$(basename "$cfile" .c).o"
                    if stale "$cobject" "$cfile" "$STAMP"; then
                        log "== compiling CYaml/$(basename "$cfile")"
                        "${NICE[@]}" "$CLANG" -O1 -g -fsanitize=fuzzer-no-link,address -DYAML_DECLARE_STATIC \
                            -I "$yams/Sources/CYaml/include" -c -o "$cobject" "$cfile"
                        touch "$cobject"
                    fi
                done
                build_module Yams "-swift-version 5 -DSWIFT_PACKAGE -Xcc -DYAML_DECLARE_STATIC -I $yams/Sources/CYaml/include" "$yams"/Sources/Yams/*.swift ;;
            StratumRunner)
                # Only the experiment-file reader and its YAML size check: the rest of StratumRunner
                # pulls in GRDB and every model kind, which neither file uses.
                need_module StratumCore StratumData Yams
                local yams
                yams=$(yams_dir)
                build_module StratumRunner "-swift-version 6 -Xcc -DYAML_DECLARE_STATIC -I $yams/Sources/CYaml/include -I Sources/CLibPNG -I Sources/CTurboJPEG" \
                    Sources/StratumRunner/ExperimentSpec.swift Sources/StratumRunner/YAMLExpansion.swift ;;
        esac
        module_built+="$name "
    done
}

# Modules each target links, its harness folder, and its -max_len.
target_modules() {
    case "$1" in
        png|jpeg) echo "StratumCore StratumImaging" ;;
        tfjs|tfjs-run) echo "StratumCore StratumEngineSIMD StratumEngineAVX512 StratumEngine StratumModelTFJS" ;;
        onnx) echo "StratumCore StratumEngineSIMD StratumEngineAVX512 StratumEngine SwiftProtobuf StratumONNXProto StratumModelONNX" ;;
        manifest-csv|manifest-jsonl|slice-expression) echo "StratumCore StratumImaging StratumData" ;;
        experiment-yaml) echo "StratumCore StratumImaging StratumData Yams StratumRunner" ;;
        plugin-request|plugin-response) echo "StratumCore StratumModelProcess" ;;
    esac
}
target_dir() {
    case "$1" in
        png) echo PNG ;; jpeg) echo JPEG ;; tfjs) echo TFJS ;; tfjs-run) echo TFJSRun ;; onnx) echo ONNX ;;
        manifest-csv) echo ManifestCSV ;; manifest-jsonl) echo ManifestJSONL ;;
        experiment-yaml) echo ExperimentYAML ;; slice-expression) echo SliceExpression ;;
        plugin-request) echo PluginRequest ;; plugin-response) echo PluginResponse ;;
    esac
}
target_max_len() {
    case "$1" in
        png|jpeg) echo 65536 ;;
        tfjs|tfjs-run|onnx) echo 131072 ;;
        manifest-csv|manifest-jsonl|experiment-yaml) echo 16384 ;;
        slice-expression) echo 1024 ;;
        plugin-request|plugin-response) echo 16384 ;;
    esac
}

build_target() {
    local target=$1 modules objects=() module
    modules=$(target_modules "$target")
    # shellcheck disable=SC2086
    need_module $modules
    for module in $modules; do
        objects+=("$OBJ/$module.o")
        [ "$module" = Yams ] && objects+=("$OBJ"/CYaml-*.o)
    done
    local dir harness binary="$BIN/fuzz-$target"
    dir=$(target_dir "$target")
    harness=(Fuzz/"$dir"/*.swift Fuzz/Common/*.swift)
    if stale "$binary" "${harness[@]}" "${objects[@]}" "$STAMP"; then
        log "== linking fuzz-$target"
        local start=$SECONDS yams_include=()
        [[ " $modules " == *" Yams "* ]] && yams_include=(-I "$(yams_dir)/Sources/CYaml/include")
        # From inside $OBJ: a -g link leaves the harness module's .swiftmodule in the current folder.
        (cd "$OBJ" && "${NICE[@]}" swiftc "${SWIFTFLAGS[@]}" -swift-version 6 -I "$OBJ" -I "$ROOT/Sources/CLibPNG" -I "$ROOT/Sources/CTurboJPEG" -I "$ROOT/Sources/CSpinPause/include" -I "$ROOT/Sources/CKernelSupport/include" "${yams_include[@]}" \
            -module-name "Fuzz$dir" "${harness[@]/#/$ROOT/}" "${objects[@]}" -lpng16 -lturbojpeg -use-ld=lld -o "$binary") \
            2> "$OBJ/fuzz-$target.log" || { cat "$OBJ/fuzz-$target.log" >&2; return 1; }
        touch "$binary"
        log "   fuzz-$target: $((SECONDS - start)) s"
    fi
}

for target in "${targets[@]}"; do build_target "$target"; done
((build_only)) && exit 0

export SWIFT_BACKTRACE=enable=no
# Leak checking stays on (ASan's default on Linux); symbolised reports name the Swift line.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
# Leaks in the toolchain's Foundation, not Stratum, are listed (and explained) in Fuzz/lsan.supp.
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/Fuzz/lsan.supp:print_suppressions=0}
export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$(dirname "$(command -v swiftc)")/llvm-symbolizer}

failed=()
for target in "${targets[@]}"; do
    corpus=$OUT/corpus/$target
    crashes=$OUT/crashes/$target
    logfile=$OUT/logs/$target.log
    # Failing inputs of earlier runs go; this run's failures are what the folder holds.
    rm -rf "$crashes"
    mkdir -p "$corpus" "$crashes" "$(dirname "$logfile")"
    # The committed corpus is copied; new inputs libFuzzer finds go to the copy only.
    cp -R "Fuzz/corpus/$target/." "$corpus/"
    dict=()
    [ -f "Fuzz/dict/$target.dict" ] && dict=(-dict="Fuzz/dict/$target.dict")
    start=$SECONDS
    rm -f "$logfile" "$logfile.regressions"
    # Regressions first: every input that once failed must pass now. One that still fails
    # fails the target without fuzzing (the fuzzer would only find it again).
    failing=()
    if [ -d "Fuzz/regressions/$target" ]; then
        for input in "Fuzz/regressions/$target"/*; do
            [ -f "$input" ] && [[ "$input" != *.md ]] || continue
            if ! "${NICE[@]}" "$BIN/fuzz-$target" -timeout="${FUZZ_TIMEOUT:-5}" -rss_limit_mb=2048 "$input" >> "$logfile.regressions" 2>&1; then
                failing+=("$(basename "$input")")
            fi
        done
    fi
    if ((${#failing[@]})); then
        printf '%-18s FAILED  regression inputs fail again: %s (Fuzz/regressions/%s/; log %s)\n' \
            "$target" "${failing[*]}" "$target" "${logfile#"$ROOT"/}.regressions"
        failed+=("$target")
        continue
    fi
    status=0
    "${NICE[@]}" "$BIN/fuzz-$target" "$corpus" -runs="$runs" -timeout="${FUZZ_TIMEOUT:-5}" -rss_limit_mb=2048 -max_len="$(target_max_len "$target")" \
        -artifact_prefix="$crashes/" -print_final_stats=1 "${seed_args[@]}" "${dict[@]}" > "$logfile" 2>&1 || status=$?
    elapsed=$((SECONDS - start))
    done_runs=$(grep -Eo '^Done [0-9]+ runs' "$logfile" 2>/dev/null | tail -1 | grep -Eo '[0-9]+' || true)
    if ((status == 0)) && [ -n "$done_runs" ]; then
        printf '%-18s ok      %10s runs in %5d s  (corpus %s inputs)\n' "$target" "$done_runs" "$elapsed" "$(ls "$corpus" | wc -l)"
    else
        what=$(grep -Eo 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer): [a-zA-Z-]+' "$logfile" 2>/dev/null | head -1 | sed 's/.*ERROR: //' || true)
        trap_text=$(grep -Eo 'Fatal error: .*|Swift runtime failure: [^/]*' "$logfile" 2>/dev/null | head -1 || true)
        printf '%-18s FAILED  %s%s after %d s; input in %s, log %s\n' "$target" "${what:-exit $status}" "${trap_text:+ ($trap_text)}" \
            "$elapsed" "${crashes#"$ROOT"/}" "${logfile#"$ROOT"/}"
        failed+=("$target")
    fi
done

if ((${#failed[@]})); then
    echo "fuzz: ${#failed[@]} of ${#targets[@]} targets failed: ${failed[*]}"
    exit 1
fi
echo "fuzz: all ${#targets[@]} targets passed"
exit 0
}
