#!/usr/bin/env python3
"""The `stratum run Experiments/faces.yaml` pipeline written the usual Python way, as the
reference for scripts/bench_scaling.sh: same images, same three models, same slices.

  python3 scripts/bench_pipeline.py MANIFEST --split all --out DIR --cache DIR

Stages (each timed; the JSON printed at the end has the seconds per stage):

  imports    numpy, pandas, onnxruntime, Pillow, matplotlib, fairlearn, scikit-learn and
             statsmodels are imported.
  manifest   pandas reads MANIFEST (id,path,<label>,...,split); --split NAME keeps the rows
             of that split, --split all keeps every row whatever its split.
  models     loads the logistic model file (numpy) and opens one onnxruntime session per
             network (CPU execution provider, default session options).
  decode     Pillow decodes each PNG to 8-bit RGB (a thread pool of --decode-workers
             threads; Pillow releases the GIL while it inflates) and every image is reduced
             at once to each model's input, as Stratum does: half-pixel bilinear resize in
             float32 without antialiasing (scripts/bilinear.py's convention, which is
             Stratum's Preprocessor and tf.image.resize), then x/255 (unit) or x/127.5-1
             (symmetric). Images are held --chunk-size at a time, as Stratum's --chunk-size.
  <variant>  inference only, per variant, in batches of --batch-size (Stratum's batch_size):
             logistic-baseline   numpy: z = (x - mean) / scale on the HWC-flattened 24x24x3
                                 unit input, p(labels[1]) = sigmoid(coef . z + intercept)
                                 (the weights file Stratum's fit wrote, --logistic FILE);
             small-cnn           onnxruntime, NHWC float32 64x64 in [0, 1];
             automl-mobilenet    onnxruntime, NHWC float32 96x96 in [-1, 1].
  store      sqlite3 (one file, --out/bench.sqlite; runs are numbered, never overwritten):
             a run row, one prediction row per variant x sample (run, variant, sample,
             predicted, probabilities as JSON), inserted in one transaction per chunk, then
             one metric row per variant x slice x metric.
  metrics    fairlearn MetricFrame per variant and slice grouping: accuracy, balanced
             accuracy, per-class precision, recall and F1, with 95% Wilson intervals
             (statsmodels proportion_confint) for the proportions (accuracy, precision,
             recall; the counts behind them by numpy on the slice masks). Slices as
             faces.yaml: overall, each value of age_group and hair_length, named children
             (age < 13) and atypical_hair, pairwise intersections, min size 10; an
             intersection equal to one of its two parents is left out (as Stratum).
             (Stratum computes more per slice: 21 metrics, 9 of them with 1000-resample
             bootstrap intervals; this script computes the 8 above.)
  reports    matplotlib (Agg), into --out/reports/run-<n>/: per variant a confusion matrix, a
             failure gallery (the 48 most confident errors, 8 columns, 96 px thumbnails
             re-read from disk, captioned id / truth -> predicted / confidence) and a
             reliability diagram (10 confidence bins); one slice-accuracy chart; index.html.

Prints one JSON object: total_seconds (from the script's first import; the interpreter's own
start-up is not in it, /usr/bin/time around the process has that), stages (seconds per
stage), images, peak_rss_mb (resource.getrusage ru_maxrss of this process, onnxruntime's
threads included), accuracy per variant, slice count, versions and the files written.

Checked against `stratum run Experiments/faces.yaml` (test split, 287 images): the same 29
slices; the 8 metrics and their Wilson bounds equal Stratum's stored values within 1e-15
(undefined ones NULL on both sides); probabilities within 1.3e-6.

ONNX files: --cache DIR/onnx/<model>.onnx. When missing they are made the way
scripts/onnx_export.py makes them: the committed tf2onnx export
Experiments/models/<model>/model.onnx (written, byte-reproducibly, by that script) is copied;
if that is missing too, scripts/onnx_export.py's own conversion is run into the cache (needs
tensorflow, tensorflowjs and tf2onnx, see its docstring). Nothing is ever downloaded.

Packages (used here with Python 3.11.7; numpy, pandas, scikit-learn, fairlearn and statsmodels
were already installed system-wide, the rest in a venv with --system-site-packages):

  pip install onnxruntime==1.32.0 pillow==13.0.0 matplotlib==3.11.2 numpy==2.4.6 \\
      fairlearn==0.15.0 statsmodels==0.15.0 pandas==3.1.1 scikit-learn==1.9.1
"""

import argparse
import concurrent.futures
import functools
import html
import json
import os
import resource
import shutil
import sqlite3
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, ".."))
sys.path.insert(0, HERE)

STARTED = time.perf_counter()   # the imports below count in the total

import numpy as np  # noqa: E402

# name -> (kind, input side, normalisation); order as in Experiments/faces.yaml
VARIANTS = [
    ("logistic-baseline", "logistic", None, None),
    ("small-cnn", "onnx", 64, "unit"),
    ("automl-mobilenet", "onnx", 96, "symmetric"),
]
SLICE_BY = ["age_group", "hair_length"]
SLICE_NAMED = [
    ("children", "age < 13"),
    ("atypical_hair", "(sex == 'female' and hair_length == 'short') or "
                      "(sex == 'male' and hair_length == 'long')"),
]
MIN_SIZE = 10
GALLERY_LIMIT, GALLERY_COLUMNS, THUMB = 48, 8, 96
RELIABILITY_BINS = 10


class Timer:
    """Seconds accumulated per stage (stages may be entered once per chunk)."""

    def __init__(self):
        self.seconds = {}

    def stage(self, name):
        timer = self

        class _Stage:
            def __enter__(self):
                self.start = time.perf_counter()

            def __exit__(self, *exc):
                timer.seconds[name] = timer.seconds.get(name, 0.0) + time.perf_counter() - self.start

        return _Stage()


# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------

def onnx_file(name, cache):
    """cache/onnx/<name>.onnx, made if missing (see the module docstring)."""
    target = os.path.join(cache, "onnx", name + ".onnx")
    if os.path.exists(target):
        return target, "cache"
    os.makedirs(os.path.dirname(target), exist_ok=True)
    committed = os.path.join(REPO, "Experiments", "models", name, "model.onnx")
    if os.path.exists(committed):
        shutil.copyfile(committed, target + ".part")
        os.replace(target + ".part", target)
        return target, "copied from " + os.path.relpath(committed, REPO)
    # The conversion itself, as scripts/onnx_export.py does it (TensorFlow stack needed).
    import onnx_export  # noqa: E402  (imports tensorflow, tensorflowjs, tf2onnx)
    spec = onnx_export.MODELS[name]
    model_dir = os.path.join(onnx_export.MODELS_DIR, name)
    if spec["source"] == "tfjs layers model":
        proto, route = onnx_export.convert_layers_model(model_dir, 17)
    else:
        proto, route = onnx_export.convert_graph_model(model_dir, 17)
    proto = onnx_export.finish(proto, name, spec, route)
    with open(target + ".part", "wb") as f:
        f.write(proto.SerializeToString())
    os.replace(target + ".part", target)
    return target, "exported with scripts/onnx_export.py's conversion (%s)" % route


class Logistic:
    def __init__(self, path):
        with open(path) as f:
            model = json.load(f)
        if model.get("format") != "stratum-logistic":
            raise SystemExit("%s: not a stratum-logistic model file" % path)
        self.labels = model["labels"]
        spec = model["input"]
        if spec.get("centerCrop"):
            raise SystemExit("%s: centerCrop is not supported here" % path)
        self.side, self.channels = spec["width"], spec["channels"]
        if spec["height"] != self.side:
            raise SystemExit("%s: only square inputs are supported here" % path)
        self.normalization = spec.get("normalization", "unit")
        self.mean = np.asarray(model["standardization"]["mean"], dtype=np.float64)
        self.scale = np.asarray(model["standardization"]["scale"], dtype=np.float64)
        self.coef = np.asarray(model["coef"], dtype=np.float64)
        self.intercept = np.asarray(model["intercept"], dtype=np.float64)

    def predict(self, x):
        """x: [n, side, side, channels] float32 -> [n, classes] float32."""
        z = (x.reshape(len(x), -1).astype(np.float64) - self.mean) / self.scale
        logits = z @ self.coef.T + self.intercept
        if len(self.labels) == 2:
            p = 1.0 / (1.0 + np.exp(-logits[:, 0]))
            probs = np.stack([1.0 - p, p], axis=1)
        else:
            e = np.exp(logits - logits.max(axis=1, keepdims=True))
            probs = e / e.sum(axis=1, keepdims=True)
        return probs.astype(np.float32)


class OnnxModel:
    def __init__(self, path):
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.log_severity_level = 3
        self.session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name
        self.output = self.session.get_outputs()[0].name

    def predict(self, x):
        return self.session.run([self.output], {self.input: x})[0].astype(np.float32)


# ---------------------------------------------------------------------------
# Decoding and preprocessing
# ---------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def taps(out_size, in_size):
    """scripts/bilinear.py's half-pixel taps (= Stratum's RGBImage.resizedFloats)."""
    scale = np.float32(in_size) / np.float32(out_size)
    src = ((np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * scale
           - np.float32(0.5)).astype(np.float32)
    floor = np.floor(src)
    lo = np.maximum(floor, 0).astype(np.int64)
    hi = np.minimum(np.ceil(src), in_size - 1).astype(np.int64)
    return lo, hi, (src - floor).astype(np.float32)


def resize_batch(images, side):
    """[n, H, W, 3] uint8 -> [n, side, side, 3] float32 in 0..255 (bilinear.resize_bilinear
    on a whole batch)."""
    n, h, w, _ = images.shape
    if h == side and w == side:
        return images.astype(np.float32)
    y0, y1, wy = taps(side, h)
    x0, x1, wx = taps(side, w)
    wx = wx[None, None, :, None]
    wy = wy[None, :, None, None]
    rows0 = images[:, y0].astype(np.float32)
    rows1 = images[:, y1].astype(np.float32)
    top = rows0[:, :, x0] + (rows0[:, :, x1] - rows0[:, :, x0]) * wx
    bottom = rows1[:, :, x0] + (rows1[:, :, x1] - rows1[:, :, x0]) * wx
    return (top + (bottom - top) * wy).astype(np.float32)


def normalise(x, how):
    if how == "unit":
        return x / np.float32(255.0)
    if how == "symmetric":
        return x / np.float32(127.5) - np.float32(1.0)
    return x


def gray(x):
    return (np.float32(0.299) * x[..., 0] + np.float32(0.587) * x[..., 1]
            + np.float32(0.114) * x[..., 2])[..., None]


def decode(path):
    from PIL import Image
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


# ---------------------------------------------------------------------------
# Slices and metrics
# ---------------------------------------------------------------------------

def slice_masks(frame):
    """[(name, mask, grouping, key)] in Stratum's order: overall, by-values, named, pairwise
    intersections. `grouping` names the MetricFrame feature columns (see feature_columns),
    `key` the slice's group in that MetricFrame's by_group."""
    singles = []
    for column in SLICE_BY:
        values = frame[column].astype(str)
        for value in sorted(values.unique()):
            singles.append((column, value, "%s=%s" % (column, value), (values == value).to_numpy()))
    for name, expr in SLICE_NAMED:
        singles.append((name, True, name, frame.eval(expr, engine="python").to_numpy(dtype=bool)))
    singles = [s for s in singles if s[3].sum() >= MIN_SIZE]
    slices = [("overall", np.ones(len(frame), dtype=bool), (), ())]
    slices += [(name, mask, (feature,), (value,)) for feature, value, name, mask in singles]
    for i, (fi, vi, ni, mi) in enumerate(singles):
        for fj, vj, nj, mj in singles[i + 1:]:
            if fi == fj:
                continue
            both = mi & mj
            if both.sum() < MIN_SIZE or np.array_equal(both, mi) or np.array_equal(both, mj):
                continue
            slices.append(("%s & %s" % (ni, nj), both, (fi, fj), (vi, vj)))
    return slices


def feature_columns(frame):
    """The sensitive-feature columns: each by column as text, each named slice as a bool."""
    columns = {c: frame[c].astype(str).to_numpy() for c in SLICE_BY}
    for name, expr in SLICE_NAMED:
        columns[name] = frame.eval(expr, engine="python").to_numpy(dtype=bool)
    return columns


def metric_functions(labels):
    from sklearn.metrics import (accuracy_score, balanced_accuracy_score, f1_score,
                                 precision_score, recall_score)
    metrics = {"accuracy": accuracy_score, "balanced_accuracy": balanced_accuracy_score}
    for label in labels:
        if len(labels) == 2:
            kw = dict(labels=labels, pos_label=label, average="binary", zero_division=0)
        else:
            kw = dict(labels=[label], average="macro", zero_division=0)
        metrics["precision[%s]" % label] = functools.partial(precision_score, **kw)
        metrics["recall[%s]" % label] = functools.partial(recall_score, **kw)
        metrics["f1[%s]" % label] = functools.partial(f1_score, **kw)
    return metrics


def compute_metrics(features, slices, labels, y_true, y_pred):
    """One fairlearn MetricFrame per slice grouping (overall; one feature; two features) ->
    rows (slice, metric, value, ci_low, ci_high, n, denominator)."""
    import pandas as pd
    from fairlearn.metrics import MetricFrame
    from statsmodels.stats.proportion import proportion_confint

    metrics = metric_functions(labels)
    frames = {}
    for name, mask, grouping, key in slices:
        if grouping and grouping not in frames:
            sensitive = pd.DataFrame({g: features[g] for g in grouping})
            frames[grouping] = MetricFrame(metrics=metrics, y_true=y_true, y_pred=y_pred,
                                           sensitive_features=sensitive)
    if not frames:   # only the overall slice: a MetricFrame over one constant feature
        frames[()] = MetricFrame(metrics=metrics, y_true=y_true, y_pred=y_pred,
                                 sensitive_features=np.zeros(len(y_true), dtype=np.int64))
    overall = next(iter(frames.values())).overall      # the same whichever grouping
    values = {}
    for name, mask, grouping, key in slices:
        if not grouping:
            values[name] = overall
        else:
            values[name] = frames[grouping].by_group.loc[key if len(key) > 1 else key[0]]
    # The Wilson intervals need the counts behind each proportion: numpy on the slice masks
    # (as MetricFrame metrics they would cost as much as the metrics themselves).
    correct = np.asarray(y_true) == np.asarray(y_pred)
    is_true = {label: np.asarray(y_true) == label for label in labels}
    is_pred = {label: np.asarray(y_pred) == label for label in labels}
    rows = []
    for name, mask, grouping, key in slices:
        v = values[name]
        n = int(mask.sum())
        proportions = [("accuracy", v["accuracy"], int(correct[mask].sum()), n)]
        for label in labels:
            predicted, actual = int(is_pred[label][mask].sum()), int(is_true[label][mask].sum())
            precision, recall = float(v["precision[%s]" % label]), float(v["recall[%s]" % label])
            proportions.append(("precision[%s]" % label, precision, int(round(precision * predicted)), predicted))
            proportions.append(("recall[%s]" % label, recall, int(round(recall * actual)), actual))
        counts = np.array([p[2] for p in proportions])
        nobs = np.array([p[3] for p in proportions])
        lo, hi = proportion_confint(counts, np.maximum(nobs, 1), alpha=0.05, method="wilson")
        # A proportion with denominator 0 (no sample predicted / labelled as the class) is
        # stored as NULL, as Stratum stores it undefined; sklearn's zero_division=0 is 0.
        for (metric, value, _, den), low, high in zip(proportions, lo, hi):
            rows.append((name, metric, float(value) if den else None, float(low) if den else None,
                         float(high) if den else None, n, den))
        rows.append((name, "balanced_accuracy", float(v["balanced_accuracy"]), None, None, n, n))
        for label in labels:
            defined = is_pred[label][mask].any() or is_true[label][mask].any()
            rows.append((name, "f1[%s]" % label, float(v["f1[%s]" % label]) if defined else None,
                         None, None, n, n))
    return rows


# ---------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------

def draw_confusion(plt, path, variant, labels, matrix):
    fig, ax = plt.subplots(figsize=(4.2, 3.8), dpi=100)
    im = ax.imshow(matrix, cmap="Blues", vmin=0, vmax=max(1, matrix.max()))
    for i in range(len(labels)):
        for j in range(len(labels)):
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center",
                    color="white" if matrix[i, j] > matrix.max() / 2 else "black")
    ax.set_xticks(range(len(labels)), labels)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("%s: confusion matrix" % variant)
    fig.colorbar(im, ax=ax)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def draw_gallery(plt, path, variant, frame, root, labels, truth, probs):
    predicted = probs.argmax(axis=1)
    confidence = probs.max(axis=1)
    errors = np.nonzero(predicted != truth)[0]
    order = errors[np.argsort(-confidence[errors], kind="stable")][:GALLERY_LIMIT]
    columns = GALLERY_COLUMNS
    rows = max(1, (len(order) + columns - 1) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 1.3, rows * 1.6), dpi=100, squeeze=False)
    from PIL import Image
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= len(order):
            continue
        i = order[k]
        with Image.open(os.path.join(root, frame["path"].iat[i])) as image:
            thumb = image.convert("RGB")
            thumb.thumbnail((THUMB, THUMB))
            ax.imshow(np.asarray(thumb))
        ax.set_title("%s\n%s→%s %.2f" % (frame["id"].iat[i], labels[truth[i]], labels[predicted[i]],
                                          confidence[i]), fontsize=6)
    fig.suptitle("%s: %d most confident errors of %d" % (variant, len(order), len(errors)), fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def draw_reliability(plt, path, variant, truth, probs):
    predicted = probs.argmax(axis=1)
    confidence = probs.max(axis=1).astype(np.float64)
    correct = predicted == truth
    edges = np.linspace(0.0, 1.0, RELIABILITY_BINS + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, RELIABILITY_BINS - 1)
    counts = np.bincount(which, minlength=RELIABILITY_BINS)
    conf_sum = np.bincount(which, weights=confidence, minlength=RELIABILITY_BINS)
    acc_sum = np.bincount(which, weights=correct, minlength=RELIABILITY_BINS)
    used = counts > 0
    ece = float(np.sum(np.abs(acc_sum[used] - conf_sum[used])) / max(1, len(truth)))
    fig, ax = plt.subplots(figsize=(5, 4.2), dpi=100)
    ax2 = ax.twinx()
    ax2.bar((edges[:-1] + edges[1:]) / 2, counts, width=0.09, color="#9ecae1", alpha=0.6, label="count")
    ax2.set_ylim(0, max(1, counts.max()) * 4)
    ax2.set_ylabel("count")
    ax.plot([0, 1], [0, 1], "--", color="gray", label="perfect calibration")
    ax.plot(conf_sum[used] / counts[used], acc_sum[used] / counts[used], "o-", color="#d62728",
            label="accuracy at mean confidence")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_zorder(ax2.get_zorder() + 1)
    ax.patch.set_visible(False)
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    ax.set_title("%s: reliability (ECE %.3f)" % (variant, ece))
    ax.legend(loc="upper left", fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def draw_slice_accuracy(plt, path, variants, slice_names, acc):
    """acc[variant][slice] = (value, lo, hi)."""
    height = max(3.0, 0.28 * len(slice_names) * max(1, len(variants)) / 2 + 1)
    fig, ax = plt.subplots(figsize=(8, height), dpi=100)
    bar = 0.8 / max(1, len(variants))
    y = np.arange(len(slice_names))
    for k, variant in enumerate(variants):
        values = np.array([acc[variant][s][0] for s in slice_names])
        lo = np.array([acc[variant][s][1] for s in slice_names])
        hi = np.array([acc[variant][s][2] for s in slice_names])
        ax.barh(y + k * bar, values, height=bar, label=variant,
                xerr=np.maximum(0.0, np.vstack([values - lo, hi - values])), error_kw=dict(lw=0.6, capsize=1.5))
    ax.set_yticks(y + bar * (len(variants) - 1) / 2, slice_names, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("accuracy (95% Wilson interval)")
    ax.set_title("accuracy per slice")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_index(path, run, variants, accuracy, files):
    parts = ["<!doctype html><meta charset=utf-8><title>bench_pipeline run %d</title>" % run,
             "<h1>bench_pipeline run %d</h1><ul>" % run]
    for v in variants:
        parts.append("<li>%s: accuracy %.4f</li>" % (html.escape(v), accuracy[v]))
    parts.append("</ul>")
    for name in files:
        parts.append('<figure><img src="%s"><figcaption>%s</figcaption></figure>'
                     % (html.escape(name), html.escape(name)))
    with open(path, "w") as f:
        f.write("\n".join(parts) + "\n")


# ---------------------------------------------------------------------------
# Store
# ---------------------------------------------------------------------------

SCHEMA = """
CREATE TABLE IF NOT EXISTS run (id INTEGER PRIMARY KEY AUTOINCREMENT, manifest TEXT NOT NULL,
    split TEXT NOT NULL, started_at REAL NOT NULL, finished_at REAL);
CREATE TABLE IF NOT EXISTS prediction (id INTEGER PRIMARY KEY AUTOINCREMENT,
    run INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE, variant TEXT NOT NULL,
    sample TEXT NOT NULL, predicted TEXT NOT NULL, probabilities TEXT NOT NULL,
    UNIQUE (run, variant, sample));
CREATE INDEX IF NOT EXISTS prediction_on_run ON prediction(run);
CREATE TABLE IF NOT EXISTS metric (id INTEGER PRIMARY KEY AUTOINCREMENT,
    run INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE, variant TEXT NOT NULL,
    slice TEXT NOT NULL, name TEXT NOT NULL, value REAL, ci_low REAL, ci_high REAL,
    n INTEGER NOT NULL, denominator INTEGER, interval_method TEXT,
    UNIQUE (run, variant, slice, name));
CREATE INDEX IF NOT EXISTS metric_on_run ON metric(run);
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("manifest")
    parser.add_argument("--split", default="test", help="split to evaluate, or 'all' for every row")
    parser.add_argument("--out", required=True, help="folder for bench.sqlite and reports/")
    parser.add_argument("--cache", required=True, help="folder for the ONNX files (cache/onnx/)")
    parser.add_argument("--label", default="sex")
    parser.add_argument("--logistic", default=os.path.join(REPO, "Experiments", "data", "models",
                                                           "logistic-baseline.json"))
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--chunk-size", type=int, default=64)
    parser.add_argument("--decode-workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    timer = Timer()
    with timer.stage("imports"):
        import warnings
        # Slices with one class make sklearn warn (balanced accuracy, recall of the absent class).
        warnings.filterwarnings("ignore", category=UserWarning, module="sklearn")
        import pandas as pd
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import onnxruntime
        import PIL
        import PIL.Image
        import fairlearn
        import fairlearn.metrics  # noqa: F401
        import sklearn.metrics  # noqa: F401
        import statsmodels
        import statsmodels.stats.proportion  # noqa: F401
    os.makedirs(args.out, exist_ok=True)

    with timer.stage("manifest"):
        frame = pd.read_csv(args.manifest, dtype={"id": str, "path": str, "split": str})
        if args.split != "all":
            frame = frame[frame["split"] == args.split].reset_index(drop=True)
        if frame.empty:
            raise SystemExit("%s: split %r has no rows" % (args.manifest, args.split))
        root = os.path.dirname(os.path.abspath(args.manifest))
        paths = [os.path.join(root, p) for p in frame["path"]]

    with timer.stage("models"):
        models, sources = {}, {}
        logistic = Logistic(args.logistic)
        labels = logistic.labels
        for name, kind, side, how in VARIANTS:
            if kind == "logistic":
                models[name] = logistic
                sources[name] = os.path.abspath(args.logistic)
            else:
                path, source = onnx_file(name, args.cache)
                models[name] = OnnxModel(path)
                sources[name] = "%s (%s)" % (path, source)
        # Each distinct model input: (side, channels, normalisation).
        inputs = {"logistic-baseline": (logistic.side, logistic.channels, logistic.normalization)}
        for name, kind, side, how in VARIANTS:
            if kind == "onnx":
                inputs[name] = (side, 3, how)
        label_index = {label: i for i, label in enumerate(labels)}
        truth = frame[args.label].map(label_index)
        if truth.isna().any():
            raise SystemExit("labels outside %s in column %s" % (labels, args.label))
        truth = truth.to_numpy(dtype=np.int64)

    with timer.stage("store"):
        db_path = os.path.join(args.out, "bench.sqlite")
        db = sqlite3.connect(db_path)
        db.executescript(SCHEMA)
        cur = db.execute("INSERT INTO run (manifest, split, started_at) VALUES (?, ?, ?)",
                         (os.path.abspath(args.manifest), args.split, time.time()))
        run = cur.lastrowid
        db.commit()

    n = len(frame)
    probs = {name: np.zeros((n, len(labels)), dtype=np.float32) for name, *_ in VARIANTS}
    ids = frame["id"].tolist()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.decode_workers))
    for start in range(0, n, args.chunk_size):
        stop = min(n, start + args.chunk_size)
        with timer.stage("decode"):
            images = np.stack(list(pool.map(decode, paths[start:stop])))
            prepared = {}
            for name, (side, channels, how) in inputs.items():
                key = (side, channels, how)
                if key not in prepared:
                    x = resize_batch(images, side)
                    if channels == 1:
                        x = gray(x)
                    prepared[key] = np.ascontiguousarray(normalise(x, how), dtype=np.float32)
            del images
        for name, *_ in VARIANTS:
            x = prepared[inputs[name]]
            with timer.stage(name):
                for b in range(0, len(x), args.batch_size):
                    probs[name][start + b:start + b + len(x[b:b + args.batch_size])] = \
                        models[name].predict(x[b:b + args.batch_size])
        del prepared
        with timer.stage("store"):
            rows = []
            for name, *_ in VARIANTS:
                p = probs[name][start:stop]
                predicted = p.argmax(axis=1)
                rows.extend((run, name, ids[start + i], labels[predicted[i]], json.dumps(p[i].tolist()))
                            for i in range(stop - start))
            with db:
                db.executemany("INSERT INTO prediction (run, variant, sample, predicted, probabilities) "
                               "VALUES (?, ?, ?, ?, ?)", rows)
    pool.shutdown()

    with timer.stage("metrics"):
        slices = slice_masks(frame)
        features = feature_columns(frame)
        y_true = np.array(labels, dtype=object)[truth]
        metric_rows, accuracy, slice_acc = {}, {}, {}
        for name, *_ in VARIANTS:
            y_pred = np.array(labels, dtype=object)[probs[name].argmax(axis=1)]
            metric_rows[name] = compute_metrics(features, slices, labels, y_true, y_pred)
            slice_acc[name] = {s: (v, lo, hi) for s, m, v, lo, hi, _, _ in metric_rows[name] if m == "accuracy"}
            accuracy[name] = slice_acc[name]["overall"][0]
    with timer.stage("store"):
        with db:
            db.executemany(
                "INSERT INTO metric (run, variant, slice, name, value, ci_low, ci_high, n, denominator, "
                "interval_method) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(run, name, s, m, v, lo, hi, count, den, "wilson" if lo is not None else None)
                 for name in metric_rows for s, m, v, lo, hi, count, den in metric_rows[name]])
            db.execute("UPDATE run SET finished_at = ? WHERE id = ?", (time.time(), run))
        db.close()

    with timer.stage("reports"):
        folder = os.path.join(args.out, "reports", "run-%d" % run)
        os.makedirs(folder, exist_ok=True)
        files = []
        for name, *_ in VARIANTS:
            predicted = probs[name].argmax(axis=1)
            matrix = np.zeros((len(labels), len(labels)), dtype=np.int64)
            np.add.at(matrix, (truth, predicted), 1)
            for kind, draw in (("confusion", lambda p: draw_confusion(plt, p, name, labels, matrix)),
                               ("failures", lambda p: draw_gallery(plt, p, name, frame, root, labels,
                                                                   truth, probs[name])),
                               ("reliability", lambda p: draw_reliability(plt, p, name, truth, probs[name]))):
                file = "%s-%s.png" % (kind, name)
                draw(os.path.join(folder, file))
                files.append(file)
        names = [s for s, *_ in slices]
        draw_slice_accuracy(plt, os.path.join(folder, "slice-accuracy.png"),
                            [v for v, *_ in VARIANTS], names, slice_acc)
        files.append("slice-accuracy.png")
        write_index(os.path.join(folder, "index.html"), run, [v for v, *_ in VARIANTS], accuracy, files)
        files.append("index.html")

    total = time.perf_counter() - STARTED
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    order = ["imports", "manifest", "models", "decode"] + [v for v, *_ in VARIANTS] + ["store", "metrics", "reports"]
    result = {
        "images": n,
        "split": args.split,
        "total_seconds": round(total, 3),
        "stages": {k: round(timer.seconds.get(k, 0.0), 3) for k in order},
        "peak_rss_mb": round(peak, 1),
        "accuracy": accuracy,
        "slices": len(slices),
        "metric_rows": sum(len(r) for r in metric_rows.values()),
        "prediction_rows": n * len(VARIANTS),
        "database": os.path.abspath(db_path),
        "run": run,
        "reports": os.path.abspath(folder),
        "files": files,
        "models": sources,
        "settings": {"batch_size": args.batch_size, "chunk_size": args.chunk_size,
                     "decode_workers": args.decode_workers},
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__,
                     "onnxruntime": onnxruntime.__version__, "pillow": PIL.__version__,
                     "matplotlib": matplotlib.__version__, "fairlearn": fairlearn.__version__,
                     "statsmodels": statsmodels.__version__, "pandas": pd.__version__},
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
