#!/usr/bin/env python3
"""ONNX test fixtures with onnxruntime reference outputs for Stratum's own
ONNX loader / inference engine.

Writes (paths relative to the repository root):

  Tests/Fixtures/onnx/cases.json      index read by the Swift tests
  Tests/Fixtures/onnx/ops/*.onnx      op-level models built with onnx.helper
                                      (+ ops/external_data.weights)
  Tests/Fixtures/onnx/nets/*.onnx     small networks (PyTorch exporters,
                                      skl2onnx, tf2onnx)
  Tests/Fixtures/onnx/data/*.f32      inputs and reference outputs
  Tests/Fixtures/onnx/malformed/*     broken files a loader must reject

cases.json: {"generated_by", "versions", "cases": [...], "malformed": [...]}.
Each case has name, group ("op" | "network"), model, exporter, tolerance,
inputs/outputs ([{"name", "shape", "file"}]) and notes; all paths are
relative to Tests/Fixtures/onnx/. A .f32 file is raw little-endian float32
in C order holding exactly prod(shape) values. Every model's batch dimension
is a dim_param ("N" or "batch"); the stored data use batch 2.

Reference outputs come from
onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"]) with
intra_op_num_threads=1 (default graph optimisation level). The script also
runs each model with ORT_DISABLE_ALL, on batch 1 and on batch 3, and (for the
PyTorch networks) compares with PyTorch itself; those checks only go into
the printed summary table.

Inputs are float32, drawn from numpy.random.default_rng(crc32(case name)),
so each case's data do not depend on which other cases exist. PyTorch
networks use torch.manual_seed and random (not pretrained) weights.

Rerun from the repository root (about 40 s on 2 cores):

  python3 -m venv /tmp/onnx-venv
  /tmp/onnx-venv/bin/pip install onnx==1.23.2 onnxruntime==1.32.0 torch==2.15.0 \
      torchvision==0.29.2 onnxscript==0.7.2 skl2onnx==1.20.0 scikit-learn==1.9.1
  nice -n 10 /tmp/onnx-venv/bin/python scripts/onnx_fixtures.py

The venv holds (versions used for the committed fixtures):
  onnx 1.23.2, onnxruntime 1.32.0, torch 2.15.0 (CPU only), torchvision
  0.29.2, onnxscript 0.7.2 (for the dynamo exporter), skl2onnx 1.20.0,
  scikit-learn 1.9.1, numpy 2.4.6, Python 3.11.7
  i.e. pip install onnx==1.23.2 onnxruntime==1.32.0 torch==2.15.0
       torchvision==0.29.2 onnxscript==0.7.2 skl2onnx==1.20.0
       scikit-learn==1.9.1 numpy==2.4.6

The case nets/automl_mobilenet_nchw_tf2onnx.onnx is made by the real
tf2onnx (`python -m tf2onnx.convert --tfjs model.json --opset 17
--inputs-as-nchw image`), which needs TensorFlow, so it runs in a second
venv:

  python3 -m venv /tmp/tf-venv
  /tmp/tf-venv/bin/pip install tf2onnx==1.17.0 tensorflow-cpu==2.21.0

and is passed as --tf-python (default /tmp/tf-venv/bin/python). Without it
the committed nets/automl_mobilenet_nchw_tf2onnx.onnx is kept as it is (its
reference outputs are still recomputed).

Determinism: onnx.helper models, the skl2onnx models and the PyTorch legacy
and dynamo exports are byte-identical on rerun with the same versions. The
dynamo export keeps Python stack traces in its node metadata
(pkg.torch.onnx.stack_trace), which hold the venv's site-packages path: the
committed nets/mobilenet_v3_small_dynamo.onnx was made from a venv at
/work/venv-onnx, so a venv elsewhere (e.g. /tmp/onnx-venv) changes only those
strings (same graph, weights and outputs).
tf2onnx 1.17.0 names its generated constants differently from run to run;
the script renames those initializers (<= 16 elements, or an "__<id>" name
suffix) to "tf2onnx_const_<k>" (k = order of first use) so that file is
stable too. skl2onnx gives the graph a random uuid name; it is set to the
case name.
"""

import argparse
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import warnings
import zlib

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "Tests", "Fixtures", "onnx")
EXPERIMENTS_REL = "../../../Experiments/models"
OP_TOL = 1e-5
NET_TOL = 1e-4
BATCH = 2

CASES = []       # entries of cases.json
MALFORMED = []   # entries of cases.json "malformed"
SUMMARY = []     # rows of the printed table
OPLISTS = []     # (name, opsets, sorted op types) for networks
SKIPPED = []     # (what, why)
EXTRA_NOTES = [] # free text printed at the end


# --------------------------------------------------------------------------
# helpers


def rng_for(name):
    return np.random.default_rng(zlib.crc32(name.encode("utf-8")))


def uniform(rng, shape, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, size=shape).astype(np.float32)


def session(path_or_bytes, opt=True):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    if not opt:
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(path_or_bytes, sess_options=so,
                                providers=["CPUExecutionProvider"])


def write_f32(rel, arr):
    arr = np.ascontiguousarray(arr, dtype="<f4")
    with open(os.path.join(OUT, rel), "wb") as f:
        f.write(arr.tobytes())


def vinfo(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def opset_model(graph, opset, extra_opsets=()):
    ids = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in extra_opsets]
    model = helper.make_model(graph, opset_imports=ids,
                              ir_version=helper.find_min_ir_version_for(ids),
                              producer_name="stratum scripts/onnx_fixtures.py")
    return model


def max_abs_diff(a, b):
    if a.shape != b.shape:
        return float("inf")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))))


def batch_slice(arr, axis, n):
    idx = [slice(None)] * arr.ndim
    idx[axis] = slice(0, n)
    return arr[tuple(idx)]


def rebatch(feeds, n):
    """Batch-n versions of the batch-2 feeds (batch axis 0 everywhere)."""
    out = {}
    for k, v in feeds.items():
        if n <= v.shape[0]:
            out[k] = v[:n]
        else:
            reps = [v] * (n // v.shape[0] + 1)
            out[k] = np.concatenate(reps, axis=0)[:n]
    return out


def record_case(name, group, model_rel, exporter, tol, feeds, notes,
                out_batch_axes=None, torch_ref=None, input_files=None):
    """Run onnxruntime on the saved model, write data files, add the case.

    out_batch_axes: {output name: axis or None}; default axis 0.
    torch_ref: {output name: array} from the framework, for the summary only.
    input_files: {input name: data file} to share one input file between
    cases that use identical data (keeps the fixture small).
    """
    path = os.path.normpath(os.path.join(OUT, model_rel))
    sess = session(path)
    out_names = [o.name for o in sess.get_outputs()]
    refs = sess.run(None, feeds)
    refs = [np.asarray(r) for r in refs]
    out_batch_axes = out_batch_axes or {}

    # consistency checks (summary only)
    noopt = session(path, opt=False).run(None, feeds)
    d_noopt = max(max_abs_diff(np.asarray(a, np.float64), np.asarray(b, np.float64))
                  for a, b in zip(refs, noopt))
    b1 = sess.run(None, rebatch(feeds, 1))
    d_b1 = 0.0
    for on, r, r1 in zip(out_names, refs, b1):
        ax = out_batch_axes.get(on, 0)
        if ax is None:
            continue
        d_b1 = max(d_b1, max_abs_diff(batch_slice(r, ax, 1).astype(np.float64),
                                      np.asarray(r1, np.float64)))
    b3 = sess.run(None, rebatch(feeds, 3))
    b3_shapes = [list(np.asarray(r).shape) for r in b3]
    d_torch = None
    if torch_ref is not None:
        d_torch = max(max_abs_diff(np.asarray(torch_ref[on], np.float64), np.asarray(r, np.float64))
                      for on, r in zip(out_names, refs) if on in torch_ref)

    inputs = []
    for inp in sess.get_inputs():
        arr = feeds[inp.name]
        rel = (input_files or {}).get(inp.name)
        if rel is None:
            rel = "data/%s.%s.f32" % (name, inp.name.replace("/", "_").replace(":", "_"))
        write_f32(rel, arr)
        inputs.append({"name": inp.name, "shape": list(arr.shape), "file": rel})
    outputs = []
    for on, r in zip(out_names, refs):
        rel = "data/%s.%s.f32" % (name, on.replace("/", "_").replace(":", "_"))
        write_f32(rel, r.astype(np.float32))
        outputs.append({"name": on, "shape": list(r.shape), "file": rel})

    CASES.append({"name": name, "group": group, "model": model_rel,
                  "exporter": exporter, "tolerance": tol,
                  "inputs": inputs, "outputs": outputs, "notes": notes})
    size = os.path.getsize(path)
    if model_rel.startswith("../"):
        size = 0  # not part of the fixture directory
    SUMMARY.append({
        "name": name, "group": group,
        "opset": ",".join("%s%d" % (d + ":" if d else "", v) for d, v in model_opsets(path)),
        "exporter": exporter,
        "out": " ".join("x".join(str(d) for d in o["shape"]) for o in outputs),
        "maxabs": max(float(np.max(np.abs(r))) if r.size else 0.0 for r in refs),
        "noopt": d_noopt, "b1": d_b1, "b3": "ok" if all(s and s != [] for s in b3_shapes) else str(b3_shapes),
        "torch": d_torch, "kb": size / 1024.0,
    })
    return refs


def model_opsets(path):
    m = onnx.load(path, load_external_data=False)
    seen = []
    for o in m.opset_import:
        key = (o.domain, o.version)
        if key not in seen:
            seen.append(key)
    return seen


# --------------------------------------------------------------------------
# op-level models (onnx.helper)


def finish_op_model(model, feeds, out_batch_axes, unknown_dims):
    """Fill in the graph outputs' shapes from an onnxruntime run: batch axis
    -> dim_param "N", dims listed in unknown_dims -> left unknown."""
    sess = session(model.SerializeToString())
    res = sess.run(None, feeds)
    for out, r in zip(model.graph.output, res):
        ax = out_batch_axes.get(out.name, 0)
        unk = unknown_dims.get(out.name, ())
        dims = []
        for i, d in enumerate(r.shape):
            if i == ax:
                dims.append("N")
            elif i in unk:
                dims.append(None)
            else:
                dims.append(int(d))
        elem = out.type.tensor_type.elem_type
        out.CopyFrom(helper.make_tensor_value_info(out.name, elem, dims))
    return model


def op_case(name, opset, nodes, inputs, outputs, inits=(), feeds=None, notes="",
            out_batch_axes=None, unknown_dims=None, save_external=None):
    """inputs: [(name, shape-with-"N")]; outputs: [name] (float) or
    [(name, elem type)]; feeds: {name: batch-2 array}."""
    out_vis = []
    for o in outputs:
        if isinstance(o, tuple):
            out_vis.append(helper.make_tensor_value_info(o[0], o[1], None))
        else:
            out_vis.append(helper.make_tensor_value_info(o, TensorProto.FLOAT, None))
    graph = helper.make_graph(nodes, name, [vinfo(n, s) for n, s in inputs], out_vis,
                              initializer=list(inits))
    model = opset_model(graph, opset)
    out_batch_axes = out_batch_axes or {}
    model = finish_op_model(model, feeds, out_batch_axes, unknown_dims or {})
    onnx.checker.check_model(model, full_check=True)
    rel = "ops/%s.onnx" % name
    path = os.path.join(OUT, rel)
    if save_external:
        onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=save_external, size_threshold=0)
    else:
        onnx.save_model(model, path)
    note = "opset %d. %s" % (opset, notes) if notes else "opset %d." % opset
    record_case(name, "op", rel, "onnx.helper", OP_TOL, feeds, note.strip(),
                out_batch_axes=out_batch_axes)
    return model


def init(name, arr, dtype=np.float32):
    return numpy_helper.from_array(np.asarray(arr, dtype=dtype), name)


def i64(name, vals):
    return numpy_helper.from_array(np.asarray(vals, dtype=np.int64), name)


def conv_cases():
    def conv(name, opset, x_shape, w_shape, bias=True, notes="", **attrs):
        r = rng_for(name)
        x = uniform(r, x_shape)
        fan_in = int(np.prod(w_shape[1:]))
        w = uniform(r, w_shape) / np.sqrt(fan_in)
        inits = [init("W", w)]
        ins = ["x", "W"]
        if bias:
            inits.append(init("B", uniform(r, [w_shape[0]], -0.5, 0.5)))
            ins.append("B")
        node = helper.make_node("Conv", ins, ["y"], **attrs)
        op_case(name, opset, [node], [("x", ["N"] + list(x_shape[1:]))], ["y"], inits,
                {"x": x}, notes)

    conv("conv_basic", 11, [2, 3, 7, 9], [4, 3, 3, 3], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
         notes="groups=1, bias, 3x3, pads 1.")
    conv("conv_nobias", 13, [2, 3, 7, 9], [4, 3, 3, 3], bias=False, pads=[1, 1, 1, 1],
         notes="no bias input; kernel_shape attribute omitted (taken from W).")
    conv("conv_stride2", 17, [2, 3, 7, 9], [4, 3, 3, 3], kernel_shape=[3, 3], strides=[2, 2],
         pads=[1, 1, 1, 1], notes="strides 2, pads 1 (7x9 -> 4x5).")
    conv("conv_dilation2", 18, [2, 3, 7, 9], [4, 3, 3, 3], kernel_shape=[3, 3], dilations=[2, 2],
         pads=[2, 2, 2, 2], notes="dilations 2, pads 2.")
    conv("conv_pads_asym", 21, [2, 3, 7, 9], [4, 3, 3, 3], kernel_shape=[3, 3],
         pads=[0, 1, 2, 1], notes="explicit pads [0,1,2,1] = [top,left,bottom,right] "
         "(x1_begin, x2_begin, x1_end, x2_end): 7x9 -> 7x9.")
    conv("conv_same_upper", 11, [2, 3, 7, 9], [4, 3, 4, 4], kernel_shape=[4, 4],
         auto_pad="SAME_UPPER", notes="auto_pad SAME_UPPER, 4x4 kernel stride 1: total pad 3 "
         "per axis, 1 at the beginning and 2 at the end.")
    conv("conv_same_lower", 13, [2, 3, 7, 9], [4, 3, 4, 4], kernel_shape=[4, 4],
         auto_pad="SAME_LOWER", notes="auto_pad SAME_LOWER, 4x4 kernel stride 1: total pad 3 "
         "per axis, 2 at the beginning and 1 at the end.")
    conv("conv_same_upper_s2", 17, [2, 3, 8, 9], [4, 3, 3, 3], kernel_shape=[3, 3],
         strides=[2, 2], auto_pad="SAME_UPPER", notes="auto_pad SAME_UPPER with strides 2: "
         "out = ceil(in/2) = 4x5; total pad H = 1 (0 begin, 1 end), W = 2 (1, 1).")
    conv("conv_valid", 18, [2, 3, 7, 9], [4, 3, 3, 3], kernel_shape=[3, 3], auto_pad="VALID",
         notes="auto_pad VALID: no padding, 7x9 -> 5x7.")
    conv("conv_groups2", 21, [2, 4, 8, 8], [6, 2, 3, 3], kernel_shape=[3, 3], group=2,
         pads=[1, 1, 1, 1], notes="group=2: C_in 4, C_out 6, W [6,2,3,3]; output channels "
         "0-2 see input channels 0-1, 3-5 see 2-3.")
    conv("conv_depthwise", 11, [2, 8, 6, 6], [8, 1, 3, 3], kernel_shape=[3, 3], group=8,
         pads=[1, 1, 1, 1], notes="depthwise: group = C_in = C_out = 8, W [8,1,3,3].")
    conv("conv_depthwise_mult2", 13, [2, 4, 6, 6], [8, 1, 3, 3], kernel_shape=[3, 3], group=4,
         pads=[1, 1, 1, 1], notes="depthwise with channel multiplier 2: group = C_in = 4, "
         "C_out = 8, W [8,1,3,3]; output channels 2g and 2g+1 read input channel g.")
    conv("conv_1x1", 17, [2, 3, 7, 9], [5, 3, 1, 1], kernel_shape=[1, 1],
         notes="1x1 (pointwise) conv.")
    conv("conv_kernel5x3", 18, [2, 3, 7, 9], [4, 3, 5, 3], kernel_shape=[5, 3], pads=[2, 1, 2, 1],
         notes="non-square 5x3 kernel (kH=5, kW=3), pads [2,1,2,1].")


def activation_cases():
    r = rng_for("bn_nchw")
    x = uniform(r, [2, 4, 5, 6])
    c = 4
    bn_inits = [init("scale", uniform(r, [c], 0.5, 1.5)), init("bias", uniform(r, [c], -0.5, 0.5)),
                init("mean", uniform(r, [c], -0.3, 0.3)), init("var", uniform(r, [c], 0.2, 1.5))]
    op_case("bn_nchw", 11, [helper.make_node("BatchNormalization", ["x", "scale", "bias", "mean", "var"],
                                             ["y"], epsilon=1e-3)],
            [("x", ["N", 4, 5, 6])], ["y"], bn_inits, {"x": x},
            "BatchNormalization-9 (inference) on NCHW, epsilon 1e-3: "
            "y = scale*(x-mean)/sqrt(var+eps)+bias per channel (axis 1).")
    r = rng_for("bn_2d")
    x = uniform(r, [2, 8])
    c = 8
    bn_inits = [init("scale", uniform(r, [c], 0.5, 1.5)), init("bias", uniform(r, [c], -0.5, 0.5)),
                init("mean", uniform(r, [c], -0.3, 0.3)), init("var", uniform(r, [c], 0.2, 1.5))]
    op_case("bn_2d", 17, [helper.make_node("BatchNormalization", ["x", "scale", "bias", "mean", "var"],
                                           ["y"])],
            [("x", ["N", 8])], ["y"], bn_inits, {"x": x},
            "BatchNormalization-15 on a 2-D [N,C] input (channels = axis 1), default epsilon 1e-5.")

    def unary(name, opset, op, notes, lo=-1.0, hi=1.0, shape=(2, 3, 7, 9), extra_inputs=(),
              inits=(), **attrs):
        x = uniform(rng_for(name), list(shape), lo, hi)
        node = helper.make_node(op, ["x"] + list(extra_inputs), ["y"], **attrs)
        op_case(name, opset, [node], [("x", ["N"] + list(shape[1:]))], ["y"], inits, {"x": x}, notes)

    unary("relu", 13, "Relu", "")
    unary("clip_attr_op6", 6, "Clip", "Clip-6 attribute form min=-0.5 max=0.7; input in [-1,1].",
          min=-0.5, max=0.7)
    unary("clip_inputs_op13", 13, "Clip", "Clip-13 with min (-0.5) and max (0.7) as scalar "
          "initializers (rank 0).", extra_inputs=["lo", "hi"],
          inits=[init("lo", np.float32(-0.5)), init("hi", np.float32(0.7))])
    unary("clip_min_only_op13", 13, "Clip", "Clip-13 with only min (0.1) given; max input absent "
          "(node has 2 inputs) -> no upper bound.", extra_inputs=["lo"],
          inits=[init("lo", np.float32(0.1))])
    unary("clip_max_only_op11", 11, "Clip", "Clip-11 with min omitted by an empty input name "
          "(inputs ['x', '', 'hi']) and max 0.25 -> no lower bound.", extra_inputs=["", "hi"],
          inits=[init("hi", np.float32(0.25))])
    unary("relu6_clip_op11", 11, "Clip", "Clip-11 min 0 max 6 (the ReLU6 pattern of the legacy "
          "PyTorch exporter); input in [-8,8].", lo=-8, hi=8, extra_inputs=["lo", "hi"],
          inits=[init("lo", np.float32(0.0)), init("hi", np.float32(6.0))])
    unary("sigmoid", 17, "Sigmoid", "input in [-6,6].", lo=-6, hi=6)
    unary("hardsigmoid_default", 11, "HardSigmoid", "no attributes -> alpha 0.2, beta 0.5: "
          "y = max(0, min(1, 0.2x+0.5)); input in [-4,4] so both clamps are hit.", lo=-4, hi=4)
    unary("hardsigmoid_custom", 18, "HardSigmoid", "alpha 1/6 (as float32 0.16666667), beta 0.5 "
          "(what PyTorch's Hardsigmoid exports to); input in [-4,4].", lo=-4, hi=4,
          alpha=1.0 / 6.0, beta=0.5)
    unary("hardswish", 14, "HardSwish", "HardSwish-14: y = x*max(0, min(1, x/6+0.5)); input in "
          "[-4,4].", lo=-4, hi=4)


def binary_cases():
    ops = [("Add", "add", 13), ("Sub", "sub", 11), ("Mul", "mul", 18), ("Div", "div", 21)]
    for op, low, opset in ops:
        is_div = op == "Div"

        def den(r, shape):
            """values for a divisor: |v| in [0.5, 1.5] with random sign."""
            mag = uniform(r, shape, 0.5, 1.5)
            sign = np.where(r.uniform(size=shape) < 0.5, -1.0, 1.0).astype(np.float32)
            return (mag * sign).astype(np.float32)

        # [N,C,H,W] op [C,1,1] initializer
        name = "%s_c11" % low
        r = rng_for(name)
        x = uniform(r, [2, 3, 4, 5])
        b = den(r, [3, 1, 1]) if is_div else uniform(r, [3, 1, 1])
        op_case(name, opset, [helper.make_node(op, ["x", "b"], ["y"])], [("x", ["N", 3, 4, 5])],
                ["y"], [init("b", b)], {"x": x}, "%s [N,3,4,5] with a [3,1,1] initializer "
                "(per-channel broadcast)." % op)
        # op [1] scalar
        name = "%s_scalar" % low
        r = rng_for(name)
        x = uniform(r, [2, 3, 4, 5])
        b = np.array([-0.75], np.float32)
        op_case(name, opset, [helper.make_node(op, ["x", "b"], ["y"])], [("x", ["N", 3, 4, 5])],
                ["y"], [init("b", b)], {"x": x}, "%s [N,3,4,5] with a [1] initializer (-0.75)." % op)
        # [N,C,H,W] op [N,C,1,1] computed (squeeze-excite)
        name = "%s_se" % low
        r = rng_for(name)
        if is_div:
            x = uniform(r, [2, 3, 4, 5], 0.5, 1.5)
            nodes = [helper.make_node("GlobalAveragePool", ["x"], ["g"]),
                     helper.make_node(op, ["x", "g"], ["y"])]
            note = "Div x / GlobalAveragePool(x) ([N,C,1,1] computed tensor); x in [0.5,1.5]."
        else:
            x = uniform(r, [2, 3, 4, 5])
            nodes = [helper.make_node("GlobalAveragePool", ["x"], ["g"]),
                     helper.make_node("Sigmoid", ["g"], ["s"]),
                     helper.make_node(op, ["x", "s"], ["y"])]
            note = ("%s x with Sigmoid(GlobalAveragePool(x)) ([N,C,1,1] computed tensor, the "
                    "squeeze-excite pattern)." % op)
        op_case(name, opset, nodes, [("x", ["N", 3, 4, 5])], ["y"], [], {"x": x}, note)
        # [N,C] op [C]
        name = "%s_nc_c" % low
        r = rng_for(name)
        x = uniform(r, [2, 6])
        b = den(r, [6]) if is_div else uniform(r, [6])
        op_case(name, opset, [helper.make_node(op, ["x", "b"], ["y"])], [("x", ["N", 6])],
                ["y"], [init("b", b)], {"x": x}, "%s [N,6] with a [6] initializer." % op)
        # two [N,C,H,W]
        name = "%s_two_inputs" % low
        r = rng_for(name)
        a = uniform(r, [2, 3, 4, 5])
        b = den(r, [2, 3, 4, 5]) if is_div else uniform(r, [2, 3, 4, 5])
        op_case(name, opset, [helper.make_node(op, ["a", "b"], ["y"])],
                [("a", ["N", 3, 4, 5]), ("b", ["N", 3, 4, 5])], ["y"], [], {"a": a, "b": b},
                "%s of two [N,3,4,5] graph inputs (same shape)%s." %
                (op, "; |b| in [0.5,1.5]" if is_div else ""))
    # non-commutative ops with the constant on the left
    r = rng_for("sub_scalar_lhs")
    op_case("sub_scalar_lhs", 13, [helper.make_node("Sub", ["b", "x"], ["y"])],
            [("x", ["N", 3, 4, 5])], ["y"], [init("b", np.array([1.0], np.float32))],
            {"x": uniform(r, [2, 3, 4, 5])}, "Sub with the [1] initializer as the FIRST input: y = 1 - x.")
    r = rng_for("div_c11_lhs")
    op_case("div_c11_lhs", 17, [helper.make_node("Div", ["b", "x"], ["y"])],
            [("x", ["N", 3, 4, 5])], ["y"], [init("b", uniform(r, [3, 1, 1]))],
            {"x": uniform(r, [2, 3, 4, 5], 0.5, 1.5)},
            "Div with the [3,1,1] initializer as the FIRST input: y = b / x; x in [0.5,1.5].")

    # Conv followed by an Add of a constant of rank < 4 (no batch dim): the constant
    # broadcasts, it is not a residual input of the Conv's shape.
    def conv_then(name, tail, inits, notes):
        r = rng_for(name)
        x = uniform(r, [2, 3, 6, 7])
        w = uniform(r, [4, 3, 3, 3]) * 1.5  # conv outputs reach about +-6
        b = uniform(r, [4], -0.5, 0.5)
        nodes = [helper.make_node("Conv", ["x", "W", "B"], ["c"], kernel_shape=[3, 3],
                                  pads=[1, 1, 1, 1])] + tail
        op_case(name, 13, nodes, [("x", ["N", 3, 6, 7])], ["y"],
                [init("W", w), init("B", b)] + inits, {"x": x},
                "Conv 3->4 channels 3x3 pads 1 on [N,3,6,7] (outputs about +-6), then " + notes)

    conv_then("conv_add_c11_const", [helper.make_node("Add", ["c", "k"], ["y"])],
              [init("k", uniform(rng_for("conv_add_c11_const.k"), [4, 1, 1]))],
              "Add of a [4,1,1] initializer (rank 3, no batch dim): a per-channel broadcast, "
              "not a residual of the Conv's shape.")
    conv_then("conv_add_scalar_const", [helper.make_node("Add", ["c", "k"], ["y"])],
              [init("k", np.float32(0.75))],
              "Add of a rank-0 (shape []) initializer 0.75.")
    conv_then("conv_hsigmoid_scalar_consts",
              [helper.make_node("Add", ["c", "three"], ["a"]),
               helper.make_node("Clip", ["a", "zero", "six"], ["r"]),
               helper.make_node("Div", ["r", "six"], ["y"])],
              [init("three", np.float32(3)), init("zero", np.float32(0)), init("six", np.float32(6))],
              "the old MobileNetV3 h-sigmoid relu6(conv(x)+3)/6: Add 3 -> Clip(0, 6) -> Div 6, "
              "with 3, 0 and 6 as rank-0 initializers (both clamps are hit).")
    conv_then("conv_hsigmoid_one_consts",
              [helper.make_node("Add", ["c", "three"], ["a"]),
               helper.make_node("Clip", ["a", "zero", "six"], ["r"]),
               helper.make_node("Div", ["r", "six1"], ["y"])],
              [init("three", np.array([3], np.float32)), init("zero", np.float32(0)),
               init("six", np.float32(6)), init("six1", np.array([6], np.float32))],
              "h-sigmoid relu6(conv(x)+3)/6 with the Add's 3 and the Div's 6 as shape-[1] "
              "initializers (Clip-13's bounds 0 and 6 are rank 0, as the spec requires).")


def matmul_cases():
    r = rng_for("matmul")
    op_case("matmul", 13, [helper.make_node("MatMul", ["x", "w"], ["y"])], [("x", ["N", 16])], ["y"],
            [init("w", uniform(r, [16, 8]) / 4)], {"x": uniform(r, [2, 16])},
            "MatMul [N,16] x [16,8] initializer.")
    r = rng_for("gemm_transb_alpha_beta")
    op_case("gemm_transb_alpha_beta", 11,
            [helper.make_node("Gemm", ["x", "w", "c"], ["y"], transB=1, alpha=0.5, beta=2.0)],
            [("x", ["N", 16])], ["y"], [init("w", uniform(r, [8, 16]) / 4), init("c", uniform(r, [8]))],
            {"x": uniform(r, [2, 16])},
            "Gemm transB=1 alpha 0.5 beta 2: y = 0.5 * x @ w.T + 2 * c, w [8,16], c [8] broadcast "
            "over rows.")
    r = rng_for("gemm_transa")
    op_case("gemm_transa", 13,
            [helper.make_node("Transpose", ["x"], ["xt"], perm=[1, 0]),
             helper.make_node("Gemm", ["xt", "w", "c"], ["y"], transA=1)],
            [("x", ["N", 16])], ["y"], [init("w", uniform(r, [16, 8]) / 4), init("c", uniform(r, [1, 8]))],
            {"x": uniform(r, [2, 16])},
            "x [N,16] -> Transpose -> [16,N] -> Gemm transA=1 with w [16,8] and c [1,8]: y = xt.T @ w "
            "+ c. (The Transpose keeps the graph input batch-first.)")
    r = rng_for("gemm_no_c")
    op_case("gemm_no_c", 17, [helper.make_node("Gemm", ["x", "w"], ["y"])], [("x", ["N", 16])], ["y"],
            [init("w", uniform(r, [16, 8]) / 4)], {"x": uniform(r, [2, 16])},
            "Gemm with the optional C input omitted (2 inputs), default alpha/beta/trans.")


def pool_cases():
    def pool(name, opset, op, shape, notes, unknown_dims=None, **attrs):
        x = uniform(rng_for(name), shape)
        op_case(name, opset, [helper.make_node(op, ["x"], ["y"], **attrs)],
                [("x", ["N"] + shape[1:])], ["y"], [], {"x": x}, notes, unknown_dims=unknown_dims)

    pool("global_avgpool", 11, "GlobalAveragePool", [2, 8, 6, 6], "")
    pool("avgpool_s2_p1_cip0", 11, "AveragePool", [2, 3, 7, 9],
         "3x3 stride 2 pads 1, count_include_pad 0 (border windows divide by the number of real "
         "elements).", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=0)
    pool("avgpool_s2_p1_cip1", 13, "AveragePool", [2, 3, 7, 9],
         "3x3 stride 2 pads 1, count_include_pad 1 (always divide by 9).",
         kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=1)
    pool("avgpool_ceil", 17, "AveragePool", [2, 3, 8, 10],
         "3x3 stride 2 no pads, ceil_mode 1: 8x10 -> 4x5 (floor would give 3x4); the last "
         "window in each axis hangs over the edge and averages only its in-bounds elements.",
         kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)
    pool("avgpool_ceil_p1_cip1", 18, "AveragePool", [2, 3, 8, 10],
         "3x3 stride 2 pads 1, ceil_mode 1, count_include_pad 1: 8x10 -> 5x6. The last window "
         "runs past the padded extent; see the summary for how onnxruntime divides there.",
         kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1, count_include_pad=1)
    pool("maxpool_s2_p1", 11, "MaxPool", [2, 3, 8, 10],
         "3x3 stride 2 pads 1, ceil_mode 0: 8x10 -> 4x5.",
         kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    pool("maxpool_s2_p1_ceil", 13, "MaxPool", [2, 3, 8, 10],
         "3x3 stride 2 pads 1, ceil_mode 1: 8x10 -> 5x6 (floor mode gives 4x5).",
         kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1)
    pool("maxpool_ceil_edge", 18, "MaxPool", [2, 3, 5, 5],
         "2x2 stride 2 pads 1, ceil_mode 1 on 5x5: ceil((5+2-2)/2)+1 = 4, but the 4th window "
         "would start at index 5, inside the end padding, and onnxruntime drops it (as PyTorch "
         "does): output 3x3. onnx's shape inference (onnx 1.23) says 4x4, so the graph output "
         "declares H and W unknown.", unknown_dims={"y": (2, 3)},
         kernel_shape=[2, 2], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1)
    pool("maxpool_k2_s2", 21, "MaxPool", [2, 3, 7, 9],
         "2x2 stride 2, no pads, floor mode: 7x9 -> 3x4 (last row/column dropped).",
         kernel_shape=[2, 2], strides=[2, 2])
    # auto_pad SAME_* with count_include_pad 1: the implicit pads count in the divisor
    # (onnxruntime divides every window by kH*kW, as with explicit pads).
    for ap, low in (("SAME_UPPER", "upper"), ("SAME_LOWER", "lower")):
        pool("avgpool_same_%s_k3s2_cip1" % low, 13, "AveragePool", [2, 3, 8, 9],
             "3x3 stride 2, auto_pad %s, count_include_pad 1 on 8x9 -> 4x5: total pad H 1 "
             "(%s), W 2 (1 begin, 1 end); every window divides by 9, padding included." %
             (ap, "0 begin, 1 end" if low == "upper" else "1 begin, 0 end"),
             kernel_shape=[3, 3], strides=[2, 2], auto_pad=ap, count_include_pad=1)
        pool("avgpool_same_%s_k4s1_cip1" % low, 13, "AveragePool", [2, 3, 7, 9],
             "4x4 stride 1, auto_pad %s, count_include_pad 1 on 7x9 -> 7x9: total pad 3 per "
             "axis (%s); every window divides by 16, padding included." %
             (ap, "1 begin, 2 end" if low == "upper" else "2 begin, 1 end"),
             kernel_shape=[4, 4], strides=[1, 1], auto_pad=ap, count_include_pad=1)


def shape_cases():
    def one(name, opset, nodes, in_shape, notes, inits=(), out_batch_axes=None, unknown_dims=None):
        x = uniform(rng_for(name), in_shape)
        op_case(name, opset, nodes, [("x", ["N"] + list(in_shape[1:]))], ["y"], inits, {"x": x},
                notes, out_batch_axes=out_batch_axes, unknown_dims=unknown_dims)

    one("flatten_axis1", 11, [helper.make_node("Flatten", ["x"], ["y"], axis=1)], [2, 3, 4, 5],
        "Flatten axis 1 of NCHW [N,3,4,5] -> [N,60] in C order (channel-major: index c*20+h*5+w).")
    one("flatten_axis2", 13, [helper.make_node("Flatten", ["x"], ["y"], axis=2)], [2, 3, 4, 5],
        "Flatten axis 2: [N,3,4,5] -> [N*3, 20]; the output's first dim is N*3 (declared unknown).",
        out_batch_axes={"y": None}, unknown_dims={"y": (0,)})
    one("reshape_0_m1", 13, [helper.make_node("Reshape", ["x", "shape"], ["y"])], [2, 3, 4, 5],
        "Reshape with shape initializer [0,-1,5]: 0 copies the input dim (N), -1 is inferred "
        "(12) -> [N,12,5].", inits=[i64("shape", [0, -1, 5])])
    one("transpose_nhwc", 13, [helper.make_node("Transpose", ["x"], ["y"], perm=[0, 2, 3, 1])],
        [2, 3, 4, 5], "perm [0,2,3,1]: NCHW -> NHWC.")
    one("transpose_nchw", 17, [helper.make_node("Transpose", ["x"], ["y"], perm=[0, 3, 1, 2])],
        [2, 4, 5, 3], "perm [0,3,1,2]: NHWC -> NCHW.")
    one("transpose_rank3", 11, [helper.make_node("Transpose", ["x"], ["y"], perm=[2, 0, 1])],
        [2, 4, 5], "rank 3, perm [2,0,1]: [N,4,5] -> [5,N,4] (batch moves to axis 1).",
        out_batch_axes={"y": 1})
    one("transpose_default", 18, [helper.make_node("Transpose", ["x"], ["y"])], [2, 4, 5],
        "no perm attribute = reverse the axes: [N,4,5] -> [5,4,N].", out_batch_axes={"y": 2})
    one("squeeze_attr_op11", 11, [helper.make_node("Squeeze", ["x"], ["y"], axes=[2])], [2, 3, 1, 5],
        "Squeeze-11 axes attribute [2]: [N,3,1,5] -> [N,3,5].")
    one("unsqueeze_attr_op11", 11, [helper.make_node("Unsqueeze", ["x"], ["y"], axes=[1, -1])],
        [2, 3, 5], "Unsqueeze-11 axes attribute [1,-1] (negative axis counts in the OUTPUT rank 5): "
        "[N,3,5] -> [N,1,3,5,1].")
    one("squeeze_input_op13", 13, [helper.make_node("Squeeze", ["x", "axes"], ["y"])], [2, 3, 1, 1],
        "Squeeze-13 axes as an int64 input [-1,-2]: [N,3,1,1] -> [N,3].",
        inits=[i64("axes", [-1, -2])])
    one("unsqueeze_input_op13", 13, [helper.make_node("Unsqueeze", ["x", "axes"], ["y"])], [2, 6],
        "Unsqueeze-13 axes as an int64 input [2,3]: [N,6] -> [N,6,1,1].", inits=[i64("axes", [2, 3])])

    r = rng_for("concat_axis1")
    op_case("concat_axis1", 13, [helper.make_node("Concat", ["a", "b"], ["y"], axis=1)],
            [("a", ["N", 3, 4, 5]), ("b", ["N", 2, 4, 5])], ["y"], [],
            {"a": uniform(r, [2, 3, 4, 5]), "b": uniform(r, [2, 2, 4, 5])},
            "Concat axis 1 of [N,3,4,5] and [N,2,4,5] -> [N,5,4,5].")
    r = rng_for("concat_2d_last")
    op_case("concat_2d_last", 18, [helper.make_node("Concat", ["a", "b"], ["y"], axis=-1)],
            [("a", ["N", 3]), ("b", ["N", 5])], ["y"], [],
            {"a": uniform(r, [2, 3]), "b": uniform(r, [2, 5])},
            "Concat axis -1 of 2-D [N,3] and [N,5] -> [N,8].")

    one("softmax_op13_last", 13, [helper.make_node("Softmax", ["x"], ["y"], axis=-1)], [2, 10],
        "Softmax-13 axis -1 on [N,10]; input in [-1,1].")
    one("softmax_op11_default", 11, [helper.make_node("Softmax", ["x"], ["y"])], [2, 10],
        "Softmax-11, axis attribute absent (default 1) on [N,10].")
    one("softmax_op13_axis1_rank4", 13, [helper.make_node("Softmax", ["x"], ["y"], axis=1)],
        [2, 5, 3, 4], "Softmax-13 axis 1 on [N,5,3,4]: normalises over the 5 channels separately "
        "for each (n,h,w).")
    one("softmax_op11_axis1_rank4", 11, [helper.make_node("Softmax", ["x"], ["y"], axis=1)],
        [2, 5, 3, 4], "Softmax-11 axis 1 on [N,5,3,4]: opset < 13 COERCES the input to 2-D "
        "[N, 5*3*4] and normalises over all 60 values of each sample (differs from opset 13).")
    one("reducemean_keep", 13, [helper.make_node("ReduceMean", ["x"], ["y"], axes=[2, 3], keepdims=1)],
        [2, 4, 5, 6], "ReduceMean-13 axes attribute [2,3] keepdims 1 -> [N,4,1,1].")
    one("reducemean_nokeep", 13, [helper.make_node("ReduceMean", ["x"], ["y"], axes=[2, 3], keepdims=0)],
        [2, 4, 5, 6], "ReduceMean-13 axes attribute [2,3] keepdims 0 -> [N,4].")
    one("reducemean_axes_input_op18", 18, [helper.make_node("ReduceMean", ["x", "axes"], ["y"])],
        [2, 4, 5, 6], "ReduceMean-18 with axes as an int64 input [-1,-2] (keepdims default 1) -> "
        "[N,4,1,1].", inits=[i64("axes", [-1, -2])])

    one("pad_constant_zero", 11, [helper.make_node("Pad", ["x", "pads"], ["y"])], [2, 3, 4, 5],
        "Pad-11 mode constant (default), pads input [0,0,1,2, 0,0,2,1] (all begins then all ends: "
        "H +1 top +2 bottom, W +2 left +1 right), constant_value input absent -> 0.",
        inits=[i64("pads", [0, 0, 1, 2, 0, 0, 2, 1])])
    one("pad_constant_value", 13, [helper.make_node("Pad", ["x", "pads", "cv"], ["y"], mode="constant")],
        [2, 3, 4, 5], "Pad-13 constant mode with constant_value input 0.5 (scalar initializer), "
        "pads [0,0,1,1,0,0,1,1].", inits=[i64("pads", [0, 0, 1, 1, 0, 0, 1, 1]),
                                           init("cv", np.float32(0.5))])
    one("pad_reflect", 17, [helper.make_node("Pad", ["x", "pads"], ["y"], mode="reflect")], [2, 3, 4, 5],
        "Pad-13 semantics (opset 17) mode reflect, pads [0,0,1,2,0,0,2,1] (reflect excludes the "
        "edge value).", inits=[i64("pads", [0, 0, 1, 2, 0, 0, 2, 1])])
    one("pad_edge_axes_op18", 18, [helper.make_node("Pad", ["x", "pads", "", "axes"], ["y"], mode="edge")],
        [2, 3, 4, 5], "Pad-18 mode edge with the axes input [2,3]: pads [1,0,2,3] = "
        "[H begin, W begin, H end, W end]; constant_value omitted by an empty name.",
        inits=[i64("pads", [1, 0, 2, 3]), i64("axes", [2, 3])])


def resize_cases():
    def sizes_nodes(hw):
        """sizes = Concat(Shape(x)[0:2], [h, w]), as exporters build it."""
        return ([helper.make_node("Shape", ["x"], ["xs"]),
                 helper.make_node("Slice", ["xs", "s0", "s2"], ["nc"]),
                 helper.make_node("Concat", ["nc", "hw"], ["sizes"], axis=0)],
                [i64("s0", [0]), i64("s2", [2]), i64("hw", hw)])

    shape = [2, 3, 4, 5]

    def scales_case(name, scales, notes, **attrs):
        x = uniform(rng_for(name), shape)
        op_case(name, 13, [helper.make_node("Resize", ["x", "", "scales"], ["y"], **attrs)],
                [("x", ["N", 3, 4, 5])], ["y"], [init("scales", scales)], {"x": x},
                "Resize-13 by scales %s; roi input empty. %s" % (list(scales), notes))

    def sizes_case(name, hw, notes, **attrs):
        x = uniform(rng_for(name), shape)
        nodes, inits = sizes_nodes(hw)
        nodes.append(helper.make_node("Resize", ["x", "", "", "sizes"], ["y"], **attrs))
        op_case(name, 13, nodes, [("x", ["N", 3, 4, 5])], ["y"], inits, {"x": x},
                "Resize-13 by sizes [N,3,%d,%d] (sizes built from Shape(x)[0:2] ++ [%d,%d] so the "
                "batch stays dynamic; roi and scales inputs empty). %s" % (hw[0], hw[1], hw[0], hw[1], notes))

    scales_case("resize_linear_half_pixel", [1, 1, 2, 2], "mode linear, half_pixel: 4x5 -> 8x10.",
                mode="linear", coordinate_transformation_mode="half_pixel")
    scales_case("resize_linear_half_pixel_frac", [1, 1, 1.5, 1.7],
                "mode linear, half_pixel, non-integer scales: out = floor(4*1.5) x floor(5*1.7) = 6x8; "
                "the coordinate transform uses the GIVEN scale 1.7, not 8/5.",
                mode="linear", coordinate_transformation_mode="half_pixel")
    scales_case("resize_linear_half_pixel_down", [1, 1, 0.5, 0.6],
                "mode linear, half_pixel, downsampling 4x5 -> 2x3 (antialias off).",
                mode="linear", coordinate_transformation_mode="half_pixel")
    sizes_case("resize_linear_align_corners", [7, 9], "mode linear, align_corners: "
               "x_in = x_out*(in-1)/(out-1).", mode="linear",
               coordinate_transformation_mode="align_corners")
    scales_case("resize_linear_asymmetric", [1, 1, 2, 2.5], "mode linear, asymmetric: x_in = x_out/scale; "
                "out 8x12.", mode="linear", coordinate_transformation_mode="asymmetric")
    sizes_case("resize_linear_pytorch_half_pixel", [1, 8], "mode linear, pytorch_half_pixel: like "
               "half_pixel except that an output length of 1 maps to x_in = 0 (H here).",
               mode="linear", coordinate_transformation_mode="pytorch_half_pixel")
    scales_case("resize_nearest_asymmetric_floor", [1, 1, 2, 3], "mode nearest, asymmetric, "
                "nearest_mode floor (what the legacy PyTorch exporter emits for "
                "F.interpolate(mode='nearest')): 4x5 -> 8x15.", mode="nearest",
                coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    sizes_case("resize_nearest_half_pixel_rpf", [7, 8], "mode nearest, half_pixel, nearest_mode "
               "round_prefer_floor (these are the defaults, set explicitly): 4x5 -> 7x8.",
               mode="nearest", coordinate_transformation_mode="half_pixel",
               nearest_mode="round_prefer_floor")
    x = uniform(rng_for("resize_linear_axes_op18"), shape)
    op_case("resize_linear_axes_op18", 18,
            [helper.make_node("Resize", ["x", "", "", "sizes"], ["y"], axes=[2, 3], mode="linear")],
            [("x", ["N", 3, 4, 5])], ["y"], [i64("sizes", [6, 7])], {"x": x},
            "Resize-18 with the axes attribute [2,3] and sizes [6,7] for just those axes; "
            "coordinate_transformation_mode default half_pixel.")

    # Resize-10 (inputs X, scales; attribute mode only): asymmetric coordinates
    # x_in = x_out / scale, no half-pixel offset. onnxruntime's opset-10 nearest takes, per
    # axis, floor(x_in) when that axis is upscaled and ceil(x_in) when it is downscaled.
    def op10_case(name, scales, mode, notes):
        x = uniform(rng_for(name), [2, 3, 6, 7])
        op_case(name, 10, [helper.make_node("Resize", ["x", "scales"], ["y"], mode=mode)],
                [("x", ["N", 3, 6, 7])], ["y"], [init("scales", scales)], {"x": x},
                "Resize-10 mode %s by scales %s on 6x7 (opset-10 semantics: asymmetric "
                "coordinates x_in = x_out/scale). %s" % (mode, list(scales), notes))

    op10_case("resize_op10_linear_up2", [1, 1, 2, 2], "linear",
              "6x7 -> 12x14; x_in clamped to in-1 at the end.")
    op10_case("resize_op10_linear_down", [1, 1, 0.5, 0.6], "linear",
              "6x7 -> 3x4 (H 0.5, W 0.6: x_in = x_out/0.6, not an integer step); no antialias.")
    op10_case("resize_op10_nearest_up_1p7", [1, 1, 1.7, 1.7], "nearest",
              "6x7 -> 10x11; onnxruntime takes floor(x_out/1.7) (not round, not half_pixel).")
    op10_case("resize_op10_nearest_down_0p7", [1, 1, 0.7, 0.7], "nearest",
              "6x7 -> 4x4; onnxruntime takes ceil(x_out/0.7) when downscaling (indices 0,2,3,5).")
    op10_case("resize_op10_nearest_mixed", [1, 1, 2.5, 0.6], "nearest",
              "6x7 -> 15x4: H upscaled (floor(x_out/2.5)), W downscaled (ceil(x_out/0.6)); "
              "onnxruntime chooses floor or ceil per axis.")


def misc_cases():
    def one(name, opset, nodes, in_shape, notes, inits=()):
        x = uniform(rng_for(name), in_shape)
        op_case(name, opset, nodes, [("x", ["N"] + list(in_shape[1:]))], ["y"], inits, {"x": x}, notes)

    one("identity", 13, [helper.make_node("Identity", ["x"], ["y"])], [2, 3, 4, 5], "")
    one("dropout_inference", 13, [helper.make_node("Dropout", ["x", "ratio"], ["y"])], [2, 3, 4, 5],
        "Dropout-13 with ratio input 0.5 and no training_mode input -> inference -> identity.",
        inits=[init("ratio", np.float32(0.5))])
    one("dropout_op11", 11, [helper.make_node("Dropout", ["x"], ["y"], ratio=0.3)], [2, 6],
        "Dropout-10 semantics (opset 11) with ratio attribute 0.3 -> identity at inference.")
    r = rng_for("cast_f16_add")
    h = uniform(r, [3, 1, 1]).astype(np.float16)
    one("cast_f16_add", 13, [helper.make_node("Cast", ["h"], ["hf"], to=TensorProto.FLOAT),
                             helper.make_node("Add", ["x", "hf"], ["y"])], [2, 3, 4, 5],
        "float16 [3,1,1] initializer (raw_data) -> Cast(to=FLOAT) -> Add with x.",
        inits=[numpy_helper.from_array(h, "h")])
    cval = uniform(rng_for("constant_value_tensor"), [3, 1, 1])
    one("constant_value_tensor", 13,
        [helper.make_node("Constant", [], ["c"], value=numpy_helper.from_array(cval, "c_value")),
         helper.make_node("Mul", ["x", "c"], ["y"])], [2, 3, 4, 5],
        "Constant node with a 'value' tensor attribute [3,1,1] (raw_data) -> Mul.")
    one("constant_value_float", 13,
        [helper.make_node("Constant", [], ["c"], value_float=0.25),
         helper.make_node("Add", ["x", "c"], ["y"])], [2, 3, 4, 5],
        "Constant node with value_float 0.25 (a rank-0 tensor) -> Add.")
    one("constant_value_floats", 18,
        [helper.make_node("Constant", [], ["c"], value_floats=[0.5, -1.0, 2.0, 0.0, 1.5, -0.25]),
         helper.make_node("Mul", ["x", "c"], ["y"])], [2, 6],
        "Constant node with value_floats (a 1-D [6] tensor) -> Mul with [N,6].")
    one("shape_chain_view", 13,
        [helper.make_node("Shape", ["x"], ["s"]),
         helper.make_node("Constant", [], ["i0"], value=numpy_helper.from_array(np.array(0, np.int64), "i0v")),
         helper.make_node("Gather", ["s", "i0"], ["n"], axis=0),
         helper.make_node("Constant", [], ["ax0"], value=numpy_helper.from_array(np.array([0], np.int64), "ax0v")),
         helper.make_node("Unsqueeze", ["n", "ax0"], ["n1"]),
         helper.make_node("Constant", [], ["m1"], value=numpy_helper.from_array(np.array([-1], np.int64), "m1v")),
         helper.make_node("Concat", ["n1", "m1"], ["shape"], axis=0),
         helper.make_node("Reshape", ["x", "shape"], ["y"])], [2, 3, 4, 5],
        "x.view(x.size(0), -1) as the legacy exporter writes it: Shape -> Gather(indices 0, a rank-0 "
        "int64 Constant, so the result is a scalar) -> Unsqueeze(axes input [0]) -> Concat with "
        "Constant [-1] -> Reshape. [N,3,4,5] -> [N,60]. int64 tensors only on the shape path.")
    one("shape_chain_view_op11", 11,
        [helper.make_node("Shape", ["x"], ["s"]),
         helper.make_node("Gather", ["s", "i0"], ["n"], axis=0),
         helper.make_node("Unsqueeze", ["n"], ["n1"], axes=[0]),
         helper.make_node("Concat", ["n1", "m1"], ["shape"], axis=0),
         helper.make_node("Reshape", ["x", "shape"], ["y"])], [2, 3, 4, 5],
        "same chain at opset 11: Gather index and [-1] are int64 initializers, Unsqueeze uses the "
        "axes attribute.", inits=[i64("i0", np.array(0)), i64("m1", [-1])])

    # Cast through bfloat16: onnxruntime rounds float32 -> bfloat16 to nearest, ties to even
    # (truncating the low 16 bits is off by up to one bfloat16 ulp; x50 makes that 0.2-0.8).
    r = rng_for("cast_bf16_roundtrip")
    ties = np.array([0x3F808000, 0x3F818000, 0xBF808000, 0xBF818000,   # +-(1 + 2^-8), +-(1 + 3*2^-8)
                     0x40A08000, 0x40A18000, 0x3F808001, 0x3F807FFF,   # 5 + tie, 5 + tie (odd); tie +- 1 bit
                     0x3F80FFFF, 0x40490FDB, 0xC0490FDB, 0x3EAAAAAB,   # 1.0078, pi, -pi, 1/3
                     0x3F7FFFFF, 0x3F800000, 0x00000000, 0x41C8C000],  # 1 - ulp (rounds up to 1), 1, 0, 25.09375
                    np.uint32).view(np.float32)
    x = np.stack([ties, uniform(r, [16], -4, 4)])
    op_case("cast_bf16_roundtrip", 13,
            [helper.make_node("Cast", ["x"], ["h"], to=TensorProto.BFLOAT16),
             helper.make_node("Cast", ["h"], ["b"], to=TensorProto.FLOAT),
             helper.make_node("Sub", ["b", "x"], ["d"]),
             helper.make_node("Mul", ["d", "k"], ["y"])],
            [("x", ["N", 16])], ["y"], [init("k", np.float32(50))], {"x": x},
            "y = (Cast(Cast(x, to=BFLOAT16), to=FLOAT) - x) * 50. onnxruntime rounds float32 to "
            "bfloat16 to nearest, ties to even (it does not truncate the low 16 bits): row 0 holds "
            "exact ties (1 + 2^-8 -> 1, 1 + 3*2^-8 -> 1 + 2^-6, both signs, and at 5), values one bit "
            "either side of a tie, pi, 1/3, 1 - 2^-24 (-> 1); row 1 is random in [-4,4]. "
            "Truncation would differ by up to one bfloat16 ulp (x50: 0.2-0.8).")

    # Narrowing integer Cast: onnxruntime wraps modulo 2^8 (two's complement), it does not
    # saturate; float -> int64 truncates toward zero.
    r = rng_for("cast_int64_narrow")
    vals = np.array([300, -1, 200, -200, 255.9, -0.5, 1000.7, -129,
                     128, 256, 511, -300, 127.99, -128.5, 0.99, 65535], np.float32)
    x = np.stack([vals, uniform(r, [16], -1000, 1000)])
    for to, tname, low, expect in ((TensorProto.UINT8, "UINT8", "uint8",
                                    "300 -> 44, -1 -> 255, -200 -> 56, 255.9 -> 255, 1000.7 -> 232, "
                                    "-129 -> 127, 256 -> 0, -300 -> 212, 65535 -> 255"),
                                   (TensorProto.INT8, "INT8", "int8",
                                    "300 -> 44, 200 -> -56, -200 -> 56, 255.9 -> -1, 1000.7 -> -24, "
                                    "-129 -> 127, 128 -> -128, -128.5 -> -128, 65535 -> -1")):
        name = "cast_int64_to_%s_wrap" % low
        op_case(name, 13,
                [helper.make_node("Cast", ["x"], ["i"], to=TensorProto.INT64),
                 helper.make_node("Cast", ["i"], ["n"], to=to),
                 helper.make_node("Cast", ["n"], ["y"], to=TensorProto.FLOAT)],
                [("x", ["N", 16])], ["y"], [], {"x": x},
                "y = Cast(Cast(Cast(x, to=INT64), to=%s), to=FLOAT). float -> int64 truncates "
                "toward zero; onnxruntime's int64 -> %s keeps the low 8 bits (wraps modulo 256, "
                "two's complement; no saturation): %s. Row 0 holds those values, row 1 is random "
                "in [-1000,1000]." % (tname, low, expect))

    # Slice with a negative step whose start and end lie far below -dim: start -1000 + 5 is
    # clamped to 0, end -2000 + 5 to -1 (before the first element), so each row keeps x[..., 0].
    one("slice_neg_step_far_negative_start", 13,
        [helper.make_node("Slice", ["x", "starts", "ends", "axes", "steps"], ["y"])], [2, 3, 4, 5],
        "Slice axes [3] starts [-1000] ends [-2000] steps [-1] on [N,3,4,5]: for a negative step "
        "the start is clamped to [0, dim-1] (-995 -> 0) and the end to [-1, dim-1] (-1995 -> -1), "
        "so onnxruntime returns one element per row, x[..., 0:1]: [N,3,4,1].",
        inits=[i64("starts", [-1000]), i64("ends", [-2000]), i64("axes", [3]), i64("steps", [-1])])


def encoding_cases():
    def conv_model(name, w_tensor, b_tensor, opset, notes, save_external=None):
        x = uniform(rng_for(name), [2, 3, 6, 7])
        op_case(name, opset, [helper.make_node("Conv", ["x", "W", "B"], ["y"], kernel_shape=[3, 3],
                                               pads=[1, 1, 1, 1])],
                [("x", ["N", 3, 6, 7])], ["y"], [w_tensor, b_tensor], {"x": x}, notes,
                save_external=save_external)

    r = rng_for("weights_conv")
    w = (uniform(r, [4, 3, 3, 3]) / np.sqrt(27)).astype(np.float32)
    b = uniform(r, [4], -0.5, 0.5)
    conv_model("init_float_data",
               helper.make_tensor("W", TensorProto.FLOAT, w.shape, w.flatten().tolist(), raw=False),
               helper.make_tensor("B", TensorProto.FLOAT, b.shape, b.tolist(), raw=False), 13,
               "Conv whose float32 initializers are stored in the typed float_data field (no raw_data).")
    conv_model("init_raw_data", numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B"), 13,
               "the same Conv with float32 initializers in raw_data (little-endian bytes).")
    conv_model("external_data", numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B"), 17,
               "the same Conv saved with onnx.save_model(save_as_external_data=True, "
               "all_tensors_to_one_file=True, location='external_data.weights', size_threshold=0): "
               "W and B have data_location EXTERNAL with external_data entries location/offset/length "
               "into ops/external_data.weights (W: offset 0, length 432; B: offset 432, length 16; no "
               "alignment padding).",
               save_external="external_data.weights")

    h = uniform(rng_for("f16_values"), [3, 1, 1]).astype(np.float16)
    t_raw = numpy_helper.from_array(h, "h")
    t_i32 = TensorProto()
    t_i32.name = "h"
    t_i32.data_type = TensorProto.FLOAT16
    t_i32.dims.extend(h.shape)
    t_i32.int32_data.extend(int(v) for v in h.flatten().view(np.uint16))
    for name, t, how in [("init_f16_raw_data", t_raw, "raw_data (2 bytes per value, little-endian)"),
                         ("init_f16_int32_data", t_i32, "the typed int32_data field, one int32 per "
                          "value holding the 16 IEEE half bits (no raw_data)")]:
        x = uniform(rng_for(name), [2, 3, 4, 5])
        op_case(name, 13, [helper.make_node("Cast", ["h"], ["hf"], to=TensorProto.FLOAT),
                           helper.make_node("Mul", ["x", "hf"], ["y"])],
                [("x", ["N", 3, 4, 5])], ["y"], [t], {"x": x},
                "float16 [3,1,1] initializer in %s -> Cast(to=FLOAT) -> Mul with x. Values %s." %
                (how, [float(v) for v in h.flatten()]))


# --------------------------------------------------------------------------
# malformed files


def malformed_files():
    d = os.path.join(OUT, "malformed")

    def add(fname, problem):
        path = os.path.join(d, fname)
        try:
            session(path)
            behaviour = "onnxruntime LOADS it"
        except Exception as e:  # noqa: BLE001
            msg = str(e).split("\n")[0]
            msg = msg.replace(OUT + "/", "")
            behaviour = "onnxruntime: %s: %s" % (type(e).__name__, msg[:220])
        MALFORMED.append({"file": "malformed/" + fname, "problem": problem})
        EXTRA_NOTES.append("malformed/%s -> %s" % (fname, behaviour))

    with open(os.path.join(OUT, "ops", "conv_basic.onnx"), "rb") as f:
        data = f.read()
    with open(os.path.join(d, "truncated.onnx"), "wb") as f:
        f.write(data[:len(data) // 2])
    add("truncated.onnx", "the first half (%d of %d bytes) of ops/conv_basic.onnx: the protobuf "
        "ends inside a field" % (len(data) // 2, len(data)))

    m = onnx.load(os.path.join(OUT, "ops", "external_data.onnx"), load_external_data=False)
    for t in m.graph.initializer:
        for e in t.external_data:
            if e.key == "location":
                e.value = "missing_external.weights"
    onnx.save_model(m, os.path.join(d, "missing_external.onnx"))
    add("missing_external.onnx", "a copy of ops/external_data.onnx whose initializers point at "
        "'missing_external.weights', which does not exist")

    w = TensorProto()
    w.name = "W"
    w.data_type = TensorProto.FLOAT
    w.dims.extend([4, 3, 3, 3])
    w.raw_data = bytes(range(100))
    g = helper.make_graph([helper.make_node("Conv", ["x", "W"], ["y"], kernel_shape=[3, 3])],
                          "wrong_initializer_size", [vinfo("x", ["N", 3, 7, 9])],
                          [vinfo("y", ["N", 4, 5, 7])], initializer=[w])
    onnx.save_model(opset_model(g, 13), os.path.join(d, "wrong_initializer_size.onnx"))
    add("wrong_initializer_size.onnx", "Conv weight W declares dims [4,3,3,3] (108 float32 = 432 "
        "bytes) but raw_data holds 100 bytes")

    g = helper.make_graph([helper.make_node("Relu", ["x"], ["r"]),
                           helper.make_node("FancyOp", ["r"], ["y"], domain="")],
                          "unknown_op", [vinfo("x", ["N", 4])], [vinfo("y", ["N", 4])])
    onnx.save_model(opset_model(g, 13), os.path.join(d, "unknown_op.onnx"))
    add("unknown_op.onnx", "node op_type 'FancyOp' in the default domain '' (not an ONNX operator)")

    with open(os.path.join(d, "not_onnx.onnx"), "w") as f:
        f.write("This is not an ONNX model, just a small text file.\n")
    add("not_onnx.onnx", "a plain text file")

    big = TensorProto()
    big.name = "W"
    big.data_type = TensorProto.FLOAT
    big.dims.extend([100000, 100000, 100000])
    big.raw_data = bytes(16)
    g = helper.make_graph([helper.make_node("ReduceMax", ["W"], ["wmax"], keepdims=0),
                           helper.make_node("Add", ["x", "wmax"], ["y"])], "huge_dims",
                          [vinfo("x", ["N", 4])], [vinfo("y", ["N", 4])], initializer=[big])
    onnx.save_model(opset_model(g, 13), os.path.join(d, "huge_dims.onnx"))
    add("huge_dims.onnx", "initializer W declares dims [100000,100000,100000] (1e15 elements, 4e15 "
        "bytes; the element count overflows int32) with only 16 bytes of raw_data; the graph is "
        "y = x + ReduceMax(W) so shapes are consistent and only the data size is wrong")

    g = helper.make_graph([helper.make_node("Add", ["x", "b"], ["y"], broadcast=1, axis=1)],
                          "op6_add_legacy_broadcast", [vinfo("x", ["N", 3, 4, 3]), vinfo("b", [3])],
                          [vinfo("y", ["N", 3, 4, 3])],
                          initializer=[init("b", uniform(rng_for("op6_add_legacy_broadcast"), [3]))])
    onnx.save_model(opset_model(g, 6), os.path.join(d, "op6_add_legacy_broadcast.onnx"))
    add("op6_add_legacy_broadcast.onnx", "opset-6 Add with the legacy attributes broadcast=1, "
        "axis=1: b [3] is aligned with axis 1 of x [N,3,4,3] (channels), not with the last axis "
        "as numpy broadcasting would (W is also 3, so numpy rules would run and give other "
        "numbers). IR version 3, so b is also listed as a graph input, as that IR requires; "
        "onnx.checker accepts the model. onnxruntime has no kernel for Add-6")

    g = helper.make_graph([helper.make_node("MaxPool", ["x"], ["p", "idx"], kernel_shape=[2, 2],
                                            strides=[2, 2]),
                           helper.make_node("Cast", ["idx"], ["f"], to=TensorProto.FLOAT),
                           helper.make_node("Add", ["p", "f"], ["y"])],
                          "maxpool_indices_used", [vinfo("x", ["N", 3, 8, 10])],
                          [vinfo("y", ["N", 3, 4, 5])])
    onnx.save_model(opset_model(g, 13), os.path.join(d, "maxpool_indices_used.onnx"))
    add("maxpool_indices_used.onnx", "MaxPool-12 with its second output Indices (int64 flat "
        "indices into the input) consumed by a later node: Cast(to=FLOAT) -> Add to the pooled "
        "values. onnxruntime loads and runs it; an engine that computes only the pooled values "
        "must refuse it at load rather than give wrong numbers")


# --------------------------------------------------------------------------
# PyTorch networks


def ops_of(model_path):
    m = onnx.load(model_path, load_external_data=False)
    ops = set(n.op_type if n.domain in ("", "ai.onnx") else n.domain + "::" + n.op_type
              for n in m.graph.node)
    return sorted(ops), model_opsets(model_path), len(m.graph.node), len(m.graph.initializer), len(m.functions)


def prepare_torch_model(model, seed):
    """Random BatchNorm parameters and data-calibrated, jittered running stats
    (so BN is not identity and activations stay O(1)); the last classifier
    layer re-initialised so the logits are O(1)."""
    import torch
    import torch.nn as nn
    g = torch.Generator().manual_seed(seed + 1)
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    with torch.no_grad():
        for bn in bns:
            c = bn.num_features
            bn.weight.copy_(torch.rand(c, generator=g) + 0.5)          # [0.5, 1.5)
            bn.bias.copy_((torch.rand(c, generator=g) - 0.5) * 0.4)    # [-0.2, 0.2)
            bn.reset_running_stats()
            bn.momentum = None  # cumulative average over the calibration batch
        model.train()
        calib = torch.rand(8, 3, 96, 96, generator=g) * 2 - 1
        model(calib)
        model.eval()
        for bn in bns:
            c = bn.num_features
            bn.running_mean.add_((torch.rand(c, generator=g) - 0.5) * 0.2)
            bn.running_var.mul_(torch.rand(c, generator=g) * 0.5 + 0.75)
            bn.momentum = 0.1
        last = [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))][-1]
        last.weight.copy_(torch.randn(last.weight.shape, generator=g))
        last.bias.zero_()
        # scale so that the largest |logit| on the calibration batch is 3
        peak = float(model(calib).abs().max())
        last.weight.mul_(3.0 / peak)
        last.bias.copy_((torch.rand(last.bias.shape, generator=g) - 0.5) * 0.2)
    return model.eval()


class _ResNetStyle:
    """built lazily so torch is imported only when needed"""

    @staticmethod
    def build():
        import torch.nn as nn
        from torchvision.models.resnet import BasicBlock

        def stage(cin, cout, stride):
            down = None
            if stride != 1 or cin != cout:
                down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False),
                                     nn.BatchNorm2d(cout))
            return BasicBlock(cin, cout, stride=stride, downsample=down)

        class ResNetStyle(nn.Module):
            def __init__(self, num_classes=2):
                super().__init__()
                self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False),
                                          nn.BatchNorm2d(16), nn.ReLU(inplace=True),
                                          nn.MaxPool2d(3, stride=2, padding=1))
                self.layer1 = stage(16, 16, 1)
                self.layer2 = stage(16, 32, 2)
                self.layer3 = stage(32, 64, 2)
                self.layer4 = stage(64, 128, 2)
                self.avgpool = nn.AdaptiveAvgPool2d(1)
                self.fc = nn.Linear(128, num_classes)
                for m in self.modules():
                    if isinstance(m, nn.Conv2d):
                        nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

            def forward(self, x):
                x = self.stem(x)
                x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
                x = self.avgpool(x)
                x = x.flatten(1)
                return self.fc(x)

        return ResNetStyle()


def torch_networks():
    import torch
    import torchvision
    from torchvision.models import efficientnet, mobilenetv3

    torch.set_num_threads(1)
    x_np = uniform(rng_for("network_input_96"), [2, 3, 96, 96])

    def build(which):
        torch.manual_seed(0)
        if which == "mobilenet_v2":
            m = torchvision.models.mobilenet_v2(width_mult=0.35, num_classes=2)
        elif which == "mobilenet_v3_small":
            setting, last = mobilenetv3._mobilenet_v3_conf("mobilenet_v3_small", width_mult=0.5)
            m = mobilenetv3.MobileNetV3(setting, last, num_classes=2)
        elif which == "resnet_style":
            m = _ResNetStyle.build()
        elif which == "squeezenet1_1":
            m = torchvision.models.squeezenet1_1(num_classes=2)
        elif which == "efficientnet_b0_small":
            setting, last = efficientnet._efficientnet_conf("efficientnet_b0", width_mult=0.25,
                                                            depth_mult=0.25)
            m = efficientnet.EfficientNet(setting, dropout=0.2, num_classes=2, last_channel=last)
        else:
            raise ValueError(which)
        return prepare_torch_model(m, seed=0)

    specs = [
        ("mobilenet_v2", "mobilenet_v2", "legacy", 13,
         "torchvision mobilenet_v2(width_mult=0.35, num_classes=2)"),
        ("mobilenet_v3_small", "mobilenet_v3_small", "legacy", 17,
         "torchvision MobileNetV3(*_mobilenet_v3_conf('mobilenet_v3_small', width_mult=0.5), "
         "num_classes=2)"),
        ("mobilenet_v3_small_dynamo", "mobilenet_v3_small", "dynamo", 18,
         "the same mobilenet_v3_small (same weights) through the dynamo exporter"),
        ("resnet_style", "resnet_style", "legacy", 11,
         "own ResNet-style net: stem Conv3x3/2(16)+BN+ReLU+MaxPool3x3/2 pad 1, one "
         "torchvision BasicBlock per stage at widths 16/32/64/128 (strides 1/2/2/2, 1x1-conv+BN "
         "downsample), AdaptiveAvgPool2d(1), flatten, Linear(128,2)"),
        ("squeezenet1_1", "squeezenet1_1", "legacy", 12,
         "torchvision squeezenet1_1(num_classes=2) (MaxPool2d ceil_mode=True, Fire modules with "
         "Concat; classifier Conv1x1+ReLU+AdaptiveAvgPool)"),
        ("efficientnet_b0_small", "efficientnet_b0_small", "legacy", 14,
         "torchvision EfficientNet(*_efficientnet_conf('efficientnet_b0', width_mult=0.25, "
         "depth_mult=0.25), dropout=0.2, num_classes=2) (SiLU, squeeze-excite with SiLU/Sigmoid, "
         "stochastic depth inactive in eval)"),
    ]
    for name, which, kind, opset, desc in specs:
        model = build(which)
        nparams = sum(p.numel() for p in model.parameters())
        with torch.no_grad():
            ref_torch = model(torch.from_numpy(x_np)).numpy()
        rel = "nets/%s.onnx" % name
        path = os.path.join(OUT, rel)
        xt = torch.from_numpy(x_np)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if kind == "legacy":
                    torch.onnx.export(model, (xt,), path, dynamo=False, opset_version=opset,
                                      input_names=["input"], output_names=["logits"],
                                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
                    exporter = "torch.onnx.export (legacy, opset %d)" % opset
                else:
                    buf = io.StringIO()
                    old = sys.stdout
                    sys.stdout = buf
                    try:
                        torch.onnx.export(model, (xt,), path, dynamo=True, opset_version=opset,
                                          external_data=False, input_names=["input"],
                                          output_names=["logits"],
                                          dynamic_shapes=({0: torch.export.Dim("N", min=1, max=1024)},))
                    finally:
                        sys.stdout = old
                    exporter = "torch.onnx.export (dynamo, opset %d)" % opset
        except Exception as e:  # noqa: BLE001
            SKIPPED.append((name, "%s exporter failed: %s: %s" % (kind, type(e).__name__, str(e)[:300])))
            if os.path.exists(path):
                os.remove(path)
            continue
        ops, opsets, nnodes, ninit, nfunc = ops_of(path)
        OPLISTS.append((name, opsets, ops))
        nbn = sum(1 for mod in model.modules() if isinstance(mod, torch.nn.BatchNorm2d))
        om = onnx.load(path)
        init_names = {t.name for t in om.graph.initializer}
        n_id_init = sum(1 for n in om.graph.node if n.op_type == "Identity" and n.input[0] in init_names)
        extra = ""
        if nbn and "BatchNormalization" not in ops:
            extra += (" The exporter folded all %d eval-mode BatchNorm2d layers into the preceding "
                      "Conv weights/biases (no BatchNormalization node)." % nbn)
        if n_id_init:
            extra += (" %d Identity nodes take an initializer as input (the exporter de-duplicates "
                      "equal initializers, e.g. all-zero biases, this way)." % n_id_init)
        if kind == "dynamo":
            extra += (" Dynamo graph: Conv nodes carry auto_pad='NOTSET' plus explicit pads; "
                      "AdaptiveAvgPool becomes ReduceMean(axes input [-1,-2], keepdims 1); flatten "
                      "becomes Reshape(shape [-1, C], allowzero=1); Gemm lists all attributes.")
        bn_text = ("BatchNorm weight/bias random, running stats from a calibration batch then "
                   "jittered" if nbn else "no BatchNorm layers")
        notes = ("%s. %d parameters, random init (torch.manual_seed(0)); %s; last layer "
                 "re-initialised and scaled so the logits are O(1) (max 3 on the calibration "
                 "batch). Input 'input' [N,3,96,96] NCHW float32 in [-1,1]; output 'logits' [N,2] "
                 "(no softmax). All PyTorch networks share the input file data/torch_nets.input.f32. "
                 "Graph: %d nodes, %d initializers; opset imports %s; op types %s.%s" %
                 (desc, nparams, bn_text, nnodes, ninit,
                  ", ".join("%s %d" % (d or "ai.onnx", v) for d, v in opsets), ops, extra))
        record_case(name, "network", rel, exporter, NET_TOL, {"input": x_np}, notes,
                    torch_ref={"logits": ref_torch},
                    input_files={"input": "data/torch_nets.input.f32"})
        SUMMARY[-1]["params"] = nparams


# --------------------------------------------------------------------------
# skl2onnx


def sklearn_networks():
    import skl2onnx
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.linear_model import LogisticRegression

    rng = rng_for("sklearn_train")
    imgs = rng.uniform(0, 1, size=(400, 8, 8, 3)).astype(np.float32)
    # make the classes depend on the pixels: channel means with noise
    means = imgs.mean(axis=(1, 2))  # [400, 3] (R, G, B)
    noise = rng.normal(0, 0.01, size=means.shape)
    X = imgs.reshape(400, 192)  # HWC row-major flattening
    y2 = (means[:, 0] + noise[:, 0] > means[:, 2] + noise[:, 2]).astype(np.int64)
    y3 = np.argmax(means + noise, axis=1).astype(np.int64)
    test = uniform(rng_for("sklearn_test"), [2, 8, 8, 3], 0.0, 1.0).reshape(2, 192)

    for name, yy in [("logreg_binary", y2), ("logreg_3class", y3)]:
        clf = LogisticRegression(max_iter=2000, C=1.0)
        clf.fit(X, yy)
        onx = convert_sklearn(clf, initial_types=[("input", FloatTensorType([None, 192]))],
                              options={id(clf): {"zipmap": False}})
        # give the (unnamed) dynamic batch dim a name, as every fixture model has one
        for vi in list(onx.graph.input) + list(onx.graph.output):
            d0 = vi.type.tensor_type.shape.dim[0]
            if not d0.HasField("dim_value") and not d0.HasField("dim_param"):
                d0.dim_param = "N"
        onx.graph.name = name  # skl2onnx uses a random uuid here
        rel = "nets/%s.onnx" % name
        path = os.path.join(OUT, rel)
        onnx.save_model(onx, path)
        node_desc = []
        for n in onx.graph.node:
            attrs = []
            for a in n.attribute:
                v = helper.get_attribute_value(a)
                if a.name == "coefficients":
                    v = "%d floats (class-major: [n_classes_in_attr, 192])" % len(v)
                elif isinstance(v, bytes):
                    v = v.decode()
                elif isinstance(v, list) and v and isinstance(v[0], float):
                    v = [round(float(t), 6) for t in v]
                attrs.append("%s=%s" % (a.name, v))
            node_desc.append("%s(%s) %s -> %s [%s]" % (n.op_type, n.domain or "ai.onnx", list(n.input),
                                                       list(n.output), ", ".join(attrs)))
        ops, opsets, _, _, _ = ops_of(path)
        OPLISTS.append((name, opsets, ops))
        proba = clf.predict_proba(test)
        ncls = len(clf.classes_)
        notes = ("sklearn LogisticRegression(lbfgs, C=1, max_iter=2000) fitted on 400 random 8x8x3 "
                 "images in [0,1] (%d classes from channel means), converted by skl2onnx %s with "
                 "zipmap False (default target opset). Input 'input' [N,192] = an 8x8x3 HWC image "
                 "flattened row-major (index = (h*8+w)*3+c). Outputs: 'probabilities' [N,%d] float32; "
                 "'label' [N] is int64 in the model and is stored here as float32. opset_import as "
                 "written: %s (skl2onnx lists domain '' twice). The batch dim was unnamed and was set "
                 "to dim_param 'N' and the graph's random uuid name replaced by the case name after "
                 "conversion. Nodes: %s" %
                 (ncls, skl2onnx.__version__, ncls,
                  [(o.domain or "ai.onnx", o.version) for o in onx.opset_import], "; ".join(node_desc)))
        refs = record_case(name, "network", rel, "skl2onnx", NET_TOL, {"input": test}, notes,
                           torch_ref={"probabilities": proba.astype(np.float32)})
        EXTRA_NOTES.append("%s nodes: %s" % (name, " | ".join(node_desc)))
        EXTRA_NOTES.append("%s: numpy re-implementation of the graph vs onnxruntime: %s" %
                           (name, check_linear_classifier(onx, test, refs)))


def check_linear_classifier(onx, X, refs):
    """Re-implement skl2onnx's LinearClassifier (+ Normalizer) graph in numpy:
    scores = X @ coefficients.reshape(n, F).T + intercepts; post_transform
    applied per row; label = classlabels_ints[argmax(scores)]."""
    out = {}
    t = X.astype(np.float64)
    label = None
    for n in onx.graph.node:
        a = {x.name: helper.get_attribute_value(x) for x in n.attribute}
        if n.op_type == "LinearClassifier":
            coef = np.asarray(a["coefficients"], np.float64)
            k = len(a["intercepts"])
            scores = t @ coef.reshape(k, -1).T + np.asarray(a["intercepts"], np.float64)
            pt = a.get("post_transform", b"NONE").decode()
            if pt == "LOGISTIC":
                p = 1.0 / (1.0 + np.exp(-scores))
            elif pt == "SOFTMAX":
                e = np.exp(scores - scores.max(axis=1, keepdims=True))
                p = e / e.sum(axis=1, keepdims=True)
            else:
                p = scores
            label = np.asarray(a["classlabels_ints"])[np.argmax(scores, axis=1)]
            out[n.output[1]] = p
            t = p
        elif n.op_type == "Normalizer":
            assert helper.get_attribute_value(n.attribute[0]) == b"L1"
            v = out[n.input[0]]
            out[n.output[0]] = v / np.abs(v).sum(axis=1, keepdims=True)
    prob = out["probabilities"]
    return ("max|probabilities diff| %.2e, labels equal: %s" %
            (max_abs_diff(prob, refs[1]), bool(np.array_equal(label, refs[0]))))


# --------------------------------------------------------------------------
# tf2onnx


TF2ONNX_SNIPPET = r"""
import sys, numpy as np
if not hasattr(np, "product"):
    np.product = np.prod  # tf2onnx 1.17.0's tfjs reader still calls np.product
import tf2onnx, tf2onnx.convert, tensorflow as tf
print("VERSIONS", tf2onnx.__version__, tf.__version__, flush=True)
sys.argv = ["tf2onnx.convert"] + sys.argv[1:]
tf2onnx.convert.main()
"""


def canonicalize_tf2onnx(m):
    """Stable names for the initializers that tf2onnx names itself (its
    const-folded / de-duplicated constants get a different '__<id>' suffix, and
    a different one of several equal constants is kept, from run to run);
    initializers named after TensorFlow tensors keep their names."""
    import re
    gen = re.compile(r"__\d+$")
    small = {t.name for t in m.graph.initializer
             if int(np.prod(t.dims)) <= 16 or gen.search(t.name)}
    order = []
    for n in m.graph.node:
        for i in n.input:
            if i in small and i not in order:
                order.append(i)
    for i in sorted(small):
        if i not in order:
            order.append(i)
    ren = {old: "tf2onnx_const_%d" % k for k, old in enumerate(order)}
    for t in m.graph.initializer:
        if t.name in ren:
            t.name = ren[t.name]
    for n in m.graph.node:
        for k, i in enumerate(n.input):
            if i in ren:
                n.input[k] = ren[i]
    # sort initializers by their new names for a stable order
    inits = sorted(m.graph.initializer, key=lambda t: t.name)
    del m.graph.initializer[:]
    m.graph.initializer.extend(inits)
    return m


def demo_torch_network():
    """The demo's trained PyTorch variant (Experiments/models/torch-mobilenetv3/model.onnx,
    made by Experiments/training/train_torch_model.py), on the PyTorch networks' shared input."""
    rel = "%s/torch-mobilenetv3/model.onnx" % EXPERIMENTS_REL
    path = os.path.normpath(os.path.join(OUT, rel))
    if not os.path.exists(path):
        SKIPPED.append(("torch_mobilenetv3_demo", "%s is missing" % rel))
        return
    ops, opsets, nn_, _, _ = ops_of(path)
    OPLISTS.append(("torch_mobilenetv3_demo", opsets, ops))
    x = np.fromfile(os.path.join(OUT, "data/torch_nets.input.f32"), dtype="<f4").reshape(2, 3, 96, 96)
    record_case("torch_mobilenetv3_demo", "network", rel, "torch.onnx.export (legacy, opset 17)", NET_TOL, {"input": x},
                "the demo's fourth variant, trained on the synthetic faces and committed in "
                "Experiments/models/torch-mobilenetv3 (not copied). Input 'input' [N,3,96,96] NCHW; "
                "output 'logits' [N,2]. %d nodes; op types %s." % (nn_, ops),
                input_files={"input": "data/torch_nets.input.f32"})
    # The same model on the six committed face images, preprocessed as `normalize: imagenet`
    # says (PNG → uint8 RGB, 96×96 already, x/255, ImageNet mean and std, NCHW): what
    # `stratum predict` must reproduce from the image files themselves.
    from PIL import Image
    images = os.path.join(OUT, "..", "tfjs", "images")
    names = sorted(n for n in os.listdir(images) if n.endswith(".png"))
    mean = np.array([0.485, 0.456, 0.406], np.float32).reshape(1, 3, 1, 1)
    std = np.array([0.229, 0.224, 0.225], np.float32).reshape(1, 3, 1, 1)
    pixels = np.stack([np.asarray(Image.open(os.path.join(images, n)).convert("RGB"), np.float32) for n in names])
    x = ((pixels.transpose(0, 3, 1, 2) / np.float32(255.0)) - mean) / std
    record_case("torch_mobilenetv3_demo_images", "network", rel, "torch.onnx.export (legacy, opset 17)", NET_TOL,
                {"input": np.ascontiguousarray(x, np.float32)},
                "the demo's PyTorch variant on Tests/Fixtures/tfjs/images/%s (in that order), preprocessed "
                "as Stratum's normalize: imagenet: x/255, then (x - mean) / std with ImageNet's statistics, "
                "NCHW." % ", ".join(names))


def tf2onnx_networks(tf_python, versions):
    x_nchw = uniform(rng_for("automl_mobilenet_nchw"), [2, 3, 96, 96])
    nchw_file = "data/automl_mobilenet_nchw.image.f32"
    nhwc_ref = None
    exps = {"small_cnn_nhwc": ("small-cnn", "image", [2, 64, 64, 3], (0.0, 1.0)),
            "automl_mobilenet_nhwc": ("automl-mobilenet", "image", [2, 96, 96, 3], (-1.0, 1.0))}
    for name, (d, iname, shape, (lo, hi)) in exps.items():
        rel = "%s/%s/model.onnx" % (EXPERIMENTS_REL, d)
        path = os.path.normpath(os.path.join(OUT, rel))
        if not os.path.exists(path):
            SKIPPED.append((name, "%s is missing" % rel))
            continue
        m = onnx.load(path)
        ops, opsets, nn_, ni, _ = ops_of(path)
        OPLISTS.append((name, opsets, ops))
        meta = {p.key: p.value for p in m.metadata_props}
        if name == "automl_mobilenet_nhwc":
            x = np.ascontiguousarray(x_nchw.transpose(0, 2, 3, 1))  # same images as the NCHW cases
        else:
            x = uniform(rng_for(name), shape, lo, hi)
        refs = record_case(name, "network", rel, "tf2onnx", NET_TOL, {iname: x},
                    "the committed tf2onnx 1.17.0 export in Experiments/models/%s (not copied; made by "
                    "scripts/onnx_export.py, conversion: %s). Input '%s' [batch,%d,%d,3] NHWC float32 in "
                    "[%g,%g]; output '%s' [batch,2] softmax probabilities. tf2onnx put one Transpose "
                    "NHWC->NCHW at the input; batch norm folded into Conv. %d nodes; op types %s." %
                    (d, meta.get("conversion", "?"), iname, shape[1], shape[2], lo, hi,
                     m.graph.output[0].name, nn_, ops) +
                    (" The input is the NCHW cases' data transposed to NHWC." if name == "automl_mobilenet_nhwc" else ""))
        if name == "automl_mobilenet_nhwc":
            nhwc_ref = refs[0]

    # NCHW variant 1: graph surgery (explicit Transpose in front of the NHWC graph)
    src = os.path.normpath(os.path.join(OUT, EXPERIMENTS_REL, "automl-mobilenet", "model.onnx"))
    if os.path.exists(src):
        m = onnx.load(src)
        old_in = m.graph.input[0]
        new_name = "image"
        nhwc_name = "image_nhwc"
        for n in m.graph.node:
            for k, i in enumerate(n.input):
                if i == old_in.name:
                    n.input[k] = nhwc_name
        dims = old_in.type.tensor_type.shape.dim
        bdim = dims[0].dim_param or "batch"
        new_in = helper.make_tensor_value_info(new_name, TensorProto.FLOAT,
                                               [bdim, dims[3].dim_value, dims[1].dim_value, dims[2].dim_value])
        tr = helper.make_node("Transpose", [new_name], [nhwc_name], perm=[0, 2, 3, 1],
                              name="inputs_as_nchw_Transpose")
        m.graph.node.insert(0, tr)
        del m.graph.input[:]
        m.graph.input.append(new_in)
        # keep the existing metadata but say what changed
        for p in m.metadata_props:
            if p.key == "input_layout":
                p.value = "NCHW float32, RGB, values in [-1, 1] (Transpose to NHWC added by graph surgery)"
        m.metadata_props.append(onnx.StringStringEntryProto(
            key="surgery", value="scripts/onnx_fixtures.py: new NCHW input 'image' -> Transpose perm "
            "[0,2,3,1] -> the original graph (whose first node transposes back to NCHW)"))
        onnx.checker.check_model(m, full_check=True)
        rel = "nets/automl_mobilenet_nchw_surgery.onnx"
        onnx.save_model(m, os.path.join(OUT, rel))
        ops, opsets, nn_, ni, _ = ops_of(os.path.join(OUT, rel))
        OPLISTS.append(("automl_mobilenet_nchw_surgery", opsets, ops))
        r = record_case("automl_mobilenet_nchw_surgery", "network", rel,
                    "tf2onnx + graph surgery (onnx.helper)", NET_TOL, {"image": x_nchw},
                    "Experiments/models/automl-mobilenet/model.onnx with its NHWC input replaced by "
                    "'image' [batch,3,96,96] NCHW followed by Transpose perm [0,2,3,1] into the "
                    "unchanged graph (made by graph surgery in this script, mimicking tf2onnx "
                    "--inputs-as-nchw WITHOUT its optimiser: the new Transpose is immediately "
                    "followed by the graph's own Transpose perm [0,3,1,2]). Values in [-1,1]. "
                    "%d nodes; op types %s. Same data as automl_mobilenet_nchw_tf2onnx." % (nn_, ops),
                    input_files={"image": nchw_file})
        if nhwc_ref is not None:
            EXTRA_NOTES.append("automl_mobilenet_nchw_surgery vs automl_mobilenet_nhwc (same images): "
                               "max|diff| %.2e" % max_abs_diff(r[0], nhwc_ref))

    # NCHW variant 2: the real tf2onnx --inputs-as-nchw
    rel = "nets/automl_mobilenet_nchw_tf2onnx.onnx"
    out_path = os.path.join(OUT, rel)
    tfjs = os.path.join(REPO, "Experiments", "models", "automl-mobilenet", "model.json")
    made = False
    if tf_python and os.path.exists(tf_python):
        with tempfile.TemporaryDirectory() as td:
            tmp = os.path.join(td, "m.onnx")
            env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="",
                       PYTHONHASHSEED="0")
            p = subprocess.run([tf_python, "-c", TF2ONNX_SNIPPET, "--tfjs", tfjs, "--opset", "17",
                                "--inputs-as-nchw", "image", "--output", tmp],
                               capture_output=True, text=True, env=env, cwd=td)
            if p.returncode == 0 and os.path.exists(tmp):
                for line in p.stdout.splitlines():
                    if line.startswith("VERSIONS"):
                        _, v1, v2 = line.split()
                        versions["tf2onnx"] = v1
                        versions["tensorflow"] = v2
                m = canonicalize_tf2onnx(onnx.load(tmp))
                for vi in list(m.graph.input) + list(m.graph.output):
                    d0 = vi.type.tensor_type.shape.dim[0]
                    if d0.dim_param.startswith("unk__"):
                        d0.dim_param = "batch"
                m.metadata_props.append(onnx.StringStringEntryProto(
                    key="conversion", value="python -m tf2onnx.convert --tfjs "
                    "Experiments/models/automl-mobilenet/model.json --opset 17 --inputs-as-nchw image"))
                m.metadata_props.append(onnx.StringStringEntryProto(
                    key="postprocessing", value="scripts/onnx_fixtures.py: batch dim 'unk__N' renamed "
                    "'batch'; tf2onnx-generated initializer names (<= 16 elements or an '__<id>' "
                    "suffix) renamed tf2onnx_const_<k> in order of first use, for stable bytes"))
                onnx.checker.check_model(m, full_check=True)
                onnx.save_model(m, out_path)
                made = True
            else:
                SKIPPED.append(("automl_mobilenet_nchw_tf2onnx (fresh conversion)",
                                "tf2onnx failed (rc %d): %s" % (p.returncode, p.stderr.strip()[-300:])))
    else:
        SKIPPED.append(("automl_mobilenet_nchw_tf2onnx (fresh conversion)",
                        "no TensorFlow python at %r; reusing the committed file" % tf_python))
    if not made and PRESERVED.get(rel) is not None:
        with open(out_path, "wb") as f:
            f.write(PRESERVED[rel])
        for k in ("tf2onnx", "tensorflow"):
            if k in PRESERVED.get("versions", {}):
                versions[k] = PRESERVED["versions"][k]
        made = True
    if made:
        ops, opsets, nn_, ni, _ = ops_of(out_path)
        OPLISTS.append(("automl_mobilenet_nchw_tf2onnx", opsets, ops))
        r = record_case("automl_mobilenet_nchw_tf2onnx", "network", rel,
                    "tf2onnx 1.17.0 (--tfjs --inputs-as-nchw image, opset 17)", NET_TOL, {"image": x_nchw},
                    "real tf2onnx conversion of Experiments/models/automl-mobilenet/model.json (tfjs "
                    "graph model) with --inputs-as-nchw image: input 'image' [batch,3,96,96] NCHW in "
                    "[-1,1]. tf2onnx's optimiser cancels the inserted Transpose against its own "
                    "NHWC->NCHW one, so the graph starts directly with Conv (no Transpose at all). "
                    "Post-processing: batch dim renamed from 'unk__<n>' to 'batch', tf2onnx-generated "
                    "initializer names (const_fold_opt__<id>, pad_const__<id>, Clip min/max ...) renamed "
                    "tf2onnx_const_<k> (tf2onnx's own names are not stable between runs). %d nodes; op types %s. Same data as automl_mobilenet_nchw_surgery; outputs "
                    "should equal automl_mobilenet_nhwc's (same images, transposed)." % (nn_, ops),
                    input_files={"image": nchw_file})
        if nhwc_ref is not None:
            EXTRA_NOTES.append("automl_mobilenet_nchw_tf2onnx vs automl_mobilenet_nhwc (same images): "
                               "max|diff| %.2e" % max_abs_diff(r[0], nhwc_ref))
    else:
        SKIPPED.append(("automl_mobilenet_nchw_tf2onnx", "no tf2onnx and no committed file"))


# --------------------------------------------------------------------------


PRESERVED = {}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tf-python", default="/tmp/tf-venv/bin/python",
                    help="python with tensorflow + tf2onnx (for the real --inputs-as-nchw case)")
    ap.add_argument("--skip-networks", action="store_true", help="op-level cases only (debugging)")
    args = ap.parse_args()

    np.set_printoptions(suppress=True)
    keep = "nets/automl_mobilenet_nchw_tf2onnx.onnx"
    if os.path.exists(os.path.join(OUT, keep)):
        with open(os.path.join(OUT, keep), "rb") as f:
            PRESERVED[keep] = f.read()
        try:
            with open(os.path.join(OUT, "cases.json")) as f:
                PRESERVED["versions"] = json.load(f).get("versions", {})
        except (OSError, ValueError):
            pass
    for sub in ("ops", "nets", "data", "malformed"):
        shutil.rmtree(os.path.join(OUT, sub), ignore_errors=True)
        os.makedirs(os.path.join(OUT, sub))

    import skl2onnx
    import sklearn
    versions = {"onnx": onnx.__version__, "onnxruntime": ort.__version__, "numpy": np.__version__,
                "python": platform.python_version()}
    try:
        import torch
        import torchvision
        import onnxscript
        versions.update({"torch": torch.__version__, "torchvision": torchvision.__version__,
                         "onnxscript": onnxscript.__version__})
    except ImportError:
        pass
    versions.update({"skl2onnx": skl2onnx.__version__, "scikit-learn": sklearn.__version__})

    conv_cases()
    activation_cases()
    binary_cases()
    matmul_cases()
    pool_cases()
    shape_cases()
    resize_cases()
    misc_cases()
    encoding_cases()
    malformed_files()
    if not args.skip_networks:
        torch_networks()
        sklearn_networks()
        tf2onnx_networks(args.tf_python, versions)
        demo_torch_network()

    doc = {"generated_by": "scripts/onnx_fixtures.py", "versions": versions, "cases": CASES,
           "malformed": MALFORMED}
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print_summary()


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    return "%.1e" % v


def print_summary():
    hdr = "%-36s %-7s %-14s %-40s %-18s %8s %8s %8s %8s %4s %8s" % (
        "case", "group", "opset", "exporter", "output shape", "max|y|", "noopt", "batch1", "framew.",
        "b3", "KiB")
    print(hdr)
    print("-" * len(hdr))
    for s in SUMMARY:
        print("%-36s %-7s %-14s %-40s %-18s %8.3g %8s %8s %8s %4s %8.1f" % (
            s["name"], s["group"], s["opset"][:14], s["exporter"][:40], s["out"][:18], s["maxabs"],
            fmt(s["noopt"]), fmt(s["b1"]), fmt(s["torch"]), s["b3"], s["kb"]))
    print()
    print("noopt = max|ORT default - ORT_DISABLE_ALL|, batch1 = max|batch-1 run - row 0 of the "
          "batch-2 reference|, framew. = max|ORT - PyTorch/sklearn|, b3 = batch-3 run worked.")
    bad = [s["name"] for s in SUMMARY
           if (s["group"] == "op" and ((s["noopt"] or 0) > OP_TOL or (s["b1"] or 0) > OP_TOL))
           or (s["group"] == "network" and ((s["noopt"] or 0) > NET_TOL or (s["b1"] or 0) > NET_TOL
                                           or (s["torch"] or 0) > NET_TOL))]
    print("cases whose self-checks exceed the tolerance: %s" % (bad or "none"))
    print()
    for name, opsets, ops in OPLISTS:
        print("%s  opsets %s\n    %s" % (name, opsets, ops))
    print()
    for n in EXTRA_NOTES:
        print(n)
    print()
    for what, why in SKIPPED:
        print("SKIPPED %s: %s" % (what, why))
    total = 0
    nfiles = 0
    for root, _, files in os.walk(OUT):
        for f in files:
            total += os.path.getsize(os.path.join(root, f))
            nfiles += 1
    print("\n%d cases, %d malformed files; Tests/Fixtures/onnx: %d files, %.2f MB" % (
        len(CASES), len(MALFORMED), nfiles, total / 1e6))


if __name__ == "__main__":
    main()
