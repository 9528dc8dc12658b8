#!/usr/bin/env python3
"""Per-node times of one ONNX file in onnxruntime, to set beside Stratum's own op profile.

Runs the model with onnxruntime's CPU execution provider, one intra-op thread (or --threads) and
profiling on (SessionOptions.enable_profiling), on random inputs of a fixed seed
with the batch dimension set to --batch, and prints each node's kernel time per
image, largest first. Stratum's side of the comparison is

  STRATUM_PROFILE=nodes .build/release/stratum bench tfjs --model MODEL --batch 32

whose per-node totals divide by (1 + repeats) × count images. Run both under the
same conditions (on this project's shared machines, one right after the other).

  .build/bench-venv/bin/python scripts/ort_profile.py Experiments/models/small-cnn/model.onnx [--batch 32] [--runs 20]
"""

import argparse
import collections
import json
import os
import tempfile

import numpy as np
import onnxruntime as ort


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--threads", type=int, default=1, help="intra-op threads (default 1)")
    args = parser.parse_args()

    options = ort.SessionOptions()
    options.enable_profiling = True
    options.intra_op_num_threads = args.threads
    workdir = tempfile.mkdtemp(prefix="ort-profile-")
    options.profile_file_prefix = os.path.join(workdir, "profile")
    session = ort.InferenceSession(args.model, options, providers=["CPUExecutionProvider"])
    inputs = {}
    rng = np.random.default_rng(11)
    for spec in session.get_inputs():
        shape = [args.batch if not isinstance(d, int) else d for d in spec.shape]
        inputs[spec.name] = rng.random(shape, dtype=np.float32)
    for _ in range(args.runs):
        session.run(None, inputs)
    path = session.end_profiling()
    with open(path) as f:
        events = json.load(f)
    os.remove(path)
    os.rmdir(workdir)

    totals = collections.Counter()
    for event in events:
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            key = "%s [%s]" % (event["name"][: -len("_kernel_time")], event["args"].get("op_name", ""))
            totals[key] += event["dur"]
    images = args.runs * args.batch
    total = sum(totals.values())
    print("%s: %.1f µs per image (%d thread%s, batch %d, %d runs)" % (
        args.model, total / images, args.threads, "" if args.threads == 1 else "s", args.batch, args.runs))
    for key, microseconds in totals.most_common(args.top):
        print("%9.2f µs/image %5.1f%%  %s" % (microseconds / images, 100 * microseconds / total, key))


if __name__ == "__main__":
    main()
