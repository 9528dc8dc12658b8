#!/usr/bin/env python3
"""Summarises rounds of `stratum bench tfjs --reference ORT.json --format json`.

Each round times onnxruntime and Stratum on the same networks in alternating
single passes (--reference-server), so each ratio compares the two under the
same machine conditions; a round's ratio is the median over its pairs of
passes. This prints every round, then per model and batch size the median
over rounds of Stratum's images/second, onnxruntime's images/second and the
per-round ratio (a median of ratios, not a ratio of medians).

    python3 scripts/bench_summary.py round-1.json round-2.json ...
"""

import json
import statistics
import sys


def main(paths):
    rounds = []
    for path in paths:
        with open(path) as f:
            rounds.append(json.load(f))
    if not rounds:
        sys.exit("bench_summary: no round files given")
    print("engine: %s" % rounds[0]["engine"])
    print("%d images per pass, median of %d passes per round; %d rounds, %s"
          % (rounds[0]["images"], rounds[0]["repeats"], len(rounds),
             "paired passes of onnxruntime and Stratum" if rounds[0].get("paired") else "onnxruntime then Stratum in each"))
    keys = []
    by_key = {}
    for number, data in enumerate(rounds, 1):
        for r in data["results"]:
            key = (r["model"], r["batch"])
            if key not in by_key:
                keys.append(key)
                by_key[key] = []
            by_key[key].append(r)
            reference = r.get("reference_images_per_second")
            print("round %d  %-18s batch %2d  %8.1f images/s  %6.2f GFLOP/s   onnxruntime %8s images/s  %s"
                  % (number, r["model"], r["batch"], r["images_per_second"], r["gflops"],
                     "%.1f" % reference if reference else "-",
                     "%.2f×" % r["ratio"] if "ratio" in r else ""))
    print()
    print("median over %d rounds:" % len(rounds))
    print("%-18s %5s %12s %9s %12s %18s" % ("model", "batch", "images/s", "GFLOP/s", "onnxruntime", "Stratum ÷ ORT"))
    for key in keys:
        rows = by_key[key]
        rate = statistics.median(r["images_per_second"] for r in rows)
        gflops = statistics.median(r["gflops"] for r in rows)
        refs = [r["reference_images_per_second"] for r in rows if "reference_images_per_second" in r]
        ratios = [r["ratio"] for r in rows if "ratio" in r]
        print("%-18s %5d %12.1f %9.2f %12s %18s" % (
            key[0], key[1], rate, gflops,
            "%.1f" % statistics.median(refs) if refs else "-",
            "%.2f× (%.2f–%.2f)" % (statistics.median(ratios), min(ratios), max(ratios)) if ratios else "-"))


if __name__ == "__main__":
    main(sys.argv[1:])
