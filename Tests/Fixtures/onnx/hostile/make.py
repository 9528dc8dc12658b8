#!/usr/bin/env python3
"""Writes the ONNX model files of HostileModelTests into this folder: each crashed the loader
or the engine before, or asked for memory without bound (see the test for what each shows).
Written by a review of hostile input.

Run with /work/main/.build/bench-venv/bin/python (onnx + numpy). Nothing here runs Stratum.
"""
import os
import shutil

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
I64_MAX = 2**63 - 1


def fresh(name):
    path = os.path.join(HERE, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def model(nodes, inits, inputs, outputs, opset=13, meta=None):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="review")
    m.ir_version = 8
    if meta:
        for k, v in meta.items():
            e = m.metadata_props.add()
            e.key, e.value = k, v
    return m


def save(m, folder, name="model.onnx"):
    # No onnx.checker: several of these are deliberately invalid.
    path = os.path.join(folder, name)
    with open(path, "wb") as f:
        f.write(m.SerializeToString())
    return path


def empty_float(name, dims):
    """A float initializer with the given dims and no data (dims contain a 0)."""
    t = TensorProto()
    t.name = name
    t.data_type = TensorProto.FLOAT
    t.dims.extend(dims)
    return t


X4 = helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 4])
Y4 = helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 4])
XIMG = helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 3, 4, 4])
YIMG = helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 3, 4, 4])
IDENT = helper.make_node("Identity", ["X"], ["Y"])


def external_float(name, count, location, offset=None, length=None):
    t = TensorProto()
    t.name = name
    t.data_type = TensorProto.FLOAT
    t.dims.extend([count])
    t.data_location = TensorProto.EXTERNAL
    for k, v in [("location", location), ("offset", offset), ("length", length)]:
        if v is not None:
            e = t.external_data.add()
            e.key, e.value = k, str(v)
    return t


# F1: external data escapes the folder through a symlink that Foundation's
# resolvingSymlinksInPath gives up on (target longer than its 1026-byte buffer), so
# ContainedFile falls back to the unresolved path, which looks inside the folder.
def f2():
    d = fresh("f2_zero_dim_overflow")
    w = empty_float("W", [0, 2**62, 2**62])
    flat = helper.make_node("Flatten", ["W"], ["F"], axis=1)
    save(model([IDENT, flat], [w], [X4], [Y4]), d, "flatten.onnx")
    gather_idx = numpy_helper.from_array(np.array(0, dtype=np.int64), "i")
    gather = helper.make_node("Gather", ["W", "i"], ["G"], axis=0)
    save(model([IDENT, gather], [empty_float("W", [0, 2**62, 2**62]), gather_idx], [X4], [Y4]), d, "gather_inner.onnx")
    # Transpose moves the huge dims before the 0: Tensor.init's own precondition traps.
    tr = helper.make_node("Transpose", ["W"], ["T"], perm=[1, 2, 0])
    save(model([IDENT, tr], [empty_float("W", [0, 2, I64_MAX])], [X4], [Y4]), d, "transpose.onnx")
    # Reshape of an empty tensor to such a shape passes Tensor.reshaped as well.
    shp = numpy_helper.from_array(np.array([0, 2**62, 2**62], dtype=np.int64), "s")
    rs = helper.make_node("Reshape", ["E", "s"], ["R"])
    sm = helper.make_node("Softmax", ["R"], ["S"], axis=0)
    save(model([IDENT, rs, sm], [empty_float("E", [0]), shp], [X4], [Y4]), d, "reshape_softmax.onnx")
    # Runtime variant: Conv weights [1, 3, 0, 2^62] load; the first inference traps in
    # Kernels.padding's (kernel - 1) * dilation.
    conv = helper.make_node("Conv", ["X", "W"], ["Y"], dilations=[4, 4])
    yconv = helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)
    save(model([conv], [empty_float("W", [1, 3, 0, 2**62])], [XIMG], [yconv], meta={"labels": "a"}), d, "conv_kernel_runtime.onnx")


# F3: Slice with a negative step on an empty axis selects index 0: index out of range at load.
def f3():
    d = fresh("f3_slice_empty_negative_step")
    x = empty_float("E", [0])
    starts = numpy_helper.from_array(np.array([-1], dtype=np.int64), "starts")
    ends = numpy_helper.from_array(np.array([-10], dtype=np.int64), "ends")
    axes = numpy_helper.from_array(np.array([0], dtype=np.int64), "axes")
    steps = numpy_helper.from_array(np.array([-1], dtype=np.int64), "steps")
    sl = helper.make_node("Slice", ["E", "starts", "ends", "axes", "steps"], ["S"])
    save(model([IDENT, sl], [x, starts, ends, axes, steps], [X4], [Y4]), d)


# F4: a Conv (or Gemm) node with no outputs: fuse() reads outputs[0].
def f4():
    d = fresh("f4_node_without_outputs")
    w = numpy_helper.from_array(np.ones((2, 3, 1, 1), dtype=np.float32), "W")
    conv = helper.make_node("Conv", ["X", "W"], [])
    save(model([IDENT, conv], [w], [XIMG], [YIMG]), d, "conv.onnx")
    b = numpy_helper.from_array(np.ones((4, 4), dtype=np.float32), "B")
    gemm = helper.make_node("Gemm", ["X", "B"], [])
    save(model([IDENT, gemm], [b], [X4], [Y4]), d, "gemm.onnx")


# F5: external data offset past the end of the file, near Int.max: the error message
# computes offset + length and overflows.
def f5():
    d = fresh("f5_external_offset_overflow")
    w = external_float("W", 4, "w.bin", offset=I64_MAX)
    add = helper.make_node("Add", ["X", "W"], ["Y"])
    save(model([add], [w], [X4], [Y4]), d)
    with open(os.path.join(d, "w.bin"), "wb") as f:
        f.write(np.zeros(4, dtype=np.float32).tobytes())


# F6: Concat's output is not bounded; folding checks its budget only after evaluating.
def f6():
    d = fresh("f6_concat_bomb")
    a = numpy_helper.from_array(np.zeros(1000, dtype=np.float32), "a")
    c1 = helper.make_node("Concat", ["a"] * 1000, ["b"], axis=0)          # 1e6 values (folded, in budget)
    c2 = helper.make_node("Concat", ["b"] * 100000, ["c"], axis=0)        # 1e11 values: 400 GB reserved
    save(model([IDENT, c1, c2], [a], [X4], [Y4]), d, "fold.onnx")
    # Runtime variant (no budget at all): the image input concatenated with itself.
    r1 = helper.make_node("Concat", ["X"] * 1000, ["R1"], axis=0)
    r2 = helper.make_node("Concat", ["R1"] * 1000, ["R2"], axis=0)
    r3 = helper.make_node("Concat", ["R2"] * 1000, ["R3"], axis=0)          # 4.8e10 values: 192 GB
    gap = helper.make_node("ReduceMean", ["R3"], ["Y"], axes=[1, 2, 3], keepdims=0)
    yout = helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)
    save(model([r1, r2, r3, gap], [], [XIMG], [yout], meta={"labels": "a,b,c"}), d, "runtime.onnx")


# F7: the loader does not bound the input's declared height and width.
def f7():
    d = fresh("f7_unbounded_input_size")
    sm = helper.make_node("Softmax", ["X"], ["Y"])
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)
    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, I64_MAX])
    save(model([sm], [], [x], [y], meta={"labels": "a,b"}), d, "flat_int64max_channels1.onnx")
    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 3 * 2**60])
    save(model([sm], [], [x], [y], meta={"labels": "a,b"}), d, "flat_3x2p60.onnx")
    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 3, 2**40, 2**40])
    gap = helper.make_node("GlobalAveragePool", ["X"], ["P"])
    fl = helper.make_node("Flatten", ["P"], ["Y"])
    save(model([gap, fl], [], [x], [y], meta={"labels": "a,b,c"}), d, "nchw_2p40.onnx")


# F8: Pad (edge/reflect) builds one index map per axis before noticing that another axis is
# empty: 2^29 Ints = 4 GiB per padded axis, 28 GiB for 7 axes, from a ~250-byte file.
def f8():
    d = fresh("f8_pad_index_maps")
    e = empty_float("E", [0, 1, 1, 1, 1, 1, 1, 1])
    big = 2**28
    pads = numpy_helper.from_array(np.array([0] + [big] * 7 + [0] + [big] * 7, dtype=np.int64), "p")
    pad = helper.make_node("Pad", ["E", "p"], ["P"], mode="edge")
    save(model([IDENT, pad], [e, pads], [X4], [Y4]), d)


# Where each file goes in this folder (the test names them so).
PLACES = {
    "f2_zero_dim_overflow/%s": "zero-dim-%s",
    "f3_slice_empty_negative_step/model.onnx": "slice-empty-negative-step.onnx",
    "f4_node_without_outputs/conv.onnx": "conv-without-outputs.onnx",
    "f4_node_without_outputs/gemm.onnx": "gemm-without-outputs.onnx",
    "f5_external_offset_overflow/model.onnx": "external-offset-overflow/model.onnx",
    "f5_external_offset_overflow/w.bin": "external-offset-overflow/w.bin",
    "f6_concat_bomb/fold.onnx": "concat-bomb-fold.onnx",
    "f6_concat_bomb/runtime.onnx": "concat-bomb-runtime.onnx",
    "f7_unbounded_input_size/%s": "input-%s",
    "f8_pad_index_maps/model.onnx": "pad-edge-index-maps.onnx",
}

if __name__ == "__main__":
    for f in (f2, f3, f4, f5, f6, f7, f8):
        f()
    for built in sorted(d for d in os.listdir(HERE) if d.startswith("f") and os.path.isdir(os.path.join(HERE, d))):
        for name in sorted(os.listdir(os.path.join(HERE, built))):
            key = "%s/%s" % (built, name)
            target = PLACES.get(key) or next(v % name for k, v in PLACES.items() if "%s" in k and k.split("/")[0] == built)
            os.makedirs(os.path.dirname(os.path.join(HERE, target)), exist_ok=True)
            os.replace(os.path.join(HERE, key), os.path.join(HERE, target))
            print(target, os.path.getsize(os.path.join(HERE, target)), "bytes")
        os.rmdir(os.path.join(HERE, built))
