#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds (debug) and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

# chromium: the HTML report is checked in a real headless browser. postgresql and slurm-wlm:
# the PostgreSQL store and the Slurm job array script are tested against a real server and a
# real one-node cluster (throw-away ones, started here in temporary folders, stopped on exit).
bash scripts/install-deps.sh chromium postgresql slurm-wlm python3-venv openssl
# kubernetes-validate (PyPI) checks the Kubernetes manifests against the API's schemas, offline.
if [ ! -x .build/test-venv/bin/kubernetes-validate ]; then
    python3 -m venv .build/test-venv
    .build/test-venv/bin/pip install --quiet --disable-pip-version-check kubernetes-validate==1.37.0
fi
export STRATUM_TEST_KUBERNETES_VALIDATE="$PWD/.build/test-venv/bin/kubernetes-validate"
# Everything the tests write goes under one folder of this run's, removed on exit (~350 MB a
# run; the disk here is shared and has been seen nearly full). KEEP_TEST_TMP=1 keeps it.
# World-traversable, as /tmp is: the PostgreSQL server runs as the postgres user.
run_tmp=$(mktemp -d "${TMPDIR:-/tmp}/stratum-test-run.XXXXXX")
chmod 755 "$run_tmp"
export TMPDIR="$run_tmp"
STRATUM_TEST_POSTGRES_DIR=$(mktemp -d "$run_tmp/pg.XXXXXX")
slurm_dir=$(mktemp -d "$run_tmp/slurm.XXXXXX")
export STRATUM_TEST_POSTGRES_DIR
# The tests' exit status is kept; a clean-up that fails says so on stderr.
finish() {
    local status=$?
    set +e
    bash scripts/postgres-test-server.sh stop "$STRATUM_TEST_POSTGRES_DIR"
    bash scripts/slurm-test-cluster.sh stop "$slurm_dir"
    if [ "${KEEP_TEST_TMP:-0}" = 1 ]; then
        echo "test files kept in $run_tmp" >&2
    elif ! rm -rf "$run_tmp"; then
        echo "warning: could not remove all of $run_tmp" >&2
    fi
    exit "$status"
}
trap finish EXIT
bash scripts/postgres-test-server.sh start "$STRATUM_TEST_POSTGRES_DIR" >/dev/null
STRATUM_TEST_SLURM_CONF=$(bash scripts/slurm-test-cluster.sh start "$slurm_dir")
export STRATUM_TEST_SLURM_CONF
swift build --build-tests
# The Haswell-compiled kernel module must leave no shared symbols for baseline code to bind to.
bash scripts/check-simd-symbols.sh "$(swift build --show-bin-path)"
swift test --skip-build "$@"
if [ $# -eq 0 ]; then
    # The parsers under libFuzzer with AddressSanitizer, 2,000 executions per target (plus every
    # committed crash input); `make fuzz` runs 1,000,000 each.
    echo "== fuzz targets, short form =="
    bash scripts/fuzz.sh --short
    # The suites that run the engine's kernels, run again on each other kernel set.
    kernel_suites="EngineTests|TFJSTests|TFJSMalformedTests|PredictCommandTests|ONNXTests|ProjectionShortcutTests|TFJSPreparedLayersTests"
    # The engine's fallback (what CPUs without AVX2/FMA run) against TensorFlow too.
    echo "== engine, TensorFlow.js and ONNX tests again without the SIMD kernels (STRATUM_SIMD=none) =="
    STRATUM_SIMD=none swift test --skip-build --filter "$kernel_suites"
    # On an AVX-512 CPU the runs above took the AVX-512 kernels; this one takes the AVX2 ones,
    # so that each path is checked against the scalar one (on an AVX2-only CPU it repeats them).
    echo "== the same tests on the AVX2 kernels (STRATUM_SIMD=avx2) =="
    STRATUM_SIMD=avx2 swift test --skip-build --filter "$kernel_suites"
    # What `make bench` uses to show onnxruntime an AVX2-only CPU (where this CPU allows it).
    echo "== scripts/avx2-only.sh: CPUID without AVX-512 under its library, real faults still crash =="
    avx2_dir="$(mktemp -d "$run_tmp/avx2-only.XXXXXX")"
    status=0
    bash scripts/avx2-only.sh "$avx2_dir" >/dev/null || status=$?
    rm -rf "$avx2_dir"
    case "$status" in
        0) echo "ok" ;;
        3) echo "skipped: this CPU cannot run it (the reason is above)" ;;
        *) exit "$status" ;;
    esac
fi
