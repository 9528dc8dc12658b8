#!/usr/bin/env bash
# Writes Tests/Fixtures/images/jpeg-sampling/: JPEGs whose sampling factors TurboJPEG 2.1's
# tjDecompressHeader3 cannot name ("Could not determine subsampling type"), which Stratum
# decodes through libjpeg's own API, each with the pixels libjpeg-turbo's djpeg decodes it to
# (binary PPM, the accurate integer IDCT and fancy upsampling: TurboJPEG's defaults), and one
# 4:2:0 file that TurboJPEG decodes itself, for comparing the two paths.
#
#   bash scripts/make_jpeg_sampling_fixtures.sh      (from the repository root)
#
# Needs cjpeg and djpeg (Debian: libjpeg-turbo-progs) and python3. Same bytes on every run with
# the same libjpeg-turbo. With PYTHON=/path/to/python having Pillow, also prints how far
# Pillow's decode of each file is from djpeg's (a check by eye, not stored).
set -euo pipefail
cd "$(dirname "$0")/.."
out=Tests/Fixtures/images/jpeg-sampling
mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# The source: 37×29 (sizes that are no multiple of any MCU), smooth gradients with a sharp edge.
python3 - "$tmp/source.ppm" <<'PY'
import sys
w, h = 37, 29
rows = bytearray()
for y in range(h):
    for x in range(w):
        edge = 200 if (x + 2 * y) % 17 < 8 else 30
        rows += bytes(((x * 7 + y * 3) % 256, (y * 9 + 40) % 256, (edge + x) % 256))
open(sys.argv[1], "wb").write(b"P6\n%d %d\n255\n" % (w, h) + bytes(rows))
PY

# name : cjpeg options (luma first, then Cb and Cr; 1x1 is implied for components not given)
cases=(
  "410:-sample 4x2"
  "1x4:-sample 1x4"
  "3x1:-sample 3x1"
  "mixed-chroma:-sample 2x1,1x2,1x1"
  "chroma-finer:-sample 2x2,2x1,1x1"
  "410-progressive:-sample 4x2 -progressive"
  "420:-sample 2x2"
)
for entry in "${cases[@]}"; do
  name="${entry%%:*}"
  options="${entry#*:}"
  # shellcheck disable=SC2086
  cjpeg -quality 92 $options -outfile "$out/$name.jpg" "$tmp/source.ppm"
  djpeg -dct int -outfile "$out/$name.ppm" "$out/$name.jpg"
done

if [ -n "${PYTHON:-}" ]; then
  "$PYTHON" - "$out" <<'PY'
import sys, pathlib
from PIL import Image
for jpg in sorted(pathlib.Path(sys.argv[1]).glob("*.jpg")):
    ours = Image.open(jpg.with_suffix(".ppm")).tobytes()
    pillow = Image.open(jpg).convert("RGB").tobytes()
    print(f"{jpg.name}: largest difference from Pillow {max(abs(a - b) for a, b in zip(ours, pillow))}")
PY
fi
ls -l "$out"
