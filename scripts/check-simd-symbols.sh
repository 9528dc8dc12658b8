#!/usr/bin/env bash
# The StratumEngineSIMD and StratumEngineAVX512 modules are compiled for Haswell- and
# Skylake-SP-class CPUs and only called after a run-time CPU check. That is safe only while its objects define no weak (shared, link-time
# merged) code symbol that baseline code could use without that check: a standard-library
# specialisation or runtime helper here could be chosen by the linker for every module.
# Weak symbols of the module's own functions (e.g. their specialisations) are fine: they run
# only when one of its functions is called, i.e. after the check. This fails if another appears.
# Usage: scripts/check-simd-symbols.sh [BIN_PATH]   (default: the release bin path; the tests pass the debug one)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-$(swift build -c release --show-bin-path)}"
command -v nm >/dev/null || { echo "check-simd-symbols: nm not found (binutils)" >&2; exit 1; }
# Each CPU-specific kernel module, with the mangled prefix of its own symbols.
for module in StratumEngineSIMD:17StratumEngineSIMD StratumEngineAVX512:19StratumEngineAVX512; do
    name="${module%%:*}" own="${module#*:}"
    dir="$bin/$name.build"
    [ -d "$dir" ] || { echo "check-simd-symbols: no $dir (build first)" >&2; exit 1; }
    compgen -G "$dir/*.o" >/dev/null || { echo "check-simd-symbols: no objects in $dir (a failed build?)" >&2; exit 1; }
    weak="$(nm "$dir"/*.o | grep -E ' [Ww] ' | grep -v "$own" || true)"
    if [ -n "$weak" ]; then
        echo "check-simd-symbols: $name defines shared code symbols that baseline modules could bind to:" >&2
        echo "$weak" >&2
        exit 1
    fi
done
