#!/usr/bin/env python3
"""Train and export the TensorFlow.js models and fixtures Stratum tests against.

What it makes (paths relative to the repository root):

  Experiments/models/small-cnn/              tfjs *layers-model* (model.json +
                                             group1-shard*of*.bin + dict.txt):
                                             a small Keras CNN, 64x64x3 input
                                             in [0, 1], softmax over
                                             [female, male].
  Experiments/models/automl-mobilenet/       tfjs *graph-model* (converted from
                                             a SavedModel) of
                                             keras.applications.MobileNetV2(
                                             alpha=0.35, weights=None), 96x96x3,
                                             trained from scratch, input in
                                             [-1, 1] like AutoML Edge exports.
                                             It overfits this small data set
                                             (~0.66 test accuracy); see
                                             "Variants" below for a compact
                                             MobileNetV2 that reaches ~0.9.
  Experiments/models/automl-mobilenet-uint8/ the same graph model converted
                                             with --quantize_uint8.
  Tests/Fixtures/tfjs/images/                six test-split faces.
  Tests/Fixtures/tfjs/reference.json         TensorFlow outputs of the three
                                             models on those six faces, with
                                             the exact preprocessing and
                                             input checksums.
  Tests/Fixtures/tfjs/ops/<name>/            tiny graph-model / layers-model
                                             exports, one per group of ops,
                                             each with a cases.json of inputs,
                                             expected outputs and every
                                             intermediate tensor.

Everything is produced with TensorFlow 2.21 (tf_keras 2.21, i.e. Keras 2) and
the real tensorflowjs 4.22 converter (its CLI entry point,
tensorflowjs.converters.converter.convert, called in-process with the same
arguments as the `tensorflowjs_converter` command recorded in each output).

Install (CPU only, Python 3.11; see requirements.txt beside this file):

  pip install -r Experiments/training/requirements.txt
  pip install --no-deps tensorflowjs==4.22.0

tensorflowjs imports tensorflow_decision_forests at start-up, which does not
load under TensorFlow 2.21. This script puts Experiments/training/shims (an
empty module of that name) on sys.path before importing tensorflowjs.

Data: the synthetic faces data set (manifest.csv + images/*.png, 96x96 RGB).
`stratum run Experiments/faces.yaml` creates Experiments/data/faces; or make
one anywhere with

  stratum dataset generate faces --count 2000 --seed 7 --size 96 --out DIR

Rerun (about 10 minutes on 2 CPU cores; seeds are fixed and op determinism is
on, so a rerun on the same machine, versions and data gives the same files;
reference.json records a fingerprint of the data set used):

  python3 Experiments/training/train_tfjs_models.py [--data DIR]
  python3 Experiments/training/train_tfjs_models.py --ops-only     # fixtures only
  python3 Experiments/training/train_tfjs_models.py --models-only  # no fixtures
  python3 Experiments/training/train_tfjs_models.py --out-root /tmp/x  # elsewhere

Only the files the script writes are replaced (model.json, shards, dict.txt,
cases.json, the fixture PNGs); other files beside them are left alone.

Defaults: `--mobilenet-arch compact --mobilenet-aug full --mobilenet-epochs 25`
train a hand-built MobileNetV2 (same block structure, layer kinds and names,
so the same graph-model ops; ~54k parameters) with shift/gain augmentation,
which reaches about 0.9 test accuracy in about 8 minutes.

Reference semantics (what the Swift engine must reproduce) are written into
reference.json and every cases.json: "expected" outputs are always TensorFlow
running the *exported tfjs artifact* (layers model rebuilt by tensorflowjs'
Python loader from model.json + shards; graph model's modelTopology imported
into a tf.Graph with the Const nodes filled from the shards by
tensorflowjs.read_weights, which dequantises uint8/float16 weights exactly as
tfjs does). Outputs of the original Keras/SavedModel model are stored beside
them for the float models.
"""

import argparse
import csv
import hashlib
import json
import math
import os
import shutil
import sys
import tempfile
import time

# Must be set before TensorFlow is imported.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["TF_USE_LEGACY_KERAS"] = "1"      # tf.keras -> tf_keras (Keras 2)
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"    # plain Eigen kernels: reproducible
os.environ["CUDA_VISIBLE_DEVICES"] = ""

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(HERE, "shims"))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402
from google.protobuf import json_format  # noqa: E402
import tensorflowjs  # noqa: E402
from tensorflowjs import read_weights as tfjs_read_weights  # noqa: E402
from tensorflowjs.converters import converter as tfjs_converter  # noqa: E402
from tensorflowjs.converters import keras_tfjs_loader  # noqa: E402

layers = keras.layers

SEED = 7
LABELS = ["female", "male"]
CNN_SIZE = 64
MOBILENET_SIZE = 96
SHIM_PATH = "Experiments/training/shims"


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------

def log(*args):
    print("[%7.1fs]" % (time.time() - START), *args, flush=True)


START = time.time()


def set_seeds(seed=SEED):
    keras.utils.set_random_seed(seed)   # python, numpy and tf seeds


def f32list(a):
    """Exact float32 values as JSON numbers (float(np.float32) is exact)."""
    return [float(v) for v in np.asarray(a, dtype=np.float32).reshape(-1)]


def tensor_json(a):
    a = np.asarray(a)
    if a.dtype.kind == "f":
        return {"shape": list(a.shape), "dtype": "float32", "data": f32list(a)}
    return {"shape": list(a.shape), "dtype": str(a.dtype),
            "data": [int(v) for v in a.reshape(-1)]}


def dump_json(obj, path):
    """Pretty JSON with number lists kept on one line."""

    def enc(o, ind):
        pad = " " * ind
        if isinstance(o, dict):
            if not o:
                return "{}"
            items = [pad + "  " + json.dumps(str(k)) + ": " + enc(v, ind + 2)
                     for k, v in o.items()]
            return "{\n" + ",\n".join(items) + "\n" + pad + "}"
        if isinstance(o, (list, tuple)):
            if all(not isinstance(v, (dict, list, tuple)) for v in o):
                return "[" + ",".join(json.dumps(v) for v in o) + "]"
            items = [pad + "  " + enc(v, ind + 2) for v in o]
            return "[\n" + ",\n".join(items) + "\n" + pad + "]"
        if isinstance(o, (np.floating,)):
            return json.dumps(float(o))
        if isinstance(o, (np.integer,)):
            return json.dumps(int(o))
        return json.dumps(o)

    with open(path, "w") as f:
        f.write(enc(obj, 0) + "\n")


# Where outputs go: the repository root, or --out-root (to compare a rerun
# with the committed files without touching them).
OUT = REPO


def rel(path):
    return os.path.relpath(path, OUT)


GENERATED = ("model.json", "dict.txt", "cases.json")


def reset_dir(path, pattern=None):
    """Create path and delete only the files this script writes there
    (model.json, group*-shard*of*.bin, dict.txt, cases.json, or those ending
    in `pattern`), so files that other tools keep beside an export (e.g. a
    model.onnx) survive a rerun."""
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        full = os.path.join(path, name)
        if not os.path.isfile(full):
            continue
        ours = (name.endswith(pattern) if pattern else
                name in GENERATED or (name.startswith("group") and
                                      "-shard" in name and
                                      name.endswith(".bin")))
        if ours:
            os.remove(full)


def run_converter(args):
    """Run the tensorflowjs_converter CLI entry point in-process.

    Returns the equivalent shell command (recorded in the outputs).
    """
    tfjs_converter.convert(list(args))
    return "tensorflowjs_converter " + " ".join(
        a if not os.path.isabs(a) else ("<" + os.path.basename(a) + ">")
        for a in args)


def dir_size(path):
    return sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path))


# --------------------------------------------------------------------------
# Preprocessing, exactly as written into reference.json
# --------------------------------------------------------------------------

def decode_png(path):
    """PNG -> uint8 HxWx3 (RGB)."""
    data = tf.io.read_file(path)
    return tf.io.decode_png(data, channels=3).numpy()


def _interpolation(out_size, in_size, half_pixel_centers, align_corners):
    # TensorFlow's resize_bilinear_op.cc, computed in float32.
    if align_corners and out_size > 1:
        scale = np.float32(in_size - 1) / np.float32(out_size - 1)
    else:
        scale = np.float32(in_size) / np.float32(out_size)
    idx = np.arange(out_size, dtype=np.float32)
    if half_pixel_centers:
        src = (idx + np.float32(0.5)) * scale - np.float32(0.5)
    else:
        src = idx * scale
    src = src.astype(np.float32)
    src_floor = np.floor(src)
    lower = np.maximum(src_floor, 0).astype(np.int64)
    upper = np.minimum(np.ceil(src), in_size - 1).astype(np.int64)
    lerp = (src - src_floor).astype(np.float32)
    return lower, upper, lerp


def resize_bilinear(images, out_h, out_w, half_pixel_centers=True,
                    align_corners=False):
    """numpy twin of tf.image.resize(method='bilinear', antialias=False).

    images: N x H x W x C (any numeric dtype; converted to float32 first).
    top = tl + (tr - tl) * xl; bottom = bl + (br - bl) * xl;
    out = top + (bottom - top) * yl, all in float32.
    """
    x = np.asarray(images).astype(np.float32)
    _, in_h, in_w, _ = x.shape
    y0, y1, yl = _interpolation(out_h, in_h, half_pixel_centers, align_corners)
    x0, x1, xl = _interpolation(out_w, in_w, half_pixel_centers, align_corners)
    top_rows, bottom_rows = x[:, y0], x[:, y1]
    tl, tr = top_rows[:, :, x0], top_rows[:, :, x1]
    bl, br = bottom_rows[:, :, x0], bottom_rows[:, :, x1]
    xl = xl[None, None, :, None]
    yl = yl[None, :, None, None]
    top = tl + (tr - tl) * xl
    bottom = bl + (br - bl) * xl
    return (top + (bottom - top) * yl).astype(np.float32)


def preprocess_cnn(images_u8):
    x = resize_bilinear(images_u8, CNN_SIZE, CNN_SIZE)
    return (x / np.float32(255.0)).astype(np.float32)


def preprocess_mobilenet(images_u8):
    x = resize_bilinear(images_u8, MOBILENET_SIZE, MOBILENET_SIZE)
    return (x / np.float32(127.5) - np.float32(1.0)).astype(np.float32)


PREPROCESSING = {
    "decode": "PNG decoded to uint8 RGB (3 channels, alpha dropped), HxWx3, "
              "row-major, NHWC with batch 1.",
    "resize": "Bilinear, half-pixel centres, no antialiasing, on float32 of the "
              "uint8 values = tf.image.resize(float32(img), [S, S], "
              "method='bilinear', antialias=False) = ResizeBilinear("
              "half_pixel_centers=True, align_corners=False). For output index "
              "i: src = (i + 0.5) * (in/out) - 0.5 (float32); lo = max(floor(src), 0); "
              "hi = min(ceil(src), in-1); lerp = src - floor(src); "
              "top = tl + (tr - tl) * xlerp; bottom = bl + (br - bl) * xlerp; "
              "out = top + (bottom - top) * ylerp. 96->96 is the identity; "
              "96->64 gives lerps of exactly 0.25/0.75, so the resized values "
              "are exact in float32.",
    "normalise": {
        "small-cnn": "x / 255.0 (float32 division, not multiplication by 1/255)",
        "automl-mobilenet": "x / 127.5 - 1.0 (float32 division then subtraction)",
        "automl-mobilenet-uint8": "x / 127.5 - 1.0 (float32 division then subtraction)",
    },
    "checksums": "input_first_values are the first 12 float32 values of the "
                 "NHWC tensor in row-major order (pixel (0,0) RGB, (0,1) RGB, ...); "
                 "input_sum is the float64 sum of all values; input_sum_per_channel "
                 "likewise per RGB channel.",
}


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------

def load_faces(data_dir):
    manifest = os.path.join(data_dir, "manifest.csv")
    if not os.path.exists(manifest):
        sys.exit("no manifest.csv in %s (generate the data set first, see the "
                 "docstring)" % data_dir)
    with open(manifest) as f:
        rows = list(csv.DictReader(f))
    images = np.stack([decode_png(os.path.join(data_dir, r["path"]))
                       for r in rows])
    labels = np.array([LABELS.index(r["sex"]) for r in rows], dtype=np.int64)
    splits = np.array([r["split"] for r in rows])
    return rows, images, labels, splits


def check_resize_against_tf(images_u8):
    """The numpy resize must equal tf.image.resize on the real data."""
    worst = 0.0
    for size in (CNN_SIZE, MOBILENET_SIZE):
        ours = resize_bilinear(images_u8, size, size)
        theirs = tf.image.resize(tf.constant(images_u8.astype(np.float32)),
                                 [size, size], method="bilinear",
                                 antialias=False).numpy()
        worst = max(worst, float(np.max(np.abs(ours - theirs))))
    log("numpy resize vs tf.image.resize: max |diff| =", worst)
    if worst != 0.0:
        raise SystemExit("numpy bilinear resize does not match TensorFlow")
    return worst


# --------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------

def augment(x, rng, mode, lo, hi):
    """'flip': random horizontal flips. 'full': flips, a random shift of up
    to 6 px (edge padding) and a random gain/offset, clipped to [lo, hi]."""
    n = len(x)
    flip = rng.rand(n) < 0.5
    x = np.where(flip[:, None, None, None], x[:, :, ::-1, :], x)
    if mode == "flip":
        return x
    shift = 6
    padded = np.pad(x, ((0, 0), (shift, shift), (shift, shift), (0, 0)),
                    mode="edge")
    dy = rng.randint(0, 2 * shift + 1, n)
    dx = rng.randint(0, 2 * shift + 1, n)
    h, w = x.shape[1:3]
    out = np.empty_like(x)
    for i in range(n):
        out[i] = padded[i, dy[i]:dy[i] + h, dx[i]:dx[i] + w]
    gain = rng.uniform(0.8, 1.2, (n, 1, 1, 1)).astype(np.float32)
    offset = rng.uniform(-0.05, 0.05, (n, 1, 1, 1)).astype(np.float32) * (hi - lo)
    return np.clip(out * gain + offset, lo, hi).astype(np.float32)


def fit_augmented(model, x_train, y_train, x_val, y_val, epochs, batch_size,
                  seed, mode, lo, hi):
    """Train on freshly augmented data every epoch; keep the weights of the
    best validation accuracy. Deterministic (numpy RNG + TF op determinism)."""
    rng = np.random.RandomState(seed)
    best_acc, best_weights, history = -1.0, None, []
    for epoch in range(epochs):
        x_epoch = augment(x_train, rng, mode, lo, hi)
        order = rng.permutation(len(x_train))
        h = model.fit(x_epoch[order], y_train[order], batch_size=batch_size,
                      epochs=epoch + 1, initial_epoch=epoch, shuffle=False,
                      verbose=0)
        val_acc = accuracy(model.predict(x_val, batch_size=128, verbose=0),
                           y_val)
        history.append({"epoch": epoch + 1,
                        "loss": float(h.history["loss"][-1]),
                        "val_accuracy": val_acc})
        log("  epoch %2d loss %.4f val_acc %.4f" % (
            epoch + 1, h.history["loss"][-1], val_acc))
        if val_acc > best_acc:
            best_acc, best_weights = val_acc, model.get_weights()
    model.set_weights(best_weights)
    return history, best_acc


def accuracy(probs, labels):
    return float(np.mean(np.argmax(probs, axis=-1) == labels))


def build_small_cnn():
    keras.backend.clear_session()
    set_seeds(SEED)
    inp = keras.Input((CNN_SIZE, CNN_SIZE, 3), name="image")
    x = layers.Conv2D(16, 5, strides=2, padding="same", use_bias=False,
                      name="conv1")(inp)                        # 32x32
    x = layers.BatchNormalization(name="conv1_bn")(x)
    x = layers.ReLU(name="conv1_relu")(x)
    x = layers.Conv2D(32, 3, padding="valid", name="conv2")(x)  # 30x30
    x = layers.BatchNormalization(name="conv2_bn")(x)
    x = layers.Activation("relu", name="conv2_relu")(x)
    x = layers.MaxPooling2D(2, name="pool2")(x)                  # 15x15
    x = layers.DepthwiseConv2D(3, padding="same", name="dw3")(x)
    x = layers.BatchNormalization(name="dw3_bn")(x)
    x = layers.ReLU(max_value=6.0, name="dw3_relu6")(x)
    x = layers.SeparableConv2D(48, 3, padding="same", activation="relu",
                               name="sep4")(x)
    x = layers.MaxPooling2D(2, padding="same", name="pool4")(x)  # 8x8
    x = layers.Conv2D(64, 3, padding="same", activation="relu",
                      name="conv5")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(0.3, name="dropout")(x)
    out = layers.Dense(2, activation="softmax", name="probs")(x)
    model = keras.Model(inp, out, name="small_cnn")
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _inverted_residual(x, expansion, stride, filters, block_id):
    """One MobileNetV2 block, written like keras.applications.mobilenet_v2
    (same layer kinds and names): 1x1 expand + BN + ReLU6, ZeroPadding2D +
    VALID depthwise for stride 2 (SAME for stride 1) + BN + ReLU6, linear 1x1
    projection + BN, residual Add when shapes allow."""
    in_channels = x.shape[-1]
    block_input = x
    prefix = "block_%d_" % block_id if block_id else "expanded_conv_"
    if block_id:
        x = layers.Conv2D(expansion * in_channels, 1, padding="same",
                          use_bias=False, name=prefix + "expand")(x)
        x = layers.BatchNormalization(epsilon=1e-3, momentum=0.9,
                                      name=prefix + "expand_BN")(x)
        x = layers.ReLU(6.0, name=prefix + "expand_relu")(x)
    if stride == 2:
        # keras' correct_pad for even sizes: one extra row/column at the end.
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=prefix + "pad")(x)
    x = layers.DepthwiseConv2D(3, strides=stride, use_bias=False,
                               padding="same" if stride == 1 else "valid",
                               name=prefix + "depthwise")(x)
    x = layers.BatchNormalization(epsilon=1e-3, momentum=0.9,
                                  name=prefix + "depthwise_BN")(x)
    x = layers.ReLU(6.0, name=prefix + "depthwise_relu")(x)
    x = layers.Conv2D(filters, 1, padding="same", use_bias=False,
                      name=prefix + "project")(x)
    x = layers.BatchNormalization(epsilon=1e-3, momentum=0.9,
                                  name=prefix + "project_BN")(x)
    if in_channels == filters and stride == 1:
        x = layers.Add(name=prefix + "add")([block_input, x])
    return x


def build_mobilenet(arch, epochs_total, steps_per_epoch):
    """arch 'compact' (default): a hand-built MobileNetV2 (stem conv, 7
    inverted-residual blocks of widths 8-32 with expansion 6, 1x1 Conv_1 to
    128, global average pooling, dropout, dense softmax; ~54k parameters).
    arch 'keras': keras.applications.MobileNetV2(alpha=0.35, weights=None).
    Both give the same graph-model op set; from scratch on ~1.4k faces the
    full-size keras net overfits (about 0.66-0.70 test accuracy in 20-22
    epochs) while the compact one reaches about 0.85."""
    keras.backend.clear_session()
    set_seeds(SEED)
    inp = keras.Input((MOBILENET_SIZE, MOBILENET_SIZE, 3), name="image")
    if arch == "keras":
        model = keras.applications.MobileNetV2(
            alpha=0.35, input_tensor=inp, weights=None, classes=2,
            classifier_activation="softmax")
        # Keras' MobileNetV2 uses BN momentum 0.999, too slow for ~1k steps
        # from scratch; 0.9 makes the moving statistics track the data.
        for layer in model.layers:
            if isinstance(layer, layers.BatchNormalization):
                layer.momentum = 0.9
    else:
        width = 16
        x = layers.Conv2D(width, 3, strides=2, padding="same", use_bias=False,
                          name="Conv1")(inp)                       # 48x48
        x = layers.BatchNormalization(epsilon=1e-3, momentum=0.9,
                                      name="bn_Conv1")(x)
        x = layers.ReLU(6.0, name="Conv1_relu")(x)
        blocks = [(1, 1, width // 2), (6, 2, width), (6, 1, width),  # 24x24
                  (6, 2, width * 3 // 2), (6, 1, width * 3 // 2),    # 12x12
                  (6, 2, width * 2), (6, 1, width * 2)]              # 6x6
        for block_id, (expansion, stride, filters) in enumerate(blocks):
            x = _inverted_residual(x, expansion, stride, filters, block_id)
        x = layers.Conv2D(width * 8, 1, use_bias=False, name="Conv_1")(x)
        x = layers.BatchNormalization(epsilon=1e-3, momentum=0.9,
                                      name="Conv_1_bn")(x)
        x = layers.ReLU(6.0, name="out_relu")(x)
        x = layers.GlobalAveragePooling2D(name="global_average_pooling2d")(x)
        x = layers.Dropout(0.3, name="dropout")(x)
        out = layers.Dense(2, activation="softmax", name="predictions")(x)
        model = keras.Model(inp, out, name="mobilenetv2_compact_96")
    schedule = keras.optimizers.schedules.CosineDecay(
        2e-3, decay_steps=epochs_total * steps_per_epoch, alpha=0.05)
    model.compile(optimizer=keras.optimizers.Adam(schedule),
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


# --------------------------------------------------------------------------
# Running exported artifacts with TensorFlow
# --------------------------------------------------------------------------

def read_tfjs_weights(model_dir, manifest):
    """name -> numpy array, dequantised by tensorflowjs.read_weights
    (uint8/uint16: float32(q * scale + min) computed in float64, like
    tfjs-core's decodeWeights; float16: widened to float32)."""
    entries = tfjs_read_weights.read_weights(manifest, model_dir, flatten=True)
    return {e["name"]: np.asarray(e["data"]) for e in entries}


FUSED_ACTIVATIONS = {"Relu": "Relu", "Relu6": "Relu6", "Elu": "Elu",
                     "Sigmoid": "Sigmoid", "Tanh": "Tanh",
                     "LeakyRelu": "LeakyRelu"}


class TfjsGraphModel:
    """Executes a tfjs graph model's modelTopology with TensorFlow kernels.

    model.json's modelTopology is a GraphDef in protobuf-JSON form whose Const
    nodes carry dtype and shape but no values; the values live in the weight
    shards under the same name. Only FusedDepthwiseConv2dNative is a
    tfjs-only op (made by tensorflowjs' fuse_depthwise_conv2d pass); it is
    expanded back into DepthwiseConv2dNative + BiasAdd + activation. The
    remaining ops (_FusedConv2D, _FusedMatMul, ...) are real TF CPU kernels.
    """

    def __init__(self, model_dir):
        with open(os.path.join(model_dir, "model.json")) as f:
            self.model_json = json.load(f)
        self.weights = read_tfjs_weights(model_dir,
                                         self.model_json["weightsManifest"])
        topology = self.model_json["modelTopology"]
        graph_def = json_format.ParseDict(topology, tf.compat.v1.GraphDef())
        out = tf.compat.v1.GraphDef()
        out.versions.CopyFrom(graph_def.versions)
        out.library.CopyFrom(graph_def.library)
        self.node_names = []
        for node in graph_def.node:
            node.device = ""
            if node.op == "Const" and node.name in self.weights:
                node.attr["value"].tensor.CopyFrom(
                    tf.make_tensor_proto(self.weights[node.name]))
            if node.op not in ("Const", "Placeholder"):
                self.node_names.append(node.name)
            if node.op == "FusedDepthwiseConv2dNative":
                self._expand_fused_depthwise(node, out)
            else:
                out.node.add().CopyFrom(node)
        self.graph = tf.Graph()
        with self.graph.as_default():
            tf.import_graph_def(out, name="")
        self.session = tf.compat.v1.Session(graph=self.graph)
        sig = self.model_json["signature"]
        self.inputs = {k: v["name"] for k, v in sig["inputs"].items()}
        self.outputs = {k: v["name"] for k, v in sig["outputs"].items()}

    @staticmethod
    def _expand_fused_depthwise(node, out):
        fused = [s.decode() for s in node.attr["fused_ops"].list.s]
        dw = out.node.add()
        dw.CopyFrom(node)
        dw.op = "DepthwiseConv2dNative"
        dw.name = node.name + "/_tf_depthwise"
        del dw.input[2:]
        for key in ("fused_ops", "num_args"):
            if key in dw.attr:
                del dw.attr[key]
        current, extra = dw.name, list(node.input[2:])
        for i, op in enumerate(fused):
            n = out.node.add()
            n.name = node.name if i == len(fused) - 1 else (
                node.name + "/_tf_fused_%d" % i)
            n.attr["T"].CopyFrom(node.attr["T"])
            n.input.append(current)
            if op == "BiasAdd":
                n.op = "BiasAdd"
                n.input.append(extra.pop(0))
                n.attr["data_format"].CopyFrom(node.attr["data_format"])
            elif op in FUSED_ACTIVATIONS:
                n.op = FUSED_ACTIVATIONS[op]
            else:
                raise NotImplementedError("fused op %s in %s" % (op, node.name))
            current = n.name

    def run(self, feeds, fetch_intermediates=False):
        """feeds: signature input key -> array. Returns (outputs by signature
        output key, intermediates by node name)."""
        feed = {self.inputs[k]: v for k, v in feeds.items()}
        keys = list(self.outputs)
        fetches = [self.outputs[k] for k in keys]
        names = self.node_names if fetch_intermediates else []
        values = self.session.run(fetches + [n + ":0" for n in names], feed)
        outs = dict(zip(keys, values[:len(keys)]))
        inter = dict(zip(names, values[len(keys):]))
        return outs, inter


def saved_model_outputs(saved_dir, feeds, tfjs_outputs):
    """Run the original SavedModel's serving signature and key its outputs
    like the tfjs signature. The converter keeps a signature key only when it
    can match the output by dtype+shape uniquely; otherwise the key is the
    frozen tensor name "Identity_k:0", and Identity_k is the k-th output in
    the sorted order of the signature's keys."""
    fn = tf.saved_model.load(saved_dir).signatures["serving_default"]
    result = fn(**{k: tf.constant(v) for k, v in feeds.items()})
    keys = sorted(result)
    mapped, names = {}, {}
    for key, tensor in tfjs_outputs.items():
        if key in result:
            original = key
        else:
            node = tensor.split(":")[0]
            k = 0 if node == "Identity" else int(node.split("_")[-1])
            original = keys[k]
        mapped[key] = result[original].numpy()
        names[key] = original
    return mapped, names


def load_tfjs_layers_model(model_dir):
    return keras_tfjs_loader.load_keras_model(
        os.path.join(model_dir, "model.json"), use_unique_name_scope=False)


def layer_outputs(model, inputs):
    """Every non-input layer's output (first output) for the given inputs."""
    named = [l for l in model.layers
             if not isinstance(l, layers.InputLayer)]
    probe = keras.Model(model.inputs, [l.output for l in named])
    vals = probe.predict(inputs, verbose=0)
    if not isinstance(vals, list):
        vals = [vals]
    return {l.name: v for l, v in zip(named, vals)}


# --------------------------------------------------------------------------
# Describing exports (for the report and the fixtures)
# --------------------------------------------------------------------------

def graph_ops(model_json):
    ops = {}
    for node in model_json["modelTopology"]["node"]:
        keys = ops.setdefault(node["op"], set())
        keys.update(node.get("attr", {}).keys())
    return {op: sorted(keys) for op, keys in sorted(ops.items())}


def layer_classes(model_json):
    topo = model_json["modelTopology"]
    config = topo["model_config"]["config"]
    return sorted({l["class_name"] for l in config["layers"]})


def describe_manifest(model_json):
    groups = []
    for g in model_json["weightsManifest"]:
        quant = sorted({json.dumps(w.get("quantization", {}).get("dtype"))
                        for w in g["weights"]})
        groups.append({"paths": g["paths"], "weights": len(g["weights"]),
                       "quantization_dtypes": quant})
    return groups


def straddling_tensors(model_dir, model_json):
    """Names of tensors whose bytes span more than one shard file."""
    result = []
    for g in model_json["weightsManifest"]:
        sizes = [os.path.getsize(os.path.join(model_dir, p)) for p in g["paths"]]
        bounds = np.cumsum([0] + sizes)
        offset = 0
        for w in g["weights"]:
            dtype = w.get("quantization", {}).get("dtype", w["dtype"])
            itemsize = {"float32": 4, "int32": 4, "float16": 2, "uint8": 1,
                        "uint16": 2, "bool": 1}[dtype]
            n = itemsize * int(np.prod(w["shape"]))
            first = np.searchsorted(bounds, offset, side="right")
            last = np.searchsorted(bounds, offset + max(n, 1) - 1, side="right")
            if n and first != last:
                result.append(w["name"])
            offset += n
    return result


# --------------------------------------------------------------------------
# The three face models
# --------------------------------------------------------------------------

def pick_fixture_images(rows):
    wanted = [("female", "adult"), ("male", "adult"), ("female", "child"),
              ("male", "child"), ("female", "senior"), ("male", "teen")]
    picks = []
    for sex, group in wanted:
        for i, r in enumerate(rows):
            if r["split"] == "test" and r["sex"] == sex and \
                    r["age_group"] == group and i not in picks:
                picks.append(i)
                break
    return picks


def input_summary(x):
    x = np.asarray(x, dtype=np.float32)
    return {
        "input_shape": list(x.shape),
        "input_first_values": f32list(x.reshape(-1)[:12]),
        "input_sum": float(np.sum(x, dtype=np.float64)),
        "input_sum_per_channel": [float(np.sum(x[..., c], dtype=np.float64))
                                  for c in range(x.shape[-1])],
        "input_min": float(x.min()),
        "input_max": float(x.max()),
    }


def tensor_summary(a):
    a = np.asarray(a, dtype=np.float32)
    return {"shape": list(a.shape), "sum": float(np.sum(a, dtype=np.float64)),
            "first_values": f32list(a.reshape(-1)[:6])}


def write_dict(model_dir):
    with open(os.path.join(model_dir, "dict.txt"), "w") as f:
        f.write("\n".join(LABELS) + "\n")


def train_models(args, work):
    rows, images, labels, splits = load_faces(args.data)
    log("loaded %d faces from %s" % (len(rows), args.data))
    check_resize_against_tf(images[:200])
    tr, va, te = (splits == "train"), (splits == "val"), (splits == "test")
    digest = hashlib.sha256()
    for r in rows:
        with open(os.path.join(args.data, r["path"]), "rb") as f:
            digest.update(f.read())
    with open(os.path.join(args.data, "manifest.csv"), "rb") as f:
        manifest_sha = hashlib.sha256(f.read()).hexdigest()
    results = {"data": {"count": len(rows),
                        "manifest_sha256": manifest_sha,
                        "images_sha256": digest.hexdigest(),
                        "train": int(tr.sum()), "val": int(va.sum()),
                        "test": int(te.sum()),
                        "test_female": int(np.sum(labels[te] == 0)),
                        "test_male": int(np.sum(labels[te] == 1))}}
    models_root = os.path.join(OUT, "Experiments", "models")

    # ---- small CNN -> layers model --------------------------------------
    x_cnn = preprocess_cnn(images)
    cnn = build_small_cnn()
    log("training small-cnn (%d params)" % cnn.count_params())
    hist, best_val = fit_augmented(cnn, x_cnn[tr], labels[tr], x_cnn[va],
                                   labels[va], args.cnn_epochs, 32, SEED,
                                   "flip", 0.0, 1.0)
    cnn_test = accuracy(cnn.predict(x_cnn[te], verbose=0), labels[te])
    log("small-cnn test accuracy %.4f (best val %.4f)" % (cnn_test, best_val))
    h5 = os.path.join(work, "small_cnn.h5")
    cnn.save(h5)
    cnn_dir = os.path.join(models_root, "small-cnn")
    reset_dir(cnn_dir)
    cnn_cmd = run_converter(["--input_format=keras",
                             "--output_format=tfjs_layers_model",
                             "--weight_shard_size_bytes=%d" % (4096 * 16),
                             h5, cnn_dir])
    write_dict(cnn_dir)

    # ---- MobileNetV2 -> SavedModel -> graph models ----------------------
    x_mn = preprocess_mobilenet(images)
    steps = int(math.ceil(tr.sum() / 32))
    mn = build_mobilenet(args.mobilenet_arch, args.mobilenet_epochs, steps)
    log("training automl-mobilenet (%d params)" % mn.count_params())
    mn_hist, mn_best_val = fit_augmented(mn, x_mn[tr], labels[tr], x_mn[va],
                                         labels[va], args.mobilenet_epochs,
                                         32, SEED, args.mobilenet_aug,
                                         -1.0, 1.0)
    mn_test = accuracy(mn.predict(x_mn[te], verbose=0), labels[te])
    log("automl-mobilenet test accuracy %.4f (best val %.4f)" % (
        mn_test, mn_best_val))
    saved = os.path.join(work, "mobilenet_savedmodel")
    tf.saved_model.save(mn, saved)
    mn_dir = os.path.join(models_root, "automl-mobilenet")
    reset_dir(mn_dir)
    mn_cmd = run_converter(["--input_format=tf_saved_model",
                            "--output_format=tfjs_graph_model",
                            saved, mn_dir])
    write_dict(mn_dir)
    q_dir = os.path.join(models_root, "automl-mobilenet-uint8")
    reset_dir(q_dir)
    # --quantize_uint8 takes an optional value (weight-name patterns): keep it
    # away from the positional paths or it swallows the input path.
    q_cmd = run_converter(["--quantize_uint8",
                           "--input_format=tf_saved_model",
                           "--output_format=tfjs_graph_model",
                           saved, q_dir])
    write_dict(q_dir)

    # ---- exports run by TensorFlow on the whole test split --------------
    cnn_js = load_tfjs_layers_model(cnn_dir)
    cnn_js_test = accuracy(cnn_js.predict(x_cnn[te], verbose=0), labels[te])
    mn_js = TfjsGraphModel(mn_dir)
    q_js = TfjsGraphModel(q_dir)
    mn_js_probs = mn_js.run({"image": x_mn[te]})[0]["predictions"]
    q_js_probs = q_js.run({"image": x_mn[te]})[0]["predictions"]
    mn_js_test = accuracy(mn_js_probs, labels[te])
    q_js_test = accuracy(q_js_probs, labels[te])
    q_agree = float(np.mean(np.argmax(q_js_probs, -1) ==
                            np.argmax(mn_js_probs, -1)))
    log("exports: small-cnn %.4f, mobilenet %.4f, uint8 %.4f (agrees with "
        "float on %.4f)" % (cnn_js_test, mn_js_test, q_js_test, q_agree))

    # ---- fixture images and reference.json ------------------------------
    fixtures = os.path.join(OUT, "Tests", "Fixtures", "tfjs")
    img_dir = os.path.join(fixtures, "images")
    reset_dir(img_dir, pattern=".png")
    picks = pick_fixture_images(rows)
    image_entries = []
    for i in picks:
        r = rows[i]
        name = os.path.basename(r["path"])
        shutil.copyfile(os.path.join(args.data, r["path"]),
                        os.path.join(img_dir, name))
        with open(os.path.join(img_dir, name), "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        image_entries.append({"file": "images/" + name, "sha256": digest,
                              **{k: r[k] for k in ("id", "sex", "age",
                                                   "age_group", "hair_length",
                                                   "skin_tone", "glasses",
                                                   "facial_hair", "split")}})
    # Decode the *copied* files, as the Swift tests will.
    fix_u8 = np.stack([decode_png(os.path.join(fixtures, e["file"]))
                       for e in image_entries])
    fx_cnn = preprocess_cnn(fix_u8)
    fx_mn = preprocess_mobilenet(fix_u8)

    def per_image(x, outputs_by_source):
        items = []
        for k, e in enumerate(image_entries):
            item = {"file": e["file"], **input_summary(x[k:k + 1])}
            for src, probs in outputs_by_source.items():
                item[src] = f32list(probs[k])
            items.append(item)
        return items

    cnn_js_fx = cnn_js.predict(fx_cnn, verbose=0)
    cnn_orig_fx = cnn.predict(fx_cnn, verbose=0)
    cnn_layers_fx = layer_outputs(cnn_js, fx_cnn[:1])
    mn_js_fx, mn_nodes = mn_js.run({"image": fx_mn}, fetch_intermediates=True)
    mn_orig_fx = mn.predict(fx_mn, verbose=0)
    q_js_fx, q_nodes = q_js.run({"image": fx_mn}, fetch_intermediates=True)

    def maxdiff(a, b):
        return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))

    with open(os.path.join(cnn_dir, "model.json")) as f:
        cnn_json = json.load(f)
    reference = {
        "about": "TensorFlow outputs of the three face models on the six "
                 "images in images/. Made by Experiments/training/"
                 "train_tfjs_models.py (TensorFlow %s, tf_keras %s, "
                 "tensorflowjs %s). 'expected' names the output to test "
                 "against; probabilities are softmax outputs in label order, "
                 "written as the exact float32 values." % (
                     tf.__version__, keras.__version__, tensorflowjs.__version__),
        "labels": LABELS,
        "preprocessing": PREPROCESSING,
        "training_data": dict(results["data"], note=(
            "images_sha256 hashes every PNG of the data set in manifest "
            "order; a rerun reproduces these models only on the same data")),
        "images": image_entries,
        "models": {
            "small-cnn": {
                "path": "Experiments/models/small-cnn",
                "format": "layers-model",
                "converter": cnn_cmd,
                "input": {"name": "image", "size": [CNN_SIZE, CNN_SIZE],
                          "normalise": PREPROCESSING["normalise"]["small-cnn"]},
                "layer_classes": layer_classes(cnn_json),
                "test_accuracy": {"keras": cnn_test, "tfjs_export": cnn_js_test},
                "expected": "tfjs_export",
                "sources": {
                    "tfjs_export": "model.json + shards loaded back with "
                                   "tensorflowjs.converters.keras_tfjs_loader "
                                   "(tf_keras) and run with model.predict.",
                    "keras_original": "the trained tf_keras model before "
                                      "export.",
                },
                "max_abs_diff_export_vs_original": maxdiff(cnn_js_fx,
                                                           cnn_orig_fx),
                "per_image": per_image(fx_cnn, {"tfjs_export": cnn_js_fx,
                                                "keras_original": cnn_orig_fx}),
                "layer_summaries_first_image": {
                    k: tensor_summary(v) for k, v in cnn_layers_fx.items()},
                "training": {"epochs": args.cnn_epochs, "history": hist,
                             "best_val_accuracy": best_val},
            },
            "automl-mobilenet": {
                "path": "Experiments/models/automl-mobilenet",
                "format": "graph-model",
                "converter": mn_cmd,
                "input": {"name": "image", "tensor": mn_js.inputs["image"],
                          "size": [MOBILENET_SIZE, MOBILENET_SIZE],
                          "normalise": PREPROCESSING["normalise"]["automl-mobilenet"]},
                "output": {"name": "predictions",
                           "tensor": mn_js.outputs["predictions"]},
                "test_accuracy": {"keras": mn_test, "tfjs_export": mn_js_test},
                "expected": "tfjs_export",
                "sources": {
                    "tfjs_export": "model.json's modelTopology imported into "
                                   "a tf.Graph, Const nodes filled from the "
                                   "shards via tensorflowjs.read_weights, "
                                   "FusedDepthwiseConv2dNative expanded to "
                                   "DepthwiseConv2dNative+BiasAdd+Relu6, run "
                                   "in a tf.compat.v1.Session.",
                    "keras_original": "the trained tf_keras MobileNetV2 "
                                      "(same weights as the SavedModel that "
                                      "was converted).",
                },
                "max_abs_diff_export_vs_original": maxdiff(
                    mn_js_fx["predictions"], mn_orig_fx),
                "per_image": per_image(fx_mn, {
                    "tfjs_export": mn_js_fx["predictions"],
                    "keras_original": mn_orig_fx}),
                "node_summaries_first_image": {
                    k: tensor_summary(v[:1]) for k, v in mn_nodes.items()},
                "training": {"epochs": args.mobilenet_epochs,
                             "history": mn_hist,
                             "best_val_accuracy": mn_best_val,
                             "architecture": args.mobilenet_arch,
                             "augmentation": args.mobilenet_aug,
                             "notes": "from scratch (no pretrained weights), "
                                      "BN momentum 0.9, Adam 2e-3 cosine "
                                      "decay, batch 32; augmentation 'flip' = "
                                      "random horizontal flips, 'full' = "
                                      "flips + shifts of up to 6 px + "
                                      "gain/offset jitter; weights of the "
                                      "best validation epoch. "
                                      "'compact' = hand-built MobileNetV2 "
                                      "(see build_mobilenet); 'keras' = "
                                      "keras.applications.MobileNetV2("
                                      "alpha=0.35, weights=None)."},
            },
            "automl-mobilenet-uint8": {
                "path": "Experiments/models/automl-mobilenet-uint8",
                "format": "graph-model",
                "converter": q_cmd,
                "input": {"name": "image", "tensor": q_js.inputs["image"],
                          "size": [MOBILENET_SIZE, MOBILENET_SIZE],
                          "normalise": PREPROCESSING["normalise"]["automl-mobilenet-uint8"]},
                "output": {"name": "predictions",
                           "tensor": q_js.outputs["predictions"]},
                "test_accuracy": {"tfjs_export_dequantised": q_js_test,
                                  "argmax_agreement_with_float_export": q_agree},
                "expected": "tfjs_export_dequantised",
                "sources": {
                    "tfjs_export_dequantised":
                        "TensorFlow running this model.json's graph in float32 "
                        "with every weight DEQUANTISED the way tfjs-core does "
                        "(tensorflowjs.read_weights: float32(q * scale + min), "
                        "the product and sum in float64 with scale/min as "
                        "written in the manifest; int32 tensors such as Pad "
                        "paddings are not quantised). Same graph runner as "
                        "automl-mobilenet.",
                    "float_model": "automl-mobilenet's tfjs_export output, for "
                                   "scale only (NOT what this model should "
                                   "produce).",
                },
                "max_abs_diff_vs_float_model": maxdiff(
                    q_js_fx["predictions"], mn_js_fx["predictions"]),
                "per_image": per_image(fx_mn, {
                    "tfjs_export_dequantised": q_js_fx["predictions"],
                    "float_model": mn_js_fx["predictions"]}),
                "node_summaries_first_image": {
                    k: tensor_summary(v[:1]) for k, v in q_nodes.items()},
            },
        },
        "tolerance_hint": "Float models: |diff| <= 1e-4 on probabilities "
                          "(TF vs TF differs ~1e-6). uint8 model: compare with "
                          "tfjs_export_dequantised at the same tolerance once "
                          "weights are dequantised as float32(Double(q)*scale+min).",
    }
    dump_json(reference, os.path.join(fixtures, "reference.json"))
    log("wrote", rel(os.path.join(fixtures, "reference.json")))
    for d in (cnn_dir, mn_dir, q_dir):
        log("%-45s %8d bytes" % (rel(d), dir_size(d)))
    return {"small-cnn": cnn_test, "small-cnn-export": cnn_js_test,
            "mobilenet": mn_test, "mobilenet-export": mn_js_test,
            "mobilenet-uint8-export": q_js_test}


# --------------------------------------------------------------------------
# Op fixtures
# --------------------------------------------------------------------------

def rand(rng, shape, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, size=shape).astype(np.float32)


def randomize_weights(model, rng, scale=0.5):
    """Non-trivial weights (incl. BN statistics) so every op matters."""
    for layer in model.layers:
        new = []
        for w, value in zip(layer.weights, layer.get_weights()):
            name = w.name
            if "moving_variance" in name:
                new.append(rng.uniform(0.5, 2.0, value.shape).astype(np.float32))
            elif "gamma" in name:
                new.append(rng.uniform(0.5, 1.5, value.shape).astype(np.float32))
            else:
                new.append(rng.uniform(-scale, scale, value.shape)
                           .astype(np.float32))
        if new:
            layer.set_weights(new)


class OpFixtures:
    def __init__(self, root, work):
        self.root = root
        self.work = work
        self.index = []

    # -- exporting ---------------------------------------------------------
    def _graph_export(self, name, saved, extra, description, covers,
                      feeds, note=None):
        out_dir = os.path.join(self.root, name)
        reset_dir(out_dir)
        # Flags such as --quantize_uint8 take an optional value, so they go
        # before the other flags (never right before the positional paths).
        cmd = run_converter(extra + ["--input_format=tf_saved_model",
                                     "--output_format=tfjs_graph_model",
                                     saved, out_dir])
        runner = TfjsGraphModel(out_dir)
        outs, inter = runner.run(feeds, fetch_intermediates=True)
        orig, original_keys = saved_model_outputs(saved, feeds,
                                                  runner.outputs)
        diffs = {k: float(np.max(np.abs(outs[k] - orig[k]))) for k in outs}
        # Intermediates: every op node except the output Identity nodes and
        # the nodes they copy (those values are already in "outputs").
        topo = runner.model_json["modelTopology"]["node"]
        out_nodes = {t.split(":")[0] for t in runner.outputs.values()}
        copied = {n["input"][0] for n in topo if n["name"] in out_nodes and
                  n["op"] == "Identity"}
        inter = {k: v for k, v in inter.items()
                 if k not in out_nodes and k not in copied}
        mj = runner.model_json
        cases = {
            "format": "graph-model",
            "model": "model.json",
            "description": description,
            "covers": covers,
            "converter": cmd,
            "signature": {"inputs": runner.inputs, "outputs": runner.outputs},
            "original_output_names": original_keys,
            "ops": graph_ops(mj),
            "weights_manifest": describe_manifest(mj),
            "tensors_straddling_shards": straddling_tensors(out_dir, mj),
            "expected_source": "TensorFlow executing this model.json (weights "
                               "from the shards via tensorflowjs.read_weights, "
                               "dequantised if quantised)",
            "tolerance": {"abs": 1e-5, "rel": 1e-5},
            "cases": [{
                "name": "random",
                "inputs": {k: tensor_json(v) for k, v in feeds.items()},
                "outputs": {k: tensor_json(v) for k, v in outs.items()},
                "intermediates": {k: tensor_json(v) for k, v in inter.items()},
                "max_abs_diff_vs_original_tf": diffs,
            }],
        }
        if note:
            cases["note"] = note
        dump_json(cases, os.path.join(out_dir, "cases.json"))
        self.index.append({"name": name, "format": "graph-model",
                           "covers": covers, "ops": sorted(cases["ops"]),
                           "bytes": dir_size(out_dir)})
        log("ops fixture %-28s %6d bytes, ops %s, diff %s" % (
            name, dir_size(out_dir), sorted(cases["ops"]), diffs))

    def graph_from_keras(self, name, model, description, covers, feeds,
                         extra=(), note=None):
        saved = os.path.join(self.work, "sm_" + name)
        tf.saved_model.save(model, saved)
        self._graph_export(name, saved, list(extra), description, covers,
                           feeds, note)

    def graph_from_function(self, name, fn, specs, description, covers, feeds,
                            extra=(), note=None):
        module = tf.Module()
        module.f = tf.function(fn, input_signature=specs)
        saved = os.path.join(self.work, "sm_" + name)
        tf.saved_model.save(module, saved,
                            signatures=module.f.get_concrete_function())
        self._graph_export(name, saved, list(extra), description, covers,
                           feeds, note)

    def layers_from_keras(self, name, model, description, covers, feeds,
                          extra=(), note=None):
        out_dir = os.path.join(self.root, name)
        reset_dir(out_dir)
        h5 = os.path.join(self.work, name + ".h5")
        model.save(h5)
        cmd = run_converter(list(extra) + ["--input_format=keras",
                                           "--output_format=tfjs_layers_model",
                                           h5, out_dir])
        loaded = load_tfjs_layers_model(out_dir)
        x = [feeds[i.name.split(":")[0]] for i in model.inputs]
        x = x if len(x) > 1 else x[0]
        outs = loaded.predict(x, verbose=0)
        orig = model.predict(x, verbose=0)
        if not isinstance(outs, list):
            outs, orig = [outs], [orig]
        out_named = dict(zip(loaded.output_names, outs))
        diffs = {k: float(np.max(np.abs(a - b)))
                 for k, a, b in zip(loaded.output_names, outs, orig)}
        inter = layer_outputs(loaded, x)
        with open(os.path.join(out_dir, "model.json")) as f:
            mj = json.load(f)
        cases = {
            "format": "layers-model",
            "model": "model.json",
            "description": description,
            "covers": covers,
            "converter": cmd,
            "layer_classes": layer_classes(mj),
            "weights_manifest": describe_manifest(mj),
            "tensors_straddling_shards": straddling_tensors(out_dir, mj),
            "expected_source": "tf_keras model rebuilt from this model.json + "
                               "shards by tensorflowjs' keras_tfjs_loader, "
                               "model.predict (inference mode)",
            "tolerance": {"abs": 1e-5, "rel": 1e-5},
            "cases": [{
                "name": "random",
                "inputs": {k: tensor_json(v) for k, v in feeds.items()},
                "outputs": {k: tensor_json(v) for k, v in out_named.items()},
                "intermediates": {k: tensor_json(v) for k, v in inter.items()},
                "max_abs_diff_vs_original_keras": diffs,
            }],
        }
        if note:
            cases["note"] = note
        dump_json(cases, os.path.join(out_dir, "cases.json"))
        self.index.append({"name": name, "format": "layers-model",
                           "covers": covers,
                           "layer_classes": cases["layer_classes"],
                           "bytes": dir_size(out_dir)})
        log("ops fixture %-28s %6d bytes, layers %s, diff %s" % (
            name, dir_size(out_dir), cases["layer_classes"], diffs))


def make_op_fixtures(work):
    root = os.path.join(OUT, "Tests", "Fixtures", "tfjs", "ops")
    os.makedirs(root, exist_ok=True)
    fx = OpFixtures(root, work)
    rng = np.random.RandomState(1234)

    def fresh():
        keras.backend.clear_session()
        set_seeds(SEED)

    # ---- convolutions -----------------------------------------------------
    fresh()
    inp = keras.Input((5, 7, 2), name="x")
    outs = [
        layers.Conv2D(4, 3, strides=2, padding="same", activation="relu",
                      name="same_s2_k3_relu")(inp),
        layers.Conv2D(3, 4, strides=2, padding="same", use_bias=False,
                      name="same_s2_k4_nobias")(inp),
        layers.Conv2D(2, (3, 2), strides=(1, 2), padding="valid",
                      name="valid_k3x2_s1x2")(inp),
        layers.Conv2D(2, 3, dilation_rate=2, padding="same",
                      name="dilated2_same")(inp),
        layers.Conv2D(2, 3, dilation_rate=2, padding="valid", use_bias=False,
                      name="dilated2_valid")(inp),
    ]
    m = keras.Model(inp, outs)
    randomize_weights(m, rng)
    fx.graph_from_keras(
        "conv2d", m, "Conv2D variants on a 2x5x7x2 input (odd sizes, batch 2).",
        ["Conv2D SAME stride 2 odd input, odd kernel (+bias+relu fused)",
         "Conv2D SAME stride 2, even kernel 4 (asymmetric padding: extra "
         "row/col at the bottom/right), no bias",
         "Conv2D VALID, 3x2 kernel, strides (1,2)",
         "Conv2D dilation 2 SAME and VALID"],
        {"x": rand(rng, (2, 5, 7, 2))})

    w_dil = tf.constant(rng.uniform(-0.5, 0.5, (3, 3, 2, 3)).astype(np.float32))

    def dilation_fn(x):
        return {
            "conv_d2_same": tf.nn.conv2d(x, w_dil, 1, "SAME", dilations=2),
            "conv_d2_valid": tf.nn.conv2d(x, w_dil, 1, "VALID", dilations=2),
            "conv_d2_s1_same_rect": tf.raw_ops.Conv2D(
                input=x, filter=w_dil, strides=[1, 1, 1, 1], padding="SAME",
                dilations=[1, 2, 3, 1]),
        }
    fx.graph_from_function(
        "conv_dilations_attr", dilation_fn,
        [tf.TensorSpec([1, 7, 8, 2], tf.float32, name="x")],
        "Dilated convolutions expressed through the dilations attribute "
        "(tf.nn.conv2d / raw ops). Keras Conv2D(dilation_rate=2) instead "
        "becomes SpaceToBatchND -> Conv2D -> BatchToSpaceND (see conv2d). "
        "(TF's CPU DepthwiseConv2dNative kernel rejects dilations, so there "
        "is no TF reference for a dilated depthwise op.)",
        ["Conv2D dilations [1,2,2,1] SAME and VALID",
         "Conv2D dilations [1,2,3,1] SAME"],
        {"x": rand(rng, (1, 7, 8, 2))})

    fresh()
    inp = keras.Input((7, 8, 3), name="x")
    outs = [
        layers.ReLU(6.0, name="dw_mult2_same_relu6")(
            layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same",
                                   name="dw_mult2_same")(inp)),
        layers.DepthwiseConv2D(3, strides=2, padding="same", use_bias=False,
                               name="dw_s2_same_nobias")(inp),
        layers.DepthwiseConv2D(2, depth_multiplier=2, padding="valid",
                               name="dw_mult2_valid_k2")(inp),
        layers.SeparableConv2D(4, 3, padding="same", activation="relu",
                               name="sep_same_relu")(inp),
        layers.SeparableConv2D(3, 3, strides=2, depth_multiplier=2,
                               padding="valid", name="sep_s2_mult2_valid")(inp),
    ]
    m = keras.Model(inp, outs)
    randomize_weights(m, rng)
    fx.graph_from_keras(
        "depthwise", m, "DepthwiseConv2D / SeparableConv2D variants.",
        ["DepthwiseConv2D channel multiplier 2 SAME (+bias+relu6 fused)",
         "DepthwiseConv2D stride 2 SAME no bias",
         "DepthwiseConv2D multiplier 2 VALID even kernel",
         "SeparableConv2D SAME + relu; stride 2 multiplier 2 VALID"],
        {"x": rand(rng, (1, 7, 8, 3))})

    fresh()
    inp = keras.Input((5, 6, 3), name="x")
    bn_alone = layers.BatchNormalization(epsilon=1e-3, name="bn_alone")(inp)
    c = layers.Conv2D(4, 3, padding="same", use_bias=False, name="conv")(inp)
    c = layers.BatchNormalization(name="conv_bn")(c)
    c = layers.ReLU(name="conv_relu")(c)
    d = layers.DepthwiseConv2D(3, padding="same", use_bias=False, name="dw")(inp)
    d = layers.BatchNormalization(name="dw_bn")(d)
    d = layers.ReLU(6.0, name="dw_relu6")(d)
    m = keras.Model(inp, [bn_alone, c, d])
    randomize_weights(m, rng)
    fx.graph_from_keras(
        "batchnorm", m, "BatchNormalization (inference) alone and after "
        "convolutions (where the converter folds it into the conv weights).",
        ["BatchNorm standalone", "Conv2D+BN+ReLU folded",
         "DepthwiseConv2D+BN+ReLU6 folded"],
        {"x": rand(rng, (1, 5, 6, 3))})

    fresh()
    inp = keras.Input((4, 5, 3), name="x")
    m = keras.Model(inp, [
        layers.ReLU(name="relu")(inp),
        layers.ReLU(6.0, name="relu6")(inp),
        layers.Activation("sigmoid", name="sigmoid")(inp),
        layers.Activation("tanh", name="tanh")(inp),
        layers.Softmax(name="softmax")(inp),
    ])
    fx.graph_from_keras(
        "activations", m, "Element-wise activations and softmax over the last "
        "axis on values in [-8, 10].",
        ["ReLU", "ReLU6", "sigmoid", "tanh", "Softmax"],
        {"x": rand(rng, (1, 4, 5, 3), -8.0, 10.0)})

    fresh()
    inp = keras.Input((7, 9, 2), name="x")
    m = keras.Model(inp, [
        layers.MaxPooling2D(3, 2, padding="same", name="max_k3_s2_same")(inp),
        layers.AveragePooling2D(3, 2, padding="same", name="avg_k3_s2_same")(inp),
        layers.AveragePooling2D(2, 2, padding="same", name="avg_k2_s2_same")(inp),
        layers.MaxPooling2D(2, 2, padding="valid", name="max_k2_s2_valid")(inp),
        layers.AveragePooling2D(3, 2, padding="valid", name="avg_k3_s2_valid")(inp),
        layers.GlobalAveragePooling2D(name="global_avg")(inp),
        layers.GlobalMaxPooling2D(name="global_max")(inp),
    ])
    fx.graph_from_keras(
        "pooling", m, "Max/Avg pooling SAME and VALID on a 7x9 input. "
        "AvgPool SAME divides by the number of in-bounds elements (padding "
        "excluded).",
        ["MaxPool SAME/VALID", "AvgPool SAME (excludes padding)/VALID",
         "GlobalAveragePooling2D (Mean over [1,2])", "GlobalMaxPooling2D (Max)"],
        {"x": rand(rng, (1, 7, 9, 2))})

    def reduce_fn(x):
        return {"mean_hw": tf.reduce_mean(x, axis=[1, 2]),
                "mean_c_keepdims": tf.reduce_mean(x, axis=-1, keepdims=True),
                "mean_w": tf.reduce_mean(x, axis=2),
                "mean_all": tf.reduce_mean(x, axis=[0, 1, 2, 3])}
    fx.graph_from_function(
        "reduce_mean", reduce_fn,
        [tf.TensorSpec([2, 3, 4, 5], tf.float32, name="x")],
        "Mean over various axes (reduction indices are an int32 Const).",
        ["Mean axes [1,2]", "Mean axis -1 keep_dims", "Mean axis 2",
         "Mean over all axes"],
        {"x": rand(rng, (2, 3, 4, 5))})

    fresh()
    inp = keras.Input((3, 4, 2), name="x")
    flat = layers.Flatten(name="flatten")(inp)
    hidden = layers.Dense(5, activation="relu", name="hidden")(flat)
    logits = layers.Dense(3, name="logits")(hidden)
    probs = layers.Softmax(name="probs")(logits)
    nobias = layers.Dense(2, use_bias=False, name="nobias")(flat)
    m = keras.Model(inp, [hidden, probs, nobias])
    randomize_weights(m, rng)
    fx.graph_from_keras(
        "dense", m, "Flatten + Dense layers (MatMul / _FusedMatMul).",
        ["Flatten (Reshape)", "Dense + bias + relu (_FusedMatMul)",
         "Dense + bias, Softmax", "Dense without bias (MatMul)"],
        {"x": rand(rng, (2, 3, 4, 2))})

    c_vec = tf.constant(rng.uniform(-1, 1, 4).astype(np.float32))

    def arith_fn(a, b):
        return {"add": a + b, "mul": a * b, "sub": a - b,
                "sub_rev": b - a,
                "mul_const_vec": a * c_vec,
                "add_scalar": a + 0.5,
                "sub_const_vec": a - c_vec}
    fx.graph_from_function(
        "arithmetic", arith_fn,
        [tf.TensorSpec([2, 3, 1, 4], tf.float32, name="a"),
         tf.TensorSpec([1, 1, 5, 4], tf.float32, name="b")],
        "Binary element-wise ops with NumPy broadcasting between two inputs "
        "and with constants.",
        ["AddV2/Mul/Sub broadcasting [2,3,1,4] with [1,1,5,4]",
         "Mul/Sub with a [4] constant", "Add with a scalar constant"],
        {"a": rand(rng, (2, 3, 1, 4)), "b": rand(rng, (1, 1, 5, 4))})

    def shape_fn(x, y):
        return {"pad": tf.pad(x, [[0, 0], [1, 2], [0, 1], [0, 0]]),
                "pad_value": tf.pad(x, [[0, 0], [2, 0], [1, 1], [0, 0]],
                                    constant_values=-1.5),
                "reshape": tf.reshape(x, [1, 12, 6]),
                "reshape_infer": tf.reshape(x, [-1, 3]),
                "squeeze": tf.squeeze(y, axis=[1, 3]),
                "expand_dims": tf.expand_dims(x, axis=1),
                "expand_dims_neg": tf.expand_dims(x, axis=-1)}
    fx.graph_from_function(
        "shape_ops", shape_fn,
        [tf.TensorSpec([1, 4, 6, 3], tf.float32, name="x"),
         tf.TensorSpec([2, 1, 3, 1], tf.float32, name="y")],
        "Pad, Reshape, Squeeze, ExpandDims (as they come out of the "
        "converter's grappler pass).",
        ["Pad (zeros)", "PadV2 (constant value)", "Reshape (explicit and -1)",
         "Squeeze axes [1,3]", "ExpandDims axis 1 and -1"],
        {"x": rand(rng, (1, 4, 6, 3)), "y": rand(rng, (2, 1, 3, 1))})

    fresh()
    a = keras.Input((3, 4, 2), name="a")
    b = keras.Input((3, 4, 3), name="b")
    c = keras.Input((2, 4, 2), name="c")
    m = keras.Model([a, b, c], [
        layers.Concatenate(axis=-1, name="concat_channels")([a, b]),
        layers.Concatenate(axis=1, name="concat_rows")([a, c]),
        layers.Concatenate(axis=-1, name="concat_three")([a, b, a]),
    ])
    fx.graph_from_keras(
        "concat", m, "Concatenate along channels and rows; three inputs.",
        ["ConcatV2 axis -1 (N=2)", "ConcatV2 axis 1", "ConcatV2 N=3"],
        {"a": rand(rng, (1, 3, 4, 2)), "b": rand(rng, (1, 3, 4, 3)),
         "c": rand(rng, (1, 2, 4, 2))})

    def resize_fn(x):
        return {
            "up_half_pixel": tf.image.resize(x, [8, 11], method="bilinear"),
            "down_half_pixel": tf.image.resize(x, [3, 4], method="bilinear"),
            "up_align_corners": tf.compat.v1.image.resize_bilinear(
                x, [8, 11], align_corners=True),
            "up_legacy": tf.compat.v1.image.resize_bilinear(
                x, [8, 11], align_corners=False, half_pixel_centers=False),
            "down_align_corners": tf.compat.v1.image.resize_bilinear(
                x, [3, 4], align_corners=True),
        }
    fx.graph_from_function(
        "resize_bilinear", resize_fn,
        [tf.TensorSpec([1, 5, 7, 2], tf.float32, name="x")],
        "ResizeBilinear with half_pixel_centers=True (TF2 tf.image.resize), "
        "align_corners=True, and the legacy both-false mode.",
        ["ResizeBilinear half_pixel_centers", "ResizeBilinear align_corners",
         "ResizeBilinear legacy (both false)"],
        {"x": rand(rng, (1, 5, 7, 2), 0.0, 255.0)})

    fresh()
    inp = keras.Input((5, 6, 3), name="x")
    r = layers.Rescaling(1.0 / 127.5, offset=-1.0, name="rescale_pm1")(inp)
    m = keras.Model(inp, [
        r,
        layers.Rescaling(1.0 / 255.0, name="rescale_01")(inp),
        layers.ZeroPadding2D(((1, 2), (2, 0)), name="zeropad_asym")(r),
        layers.ZeroPadding2D(1, name="zeropad_1")(inp),
    ])
    fx.graph_from_keras(
        "zeropad_rescaling", m, "Keras Rescaling (Mul + AddV2 by constants) "
        "and ZeroPadding2D (Pad).",
        ["Rescaling scale+offset", "Rescaling scale only",
         "ZeroPadding2D asymmetric ((1,2),(2,0))", "ZeroPadding2D 1"],
        {"x": rand(rng, (1, 5, 6, 3), 0.0, 255.0)})

    # ---- quantised and sharded exports ------------------------------------
    def small_net():
        fresh()
        inp = keras.Input((6, 6, 3), name="x")
        # 7 filters: 3*3*3*7 = 189 uint8 bytes, so with --quantize_uint8 the
        # tensors after it start at offsets that are not multiples of 4.
        y = layers.Conv2D(7, 3, strides=2, padding="same", activation="relu",
                          name="conv")(inp)
        y = layers.DepthwiseConv2D(3, padding="same", activation="relu6",
                                   name="dw")(y)
        y = layers.GlobalAveragePooling2D(name="gap")(y)
        y = layers.Dense(3, activation="softmax", name="probs")(y)
        net = keras.Model(inp, y)
        randomize_weights(net, np.random.RandomState(99), scale=1.0)
        return net

    small_x = {"x": rand(np.random.RandomState(5), (2, 6, 6, 3))}
    fx.graph_from_keras(
        "quant_float16", small_net(), "A small conv net converted with "
        "--quantize_float16: float32 weights stored as IEEE half.",
        ["float16 weight decoding"], small_x, extra=["--quantize_float16"],
        note="Expected outputs use the float16 weights widened to float32.")
    fx.graph_from_keras(
        "quant_uint8", small_net(), "The same net converted with "
        "--quantize_uint8 (affine uint8, dequantised q*scale+min).",
        ["uint8 weight decoding"], small_x, extra=["--quantize_uint8"],
        note="Expected outputs use the dequantised weights "
             "float32(q*scale+min).")
    fx.graph_from_keras(
        "multishard_graph", small_net(), "The same net as a graph model with "
        "--weight_shard_size_bytes=100: one group, many 100-byte shards; "
        "tensors straddle shard files.",
        ["weights concatenated across shard files"], small_x,
        extra=["--weight_shard_size_bytes=100"])

    # ---- layers models ------------------------------------------------------
    fresh()
    inp = keras.Input((7, 9, 3), name="x")
    y = layers.Rescaling(1.0 / 127.5, offset=-1.0, name="rescale")(inp)
    y = layers.ZeroPadding2D(((1, 0), (1, 0)), name="zeropad")(y)
    y = layers.Conv2D(6, 3, strides=2, padding="same", use_bias=False,
                      name="conv_s2")(y)
    y = layers.BatchNormalization(name="bn")(y)
    y = layers.ReLU(name="relu")(y)
    y = layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same",
                               name="dw_mult2")(y)
    y = layers.ReLU(6.0, name="relu6")(y)
    y = layers.SeparableConv2D(8, 3, padding="same", activation="relu",
                               name="sep")(y)
    y = layers.Conv2D(8, 3, padding="same", dilation_rate=2,
                      activation="sigmoid", name="conv_dilated")(y)
    a1 = layers.MaxPooling2D(3, 2, padding="same", name="maxpool_same")(y)
    a2 = layers.AveragePooling2D(3, 2, padding="same", name="avgpool_same")(y)
    y = layers.Concatenate(name="concat")([a1, a2])
    y = layers.AveragePooling2D(2, 1, padding="valid", name="avgpool_valid")(y)
    g = layers.GlobalAveragePooling2D(name="gap")(y)
    f = layers.Flatten(name="flatten")(y)
    y = layers.Concatenate(name="concat_flat")([g, f])
    y = layers.Dropout(0.5, name="dropout")(y)
    y = layers.Dense(3, activation="softmax", name="probs")(y)
    m = keras.Model(inp, y)
    randomize_weights(m, rng)
    fx.layers_from_keras(
        "layers_cnn", m, "A layers model touching the Keras layers the engine "
        "must interpret: Rescaling, ZeroPadding2D, Conv2D (SAME stride 2, "
        "dilated), BatchNormalization, ReLU/ReLU6, DepthwiseConv2D multiplier "
        "2, SeparableConv2D, Max/AveragePooling2D SAME and VALID, "
        "Concatenate, GlobalAveragePooling2D, Flatten, Dropout, Dense softmax.",
        ["layers-model topology", "Keras layer configs"],
        {"x": rand(rng, (1, 7, 9, 3), 0.0, 255.0)})

    fresh()
    a = keras.Input((2, 3, 3), name="a")
    b = keras.Input((2, 3, 3), name="b")
    s = layers.Add(name="add")([a, b])
    d = layers.Subtract(name="subtract")([a, b])
    p = layers.Multiply(name="multiply")([a, b])
    av = layers.Average(name="average")([a, b, s])
    mx = layers.Maximum(name="maximum")([a, b])
    y = layers.Concatenate(axis=-1, name="concat")([s, d, p, av, mx])
    y = layers.Reshape((3, 30), name="reshape")(y)
    y = layers.Activation("tanh", name="tanh")(y)
    y = layers.Dense(4, activation="sigmoid", name="dense_sigmoid")(y)
    y = layers.Flatten(name="flatten")(y)
    y = layers.Dense(2, name="dense_linear")(y)
    m = keras.Model([a, b], y)
    randomize_weights(m, rng)
    fx.layers_from_keras(
        "layers_merge", m, "Two-input layers model: Add, Subtract, Multiply, "
        "Average, Maximum, Concatenate, Reshape, Activation(tanh), Dense on a "
        "rank-3 tensor (applies to the last axis), Flatten.",
        ["merge layers", "Reshape", "Dense on rank 3"],
        {"a": rand(rng, (2, 2, 3, 3)), "b": rand(rng, (2, 2, 3, 3))})

    fresh()
    inp = keras.Input((7,), name="x")
    y = layers.Dense(5, activation="relu", name="d1")(inp)
    y = layers.Dense(6, activation="relu", name="d2")(y)
    y = layers.Dense(3, name="d3")(y)
    m = keras.Model(inp, y)
    randomize_weights(m, rng)
    fx.layers_from_keras(
        "layers_multigroup", m, "Layers model converted with "
        "--split_weights_by_layer and --weight_shard_size_bytes=64: one "
        "weight group per layer, several shards per group, and kernels that "
        "straddle two shard files.",
        ["multiple weight groups", "tensor split across shards"],
        {"x": rand(rng, (3, 7))},
        extra=["--split_weights_by_layer", "--weight_shard_size_bytes=64"])

    fresh()
    inp = keras.Input((6, 6, 3), name="x")
    y = layers.Conv2D(4, 3, padding="same", activation="relu", name="conv")(inp)
    y = layers.BatchNormalization(name="bn")(y)
    y = layers.GlobalAveragePooling2D(name="gap")(y)
    y = layers.Dense(2, activation="softmax", name="probs")(y)
    m = keras.Model(inp, y)
    randomize_weights(m, rng)
    fx.layers_from_keras(
        "layers_float16", m, "Layers model converted with --quantize_float16.",
        ["float16 weights in a layers model"],
        {"x": rand(rng, (1, 6, 6, 3))}, extra=["--quantize_float16"],
        note="Expected outputs use the float16 weights widened to float32.")

    total = sum(e["bytes"] for e in fx.index)
    dump_json({"about": "Op fixtures for Stratum's TensorFlow.js engine, made "
                        "by Experiments/training/train_tfjs_models.py with "
                        "TensorFlow %s and tensorflowjs %s. Each folder has an "
                        "export and a cases.json (inputs, expected outputs, "
                        "all intermediate tensors)." % (
                            tf.__version__, tensorflowjs.__version__),
               "total_bytes": total, "fixtures": fx.index},
              os.path.join(root, "index.json"))
    log("ops fixtures: %d, %d bytes" % (len(fx.index), total))


# --------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=os.path.join(REPO, "Experiments",
                                                       "data", "faces"),
                        help="faces data set folder (manifest.csv + images/)")
    parser.add_argument("--work", default=None,
                        help="scratch folder for .h5/SavedModel files "
                             "(default: a temporary folder, removed after)")
    parser.add_argument("--ops-only", action="store_true",
                        help="only regenerate Tests/Fixtures/tfjs/ops")
    parser.add_argument("--models-only", action="store_true",
                        help="only train/export the models and reference.json")
    parser.add_argument("--cnn-epochs", type=int, default=20)
    parser.add_argument("--mobilenet-epochs", type=int, default=25)
    parser.add_argument("--mobilenet-arch", choices=["keras", "compact"],
                        default="compact",
                        help="compact (default): a hand-built MobileNetV2 with "
                             "the same blocks, ~54k params; keras: "
                             "keras.applications.MobileNetV2(alpha=0.35, "
                             "weights=None), which overfits 1.4k faces (~0.66)")
    parser.add_argument("--mobilenet-aug", choices=["flip", "full"],
                        default="full",
                        help="full (default): flips, shifts and gain/offset "
                             "jitter; flip: horizontal flips only")
    parser.add_argument("--out-root", default=REPO,
                        help="write Experiments/models and Tests/Fixtures/tfjs "
                             "under this folder instead of the repository "
                             "(e.g. to diff a rerun against the committed "
                             "files)")
    args = parser.parse_args()
    args.data = os.path.abspath(args.data)
    global OUT
    OUT = os.path.abspath(args.out_root)
    tf.config.experimental.enable_op_determinism()
    log("TensorFlow %s, tf_keras %s, tensorflowjs %s" % (
        tf.__version__, keras.__version__, tensorflowjs.__version__))

    work = args.work or tempfile.mkdtemp(prefix="stratum-tfjs-")
    os.makedirs(work, exist_ok=True)
    try:
        if not args.ops_only:
            acc = train_models(args, work)
            log("test accuracies:", json.dumps(acc))
        if not args.models_only:
            make_op_fixtures(work)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    log("done")


if __name__ == "__main__":
    main()
