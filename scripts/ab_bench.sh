#!/usr/bin/env bash
# Alternating A/B runs of `stratum bench tfjs`: N rounds, each running the same models once
# with environment A and once with environment B, then per model and batch size the median
# and the best rate of each side and their ratios. On a shared VM whose speed swings for
# minutes at a time, alternation keeps both sides under the same conditions, and the best of N
# is steadier than the median (a slow spell only lowers some runs).
#
#   scripts/ab_bench.sh N "ENV_A" "ENV_B" MODEL=NORMALIZATION...
#   scripts/ab_bench.sh 5 "STRATUM_WINOGRAD=none" "STRATUM_WINOGRAD=on" Experiments/models/small-cnn=unit
#
# ENV_A and ENV_B are VAR=VALUE words for env(1) (e.g. "STRATUM_SIMD=avx2"); STRATUM_BIN
# chooses the binary (default: the release build). Each run is --repeats 3 at batch 1 and 32.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 4 ]; then
    echo "usage: $0 N ENV_A ENV_B MODEL=NORMALIZATION..." >&2
    exit 64
fi
rounds="$1" a="$2" b="$3"
shift 3
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "N '$rounds' is not a positive integer" >&2; exit 64; }
bin="${STRATUM_BIN:-$(swift build -c release --show-bin-path)/stratum}"
models=()
for model in "$@"; do models+=(--model "$model"); done
for round in $(seq 1 "$rounds"); do
    for side in A B; do
        settings="$a"
        [ "$side" = B ] && settings="$b"
        # shellcheck disable=SC2086  # the settings are VAR=VALUE words for env
        env $settings "$bin" bench tfjs "${models[@]}" --repeats 3 --format json \
            | python3 -c 'import json, sys; side = sys.argv[1]
for r in json.load(sys.stdin)["results"]: print(side, r["images_per_second"], r["model"], r["batch"], sep="\t")' "$side"
    done
done | python3 -c '
import collections, statistics, sys
rates, order = collections.defaultdict(list), []
for line in sys.stdin:
    side, rate, model, batch = line.rstrip("\n").split("\t")
    key = (model, batch)
    rates[key, side].append(float(rate))
    if key not in order: order.append(key)
print("%-34s %5s %9s %9s %5s %9s %9s %5s" % ("model", "batch", "median A", "median B", "B/A", "best A", "best B", "B/A"))
for key in order:
    a, b = rates[key, "A"], rates[key, "B"]
    ma, mb = statistics.median(a), statistics.median(b)
    print(f"{key[0]:34} {key[1]:>5} {ma:9.0f} {mb:9.0f} {mb / ma:5.2f} {max(a):9.0f} {max(b):9.0f} {max(b) / max(a):5.2f}")
'
