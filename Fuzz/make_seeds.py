#!/usr/bin/env python3
"""Regenerates Fuzz/corpus/ (the committed seed inputs) from the test fixtures and the
experiment files, plus a few hand-written inputs per target. Run from the package root:
python3 Fuzz/make_seeds.py. Deterministic; no third-party modules."""
import json
import os
import shutil
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "Fuzz", "corpus")
SEPARATOR = b"\n--shard--\n"


def path(*parts):
    return os.path.join(ROOT, *parts)


def reset(target):
    folder = os.path.join(CORPUS, target)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    return folder


def write(folder, name, data):
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def copy(folder, source, name=None):
    shutil.copyfile(source, os.path.join(folder, name or os.path.basename(source)))


# Images: every fixture of the format (the 290 KB huge-declared.png only as its first 4 KB:
# its header declares the size, which is what it tests).
images = path("Tests", "Fixtures", "images")
hostile = os.path.join(images, "hostile")
png, jpeg = reset("png"), reset("jpeg")
jpeg_folders = ("jpeg-sampling", "jpeg-scans")
for name in (sorted(os.listdir(images)) + sorted("hostile/" + n for n in os.listdir(hostile))
             + sorted(folder + "/" + n for folder in jpeg_folders
                      for n in os.listdir(os.path.join(images, folder)) if n.endswith(".jpg"))):
    source = os.path.join(images, name)
    if not os.path.isfile(source):
        continue
    data = open(source, "rb").read()
    flat = name.replace("/", "-")
    if data.startswith(b"\x89PNG"):
        write(png, flat, data[:4096] if len(data) > 65536 else data)
    elif data.startswith(b"\xff\xd8\xff"):
        write(jpeg, flat, data)
copy(png, path("Tests", "Fixtures", "tfjs", "images", "face-00007.png"))

# TensorFlow.js: model.json with its shards renamed shard1.bin, shard2.bin, … in manifest
# order, then the shards, separated as Fuzz/TFJS/FuzzTFJS.swift splits them.
tfjs = reset("tfjs")
models = [os.path.join(path("Tests", "Fixtures", "tfjs", "ops"), n) for n in sorted(os.listdir(path("Tests", "Fixtures", "tfjs", "ops")))]
models.append(path("Experiments", "models", "automl-mobilenet-uint8"))
for folder in models:
    model_file = os.path.join(folder, "model.json")
    if not os.path.isfile(model_file):
        continue
    model = json.load(open(model_file))
    shards = []
    for group in model.get("weightsManifest", []):
        renamed = []
        for shard in group["paths"]:
            shards.append(open(os.path.join(folder, shard), "rb").read())
            renamed.append("shard%d.bin" % len(shards))
        group["paths"] = renamed
    text = json.dumps(model, separators=(",", ":")).encode()
    write(tfjs, os.path.basename(folder), SEPARATOR.join([text] + shards))
    write(tfjs, os.path.basename(folder) + "-no-shards", text)
# tfjs-run takes the same inputs.
shutil.rmtree(os.path.join(CORPUS, "tfjs-run"), ignore_errors=True)
shutil.copytree(tfjs, os.path.join(CORPUS, "tfjs-run"))

# ONNX: the op-level fixtures and the malformed files (those under the target's -max_len).
onnx = reset("onnx")
for sub in ("ops", "malformed"):
    folder = path("Tests", "Fixtures", "onnx", sub)
    for name in sorted(os.listdir(folder)):
        source = os.path.join(folder, name)
        if name.endswith(".onnx") and os.path.getsize(source) <= 131072:
            copy(onnx, source, sub + "-" + name)

# Manifests.
csv = reset("manifest-csv")
write(csv, "valid.csv", "id,path,label,split,age\na,images/a.png,female,test,12\nb,images/b.png,male,train,40\n")
write(csv, "bom-crlf.csv", b"\xef\xbb\xbfid,path,label,split\r\na,a.png,female,test\r\n")
write(csv, "quoted.csv", 'id,path,label,split,note\n"a,1","x ""y"".png",male,test,"multi\nline"\n')
write(csv, "problems.csv", "id,path,label,split\na,../escape.png,cat,test\na,/abs.png,,test\nb,x.png,male\n\n")
write(csv, "stray-quote.csv", 'id,path,label,split\na,b"c,male,test\n')
write(csv, "unterminated.csv", 'id,path,label,split\n"a,b,male,test\n')
write(csv, "header-only.csv", "id,path,label,split\n")
jsonl = reset("manifest-jsonl")
write(jsonl, "valid.jsonl", '{"id":"a","path":"a.png","label":"female","split":"test","age":12}\n{"id":"b","path":"b.png","label":"male","split":"train","ok":true,"x":null,"w":1.5}\n')
write(jsonl, "problems.jsonl", '{"id":"a","path":"../a.png","label":"cat","split":"test"}\n[1,2]\n{"id":"a","path":"","label":"male"}\n\n{"id":{"n":1}}\n')
write(jsonl, "bom-crlf.jsonl", b'\xef\xbb\xbf{"id":"a","path":"a.png","label":"male","split":"test"}\r\n')

# Experiment files: the repository's, and variations on each rule.
yaml = reset("experiment-yaml")
for name in ("faces.yaml", "faces-plugins.yaml"):
    copy(yaml, path("Experiments", name))
write(yaml, "manifest.yaml", """name: small
dataset:
  manifest: data/m.csv
  label: sex
  labels: [female, male]
  split: test
  train_split: train
  exif_orientation: ignore
variants:
  - {name: a, kind: logistic, path: /abs/model.json, options: {C: 0.05, list: [1, 2, {k: v}]}}
  - {name: b, kind: process, path: plugins/p, options: {command: [python3, plugin.py]}}
slices:
  by: [age_group]
  named: {kids: "age < 13 and not (hair in ['long'])"}
  intersections: false
  min_size: 3
batch_size: 8
""")
write(yaml, "aliases.yaml", """dataset: {manifest: m.csv, label: y}
variants:
  - name: a
    kind: k
    path: p
    options:
      x: &a [1, 1, 1, 1]
      y: &b [*a, *a, *a, *a]
      z: [*b, *b, *b, *b]
""")
write(yaml, "errors.yaml", """dataset:
  generate: {kind: faces, count: 0, seed: -1, size: 8, out: d}
  manifest: also.csv
  label: ""
variants: []
slices: {named: {bad: "age <"}}
unknown: 1
""")
write(yaml, "flow.yaml", '{dataset: {manifest: m.csv, label: y, labels: [a, a]}, variants: [{name: a, kind: k, path: p}, {name: a, kind: k, path: q}], batch_size: 0}\n')

# Slice expressions.
slices = reset("slice-expression")
for index, text in enumerate([
    "age < 13",
    "(sex == 'female' and hair_length == 'short') or (sex == 'male' and hair_length == 'long')",
    "not age_group in ['child', \"teen\"] and score >= 0.5",
    "a != b or c <= -1e3 and d > 2",
    "x not in [1, 2.5, 'three', true, false]",
    "not not (a == 'it\\'s')",
    "((((a == 1))))",
    "a ==",
    "'unterminated",
]):
    write(slices, "expr-%02d" % index, text)


# Plugin frames.
def frame(header, body=b""):
    js = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<II", 4 + len(js) + len(body), len(js)) + js + body


def floats(values):
    return struct.pack("<%df" % len(values), *values)


request = reset("plugin-request")
hello = frame({"type": "hello", "protocol": 1})
write(request, "session", hello + frame({"type": "predict", "id": 1, "shape": [1, 4, 4, 3], "dtype": "float32"}, floats([0.5] * 48))
      + frame({"type": "predict", "id": 2, "shape": [2, 1, 1, 3], "dtype": "float32"}, floats([0.1] * 6)) + frame({"type": "shutdown"}))
write(request, "bad-shape", hello + frame({"type": "predict", "id": 1, "shape": [1, 2, 2], "dtype": "float32"}, floats([0] * 4))
      + frame({"type": "predict", "id": "x", "shape": [1, 1, 1, 1]}, floats([1, 2])) + frame({"type": "ping"}))
write(request, "wrong-protocol", frame({"type": "hello", "protocol": 2}))
write(request, "truncated", hello + frame({"type": "predict", "id": 1, "shape": [1, 4, 4, 3]}, floats([0] * 48))[:40])

response = reset("plugin-response")
reply_hello = frame({"type": "hello", "protocol": 1, "name": "m", "labels": ["a", "b", "c"],
                     "input": {"height": 8, "width": 8, "channels": 3, "normalization": "symmetric", "center_crop": True}})
write(response, "session", reply_hello
      + frame({"type": "result", "id": 1, "shape": [2, 3], "dtype": "float32"}, floats([0.2, 0.3, 0.5] * 2))
      + frame({"type": "result", "id": 2, "shape": [3, 3], "dtype": "float32"}, floats([1, 0, 0] * 3))
      + frame({"type": "result", "id": 3, "shape": [1, 3], "dtype": "float32"}, floats([0.5, 0.5, 0.5])))
write(response, "error-frame", reply_hello + frame({"type": "error", "id": 1, "message": "out of memory"}))
write(response, "bad-hello", frame({"type": "hello", "protocol": 1, "labels": ["a", "a"], "input": {"height": 0, "width": 5000, "channels": 2}}))
write(response, "nested-json", frame({"type": "hello", "protocol": 1.0, "labels": ["x", "y"], "input": {"height": 1, "width": 1, "channels": 1},
                                      "extra": [None, True, {"a": [1e300, -0.0, "s"]}]}))
