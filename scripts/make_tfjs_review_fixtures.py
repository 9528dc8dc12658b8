#!/usr/bin/env python3
"""Writes Tests/Fixtures/tfjs/review/: TF.js models found in review that Stratum got wrong.

Each case is a tiny Keras model built here (seeded weights), exported by the real tensorflowjs
converter the way the reviewer exported his (tf_keras -> .h5 -> `--input_format=keras`,
tf_keras -> SavedModel -> `--input_format=tf_saved_model`, or Keras 3 ->
`tensorflowjs.converters.save_keras_model`), then for two cases a hand edit of the shards or the
weights manifest. cases.json lists them:

  * "refused": Stratum must refuse the model at load (TFJSError; `stratum predict` exits 65) with an
    error containing every string of "messages" ("message" is the first of them):
      shared_conv, shared_conv_k3   a layer applied twice                  "a shared layer"
      softmax_axis1                 Softmax(axis=1) layer                  "Softmax over axis"
      two_outputs_layers / _graph   two 3-class outputs                    "outputs; a classifier needs one"
      grouped_conv                  Conv2D(groups=2)                       "grouped convolution"
      manifest_groups_shifted       group 0's shard +4 bytes, group 1's -4 "weightsManifest[", "hold"
      uint8_no_scale                uint8 conv kernel without scale/min    "needs a finite scale and min"
  * "agrees": Stratum's probabilities on "images" (PNGs at exactly the model's input size, so no
    resize) with `normalize: raw` (0-255 floats) must equal TensorFlow's within "tolerance":
      rescaling_list, rescaling_list_k3   Rescaling with per-channel scale/offset lists
      depthwise_k3                        Keras 3 DepthwiseConv2D (weight named `kernel`)
    The probabilities are the Keras model's own outputs in float32, written exactly.

A regeneration is byte-identical except two_outputs_graph/model.json, whose two signature outputs
the converter lists in either order (a protobuf map); the model is the same.

Environment (the reviewer's, /tmp/review/tfjs): Python 3.11.7, TensorFlow 2.21.0, tf_keras 2.21.0,
Keras 3.15.1 (TensorFlow backend), tensorflowjs 4.22.0, numpy 2.4.6, Pillow 13.0.0, h5py 3.14.0;
tensorflowjs imports jax, which is not installed: an empty shim package in /tmp/review/tfjs/shims
stands in (env.sh puts it on PYTHONPATH; this script imports Keras 3 before the shim is visible,
since Keras 3 probes jax.monitoring when jax imports). Regenerate and check with

    cd /tmp/review/tfjs && . ./env.sh && $PY /work/main/scripts/make_tfjs_review_fixtures.py \\
        --stratum /tmp/review/stratum-debug-new

Check existing fixtures against a binary without TensorFlow (any python3):

    python3 scripts/make_tfjs_review_fixtures.py --check-only --stratum PATH/TO/stratum
    python3 scripts/make_tfjs_review_fixtures.py --check-only --stratum OLD --before
        (--before: every case is expected to FAIL, i.e. the binary predates the fixes)
"""
import argparse
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "tfjs" / "review"
SHIMS = "/tmp/review/tfjs/shims"
LABELS = ["alpha", "beta", "gamma"]
TOLERANCE = 1e-5
REFUSED_EXIT = 65


# --------------------------------------------------------------------------------------------
# Generation (needs the TensorFlow environment above)
# --------------------------------------------------------------------------------------------

def import_frameworks():
    """TensorFlow, tf_keras and Keras 3 without the jax shim, then tensorflowjs with it."""
    import warnings
    warnings.filterwarnings("ignore")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    saved = list(sys.path)
    sys.path[:] = [p for p in sys.path if p.rstrip("/") != SHIMS]
    import numpy as np
    import tensorflow as tf
    import tf_keras
    import keras
    sys.path[:] = saved
    if SHIMS not in sys.path:
        sys.path.append(SHIMS)
    import tensorflowjs
    from tensorflowjs.converters import converter
    import h5py
    import PIL
    from PIL import Image
    versions = {"python": sys.version.split()[0], "tensorflow": tf.__version__, "tf_keras": tf_keras.__version__,
                "keras": keras.__version__, "keras_backend": keras.backend.backend(),
                "tensorflowjs": tensorflowjs.__version__, "numpy": np.__version__, "Pillow": PIL.__version__,
                "h5py": h5py.__version__}
    return np, tf, tf_keras, keras, tensorflowjs, converter, Image, versions


def generate():
    np, tf, tf_keras, keras, tensorflowjs, converter, Image, versions = import_frameworks()

    def randomize(model, seed, scale):
        """Seeded uniform weights; layer by layer, in the order Keras lists them."""
        rng = np.random.default_rng(seed)
        for layer in model.layers:
            values = [rng.uniform(-scale, scale, tuple(w.shape)).astype(np.float32) for w in layer.weights]
            if values:
                layer.set_weights(values)

    def quiet(fn, *a):
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return fn(*a)

    work = Path(tempfile.mkdtemp(prefix="tfjs_review_"))

    def export(folder, model, how, extra=()):
        out = OUT / folder
        shutil.rmtree(out, ignore_errors=True)
        if how == "layers":  # tf_keras -> h5 -> layers model
            h5 = work / (folder + ".h5")
            model.save(str(h5))
            quiet(converter.convert, list(extra) + ["--input_format=keras", "--output_format=tfjs_layers_model", str(h5), str(out)])
        elif how == "graph":  # tf_keras -> SavedModel -> graph model
            saved = work / ("sm_" + folder)
            quiet(tf.saved_model.save, model, str(saved))
            quiet(converter.convert, list(extra) + ["--input_format=tf_saved_model", "--output_format=tfjs_graph_model", str(saved), str(out)])
        elif how == "keras3":  # Keras 3 -> layers model
            quiet(tensorflowjs.converters.save_keras_model, model, str(out))
        else:
            raise ValueError(how)
        (out / "dict.txt").write_text("\n".join(LABELS) + "\n")
        return out

    def images(folder, size, seed, n=2):
        rng = np.random.default_rng(seed)
        paths, arrays = [], []
        for i in range(n):
            a = rng.integers(0, 256, size=(size, size, 3), dtype=np.uint8)
            rel = "%s/img%d.png" % (folder, i)
            Image.fromarray(a, "RGB").save(OUT / rel)
            paths.append(rel)
            arrays.append(a.astype(np.float32))
        return paths, np.stack(arrays)

    # ---- the models: tf_keras (legacy Keras 2) unless built with keras (Keras 3) ----
    def build(K, size, body, seed, scale=0.3):
        """A Keras model of `K` (tf_keras or keras): rescaling, `body(K.layers, x)`, then a 3-class
        softmax head unless `body` gives its own outputs (a list)."""
        K.backend.clear_session()
        KL = K.layers
        inp = K.Input((size, size, 3), name="image")
        x = KL.Rescaling(1 / 255.0, name="unit")(inp)
        y = body(KL, x)
        if not isinstance(y, list):
            y = KL.Dense(3, activation="softmax", name="probs")(KL.Flatten(name="flat")(y))
        m = K.Model(inp, y)
        randomize(m, seed, scale)
        return m

    def tfk(size, body, seed, scale=0.3):
        return build(tf_keras, size, body, seed, scale)

    def k3(size, body, seed, scale=0.3):
        return build(keras, size, body, seed, scale)

    def shared_conv(KL, x):
        conv = KL.Conv2D(4, 3, padding="same", name="shared")
        return KL.Concatenate(name="both")([conv(x), conv(KL.Rescaling(-1.0, offset=1.0, name="invert")(x))])

    def softmax_axis1(KL, x):
        return KL.Softmax(axis=1, name="softmax_rows")(KL.Conv2D(4, 3, padding="same", name="conv")(x))

    def two_outputs(KL, x):
        f = KL.Flatten(name="flat")(KL.Conv2D(4, 3, padding="same", name="conv")(x))
        return [KL.Dense(3, activation="softmax", name="main")(f), KL.Dense(3, activation="softmax", name="aux")(f)]

    def grouped(KL, x):
        return KL.Conv2D(4, 3, padding="same", groups=2, name="grouped")(KL.Conv2D(4, 1, name="expand")(x))

    def plain(KL, x):
        return KL.Conv2D(4, 3, padding="same", activation="relu", name="conv")(x)

    def rescaling_list(KL, x):
        y = KL.Conv2D(3, 3, padding="same", name="conv")(x)
        return KL.Rescaling([1.0, 2.0, 3.0], offset=[0.5, -0.5, 0.0], name="per_channel")(y)

    def depthwise(KL, x):
        return KL.DepthwiseConv2D(3, strides=2, depth_multiplier=2, padding="same", name="depthwise")(x)

    cases = []

    def refused(folder, model, how, messages, what, extra=(), edit=None):
        out = export(folder, model, how, extra)
        if edit:
            edit(out)
        cases.append({"folder": folder, "expect": "refused", "message": messages[0], "messages": messages,
                      "what": what, "export": how})

    def agrees(folder, model, how, size, seed, what):
        export(folder, model, how)
        paths, x = images(folder, size, seed)
        p = np.asarray(model(x, training=False), dtype=np.float32)
        assert p.shape == (len(paths), len(LABELS)), p.shape
        cases.append({"folder": folder, "expect": "agrees", "normalize": "raw", "tolerance": TOLERANCE,
                      "what": what, "export": how, "images": paths,
                      "probabilities": [[float(v) for v in row] for row in p]})

    refused("shared_conv", tfk(8, shared_conv, 1), "layers", ["a shared layer"],
            "tf_keras Conv2D applied to two tensors (a shared layer)")
    refused("shared_conv_k3", k3(8, shared_conv, 1), "keras3", ["a shared layer"],
            "Keras 3 Conv2D applied to two tensors (a shared layer)")
    refused("softmax_axis1", tfk(8, softmax_axis1, 2), "layers", ["Softmax over axis"],
            "Softmax(axis=1) layer on a 4-D tensor")
    two = tfk(8, two_outputs, 3)
    refused("two_outputs_layers", two, "layers", ["outputs; a classifier needs one"],
            "layers model with two 3-class softmax outputs")
    refused("two_outputs_graph", two, "graph", ["outputs; a classifier needs one"],
            "graph model whose signature has two 3-class softmax outputs")
    refused("grouped_conv", tfk(8, grouped, 4), "layers", ["grouped convolution"],
            "Conv2D with groups=2")

    def shift_groups(out):
        """Group 0's last shard gains 4 bytes (float 1.0), the last group's loses 4: same total."""
        mj = json.loads((out / "model.json").read_text())
        groups = mj["weightsManifest"]
        assert len(groups) >= 2, groups
        first, last = out / groups[0]["paths"][-1], out / groups[-1]["paths"][-1]
        with open(first, "ab") as f:
            f.write(b"\x00\x00\x80\x3f")
        data = last.read_bytes()
        last.write_bytes(data[:-4])

    refused("manifest_groups_shifted", tfk(8, plain, 5), "layers", ["weightsManifest[", "hold"],
            "--split_weights_by_layer export; group 0's shard +4 bytes, the last group's -4 (same total)",
            extra=["--split_weights_by_layer"], edit=shift_groups)

    def drop_scale(out):
        """The conv kernel's uint8 quantization entry loses its scale and min."""
        path = out / "model.json"
        mj = json.loads(path.read_text())
        for group in mj["weightsManifest"]:
            for w in group["weights"]:
                q = w.get("quantization")
                if q and q.get("dtype") == "uint8" and len(w["shape"]) == 4:
                    del q["scale"], q["min"]
                    path.write_text(json.dumps(mj))
                    return
        raise AssertionError("no uint8 4-D weight in the manifest")

    refused("uint8_no_scale", tfk(8, plain, 6), "layers", ["needs a finite scale and min"],
            "--quantize_uint8 export; the conv kernel's quantization has no scale/min",
            extra=["--quantize_uint8"], edit=drop_scale)

    agrees("rescaling_list", tfk(8, rescaling_list, 7), "layers", 8, 10,
           "tf_keras Rescaling(scale=[1,2,3], offset=[0.5,-0.5,0]) after a Conv2D")
    agrees("rescaling_list_k3", k3(8, rescaling_list, 8), "keras3", 8, 11,
           "Keras 3 Rescaling(scale=[1,2,3], offset=[0.5,-0.5,0]) after a Conv2D")
    agrees("depthwise_k3", k3(9, depthwise, 9), "keras3", 9, 12,
           "Keras 3 DepthwiseConv2D(3, strides=2, depth_multiplier=2, same) on 9x9; weight named 'kernel'")

    shutil.rmtree(work, ignore_errors=True)
    doc = {
        "generator": "scripts/make_tfjs_review_fixtures.py",
        "about": ("TF.js models from review that Stratum mishandled. 'refused': loading must throw a TFJSError "
                  "(`stratum predict` exits 65) whose message contains every string in 'messages'. 'agrees': "
                  "`stratum predict FOLDER IMAGES --normalize raw` must give TensorFlow's probabilities (the "
                  "Keras model's float32 outputs on the PNG's 0-255 values; images are at the input size, "
                  "so no resize) within 'tolerance' (absolute). Labels are in each folder's dict.txt. "
                  "Paths are relative to this folder."),
        "versions": versions,
        "labels": LABELS,
        "cases": cases,
    }
    (OUT / "cases.json").write_text(json.dumps(doc, indent=1) + "\n")
    print("wrote %d cases to %s" % (len(cases), OUT))


# --------------------------------------------------------------------------------------------
# Checking against a Stratum binary (plain python3)
# --------------------------------------------------------------------------------------------

def check(stratum, before=False):
    doc = json.loads((OUT / "cases.json").read_text())
    probe = next(c["images"][0] for c in doc["cases"] if c["expect"] == "agrees")
    rows, bad = [], 0
    for case in doc["cases"]:
        folder = str(OUT / case["folder"])
        imgs = [str(OUT / p) for p in case.get("images", [probe])]
        cmd = [stratum, "predict", folder] + imgs + ["--normalize", case.get("normalize", "raw"), "--format", "json"]
        p = subprocess.run(cmd, capture_output=True, text=True)
        err = (p.stderr.strip() or "").replace("\n", " ")
        short = err.split(case["folder"], 1)[-1].split(": ", 1)[-1]  # without "stratum: error: PATH: "
        if case["expect"] == "refused":
            found = [m for m in case["messages"] if m in err]
            ok = p.returncode == REFUSED_EXIT and len(found) == len(case["messages"])
            if p.returncode == 0:
                got = "accepted (exit 0)"
            else:
                got = "exit %d, %s" % (p.returncode, ("" if ok else "other error: ") + short[:70])
        else:
            if p.returncode != 0:
                ok, got = False, "exit %d, %s" % (p.returncode, short[:70])
            else:
                preds = json.loads(p.stdout)["predictions"]
                diff = max(abs(a - b) for pred, row in zip(preds, case["probabilities"])
                           for a, b in zip(pred["probabilities"], row))
                ok = len(preds) == len(case["probabilities"]) and diff <= case["tolerance"]
                got = "exit 0, max |diff| %.3g (tol %g)" % (diff, case["tolerance"])
        verdict = ("FAILS (as before the fix)" if not ok else "PASSES (unexpected)") if before else ("PASS" if ok else "FAIL")
        bad += (ok if before else not ok)
        rows.append((case["folder"], case["expect"], got, verdict))
    w = [max(len(r[i]) for r in rows + [("case", "expect", "result", "verdict")]) for i in range(4)]
    print("binary: %s" % stratum)
    for r in [("case", "expect", "result", "verdict")] + rows:
        print("  ".join(s.ljust(w[i]) for i, s in enumerate(r)))
    return bad


def folder_size():
    total = sum(f.stat().st_size for f in OUT.rglob("*") if f.is_file())
    print("%s: %d files, %d bytes (%.1f KB)" % (OUT, sum(1 for f in OUT.rglob("*") if f.is_file()), total, total / 1024))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--stratum", action="append", default=[], help="check the fixtures with this binary (repeatable)")
    ap.add_argument("--check-only", action="store_true", help="do not regenerate; only check")
    ap.add_argument("--before", action="store_true", help="expect every case to fail (a binary from before the fixes)")
    args = ap.parse_args()
    if not args.check_only:
        generate()
    folder_size()
    bad = 0
    for binary in args.stratum:
        bad += check(binary, args.before)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
