#!/usr/bin/env python3
"""Python reference benchmark for Stratum's statistics (bootstrap intervals, slice finding).

Needs (installs nothing itself; these are the versions it was written and run with):

    pip install fairlearn==0.15.0 sliceline==0.3.0 numpy==2.4.6 pandas==3.1.1 scikit-learn==1.9.1

(scipy 1.17.1 comes in with them; numba is NOT installed, so sliceline uses its NumPy code
path -- `pip install numba` would switch it to its JIT path, same results.)

Usage:

    python3 scripts/bench_stats.py WORKDIR [--quick]     # workloads + timings
    python3 scripts/bench_stats.py --fixture PATH        # Swift test fixture (sliceline.json)

WORKDIR receives deterministic workloads (fixed numpy seeds) that Stratum reads later:

  predictions-20k.csv   20,000 rows, one variant `a`
  predictions-100k.csv  3 variants (a, b, c) x 100,000 samples = 300,000 rows, same ids and
                        attributes in every variant, errors correlated across variants
      columns: id,label,predicted,p_female,p_male,variant,group,age,hair,skin,glasses,light,beard
      labels female/male (about 66% female), predicted = argmax(p_female, p_male),
      accuracy about 0.88 with errors concentrated in a few attribute combinations
      (age=child & hair=short, light=dim & skin=dark, age=senior & glasses=yes, group=g4).
  slices-20k.csv, slices-200k.csv
      columns: id,error,age,hair,skin,glasses,light,beard (6 categorical attributes with
      2-5 values, error 0/1, base error 8%, overall about 10.5%) with planted weak slices:
      age=child & hair=short (0.40), light=dim & skin=IV (0.35),
      age=senior & glasses=yes & light=normal (0.50; about 1.9% of rows).

and the outputs of this run:

  sliceline-top-20k.json, sliceline-top-200k.json   top slices found by sliceline
  bench-stats-details.json   versions, parameters, CPU, and the numpy bootstrap point
                             estimates and 95% percentile intervals (for cross-checking)

Timed (one JSON object of seconds on stdout; progress goes to stderr):

  fairlearn_bootstrap_20k   fairlearn MetricFrame (accuracy, selection_rate, true/false
                            positive rate, balanced accuracy; sensitive feature `group`)
                            with its built-in bootstrap: n_boot=100, ci_quantiles
                            [0.025, 0.975], random_state fixed. fairlearn resamples the whole
                            data set (not stratified) and recomputes the full MetricFrame.
  numpy_bootstrap_20k       hand-vectorised stratified percentile bootstrap, 1,000 resamples
                            of the same 5 metrics for the overall slice and each `group`
                            slice (strata = true label within the slice)
  numpy_bootstrap_100k      the same for 3 variants x 100k (paired: every variant is
                            evaluated on the same resample), overall + the 4 `group` slices
  sliceline_20k/_200k       sliceline.Slicefinder(alpha=0.95, k=10, max_l=3,
                            min_sup=int(0.01 * n)).fit(attributes, error)

Binary metrics use `male` (labels[1] of the sorted labels, as in Stratum) as positive class.
--quick: n_boot=10 for fairlearn and no 200k sliceline run.
Timings exclude data generation and CSV writing. BLAS is not used by the timed code.
"""

import argparse
import json
import os
import platform
import sys
import time
import warnings

import numpy as np
import pandas as pd

POSITIVE = "male"
LABELS = ["female", "male"]

# --- workload generation -----------------------------------------------------------------

PRED_ATTRS = {  # name: (values, probabilities)
    "age": (["child", "young", "adult", "senior"], [0.15, 0.35, 0.35, 0.15]),
    "hair": (["short", "medium", "long"], [0.40, 0.30, 0.30]),
    "skin": (["light", "medium", "dark"], [0.45, 0.30, 0.25]),
    "glasses": (["no", "yes"], [0.75, 0.25]),
    "light": (["bright", "normal", "dim"], [0.30, 0.50, 0.20]),
    "beard": (["no", "yes"], None),  # depends on the label
}
GROUPS = (["g1", "g2", "g3", "g4"], [0.40, 0.30, 0.20, 0.10])

SLICE_ATTRS = {
    "age": (["child", "teen", "adult", "middle", "senior"], [0.12, 0.18, 0.30, 0.25, 0.15]),
    "hair": (["short", "medium", "long"], [0.40, 0.30, 0.30]),
    "skin": (["I", "II", "III", "IV"], [0.30, 0.30, 0.25, 0.15]),
    "glasses": (["no", "yes"], [0.75, 0.25]),
    "light": (["bright", "normal", "dim"], [0.30, 0.50, 0.20]),
    "beard": (["no", "yes"], [0.85, 0.15]),
}


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _intercept_for_mean(logits, target):
    """b such that mean(sigmoid(logits + b)) == target (bisection; deterministic)."""
    lo, hi = -20.0, 20.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if _sigmoid(logits + mid).mean() < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _draw(rng, values, probs, n):
    return np.asarray(values, dtype=object)[rng.choice(len(values), size=n, p=probs)]


def generate_predictions(n, variants, seed):
    """One DataFrame with len(variants) * n rows (variant-major), same samples per variant."""
    rng = np.random.default_rng(seed)
    label = np.where(rng.random(n) < 0.66, "female", "male").astype(object)
    male = label == "male"
    cols = {}
    for name, (values, probs) in PRED_ATTRS.items():
        if name == "beard":
            cols[name] = np.where(rng.random(n) < np.where(male, 0.30, 0.01), "yes", "no").astype(object)
        else:
            cols[name] = _draw(rng, values, probs, n)
    group = _draw(rng, GROUPS[0], GROUPS[1], n)
    ids = np.array([f"s{i:06d}" for i in range(1, n + 1)], dtype=object)
    shared = rng.normal(size=n)  # per-sample difficulty shared by all variants

    def flag(attr, value):
        return (cols[attr] == value).astype(float)

    effects = {  # variant: weights of the hard attribute combinations
        "a": (2.6, 1.8, 1.2, 0.8),
        "b": (2.2, 2.2, 0.6, 1.2),
        "c": (3.0, 1.2, 1.6, 0.4),
    }
    frames = []
    for v in variants:
        w = effects[v]
        logit = (w[0] * flag("age", "child") * flag("hair", "short")
                 + w[1] * flag("light", "dim") * flag("skin", "dark")
                 + w[2] * flag("age", "senior") * flag("glasses", "yes")
                 + w[3] * (group == "g4")
                 + 1.3 * shared + 0.5 * rng.normal(size=n))
        logit = logit + _intercept_for_mean(logit, 0.12)
        wrong = rng.random(n) < _sigmoid(logit)
        predicted = np.where(wrong, np.where(male, "female", "male"), label).astype(object)
        # confidence of the predicted class in [0.501, 0.999]; wrong predictions less confident
        conf = 0.501 + 0.498 * rng.beta(np.where(wrong, 1.5, 4.0), np.where(wrong, 3.0, 1.2))
        p_female = np.where(predicted == "female", conf, 1.0 - conf)
        frames.append(pd.DataFrame({
            "id": ids, "label": label, "predicted": predicted,
            "p_female": np.round(p_female, 6), "p_male": np.round(1.0 - p_female, 6),
            "variant": v, "group": group, **cols,
        }))
    return pd.concat(frames, ignore_index=True)


def generate_slices(n, seed, attrs=SLICE_ATTRS, base=0.08):
    rng = np.random.default_rng(seed)
    cols = {name: _draw(rng, values, probs, n) for name, (values, probs) in attrs.items()}
    p = np.full(n, base)
    if "skin" in cols:
        p = np.where((cols["light"] == "dim") & (cols["skin"] == "IV"), 0.35, p)
    else:
        p = np.where((cols["light"] == "dim") & (cols["beard"] == "yes"), 0.35, p)
    p = np.where((cols["age"] == "child") & (cols["hair"] == "short"), 0.40, p)
    p = np.where((cols["age"] == "senior") & (cols["glasses"] == "yes") & (cols["light"] == "normal"), 0.50, p)
    error = (rng.random(n) < p).astype(np.int64)
    ids = np.array([f"r{i:06d}" for i in range(1, n + 1)], dtype=object)
    return pd.DataFrame({"id": ids, "error": error, **cols})


# --- numpy stratified bootstrap ------------------------------------------------------------

METRICS = ["accuracy", "selection_rate", "true_positive_rate", "false_positive_rate", "balanced_accuracy"]


def _metrics_from_counts(tp, fp, n_pos, n_neg):
    """Arrays of tp / fp counts -> dict of metric arrays (NaN where undefined)."""
    n = n_pos + n_neg
    with np.errstate(divide="ignore", invalid="ignore"):
        tpr = tp / n_pos if n_pos else np.full(np.shape(tp), np.nan)
        fpr = fp / n_neg if n_neg else np.full(np.shape(fp), np.nan)
        if n_pos and n_neg:
            bal = (tpr + (1.0 - fpr)) / 2.0
        else:  # one class only: balanced accuracy = that class's recall
            bal = tpr if n_pos else 1.0 - fpr
        return {
            "accuracy": (tp + (n_neg - fp)) / n,
            "selection_rate": (tp + fp) / n,
            "true_positive_rate": tpr,
            "false_positive_rate": fpr,
            "balanced_accuracy": bal,
        }


def numpy_bootstrap(truth_pos, pred_pos, slices, resamples, seed, chunk_elems=4_000_000, confidence=0.95):
    """Stratified percentile bootstrap of METRICS.

    truth_pos: bool (n,); pred_pos: bool (V, n); slices: list of (name, int index array).
    Each resample draws, per true class inside the slice, as many members as that class has,
    uniformly with replacement (index matrices from rng.integers). The predictions of the V
    variants at a sample are packed into a small code (bit v = variant v predicted positive),
    so one gather of codes per stratum serves every variant; counts are taken per bit.
    Returns {slice: {variant index: {metric: (point, low, high)}}}.
    """
    rng = np.random.default_rng(seed)
    n_var = pred_pos.shape[0]
    assert n_var <= 8
    codes_all = np.zeros(truth_pos.shape[0], dtype=np.uint8)
    for v in range(n_var):
        codes_all |= pred_pos[v].astype(np.uint8) << v
    tail = (1.0 - confidence) / 2.0
    out = {}
    for name, members in slices:
        strata = [members[truth_pos[members]], members[~truth_pos[members]]]  # positives, negatives
        counts = np.zeros((2, n_var, resamples), dtype=np.int64)  # [stratum][variant][resample]
        for s, stratum in enumerate(strata):
            m = stratum.shape[0]
            if m == 0:
                continue
            codes = codes_all[stratum]
            chunk = max(1, min(resamples, chunk_elems // m))
            for start in range(0, resamples, chunk):
                c = min(chunk, resamples - start)
                idx = rng.integers(0, m, size=(c, m), dtype=np.int32)
                drawn = codes[idx]  # (c, m) uint8
                for v in range(n_var):
                    counts[s, v, start:start + c] = np.count_nonzero(drawn & np.uint8(1 << v), axis=1)
        n_pos, n_neg = strata[0].shape[0], strata[1].shape[0]
        res = {}
        for v in range(n_var):
            point = _metrics_from_counts(int(np.count_nonzero(pred_pos[v][strata[0]])),
                                         int(np.count_nonzero(pred_pos[v][strata[1]])), n_pos, n_neg)
            boot = _metrics_from_counts(counts[0, v].astype(float), counts[1, v].astype(float), n_pos, n_neg)
            res[v] = {}
            for metric in METRICS:
                vals = boot[metric]
                defined = vals[~np.isnan(vals)]
                if defined.size * 2 >= vals.size and defined.size:
                    lo, hi = np.quantile(defined, [tail, 1.0 - tail])  # linear interpolation
                    res[v][metric] = (float(point[metric]), float(lo), float(hi))
                else:
                    res[v][metric] = (float(point[metric]), None, None)
        out[name] = res
    return out


def _group_slices(group):
    slices = [("overall", np.arange(group.shape[0]))]
    for g in sorted(set(group.tolist())):
        slices.append((f"group={g}", np.flatnonzero(group == g)))
    return slices


# --- fairlearn -------------------------------------------------------------------------------

def fairlearn_bootstrap(y_true, y_pred, group, n_boot, seed):
    import sklearn.metrics as skm
    from fairlearn.metrics import (MetricFrame, false_positive_rate, selection_rate,
                                   true_positive_rate)
    metrics = {
        "accuracy": skm.accuracy_score,
        "selection_rate": selection_rate,
        "true_positive_rate": true_positive_rate,
        "false_positive_rate": false_positive_rate,
        "balanced_accuracy": skm.balanced_accuracy_score,
    }
    mf = MetricFrame(metrics=metrics, y_true=y_true, y_pred=y_pred, sensitive_features=group,
                     n_boot=n_boot, ci_quantiles=[0.025, 0.975], random_state=seed)
    return mf.overall_ci, mf.by_group_ci


# --- sliceline -------------------------------------------------------------------------------

def run_sliceline(attrs_df, error, alpha, k, max_l, min_sup):
    from sliceline import Slicefinder
    X = attrs_df.to_numpy(dtype=object)  # sliceline rejects numpy '<U' string arrays
    t0 = time.perf_counter()
    sf = Slicefinder(alpha=alpha, k=k, max_l=max_l, min_sup=min_sup, verbose=False)
    sf.fit(X, np.asarray(error, dtype=float))
    seconds = time.perf_counter() - t0
    top = []
    for sl, st in zip(sf.top_slices_, sf.top_slices_statistics_):
        top.append({
            "slice": {a: str(v) for a, v in zip(attrs_df.columns, sl) if v is not None},
            "size": int(st["slice_size"]),
            "errors": float(st["sum_slice_error"]),
            "score": float(st["slice_score"]),
        })
    return seconds, top, float(sf.average_error_)


def _slice_text(s):
    return " & ".join(f"{a}={v}" for a, v in s["slice"].items())


# --- fixture -------------------------------------------------------------------------------

FIXTURE_ATTRS = {
    "age": (["child", "adult", "senior"], [0.2, 0.55, 0.25]),
    "hair": (["short", "medium", "long"], [0.4, 0.3, 0.3]),
    "glasses": (["no", "yes"], [0.7, 0.3]),
    "light": (["bright", "normal", "dim"], [0.3, 0.45, 0.25]),
    "beard": (["no", "yes"], [0.8, 0.2]),
}


def make_fixture(path, n=2000, seed=7):
    """~2,000 rows, 5 attributes, planted weak slices; top slices computed by sliceline 0.3.0.

    beard=yes only occurs with hair=short, so {beard=yes, ...} and {beard=yes, hair=short, ...}
    cover the same rows and tie on score: the fixture exercises sliceline's tie order.
    """
    from importlib.metadata import version
    df = generate_slices(n, seed, attrs=FIXTURE_ATTRS, base=0.10)
    rng = np.random.default_rng(seed + 1)
    df.loc[df["beard"] == "yes", "hair"] = "short"
    # re-draw the errors so that the planted combinations use the final hair column
    a = {c: df[c].to_numpy() for c in FIXTURE_ATTRS}
    p = np.full(n, 0.10)
    p = np.where((a["light"] == "dim") & (a["beard"] == "yes"), 0.45, p)
    p = np.where((a["age"] == "child") & (a["hair"] == "short"), 0.40, p)
    p = np.where((a["age"] == "senior") & (a["glasses"] == "yes") & (a["light"] == "dim"), 0.60, p)
    df["error"] = (rng.random(n) < p).astype(np.int64)
    attrs = list(FIXTURE_ATTRS)
    params = {"alpha": 0.95, "k": 8, "max_l": 3, "min_sup": 20}
    _, top, avg = run_sliceline(df[attrs], df["error"], **params)
    fixture = {
        "generator": f"scripts/bench_stats.py --fixture (sliceline {version('sliceline')}, scikit-learn {version('scikit-learn')}, numpy {np.__version__})",
        "attributes": attrs,
        "rows": df[attrs].astype(str).values.tolist(),
        "error": df["error"].astype(int).tolist(),
        "params": params,
        "average_error": avg,
        "top": top,
    }
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    for s in top:
        print(f"{s['score']:.6f}  size={s['size']}  errors={s['errors']:.0f}  {_slice_text(s)}", file=sys.stderr)
    print(f"wrote {path}: {n} rows, {len(top)} top slices", file=sys.stderr)


# --- main -----------------------------------------------------------------------------------

def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _log(msg):
    print(msg, file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("workdir", nargs="?")
    ap.add_argument("--quick", action="store_true", help="n_boot=10 for fairlearn, skip 200k sliceline")
    ap.add_argument("--fixture", metavar="PATH", help="write the Swift sliceline fixture and exit")
    args = ap.parse_args()
    warnings.filterwarnings("ignore", category=UserWarning)
    if args.fixture:
        make_fixture(args.fixture)
        return
    if not args.workdir:
        ap.error("WORKDIR is required (or --fixture PATH)")
    work = args.workdir
    os.makedirs(work, exist_ok=True)

    import fairlearn
    import sklearn
    import sliceline
    from importlib.metadata import version

    timings = {}
    details = {
        "cpu": _cpu_model(), "cpus": os.cpu_count(), "python": platform.python_version(),
        "versions": {p: version(p) for p in ["numpy", "pandas", "scikit-learn", "scipy", "fairlearn", "sliceline"]},
        "sliceline_numba": bool(sliceline.is_numba_available()),
        "quick": args.quick, "positive_label": POSITIVE,
    }

    # workloads
    _log("generating workloads ...")
    pred20 = generate_predictions(20_000, ["a"], seed=20_000)
    pred100 = generate_predictions(100_000, ["a", "b", "c"], seed=100_000)
    sl20 = generate_slices(20_000, seed=2_020)
    sl200 = generate_slices(200_000, seed=2_200)
    for name, df in [("predictions-20k.csv", pred20), ("predictions-100k.csv", pred100),
                     ("slices-20k.csv", sl20), ("slices-200k.csv", sl200)]:
        df.to_csv(os.path.join(work, name), index=False, float_format="%.6f")
    details["workloads"] = {
        "predictions-20k.csv": {"rows": len(pred20), "accuracy": float((pred20.label == pred20.predicted).mean()),
                                "female_share": float((pred20.label == "female").mean())},
        "predictions-100k.csv": {"rows": len(pred100), "accuracy_by_variant": {
            v: float((d.label == d.predicted).mean()) for v, d in pred100.groupby("variant")}},
        "slices-20k.csv": {"rows": len(sl20), "error_rate": float(sl20.error.mean())},
        "slices-200k.csv": {"rows": len(sl200), "error_rate": float(sl200.error.mean())},
    }

    # fairlearn bootstrap (20k)
    n_boot = 10 if args.quick else 100
    y_true = (pred20.label.to_numpy() == POSITIVE).astype(int)
    y_pred = (pred20.predicted.to_numpy() == POSITIVE).astype(int)
    group20 = pred20.group.to_numpy()
    _log(f"fairlearn MetricFrame bootstrap n_boot={n_boot} ...")
    t0 = time.perf_counter()
    overall_ci, by_group_ci = fairlearn_bootstrap(y_true, y_pred, group20, n_boot, seed=1)
    timings["fairlearn_bootstrap_20k"] = time.perf_counter() - t0
    details["fairlearn_bootstrap_20k"] = {"n_boot": n_boot, "ci_quantiles": [0.025, 0.975],
                                          "overall_ci": [s.to_dict() for s in overall_ci],
                                          "by_group_ci": [s.to_dict(orient="index") for s in by_group_ci]}

    # numpy stratified bootstrap (20k, one variant)
    resamples = 1000
    _log(f"numpy stratified bootstrap 20k, {resamples} resamples ...")
    slices20 = _group_slices(group20)
    t0 = time.perf_counter()
    r20 = numpy_bootstrap(y_true.astype(bool), y_pred.astype(bool)[None, :], slices20, resamples, seed=2)
    timings["numpy_bootstrap_20k"] = time.perf_counter() - t0
    details["numpy_bootstrap_20k"] = {"resamples": resamples, "variants": ["a"],
                                      "results": {s: {"a": r[0]} for s, r in r20.items()}}

    # numpy stratified bootstrap (3 variants x 100k)
    _log(f"numpy stratified bootstrap 3 x 100k, {resamples} resamples ...")
    variants = ["a", "b", "c"]
    n100 = 100_000
    first = pred100[pred100.variant == "a"]
    truth100 = first.label.to_numpy() == POSITIVE
    preds100 = np.stack([pred100[pred100.variant == v].predicted.to_numpy() == POSITIVE for v in variants])
    assert preds100.shape == (3, n100)
    slices100 = _group_slices(first.group.to_numpy())
    t0 = time.perf_counter()
    r100 = numpy_bootstrap(truth100, preds100, slices100, resamples, seed=3)
    timings["numpy_bootstrap_100k"] = time.perf_counter() - t0
    details["numpy_bootstrap_100k"] = {"resamples": resamples, "variants": variants,
                                       "results": {s: {variants[v]: m for v, m in r.items()} for s, r in r100.items()}}

    # sliceline
    attrs = list(SLICE_ATTRS)
    runs = [("20k", sl20)] + ([] if args.quick else [("200k", sl200)])
    for tag, df in runs:
        params = {"alpha": 0.95, "k": 10, "max_l": 3, "min_sup": int(0.01 * len(df))}
        _log(f"sliceline {tag} {params} ...")
        seconds, top, avg = run_sliceline(df[attrs], df["error"], **params)
        timings[f"sliceline_{tag}"] = seconds
        with open(os.path.join(work, f"sliceline-top-{tag}.json"), "w") as f:
            json.dump({"params": params, "rows": len(df), "average_error": avg, "top": top}, f, indent=1)
            f.write("\n")
        details[f"sliceline_{tag}"] = {"params": params, "found": len(top)}
        for s in top[:5]:
            _log(f"  {s['score']:.4f}  size={s['size']}  errors={s['errors']:.0f}  {_slice_text(s)}")

    details["seconds"] = timings
    with open(os.path.join(work, "bench-stats-details.json"), "w") as f:
        json.dump(details, f, indent=1, default=str)
        f.write("\n")
    print(json.dumps({k: round(v, 4) for k, v in timings.items()}))


if __name__ == "__main__":
    main()
