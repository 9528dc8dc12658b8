#!/usr/bin/env bash
# Sharded runs against PostgreSQL on this machine: 1, 2 and 4 shard processes at once on N
# synthetic faces (default 20000), each configuration into a fresh database of one throw-away
# server (scripts/postgres-test-server.sh), against one unsharded run into SQLite, same run.
# Then the store's write rate (`stratum bench store`): SQLite and PostgreSQL, 1 and 4 writers.
#
#   scripts/bench_shards.sh STRATUM_BIN [N]
#
# The experiment is the demo's (its logistic and two TF.js variants, slices, batch size) on
# every row of the generated set (`split: all`); the faces are generated once into
# $BENCH_WORK/data/faces-N (shared with scripts/bench_scaling.sh). On 2 cores, 2 and 4
# shards cannot be faster than 1 (each shard already keeps both cores busy): the figures show
# what sharding costs here, not what it gains on several machines.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

bin="${1:?usage: scripts/bench_shards.sh STRATUM_BIN [N]}"
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
n="${2:-20000}"
[[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "N '$n' is not a positive integer" >&2; exit 64; }

work="${BENCH_WORK:-${TMPDIR:-/tmp}/stratum-bench-scaling}"
data="$work/data/faces-$n"
if [ ! -f "$data/manifest.csv" ] || [ "$(($(wc -l <"$data/manifest.csv") - 1))" != "$n" ]; then
    rm -rf "$data" "$data.part"
    mkdir -p "$work/data"
    echo "generating $n faces into $data ..." >&2
    "$bin" dataset generate faces --count "$n" --seed 11 --size 96 --out "$data.part" --quiet >&2
    mv "$data.part" "$data"
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/stratum-bench-shards.XXXXXX")"
pg="$(mktemp -d "${TMPDIR:-/tmp}/stratum-bench-pg.XXXXXX")"   # not inside $tmp: the server's user must reach it
trap 'bash scripts/postgres-test-server.sh stop "$pg"; rm -rf "$tmp"' EXIT
bash scripts/postgres-test-server.sh start "$pg" >/dev/null

# The demo's logistic weights, without their fit provenance (so they are used as they are on
# this manifest rather than refitted); made by the demo run when missing.
logistic_src="$repo/Experiments/data/models/logistic-baseline.json"
if [ ! -f "$logistic_src" ]; then
    "$bin" run Experiments/faces.yaml --db "$tmp/demo.sqlite" --reports "$tmp/demo-reports" --quiet >/dev/null
fi
python3 - "$logistic_src" "$tmp/logistic.json" <<'EOF'
import json, sys
model = json.load(open(sys.argv[1]))
model.pop("fit", None)
json.dump(model, open(sys.argv[2], "w"))
EOF
cat >"$tmp/shards.yaml" <<EOF
name: shards-$n
dataset: {manifest: "$data/manifest.csv", label: sex, labels: [female, male], split: all}
variants:
  - {name: logistic-baseline, kind: logistic, path: "$tmp/logistic.json", options: {size: 24, channels: 3, C: 0.01}}
  - {name: small-cnn, kind: tfjs, path: "$repo/Experiments/models/small-cnn", options: {normalize: unit}}
  - {name: automl-mobilenet, kind: tfjs, path: "$repo/Experiments/models/automl-mobilenet", options: {normalize: symmetric}}
slices:
  by: [age_group, hair_length]
  named: {children: "age < 13"}
  intersections: true
  min_size: 10
batch_size: 32
EOF

now() { date +%s.%N; }
echo "== sharded runs on $n images × 3 variants: PostgreSQL store, shards as concurrent processes ==" >&2
start="$(now)"
"$bin" run "$tmp/shards.yaml" --db "$tmp/reference.sqlite" --reports "$tmp/reports-ref" --quiet --format json >"$tmp/reference.json"
reference="$(python3 -c "print($(now) - $start)")"
printf '%-34s %8.1f s   1.00×   (stages: %s)\n' "unsharded, SQLite (reference)" "$reference" \
    "$(python3 -c 'import json, sys; print(", ".join("%s %.1f s" % (x["stage"], x["seconds"]) for x in json.load(open(sys.argv[1]))["stages"]))' "$tmp/reference.json")"
for shards in 1 2 4; do
    url="$(bash scripts/postgres-test-server.sh createdb "$pg" "shards$shards")"
    start="$(now)"
    pids=()
    for ((i = 0; i < shards; i++)); do
        "$bin" run "$tmp/shards.yaml" --db "$url" --reports "$tmp/reports-$shards" --quiet --shard "$i/$shards" --run-key "bench" \
            >"$tmp/shard-$shards-$i.out" 2>"$tmp/shard-$shards-$i.err" &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do
        wait "$pid" || { echo "a shard failed:" >&2; cat "$tmp"/shard-"$shards"-*.err >&2; exit 1; }
    done
    seconds="$(python3 -c "print($(now) - $start)")"
    rows="$(psql -tA "$url" -c "SELECT count(*) FROM prediction")"
    status="$(psql -tA "$url" -c "SELECT status FROM run")"
    [ "$rows" = "$((3 * n))" ] && [ "$status" = completed ] || { echo "$shards shards: $rows predictions, run $status" >&2; exit 1; }
    printf '%-34s %8.1f s   %.2f×   (%s predictions, run %s)\n' "$shards shard(s), PostgreSQL" "$seconds" \
        "$(python3 -c "print($reference / $seconds)")" "$rows" "$status"
done
echo "(× = reference time / this time; higher is faster; CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores)"
echo
echo "== store write rate: SQLite and PostgreSQL, 1 and 4 writers ==" >&2
"$bin" bench store --postgres "$(bash scripts/postgres-test-server.sh createdb "$pg" writes)" --predictions 200000 --writers 4
