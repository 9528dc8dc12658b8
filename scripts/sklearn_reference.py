#!/usr/bin/env python3
"""Reference values from scikit-learn / statsmodels for Stratum's Swift tests.

Writes two JSON fixtures that the Swift test suite compares against:

  Tests/Fixtures/sklearn/metrics.json   classification metrics (sklearn.metrics)
                                        and Wilson intervals (statsmodels)
  Tests/Fixtures/sklearn/logistic.json  L2-regularised logistic regression
                                        (sklearn LogisticRegression, lbfgs)

Rerun from the repository root with

    python3 scripts/sklearn_reference.py

It needs numpy, scipy, scikit-learn and statsmodels (pip install scikit-learn
statsmodels). All data are generated from fixed numpy seeds and BLAS is held
to one thread, so a rerun with the same library versions writes byte-identical
files. The library versions used are recorded inside each fixture.

NaN (an undefined metric) is written as JSON null. Floats are written with
Python's shortest round-trip repr, i.e. nothing is rounded.
"""

import json
import os
import platform
import sys
import warnings

import numpy as np
import scipy
import sklearn
import statsmodels
from scipy.special import expit, logsumexp, softmax
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)
from statsmodels.stats.proportion import proportion_confint
from threadpoolctl import threadpool_limits

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "Tests", "Fixtures", "sklearn")


# --------------------------------------------------------------------------
# JSON output
# --------------------------------------------------------------------------

def plain(value):
    """Turn numpy values into JSON-ready Python values; NaN becomes None."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        if np.isnan(f):
            return None
        if np.isinf(f):
            raise ValueError("infinite value in fixture")
        return f
    return value


def _is_flat(seq):
    """Scalars only, and no long strings (those go one per line)."""
    return all(
        not isinstance(v, (list, dict)) and not (isinstance(v, str) and len(v) > 40)
        for v in seq
    )


def dump(value, level=0):
    """Indented JSON, but a list of scalars (e.g. one matrix row) on one line."""
    pad = "  " * (level + 1)
    end = "  " * level
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [
            pad + json.dumps(k) + ": " + dump(v, level + 1) for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + end + "}"
    if isinstance(value, list):
        if _is_flat(value):
            return "[" + ", ".join(json.dumps(v, allow_nan=False) for v in value) + "]"
        return (
            "[\n" + ",\n".join(pad + dump(v, level + 1) for v in value) + "\n" + end + "]"
        )
    return json.dumps(value, allow_nan=False)


def write_fixture(filename, payload):
    os.makedirs(OUT_DIR, exist_ok=True)
    path = os.path.join(OUT_DIR, filename)
    text = dump(plain(payload)) + "\n"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    print(f"wrote {os.path.relpath(path, ROOT)} ({len(text.encode())} bytes)")


def versions():
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "statsmodels": statsmodels.__version__,
    }


# --------------------------------------------------------------------------
# metrics.json
# --------------------------------------------------------------------------

def flip_some(rng, y, labels, rate):
    """Replace a fraction `rate` of entries by a different, random label."""
    y = list(y)
    for i in range(len(y)):
        if rng.random() < rate:
            others = [lab for lab in labels if lab != y[i]]
            y[i] = others[rng.integers(len(others))]
    return y


def metric_case(name, labels, y_true, y_pred, description):
    y_true = list(y_true)
    y_pred = list(y_pred)
    n = len(y_true)
    assert n == len(y_pred) and n >= 1
    assert set(y_true) | set(y_pred) <= set(labels)

    correct = sum(int(t == p) for t, p in zip(y_true, y_pred))
    with warnings.catch_warnings():
        # Undefined precision/recall and "y_pred contains classes not in
        # y_true" are exactly what some cases exercise.
        warnings.simplefilter("ignore")
        acc = accuracy_score(y_true, y_pred)
        bal = balanced_accuracy_score(y_true, y_pred)
        cm = confusion_matrix(y_true, y_pred, labels=labels)
        prec, rec, f1, support = precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=None, zero_division=np.nan
        )
        macro = f1_score(
            y_true, y_pred, labels=labels, average="macro", zero_division=np.nan
        )
    low, high = proportion_confint(correct, n, alpha=0.05, method="wilson")

    # Cross-checks of the semantics written in the notes.
    assert acc == correct / n
    assert int(np.trace(cm)) == correct and int(cm.sum()) == n
    if np.all(np.isnan(f1)):
        assert np.isnan(macro)
    else:
        assert macro == np.nanmean(f1)

    return {
        "name": name,
        "description": description,
        "labels": labels,
        "y_true": y_true,
        "y_pred": y_pred,
        "n": n,
        "correct": correct,
        "support": [int(v) for v in support],  # sklearn may hand back floats
        "accuracy": acc,
        "balanced_accuracy": bal,
        "confusion_matrix": cm,
        "precision": prec,
        "recall": rec,
        "f1": f1,
        "macro_f1": macro,
        "wilson": [low, high],
    }


def metric_cases():
    cases = []

    # Binary, balanced: 100/100, about 18% of predictions flipped.
    rng = np.random.default_rng(1001)
    labels = ["neg", "pos"]
    y_true = [labels[i] for i in rng.permutation(np.repeat([0, 1], 100))]
    y_pred = flip_some(rng, y_true, labels, 0.18)
    cases.append(metric_case(
        "binary_balanced", labels, y_true, y_pred,
        "200 samples, 100 per class, ~18% of predictions flipped"))

    # Binary, imbalanced: 66% 'neg'; the classifier is biased towards 'neg'.
    rng = np.random.default_rng(1002)
    n = 150
    y_true = ["neg" if rng.random() < 0.66 else "pos" for _ in range(n)]
    y_pred = []
    for t in y_true:
        if t == "neg":
            y_pred.append("pos" if rng.random() < 0.08 else "neg")
        else:
            y_pred.append("neg" if rng.random() < 0.35 else "pos")
    cases.append(metric_case(
        "binary_imbalanced", labels, y_true, y_pred,
        "150 samples, ~66% 'neg'; 8% of 'neg' and 35% of 'pos' mispredicted"))

    # Three classes, label order deliberately not alphabetical.
    rng = np.random.default_rng(1003)
    labels3 = ["cat", "dog", "bird"]
    idx = rng.choice(3, size=180, p=[0.5, 0.3, 0.2])
    y_true = [labels3[i] for i in idx]
    y_pred = flip_some(rng, y_true, labels3, 0.3)
    cases.append(metric_case(
        "three_class", labels3, y_true, y_pred,
        "180 samples, class mix 50/30/20, ~30% flipped; labels not sorted"))

    # One class is never predicted: its precision is 0/0 -> null.
    rng = np.random.default_rng(1004)
    labels_np = ["a", "b", "c"]
    idx = rng.choice(3, size=60, p=[0.4, 0.4, 0.2])
    y_true = [labels_np[i] for i in idx]
    y_pred = []
    for t in y_true:
        if t == "c":
            y_pred.append("a" if rng.random() < 0.5 else "b")
        else:
            y_pred.append(flip_some(rng, [t], ["a", "b"], 0.2)[0])
    assert "c" not in y_pred and "c" in y_true
    cases.append(metric_case(
        "class_never_predicted", labels_np, y_true, y_pred,
        "60 samples; 'c' occurs in y_true but is never predicted: precision[c] "
        "is 0/0 (null), recall[c] = 0, f1[c] = 0"))

    # A label listed in `labels` never occurs in y_true: recall undefined.
    rng = np.random.default_rng(1005)
    labels_nt = ["x", "y", "z"]
    idx = rng.choice(2, size=45, p=[0.55, 0.45])
    y_true = [labels_nt[i] for i in idx]
    y_pred = flip_some(rng, y_true, labels_nt, 0.25)
    assert "z" not in y_true and "z" in y_pred
    cases.append(metric_case(
        "label_absent_from_y_true", labels_nt, y_true, y_pred,
        "45 samples; 'z' never occurs in y_true but is sometimes predicted: "
        "recall[z] is 0/0 (null), precision[z] = 0, f1[z] = 0; "
        "balanced_accuracy averages only over classes present in y_true"))

    # A label listed in `labels` occurs nowhere: precision, recall, f1 all null.
    rng = np.random.default_rng(1006)
    labels_nw = ["x", "y", "unused"]
    idx = rng.choice(2, size=30)
    y_true = [labels_nw[i] for i in idx]
    y_pred = flip_some(rng, y_true, ["x", "y"], 0.2)
    cases.append(metric_case(
        "label_absent_everywhere", labels_nw, y_true, y_pred,
        "30 samples; 'unused' is in labels but neither in y_true nor y_pred: "
        "precision, recall and f1 for it are all null and macro_f1 ignores it"))

    # All correct.
    rng = np.random.default_rng(1007)
    idx = rng.choice(3, size=50)
    y_true = [labels3[i] for i in idx]
    cases.append(metric_case(
        "all_correct", labels3, y_true, list(y_true),
        "50 samples, 3 classes, every prediction right"))

    # All wrong.
    rng = np.random.default_rng(1008)
    idx = rng.choice(2, size=40)
    y_true = [labels[i] for i in idx]
    y_pred = [labels[1 - i] for i in idx]
    cases.append(metric_case(
        "all_wrong", labels, y_true, y_pred,
        "40 binary samples, every prediction wrong"))

    # n = 1, right and wrong.
    cases.append(metric_case(
        "single_correct", labels, ["pos"], ["pos"],
        "n = 1, correct; 'neg' occurs nowhere"))
    cases.append(metric_case(
        "single_wrong", labels, ["pos"], ["neg"],
        "n = 1, wrong; precision[pos] and recall[neg] are 0/0"))
    return cases


METRICS_NOTES = [
    "Label strings; `labels` order is the class index order for confusion_matrix, "
    "precision, recall, f1 and support.",
    "accuracy = sklearn.metrics.accuracy_score(y_true, y_pred) = correct / n.",
    "balanced_accuracy = sklearn.metrics.balanced_accuracy_score(y_true, y_pred) "
    "(adjusted=False). It takes no `labels`: it is the mean recall over the classes "
    "that occur in y_true; classes that occur only in y_pred (or nowhere) are dropped, "
    "not counted as 0.",
    "confusion_matrix[i][j] = number of samples with true labels[i] predicted as "
    "labels[j] (sklearn.metrics.confusion_matrix with labels=labels).",
    "precision, recall, f1, support: precision_recall_fscore_support(labels=labels, "
    "average=None, zero_division=np.nan). precision = tp/(tp+fp), recall = "
    "tp/(tp+fn), f1 = 2tp/(2tp+fp+fn); each is null (NaN) exactly when its "
    "denominator is 0. So f1 is 0 (not null) when only one of precision/recall is "
    "undefined, and null only if the class occurs neither in y_true nor y_pred.",
    "macro_f1 = f1_score(labels=labels, average='macro', zero_division=np.nan) = "
    "mean of the non-null per-class f1 values (NaN-ignoring mean); null only if all "
    "are null.",
    "wilson = statsmodels.stats.proportion.proportion_confint(correct, n, "
    "alpha=0.05, method='wilson') as [low, high], the 95% Wilson score interval for "
    "accuracy (z = norm.ppf(0.975), no continuity correction).",
]


# --------------------------------------------------------------------------
# logistic.json
# --------------------------------------------------------------------------

def make_logreg(C):
    """sklearn LogisticRegression with an L2 penalty, without deprecated args.

    sklearn >= 1.8 deprecates `penalty`; l1_ratio=0 (with the default penalty)
    is the L2 penalty. Older versions take penalty='l2'.
    """
    major, minor = (int(p) for p in sklearn.__version__.split(".")[:2])
    kwargs = dict(C=C, solver="lbfgs", fit_intercept=True, tol=1e-10, max_iter=10000)
    if (major, minor) >= (1, 8):
        kwargs["l1_ratio"] = 0.0
    else:
        kwargs["penalty"] = "l2"
    return LogisticRegression(**kwargs)


def objective_and_grad(W, b, X, y, C):
    """C * sum_i loss_i + 0.5 * ||W||_F^2 (intercept b unpenalised), and gradient.

    Binary (W of shape (1, d), b of shape (1,)): loss_i = log(1 + exp(z_i)) - y_i z_i
    with z_i = x_i . W[0] + b[0]. Multinomial (W (k, d), b (k,)): loss_i =
    logsumexp_k(z_ik) - z_i,y_i with z_i = W x_i + b.
    """
    Z = X @ W.T + b
    if W.shape[0] == 1:
        z = Z[:, 0]
        losses = np.logaddexp(0.0, z) - y * z
        resid = (expit(z) - y)[:, None]
    else:
        losses = logsumexp(Z, axis=1) - Z[np.arange(len(y)), y]
        resid = softmax(Z, axis=1)
        resid[np.arange(len(y)), y] -= 1.0
    obj = C * losses.sum() + 0.5 * np.sum(W * W)
    gW = C * (resid.T @ X) + W
    gb = C * resid.sum(axis=0)
    return obj, gW, gb


def hessian(W, b, X, y, C):
    """Full Hessian of the objective in the flattened order [W row-major, b]."""
    n, d = X.shape
    k = W.shape[0]
    Z = X @ W.T + b
    Xa = np.hstack([X, np.ones((n, 1))])
    if k == 1:
        p = expit(Z[:, 0])
        H = C * (Xa.T * (p * (1 - p))) @ Xa
        H[:d, :d] += np.eye(d)
        # reorder [w, b] is already the flattened order for k = 1
        return H
    P = softmax(Z, axis=1)
    dim = k * (d + 1)
    Hab = np.zeros((dim, dim))
    # parameter order here: class-major blocks of (d + 1) = [w_c, b_c]
    for c in range(k):
        for e in range(k):
            wgt = P[:, c] * ((c == e) - P[:, e])
            Hab[c * (d + 1):(c + 1) * (d + 1), e * (d + 1):(e + 1) * (d + 1)] = (
                C * (Xa.T * wgt) @ Xa
            )
    for c in range(k):
        Hab[c * (d + 1):c * (d + 1) + d, c * (d + 1):c * (d + 1) + d] += np.eye(d)
    # permute to [W row-major, b]
    perm = [c * (d + 1) + j for c in range(k) for j in range(d)] + [
        c * (d + 1) + d for c in range(k)
    ]
    return Hab[np.ix_(perm, perm)]


def newton_refine(W, b, X, y, C, steps=8):
    """Polish sklearn's solution with Newton steps to measure its distance from
    the exact optimum. For k > 2 the common intercept shift is a null direction
    of the Hessian; the minimum-norm step (pinv) leaves sum(b) unchanged."""
    k, d = W.shape
    for _ in range(steps):
        _, gW, gb = objective_and_grad(W, b, X, y, C)
        g = np.concatenate([gW.ravel(), gb])
        H = hessian(W, b, X, y, C)
        step = np.linalg.pinv(H, rcond=1e-13, hermitian=True) @ g
        W = W - step[: k * d].reshape(k, d)
        b = b - step[k * d:]
    return W, b


def logistic_case(name, description, X, y, C, rng_check):
    X = np.ascontiguousarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    k = int(y.max()) + 1
    assert set(np.unique(y)) == set(range(k))

    model = make_logreg(C)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # fail on non-convergence or deprecation
        model.fit(X, y)
    assert list(model.classes_) == list(range(k))
    coef = np.array(model.coef_)
    intercept = np.array(model.intercept_)
    proba = model.predict_proba(X)

    if k == 2:
        # One sigmoid row: P(class 1 | x) = expit(x . coef[0] + intercept[0]).
        assert coef.shape == (1, X.shape[1]) and intercept.shape == (1,)
        p1 = expit(X @ coef[0] + intercept[0])
        assert np.allclose(proba[:, 1], p1, rtol=0, atol=1e-15)
        assert np.allclose(proba[:, 0], 1 - p1, rtol=0, atol=1e-15)
        y_fit = y.astype(np.float64)
    else:
        assert coef.shape == (k, X.shape[1]) and intercept.shape == (k,)
        assert np.allclose(proba, softmax(X @ coef.T + intercept, axis=1),
                           rtol=0, atol=1e-15)
        y_fit = y

    obj, gW, gb = objective_and_grad(coef, intercept, X, y_fit, C)
    grad = np.concatenate([gW.ravel(), gb])

    # Sanity: the objective is minimal at sklearn's solution, so small random
    # perturbations of coef (and of coef+intercept) must increase it.
    for scale in (1e-3, 1e-4):
        for _ in range(20):
            dW = rng_check.standard_normal(coef.shape) * scale
            assert objective_and_grad(coef + dW, intercept, X, y_fit, C)[0] > obj
            db = rng_check.standard_normal(intercept.shape) * scale
            if k > 2:
                db -= db.mean()  # a common intercept shift is a flat direction
            assert objective_and_grad(coef + dW, intercept + db, X, y_fit, C)[0] > obj

    # Distance from the exact optimum (Newton-polished solution).
    W_ref, b_ref = newton_refine(coef, intercept, X, y_fit, C)
    obj_ref, gW_ref, gb_ref = objective_and_grad(W_ref, b_ref, X, y_fit, C)
    g_ref = np.concatenate([gW_ref.ravel(), gb_ref])
    assert obj_ref <= obj + 1e-9 * abs(obj)
    Z_ref = X @ W_ref.T + b_ref
    proba_ref = (np.column_stack([1 - expit(Z_ref[:, 0]), expit(Z_ref[:, 0])])
                 if k == 2 else softmax(Z_ref, axis=1))

    diagnostics = {
        "n_iter": int(np.asarray(model.n_iter_).ravel()[0]),
        "objective_grad_inf_norm": float(np.max(np.abs(grad))),
        "objective_grad_l2_norm": float(np.linalg.norm(grad)),
        "newton_polished_grad_inf_norm": float(np.max(np.abs(g_ref))),
        "coef_max_abs_diff_vs_newton": float(np.max(np.abs(coef - W_ref))),
        "intercept_max_abs_diff_vs_newton": float(np.max(np.abs(intercept - b_ref))),
        "proba_max_abs_diff_vs_newton": float(np.max(np.abs(proba - proba_ref))),
        "objective_excess_vs_newton": float(obj - obj_ref),
    }
    if k > 2:
        diagnostics["intercept_sum"] = float(intercept.sum())
        diagnostics["coef_column_sum_max_abs"] = float(np.max(np.abs(coef.sum(axis=0))))

    return {
        "name": name,
        "description": description,
        "C": C,
        "classes": k,
        "n": X.shape[0],
        "d": X.shape[1],
        "X": X,
        "y": y,
        "coef": coef,
        "intercept": intercept,
        "predict_proba": proba,
        "objective": obj,
        "newton_optimum": {"coef": W_ref, "intercept": b_ref, "objective": obj_ref},
        "diagnostics": diagnostics,
    }


def standardise(X):
    return (X - X.mean(axis=0)) / X.std(axis=0)


def logistic_cases():
    rng_check = np.random.default_rng(4242)
    cases = []

    # 1. Binary, standardised gaussian features, real signal, C = 1.
    rng = np.random.default_rng(2001)
    n, d = 120, 8
    X = standardise(rng.standard_normal((n, d)))
    w = np.array([1.5, -1.0, 0.8, 0.0, 0.0, 0.5, -0.3, 0.0])
    y = (rng.random(n) < expit(X @ w + 0.3)).astype(int)
    cases.append(logistic_case(
        "binary_gaussian_C1",
        "n=120, d=8 standardised gaussian features, true weights "
        "[1.5,-1,0.8,0,0,0.5,-0.3,0], intercept 0.3",
        X, y, 1.0, rng_check))

    # 2. Binary, strong regularisation.
    rng = np.random.default_rng(2002)
    n, d = 100, 5
    X = standardise(rng.standard_normal((n, d)))
    w = np.array([2.0, -1.5, 1.0, 0.0, 0.7])
    y = (rng.random(n) < expit(X @ w - 0.8)).astype(int)
    cases.append(logistic_case(
        "binary_strong_reg_C0.05",
        "n=100, d=5 standardised gaussian features, intercept -0.8 (imbalanced), "
        "strong L2 regularisation C=0.05",
        X, y, 0.05, rng_check))

    # 3. Three-class multinomial.
    rng = np.random.default_rng(2003)
    n, d, k = 150, 6, 3
    X = standardise(rng.standard_normal((n, d)))
    W = np.array([
        [1.2, -0.5, 0.0, 0.8, 0.0, -0.4],
        [-0.6, 1.0, 0.7, 0.0, -0.5, 0.0],
        [0.0, 0.0, -0.9, -0.6, 0.9, 0.5],
    ])
    P = softmax(X @ W.T + np.array([0.2, 0.0, -0.3]), axis=1)
    y = np.array([rng.choice(k, p=p) for p in P])
    cases.append(logistic_case(
        "multinomial_3class_C0.5",
        "n=150, d=6 standardised gaussian features, 3 classes drawn from a "
        "softmax model",
        X, y, 0.5, rng_check))

    # 4. Binary on 6x6 'downsampled pixel' features in [0, 1].
    rng = np.random.default_rng(2004)
    n, side = 200, 12
    grid = np.arange(side) + 0.5
    gy, gx = np.meshgrid(grid, grid, indexing="ij")
    images, labels = [], []
    for i in range(n):
        label = i % 2
        # class 0: blob in the upper-left half, class 1: lower-right half,
        # with overlap so the classes are not separable.
        cy, cx = rng.normal(4.5 + 3.0 * label, 2.0, size=2)
        r = rng.uniform(2.0, 3.5)
        img = np.exp(-((gy - cy) ** 2 + (gx - cx) ** 2) / (2 * r * r))
        img = img * rng.uniform(0.6, 1.0) + rng.normal(0, 0.08, size=img.shape)
        small = img.reshape(6, 2, 6, 2).mean(axis=(1, 3))  # 2x2 average pooling
        # 4-bit grey levels (like sklearn's digits data): exact binary fractions.
        small = np.round(np.clip(small, 0.0, 1.0) * 16) / 16
        images.append(small.ravel())
        labels.append(label)
    order = rng.permutation(n)
    X = np.array(images)[order]
    y = np.array(labels)[order]
    cases.append(logistic_case(
        "binary_pixels_C0.1",
        "n=200, d=36: 6x6 images (2x2-average-pooled 12x12 gaussian blobs plus "
        "noise, quantised to multiples of 1/16 in [0,1]); neighbouring pixels are "
        "strongly correlated; class 0 blobs upper-left, class 1 lower-right",
        X, y, 0.1, rng_check))
    return cases


LOGISTIC_NOTES = [
    "Fit: sklearn.linear_model.LogisticRegression(C=C, solver='lbfgs', "
    "fit_intercept=True, tol=1e-10, max_iter=10000, l1_ratio=0.0) -- in sklearn "
    ">= 1.8 `penalty` is deprecated and l1_ratio=0 with the default penalty is the "
    "L2 penalty (older versions: penalty='l2'). X is float64, y are class indices "
    "0..classes-1, no sample or class weights.",
    "Objective minimised: C * sum_i loss_i + 0.5 * ||coef||_F^2; the intercept is "
    "NOT penalised. loss_i is the negative log-likelihood (binary: log(1+exp(z_i)) - "
    "y_i z_i; multinomial: logsumexp_k(z_ik) - z_i,y_i). Internally sklearn "
    "minimises the same function divided by C*n (mean loss + ||W||^2/(2 C n)), "
    "_logistic.py: 'l2_reg_strength = 1.0 / (C * sw_sum)'. `objective` is the "
    "C*sum form, computed in numpy at sklearn's coef/intercept.",
    "Binary (classes = 2): ONE sigmoid row. coef is 1 x d, intercept has length 1, "
    "and predict_proba[:,1] = expit(X @ coef[0] + intercept[0]) = P(class 1), "
    "predict_proba[:,0] = 1 - that (checked to 1e-15). Source: _logistic.py "
    "'# classes[1] is the \"positive label\"', y_bin = 1 for class 1 else 0, "
    "HalfBinomialLoss; fit(): 'self.coef_ = self.coef_[:-1][None, :]'.",
    "Multinomial (classes = k > 2): full over-parametrised softmax with k rows. "
    "coef is k x d, intercept has length k, predict_proba = softmax(X @ coef.T + "
    "intercept) (HalfMultinomialLoss, w0 = zeros((n_classes, n_features + 1))). "
    "Because the L2 penalty covers all k rows, the penalised weights are unique and "
    "automatically satisfy sum_k coef[k][j] = 0 for every feature j (a common shift "
    "of the rows leaves the loss unchanged and only the zero-sum choice minimises "
    "||W||^2).",
    "Multinomial intercepts are unpenalised, so they are identified only up to a "
    "common shift. For lbfgs sklearn does NOT centre them explicitly (no post-"
    "processing in LogisticRegression.fit or _logistic_regression_path); the only "
    "explicit centring is in the newton-cholesky solver "
    "(_glm/_newton_solver.py finalize(): 'self.coef[-n_classes:] -= "
    "np.mean(self.coef[-n_classes:])'). With lbfgs the intercepts still sum to "
    "~0 implicitly: the start is 0 and the intercept gradient sum_i (p_ik - y_ik) "
    "sums to 0 over k, so every L-BFGS step stays in the sum-zero subspace. "
    "diagnostics.intercept_sum records how close to 0 it is. This matches sklearn's "
    "stated convention, _loss/link.py MultinomialLogit: 'symmetric side constraint' "
    "... 'sum(coef[k], k=0..n_classes-1) = 0'. A Swift implementation should either "
    "centre its intercepts (subtract their mean) before comparing, or compare "
    "intercept differences / predict_proba.",
    "newton_optimum: coef, intercept and objective after polishing sklearn's "
    "solution with full Newton steps in numpy (gradient ~1e-15); it is the exact "
    "optimum to ~1e-13 and is NOT sklearn output, but lets a Swift solver be "
    "checked more tightly than against sklearn's own (ftol-stopped) solution.",
    "diagnostics: n_iter (lbfgs iterations), gradient norms of the C*sum objective "
    "at sklearn's solution (all coef entries then intercepts), and the distance to "
    "a Newton-polished optimum computed here in numpy (pinv Newton steps, which "
    "keep sum(intercept) fixed). sklearn's gtol=tol applies to the max-abs "
    "gradient of the /(C*n)-scaled objective; L-BFGS-B may also stop on its ftol "
    "(64*eps relative decrease), so the C*sum gradient is not 1e-10-small.",
]


def main():
    with threadpool_limits(limits=1):
        metrics = metric_cases()
        logistic = logistic_cases()

    header = {
        "generator": "scripts/sklearn_reference.py",
        "rerun": "python3 scripts/sklearn_reference.py",
        "versions": versions(),
    }
    write_fixture("metrics.json", {**header, "notes": METRICS_NOTES, "cases": metrics})
    write_fixture("logistic.json", {**header, "notes": LOGISTIC_NOTES, "cases": logistic})
    for case in logistic:
        print(case["name"], case["diagnostics"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
