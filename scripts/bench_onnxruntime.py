#!/usr/bin/env python3
"""onnxruntime images/second for the TensorFlow.js face models' ONNX twins,
as the reference for `stratum bench tfjs --reference FILE.json`.

Loads the .onnx files of MODELS below (tf2onnx exports by scripts/onnx_export.py,
and PyTorch exports)
with onnxruntime's CPU execution provider and default session options
(graph optimisation level ALL, sequential execution, intra-op thread pool of
onnxruntime's default size; the size actually used is printed), and times it
the way `stratum bench tfjs` times Stratum's engine:

  * the same number of images per timed pass (--images, default 512, as
    Stratum's --count) cut into batches of 1 (512 runs) and 32 (16 runs); a
    trailing partial batch is kept, as Stratum does;
  * inputs prepared before timing (preprocessing is not timed on either
    side): float32 NHWC, random from a fixed seed, uniform in the model's
    input range ([0, 1] for small-cnn, [-1, 1] for automl-mobilenet), or
    with --inputs fixtures the six Tests/Fixtures/tfjs/images preprocessed as
    reference.json says and repeated to fill the count;
  * one untimed warm-up pass over all batches, then --repeats timed passes
    (default 5, as Stratum), reporting the median images/second.

Writes FILE.json as {"<model folder name>": {"1": imgs_per_sec, "32":
imgs_per_sec}, ...}, exactly the shape `stratum bench tfjs --reference`
decodes (nothing else goes in it: extra keys would make Stratum's decoder
drop the whole file); thread counts and versions are printed instead.

Run from the repository root:

  python3 scripts/bench_onnxruntime.py --out /tmp/ort.json [--images 512] \\
      [--repeats 5] [--threads 0] [--inputs random|fixtures]
  .build/release/stratum bench tfjs --reference /tmp/ort.json

With --serve it instead times one pass at a time on request, for `stratum bench
tfjs --reference-server`, which alternates onnxruntime's passes with its own so
that each ratio compares two passes run a fraction of a second apart: one JSON
object per line on stdin, {"model": NAME, "batch": B, "images": N}, answered
on stdout by {"images_per_second": R} (the first request for a model, batch and
image count also makes its inputs and runs one untimed warm-up pass) or
{"error": MESSAGE}. It exits at the end of its input.

Needs numpy and onnxruntime (pip install onnxruntime); --inputs fixtures also
needs Pillow. Run it on an otherwise idle machine, right before or after
Stratum's run, so both see the same conditions.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

import numpy as np
import onnxruntime as ort

from bilinear import resize_bilinear

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, ".."))
MODELS_DIR = os.path.join(REPO, "Experiments", "models")
FIXTURES = os.path.join(REPO, "Tests", "Fixtures", "tfjs")

# reference name (as `stratum bench tfjs` keys it) -> (.onnx path from the repository
# root, input side, input range, layout). The first two are tf2onnx exports of the TF.js
# demo models (NHWC); the last two are PyTorch exports (NCHW) that Stratum loads as ONNX,
# so both engines run the very same file.
MODELS = {
    "small-cnn": ("Experiments/models/small-cnn/model.onnx", 64, (0.0, 1.0), "nhwc"),
    "automl-mobilenet": ("Experiments/models/automl-mobilenet/model.onnx", 96, (-1.0, 1.0), "nhwc"),
    "torch-mobilenetv3": ("Experiments/models/torch-mobilenetv3/model.onnx", 96, (-2.0, 2.5), "nchw"),
    "resnet_style": ("Tests/Fixtures/onnx/nets/resnet_style.onnx", 96, (-2.0, 2.5), "nchw"),
}
BATCH_SIZES = (1, 32)
SEED = 7


def thread_count():
    """Threads of this process (Linux), or None elsewhere."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return None


def open_session(path, threads):
    options = ort.SessionOptions()
    options.log_severity_level = 3
    if threads:
        options.intra_op_num_threads = threads
    before = thread_count()
    session = ort.InferenceSession(path, options,
                                   providers=["CPUExecutionProvider"])
    after = thread_count()
    # onnxruntime's intra-op pool has size-1 worker threads, the caller being
    # the size-th; they are created with the session.
    workers = None if before is None or after is None else after - before
    return session, workers


# ---- inputs -------------------------------------------------------------

def random_inputs(count, side, value_range, seed):
    rng = np.random.default_rng(seed)
    low, high = value_range
    return rng.uniform(low, high, size=(count, side, side, 3)).astype(
        np.float32)


def fixture_inputs(count, side, value_range):
    """reference.json's preprocessing: bilinear half-pixel resize in float32,
    then x/255 ([0, 1]) or x/127.5 - 1 ([-1, 1])."""
    from PIL import Image
    with open(os.path.join(FIXTURES, "reference.json")) as f:
        files = [e["file"] for e in json.load(f)["images"]]
    images = []
    for name in files:
        x = resize_bilinear(np.asarray(Image.open(os.path.join(FIXTURES, name)).convert("RGB")), side)
        if value_range[0] == 0.0:
            x = x / np.float32(255.0)
        else:
            x = x / np.float32(127.5) - np.float32(1.0)
        images.append(x.astype(np.float32))
    return np.stack([images[i % len(images)] for i in range(count)])


# ---- timing -------------------------------------------------------------

def throughput(session, batches, repeats):
    """Median images/second over `repeats` timed passes after one warm-up
    pass (the same procedure as Stratum's PluginOverhead.throughput)."""
    inp = session.get_inputs()[0].name
    out = session.get_outputs()[0].name
    images = sum(len(b) for b in batches)
    for batch in batches:                      # warm-up
        session.run([out], {inp: batch})
    rates = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter_ns()
        for batch in batches:
            session.run([out], {inp: batch})
        seconds = (time.perf_counter_ns() - start) / 1e9
        rates.append(images / seconds)
    return statistics.median(rates), rates


def make_batches(name, images, batch_size, inputs):
    _, side, value_range, layout = MODELS[name]
    if inputs == "random":
        data = random_inputs(images, side, value_range, SEED)
    else:
        data = fixture_inputs(images, side, value_range)
    if layout == "nchw":
        data = np.ascontiguousarray(data.transpose(0, 3, 1, 2))
    return [np.ascontiguousarray(data[i:i + batch_size])
            for i in range(0, images, batch_size)]


def serve(args):
    """The --serve loop: one timed pass per request line (see the module's doc)."""
    sessions, prepared = {}, {}

    def answer(obj):
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    for line in sys.stdin:
        try:
            request = json.loads(line)
            name, batch_size, images = request["model"], int(request["batch"]), int(request["images"])
        except (ValueError, KeyError, TypeError) as error:
            answer({"error": "malformed request %r: %s" % (line[:200], error)})
            continue
        if name not in MODELS:
            answer({"error": "no onnxruntime reference for %r (known: %s)" % (name, ", ".join(MODELS))})
            continue
        if batch_size < 1 or not 1 <= images <= 100_000:
            answer({"error": "batch %d and images %d: need batch >= 1 and 1..100000 images" % (batch_size, images)})
            continue
        path = os.path.join(REPO, MODELS[name][0])
        if not os.path.exists(path):
            answer({"error": "%s missing: run scripts/onnx_export.py first" % path})
            continue
        if name not in sessions:
            sessions[name], workers = open_session(path, args.threads)
            print("onnxruntime %s: %s, %s intra-op threads" % (
                ort.__version__, name, "?" if workers is None else workers + 1), file=sys.stderr)
        session = sessions[name]
        key = (name, batch_size, images)
        if key not in prepared:
            prepared[key] = make_batches(name, images, batch_size, args.inputs)
            throughput(session, prepared[key], 0)  # warm-up (and one pass, untimed here)
        rate, _ = throughput_pass(session, prepared[key])
        answer({"images_per_second": rate})


def throughput_pass(session, batches):
    """One timed pass, no warm-up."""
    inp = session.get_inputs()[0].name
    out = session.get_outputs()[0].name
    start = time.perf_counter_ns()
    for batch in batches:
        session.run([out], {inp: batch})
    seconds = (time.perf_counter_ns() - start) / 1e9
    return sum(len(b) for b in batches) / seconds, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", help="JSON file to write")
    parser.add_argument("--images", type=int, default=512,
                        help="images per timed pass (Stratum's --count)")
    parser.add_argument("--repeats", type=int, default=5,
                        help="timed passes; the median is reported")
    parser.add_argument("--threads", type=int, default=0,
                        help="intra-op threads (0 = onnxruntime's default)")
    parser.add_argument("--inputs", choices=("random", "fixtures"),
                        default="random")
    parser.add_argument("--serve", action="store_true",
                        help="time one pass per request on stdin (stratum bench tfjs --reference-server)")
    parser.add_argument("--models", nargs="+", default=list(MODELS),
                        choices=list(MODELS))
    args = parser.parse_args()
    if args.serve:
        return serve(args)
    if not args.out:
        parser.error("--out is needed (or --serve)")
    if args.images < 1:
        parser.error("--images must be at least 1")

    cpus = os.cpu_count()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = cpus
    print("onnxruntime %s (%s), numpy %s, Python %s, %s; %s CPUs (%s usable)"
          % (ort.__version__, ",".join(ort.get_available_providers()),
             np.__version__, platform.python_version(), platform.machine(),
             cpus, usable))
    print("%d images per pass, batches of %s, warm-up pass + median of %d, "
          "%s inputs%s" % (args.images, "/".join(map(str, BATCH_SIZES)),
                           args.repeats, args.inputs,
                           " (seed %d)" % SEED if args.inputs == "random"
                           else ""))

    results, rows = {}, []
    for name in args.models:
        relative, side, value_range, layout = MODELS[name]
        path = os.path.join(REPO, relative)
        if not os.path.exists(path):
            sys.exit("%s missing: run scripts/onnx_export.py first" % path)
        session, workers = open_session(path, args.threads)
        threads = "?" if workers is None else str(workers + 1)
        print("%s: %s, intra_op_num_threads=%s -> %s intra-op threads "
              "(caller + %s pool workers), execution mode sequential" % (
                  name, os.path.relpath(path, REPO),
                  args.threads or "0 (default)", threads,
                  "?" if workers is None else workers))
        results[name] = {}
        for batch_size in BATCH_SIZES:
            batches = make_batches(name, args.images, batch_size, args.inputs)
            rate, rates = throughput(session, batches, args.repeats)
            results[name][str(batch_size)] = round(rate, 2)
            rows.append((name, batch_size, len(batches), rate,
                         min(rates), max(rates), 1000.0 * batch_size / rate,
                         threads))

    print()
    print("%-18s %5s %5s %12s %21s %12s %7s" % (
        "model", "batch", "runs", "images/s", "(min .. max of runs)",
        "ms/batch", "threads"))
    for name, bs, runs, rate, lo, hi, ms, threads in rows:
        print("%-18s %5d %5d %12.1f %9.1f .. %9.1f %12.3f %7s" % (
            name, bs, runs, rate, lo, hi, ms, threads))

    with open(args.out, "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    print("\nwrote %s" % args.out)


if __name__ == "__main__":
    main()
