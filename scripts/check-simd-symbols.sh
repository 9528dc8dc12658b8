#!/usr/bin/env bash
# The StratumEngineSIMD module is compiled for Haswell-class CPUs in release builds and only
# called after a run-time CPU check. That is safe only while its objects define no weak
# (shared, link-time merged) code symbols: another module built for baseline x86-64 could
# otherwise bind to the Haswell copy. This fails the build's caller if one appears.
# Usage: scripts/check-simd-symbols.sh [BIN_PATH]   (default: the release bin path; the tests pass the debug one)
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-$(swift build -c release --show-bin-path)}/StratumEngineSIMD.build"
[ -d "$dir" ] || { echo "check-simd-symbols: no $dir (build first)" >&2; exit 1; }
command -v nm >/dev/null || { echo "check-simd-symbols: nm not found (binutils)" >&2; exit 1; }
weak="$(nm "$dir"/*.o | grep -E ' [Ww] ' || true)"
if [ -n "$weak" ]; then
    echo "check-simd-symbols: StratumEngineSIMD defines shared code symbols that baseline modules could bind to:" >&2
    echo "$weak" >&2
    exit 1
fi
