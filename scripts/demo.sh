#!/usr/bin/env bash
# The demo: installs what is missing, builds, generates the synthetic faces if absent and
# runs Experiments/faces.yaml. Reports land in Reports/faces/run-N/.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
echo "building stratum (release; the first build takes a few minutes)…" >&2
swift build -c release --product stratum
bash scripts/check-simd-symbols.sh
binary="$(swift build -c release --show-bin-path)/stratum"
status=0
"$binary" run Experiments/faces.yaml "$@" || status=$?
echo
echo "Reports: Reports/faces/ (newest run-N folder). Database: Experiments/stratum.sqlite."
exit $status
