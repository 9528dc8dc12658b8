#!/usr/bin/env python3
"""Python reference benchmark for Stratum's statistics (bootstrap intervals, slice finding).

Needs (installs nothing itself; these are the versions it was written and run with):

    pip install fairlearn==0.15.0 sliceline==0.3.0 numpy==2.4.6 pandas==3.1.1 scikit-learn==1.9.1

(scipy 1.17.1 comes in with them; numba is NOT installed, so sliceline uses its NumPy code
path -- `pip install numba` would switch it to its JIT path, same results.)

Usage:

    python3 scripts/bench_stats.py WORKDIR [--quick] [--only KEY[,KEY]]   # workloads + timings
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
  numpy_bootstrap_all_20k   apples-to-apples with Stratum: the same stratified bootstrap
  numpy_bootstrap_all_100k  (1,000 resamples, same slices, variants paired) of Stratum's FULL
                            metric set (21 metrics: accuracy, balanced accuracy, macro/weighted
                            F1, MCC, ROC AUC, log loss, Brier, ECE, and per class precision,
                            recall, F1, selection rate, TPR, FPR), hand-vectorised
                            (`numpy_bootstrap_all`), on the CSVs as written. Its point
                            estimates are checked against scikit-learn (details JSON,
                            numpy_bootstrap_all_20k.sklearn_check, tolerance 1e-9).
  sliceline_20k/_200k       sliceline.Slicefinder(alpha=0.95, k=10, max_l=3,
                            min_sup=int(0.01 * n)).fit(attributes, error)

Binary metrics use `male` (labels[1] of the sorted labels, as in Stratum) as positive class.
--quick: n_boot=10 for fairlearn and no 200k sliceline run.
--only KEY[,KEY]: run only these timings (workloads are still generated and written).
Timings exclude data generation, CSV writing and reading. BLAS is used only by
numpy_bootstrap_all (one matrix product per chunk of resamples, held to one thread).
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


# --- numpy stratified bootstrap of Stratum's full metric set ---------------------------------

# Stratum's metric layout (StratumMetrics.MetricLayout) for the labels [female, male].
ALL_OVERALL = ["accuracyScore", "balancedAccuracyScore", "macroF1Score", "weightedF1Score", "matthewsCorrcoef",
               "rocAucScore", "logLoss", "brierScoreLoss", "expectedCalibrationError"]
ALL_PER_CLASS = ["precisionScore", "recallScore", "f1Score", "selectionRate", "truePositiveRate", "falsePositiveRate"]
ALL_METRICS = ALL_OVERALL + [f"{m}[{c}]" for c in LABELS for m in ALL_PER_CLASS]
EPS = float(np.finfo(np.float64).eps)  # 2.220446049250313e-16, Swift's Double.ulpOfOne
N_FEATURES = 14  # per variant: tp, fp, log loss, Brier, 10 calibration bins (hits - confidence)


def _div(a, b):
    """a / b elementwise, NaN where b == 0."""
    a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    out = np.full(a.shape, np.nan)
    np.divide(a, b, out=out, where=b != 0)
    return out


class AllMetricsSlice:
    """One slice laid out for weighted evaluation of ALL_METRICS for every variant at once.

    Members are reordered positives (true male) first, then negatives, so a stratified
    resample's weight matrix W (resamples x members, int64) is filled by one bincount, and
    every sum a metric needs is one matrix product W @ F (F: members x variants*14 per-sample features:
    true-positive and false-positive indicators, log loss, Brier loss, and for each of the 10
    calibration bins `correct - confidence` of the members in that bin, so that
    |W @ F_bin| = |hits_b - confidence_b|). ROC AUC: per variant the negatives are pre-sorted by
    p_male; per resample their weights are gathered in that order and cumulated, and each
    positive collects the negative weight below its score plus half the weight tied with it
    (two searchsorted positions into the sorted negatives), i.e. ties count one half; the
    AUC sums stay in int64 (exact; integer cumsum is several times faster than float).
    """

    def __init__(self, truth_pos, pred_pos, p_female, p_male, members):
        pos = members[truth_pos[members]]
        neg = members[~truth_pos[members]]
        local = np.concatenate([pos, neg])
        self.m_pos, self.m_neg = pos.shape[0], neg.shape[0]
        self.m = m = local.shape[0]
        n_var = pred_pos.shape[0]
        self.n_var = n_var
        t = truth_pos[local]
        pp = pred_pos[:, local].T  # (m, V)
        pf, pm = p_female[:, local].T, p_male[:, local].T
        p_true = np.where(t[:, None], pm, pf)
        conf = np.where(pp, pm, pf)  # probability of the predicted label
        correct = pp == t[:, None]
        bins = np.minimum(9, np.maximum(0, (conf * 10.0).astype(np.int64)))  # truncation, as Int(c * 10)
        F = np.zeros((m, n_var, N_FEATURES))
        F[:self.m_pos, :, 0] = pp[:self.m_pos]  # true positives
        F[self.m_pos:, :, 1] = pp[self.m_pos:]  # false positives
        F[:, :, 2] = -np.log(np.clip(p_true, EPS, 1.0 - EPS))
        F[:, :, 3] = (pm - t[:, None]) ** 2
        F[np.arange(m)[:, None], np.arange(n_var)[None, :], 4 + bins] = correct - conf
        self.F = F.reshape(m, n_var * N_FEATURES)
        self.auc = []
        for v in range(n_var):
            s_neg = pm[self.m_pos:, v]
            order = np.argsort(s_neg, kind="stable")
            sorted_neg = s_neg[order]
            s_pos = pm[:self.m_pos, v]
            lo = np.searchsorted(sorted_neg, s_pos, side="left")   # negatives strictly below
            hi = np.searchsorted(sorted_neg, s_pos, side="right")  # negatives below or tied
            self.auc.append(((order + self.m_pos).astype(np.intp), lo.astype(np.intp), hi.astype(np.intp)))

    def evaluate(self, W):
        """W: (c, m) int64 weights (member order of this slice) -> (V, len(ALL_METRICS), c)."""
        c = W.shape[0]
        P, N = float(self.m_pos), float(self.m_neg)  # fixed by the stratification
        n = P + N
        S = (W.astype(np.float64) @ self.F).reshape(c, self.n_var, N_FEATURES)
        tp, fp = S[:, :, 0], S[:, :, 1]
        fn, tn = P - tp, N - fp
        pred_p, pred_n = tp + fp, tn + fn
        rec_m, rec_f = _div(tp, P), _div(tn, N)
        prec_m, prec_f = _div(tp, pred_p), _div(tn, pred_n)
        f1_m, f1_f = _div(2 * tp, P + pred_p), _div(2 * tn, N + pred_n)
        with np.errstate(invalid="ignore"):
            recalls = np.stack([rec_f, rec_m])
            bal = np.where(np.isnan(recalls).all(0), np.nan, np.nansum(recalls, 0) / np.maximum(1, (~np.isnan(recalls)).sum(0)))
            f1s = np.stack([f1_f, f1_m])
            macro = np.where(np.isnan(f1s).all(0), np.nan, np.nansum(f1s, 0) / np.maximum(1, (~np.isnan(f1s)).sum(0)))
            weighted = _div((N * np.nan_to_num(f1_f) if N else 0.0) + (P * np.nan_to_num(f1_m) if P else 0.0), np.full_like(tp, n))
            cov_tp = (tp + tn) * n - (N * pred_n + P * pred_p)
            cov_pp = n * n - (pred_n ** 2 + pred_p ** 2)
            cov_tt = n * n - (N * N + P * P)
            mcc = np.where((cov_pp > 0) & (cov_tt > 0), cov_tp / np.sqrt(np.maximum(cov_pp, 1e-300) * max(cov_tt, 1e-300)), np.nan)
        auc = np.full((c, self.n_var), np.nan)
        if self.m_pos and self.m_neg:
            Wp = W[:, :self.m_pos]
            cum = np.zeros((c, self.m_neg + 1), dtype=np.int64)  # cum[:, r]: weight of the r lowest negatives
            for v, (neg_order, lo, hi) in enumerate(self.auc):
                np.cumsum(W.take(neg_order, axis=1), axis=1, out=cum[:, 1:])
                below2 = cum.take(lo, axis=1)
                below2 += cum.take(hi, axis=1)  # 2 x (below + tied / 2)
                auc[:, v] = np.einsum("ij,ij->i", Wp, below2) / (2.0 * P * N)
        ll, brier = _div(S[:, :, 2], n), _div(S[:, :, 3], n)
        ece = _div(np.abs(S[:, :, 4:]).sum(axis=2), n)
        values = [_div(tp + tn, n), bal, macro, weighted, mcc, auc, ll, brier, ece,
                  prec_f, rec_f, f1_f, _div(pred_n, n), rec_f, _div(fn, P),   # female
                  prec_m, rec_m, f1_m, _div(pred_p, n), rec_m, _div(fp, N)]   # male
        return np.stack([np.broadcast_to(x, (c, self.n_var)) for x in values]).transpose(2, 0, 1)


def numpy_bootstrap_all(truth_pos, pred_pos, p_female, p_male, slices, resamples, seed,
                        chunk_elems=1_000_000, confidence=0.95):
    """Stratified percentile bootstrap of ALL_METRICS (Stratum's full set), every variant on the
    same resamples. truth_pos: bool (n,); pred_pos: bool (V, n); p_female, p_male: (V, n).
    Resamples are drawn in chunks of about chunk_elems indices (rng.integers per stratum;
    ~1M keeps each chunk's arrays in cache, larger chunks measured slower). BLAS is held to
    one thread (threadpoolctl): on a busy machine OpenBLAS threads made the product ~100x slower.
    Returns {slice: {variant index: {metric: (point, low, high)}}} (None: no interval, the
    metric being undefined in more than half of the resamples)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        import contextlib
        limits = contextlib.nullcontext()
    else:
        limits = threadpool_limits(limits=1, user_api="blas")
    with limits:
        return _numpy_bootstrap_all(truth_pos, pred_pos, p_female, p_male, slices, resamples, seed, chunk_elems, confidence)


def _numpy_bootstrap_all(truth_pos, pred_pos, p_female, p_male, slices, resamples, seed, chunk_elems, confidence):
    rng = np.random.default_rng(seed)
    tail = (1.0 - confidence) / 2.0
    out = {}
    for name, members in slices:
        sl = AllMetricsSlice(truth_pos, pred_pos, p_female, p_male, members)
        m, m_pos, m_neg = sl.m, sl.m_pos, sl.m_neg
        point = sl.evaluate(np.ones((1, m), dtype=np.int64))[:, :, 0]
        boot = np.empty((sl.n_var, len(ALL_METRICS), resamples))
        chunk = max(1, min(resamples, chunk_elems // max(1, m)))
        for start in range(0, resamples, chunk):
            c = min(chunk, resamples - start)
            flat = np.empty((c, m), dtype=np.int64)
            if m_pos:
                flat[:, :m_pos] = rng.integers(0, m_pos, size=(c, m_pos), dtype=np.int32)
            if m_neg:
                flat[:, m_pos:] = rng.integers(m_pos, m, size=(c, m_neg), dtype=np.int32)
            flat += (np.arange(c, dtype=np.int64) * m)[:, None]
            W = np.bincount(flat.ravel(), minlength=c * m).reshape(c, m)
            boot[:, :, start:start + c] = sl.evaluate(W)
        res = {}
        for v in range(sl.n_var):
            res[v] = {}
            for j, metric in enumerate(ALL_METRICS):
                vals = boot[v, j]
                defined = vals[~np.isnan(vals)]
                p = None if np.isnan(point[v, j]) else float(point[v, j])
                if defined.size and defined.size * 2 >= vals.size:
                    lo, hi = np.quantile(defined, [tail, 1.0 - tail])  # linear interpolation
                    res[v][metric] = (p, float(lo), float(hi))
                else:
                    res[v][metric] = (p, None, None)
        out[name] = res
    return out


def _sklearn_all(y, pred, pf, pm, w=None):
    """ALL_METRICS of one variant by scikit-learn (ECE directly, from per-bin means), weights w."""
    import sklearn.metrics as skm
    labels = [0, 1]
    kw = {"sample_weight": w}
    cm = skm.confusion_matrix(y, pred, labels=labels, **kw).astype(float)
    n = cm.sum()
    conf = np.where(pred == 1, pm, pf)
    ww = np.ones_like(conf) if w is None else np.asarray(w, dtype=float)
    b = np.minimum(9, (conf * 10).astype(np.int64))
    cnt = np.bincount(b, weights=ww, minlength=10)
    acc_b = np.bincount(b, weights=ww * (pred == y), minlength=10)
    conf_b = np.bincount(b, weights=ww * conf, minlength=10)
    nz = cnt > 0
    ece = float(np.sum(cnt[nz] / cnt.sum() * np.abs(acc_b[nz] / cnt[nz] - conf_b[nz] / cnt[nz])))
    zd = {"zero_division": np.nan, "labels": labels}
    prec = skm.precision_score(y, pred, average=None, **zd, **kw)
    rec = skm.recall_score(y, pred, average=None, **zd, **kw)
    f1 = skm.f1_score(y, pred, average=None, **zd, **kw)
    vals = [skm.accuracy_score(y, pred, **kw), skm.balanced_accuracy_score(y, pred, **kw),
            skm.f1_score(y, pred, average="macro", **zd, **kw), skm.f1_score(y, pred, average="weighted", **zd, **kw),
            skm.matthews_corrcoef(y, pred, **kw), skm.roc_auc_score(y, pm, **kw),
            skm.log_loss(y, y_proba=np.column_stack([pf, pm]), labels=labels, **kw),
            skm.brier_score_loss(y, pm, **kw), ece]
    for c in labels:
        fpr = (cm[:, c].sum() - cm[c, c]) / (n - cm[c].sum())
        vals += [prec[c], rec[c], f1[c], cm[:, c].sum() / n, rec[c], fpr]
    return np.array(vals, dtype=float)


def check_all_metrics(results, truth_pos, pred_pos, p_female, p_male, slices, tol=1e-9, seed=11):
    """Point estimates of numpy_bootstrap_all (variant 0) against scikit-learn on every slice,
    and one stratified resample (as sample weights) of the overall slice."""
    y, pred, pf, pm = truth_pos.astype(int), pred_pos[0].astype(int), p_female[0], p_male[0]
    worst = np.zeros(len(ALL_METRICS))
    for name, members in slices:
        ref = _sklearn_all(y[members], pred[members], pf[members], pm[members])
        ours = np.array([np.nan if results[name][0][k][0] is None else results[name][0][k][0] for k in ALL_METRICS])
        worst = np.maximum(worst, np.abs(ours - ref))
    # one resample: weights from stratified draws, our weighted evaluation vs sklearn sample_weight
    members = slices[0][1]
    sl = AllMetricsSlice(truth_pos, pred_pos[:1], p_female[:1], p_male[:1], members)
    rng = np.random.default_rng(seed)
    w_local = np.concatenate([np.bincount(rng.integers(0, sl.m_pos, sl.m_pos), minlength=sl.m_pos),
                              np.bincount(rng.integers(0, sl.m_neg, sl.m_neg), minlength=sl.m_neg)])
    ours = sl.evaluate(w_local[None, :].astype(np.int64))[0, :, 0]
    local = np.concatenate([members[truth_pos[members]], members[~truth_pos[members]]])
    ref = _sklearn_all(y[local], pred[local], pf[local], pm[local], w=w_local)
    worst_w = np.abs(ours - ref)
    ok = bool(np.all(worst <= tol) and np.all(worst_w <= tol))
    return {"tolerance": tol, "slices": [s for s, _ in slices], "passed": ok,
            "reference": "sklearn 1.9 accuracy/balanced_accuracy/f1(macro, weighted, per class)/precision/recall/"
                         "matthews_corrcoef/roc_auc_score/log_loss/brier_score_loss/confusion_matrix; ECE from per-bin means",
            "max_abs_diff_points": dict(zip(ALL_METRICS, map(float, worst))),
            "max_abs_diff_one_resample_weighted": float(worst_w.max())}


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


TIMING_KEYS = ["fairlearn_bootstrap_20k", "numpy_bootstrap_20k", "numpy_bootstrap_100k",
               "numpy_bootstrap_all_20k", "numpy_bootstrap_all_100k", "sliceline_20k", "sliceline_200k"]


def _read_predictions(path, variants):
    """A predictions CSV -> truth (n,), predicted (V, n) bool, p_female, p_male (V, n), group (n,)."""
    df = pd.read_csv(path)  # pandas 3 parses floats exactly (round trip), like Swift's Double(String)
    parts = [df[df.variant == v] for v in variants]
    assert all((d.id.to_numpy() == parts[0].id.to_numpy()).all() for d in parts)
    truth = parts[0].label.to_numpy() == POSITIVE
    pred = np.stack([d.predicted.to_numpy() == POSITIVE for d in parts])
    pf = np.stack([d.p_female.to_numpy(dtype=np.float64) for d in parts])
    pm = np.stack([d.p_male.to_numpy(dtype=np.float64) for d in parts])
    return truth, pred, pf, pm, parts[0].group.to_numpy()


def _log(msg):
    print(msg, file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("workdir", nargs="?")
    ap.add_argument("--quick", action="store_true", help="n_boot=10 for fairlearn, skip 200k sliceline")
    ap.add_argument("--fixture", metavar="PATH", help="write the Swift sliceline fixture and exit")
    ap.add_argument("--only", metavar="KEY[,KEY]", help="run only these timings (workloads are still written); keys: " + ", ".join(TIMING_KEYS))
    args = ap.parse_args()
    warnings.filterwarnings("ignore", category=UserWarning)
    if args.fixture:
        make_fixture(args.fixture)
        return
    if not args.workdir:
        ap.error("WORKDIR is required (or --fixture PATH)")
    work = args.workdir
    selected = list(TIMING_KEYS)
    if args.only:
        selected = [k.strip() for k in args.only.split(",") if k.strip()]
        unknown = [k for k in selected if k not in TIMING_KEYS]
        if unknown:
            ap.error(f"--only: unknown key(s) {', '.join(unknown)}; known: {', '.join(TIMING_KEYS)}")
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
        "only": selected if args.only else None,
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
    if "fairlearn_bootstrap_20k" in selected:
        _log(f"fairlearn MetricFrame bootstrap n_boot={n_boot} ...")
        t0 = time.perf_counter()
        overall_ci, by_group_ci = fairlearn_bootstrap(y_true, y_pred, group20, n_boot, seed=1)
        timings["fairlearn_bootstrap_20k"] = time.perf_counter() - t0
        details["fairlearn_bootstrap_20k"] = {"n_boot": n_boot, "ci_quantiles": [0.025, 0.975],
                                              "overall_ci": [s.to_dict() for s in overall_ci],
                                              "by_group_ci": [s.to_dict(orient="index") for s in by_group_ci]}

    # numpy stratified bootstrap (20k, one variant)
    resamples = 1000
    slices20 = _group_slices(group20)
    if "numpy_bootstrap_20k" in selected:
        _log(f"numpy stratified bootstrap 20k, {resamples} resamples ...")
        t0 = time.perf_counter()
        r20 = numpy_bootstrap(y_true.astype(bool), y_pred.astype(bool)[None, :], slices20, resamples, seed=2)
        timings["numpy_bootstrap_20k"] = time.perf_counter() - t0
        details["numpy_bootstrap_20k"] = {"resamples": resamples, "variants": ["a"],
                                          "results": {s: {"a": r[0]} for s, r in r20.items()}}

    # numpy stratified bootstrap (3 variants x 100k)
    variants = ["a", "b", "c"]
    n100 = 100_000
    first = pred100[pred100.variant == "a"]
    truth100 = first.label.to_numpy() == POSITIVE
    preds100 = np.stack([pred100[pred100.variant == v].predicted.to_numpy() == POSITIVE for v in variants])
    assert preds100.shape == (3, n100)
    slices100 = _group_slices(first.group.to_numpy())
    if "numpy_bootstrap_100k" in selected:
        _log(f"numpy stratified bootstrap 3 x 100k, {resamples} resamples ...")
        t0 = time.perf_counter()
        r100 = numpy_bootstrap(truth100, preds100, slices100, resamples, seed=3)
        timings["numpy_bootstrap_100k"] = time.perf_counter() - t0
        details["numpy_bootstrap_100k"] = {"resamples": resamples, "variants": variants,
                                           "results": {s: {variants[v]: m for v, m in r.items()} for s, r in r100.items()}}

    # numpy stratified bootstrap of Stratum's full metric set, on the CSVs as written (read back
    # with exact float parsing, as Stratum reads them; reading is not timed)
    if "numpy_bootstrap_all_20k" in selected:
        t, p, pf, pm, g = _read_predictions(os.path.join(work, "predictions-20k.csv"), ["a"])
        s20 = _group_slices(g)
        _log(f"numpy stratified bootstrap, all {len(ALL_METRICS)} metrics, 20k, {resamples} resamples ...")
        t0 = time.perf_counter()
        ra20 = numpy_bootstrap_all(t, p, pf, pm, s20, resamples, seed=4)
        timings["numpy_bootstrap_all_20k"] = time.perf_counter() - t0
        check = check_all_metrics(ra20, t, p, pf, pm, s20)
        _log(f"  sklearn check (tolerance {check['tolerance']}): {'passed' if check['passed'] else 'FAILED'}; "
             f"max |diff| {max(check['max_abs_diff_points'].values()):.3g} (points), "
             f"{check['max_abs_diff_one_resample_weighted']:.3g} (one weighted resample)")
        details["numpy_bootstrap_all_20k"] = {"resamples": resamples, "variants": ["a"], "metrics": ALL_METRICS,
                                              "sklearn_check": check,
                                              "results": {s: {"a": r[0]} for s, r in ra20.items()}}
    if "numpy_bootstrap_all_100k" in selected:
        t, p, pf, pm, g = _read_predictions(os.path.join(work, "predictions-100k.csv"), variants)
        s100 = _group_slices(g)
        _log(f"numpy stratified bootstrap, all {len(ALL_METRICS)} metrics, 3 x 100k, {resamples} resamples ...")
        t0 = time.perf_counter()
        ra100 = numpy_bootstrap_all(t, p, pf, pm, s100, resamples, seed=5)
        timings["numpy_bootstrap_all_100k"] = time.perf_counter() - t0
        details["numpy_bootstrap_all_100k"] = {"resamples": resamples, "variants": variants, "metrics": ALL_METRICS,
                                               "results": {s: {variants[v]: m for v, m in r.items()} for s, r in ra100.items()}}

    # sliceline
    attrs = list(SLICE_ATTRS)
    runs = [("20k", sl20)] + ([] if args.quick else [("200k", sl200)])
    for tag, df in runs:
        if f"sliceline_{tag}" not in selected:
            continue
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
