#!/usr/bin/env bash
# Benchmarks (release build). Each figure is printed as a ratio against a reference measured
# in the same run: the engine against onnxruntime on the same networks (ONNX files made with
# tf2onnx by scripts/onnx_export.py), and the plugin protocol against the same model in-process.
# onnxruntime comes from PyPI, into a virtual environment that sees the system's numpy.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
swift build -c release
bash scripts/check-simd-symbols.sh
bin="$(swift build -c release --show-bin-path)"
if [ ! -f Experiments/data/models/logistic-baseline.json ]; then
    "$bin/stratum" run Experiments/faces.yaml --quiet >/dev/null
fi

venv=.build/bench-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv --system-site-packages "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "onnxruntime==1.32.0"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Rounds of paired passes: Stratum's bench starts onnxruntime as a server
# (bench_onnxruntime.py --serve) and alternates single timed passes of the two engines on each
# model and batch size, so each ratio compares passes run a fraction of a second apart (this
# machine's speed swings by 2× from one minute to the next). The summary gives the median over
# rounds. (Tune with ROUNDS, IMAGES.)
rounds="${ROUNDS:-3}"
images="${IMAGES:-512}"
server="$venv/bin/python scripts/bench_onnxruntime.py --serve"
# On an AVX-512 CPU, Stratum's AVX2 kernels are timed too (STRATUM_SIMD=avx2). Against
# onnxruntime on AVX-512 that is not the comparison an AVX2-only CPU would see; where the CPU
# can make CPUID fault (cpuid_fault), onnxruntime runs with scripts/avx2_only.c preloaded, which
# reports the CPU as AVX2-only to it, so both engines pick their AVX2 kernels on the same core.
avx2_server="$server"
avx2_reference="onnxruntime on AVX-512 (it cannot be shown an AVX2-only CPU here: see above)"
status=3
if grep -qw avx512f /proc/cpuinfo; then
    status=0
    masked="$(bash scripts/avx2-only.sh "$work/avx2-only")" || status=$?
fi
if [ "$status" -eq 0 ]; then
    avx2_server="$masked $server"
    avx2_reference="onnxruntime shown an AVX2-only CPU (scripts/avx2_only.c: CPUID without AVX-512, AVX-VNNI or BF16)"
elif [ "$status" -ne 3 ]; then
    exit "$status"
fi
"$venv/bin/python" -c 'import onnxruntime, sys; print("onnxruntime", onnxruntime.__version__, "(CPU execution provider, default session options), Python", sys.version.split()[0])'
echo "== TensorFlow.js and ONNX models on Stratum's engine vs onnxruntime (same networks, paired passes) =="
for round in $(seq 1 "$rounds"); do
    echo "-- round $round of $rounds --"
    "$bin/stratum" bench tfjs --count "$images" --repeats 7 --reference-server "$server" --format json > "$work/stratum-$round.json"
    if grep -qw avx512f /proc/cpuinfo; then
        # The same CPU on the AVX2 kernels alone, against onnxruntime in the same way.
        echo "-- round $round of $rounds: Stratum, AVX2 kernels (STRATUM_SIMD=avx2), against $avx2_reference --"
        STRATUM_SIMD=avx2 "$bin/stratum" bench tfjs --count "$images" --repeats 7 --reference-server "$avx2_server" --format json > "$work/avx2-$round.json"
    fi
done
# The kernels alone: both engines on one core (this process's first allowed CPU), onnxruntime
# with one intra-op thread, passes paired as above. With no second core to split an image
# across or to share a batch with, the ratio is the kernels' and the graph's, not the threading's.
# On this project's shared VM (AMD EPYC, 2026-12-05) two such rounds agreed within 0.11 on every
# row, where 2-core rounds of the same day spread by up to 0.37 (and by 1.55 on one row).
# (ONE_CORE_ROUNDS=0 skips it.)
one_core_rounds="${ONE_CORE_ROUNDS:-1}"
cpu="$(taskset -pc $$ | sed 's/.*: //' | cut -d, -f1 | cut -d- -f1)"
for round in $(seq 1 "$one_core_rounds"); do
    echo "-- one core (CPU $cpu), round $round of $one_core_rounds --"
    taskset -c "$cpu" "$bin/stratum" bench tfjs --count "$images" --repeats 7 --reference-server "$server --threads 1" --format json > "$work/onecore-$round.json"
    if grep -qw avx512f /proc/cpuinfo; then
        STRATUM_SIMD=avx2 taskset -c "$cpu" "$bin/stratum" bench tfjs --count "$images" --repeats 7 --reference-server "$avx2_server --threads 1" --format json > "$work/onecore-avx2-$round.json"
    fi
done
echo
python3 scripts/bench_summary.py "$work"/stratum-*.json
if ls "$work"/avx2-*.json >/dev/null 2>&1; then
    echo
    echo "-- the same rounds with Stratum on its AVX2 kernels only, against $avx2_reference --"
    python3 scripts/bench_summary.py "$work"/avx2-*.json
fi
if [ "$one_core_rounds" -gt 0 ]; then
    echo
    echo "-- one core each (onnxruntime with one intra-op thread): the kernels without the threading --"
    python3 scripts/bench_summary.py "$work"/onecore-[0-9]*.json
    if ls "$work"/onecore-avx2-*.json >/dev/null 2>&1; then
        echo
        echo "-- one core each, Stratum on its AVX2 kernels only, against $avx2_reference --"
        python3 scripts/bench_summary.py "$work"/onecore-avx2-*.json
    fi
fi
echo
echo "== plugin protocol overhead: the same model in-process and through the process kind =="
"$bin/stratum" bench plugin-overhead --model Experiments/models/automl-mobilenet --count 128
"$bin/stratum" bench plugin-overhead --plugin Experiments/plugins/python-numpy
echo
echo "== statistics: every metric with bootstrap intervals, paired comparisons, slice discovery =="
echo "   (against fairlearn MetricFrame, a hand-vectorised numpy bootstrap and sliceline, same workloads, same run)"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "fairlearn==0.15.0" "sliceline==0.3.0" "pandas==3.1.1" "scikit-learn==1.9.1" "scipy==1.17.1"
"$venv/bin/python" scripts/bench_stats.py "$work/stats" > "$work/stats-python.json"
"$bin/stratum" bench stats --workdir "$work/stats" --reference "$work/stats-python.json"
echo
echo "== sharded runs against PostgreSQL (1, 2, 4 shard processes; 20,000 images) and store write rates =="
bash scripts/install-deps.sh postgresql openssl
bash scripts/bench_shards.sh "$bin/stratum" "${SHARD_IMAGES:-20000}"
echo
echo "== scaling: stratum run at 2,000, 20,000 and 200,000 faces with every report, against the same pipeline in Python =="
echo "   (scripts/bench_scaling.sh: time per image across sizes, peak RSS, Stratum ÷ Python at 20,000; SCALING_SIZES to change the sizes)"
# shellcheck disable=SC2086  # SCALING_SIZES is a list of sizes
bash scripts/bench_scaling.sh "$bin/stratum" ${SCALING_SIZES:-2000 20000 200000}
