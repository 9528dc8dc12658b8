#!/usr/bin/env bash
# Benchmarks (release build). Each figure is printed as a ratio against a reference measured
# in the same run. Needs the demo's data and fitted baseline: runs the demo first if absent.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
swift build -c release
bin="$(swift build -c release --show-bin-path)"
if [ ! -f Experiments/data/models/logistic-baseline.json ]; then
    "$bin/stratum" run Experiments/faces.yaml --quiet >/dev/null
fi
echo "== plugin protocol overhead (issue: process plugins; goal < 10%) =="
"$bin/stratum" bench plugin-overhead --plugin Experiments/plugins/python-numpy
