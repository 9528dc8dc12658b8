#!/usr/bin/env python3
"""Writes Tests/Fixtures/images/hostile/: small images for hostile or mistaken input tests.

    python3 scripts/make_hostile_images.py               # write the fixtures, then check them with Pillow
    python3 scripts/make_hostile_images.py --check-libs  # also decode them with the system libpng
                                                         # (simplified API) and TurboJPEG, as Stratum does

Needs the standard library, numpy and Pillow only (--check-libs also loads libpng16 and
libturbojpeg through ctypes). Every PNG is written by hand (chunks via zlib, struct and crc32),
so its bytes depend on nothing but zlib; the JPEGs and the WebP come from Pillow, so their bytes
follow Pillow's bundled libjpeg-turbo and libwebp. The expected pixels are computed here with
numpy, or (for lossy JPEGs) read back from the written file with Pillow; see expected.json's
"conventions" for what each number means.
"""
import argparse
import hashlib
import io
import json
import re
import struct
import sys
import warnings
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "images" / "hostile"
H, W = 6, 8  # the small images: 8 wide, 6 high

# ---------------------------------------------------------------------------------------------
# Pixel patterns


def reference_pixels():
    """P: 8-bit RGB, H x W x 3, every pixel a different triple, every channel different."""
    y, x, c = np.meshgrid(np.arange(H), np.arange(W), np.arange(3), indexing="ij")
    p = (37 * x + 59 * y + 83 * c + 13 * x * y + 29 * c * x * y + 11 * c * c) % 256
    p[0, 0] = (0, 255, 128)
    p[H - 1, W - 1] = (255, 0, 1)
    p = p.astype(np.uint8)
    assert len({tuple(v) for v in p.reshape(-1, 3)}) == H * W
    return p


# Offsets added to P * 257 to make 16-bit samples. Q / 257 = P + offset / 257, so:
#   0     -> exactly P under every convention
#   +100  -> round: P, truncate: P, high byte (Q >> 8): P + 1 when P >= 156
#   +128  -> fraction .498: round: P (just below half), high byte: P + 1 when P >= 128
#   +129  -> fraction .502: round: P + 1, truncate: P
#   -100  -> round: P, truncate: P - 1
#   -129  -> fraction .498 below: round: P - 1, truncate: P - 1, high byte: P - 1 (or P)
#   +127, +1, -1 -> small perturbations
OFFSETS = np.array([0, 100, 0, 128, 0, 129, 0, -100, 0, -129, 127, 1, 0, -1], dtype=np.int64)


def sixteen_bit(p8):
    """Q = clip(P * 257 + offset, 0, 65535) with the offset cycling per pixel and channel."""
    # Spread the offsets so that neighbouring channels and rows get different ones.
    if p8.ndim == 3:
        y, x, c = np.meshgrid(*(np.arange(n) for n in p8.shape), indexing="ij")
        idx = x + 3 * y + 5 * c
    else:
        y, x = np.meshgrid(*(np.arange(n) for n in p8.shape), indexing="ij")
        idx = x + 3 * y
    q = p8.astype(np.int64) * 257 + OFFSETS[idx % len(OFFSETS)]
    return np.clip(q, 0, 65535).astype(np.uint16)


def to8_round(q):
    """The expected 8-bit value of a 16-bit sample: round-half-up of Q * 255 / 65535."""
    return ((q.astype(np.int64) * 255 + 32767) // 65535).astype(np.uint8)


def to8_truncate(q):
    return (q.astype(np.int64) * 255 // 65535).astype(np.uint8)


def to8_high_byte(q):
    return (q.astype(np.int64) >> 8).astype(np.uint8)


# ---------------------------------------------------------------------------------------------
# PNG by hand

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chunk(tag, data):
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def ihdr(width, height, bit_depth, colour_type, interlace=0):
    return chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, interlace))


def gama(value):
    return chunk(b"gAMA", struct.pack(">I", value))


def chrm_srgb():
    # White point D65 and the sRGB primaries, times 100000.
    return chunk(b"cHRM", struct.pack(">8I", 31270, 32900, 64000, 33000, 30000, 60000, 15000, 6000))


def exif_tiff(orientation):
    """A big-endian TIFF block with one IFD0 entry: Orientation (0x0112, SHORT) = orientation."""
    return (b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1)
            + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(">I", 0))


def filter_rows(rows, bpp):
    """Filters each scanline (a uint8 array of H x rowbytes) with filter type y % 5
    (None, Sub, Up, Average, Paeth in turn), so decoders must undo all five."""
    out = bytearray()
    prev = np.zeros(rows.shape[1], dtype=np.int64)
    for y in range(rows.shape[0]):
        cur = rows[y].astype(np.int64)
        left = np.concatenate([np.zeros(bpp, np.int64), cur[:-bpp]])
        upleft = np.concatenate([np.zeros(bpp, np.int64), prev[:-bpp]])
        kind = y % 5
        if kind == 0:
            f = cur
        elif kind == 1:
            f = cur - left
        elif kind == 2:
            f = cur - prev
        elif kind == 3:
            f = cur - (left + prev) // 2
        else:
            a, b, c = left, prev, upleft
            p = a + b - c
            pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
            pred = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))
            f = cur - pred
        out.append(kind)
        out += (f % 256).astype(np.uint8).tobytes()
        prev = cur
    return bytes(out)


# Adam7's seven passes: (first column, first row, column step, row step).
ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


def png(width, height, bit_depth, colour_type, samples, before_idat=(), interlace=False):
    """samples: H x W x channels (or H x W) array, uint8 or uint16 (written big-endian).
    interlace: Adam7, each pass's rows filtered on their own (an empty pass has no rows)."""
    arr = np.asarray(samples)
    channels = 1 if arr.ndim == 2 else arr.shape[2]

    def scanlines(part):
        rows = part.shape[0]
        if bit_depth == 16:
            return part.astype(">u2").reshape(rows, -1).view(np.uint8).reshape(rows, -1), 2 * channels
        return part.astype(np.uint8).reshape(rows, -1), channels

    if interlace:
        filtered = b""
        for x0, y0, dx, dy in ADAM7:
            part = arr[y0::dy, x0::dx]
            if part.shape[0] and part.shape[1]:
                filtered += filter_rows(*scanlines(part))
    else:
        filtered = filter_rows(*scanlines(arr))
    data = zlib.compress(filtered, 9)
    return (SIGNATURE + ihdr(width, height, bit_depth, colour_type, 1 if interlace else 0)
            + b"".join(before_idat) + chunk(b"IDAT", data) + chunk(b"IEND", b""))


def huge_declared_png(side=10_000):
    """IHDR says side x side 8-bit RGB; the IDAT data is that many all-zero scanlines
    (filter byte 0, black pixels), deflated in a stream and split into 64 KiB IDAT chunks."""
    row = bytes(1 + 3 * side)
    z = zlib.compressobj(9)
    parts = [z.compress(row) for _ in range(side)]
    parts.append(z.flush())
    data = b"".join(parts)
    idats = b"".join(chunk(b"IDAT", data[i:i + 65536]) for i in range(0, len(data), 65536))
    return SIGNATURE + ihdr(side, side, 8, 2) + idats + chunk(b"IEND", b"")


# ---------------------------------------------------------------------------------------------
# JPEG and WebP through Pillow


def jpeg_bytes(image, **options):
    buf = io.BytesIO()
    image.save(buf, "JPEG", optimize=False, progressive=False, **options)
    return buf.getvalue()


def ycck_jpeg(intended_cmyk):
    """A YCCK JPEG (Adobe APP14 transform 2), which Pillow cannot write directly.

    libjpeg turns CMYK input into YCCK by taking R, G, B = 255 - the three stored (Adobe, inverted)
    colour components, converting those to YCbCr and passing K through; a decoder undoes it. Ink
    values T are stored inverted, S = 255 - T, so R, G, B = T[C], T[M], T[Y]. Those components are
    computed here with libjpeg's fixed-point formula and written as a four-component "CMYK" JPEG
    (Pillow stores 255 - what it is given), then the APP14 transform byte is changed from 0 to 2.
    """
    t = intended_cmyk.astype(np.int64)
    r, g, b = t[..., 0], t[..., 1], t[..., 2]
    fix = lambda v: int(v * 65536 + 0.5)  # libjpeg's FIX() with SCALEBITS 16
    half = 1 << 15
    yy = (fix(0.29900) * r + fix(0.58700) * g + fix(0.11400) * b + half) >> 16
    cb = (-fix(0.16874) * r - fix(0.33126) * g + fix(0.5) * b + (128 << 16) + half - 1) >> 16
    cr = (fix(0.5) * r - fix(0.41869) * g - fix(0.08131) * b + (128 << 16) + half - 1) >> 16
    stored = np.stack([yy, cb, cr, 255 - t[..., 3]], axis=-1)
    given = (255 - stored).astype(np.uint8)
    data = bytearray(jpeg_bytes(Image.frombytes("CMYK", (t.shape[1], t.shape[0]), given.tobytes()),
                                quality=95, subsampling=0))
    at = data.find(b"\xff\xee")
    assert at >= 0 and data[at + 4:at + 9] == b"Adobe" and data[at + 15] == 0
    data[at + 15] = 2
    return bytes(data)


def truncate_jpeg_in_scan(data):
    """Cuts a JPEG halfway through its entropy-coded data (after a complete SOS header)."""
    sos = data.find(b"\xff\xda")
    start = sos + 2 + struct.unpack(">H", data[sos + 2:sos + 4])[0]
    end = data.rfind(b"\xff\xd9")
    return data[:start + (end - start) // 2]


# ---------------------------------------------------------------------------------------------


def pixels(arr):
    return [int(v) for v in np.asarray(arr).reshape(-1)]


def rgb(arr):
    a = np.asarray(arr)
    return np.repeat(a[..., None], 3, axis=-1) if a.ndim == 2 else a


def build():
    """Returns (files: name -> bytes, entries: list of expected.json records)."""
    files, entries = {}, []
    P = reference_pixels()

    def decoded(name, what, arr, **extra):
        a = rgb(arr)
        entries.append(dict(file=name, what=what, width=int(a.shape[1]), height=int(a.shape[0]),
                            pixels=pixels(a), **extra))

    def failing(name, what, category, **extra):
        entries.append(dict(file=name, what=what, error=category, **extra))

    # 1. Plain 8-bit RGB.
    files["rgb8.png"] = png(W, H, 8, 2, P)
    decoded("rgb8.png", "8-bit RGB PNG, no colour chunks; rows use filters None, Sub, Up, Average, "
            "Paeth in turn. These are the reference pixels P.", P)

    # 2, 3. 16-bit RGB, without and with gAMA 1.0.
    Q = sixteen_bit(P)
    alternatives = dict(samples16=pixels(Q), pixels_truncate=pixels(to8_truncate(Q)),
                        pixels_round=pixels(to8_round(Q)))
    files["rgb16.png"] = png(W, H, 16, 2, Q)
    decoded("rgb16.png", "16-bit RGB PNG (colour type 2), no gAMA/sRGB/iCCP. Samples Q = P*257 + "
            "small offsets; 8-bit value = Q >> 8.", to8_high_byte(Q), **alternatives)
    files["rgb16-gamma.png"] = png(W, H, 16, 2, Q, [gama(100000)])
    decoded("rgb16-gamma.png", "rgb16.png with gAMA 100000 (gamma 1.0, linear). Expected as "
            "rgb16.png: high bytes, no gamma conversion.", to8_high_byte(Q), gama=100000,
            **{key: list(value) for key, value in alternatives.items()})

    # 4. 8-bit RGB with gamma chunks: expected P unchanged.
    files["rgb8-gamma.png"] = png(W, H, 8, 2, P, [gama(100000)])
    decoded("rgb8-gamma.png", "rgb8.png with gAMA 100000 (gamma 1.0, not sRGB). Expected P "
            "unchanged: no gamma conversion.", P, gama=100000)
    files["rgb8-gamma-045.png"] = png(W, H, 8, 2, P, [chrm_srgb(), gama(45455)])
    decoded("rgb8-gamma-045.png", "rgb8.png with cHRM (sRGB primaries, D65) and gAMA 45455. "
            "Expected P unchanged.", P, gama=45455)

    # 5. 16-bit grey.
    G16 = sixteen_bit(P[..., 1])
    files["gray16.png"] = png(W, H, 16, 0, G16)
    decoded("gray16.png", "16-bit greyscale PNG (colour type 0), no colour chunks; grey = "
            "Q >> 8 in all three channels.", to8_high_byte(G16), samples16=pixels(G16),
            pixels_truncate=pixels(rgb(to8_truncate(G16))),
            pixels_round=pixels(rgb(to8_round(G16))))

    # 5b. Interlaced (Adam7), 37 x 23 random samples. libpng 1.6.39's simplified API (Debian 12's
    # 1.6.39-2+deb12u4) decodes the 16-bit ones wrong, every other row (libpng issue 853).
    noise = np.random.default_rng(853)
    R16 = noise.integers(0, 65536, size=(23, 37, 3)).astype(np.uint16)
    files["rgb16-interlaced.png"] = png(37, 23, 16, 2, R16, interlace=True)
    decoded("rgb16-interlaced.png", "Interlaced (Adam7) 16-bit RGB, 37x23 random samples; "
            "8-bit value = Q >> 8.", to8_high_byte(R16), samples16=pixels(R16))
    GA16 = noise.integers(0, 65536, size=(23, 37, 2)).astype(np.uint16)
    files["gray-alpha16-interlaced.png"] = png(37, 23, 16, 4, GA16, interlace=True)
    decoded("gray-alpha16-interlaced.png", "Interlaced (Adam7) 16-bit grey + alpha, 37x23 random "
            "samples; grey = Q >> 8 in all three channels, alpha dropped.",
            to8_high_byte(GA16[..., 0]), samples16=pixels(GA16))
    R8 = noise.integers(0, 256, size=(23, 37, 3)).astype(np.uint8)
    files["rgb8-interlaced.png"] = png(37, 23, 8, 2, R8, interlace=True)
    decoded("rgb8-interlaced.png", "Interlaced (Adam7) 8-bit RGB, 37x23 random samples.", R8)

    # 6. Files that must not decode.
    files["truncated.png"] = files["rgb8.png"][:len(files["rgb8.png"]) // 2]
    failing("truncated.png", "rgb8.png cut to its first half (ends inside IDAT).", "truncated")
    plain_jpeg = jpeg_bytes(Image.fromarray(P), quality=90, subsampling=0)
    files["truncated.jpg"] = truncate_jpeg_in_scan(plain_jpeg)
    failing("truncated.jpg", "A JPEG of P (quality 90, 4:4:4) cut halfway through its scan data: "
            "the header is complete, the image data is not, there is no EOI.", "truncated")
    files["zero.png"] = b""
    failing("zero.png", "0 bytes.", "empty")
    files["text.png"] = "this is not an image\n".encode("utf-8")
    failing("text.png", "UTF-8 text named .png.", "unknown-format")
    webp = io.BytesIO()
    Image.fromarray(P).save(webp, "WEBP", lossless=True, quality=100, method=6, exact=True)
    files["image.webp"] = webp.getvalue()
    files["webp-named.png"] = files["image.webp"]
    for name, what in (("image.webp", "A real lossless WebP of P."),
                       ("webp-named.png", "image.webp, byte for byte, named .png.")):
        failing(name, what + " Stratum reads PNG and JPEG only.", "unknown-format",
                pixels_if_webp_supported=pixels(P))
    vp8 = b"\x10\x02\x00" + b"\x9d\x01\x2a" + struct.pack("<HH", W, H)  # key-frame header only
    body = b"WEBP" + b"VP8 " + struct.pack("<I", len(vp8)) + vp8
    files["fake.webp"] = b"RIFF" + struct.pack("<I", len(body)) + body
    failing("fake.webp", "RIFF/WEBP/VP8 headers declaring 8x6, then no compressed data.",
            "unknown-format")

    # 7. CMYK and YCCK JPEGs.
    y, x = np.meshgrid(np.arange(H), np.arange(W), indexing="ij")
    T = np.stack([(20 + 28 * x + 5 * y), (230 - 30 * y - 4 * x), (40 + 9 * x + 21 * y),
                  (10 + 6 * x + 7 * y)], axis=-1).astype(np.uint8)  # ink values C, M, Y, K
    for name, data, how in (
            ("cmyk.jpg", jpeg_bytes(Image.frombytes("CMYK", (W, H), T.tobytes()), quality=95,
                                    subsampling=0),
             "CMYK JPEG written by Pillow (quality 95): Adobe APP14 marker, transform 0, "
             "components stored inverted (Adobe convention: stored = 255 - ink)."),
            ("ycck.jpg", ycck_jpeg(T),
             "YCCK JPEG (Adobe APP14 transform 2; stored K inverted, Y/Cb/Cr from the inks), "
             "made from a Pillow CMYK JPEG whose components were pre-converted.")):
        files[name] = data
        decoded_cmyk = np.asarray(Image.open(io.BytesIO(data)))
        im = Image.open(io.BytesIO(data))
        tile = im.tile[0]
        im.tile = [tile._replace(args=("CMYK",) + tuple(tile.args[1:]))]  # no inversion
        stored = np.asarray(im)
        assert np.array_equal(stored, 255 - decoded_cmyk)
        as_rgb = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
        k = 255 - decoded_cmyk[..., 3:].astype(np.int64)
        formula = (((255 - decoded_cmyk[..., :3].astype(np.int64)) * k + 127) // 255)
        assert np.array_equal(as_rgb, formula), name
        decoded(name, how + " Expected = Pillow's Image.open(...).convert('RGB') = "
                "round((255 - C) * (255 - K) / 255) per channel, from the decoded inks.", as_rgb,
                cmyk_intended=pixels(T), cmyk_decoded=pixels(decoded_cmyk),
                cmyk_stored_components=pixels(stored), lossy=True)

    # 7b. cmyk.jpg without its Adobe APP14 segment: Pillow still takes the components as
    # Adobe-inverted (it assumes that for every CMYK JPEG), so the expected pixels are cmyk.jpg's.
    cmyk = files["cmyk.jpg"]
    app14 = cmyk.find(b"\xff\xee")
    assert app14 > 0
    files["cmyk-noadobe.jpg"] = cmyk[:app14] + cmyk[app14 + 2 + struct.unpack(">H", cmyk[app14 + 2:app14 + 4])[0]:]
    noadobe_rgb = np.asarray(Image.open(io.BytesIO(files["cmyk-noadobe.jpg"])).convert("RGB"))
    assert np.array_equal(noadobe_rgb, np.asarray(Image.open(io.BytesIO(cmyk)).convert("RGB")))
    decoded("cmyk-noadobe.jpg", "cmyk.jpg with its Adobe APP14 segment removed. Expected = Pillow's "
            "convert('RGB'), which inverts CMYK JPEGs with or without the segment: cmyk.jpg's pixels.",
            noadobe_rgb, lossy=True)

    # 7c. A complete baseline JPEG with stray bytes before EOI: libjpeg warns ("11 extraneous
    # bytes before marker 0xd9"; the first few vanish into the decoder's look-ahead); Pillow and
    # TensorFlow decode it as the clean file.
    clean = jpeg_bytes(Image.fromarray(P), quality=90, subsampling=0)
    assert clean.endswith(b"\xff\xd9")
    files["junk-before-eoi.jpg"] = clean[:-2] + b"A" * 16 + clean[-2:]
    decoded("junk-before-eoi.jpg", "A JPEG of P (quality 90, 4:4:4) with 16 bytes 'A' inserted before "
            "EOI (libjpeg warns of extraneous bytes). Expected = Pillow's pixels of the clean file.", np.asarray(Image.open(io.BytesIO(clean)).convert("RGB")),
            lossy=True)

    # 8. EXIF orientation: 8 wide x 4 high, four solid quadrants.
    quadrants = {"red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255),
                 "yellow": (255, 255, 0)}
    O = np.zeros((4, 8, 3), np.uint8)
    O[:2, :4], O[:2, 4:] = quadrants["red"], quadrants["green"]
    O[2:, :4], O[2:, 4:] = quadrants["blue"], quadrants["yellow"]
    stored_corner = {"top-left": "red", "top-right": "green", "bottom-left": "blue",
                     "bottom-right": "yellow"}
    # The stored corner that ends up at the displayed top-left, per orientation.
    shown_top_left = {6: "bottom-left", 3: "bottom-right"}
    exif_files = []
    for orientation in (6, 3):
        name = f"exif-orient-{orientation}.jpg"
        files[name] = jpeg_bytes(Image.fromarray(O), quality=100, subsampling=0,
                                 exif=b"Exif\x00\x00" + exif_tiff(orientation))
        exif_files.append((name, orientation, "JPEG (quality 100, 4:4:4) with an APP1 Exif block"))
    files["exif-orient-6.png"] = png(8, 4, 8, 2, O, [chunk(b"eXIf", exif_tiff(6))])
    exif_files.append(("exif-orient-6.png", 6, "8-bit RGB PNG with an eXIf chunk"))
    for name, orientation, how in exif_files:
        im = Image.open(io.BytesIO(files[name]))
        assert im.getexif().get(0x0112) == orientation, name
        stored = np.asarray(im.convert("RGB"))
        shown = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
        turn = {6: "rotate 90 degrees clockwise", 3: "rotate 180 degrees"}[orientation]
        colour = stored_corner[shown_top_left[orientation]]
        decoded(name, f"{how}: Orientation = {orientation} ({turn} to display). Stored 8x4 in "
                "quadrants: red top-left, green top-right, blue bottom-left, yellow bottom-right. "
                "'pixels' are the stored pixels (orientation not applied); 'displayed' has them "
                "with Pillow's ImageOps.exif_transpose applied.", stored,
                lossy=name.endswith(".jpg"), orientation=orientation,
                stored_width=int(stored.shape[1]), stored_height=int(stored.shape[0]),
                displayed=dict(width=int(shown.shape[1]), height=int(shown.shape[0]),
                               top_left_colour=colour,
                               top_left_intended=list(quadrants[colour]),
                               top_left_rgb=pixels(shown[0, 0]), pixels=pixels(shown)))

    # 9. A tiny file that declares 10000 x 10000.
    files["huge-declared.png"] = huge_declared_png()
    failing("huge-declared.png", "Valid PNG whose IHDR declares 10000x10000 8-bit RGB (300 MB "
            "decoded); IDAT holds every (all-zero, filter 0) scanline.", "too-large",
            declared_width=10000, declared_height=10000)

    # 10. Transparency: palette with a short tRNS, and 8-bit grey + alpha.
    palette = np.array([(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255), (0, 0, 0),
                        (200, 100, 50), (17, 34, 51), (128, 128, 128), (250, 5, 90),
                        (60, 180, 75), (145, 30, 180), (240, 240, 16)], np.uint8)
    trns = np.array([0, 32, 64, 128, 192, 254, 255, 17], np.uint8)  # entries 8..11: opaque
    alpha_of = np.concatenate([trns, np.full(len(palette) - len(trns), 255, np.uint8)])
    index = ((x + 2 * y) % len(palette)).astype(np.uint8)
    files["palette.png"] = png(W, H, 8, 3, index, [chunk(b"PLTE", palette.tobytes()),
                                                    chunk(b"tRNS", trns.tobytes())])
    decoded("palette.png", "8-bit palette PNG (12 entries) with a tRNS chunk of 8 alphas (entries "
            "8-11 are opaque). 'pixels' are the palette RGB with alpha ignored; 'alpha' is per "
            "pixel; whether and how to composite is the test's choice.", palette[index],
            alpha=pixels(alpha_of[index]), palette=pixels(palette), trns=pixels(trns),
            indices=pixels(index), has_alpha=True)
    grey = ((19 * x + 41 * y + 3 * x * y) % 256).astype(np.uint8)
    alpha = np.array([0, 255, 128, 1, 254, 64, 200, 17], np.uint8)[(x + y) % 8]
    files["gray-alpha.png"] = png(W, H, 8, 4, np.stack([grey, alpha], axis=-1))
    decoded("gray-alpha.png", "8-bit grey + alpha PNG (colour type 4). 'pixels' are the grey "
            "value in all three channels with alpha ignored; 'alpha' is per pixel.", grey,
            alpha=pixels(alpha), has_alpha=True)

    return files, entries


CONVENTIONS = {
    "layout": "'pixels' lists are 8-bit RGB, row-major, HWC (r, g, b of (0,0), then (1,0), ...), "
              "width * height * 3 numbers; 'alpha', 'indices', 'samples16' (16-bit) and "
              "cmyk_* lists follow the same order with their own channel counts (1, 1, 3 or 1, 4).",
    "outcome": "An entry has either 'pixels' (decoding should succeed) or 'error', one of "
               "'truncated', 'empty', 'unknown-format', 'too-large' (decoding should fail).",
    "sixteen_bit": "8-bit = Q >> 8, the high byte, as Pillow's convert('RGB') and "
                   "tf.io.decode_png give it. For contrast: 'pixels_round' = round(Q/257), "
                   "'pixels_truncate' = floor(Q*255/65535). 'samples16' holds Q (grey and alpha "
                   "interleaved for grey + alpha).",
    "gamma": "No gamma or chromaticity conversion: gAMA and cHRM are ignored, 8-bit files give "
             "their samples and 16-bit files the high bytes above.",
    "alpha": "'pixels' ignore alpha (palette RGB, or grey replicated); 'alpha' gives the alpha "
             "per pixel so a test can composite as it chooses.",
    "lossy": "Entries with lossy=true are JPEGs; their pixels are what Pillow "
             + f"{Image.__version__} (libjpeg-turbo, default islow IDCT) decodes from the file; "
             "another libjpeg-turbo build may differ by a level or two.",
    "cmyk": "cmyk/ycck 'pixels' = Pillow's convert('RGB') of the decoded inks: "
            "round((255 - C) * (255 - K) / 255) for R (M for G, Y for B). 'cmyk_decoded' are "
            "the inks as Pillow returns them (Adobe inversion undone); 'cmyk_stored_components' "
            "are the values the file's components decode to (= 255 - inks); 'cmyk_intended' are "
            "the inks that were encoded.",
    "orientation": "For exif-orient-*: 'pixels', 'width', 'height' are the stored pixels with "
                   "the orientation not applied; 'displayed' holds Pillow's "
                   "ImageOps.exif_transpose result and the colour at its top-left pixel.",
}


def render_json(document):
    text = json.dumps(document, indent=2, ensure_ascii=False)
    # Put each list of numbers on one line.
    return re.sub(r"\[\s*(-?\d+(?:,\s*-?\d+)*)\s*\]",
                  lambda m: "[" + ", ".join(re.split(r",\s*", m.group(1))) + "]", text) + "\n"


README = """\
# Hostile and mistaken image inputs

Small images for tests of what the image readers do with odd, wrong or broken input. Every
file here is written by `scripts/make_hostile_images.py`; regenerate them all (same bytes on
every run) from the repository root with

    python3 scripts/make_hostile_images.py

It needs Python 3 with numpy and Pillow (`pip install numpy pillow`); the PNGs are written by
hand (zlib + struct + crc32), the JPEGs and the WebP by Pillow. `--check-libs` also decodes every
file with the system libpng (simplified API) and TurboJPEG, the libraries Stratum uses, and prints
where they differ from `expected.json`.

`expected.json` lists, for every file, what it is and either the expected 8-bit RGB pixels
(row-major, HWC) or the error category the read should fail with; its `conventions` say exactly
how each number was computed. Pixel pattern P: 8×6, a different RGB triple at every pixel.

| file | what | expected |
| --- | --- | --- |
{rows}
"""


def readme(entries, sizes):
    rows = []
    for e in entries:
        outcome = f"error `{e['error']}`" if "error" in e else f"{e['width']}×{e['height']} RGB"
        what = e["what"].replace("|", "\\|")
        rows.append(f"| `{e['file']}` ({sizes[e['file']]:,} bytes) | {what} | {outcome} |")
    return README.format(rows="\n".join(rows))


def write(files, entries):
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (OUT / name).write_bytes(data)
    for e in entries:
        data = files[e["file"]]
        e["bytes"] = len(data)
        e["sha256"] = hashlib.sha256(data).hexdigest()
    document = {"generator": "scripts/make_hostile_images.py", "conventions": CONVENTIONS,
                "fixtures": entries}
    (OUT / "expected.json").write_text(render_json(document), encoding="utf-8")
    (OUT / "README.md").write_text(readme(entries, {k: len(v) for k, v in files.items()}),
                                   encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Checks


def check_with_pillow(entries):
    """Each decodable file opens in Pillow and gives the expected numbers (through the paths
    Pillow has); each failing file fails in Pillow."""
    problems = []
    for e in entries:
        path = OUT / e["file"]
        name = e["file"]
        if e.get("error") == "too-large":
            # Valid but huge: Pillow warns (decompression bomb) and reads 300 MB of black.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                im = Image.open(path)
                size = im.size
                extrema = im.getextrema()
            if size != (e["declared_width"], e["declared_height"]) or set(extrema) != {(0, 0)}:
                problems.append(f"{name}: size {size}, extrema {extrema}")
            continue
        try:
            im = Image.open(path)
            im.load()
        except Exception as error:  # noqa: BLE001 - any failure counts
            if "error" not in e and name.endswith((".png", ".jpg")):
                problems.append(f"{name}: Pillow cannot open it: {error}")
            continue
        if "error" in e:
            if name.endswith(".webp") or name == "webp-named.png":
                if im.format != "WEBP" or pixels(np.asarray(im.convert("RGB"))) != e[
                        "pixels_if_webp_supported"]:
                    problems.append(f"{name}: not the expected WebP")
            else:
                problems.append(f"{name}: Pillow decoded a file that should fail ({im.size})")
            continue
        if "samples16" in e:
            # Pillow reads 16-bit RGB (and grey + alpha) as 8-bit high bytes, and 16-bit grey exactly.
            if im.mode.startswith("I;16"):
                got = pixels(np.asarray(im))
                want = e["samples16"]
            else:
                got = pixels(np.asarray(im.convert("RGB")))
                want = e["pixels"]
        elif e.get("has_alpha"):
            rgba = np.asarray(im.convert("RGBA"))
            got = pixels(rgba[..., :3]) + pixels(rgba[..., 3])
            want = e["pixels"] + e["alpha"]
        else:
            got, want = pixels(np.asarray(im.convert("RGB"))), e["pixels"]
        if got != want:
            problems.append(f"{name}: Pillow's pixels differ from expected.json")
        if im.size != (e["width"], e["height"]):
            problems.append(f"{name}: size {im.size}")
    return problems


def check_with_system_libs(entries):
    """Decodes like Stratum: libpng's simplified API to PNG_FORMAT_RGB, TurboJPEG to TJPF_RGB.
    Prints each file's outcome against expected.json (informational; never fails the run)."""
    import ctypes
    import ctypes.util

    class PngImage(ctypes.Structure):
        _fields_ = [("opaque", ctypes.c_void_p), ("version", ctypes.c_uint32),
                    ("width", ctypes.c_uint32), ("height", ctypes.c_uint32),
                    ("format", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                    ("colormap_entries", ctypes.c_uint32),
                    ("warning_or_error", ctypes.c_uint32), ("message", ctypes.c_char * 64)]

    png_lib = ctypes.CDLL(ctypes.util.find_library("png16") or "libpng16.so.16")
    tj = ctypes.CDLL(ctypes.util.find_library("turbojpeg") or "libturbojpeg.so.0")
    tj.tjInitDecompress.restype = ctypes.c_void_p
    tj.tjGetErrorStr2.restype = ctypes.c_char_p
    tj.tjGetErrorStr2.argtypes = [ctypes.c_void_p]
    tj.tjDestroy.argtypes = [ctypes.c_void_p]
    tj.tjDecompressHeader3.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_ulong] + [
        ctypes.POINTER(ctypes.c_int)] * 4
    tj.tjDecompress2.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_ulong,
                                 ctypes.c_void_p] + [ctypes.c_int] * 5

    def decode_png(data, fmt=2):  # PNG_FORMAT_RGB; 2 | 4 = 16-bit linear RGB
        image = PngImage(version=1)
        if not png_lib.png_image_begin_read_from_memory(ctypes.byref(image), data, len(data)):
            return f"error: {image.message.decode()}"
        image.format = fmt
        size = image.width * image.height * 3 * (2 if fmt & 4 else 1)
        if size > 400_000_000:
            png_lib.png_image_free(ctypes.byref(image))
            return f"header {image.width}x{image.height}, not decoded"
        out = ctypes.create_string_buffer(size)
        ok = png_lib.png_image_finish_read(ctypes.byref(image), None, out, 0, None)
        png_lib.png_image_free(ctypes.byref(image))
        if not ok:
            return f"error: {image.message.decode()}"
        dtype = np.dtype("=u2") if fmt & 4 else np.uint8
        return (image.width, image.height, np.frombuffer(out.raw, dtype).copy())

    def decode_jpeg(data):
        handle = tj.tjInitDecompress()
        w, h, s, cs = (ctypes.c_int() for _ in range(4))
        try:
            if tj.tjDecompressHeader3(handle, data, len(data), ctypes.byref(w), ctypes.byref(h),
                                      ctypes.byref(s), ctypes.byref(cs)) != 0:
                return f"error: {tj.tjGetErrorStr2(handle).decode()}"
            out = ctypes.create_string_buffer(w.value * h.value * 3)
            if tj.tjDecompress2(handle, data, len(data), out, w.value, 0, h.value, 0, 0) != 0:
                return f"error (colourspace {cs.value}): {tj.tjGetErrorStr2(handle).decode()}"
            return (w.value, h.value, np.frombuffer(out.raw, np.uint8).copy())
        finally:
            tj.tjDestroy(handle)

    for e in entries:
        data = (OUT / e["file"]).read_bytes()
        if data.startswith(SIGNATURE):
            got = decode_png(data)
        elif data[:3] == b"\xff\xd8\xff":
            got = decode_jpeg(data)
        else:
            got = "error: unknown signature (Stratum: unknownFormat)"
        want = f"error {e['error']}" if "error" in e else "pixels"
        if isinstance(got, str):
            print(f"  {e['file']:<20} expected {want:<22} system libs: {got}")
            continue
        w, h, px = got
        if "error" in e:
            print(f"  {e['file']:<20} expected {want:<22} system libs: DECODED {w}x{h}")
            continue
        diff = np.abs(px.astype(np.int64) - np.array(e["pixels"]))
        line = "identical" if diff.max() == 0 else (
            f"DIFFERS in {int((diff > 0).sum())}/{diff.size} values, max {int(diff.max())}")
        if "samples16" in e and data.startswith(SIGNATURE):
            lin = decode_png(data, 2 | 4)
            if not isinstance(lin, str):
                same = np.array_equal(lin[2], np.array(e["samples16"] if lin[2].size == len(
                    e["samples16"]) else np.repeat(e["samples16"], 3)))
                line += f"; 16-bit linear read {'== Q' if same else '!= Q'}"
        print(f"  {e['file']:<20} expected {want:<22} system libs: {line}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check-libs", action="store_true",
                        help="also decode with the system libpng and TurboJPEG and report")
    args = parser.parse_args()
    files, entries = build()
    write(files, entries)
    total = sum(len(v) for v in files.values())
    for name in sorted(files):
        print(f"{len(files[name]):>8}  {name}")
    print(f"{total:>8}  total in {OUT.relative_to(ROOT)} (plus expected.json and README.md)")
    problems = check_with_pillow(entries)
    for p in problems:
        print("PROBLEM:", p, file=sys.stderr)
    if args.check_libs:
        print("System libpng / TurboJPEG, decoding as Stratum does:")
        check_with_system_libs(entries)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
