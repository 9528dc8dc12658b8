#!/usr/bin/env bash
# How `stratum run` scales with the number of evaluated images, against the same pipeline in
# Python (scripts/bench_pipeline.py: Pillow, onnxruntime, numpy, fairlearn, statsmodels,
# sqlite3, matplotlib) on the same images in the same run.
#
#   scripts/bench_scaling.sh STRATUM_BIN [SIZES...]     (default sizes: 2000 20000 200000)
#   STRATUM_BIN="$(swift build -c release --show-bin-path)/stratum" scripts/bench_scaling.sh
#
# For each N:
#   * N synthetic faces (`stratum dataset generate faces --count N --seed 11 --size 96`) in
#     $BENCH_WORK/data/faces-N, generated once and reused (a 200000-image set is ~3.7 GB);
#   * an experiment equal to Experiments/faces.yaml (its logistic and tfjs variants, options, slices,
#     batch_size) but on that dataset with every row evaluated: Stratum has no "all" split,
#     so it reads a copy of the manifest, manifest-all.csv, whose split column is "test" on
#     every row. The logistic variant uses a copy of Experiments/data/models/logistic-baseline.json
#     without its fit provenance, so Stratum runs those same weights instead of refitting
#     them for the new manifest (it is made first by the demo run when missing);
#   * `/usr/bin/time -v STRATUM_BIN run EXPERIMENT --quiet --chunk-size 64` into a fresh
#     database and reports folder: wall time, peak RSS ("Maximum resident set size") and the
#     per-stage seconds of the table output's "time:" line and the "predictions:" line below
#     it (each variant's inference, and beside it decoding and store writes; --format json has
#     them as "stages" and "predictions"); overall accuracies are read from the run's database;
#   * for N <= $PY_MAX_N (default 20000): `/usr/bin/time -v python3 scripts/bench_pipeline.py
#     manifest.csv --split all` on the same images, right after Stratum's first run.
# Sizes up to 20000 run $REPEATS times (default 3) in rounds, each round every such size once;
# larger sizes run once. This host's speed swings by ±15% from minute to minute, so one run
# per size decided the band by which size fell in a slow spell.
# Then a table (N; Stratum s as the median of its runs, s/image, peak RSS; Python s, peak
# RSS; ratios Stratum/Python; every run's time)
# and PASS/FAIL lines: time per image constant within 15% across sizes, peak RSS at the
# largest size within 20% of the RSS at 20000, each Python accuracy within 1 point of
# Stratum's. FAIL does not change the exit status. Info lines beside them, not checks: the
# predictions stage's time per image, and (with three sizes or more) wall time fitted as a
# fixed part plus a cost per image, with each size's time per image once the fixed part is set
# aside.
#
# Each program first runs once, untimed, on the smallest size (see "warm-up" below).
# Everything runs under `nice -n 10`. Kept between runs in $BENCH_WORK (default
# ${TMPDIR:-/tmp}/stratum-bench-scaling): data/ (datasets), cache/onnx/ (the ONNX files),
# models/ (the logistic copy), venv/ (onnxruntime, Pillow, matplotlib, pinned as in
# scripts/bench_pipeline.py; PYTHON=/path/to/python uses that interpreter instead). Databases,
# reports and logs go to a temporary folder removed on exit (KEEP=1 keeps it and prints it).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

bin="${1:-${STRATUM_BIN:-}}"
[ $# -gt 0 ] && shift
if [ -z "$bin" ]; then
    echo "usage: $0 STRATUM_BIN [SIZES...]   (or STRATUM_BIN=... $0)" >&2
    exit 64
fi
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
[ -x "$bin" ] || { echo "$bin: not an executable" >&2; exit 64; }
if [ $# -gt 0 ]; then sizes=("$@"); else sizes=(2000 20000 200000); fi
for n in "${sizes[@]}"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "size '$n' is not a positive integer" >&2; exit 64; }
done
py_max="${PY_MAX_N:-20000}"
reference_n=20000

work="${BENCH_WORK:-${TMPDIR:-/tmp}/stratum-bench-scaling}"
mkdir -p "$work/data" "$work/cache" "$work/models"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/stratum-bench-scaling-run.XXXXXX")"
if [ "${KEEP:-0}" = 1 ]; then
    trap 'echo "kept: $tmp"' EXIT
else
    trap 'rm -rf "$tmp"' EXIT
fi
NICE=(nice -n 10)

# ---- Python environment ------------------------------------------------------------------
if [ -n "${PYTHON:-}" ]; then
    python="$PYTHON"
else
    python="$work/venv/bin/python"
    if [ ! -x "$python" ]; then
        python3 -m venv --system-site-packages "$work/venv"
    fi
    # The versions bench_pipeline.py documents (numpy etc. may come from the system).
    if ! "$python" - <<'EOF' 2>/dev/null
import importlib.metadata as m
want = {"onnxruntime": "1.32.0", "pillow": "13.0.0", "matplotlib": "3.11.2", "numpy": "2.4.6",
        "fairlearn": "0.15.0", "statsmodels": "0.15.0", "pandas": "3.1.1",
        "scikit-learn": "1.9.1", "PyYAML": "6.0.3"}
raise SystemExit(any(m.version(k) != v for k, v in want.items()))
EOF
    then
        "${NICE[@]}" "$python" -m pip install --quiet --disable-pip-version-check \
            onnxruntime==1.32.0 pillow==13.0.0 matplotlib==3.11.2 numpy==2.4.6 \
            fairlearn==0.15.0 statsmodels==0.15.0 pandas==3.1.1 scikit-learn==1.9.1 PyYAML==6.0.3
    fi
fi

# ---- the logistic weights ----------------------------------------------------------------
logistic_src="$repo/Experiments/data/models/logistic-baseline.json"
if [ ! -f "$logistic_src" ]; then
    echo "fitting the logistic baseline (the demo run) ..." >&2
    "${NICE[@]}" "$bin" run Experiments/faces.yaml --db "$tmp/demo.sqlite" --reports "$tmp/demo-reports" --quiet >/dev/null
fi
logistic="$work/models/logistic-baseline.json"
"$python" - "$logistic_src" "$logistic" <<'EOF'
import json, os, sys
src, dst = sys.argv[1:]
model = json.load(open(src))
model.pop("fit", None)   # no provenance: Stratum uses the file as it is, whatever the manifest
text = json.dumps(model, indent=2, sort_keys=True) + "\n"
if not os.path.exists(dst) or open(dst).read() != text:
    open(dst + ".part", "w").write(text)
    os.replace(dst + ".part", dst)
EOF

# ---- helpers -----------------------------------------------------------------------------
dataset() {  # N -> folder with manifest.csv and manifest-all.csv
    local n="$1" dir="$work/data/faces-$1"
    if [ ! -f "$dir/manifest.csv" ] || [ "$(($(wc -l <"$dir/manifest.csv") - 1))" != "$n" ]; then
        rm -rf "$dir" "$dir.part"
        echo "generating $n faces into $dir ..." >&2
        "${NICE[@]}" "$bin" dataset generate faces --count "$n" --seed 11 --size 96 --out "$dir.part" --quiet >&2
        mv "$dir.part" "$dir"
    fi
    if [ ! -f "$dir/manifest-all.csv" ] || [ "$dir/manifest.csv" -nt "$dir/manifest-all.csv" ]; then
        awk -F, -v OFS=, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "split") s = i; print; next }
                          { $s = "test"; print }' "$dir/manifest.csv" >"$dir/manifest-all.csv.part"
        mv "$dir/manifest-all.csv.part" "$dir/manifest-all.csv"
    fi
    echo "$dir"
}

experiment() {  # N dataset-dir -> experiment file: faces.yaml on manifest-all.csv
    "$python" - "$repo/Experiments/faces.yaml" "$2/manifest-all.csv" "$logistic" "$1" "$tmp/faces-$1.yaml" <<'EOF'
import os, sys, yaml
source, manifest, logistic, n, out = sys.argv[1:]
spec = yaml.safe_load(open(source))
base = os.path.dirname(os.path.abspath(source))
spec["name"] = "faces-scaling-%s" % n
dataset = spec["dataset"]
dataset.pop("generate", None)
dataset["manifest"] = manifest
dataset["split"] = "test"          # every row of manifest-all.csv
# The three variants scripts/bench_pipeline.py implements too (the demo's fourth, the PyTorch
# ONNX export, has no Python twin there).
spec["variants"] = [v for v in spec["variants"] if v["kind"] in ("logistic", "tfjs")]
for variant in spec["variants"]:
    if variant["kind"] == "logistic":
        variant["path"] = logistic
    elif not os.path.isabs(variant["path"]):
        variant["path"] = os.path.join(base, variant["path"])
yaml.safe_dump(spec, open(out, "w"), sort_keys=False)
print(out)
EOF
}

rss_mb() { awk -F: '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$1"; }
wall_s() {  # "Elapsed (wall clock) time (h:mm:ss or m:ss): 1:02.03" -> seconds
    awk '/Elapsed \(wall clock\)/ { t = $NF; n = split(t, p, ":"); s = 0
         for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s }' "$1"
}

# ---- warm-up ------------------------------------------------------------------------------
# The first run of each program pays one-off costs the others do not: its binary and libraries
# read from disk, gnuplot's and matplotlib's font caches. On 2026-12-06 (AMD EPYC, 2 cores) a
# freshly built stratum ran N=2000 in 4.09 s (reports 2.05 s, image decoding 1.46 s), then
# 1.52 and 1.42 s (reports 0.34 s). So each program runs once, untimed, on the smallest size first.
smallest="$(printf '%s\n' "${sizes[@]}" | sort -n | head -n 1)"
warm_dir="$(dataset "$smallest")"
warm_yaml="$(experiment "$smallest" "$warm_dir")"
echo "== warm-up (untimed): stratum run, N=$smallest ==" >&2
"${NICE[@]}" "$bin" run "$warm_yaml" --db "$tmp/warm-up.sqlite" --reports "$tmp/warm-up-reports" --quiet --chunk-size 64 >/dev/null
if [ "$smallest" -le "$py_max" ]; then
    echo "== warm-up (untimed): bench_pipeline.py, N=$smallest ==" >&2
    "${NICE[@]}" "$python" scripts/bench_pipeline.py "$warm_dir/manifest.csv" --split all --out "$tmp/warm-up-python" \
        --cache "$work/cache" --logistic "$logistic" --chunk-size 64 >/dev/null
fi
rm -rf "$tmp/warm-up.sqlite" "$tmp/warm-up-reports" "$tmp/warm-up-python"

# ---- runs --------------------------------------------------------------------------------
results="$tmp/results.tsv"   # n, round, stratum s, rss, python s, python rss (- when not run)
: >"$results"
# Every size up to $reference_n runs $REPEATS times (default 3), in rounds (each round runs
# every size once, so a slow spell of the host falls on several sizes rather than on all runs
# of one); the table takes each size's median. Larger sizes run once, in the first round.
repeats="${REPEATS:-3}"
[[ "$repeats" =~ ^[1-9][0-9]*$ ]] || { echo "REPEATS='$repeats' is not a positive integer" >&2; exit 64; }
for round in $(seq 1 "$repeats"); do
for n in "${sizes[@]}"; do
    if [ "$round" -gt 1 ] && [ "$n" -gt "$reference_n" ]; then continue; fi
    dir="$(dataset "$n")"
    yaml_file="$(experiment "$n" "$dir")"
    tag="$n-$round"

    echo "== N=$n: stratum run (round $round of $repeats) ==" >&2
    status=0
    /usr/bin/time -v -o "$tmp/time-stratum-$tag.txt" "${NICE[@]}" "$bin" run "$yaml_file" \
        --db "$tmp/stratum-$tag.sqlite" --reports "$tmp/reports-$tag" --quiet --chunk-size 64 \
        >"$tmp/stratum-$tag.txt" 2>"$tmp/stratum-$tag.err" || status=$?
    if [ "$status" != 0 ]; then
        echo "stratum run failed at N=$n (exit $status):" >&2
        tail -n 20 "$tmp/stratum-$tag.err" "$tmp/stratum-$tag.txt" >&2
        exit 1
    fi
    s_wall="$(wall_s "$tmp/time-stratum-$tag.txt")"
    s_rss="$(rss_mb "$tmp/time-stratum-$tag.txt")"
    s_stages="$(grep '^time:' "$tmp/stratum-$tag.txt" | sed 's/^time: //')"
    echo "   stratum: ${s_wall} s wall, ${s_rss} MB peak RSS; stages: $s_stages" >&2
    echo "   stratum $(grep '^predictions:' "$tmp/stratum-$tag.txt" || echo 'predictions: (no breakdown)')" >&2
    "$python" - "$tmp/stratum-$tag.sqlite" >"$tmp/stratum-acc-$tag.json" <<'EOF'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("""SELECT v.name, m.value FROM metric m JOIN modelVariant v ON v.id = m.modelVariantId
                     JOIN slice s ON s.id = m.sliceId
                     WHERE s.name = 'overall' AND m.name = 'accuracyScore'""").fetchall()
print(json.dumps(dict(rows)))
EOF
    files="$(find "$tmp/reports-$tag" -type f | wc -l)"
    predictions="$(printf 'SELECT count(*) FROM prediction;' | "$python" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.stdin.read()).fetchone()[0])' "$tmp/stratum-$tag.sqlite")"
    echo "   stratum: $predictions prediction rows, $files report files, db $(du -h "$tmp/stratum-$tag.sqlite" | cut -f1)" >&2
    # Only the accuracies and the timings are kept from a repeated run.
    if [ "$round" -gt 1 ]; then rm -rf "$tmp/stratum-$tag.sqlite" "$tmp/reports-$tag"; fi

    p_wall=- p_rss=-
    if [ "$round" = 1 ] && [ "$n" -le "$py_max" ]; then
        echo "== N=$n: bench_pipeline.py ==" >&2
        status=0
        /usr/bin/time -v -o "$tmp/time-python-$n.txt" "${NICE[@]}" "$python" scripts/bench_pipeline.py \
            "$dir/manifest.csv" --split all --out "$tmp/python-$n" --cache "$work/cache" \
            --logistic "$logistic" --chunk-size 64 >"$tmp/python-$n.json" 2>"$tmp/python-$n.err" || status=$?
        if [ "$status" != 0 ]; then
            echo "bench_pipeline.py failed at N=$n (exit $status):" >&2
            tail -n 20 "$tmp/python-$n.err" >&2
            exit 1
        fi
        p_wall="$(wall_s "$tmp/time-python-$n.txt")"
        p_rss="$(rss_mb "$tmp/time-python-$n.txt")"
        "$python" - "$tmp/python-$n.json" <<'EOF' >&2
import json, sys
r = json.load(open(sys.argv[1]))
print("   python: %.2f s in-process, %.1f MB peak RSS (ru_maxrss); stages: %s" % (
    r["total_seconds"], r["peak_rss_mb"],
    " · ".join("%s %.2f s" % kv for kv in r["stages"].items())))
print("   python: %d prediction rows, %d metric rows, %d report files" % (
    r["prediction_rows"], r["metric_rows"], len(r["files"])))
EOF
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$round" "$s_wall" "$s_rss" "$p_wall" "$p_rss" >>"$results"
done
done

# ---- table and checks --------------------------------------------------------------------
"$python" - "$results" "$tmp" "$reference_n" <<'EOF'
import json, os, sys
results, tmp, reference = sys.argv[1], sys.argv[2], int(sys.argv[3])
runs = {}   # N -> [(round, Stratum s, RSS MB, Python s, Python RSS MB)]
for line in open(results):
    n, r, s, s_rss, p, p_rss = line.split()
    num = lambda x: None if x == "-" else float(x)
    runs.setdefault(int(n), []).append((int(r), float(s), float(s_rss), num(p), num(p_rss)))
# Each size's row: its median Stratum run (the lower middle one of an even count), the
# largest peak RSS of its runs, and Python's run (the first round's).
rows, median_round = [], {}
for n, these in runs.items():
    by_time = sorted(these, key=lambda run: run[1])
    middle = by_time[(len(by_time) - 1) // 2]
    median_round[n] = middle[0]
    first = min(these)
    rows.append((n, middle[1], max(run[2] for run in these), first[3], first[4]))

def f(x, fmt):
    return "-" if x is None else fmt % x

print()
print("%8s  %10s %10s %10s  %10s %10s  %9s %9s  %s" % (
    "N", "Stratum s", "s/image", "RSS MB", "Python s", "RSS MB", "time S/P", "RSS S/P", "Stratum runs (s)"))
for n, s, s_rss, p, p_rss in rows:
    print("%8d  %10.2f %10.6f %10.1f  %10s %10s  %9s %9s  %s" % (
        n, s, s / n, s_rss, f(p, "%.2f"), f(p_rss, "%.1f"),
        f(None if p is None else s / p, "%.3f"), f(None if p_rss is None else s_rss / p_rss, "%.3f"),
        ", ".join("%.2f" % run[1] for run in sorted(runs[n]))))
print("(Stratum s: the median of each size's runs; its stages below are that run's)")
print()
for n, *_ in rows:
    for name in ("stratum-%d-%d.txt" % (n, median_round[n]),):
        lines = list(open(os.path.join(tmp, name)))
        stages = [l for l in lines if l.startswith("time:")]
        print("N=%-7d Stratum  %s" % (n, stages[0].strip() if stages else "(no time: line)"))
        # Inside the predictions stage: each variant's inference, and beside it decoding and store writes.
        inside = [l for l in lines if l.startswith("predictions:")]
        if inside:
            print("          Stratum  %s" % inside[0].strip())
    path = os.path.join(tmp, "python-%d.json" % n)
    if os.path.exists(path):
        r = json.load(open(path))
        print("N=%-7d Python   time: %s" % (n, " · ".join("%s %.2f s" % kv for kv in r["stages"].items())))
print()

per_image = [s / n for n, s, *_ in rows]
if len(rows) > 1:
    spread = max(per_image) / min(per_image) - 1
    print("%s: Stratum time per image constant within 15%% across sizes (%s; spread %.1f%%)" % (
        "PASS" if spread <= 0.15 else "FAIL",
        ", ".join("%d: %.3f ms" % (n, 1000 * s / n) for n, s, *_ in rows), 100 * spread))
    # Not a check, a reading aid: the per-image cost of the streaming stage alone (decode +
    # inference + store), without the fixed start-up, metrics and reports costs.
    stage, unreported = {}, {}
    for n, s, *_ in rows:
        for l in open(os.path.join(tmp, "stratum-%d-%d.txt" % (n, median_round[n]))):
            if l.startswith("time:"):
                for part in l[5:].split("·"):
                    name, value = part.split()[:2]
                    if name == "predictions":
                        stage[n] = float(value) / n
                    if name == "reports":
                        unreported[n] = (s - float(value)) / n
    if len(stage) == len(rows):
        spread = max(stage.values()) / min(stage.values()) - 1
        print("info: Stratum 'predictions' stage per image: %s (spread %.1f%%)" % (
            ", ".join("%d: %.3f ms" % (n, 1000 * v) for n, v in stage.items()), 100 * spread))
    # Also a reading aid: the reports (4 galleries, 7 charts and index.html, whatever the number
    # of images: ~0.3 s at 2,000 images, nearly all of the fixed part) left out of each run's
    # wall time.
    if len(unreported) == len(rows):
        spread = max(unreported.values()) / min(unreported.values()) - 1
        print("info: Stratum time per image without the reports stage: %s (spread %.1f%%)" % (
            ", ".join("%d: %.3f ms" % (n, 1000 * v) for n, v in unreported.items()), 100 * spread))
    # Also a reading aid: wall time as a fixed part plus a cost per image, fitted by least
    # squares over the sizes run (weighted by 1/N², i.e. on relative error, so the largest size
    # does not fix the line alone), and what each size pays per image once the fixed part is
    # set aside. Only meaningful with three sizes or more.
    if len(rows) > 2:
        w = [1 / n ** 2 for n, *_ in rows]
        sw = sum(w); sx = sum(wi * n for wi, (n, *_) in zip(w, rows)); sy = sum(wi * s for wi, (_, s, *_) in zip(w, rows))
        sxx = sum(wi * n * n for wi, (n, *_) in zip(w, rows)); sxy = sum(wi * n * s for wi, (n, s, *_) in zip(w, rows))
        slope = (sw * sxy - sx * sy) / (sw * sxx - sx * sx)
        fixed = (sy - slope * sx) / sw
        marginal = [(s - fixed) / n for n, s, *_ in rows]
        print("info: Stratum wall time ~ %.2f s fixed + %.3f ms per image (fit over %s); per image without the fixed part: %s (spread %.1f%%)" % (
            fixed, 1000 * slope, ", ".join(str(n) for n, *_ in rows),
            ", ".join("%d: %.3f ms" % (n, 1000 * m) for (n, *_), m in zip(rows, marginal)),
            100 * (max(marginal) / min(marginal) - 1)))
else:
    print("SKIP: time per image needs two sizes")
largest = max(rows)
ref = [r for r in rows if r[0] == reference]
if ref and largest[0] > reference:
    growth = largest[2] / ref[0][2] - 1
    print("%s: Stratum peak RSS at N=%d within 20%% of N=%d (%.1f MB vs %.1f MB, %+.1f%%)" % (
        "PASS" if abs(growth) <= 0.20 else "FAIL", largest[0], reference, largest[2], ref[0][2], 100 * growth))
else:
    print("SKIP: peak RSS check needs N=%d and a larger size" % reference)
    if len(rows) > 1:
        small = min(rows)
        print("      (peak RSS N=%d -> N=%d: %.1f MB -> %.1f MB, %+.1f%%)" % (
            small[0], largest[0], small[2], largest[2], 100 * (largest[2] / small[2] - 1)))
for n, *_ in rows:
    path = os.path.join(tmp, "python-%d.json" % n)
    if not os.path.exists(path):
        continue
    stratum = json.load(open(os.path.join(tmp, "stratum-acc-%d-1.json" % n)))
    python = json.load(open(path))["accuracy"]
    for variant in stratum:
        d = abs(stratum[variant] - python.get(variant, float("nan")))
        print("%s: N=%d %-18s accuracy Stratum %.4f, Python %.4f (|diff| %.4f <= 0.01)" % (
            "PASS" if d <= 0.01 else "FAIL", n, variant, stratum[variant], python.get(variant, float("nan")), d))
EOF
