#!/usr/bin/env python3
"""A plugin that misbehaves on purpose, for Stratum's failure tests.

    faulty.py MODE [FROM_BATCH]

Speaks protocol 1 correctly until batch FROM_BATCH (default 1), then, by MODE:
exit (exits), hang (never answers), malformed (garbage frame), wrong_count (3 probabilities
for 2 labels), missing_rows (one row short), nan (NaN probabilities), error (an error frame),
wrong_id (answers with another id), oversized (a 100 MB length prefix for a few floats), text
(a log line on stdout), ok (never fails). Start-up modes: version (hello with
protocol 2), crash (exits with a message on stderr before the hello), silent (never says hello).
"""
import json
import struct
import sys
import time


def read_frame():
    prefix = sys.stdin.buffer.read(4)
    if len(prefix) < 4:
        return None, None
    (length,) = struct.unpack("<I", prefix)
    payload = sys.stdin.buffer.read(length)
    (header_length,) = struct.unpack("<I", payload[:4])
    return json.loads(payload[4:4 + header_length]), payload[4 + header_length:]


def write_frame(header, body=b""):
    encoded = json.dumps(header).encode()
    sys.stdout.buffer.write(struct.pack("<II", 4 + len(encoded) + len(body), len(encoded)) + encoded + body)
    sys.stdout.buffer.flush()


def main():
    mode = sys.argv[1]
    start = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    if mode == "crash":
        print("faulty plugin: cannot load weights from /nowhere", file=sys.stderr)
        return 3
    read_frame()
    if mode == "silent":
        time.sleep(3600)
    protocol = 2 if mode == "version" else 1
    write_frame({"type": "hello", "protocol": protocol, "name": "faulty", "labels": ["female", "male"],
                 "input": {"height": 4, "width": 4, "channels": 1, "normalization": "unit"}})
    batch = 0
    while True:
        header, body = read_frame()
        if header is None or header["type"] == "shutdown":
            return 0
        batch += 1
        n = header["shape"][0]
        rows = [[0.25, 0.75]] * n
        if batch >= start and mode != "ok":
            print(f"faulty plugin: misbehaving ({mode}) on batch {batch}", file=sys.stderr)
            if mode == "exit":
                return 7
            if mode == "hang":
                time.sleep(3600)
            if mode == "malformed":
                sys.stdout.buffer.write(b"\xff\xff\xff\x7fnot a frame")
                sys.stdout.buffer.flush()
                time.sleep(3600)
            if mode == "oversized":
                sys.stdout.buffer.write(struct.pack("<I", 100_000_000) + b"x" * 16)
                sys.stdout.buffer.flush()
                time.sleep(3600)
            if mode == "text":
                sys.stdout.buffer.write(b"WARN: cuda not found, using cpu\n")
                sys.stdout.buffer.flush()
                time.sleep(3600)
            if mode == "error":
                write_frame({"type": "error", "id": header["id"], "message": "out of memory (simulated)"})
                continue
            if mode == "wrong_count":
                rows = [[0.2, 0.3, 0.5]] * n
            if mode == "missing_rows":
                rows = rows[:-1]
            if mode == "nan":
                rows = [[float("nan"), 1.0]] * n
        answer_id = header["id"] + 100 if (mode == "wrong_id" and batch >= start) else header["id"]
        body = b"".join(struct.pack("<" + "f" * len(r), *r) for r in rows)
        write_frame({"type": "result", "id": answer_id, "shape": [len(rows), len(rows[0])], "dtype": "float32"}, body)


if __name__ == "__main__":
    sys.exit(main())
