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

# The sources: 37×29 (sizes that are no multiple of any MCU) and 96×96 (for the restart
# markers), smooth gradients with a sharp edge.
source() {  # FILE WIDTH HEIGHT
python3 - "$@" <<'PY'
import sys
w, h = int(sys.argv[2]), int(sys.argv[3])
rows = bytearray()
for y in range(h):
    for x in range(w):
        edge = 200 if (x + 2 * y) % 17 < 8 else 30
        rows += bytes(((x * 7 + y * 3) % 256, (y * 9 + 40) % 256, (edge + x) % 256))
open(sys.argv[1], "wb").write(b"P6\n%d %d\n255\n" % (w, h) + bytes(rows))
PY
}
source "$tmp/source.ppm" 37 29
source "$tmp/source-96.ppm" 96 96

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

# Corrupt entropy-coded data that libjpeg reports only as "N extraneous bytes before marker
# 0xd1" (a restart marker): for a 4:2:0 file (TurboJPEG's path) and a 1×4 one (libjpeg's), the
# first single-bit flip in the scan data, from its end, after which djpeg says that and nothing
# else (once or more). Such files must fail; their decode differs from the original's.
for name in 420 1x4; do
  case "$name" in 420) sample=2x2 ;; 1x4) sample=1x4 ;; esac
  cjpeg -quality 92 -sample "$sample" -restart 1 -outfile "$tmp/restart-$name.jpg" "$tmp/source-96.ppm"
  python3 - "$tmp/restart-$name.jpg" "$out/restart-$name-flipped.jpg" <<'PY'
import subprocess, sys
data = open(sys.argv[1], "rb").read()
scan = data.index(b"\xff\xda") + 2 + int.from_bytes(data[data.index(b"\xff\xda") + 2:data.index(b"\xff\xda") + 4], "big")
for position in range(len(data) - 3, scan, -1):
    for bit in range(8):
        candidate = bytearray(data)
        candidate[position] ^= 1 << bit
        if candidate[position] == 0xFF or candidate[position - 1] == 0xFF:
            continue
        said = subprocess.run(["djpeg", "-dct", "int"], input=bytes(candidate), capture_output=True).stderr.decode()
        lines = [line for line in said.splitlines() if line.strip()]
        if lines and all("extraneous bytes before marker 0xd" in line and line.rstrip()[-1] in "01234567" for line in lines):
            open(sys.argv[2], "wb").write(bytes(candidate))
            print(f"{sys.argv[2]}: byte {position} bit {bit}: {lines[0].strip()}")
            raise SystemExit(0)
raise SystemExit(f"{sys.argv[1]}: no single-bit flip gives restart-marker warnings alone")
PY
done

# Stray bytes in the header (before the first DQT segment) of the 4:2:0 and 4:1:0 files: a
# warning, but the pixels are whole, and decode as djpeg decodes them.
for name in 420 410; do
  python3 - "$out/$name.jpg" "$out/header-junk-$name.jpg" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
at = data.index(b"\xff\xdb")
open(sys.argv[2], "wb").write(data[:at] + b"junk!" + data[at:])
PY
  # djpeg exits 2 after a warning.
  status=0
  djpeg -dct int -outfile "$tmp/header-junk-$name.ppm" "$out/header-junk-$name.jpg" 2>/dev/null || status=$?
  [ "$status" -le 2 ] || { echo "djpeg failed on header-junk-$name.jpg" >&2; exit 1; }
  cmp -s "$tmp/header-junk-$name.ppm" "$out/$name.ppm" || { echo "header-junk-$name.jpg decodes unlike $name.jpg" >&2; exit 1; }
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
