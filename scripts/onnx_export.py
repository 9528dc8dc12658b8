#!/usr/bin/env python3
"""Export Stratum's two TensorFlow.js face models to ONNX with tf2onnx, and
check the ONNX files against Tests/Fixtures/tfjs/reference.json.

What it writes (paths relative to the repository root):

  Experiments/models/small-cnn/model.onnx
      from the tfjs *layers model* beside it: model.json + shards are rebuilt
      into a tf_keras model by tensorflowjs' own Python loader
      (tensorflowjs.converters.keras_tfjs_loader.load_keras_model) and
      converted with tf2onnx.convert.from_keras. Input "image"
      [batch, 64, 64, 3] NHWC in [0, 1]; output "probs" [batch, 2].

  Experiments/models/automl-mobilenet/model.onnx
      from the tfjs *graph model* beside it, read directly by tf2onnx's tfjs
      front end (the equivalent of
      `python -m tf2onnx.convert --tfjs model.json --opset 17 --output ...`),
      which decodes the weight shards itself and expands the tfjs-only
      FusedDepthwiseConv2dNative and the grappler _FusedConv2D/_FusedMatMul
      nodes into plain ONNX Conv/Clip/Gemm. Input "image" [batch, 96, 96, 3]
      NHWC in [-1, 1]; output "predictions" [batch, 2].

Both keep TensorFlow's NHWC input layout (tf2onnx inserts one Transpose to
NCHW at the input), a dynamic batch dimension named "batch", and the
weights of the committed export (float32, unchanged; batch-norm is folded
into the convolutions by tf2onnx's optimiser). Labels and the input range
are written into each model's metadata_props.

Verification: onnxruntime (CPU) runs both files on the six images in
Tests/Fixtures/tfjs/images/, preprocessed exactly as reference.json's
"preprocessing" section says (PNG -> uint8 RGB, bilinear half-pixel resize
in float32, then x/255 or x/127.5-1). The preprocessed inputs are first
checked against the recorded checksums (input_first_values, input_sum), then
the probabilities against models.<name>.per_image[i].tfjs_export. Any
|difference| above 1e-4 (reference.json's tolerance) makes the script exit
with status 1. `--verify-only` checks the existing model.onnx files without
exporting.

Rerun from the repository root (about 15 s on 2 idle cores):

  python3 scripts/onnx_export.py [--verify-only] [--opset 17]

Packages: tensorflow 2.21 + tf_keras 2.21 + tensorflowjs 4.22 (as for
Experiments/training/train_tfjs_models.py; tensorflowjs is imported with
Experiments/training/shims on sys.path, which this script does itself), plus

  pip install tf2onnx==1.17.0 onnx onnxruntime

(used here: tf2onnx 1.17.0, onnx 1.23.2, onnxruntime 1.32.0, numpy 2.4,
protobuf 7.36). To keep the system site-packages untouched they can live in a
venv that still sees TensorFlow:

  python3 -m venv --system-site-packages /tmp/onnx-venv
  /tmp/onnx-venv/bin/pip install tf2onnx==1.17.0 onnx onnxruntime
  /tmp/onnx-venv/bin/python scripts/onnx_export.py

numpy 2 note: tf2onnx 1.17.0 still calls np.product (removed in numpy 2.0)
when it reads tfjs weights; this script aliases it to np.prod before
converting, so numpy does not need downgrading.

Rerunning with the same versions writes byte-identical files (tf2onnx's own
output varies from run to run in initializer order and generated constant
names; see canonicalise()).
"""

import argparse
import hashlib
import json
import os
import re
import sys
import tempfile

# Must be set before TensorFlow is imported (same as train_tfjs_models.py).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["TF_USE_LEGACY_KERAS"] = "1"      # tf.keras -> tf_keras (Keras 2)
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ["CUDA_VISIBLE_DEVICES"] = ""

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(REPO, "Experiments", "training", "shims"))

import numpy as np  # noqa: E402

if not hasattr(np, "product"):
    # tf2onnx 1.17.0's tfjs reader (tfjs_utils.read_tfjs_weight) uses
    # np.product, which numpy 2.0 removed.
    np.product = np.prod

import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
import tensorflow as tf  # noqa: E402
from bilinear import resize_bilinear  # noqa: E402
import tf2onnx  # noqa: E402
import tf2onnx.convert  # noqa: E402
import tensorflowjs  # noqa: E402
from tensorflowjs.converters import keras_tfjs_loader  # noqa: E402

MODELS_DIR = os.path.join(REPO, "Experiments", "models")
FIXTURES = os.path.join(REPO, "Tests", "Fixtures", "tfjs")
TOLERANCE = 1e-4
SIZE_LIMIT = 5 * 1024 * 1024

# name -> input side, normalisation, input range (for metadata)
MODELS = {
    "small-cnn": {"size": 64, "normalise": "unit", "range": "[0, 1]",
                  "source": "tfjs layers model"},
    "automl-mobilenet": {"size": 96, "normalise": "symmetric",
                         "range": "[-1, 1]", "source": "tfjs graph model"},
}


def rel(path):
    return os.path.relpath(path, REPO)


# --------------------------------------------------------------------------
# Preprocessing (reference.json "preprocessing")
# --------------------------------------------------------------------------

def decode_png(path):
    return tf.io.decode_png(tf.io.read_file(path), channels=3).numpy()


def preprocess(image, spec):
    x = resize_bilinear(image, spec["size"])
    if spec["normalise"] == "unit":
        x = x / np.float32(255.0)
    else:
        x = x / np.float32(127.5) - np.float32(1.0)
    return x.astype(np.float32)[None]


# --------------------------------------------------------------------------
# Conversion
# --------------------------------------------------------------------------

def convert_layers_model(model_dir, opset):
    """tfjs layers model -> tf_keras model (tensorflowjs loader) -> ONNX."""
    model = keras_tfjs_loader.load_keras_model(
        os.path.join(model_dir, "model.json"), use_unique_name_scope=False)
    shape = (None,) + tuple(model.inputs[0].shape[1:])
    spec = (tf.TensorSpec(shape, tf.float32, name=model.input_names[0]),)
    proto, _ = tf2onnx.convert.from_keras(model, input_signature=spec,
                                          opset=opset)
    route = ("tensorflowjs keras_tfjs_loader.load_keras_model + "
             "tf2onnx.convert.from_keras(opset=%d)" % opset)
    return proto, route


def convert_graph_model(model_dir, opset):
    """tfjs graph model -> ONNX with tf2onnx's own tfjs front end (its CLI
    entry point, run in-process so that the numpy 2 alias above applies)."""
    with tempfile.TemporaryDirectory(prefix="stratum-onnx-") as tmp:
        out = os.path.join(tmp, "model.onnx")
        argv = ["--tfjs", os.path.join(model_dir, "model.json"),
                "--opset", str(opset), "--output", out]
        saved = sys.argv
        sys.argv = ["tf2onnx.convert"] + argv
        try:
            tf2onnx.convert.main()
        finally:
            sys.argv = saved
        proto = onnx.load(out)
    route = "python -m tf2onnx.convert --tfjs model.json --opset %d" % opset
    return proto, route


def canonicalise(proto):
    """Make the file independent of tf2onnx's run-to-run ordering.

    tf2onnx's optimiser walks Python sets of node objects (ordered by memory
    address), so the order of the initializers, and which of several merged
    duplicate constants lends its generated name ("..._max__332"), change
    from run to run although the computation does not. Initializers are put
    in order of first use by the (deterministic) node list, and those with a
    generated name (containing "__<digits>") are renamed const_0, const_1, ...
    """
    graph = proto.graph
    inits = {t.name: t for t in graph.initializer}
    order = []
    for node in graph.node:
        for name in node.input:
            if name in inits and name not in order:
                order.append(name)
    order += [name for name in inits if name not in order]
    renamed, count = {}, 0
    for name in order:
        if re.search(r"__\d+", name):
            renamed[name] = "const_%d" % count
            count += 1
    taken = set(inits) - set(renamed)
    if taken & set(renamed.values()):
        raise SystemExit("canonicalise: generated name clashes with a weight")
    tensors = []
    for name in order:
        tensor = onnx.TensorProto()
        tensor.CopyFrom(inits[name])
        tensor.name = renamed.get(name, name)
        tensors.append(tensor)
    del graph.initializer[:]
    graph.initializer.extend(tensors)
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name in renamed:
                node.input[i] = renamed[name]
    return proto


def finish(proto, name, spec, route):
    """Canonicalise, name the batch dimension, record provenance, check."""
    proto = canonicalise(proto)
    for value in list(proto.graph.input) + list(proto.graph.output):
        dim = value.type.tensor_type.shape.dim[0]
        dim.Clear()
        dim.dim_param = "batch"
    proto.doc_string = ""
    proto.graph.doc_string = ""
    meta = {
        "source": "Experiments/models/%s (%s), exported by "
                  "scripts/onnx_export.py" % (name, spec["source"]),
        "conversion": route,
        "versions": "tensorflow %s, tensorflowjs %s, tf2onnx %s, onnx %s" % (
            tf.__version__, tensorflowjs.__version__, tf2onnx.__version__,
            onnx.__version__),
        "labels": ",".join(read_labels(name)),
        "input_layout": "NHWC float32, RGB, values in %s" % spec["range"],
    }
    del proto.metadata_props[:]
    for key, value in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(proto)
    return proto


def read_labels(name):
    with open(os.path.join(MODELS_DIR, name, "dict.txt")) as f:
        return [line.strip() for line in f if line.strip()]


def export(name, spec, opset):
    model_dir = os.path.join(MODELS_DIR, name)
    if spec["source"] == "tfjs layers model":
        proto, route = convert_layers_model(model_dir, opset)
    else:
        proto, route = convert_graph_model(model_dir, opset)
    proto = finish(proto, name, spec, route)
    path = os.path.join(model_dir, "model.onnx")
    data = proto.SerializeToString()
    with open(path, "wb") as f:
        f.write(data)
    print("wrote %s: %d bytes, sha256 %s\n  route: %s" % (
        rel(path), len(data), hashlib.sha256(data).hexdigest()[:16], route),
        flush=True)
    return path


# --------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------

def verify(name, spec, reference):
    path = os.path.join(MODELS_DIR, name, "model.onnx")
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(path, options,
                                   providers=["CPUExecutionProvider"])
    inp = session.get_inputs()[0]
    out = session.get_outputs()[0]
    ok, worst = True, 0.0
    print("%s: onnxruntime %s, input %s %s, output %s %s" % (
        name, ort.__version__, inp.name, inp.shape, out.name, out.shape))
    for entry in reference["models"][name]["per_image"]:
        x = preprocess(decode_png(os.path.join(FIXTURES, entry["file"])), spec)
        first = np.array(entry["input_first_values"], dtype=np.float32)
        total = float(np.sum(x, dtype=np.float64))
        if not np.array_equal(x.reshape(-1)[:first.size], first) or \
                abs(total - entry["input_sum"]) > 1e-6 * max(1.0, abs(total)):
            print("  %s: preprocessed input does not match reference.json "
                  "checksums" % entry["file"])
            ok = False
            continue
        got = session.run([out.name], {inp.name: x})[0][0]
        want = np.array(entry["tfjs_export"], dtype=np.float64)
        diff = float(np.max(np.abs(got.astype(np.float64) - want)))
        worst = max(worst, diff)
        flag = "ok" if diff <= TOLERANCE else "MISMATCH"
        print("  %-22s onnx %s  tfjs_export %s  max|diff| %.2e  %s" % (
            entry["file"], np.array2string(got, precision=7),
            np.array2string(want.astype(np.float32), precision=7), diff, flag))
        ok = ok and diff <= TOLERANCE
    size = os.path.getsize(path)
    print("  %s: max |diff| %.3e (tolerance %.0e), %d bytes%s" % (
        name, worst, TOLERANCE, size,
        "" if size < SIZE_LIMIT else "  (over the 5 MB commit limit)"))
    return ok and size < SIZE_LIMIT


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verify-only", action="store_true",
                        help="only check the existing model.onnx files")
    parser.add_argument("--opset", type=int, default=17)
    args = parser.parse_args()
    print("tensorflow %s, tensorflowjs %s, tf2onnx %s, onnx %s, onnxruntime "
          "%s, numpy %s" % (tf.__version__, tensorflowjs.__version__,
                            tf2onnx.__version__, onnx.__version__,
                            ort.__version__, np.__version__), flush=True)
    with open(os.path.join(FIXTURES, "reference.json")) as f:
        reference = json.load(f)
    if not args.verify_only:
        for name, spec in MODELS.items():
            export(name, spec, args.opset)
    results = {name: verify(name, spec, reference)
               for name, spec in MODELS.items()}
    if not all(results.values()):
        print("FAILED: " + ", ".join(n for n, ok in results.items() if not ok))
        return 1
    print("all ONNX exports match reference.json within %.0e" % TOLERANCE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
