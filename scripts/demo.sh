#!/usr/bin/env bash
# The demo: installs what is missing, builds, generates the synthetic faces if absent and
# runs Experiments/faces.yaml. Reports land in Reports/faces/run-N/.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
echo "building stratum (release)…" >&2
swift build -c release --product stratum 2>&1 | grep -E "error|warning: unre|Compiling|Build" | tail -3 >&2 || true
binary="$(swift build -c release --show-bin-path)/stratum"
[ -x "$binary" ] || { echo "error: build failed" >&2; swift build -c release --product stratum; exit 1; }
"$binary" run Experiments/faces.yaml "$@"
status=$?
echo
echo "Open the reports in Reports/faces/ (newest run-N folder); the database is Experiments/stratum.sqlite."
exit $status
