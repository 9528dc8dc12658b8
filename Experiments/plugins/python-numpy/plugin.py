#!/usr/bin/env python3
"""A Stratum plugin (protocol 1, docs/plugin-protocol.md) serving a logistic model with numpy.

It reads a `stratum-logistic` JSON model file (the format `stratum run` writes for the
`logistic` kind) and computes the same probabilities in numpy, so the in-process and the
plugin variant of one model can be compared, and the protocol's overhead measured.

    python3 plugin.py --model ../../data/models/logistic-baseline.json
"""
import argparse
import json
import struct
import sys

import numpy as np

PROTOCOL = 1


def read_exactly(stream, count):
    data = b""
    while len(data) < count:
        chunk = stream.read(count - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def read_frame(stream):
    prefix = read_exactly(stream, 4)
    if prefix is None:
        return None, None
    (length,) = struct.unpack("<I", prefix)
    payload = read_exactly(stream, length)
    if payload is None:
        return None, None
    (header_length,) = struct.unpack("<I", payload[:4])
    header = json.loads(payload[4:4 + header_length].decode("utf-8"))
    return header, payload[4 + header_length:]


def write_frame(stream, header, body=b""):
    encoded = json.dumps(header).encode("utf-8")
    stream.write(struct.pack("<II", 4 + len(encoded) + len(body), len(encoded)))
    stream.write(encoded)
    stream.write(body)
    stream.flush()


class LogisticModel:
    def __init__(self, path):
        with open(path, encoding="utf-8") as handle:
            spec = json.load(handle)
        if spec.get("format") != "stratum-logistic":
            raise ValueError(f"{path}: not a stratum-logistic model")
        self.labels = spec["labels"]
        self.input = spec["input"]
        self.mean = np.asarray(spec["standardization"]["mean"], dtype=np.float64)
        self.scale = np.asarray(spec["standardization"]["scale"], dtype=np.float64)
        self.coef = np.asarray(spec["coef"], dtype=np.float64)
        self.intercept = np.asarray(spec["intercept"], dtype=np.float64)

    def predict(self, images):
        z = (images.reshape(images.shape[0], -1).astype(np.float64) - self.mean) / self.scale
        scores = z @ self.coef.T + self.intercept
        if len(self.labels) == 2:
            p1 = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            return np.stack([1.0 - p1, p1], axis=1)
        scores -= scores.max(axis=1, keepdims=True)
        e = np.exp(scores)
        return e / e.sum(axis=1, keepdims=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a stratum-logistic JSON file")
    args = parser.parse_args()
    model = LogisticModel(args.model)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer

    header, _ = read_frame(stdin)
    if header is None or header.get("type") != "hello":
        print("expected a hello frame", file=sys.stderr)
        return 1
    if header.get("protocol") != PROTOCOL:
        write_frame(stdout, {"type": "error", "message": f"this plugin speaks protocol {PROTOCOL}"})
        return 1
    write_frame(stdout, {
        "type": "hello", "protocol": PROTOCOL, "name": "numpy-logistic", "labels": model.labels,
        "input": {"height": model.input["height"], "width": model.input["width"],
                  "channels": model.input["channels"], "normalization": model.input["normalization"]},
    })
    while True:
        header, body = read_frame(stdin)
        if header is None or header.get("type") == "shutdown":
            return 0
        if header.get("type") != "predict":
            write_frame(stdout, {"type": "error", "message": f"unexpected frame {header.get('type')!r}"})
            continue
        try:
            shape = header["shape"]
            images = np.frombuffer(body, dtype="<f4").reshape(shape)
            probabilities = model.predict(images).astype("<f4")
            write_frame(stdout, {"type": "result", "id": header["id"], "shape": list(probabilities.shape), "dtype": "float32"},
                        probabilities.tobytes())
        except Exception as error:  # reported to Stratum, which fails the variant with this message
            write_frame(stdout, {"type": "error", "id": header.get("id"), "message": f"{type(error).__name__}: {error}"})


if __name__ == "__main__":
    sys.exit(main())
