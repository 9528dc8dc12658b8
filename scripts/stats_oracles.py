#!/usr/bin/env python3
"""Reference values for Stratum's statistics code, computed with the Python
libraries Stratum's Swift implementations are checked against.

Requirements (install once; this script downloads nothing itself):

    pip install scikit-learn statsmodels scipy fairlearn

(numpy and pandas come in with those.)  Run from the repository root:

    python3 scripts/stats_oracles.py [--out Tests/Fixtures/stats/oracles.json]

Writes one JSON object:

  generator       library versions that produced the numbers
  notes           what the installed scikit-learn does in edge cases (found
                  by probing it at run time, not hard-coded)
  classification  labelled cases with y_true / y_pred / proba and the
                  expected metrics (accuracy, balanced accuracy, per-class
                  precision / recall / F1 / support, macro and weighted F1,
                  MCC, ROC AUC, log loss, Brier score, per-class selection
                  rate / TPR / FPR, confusion matrix)
  wilson          statsmodels proportion_confint(k, n, 0.05, "wilson")
  mcnemar         statsmodels mcnemar(table, exact=True)
  fisher          scipy.stats.fisher_exact(table, "two-sided") p-value
  multipletests   statsmodels multipletests, "holm" and "fdr_bh"
  fairlearn       fairlearn MetricFrame by_group / difference / ratio

Everything is deterministic (fixed numpy seed).  Probabilities are drawn as
float32 values, widened to float64 and then normalised per row in float64;
those float64 numbers are what is written, and every expected value is
computed from the numbers as read back from the serialised JSON text, so the
Swift side sees exactly the inputs the oracles saw.  Any NaN is written as
null; infinities are rejected.
"""

import argparse
import json
import math
import os
import platform
import sys
import warnings
from functools import partial

import numpy as np
import pandas as pd
import scipy
import scipy.stats
import sklearn
import statsmodels
import fairlearn
from fairlearn.metrics import (
    MetricFrame,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    brier_score_loss,
    confusion_matrix,
    f1_score,
    log_loss,
    matthews_corrcoef,
    precision_recall_fscore_support,
    roc_auc_score,
)
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

SEED = 20240611
DEFAULT_OUT = os.path.join("Tests", "Fixtures", "stats", "oracles.json")


# --------------------------------------------------------------------------
# helpers


def num(x):
    """A Python float, or None for NaN; refuses infinities."""
    if x is None:
        return None
    v = float(x)
    if math.isnan(v):
        return None
    if math.isinf(v):
        raise ValueError("infinite value in oracle output")
    return v


def nums(xs):
    return [num(x) for x in xs]


def roundtrip(obj):
    """The value as the Swift side will read it (JSON text and back)."""
    return json.loads(json.dumps(obj))


def call_quiet(fn, *args, **kwargs):
    """(result, [warning messages]); result is None if fn raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = fn(*args, **kwargs)
            error = None
        except Exception as exc:  # noqa: BLE001 - recorded, not hidden
            value = None
            error = f"{type(exc).__name__}: {exc}"
    msgs = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
    if error is not None:
        msgs.append("raised " + error)
    return value, msgs


def normalise_rows(p32):
    """float32 draws -> float64 -> rows divided by their float64 sum."""
    p = np.asarray(p32, dtype=np.float32).astype(np.float64)
    return p / p.sum(axis=1, keepdims=True)


def softmax32(logits):
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def realistic_proba(rng, y_true, k, signal=1.6, noise=1.2):
    n = len(y_true)
    logits = rng.normal(0.0, noise, size=(n, k))
    logits[np.arange(n), y_true] += signal
    return normalise_rows(softmax32(logits))


# --------------------------------------------------------------------------
# classification cases


def make_cases(rng):
    cases = []

    def add(name, labels, y_true, proba, y_pred=None):
        proba = np.asarray(proba, dtype=np.float64)
        y_true = np.asarray(y_true, dtype=int)
        if y_pred is None:
            y_pred = np.argmax(proba, axis=1)  # ties -> lowest index
        cases.append(
            {
                "name": name,
                "labels": list(labels),
                "y_true": [int(v) for v in y_true],
                "y_pred": [int(v) for v in y_pred],
                "proba": [[float(v) for v in row] for row in proba],
            }
        )

    # random binary, n = 287, realistic scores
    y = rng.integers(0, 2, size=287)
    add("binary_random_287", ["negative", "positive"], y, realistic_proba(rng, y, 2))

    # random 3-class, n = 500
    y = rng.integers(0, 3, size=500)
    add("multiclass3_random_500", ["cat", "dog", "bird"], y, realistic_proba(rng, y, 3))

    # slice holding one class only: y_true all 0, some predicted 1
    y = np.zeros(40, dtype=int)
    s = rng.uniform(0.05, 0.8, size=40).astype(np.float32)
    s[:3] = np.float32([0.9, 0.75, 0.6])  # guarantee some predicted positives
    add("single_class_slice", ["negative", "positive"], y,
        normalise_rows(np.stack([1 - s, s], axis=1)))

    # 3 classes, class 2 never predicted
    y = rng.integers(0, 3, size=60)
    p = rng.uniform(0.0, 1.0, size=(60, 3)).astype(np.float32)
    p[:, 2] = np.minimum(p[:, 2], np.float32(0.9) * np.maximum(p[:, 0], p[:, 1]))
    p[y == 0, 0] += np.float32(0.3)
    p[y == 1, 1] += np.float32(0.3)
    add("class_never_predicted", ["a", "b", "c"], y, normalise_rows(p))

    # perfect predictions
    y = rng.integers(0, 3, size=30)
    p = rng.uniform(0.0, 0.3, size=(30, 3)).astype(np.float32)
    p[np.arange(30), y] = rng.uniform(0.5, 1.0, size=30).astype(np.float32)
    add("perfect", ["x", "y", "z"], y, normalise_rows(p))

    # all wrong (binary)
    y = rng.integers(0, 2, size=25)
    s = rng.uniform(0.55, 0.95, size=25).astype(np.float32)  # confidence in the wrong class
    p1 = np.where(y == 1, np.float32(1) - s, s).astype(np.float32)
    add("all_wrong", ["negative", "positive"], y,
        normalise_rows(np.stack([np.float32(1) - p1, p1], axis=1)))

    # a single sample
    add("single_sample", ["negative", "positive"], [1],
        normalise_rows(np.float32([[0.3, 0.7]])))

    # many tied scores (AUC ties, argmax ties -> class 0)
    y = rng.integers(0, 2, size=200)
    levels = np.float32([0.1, 0.3, 0.5, 0.5, 0.7, 0.9])
    idx = np.clip(rng.integers(0, 4, size=200) + y * 2, 0, 5)
    s = levels[idx]
    add("tied_scores", ["negative", "positive"], y,
        normalise_rows(np.stack([np.float32(1) - s, s], axis=1)))

    # probabilities exactly 0 and 1, including confidently wrong rows
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 1])
    p = np.float32([
        [1, 0, 0],      # right, certain
        [0, 1, 0],      # right, certain
        [0, 0, 1],      # right, certain
        [0, 1, 0],      # wrong, p(true) = 0
        [0, 0, 1],      # wrong, p(true) = 0
        [0.5, 0.5, 0],  # p(true) = 0, tie -> predicts 0
        [0.2, 0.8, 0],
        [0, 0.6, 0.4],
        [1, 0, 0],      # wrong, p(true) = 0
        [0.25, 0.5, 0.25],
    ])
    add("proba_zero_one_3class", ["a", "b", "c"], y, normalise_rows(p))

    y = np.array([0, 1, 1, 0, 1, 0])
    s = np.float32([0, 1, 0, 1, 0.5, 0])
    add("proba_zero_one_binary", ["negative", "positive"], y,
        normalise_rows(np.stack([np.float32(1) - s, s], axis=1)))

    # 4 classes, class 3 in neither y_true nor y_pred
    y = rng.integers(0, 3, size=80)
    p = realistic_proba(rng, y, 4).astype(np.float32)
    p[:, 3] = np.minimum(p[:, 3], np.float32(0.05))
    add("four_class_one_absent", ["w", "x", "y", "z"], y, normalise_rows(p))

    # 3 classes, class 1 predicted but never true
    y = rng.choice([0, 2], size=50)
    p = realistic_proba(rng, y, 3, signal=0.8, noise=1.0)
    add("class_predicted_not_true", ["a", "b", "c"], y, p)

    # binary n = 20000
    y = rng.integers(0, 2, size=20000)
    add("binary_random_20000", ["negative", "positive"], y,
        realistic_proba(rng, y, 2, signal=1.0, noise=1.0))

    # imbalanced 66% / 34% binary (like the faces set)
    n = 1000
    y = np.zeros(n, dtype=int)
    y[rng.permutation(n)[:340]] = 1
    add("imbalanced_66_34", ["female", "male"], y,
        realistic_proba(rng, y, 2, signal=1.3, noise=1.0))

    # y_pred independent of proba
    y = rng.integers(0, 3, size=120)
    p = realistic_proba(rng, y, 3)
    add("pred_not_argmax", ["a", "b", "c"], y, p, y_pred=rng.integers(0, 3, size=120))

    # 5 classes, n = 1000
    y = rng.integers(0, 5, size=1000)
    add("multiclass5_random_1000", ["c0", "c1", "c2", "c3", "c4"], y,
        realistic_proba(rng, y, 5, signal=1.4, noise=1.0))

    # everything predicted positive
    y = rng.integers(0, 2, size=50)
    s = rng.uniform(0.55, 0.99, size=50).astype(np.float32)
    add("all_predicted_positive", ["negative", "positive"], y,
        normalise_rows(np.stack([np.float32(1) - s, s], axis=1)))

    # one-class slice in a 3-class problem (only class 1 true)
    y = np.ones(15, dtype=int)
    add("single_class_slice_3class", ["a", "b", "c"], y,
        realistic_proba(rng, y, 3, signal=0.7, noise=1.0))

    return cases


def expected_for(case):
    k = len(case["labels"])
    labels = list(range(k))
    y_true = np.asarray(case["y_true"], dtype=int)
    y_pred = np.asarray(case["y_pred"], dtype=int)
    proba = np.asarray(case["proba"], dtype=np.float64)
    n = len(y_true)
    notes = []

    def run(key, fn, *a, **kw):
        value, msgs = call_quiet(fn, *a, **kw)
        notes.extend(f"{key}: {m}" for m in msgs)
        return value

    exp = {}
    exp["accuracy"] = num(run("accuracy", accuracy_score, y_true, y_pred))
    exp["balanced_accuracy"] = num(run("balanced_accuracy", balanced_accuracy_score, y_true, y_pred))

    prfs = run("precision_recall_fscore_support", precision_recall_fscore_support,
               y_true, y_pred, labels=labels, average=None, zero_division=np.nan)
    prec, rec, f1, sup = prfs
    exp["precision"] = nums(prec)
    exp["recall"] = nums(rec)
    exp["f1"] = nums(f1)
    exp["support"] = [int(s) for s in sup]

    exp["macro_f1"] = num(run("macro_f1", f1_score, y_true, y_pred, average="macro",
                              labels=labels, zero_division=np.nan))
    f1a = np.asarray(f1, dtype=np.float64)
    defined = ~np.isnan(f1a)
    exp["macro_f1_nanmean"] = num(np.mean(f1a[defined])) if defined.any() else None

    exp["weighted_f1"] = num(run("weighted_f1", f1_score, y_true, y_pred, average="weighted",
                                 labels=labels, zero_division=np.nan))
    supa = np.asarray(sup, dtype=np.float64)
    wsum = supa[defined].sum()
    exp["weighted_f1_nanaware"] = (
        num((supa[defined] * f1a[defined]).sum() / wsum) if defined.any() and wsum > 0 else None
    )

    exp["mcc"] = num(run("mcc", matthews_corrcoef, y_true, y_pred))

    if k == 2:
        auc = run("roc_auc", roc_auc_score, y_true == 1, proba[:, 1])
    else:
        auc = run("roc_auc", roc_auc_score, y_true, proba, multi_class="ovr",
                  average="macro", labels=labels)
    exp["roc_auc"] = num(auc)

    exp["log_loss"] = num(run("log_loss", log_loss, y_true, proba, labels=labels))

    onehot = np.zeros((n, k))
    onehot[np.arange(n), y_true] = 1.0
    brier_formula = float(np.mean(np.sum((proba - onehot) ** 2, axis=1)))
    if k == 2:
        exp["brier"] = num(run("brier", brier_score_loss, y_true == 1, proba[:, 1]))
    else:
        exp["brier"] = num(brier_formula)
    exp["brier_multiclass_formula"] = num(brier_formula)
    # sklearn >= 1.7 accepts (n, k) probabilities with labels=; scale_by_half="auto"
    # halves only when k < 3.
    exp["brier_sklearn_2d"] = num(run("brier_sklearn_2d", brier_score_loss, y_true, proba,
                                      labels=labels, scale_by_half="auto"))

    exp["selection_rate"] = [float(np.mean(y_pred == c)) for c in labels]
    tpr, fpr = [], []
    for c in labels:
        pos = y_true == c
        tp = int(np.sum(pos & (y_pred == c)))
        fn = int(np.sum(pos & (y_pred != c)))
        fp = int(np.sum(~pos & (y_pred == c)))
        tn = int(np.sum(~pos & (y_pred != c)))
        tpr.append(tp / (tp + fn) if tp + fn > 0 else None)
        fpr.append(fp / (fp + tn) if fp + tn > 0 else None)
    exp["tpr"] = tpr
    exp["fpr"] = fpr

    cm = run("confusion", confusion_matrix, y_true, y_pred, labels=labels)
    exp["confusion"] = [[int(v) for v in row] for row in cm]
    return exp, sorted(set(notes))


# --------------------------------------------------------------------------
# edge-case behaviour of the installed scikit-learn, probed


def probe_sklearn():
    notes = {}

    # (a) macro F1 with an undefined class under zero_division=np.nan
    yt, yp = [0, 1, 0, 1], [0, 1, 1, 1]  # class 2 absent from both
    per = f1_score(yt, yp, labels=[0, 1, 2], average=None, zero_division=np.nan)
    mac, msgs = call_quiet(f1_score, yt, yp, labels=[0, 1, 2], average="macro", zero_division=np.nan)
    if mac is not None and not math.isnan(mac) and abs(mac - np.nanmean(per)) < 1e-15:
        behaviour = "ignores NaN classes (mean over the defined classes only, like np.nanmean)"
    elif mac is not None and math.isnan(mac):
        behaviour = "returns NaN when any class is undefined"
    else:
        behaviour = f"other: {mac!r}"
    all_nan, _ = call_quiet(f1_score, [0], [0], labels=[1, 2], average="macro", zero_division=np.nan)
    notes["macro_f1_zero_division_nan"] = (
        f"f1_score(average='macro', zero_division=np.nan) {behaviour}; "
        f"per-class {[None if math.isnan(v) else float(v) for v in per]} -> macro {mac!r}; "
        f"all classes undefined -> {all_nan!r}. Weighted F1 also drops NaN classes "
        f"(weights = support of the remaining classes; plain mean if those weights sum to 0). "
        f"F1 is computed as 2TP/(2TP+FP+FN), so it is NaN only when TP+FP+FN=0 (class in "
        f"neither y_true nor y_pred); a class present but never predicted gets precision NaN "
        f"but F1 0."
    )
    pr, _, f1c, _ = precision_recall_fscore_support([0, 0, 1], [0, 0, 0], labels=[0, 1],
                                                    average=None, zero_division=np.nan)
    notes["f1_when_precision_nan"] = (
        f"y_true=[0,0,1], y_pred=[0,0,0]: precision {[num(v) for v in pr]}, f1 {[num(v) for v in f1c]}"
    )

    # (b) balanced accuracy with classes absent
    v1, m1 = call_quiet(balanced_accuracy_score, [0, 0, 0, 0], [0, 1, 1, 0])
    v2, m2 = call_quiet(balanced_accuracy_score, [0, 1, 0, 1], [0, 1, 1, 1])
    notes["balanced_accuracy_absent_class"] = (
        "balanced_accuracy_score has no labels= argument: classes come from the union of "
        "y_true and y_pred, so a class in neither is simply not counted. A class that is "
        "predicted but absent from y_true has recall 0/0 = NaN; sklearn warns "
        f"({'; '.join(m1) or 'no warning'}) and drops it from the mean rather than returning NaN. "
        f"Examples: y_true=[0,0,0,0], y_pred=[0,1,1,0] -> {v1!r}; "
        f"y_true=[0,1,0,1], y_pred=[0,1,1,1] -> {v2!r}."
    )

    # (c) log loss clipping
    eps = float(np.finfo(np.float64).eps)
    ll, _ = call_quiet(log_loss, [1], [[1.0, 0.0]], labels=[0, 1])
    notes["log_loss_clipping"] = (
        f"log_loss clips probabilities to [eps, 1-eps] with eps = np.finfo(y_proba.dtype).eps "
        f"(float64: {eps!r}); no eps argument exists. Rows are not renormalised after "
        f"clipping. log_loss([1], [[1, 0]], labels=[0, 1]) = {ll!r} = -log(eps) "
        f"({-math.log(eps)!r})."
    )

    # (d) brier multiclass parameters
    import inspect
    sig = str(inspect.signature(brier_score_loss))
    b2, _ = call_quiet(brier_score_loss, [0, 1, 2], [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.2, 0.2, 0.6]],
                       labels=[0, 1, 2])
    notes["brier_multiclass"] = (
        f"brier_score_loss{sig}. With 2-D y_proba and labels=, it computes "
        f"mean_i sum_c (p_ic - y_ic)^2; scale_by_half='auto' halves only when there are fewer "
        f"than 3 columns (binary), so for k>=3 it equals the plain multiclass formula "
        f"(range [0, 2]). Example 3-class -> {b2!r}. Cases record 'brier' (binary: "
        f"brier_score_loss(y_true==1, proba[:,1]); multiclass: own formula), "
        f"'brier_multiclass_formula' (own formula, all k; for k=2 this is twice 'brier') and "
        f"'brier_sklearn_2d' (brier_score_loss(y_true, proba, labels=range(k), "
        f"scale_by_half='auto'))."
    )

    # (e) ROC AUC with one class present
    a1, m1 = call_quiet(roc_auc_score, [False, False, False], [0.1, 0.5, 0.7])
    a2, m2 = call_quiet(roc_auc_score, [0, 1, 2, 0], [[.5, .3, .1, .1], [.2, .6, .1, .1],
                                                      [.1, .2, .6, .1], [.3, .3, .3, .1]],
                        multi_class="ovr", average="macro", labels=[0, 1, 2, 3])
    notes["roc_auc_one_class"] = (
        f"binary roc_auc_score with one class in y_true -> {a1!r} "
        f"({'; '.join(m1) or 'no warning'}), i.e. it does not raise. Multiclass ovr macro with "
        f"a label absent from y_true -> {a2!r} (that class's AUC is NaN and the macro mean "
        f"propagates it). Written as null."
    )

    mcc_same, _ = call_quiet(matthews_corrcoef, [0, 0, 0], [0, 0, 0])
    mcc_zero, _ = call_quiet(matthews_corrcoef, [0, 0, 0], [0, 1, 0])
    notes["mcc_degenerate"] = (
        f"matthews_corrcoef returns {mcc_same!r} when y_true and "
        f"y_pred hold one and the same class, {mcc_zero!r} for "
        f"y_true=[0,0,0], y_pred=[0,1,0] (zero denominator -> 0)."
    )
    tpr0, _ = call_quiet(true_positive_rate, [0, 0, 0], [0, 1, 0], pos_label=1)
    notes["fairlearn_rates"] = (
        f"fairlearn true_positive_rate / false_positive_rate use sklearn "
        f"confusion_matrix(normalize='true'), which maps 0/0 to 0: a group with no positives "
        f"gets true_positive_rate {float(tpr0)!r}, not NaN (likewise false_positive_rate for a group "
        f"with no negatives). Each fairlearn case lists such groups in 'zero_denominator'. "
        f"difference/ratio use the max and min over groups; ratio is min/max, so 0/0 gives NaN "
        f"(null)."
    )
    notes["null"] = "null stands for NaN / undefined everywhere in this file."
    return notes


# --------------------------------------------------------------------------
# statsmodels / scipy tests


WILSON = [
    (0, 10), (10, 10), (0, 1), (1, 1), (5, 10), (1, 3), (3, 7), (37, 50),
    (250, 287), (1, 1000), (500, 1000), (999, 1000), (0, 100000),
    (50000, 100000), (73219, 100000), (100000, 100000),
]

MCNEMAR = [
    [[10, 0], [0, 10]],       # b = c = 0
    [[0, 0], [0, 0]],         # empty
    [[20, 0], [5, 30]],       # b = 0, c = 5
    [[20, 5], [0, 30]],       # b = 5, c = 0
    [[5, 1], [0, 7]],         # b + c = 1
    [[5, 0], [1, 7]],         # b + c = 1
    [[100, 300], [280, 50]],  # large b + c
    [[50, 10], [10, 50]],     # b = c
    [[1000, 12], [30, 900]],
    [[3, 25], [4, 2]],
    [[0, 3], [7, 0]],
    [[200, 1000], [1100, 300]],
    [[0, 1], [0, 0]],
    [[40, 9], [2, 40]],
]

FISHER = [
    [[1, 9], [11, 3]],
    [[0, 5], [5, 0]],
    [[0, 0], [0, 0]],
    [[0, 10], [0, 10]],
    [[10, 0], [0, 0]],
    [[900, 100], [8000, 1000]],
    [[3, 1], [1, 3]],
    [[10, 10], [10, 10]],
    [[1, 0], [0, 1]],
    [[8, 2], [1, 5]],
    [[100, 95], [90, 110]],
    [[20, 0], [0, 20]],
    [[5000, 5000], [4900, 5100]],
    [[7, 3], [2, 12]],
    [[0, 7], [12, 5]],
]


def multipletest_vectors(rng):
    return [
        [0.01, 0.04, 0.03, 0.005],                    # unsorted
        [0.05],                                        # length 1, boundary
        [0.5],                                         # length 1
        [0.001, 0.002, 0.0001],                        # all significant
        [1.0, 1.0, 0.5, 0.01],                         # p = 1
        [0.02, 0.02, 0.02, 0.5],                       # ties
        [0.04, 0.04, 0.04, 0.04, 0.04],                # all tied
        [0.0, 0.049, 0.051, 1.0],
        [0.01, 0.02, 0.03, 0.04, 0.05],
        [0.3, 0.012, 0.8, 0.0125, 0.6, 0.0001, 0.025, 0.02],
        [float(v) for v in np.round(rng.uniform(0, 0.2, size=20), 6)],
    ]


def fairlearn_cases(rng):
    out = []

    # two groups, one with no positives (tpr NaN)
    y_true = [0, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    y_pred = [0, 1, 0, 1, 1, 0, 0, 1, 0, 0, 1, 0]
    groups = ["a", "a", "a", "a", "a", "a", "b", "b", "b", "b", "b", "b"]
    out.append((["no", "yes"], y_true, y_pred, groups))

    # three groups, random
    n = 300
    g = rng.choice(["f", "m", "x"], size=n, p=[0.45, 0.45, 0.10])
    yt = rng.integers(0, 2, size=n)
    flip = rng.uniform(size=n) < np.where(g == "f", 0.15, np.where(g == "m", 0.25, 0.4))
    yp = np.where(flip, 1 - yt, yt)
    out.append((["no", "yes"], [int(v) for v in yt], [int(v) for v in yp], [str(v) for v in g]))

    # four groups, one with only positives (fpr NaN), one predicted all 0 (selection 0)
    y_true = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0, 0]
    y_pred = [1, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1]
    groups = ["p", "p", "p", "q", "q", "q", "q", "r", "r", "r", "r", "s", "s", "s", "s", "s"]
    out.append((["neg", "pos"], y_true, y_pred, groups))

    # imbalanced groups like the faces set (66/34)
    n = 500
    g = np.where(rng.uniform(size=n) < 0.66, "female", "male")
    yt = (rng.uniform(size=n) < np.where(g == "female", 0.3, 0.5)).astype(int)
    yp = np.where(rng.uniform(size=n) < 0.2, 1 - yt, yt)
    out.append((["no", "yes"], [int(v) for v in yt], [int(v) for v in yp], [str(v) for v in g]))

    # no false positives anywhere and a group with no negatives: fpr ratio is 0/0
    y_true = [1, 0, 1, 0, 1, 1, 1, 0, 0]
    y_pred = [1, 0, 1, 0, 1, 0, 0, 0, 0]
    groups = ["a", "a", "b", "b", "c", "c", "c", "a", "b"]
    out.append((["no", "yes"], y_true, y_pred, groups))
    return out


def fairlearn_oracle(labels, y_true, y_pred, groups):
    metrics = {
        "accuracy": accuracy_score,
        "selection_rate": partial(selection_rate, pos_label=1),
        "true_positive_rate": partial(true_positive_rate, pos_label=1),
        "false_positive_rate": partial(false_positive_rate, pos_label=1),
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mf = MetricFrame(metrics=metrics, y_true=np.asarray(y_true), y_pred=np.asarray(y_pred),
                         sensitive_features=pd.Series(groups, name="group"))
        by = mf.by_group
        diff = mf.difference(method="between_groups")
        ratio = mf.ratio(method="between_groups")
    by_group = {}
    undefined = {}
    yt, yp, ga = np.asarray(y_true), np.asarray(y_pred), np.asarray(groups)
    for gname in by.index:
        by_group[str(gname)] = {m: num(by.loc[gname, m]) for m in metrics}
        # fairlearn's rates come from confusion_matrix(normalize="true"), which turns
        # 0/0 into 0.0; list where that happened so a NaN-aware port can map it.
        sel = ga == gname
        missing = []
        if not np.any(yt[sel] == 1):
            missing.append("true_positive_rate")
        if not np.any(yt[sel] != 1):
            missing.append("false_positive_rate")
        if missing:
            undefined[str(gname)] = missing
    return {
        "labels": labels,
        "y_true": y_true,
        "y_pred": y_pred,
        "groups": groups,
        "pos_label": 1,
        "by_group": by_group,
        "difference": {m: num(diff[m]) for m in metrics},
        "ratio": {m: num(ratio[m]) for m in metrics},
        "zero_denominator": undefined,
        "notes": sorted({f"{w.category.__name__}: {w.message}" for w in caught}),
    }


# --------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()

    rng = np.random.default_rng(SEED)

    classification = []
    for case in make_cases(rng):
        case = roundtrip(case)  # compute from the exact float64s that get written
        assert all(math.isclose(sum(r), 1.0, abs_tol=1e-12) for r in case["proba"]), case["name"]
        if case["name"] != "pred_not_argmax":
            assert case["y_pred"] == [int(np.argmax(r)) for r in case["proba"]], case["name"]
        exp, notes = expected_for(case)
        case["expected"] = exp
        case["notes"] = notes
        classification.append(case)

    wilson = []
    for k, n in WILSON:
        lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
        wilson.append({"successes": k, "trials": n, "low": num(lo), "high": num(hi)})

    mcn = []
    for t in MCNEMAR:
        r = mcnemar(np.asarray(t), exact=True)
        mcn.append({"table": t, "statistic": num(r.statistic), "pvalue": num(r.pvalue)})

    fisher = []
    for t in FISHER:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p = scipy.stats.fisher_exact(t, alternative="two-sided")[1]
        fisher.append({"table": t, "pvalue": num(p)})

    mt = []
    for pv in multipletest_vectors(rng):
        entry = {"pvalues": pv, "alpha": 0.05}
        for key, method in (("holm", "holm"), ("bh", "fdr_bh")):
            rej, adj, _, _ = multipletests(pv, alpha=0.05, method=method)
            entry[key] = {"reject": [bool(b) for b in rej], "adjusted": nums(adj)}
        mt.append(entry)

    fair = [fairlearn_oracle(*c) for c in fairlearn_cases(rng)]

    out = {
        "generator": {
            "python": platform.python_version(),
            "sklearn": sklearn.__version__,
            "statsmodels": statsmodels.__version__,
            "scipy": scipy.__version__,
            "fairlearn": fairlearn.__version__,
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "seed": SEED,
            "script": "scripts/stats_oracles.py",
        },
        "notes": probe_sklearn(),
        "classification": classification,
        "wilson": wilson,
        "mcnemar": mcn,
        "fisher": fisher,
        "multipletests": mt,
        "fairlearn": fair,
    }

    text = json.dumps(out, allow_nan=False, separators=(",", ":"))
    # one line per top-level entry / list element keeps diffs readable
    parts = []
    for key, value in out.items():
        if isinstance(value, list):
            inner = ",\n  ".join(json.dumps(v, allow_nan=False, separators=(",", ":")) for v in value)
            parts.append(f"{json.dumps(key)}:[\n  {inner}\n ]")
        else:
            parts.append(f"{json.dumps(key)}:{json.dumps(value, allow_nan=False, separators=(',', ':'))}")
    text = "{\n " + ",\n ".join(parts) + "\n}\n"
    assert json.loads(text) == roundtrip(out)

    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w") as fh:
        fh.write(text)
    print(f"wrote {args.out}: {len(classification)} classification, {len(wilson)} wilson, "
          f"{len(mcn)} mcnemar, {len(fisher)} fisher, {len(mt)} multipletests, "
          f"{len(fair)} fairlearn", file=sys.stderr)


if __name__ == "__main__":
    main()
