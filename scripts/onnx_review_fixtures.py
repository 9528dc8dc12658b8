#!/usr/bin/env python3
"""Fixtures from a review of Stratum's ONNX loader (2026-12-06): attribute values it
accepted but computed otherwise than onnxruntime (each fixed since, or now refused), cases
beside them it computed right, and models whose attribute values it refuses.

Writes only under Tests/Fixtures/onnx/review/ (the Swift suite ONNXReviewTests reads it):

  cases.json     {"generated_by", "versions", "cases": [...], "refused": [...]}
  ops/*.onnx     op-level models (onnx.helper)
  data/*.f32     raw little-endian float32 inputs and onnxruntime outputs

The case schema is that of Tests/Fixtures/onnx/cases.json (scripts/onnx_fixtures.py):
name, group "op", model, exporter, tolerance 1e-5, inputs/outputs
[{"name", "shape", "file"}], notes; paths relative to the review folder. Every model's batch
dimension is the dim_param "N"; stored data use batch 2. Each case also carries
"expect": "suspect" (believed SILENTLY WRONG in Stratum) or "honoured" (contrast);
the Swift test ignores unknown keys.

"refused" entries: {"name", "model", "expect": "refused", "inputs", "notes"}: models
Stratum is expected to reject with an error (at load or at run), with input data so
they can be run.

References: onnxruntime.InferenceSession(providers=["CPUExecutionProvider"]),
intra_op_num_threads=1, default graph optimisation; the summary also compares with
ORT_DISABLE_ALL. Inputs: numpy.random.default_rng(crc32(case name)).

Run from the repository root (about 5 s), with onnx 1.23.2 and onnxruntime 1.32.0:
  python3 scripts/onnx_review_fixtures.py
"""

import json
import os
import platform
import shutil
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Tests", "Fixtures", "onnx", "review")
OP_TOL = 1e-5
CASES, REFUSED, SUMMARY = [], [], []
I64_MAX, I64_MIN = np.iinfo(np.int64).max, np.iinfo(np.int64).min


# Seeded inputs and onnxruntime sessions exactly as the main fixtures make them.
sys.path.insert(0, HERE)
from onnx_fixtures import rng_for, session, uniform  # noqa: E402


def write_f32(rel, arr):
    with open(os.path.join(OUT, rel), "wb") as f:
        f.write(np.ascontiguousarray(arr, dtype="<f4").tobytes())


def init(name, arr, dtype=np.float32):
    return numpy_helper.from_array(np.asarray(arr, dtype=dtype), name)


def i64(name, vals):
    return numpy_helper.from_array(np.asarray(vals, dtype=np.int64), name)


def build(name, opset, nodes, inputs, outputs, inits):
    ids = [helper.make_opsetid("", opset)]
    graph = helper.make_graph(nodes, name,
                              [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
                              [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs],
                              initializer=list(inits))
    return helper.make_model(graph, opset_imports=ids, ir_version=helper.find_min_ir_version_for(ids),
                             producer_name="stratum scripts/onnx_review_fixtures.py")


def declare_outputs(model, feeds, unknown=False):
    """Output shapes from an onnxruntime run: axis 0 -> "N", the rest fixed (or unknown
    when onnx's shape inference disagrees with onnxruntime)."""
    res = session(model.SerializeToString()).run(None, feeds)
    for out, r in zip(model.graph.output, res):
        dims = ["N"] + [None if unknown else int(d) for d in r.shape[1:]]
        out.CopyFrom(helper.make_tensor_value_info(out.name, TensorProto.FLOAT, dims))
    return model


def op_case(name, opset, nodes, inputs, inits, feeds, notes, expect, outputs=("y",)):
    model = declare_outputs(build(name, opset, nodes, inputs, outputs, inits), feeds)
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception:  # shape inference disagrees with onnxruntime's output shape
        model = declare_outputs(build(name, opset, nodes, inputs, outputs, inits), feeds, unknown=True)
        try:
            onnx.checker.check_model(model, full_check=True)
        except Exception:  # even the rank differs (Squeeze with empty axes): no strict check
            onnx.checker.check_model(model)
        notes += (" Graph output dims after N are declared unknown: onnx 1.23 shape inference "
                  "disagrees with onnxruntime's output shape here.")
    rel = "ops/%s.onnx" % name
    path = os.path.join(OUT, rel)
    onnx.save_model(model, path)
    sess = session(path)
    refs = [np.asarray(r) for r in sess.run(None, feeds)]
    noopt = session(path, opt=False).run(None, feeds)
    d_noopt = max(float(np.max(np.abs(np.nan_to_num(a.astype(np.float64) - np.asarray(b, np.float64)))))
                  if a.size else 0.0 for a, b in zip(refs, noopt))
    ins = []
    for inp in sess.get_inputs():
        f = "data/%s.%s.f32" % (name, inp.name)
        write_f32(f, feeds[inp.name])
        ins.append({"name": inp.name, "shape": list(feeds[inp.name].shape), "file": f})
    outs = []
    for o, r in zip(sess.get_outputs(), refs):
        f = "data/%s.%s.f32" % (name, o.name)
        write_f32(f, r.astype(np.float32))
        outs.append({"name": o.name, "shape": list(r.shape), "file": f})
    CASES.append({"name": name, "group": "op", "model": rel, "exporter": "onnx.helper", "tolerance": OP_TOL,
                  "inputs": ins, "outputs": outs, "notes": ("opset %d. " % opset) + notes, "expect": expect})
    SUMMARY.append((name, expect, opset, " ".join("x".join(map(str, o["shape"])) for o in outs), d_noopt))


def refused_case(name, opset, nodes, inputs, inits, feeds, notes, outputs=("y",)):
    model = build(name, opset, nodes, inputs, outputs, inits)
    try:
        model = declare_outputs(model, feeds)
    except Exception:  # noqa: BLE001  onnxruntime refuses it: output rank taken from the input
        for out in model.graph.output:
            out.CopyFrom(helper.make_tensor_value_info(out.name, TensorProto.FLOAT, ["N"] + [None] * (len(inputs[0][1]) - 1)))
    onnx.checker.check_model(model)
    rel = "ops/%s.onnx" % name
    onnx.save_model(model, os.path.join(OUT, rel))
    try:
        session(os.path.join(OUT, rel)).run(None, feeds)
        ort_says = "onnxruntime runs it"
    except Exception as e:  # noqa: BLE001
        ort_says = "onnxruntime refuses it too: " + str(e).split("\n")[0][:160]
    ins = []
    for n, arr in feeds.items():
        f = "data/%s.%s.f32" % (name, n)
        write_f32(f, arr)
        ins.append({"name": n, "shape": list(arr.shape), "file": f})
    REFUSED.append({"name": name, "model": rel, "expect": "refused", "inputs": ins,
                    "notes": "opset %d. %s [%s]" % (opset, notes, ort_says)})
    SUMMARY.append((name, "refused", opset, ort_says[:40], 0.0))


def X(shape=("N",)):
    return [("x", list(shape))]


def negative_cast_chain(name, unsigned):
    """Cast(Cast(Cast(x, INT64), unsigned), FLOAT) on 8 negative and extreme values plus a
    random row: nodes, input, initializers and feeds for op_case or refused_case."""
    vals = np.array([-1, -2, -1000, 0, 5, -2147483648, 1000, -7], np.float32)
    x = np.stack([vals, uniform(rng_for(name), [8], -1000, 1000)])
    nodes = [helper.make_node("Cast", ["x"], ["i"], to=TensorProto.INT64),
             helper.make_node("Cast", ["i"], ["u"], to=unsigned),
             helper.make_node("Cast", ["u"], ["y"], to=TensorProto.FLOAT)]
    return nodes, X(["N", 8]), [], {"x": x}


# --------------------------------------------------------------------------
# suspects: accepted by Stratum, believed to differ from onnxruntime


def suspects():
    S = "suspect"
    for op, name, opset, extra in (("MaxPool", "maxpool_valid_ceil", 13, {}),
                                   ("AveragePool", "avgpool_valid_ceil", 17, {"count_include_pad": 0}),
                                   ("AveragePool", "avgpool_valid_ceil_cip1", 13, {"count_include_pad": 1})):
        x = uniform(rng_for(name), [2, 3, 8, 10])
        op_case(name, opset, [helper.make_node(op, ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2],
                                               auto_pad="VALID", ceil_mode=1, **extra)],
                X(["N", 3, 8, 10]), [], {"x": x},
                "%s 3x3 stride 2, auto_pad VALID, ceil_mode 1%s on 8x10: onnxruntime applies ceil_mode "
                "to VALID too: out = ceil((in-3)/2)+1 = 4x5, the last window hanging over the edge "
                "(floor mode would give 3x4)." % (op, ", " + ", ".join("%s %d" % kv for kv in extra.items()) if extra else ""), S)

    x = uniform(rng_for("squeeze_empty_axes_input_op13"), [2, 3, 1, 1])
    refused_case("squeeze_empty_axes_input_op13", 13, [helper.make_node("Squeeze", ["x", "axes"], ["y"])],
            X(["N", 3, 1, 1]), [i64("axes", np.zeros((0,), np.int64))], {"x": x},
            "Squeeze-13 with an EMPTY axes input (int64, shape [0]): onnxruntime removes every "
            "size-1 axis, as with no axes: [N,3,1,1] -> [N,3].")
    x = uniform(rng_for("squeeze_empty_axes_attr_op11"), [2, 3, 1, 1])
    node = helper.make_node("Squeeze", ["x"], ["y"])
    node.attribute.append(helper.make_attribute("axes", [], attr_type=onnx.AttributeProto.INTS))
    refused_case("squeeze_empty_axes_attr_op11", 11, [node], X(["N", 3, 1, 1]), [], {"x": x},
            "Squeeze-11 with an EMPTY axes attribute (type INTS, no values): onnxruntime removes "
            "every size-1 axis: [N,3,1,1] -> [N,3].")

    r = rng_for("bn_training_mode_op15")
    x = uniform(r, [2, 4, 5, 6], -1, 3)
    c = 4
    bn = [init("scale", uniform(r, [c], 0.5, 1.5)), init("bias", uniform(r, [c], -0.5, 0.5)),
          init("mean", uniform(r, [c], -0.3, 0.3)), init("var", uniform(r, [c], 0.2, 1.5))]
    refused_case("bn_training_mode_op15", 15,
            [helper.make_node("BatchNormalization", ["x", "scale", "bias", "mean", "var"],
                              ["y", "running_mean", "running_var"], training_mode=1, epsilon=1e-5)],
            X(["N", 4, 5, 6]), bn, {"x": x},
            "BatchNormalization-15 training_mode=1 with its three outputs (only y is a graph "
            "output): onnxruntime normalises with the BATCH's mean and variance per channel "
            "(over N,H,W of this batch-2 input, x in [-1,3]), not the stored mean/var. "
            "(training_mode=1 with a single output is rejected by onnxruntime's shape inference.)")

    x = np.stack([np.array([-5, -1.5, -1, 0, 0.9, 1, 1.9, 2, 3, 5, -0.5, 4], np.float32),
                  uniform(rng_for("clip_int64_min_gt_max"), [12], -5, 5)])
    op_case("clip_int64_min_gt_max", 13,
            [helper.make_node("Cast", ["x"], ["i"], to=TensorProto.INT64),
             helper.make_node("Clip", ["i", "lo", "hi"], ["c"]),
             helper.make_node("Cast", ["c"], ["y"], to=TensorProto.FLOAT)],
            X(["N", 12]), [i64("lo", np.int64(2)), i64("hi", np.int64(-1))], {"x": x},
            "Clip on int64 (Cast x to INT64, Clip with int64 scalar min 2 > max -1, Cast back): "
            "onnxruntime (and the spec) give max, -1, everywhere; the float Clip agrees "
            "(see clip_float_min_gt_max).", S)

    refused_case("cast_int64_to_uint64_negative", 13, *negative_cast_chain("cast_int64_to_uint64_negative", TensorProto.UINT64),
            "y = Cast(Cast(Cast(x, INT64), UINT64), FLOAT): int64 -> uint64 wraps modulo 2^64 "
            "(-1 -> 18446744073709551615 -> 1.8446744e19 as float).")

    vals = np.array([2049, 2051, 4097, 4099, 65519, 65520, 70000, -70000,
                     1025, -2049, 3000, 100000], np.float32)
    x = np.stack([vals, np.round(uniform(rng_for("cast_int64_to_float16"), [12], -9000, 9000))])
    op_case("cast_int64_to_float16", 13,
            [helper.make_node("Cast", ["x"], ["i"], to=TensorProto.INT64),
             helper.make_node("Cast", ["i"], ["h"], to=TensorProto.FLOAT16),
             helper.make_node("Cast", ["h"], ["y"], to=TensorProto.FLOAT)],
            X(["N", 12]), [], {"x": x},
            "y = Cast(Cast(Cast(x, INT64), FLOAT16), FLOAT): the int64 values are rounded to "
            "float16 (2049 -> 2048, 2051 -> 2052, 4097 -> 4096, 65520 and 70000 -> inf). "
            "Row 1: integers in [-9000,9000].", S)

    x = np.round(uniform(rng_for("reducemean_int64_truncates"), [2, 3, 4, 5], -20, 20))
    op_case("reducemean_int64_truncates", 13,
            [helper.make_node("Cast", ["x"], ["i"], to=TensorProto.INT64),
             helper.make_node("ReduceMean", ["i"], ["m"], axes=[2, 3], keepdims=1),
             helper.make_node("Cast", ["m"], ["y"], to=TensorProto.FLOAT)],
            X(["N", 3, 4, 5]), [], {"x": x},
            "ReduceMean on an int64 tensor (Cast of integer-valued x in [-20,20]): onnxruntime's "
            "int64 mean is an integer (the sum divided by 20 in integer arithmetic).", S)

    x = np.round(uniform(rng_for("resize_linear_int32_input"), [2, 3, 4, 5], 0, 50))
    op_case("resize_linear_int32_input", 13,
            [helper.make_node("Cast", ["x"], ["i"], to=TensorProto.INT32),
             helper.make_node("Resize", ["i", "", "scales"], ["r"], mode="linear"),
             helper.make_node("Cast", ["r"], ["y"], to=TensorProto.FLOAT)],
            X(["N", 3, 4, 5]), [init("scales", [1, 1, 2, 2])], {"x": x},
            "Resize-13 linear half_pixel x2 of an INT32 tensor (Cast of integer-valued x in "
            "[0,50]): onnxruntime's result is int32, the interpolated values truncated.", S)

    for name, mode, nm in (("resize_linear_tf_half_pixel_for_nn_scale1", "linear", None),
                           ("resize_nearest_tf_half_pixel_for_nn_ceil_scale1", "nearest", "round_prefer_ceil")):
        x = uniform(rng_for(name), [2, 3, 4, 5])
        attrs = {"mode": mode, "coordinate_transformation_mode": "tf_half_pixel_for_nn"}
        if nm:
            attrs["nearest_mode"] = nm
        op_case(name, 11, [helper.make_node("Resize", ["x", "roi", "scales"], ["y"], **attrs)],
                X(["N", 3, 4, 5]), [init("roi", np.zeros((0,), np.float32)), init("scales", [1, 1, 1, 2])],
                {"x": x},
                "Resize-11 mode %s%s, tf_half_pixel_for_nn, scales [1,1,1,2] (H kept, W doubled): "
                "onnxruntime maps an axis whose scale is exactly 1 to itself (in = out), whatever "
                "the coordinate transformation; tf_half_pixel_for_nn's formula (out+0.5)/1 would "
                "read row y+0.5. W uses (x+0.5)/2 in both." % (mode, ", nearest_mode " + nm if nm else ""), S)


# --------------------------------------------------------------------------
# contrast: believed honoured


def contrast():
    H = "honoured"
    x = uniform(rng_for("clip_float_min_gt_max"), [2, 3, 4, 5], -2, 2)
    op_case("clip_float_min_gt_max", 13, [helper.make_node("Clip", ["x", "lo", "hi"], ["y"])],
            X(["N", 3, 4, 5]), [init("lo", np.float32(0.5)), init("hi", np.float32(-0.5))], {"x": x},
            "float Clip-13 with min 0.5 > max -0.5: every value becomes max (-0.5).", H)

    x = uniform(rng_for("maxpool_same_upper_ceil"), [2, 3, 8, 9])
    op_case("maxpool_same_upper_ceil", 13,
            [helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2],
                              auto_pad="SAME_UPPER", ceil_mode=1)],
            X(["N", 3, 8, 9]), [], {"x": x},
            "MaxPool 3x3 stride 2 SAME_UPPER with ceil_mode 1 on 8x9: 4x5, ceil_mode changes "
            "nothing under SAME.", H)

    x = uniform(rng_for("squeeze_no_axes_op13"), [2, 3, 1, 1])
    op_case("squeeze_no_axes_op13", 13, [helper.make_node("Squeeze", ["x"], ["y"])],
            X(["N", 3, 1, 1]), [], {"x": x}, "Squeeze-13 with no axes input: [N,3,1,1] -> [N,3].", H)

    r = rng_for("bn_training_mode0_op15")
    x = uniform(r, [2, 4, 5, 6])
    bn = [init("scale", uniform(r, [4], 0.5, 1.5)), init("bias", uniform(r, [4], -0.5, 0.5)),
          init("mean", uniform(r, [4], -0.3, 0.3)), init("var", uniform(r, [4], 0.2, 1.5))]
    op_case("bn_training_mode0_op15", 15,
            [helper.make_node("BatchNormalization", ["x", "scale", "bias", "mean", "var"], ["y"],
                              training_mode=0, epsilon=1e-3)],
            X(["N", 4, 5, 6]), bn, {"x": x},
            "BatchNormalization-15 with training_mode=0 given explicitly, epsilon 1e-3: running "
            "statistics.", H)

    r = rng_for("conv_bn_fold_eps")
    x = uniform(r, [2, 3, 6, 7])
    bn = [init("scale", uniform(r, [4], 0.5, 1.5)), init("bias", uniform(r, [4], -0.5, 0.5)),
          init("mean", uniform(r, [4], -0.3, 0.3)), init("var", uniform(r, [4], 0.05, 0.3))]
    op_case("conv_bn_fold_eps", 13,
            [helper.make_node("Conv", ["x", "W"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             helper.make_node("BatchNormalization", ["c", "scale", "bias", "mean", "var"], ["y"], epsilon=0.1)],
            X(["N", 3, 6, 7]), [init("W", uniform(r, [4, 3, 3, 3]) / 5)] + bn, {"x": x},
            "Conv -> BatchNormalization with a large epsilon 0.1 and small variances (Stratum folds "
            "the BN into the Conv at load; epsilon matters).", H)

    r = rng_for("conv_hardsigmoid_fused")
    x = uniform(r, [2, 3, 6, 7])
    op_case("conv_hardsigmoid_fused", 13,
            [helper.make_node("Conv", ["x", "W", "B"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             helper.make_node("HardSigmoid", ["c"], ["y"], alpha=0.3, beta=0.4)],
            X(["N", 3, 6, 7]), [init("W", uniform(r, [4, 3, 3, 3])), init("B", uniform(r, [4]))], {"x": x},
            "Conv -> HardSigmoid alpha 0.3 beta 0.4 (fused into the Conv by Stratum); both clamps hit.", H)

    op_case("cast_int64_to_uint32_negative", 13, *negative_cast_chain("cast_int64_to_uint32_negative", TensorProto.UINT32),
            "y = Cast(Cast(Cast(x, INT64), UINT32), FLOAT): wraps modulo 2^32 (-1 -> 4294967295).", H)

    x = uniform(rng_for("resize_nearest_tf_half_pixel_for_nn_rpf_scale1"), [2, 3, 4, 5])
    op_case("resize_nearest_tf_half_pixel_for_nn_rpf_scale1", 11,
            [helper.make_node("Resize", ["x", "roi", "scales"], ["y"], mode="nearest",
                              coordinate_transformation_mode="tf_half_pixel_for_nn",
                              nearest_mode="round_prefer_floor")],
            X(["N", 3, 4, 5]), [init("roi", np.zeros((0,), np.float32)), init("scales", [1, 1, 1, 2])], {"x": x},
            "as resize_nearest_tf_half_pixel_for_nn_ceil_scale1 but round_prefer_floor: y+0.5 "
            "rounds down to y, so the scale-1 axis is the identity either way.", H)

    x = uniform(rng_for("resize_linear_tf_half_pixel_for_nn_up"), [2, 3, 4, 5])
    op_case("resize_linear_tf_half_pixel_for_nn_up", 11,
            [helper.make_node("Resize", ["x", "roi", "scales"], ["y"], mode="linear",
                              coordinate_transformation_mode="tf_half_pixel_for_nn")],
            X(["N", 3, 4, 5]), [init("roi", np.zeros((0,), np.float32)), init("scales", [1, 1, 1.5, 2])], {"x": x},
            "Resize-11 linear tf_half_pixel_for_nn with scales [1,1,1.5,2] (no spatial axis at "
            "scale 1): in = (out+0.5)/scale, clamped.", H)

    x = uniform(rng_for("slice_int64_extremes"), [2, 3, 6, 5])
    op_case("slice_int64_extremes", 13,
            [helper.make_node("Slice", ["x", "starts", "ends", "axes", "steps"], ["y"])],
            X(["N", 3, 6, 5]),
            [i64("starts", [1, -1]), i64("ends", [I64_MAX, I64_MIN]), i64("axes", [-2, 3]), i64("steps", [2, -1])],
            {"x": x},
            "Slice axes [-2,3] starts [1,-1] ends [INT64_MAX, INT64_MIN] steps [2,-1]: rows 1,3,5 "
            "and the columns reversed -> [N,3,3,5].", H)

    r = rng_for("gemm_c_runtime_column")
    x = uniform(r, [2, 16])
    op_case("gemm_c_runtime_column", 13,
            [helper.make_node("ReduceMean", ["x"], ["c"], axes=[1], keepdims=1),
             helper.make_node("Gemm", ["x", "w", "c"], ["y"], transB=1, alpha=0.5, beta=2.0)],
            X(["N", 16]), [init("w", uniform(r, [8, 16]) / 4)], {"x": x},
            "Gemm transB=1 alpha 0.5 beta 2 with a computed C of shape [N,1] (ReduceMean of x), "
            "broadcast along the 8 columns.", H)


# --------------------------------------------------------------------------
# refused: attribute values Stratum is expected to reject with an error


def refused():
    def x_for(name, shape):
        return {"x": uniform(rng_for(name), shape)}

    s4 = ["N", 3, 4, 5]
    d4 = [2, 3, 4, 5]
    sc = init("scales", [1, 1, 2, 2])
    empty_roi = init("roi", np.zeros((0,), np.float32))
    refused_case("resize_cubic", 13, [helper.make_node("Resize", ["x", "", "scales"], ["y"], mode="cubic")],
                 X(s4), [sc], x_for("resize_cubic", d4), "Resize mode cubic (run time: 'Resize mode').")
    refused_case("resize_antialias_op18", 18,
                 [helper.make_node("Resize", ["x", "", "scales"], ["y"], mode="linear", antialias=1)],
                 X(s4), [init("scales", [1, 1, 0.5, 0.6])], x_for("resize_antialias_op18", d4),
                 "Resize-18 linear antialias=1 downscaling (run time: 'Resize with antialias').")
    refused_case("resize_tf_crop_and_resize", 13,
                 [helper.make_node("Resize", ["x", "roi", "scales"], ["y"], mode="linear",
                                   coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=7.0)],
                 X(s4), [init("roi", [0, 0, 0.1, 0.2, 1, 1, 0.9, 1.2]), sc], x_for("resize_tf_crop_and_resize", d4),
                 "Resize tf_crop_and_resize with roi and extrapolation_value (run time: coordinate_transformation_mode).")
    refused_case("resize_half_pixel_symmetric_op19", 19,
                 [helper.make_node("Resize", ["x", "", "scales"], ["y"], mode="linear",
                                   coordinate_transformation_mode="half_pixel_symmetric")],
                 X(s4), [init("scales", [1, 1, 1.5, 1.7])], x_for("resize_half_pixel_symmetric_op19", d4),
                 "Resize-19 half_pixel_symmetric (run time).")
    refused_case("resize_keep_aspect_not_larger_op18", 18,
                 [helper.make_node("Resize", ["x", "", "", "sizes"], ["y"], mode="linear", axes=[2, 3],
                                   keep_aspect_ratio_policy="not_larger")],
                 X(s4), [i64("sizes", [6, 12])], x_for("resize_keep_aspect_not_larger_op18", d4),
                 "Resize-18 sizes with keep_aspect_ratio_policy not_larger (run time).")
    refused_case("pad_wrap_op19", 19, [helper.make_node("Pad", ["x", "pads"], ["y"], mode="wrap")],
                 X(s4), [i64("pads", [0, 0, 1, 2, 0, 0, 2, 1])], x_for("pad_wrap_op19", d4),
                 "Pad-19 mode wrap (run time: 'Pad mode').")
    refused_case("pad_negative", 13, [helper.make_node("Pad", ["x", "pads"], ["y"])],
                 X(s4), [i64("pads", [0, 0, -1, 1, 0, 0, 1, -2])], x_for("pad_negative", d4),
                 "Pad-13 with negative pads (cropping) (run time: 'negative or huge pads').")
    refused_case("maxpool_dilations2", 13,
                 [helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], dilations=[2, 2])],
                 X(["N", 3, 7, 9]), [], x_for("maxpool_dilations2", [2, 3, 7, 9]),
                 "MaxPool dilations [2,2] (run time: 'pooling dilations').")
    refused_case("avgpool_dilations2_op19", 19,
                 [helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[2, 2], dilations=[2, 2])],
                 X(["N", 3, 7, 9]), [], x_for("avgpool_dilations2_op19", [2, 3, 7, 9]),
                 "AveragePool-19 dilations [2,2] (run time).")
    refused_case("maxpool_indices_read", 13,
                 [helper.make_node("MaxPool", ["x"], ["p", "idx"], kernel_shape=[2, 2], strides=[2, 2]),
                  helper.make_node("Cast", ["idx"], ["fi"], to=TensorProto.FLOAT),
                  helper.make_node("Add", ["p", "fi"], ["y"])],
                 X(["N", 3, 4, 6]), [], x_for("maxpool_indices_read", [2, 3, 4, 6]),
                 "MaxPool Indices output read by a node (load time).")
    refused_case("matmul_b_rank3", 13, [helper.make_node("MatMul", ["x", "w"], ["y"])],
                 X(["N", 4, 16]), [init("w", uniform(rng_for("matmul_b_rank3.w"), [1, 16, 8]))],
                 x_for("matmul_b_rank3", [2, 4, 16]), "MatMul with a rank-3 B (run time: 'B must be 2-D').")
    refused_case("cast_float8_op19", 19,
                 [helper.make_node("Cast", ["x"], ["q"], to=TensorProto.FLOAT8E4M3FN),
                  helper.make_node("Cast", ["q"], ["y"], to=TensorProto.FLOAT)],
                 X(["N", 8]), [], x_for("cast_float8_op19", [2, 8]),
                 "Cast to FLOAT8E4M3FN (saturate default) and back (run time: 'Cast to element type 17').")
    refused_case("bn_rank3", 13,
                 [helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"])],
                 X(["N", 4, 7]), [init("s", [1, 2, 3, 4]), init("b", [0, 1, 0, 1]), init("m", [0, 0, .1, .1]),
                                  init("v", [1, 1, 2, 2])], x_for("bn_rank3", [2, 4, 7]),
                 "BatchNormalization on a rank-3 [N,C,L] input (run time: '[N, C] and [N, C, H, W]').")
    refused_case("conv1d", 13, [helper.make_node("Conv", ["x", "W"], ["y"], kernel_shape=[3])],
                 X(["N", 3, 9]), [init("W", uniform(rng_for("conv1d.W"), [4, 3, 3]))], x_for("conv1d", [2, 3, 9]),
                 "1-D Conv (load time: 'only 2-D convolutions').")


def main():
    for sub in ("ops", "data"):
        shutil.rmtree(os.path.join(OUT, sub), ignore_errors=True)
        os.makedirs(os.path.join(OUT, sub))
    suspects()
    contrast()
    refused()
    doc = {"generated_by": "scripts/onnx_review_fixtures.py",
           "versions": {"onnx": onnx.__version__, "onnxruntime": ort.__version__, "numpy": np.__version__,
                        "python": platform.python_version()},
           "cases": CASES, "refused": REFUSED}
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    for name, expect, opset, out, d in SUMMARY:
        print("%-50s %-9s op%-3d %-40s noopt %.1e" % (name, expect, opset, out, d))
    print("%d cases, %d refused" % (len(CASES), len(REFUSED)))


if __name__ == "__main__":
    main()
