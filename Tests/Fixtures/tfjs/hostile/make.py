"""Writes the TF.js model folders of HostileModelTests into this folder: each a small graph or
layers model that crashed the loader or the engine before (see the test for what each shows).
Written by a review of hostile input; run `python3 make.py` here to write them again."""
import json, os, struct, base64, shutil
B = os.path.dirname(os.path.abspath(__file__))
def b64(s): return base64.b64encode(s.encode()).decode()
def placeholder(name="x", dims=(-1, 8, 8, 3)):
    return {"name": name, "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"},
            "shape": {"shape": {"dim": [{"size": str(d)} for d in dims]}}}}
def const(name): return {"name": name, "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"}}}
def write_model(folder, nodes, weights, shard=b"", fmt="graph-model", topology=None, labels="a\nb\n"):
    d = os.path.join(B, folder[len("poc-"):] if folder.startswith("poc-") else folder)
    shutil.rmtree(d, ignore_errors=True); os.makedirs(d)
    paths = ["group1-shard1of1.bin"]
    with open(os.path.join(d, paths[0]), "wb") as f: f.write(shard)
    root = {"format": fmt, "modelTopology": topology if topology is not None else {"node": nodes},
            "weightsManifest": [{"paths": paths, "weights": weights}]}
    with open(os.path.join(d, "model.json"), "w") as f: json.dump(root, f, indent=1)
    if labels is not None:
        with open(os.path.join(d, "dict.txt"), "w") as f: f.write(labels)
    return d
f32 = lambda *v: struct.pack("<%df" % len(v), *v)
i32 = lambda *v: struct.pack("<%di" % len(v), *v)

# F3a zero-element weight with huge dims -> Tensor.strides overflow in Pooling.reduce
write_model("poc-zero-element-mean", [placeholder(), const("big"), const("axes"),
    {"name": "out", "op": "Mean", "input": ["big", "axes"], "attr": {"keep_dims": {"b": False}, "Tidx": {"type": "DT_INT32"}}}],
    [{"name": "big", "shape": [0, 4294967296, 4294967296], "dtype": "float32"},
     {"name": "axes", "shape": [1], "dtype": "int32"}], i32(1))

# F3b zero-element depthwise filter -> overflow at GraphModel+Evaluate.swift:42
write_model("poc-zero-element-fused-bias", [placeholder(), const("f"), const("b"),
    {"name": "out", "op": "FusedDepthwiseConv2dNative", "input": ["x", "f", "b"],
     "attr": {"padding": {"s": b64("VALID")}, "fused_ops": {"list": {"s": [b64("BiasAdd")]}},
              "strides": {"list": {"i": ["1", "1", "1", "1"]}}}}],
    [{"name": "f", "shape": [0, 1, 4294967296, 4294967296], "dtype": "float32"},
     {"name": "b", "shape": [1], "dtype": "float32"}], f32(0.0))

# F3c zero-element tensor made by Reshape (engine side: Tensor.reshaped accepts it)
write_model("poc-zero-element-reshape", [placeholder(), const("empty"), const("shape"), const("axes"),
    {"name": "r", "op": "Reshape", "input": ["empty", "shape"]},
    {"name": "out", "op": "Max", "input": ["r", "axes"], "attr": {"keep_dims": {"b": False}}}],
    [{"name": "empty", "shape": [0], "dtype": "float32"},
     {"name": "shape", "shape": [3], "dtype": "float32"},
     {"name": "axes", "shape": [1], "dtype": "int32"}], f32(0.0, 2.0**61, 2.0**61) + i32(2))

# F4a EXPLICIT padding Int.max -> overflow in Padding.resolve2D
conv_w = [{"name": "w", "shape": [1, 1, 3, 1], "dtype": "float32"}]
write_model("poc-explicit-padding-overflow", [placeholder(), const("w"),
    {"name": "out", "op": "Conv2D", "input": ["x", "w"],
     "attr": {"padding": {"s": b64("EXPLICIT")}, "strides": {"list": {"i": ["1", "1", "1", "1"]}},
              "explicit_paddings": {"list": {"i": ["0", "0", "9223372036854775807", "0", "0", "0", "0", "0"]}}}}],
    conv_w, f32(1, 1, 1))
# F4b negative left padding -> Range trap in ZeroBordered.fill (SIMD path)
write_model("poc-explicit-padding-negative", [placeholder(), const("w"),
    {"name": "out", "op": "Conv2D", "input": ["x", "w"],
     "attr": {"padding": {"s": b64("EXPLICIT")}, "strides": {"list": {"i": ["1", "1", "1", "1"]}},
              "explicit_paddings": {"list": {"i": ["0", "0", "1", "0", "-1", "0", "0", "0"]}}}}],
    [{"name": "w", "shape": [2, 2, 3, 8], "dtype": "float32"}], f32(*([0.01] * 96)))
# F4c folded Pad bypasses the Pad op's bound -> multi-TB ZeroBordered allocation (SIMD path)
write_model("poc-folded-pad-huge", [placeholder(), const("pads"), const("w"),
    {"name": "p", "op": "Pad", "input": ["x", "pads"]},
    {"name": "out", "op": "Conv2D", "input": ["p", "w"],
     "attr": {"padding": {"s": b64("VALID")}, "strides": {"list": {"i": ["1", "4096", "4096", "1"]}}}}],
    [{"name": "pads", "shape": [4, 2], "dtype": "float32"}] + conv_w,
    f32(0, 0, 2.0**36, 0, 0, 0, 0, 0) + f32(1, 1, 1))

# F5 ConcatV2 without inputs / with N=-1 / N huge
write_model("poc-concat-no-inputs", [placeholder(), {"name": "out", "op": "ConcatV2", "input": []}], [], b"")
write_model("poc-concat-negative-N", [placeholder(), {"name": "out", "op": "ConcatV2", "input": ["x"], "attr": {"N": {"i": "-1"}}}], [], b"")
write_model("poc-concat-huge-N", [placeholder(), const("axis"),
    {"name": "out", "op": "ConcatV2", "input": ["x", "axis"], "attr": {"N": {"i": "9223372036854775807"}}}],
    [{"name": "axis", "shape": [], "dtype": "int32"}], i32(3))

# F6 BatchToSpaceND block product overflow
write_model("poc-batchtospace-overflow", [placeholder(), const("block"), const("crops"),
    {"name": "out", "op": "BatchToSpaceND", "input": ["x", "block", "crops"]}],
    [{"name": "block", "shape": [2], "dtype": "float32"}, {"name": "crops", "shape": [2, 2], "dtype": "float32"}],
    f32(2.0**32, 2.0**32) + f32(0, 0, 0, 0))

# F7 layers model: load-time crashes in LayersModel+Fusion
def seq(layers): return {"class_name": "Sequential", "config": {"name": "s", "layers": layers}}
write_model("poc-layers-depthwise-rank1", None,
    [{"name": "dw/depthwise_kernel", "shape": [1], "dtype": "float32"},
     {"name": "bn/gamma", "shape": [1], "dtype": "float32"}, {"name": "bn/beta", "shape": [1], "dtype": "float32"},
     {"name": "bn/moving_mean", "shape": [1], "dtype": "float32"}, {"name": "bn/moving_variance", "shape": [1], "dtype": "float32"}],
    f32(1, 1, 0, 0, 1), fmt="layers-model",
    topology=seq([{"class_name": "DepthwiseConv2D", "config": {"name": "dw", "batch_input_shape": [None, 8, 8, 3], "kernel_size": [1, 1], "use_bias": False}},
                  {"class_name": "BatchNormalization", "config": {"name": "bn"}}]))
write_model("poc-layers-scalar-kernel-empty-bn", None,
    [{"name": "c/kernel", "shape": [], "dtype": "float32"},
     {"name": "bn/gamma", "shape": [0], "dtype": "float32"}, {"name": "bn/beta", "shape": [0], "dtype": "float32"},
     {"name": "bn/moving_mean", "shape": [0], "dtype": "float32"}, {"name": "bn/moving_variance", "shape": [0], "dtype": "float32"}],
    f32(1), fmt="layers-model",
    topology=seq([{"class_name": "Conv2D", "config": {"name": "c", "batch_input_shape": [None, 8, 8, 3], "kernel_size": [1, 1], "use_bias": False}},
                  {"class_name": "BatchNormalization", "config": {"name": "bn"}}]))

# F8 unbounded input size
write_model("poc-huge-input-size", [placeholder(dims=(-1, 4294967296, 4294967296, 3)),
    {"name": "out", "op": "Softmax", "input": ["x"]}], [], b"")

print("written")
