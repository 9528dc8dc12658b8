#!/usr/bin/env python3
"""Writes valid progressive JPEGs with many scans, for the scan limit's tests.

    scripts/make_jpeg_scan_fixtures.py OUT_DIR                 the fixtures (below)
    scripts/make_jpeg_scan_fixtures.py --one FILE SIDE SCANS   one file, e.g. 4096 883 for timing

Each file is a flat grey greyscale image (every coefficient 0: it decodes to 128 everywhere),
SIDE x SIDE pixels, written by hand: one DC scan, then AC scans of one coefficient each, every
one first sent at Al = 13 and refined bit by bit down to Al = 0 (14 scans per coefficient,
883 in all at most), every block coded by end-of-band runs. That is a valid progression:
djpeg decodes every file without a warning. Fixtures (64 x 64):

    scans-100.jpg          100 scans: the most Stratum decodes
    scans-101.jpg          101 scans
    scans-101-stray.jpg    101 scans, each after the first preceded by a comment segment, a
                           stray byte and a fill byte (0xFF): libjpeg skips the last two (the
                           stray byte with a warning Stratum lets through)
    scans-101-empty.jpg    101 scans after a COM segment of length 0 and an APP1 of length 1,
                           which libjpeg reads as empty and goes on
"""
import os
import struct
import sys


def segment(marker, payload):
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


class Bits:
    def __init__(self):
        self.out, self.value, self.count = bytearray(), 0, 0

    def put(self, value, length):
        for bit in range(length - 1, -1, -1):
            self.value = (self.value << 1) | ((value >> bit) & 1)
            self.count += 1
            if self.count == 8:
                self.out.append(self.value)
                if self.value == 0xFF:
                    self.out.append(0x00)   # byte stuffing
                self.value, self.count = 0, 0

    def flush(self):
        while self.count:
            self.put(1, 1)   # pad with ones
        return bytes(self.out)


def end_of_band_runs(blocks):
    """Every block of a scan in end-of-band runs: EOBn (symbol n << 4, code n of 4 bits in the
    table below) then n bits, a run of 2**n plus those bits, at most 32767."""
    bits = Bits()
    left = blocks
    while left:
        run = min(left, 32767)
        n = run.bit_length() - 1
        bits.put(n, 4)
        bits.put(run - (1 << n), n)
        left -= run
    return bits.flush()


def scan_list(count):
    scans = [(0, 0, 0, 0)]   # DC first, Al 0
    for k in range(1, 64):
        scans.append((k, k, 0, 13))
        scans += [(k, k, ah, ah - 1) for ah in range(13, 0, -1)]
    if count > len(scans):
        raise SystemExit("at most %d scans" % len(scans))
    return scans[:count]


def jpeg(side, count, stray=False, empty=False):
    blocks = ((side + 7) // 8) ** 2
    out = bytearray(b"\xFF\xD8")
    if empty:
        out += b"\xFF\xFE\x00\x00\xFF\xE1\x00\x01"   # lengths 0 and 1: nothing follows them
    out += segment(0xDB, bytes([0x00]) + bytes([1] * 64))                       # DQT: all 1
    out += segment(0xC2, bytes([8]) + struct.pack(">HH", side, side) + bytes([1, 1, 0x11, 0]))  # SOF2
    dc = bytes([0x00]) + bytes([1] + [0] * 15) + bytes([0])                     # DC: symbol 0, code "0"
    ac = bytes([0x10]) + bytes([0, 0, 0, 15] + [0] * 12) + bytes(n << 4 for n in range(15))
    out += segment(0xC4, dc + ac)
    ac_data = end_of_band_runs(blocks)
    dc_bits = Bits()
    for _ in range(blocks):
        dc_bits.put(0, 1)
    dc_data = dc_bits.flush()
    for index, (ss, se, ah, al) in enumerate(scan_list(count)):
        if stray and index > 0:
            # A comment, then a stray byte and a fill byte before the SOS marker.
            out += segment(0xFE, b"scan %d" % index) + b"\x5A\xFF"
        out += segment(0xDA, bytes([1, 1, 0x00, ss, se, (ah << 4) | al]))
        out += dc_data if index == 0 else ac_data
    out += b"\xFF\xD9"
    return bytes(out)


def write(path, data):
    with open(path + ".part", "wb") as f:
        f.write(data)
    os.replace(path + ".part", path)


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--one":
        write(sys.argv[2], jpeg(int(sys.argv[3]), int(sys.argv[4])))
        return
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    write(os.path.join(out, "scans-100.jpg"), jpeg(64, 100))
    write(os.path.join(out, "scans-101.jpg"), jpeg(64, 101))
    write(os.path.join(out, "scans-101-stray.jpg"), jpeg(64, 101, stray=True))
    write(os.path.join(out, "scans-101-empty.jpg"), jpeg(64, 101, empty=True))


if __name__ == "__main__":
    main()
