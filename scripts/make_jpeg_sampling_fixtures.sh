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

# Stray bytes before markers after the header, as webcams and scanners write them (Logitech
# MJPEG frames pad before restart markers): a 96×96 4:2:0 file (TurboJPEG's path) and a 1×4 one
# (libjpeg's) with a restart marker every MCU row and 17 bytes before each (more than the
# decoder reads ahead), and a progressive 4:2:0 file with 2 bytes before each scan after the first. libjpeg warns ("extraneous bytes
# before marker"); the pixels are the unpadded file's (`NAME.ppm` holds them), as Pillow gives.
for name in 420 1x4 progressive; do
  case "$name" in
    420) options="-sample 2x2 -restart 1" ;;
    1x4) options="-sample 1x4 -restart 1" ;;
    progressive) options="-sample 2x2 -progressive" ;;
  esac
  # shellcheck disable=SC2086
  cjpeg -quality 92 $options -outfile "$tmp/padded-$name.jpg" "$tmp/source-96.ppm"
  djpeg -dct int -outfile "$out/padded-$name.ppm" "$tmp/padded-$name.jpg"
  python3 - "$tmp/padded-$name.jpg" "$out/padded-$name.jpg" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
first_scan = data.index(b"\xff\xda")
out, i = bytearray(data[:first_scan + 2]), first_scan + 2
while i < len(data):
    if data[i] == 0xFF and i + 1 < len(data):
        marker = data[i + 1]
        if 0xD0 <= marker <= 0xD7:
            out += bytes(range(0x11, 0x11 + 17))
        elif marker in (0xC4, 0xDA):
            out += b"\x44\x55"
    out.append(data[i])
    i += 1
open(sys.argv[2], "wb").write(bytes(out))
PY
  status=0
  djpeg -dct int -outfile "$tmp/padded-$name.ppm" "$out/padded-$name.jpg" 2>"$tmp/padded-$name.err" || status=$?
  [ "$status" -eq 2 ] && grep -q "extraneous bytes before marker" "$tmp/padded-$name.err" || { echo "padded-$name.jpg: djpeg did not warn of stray bytes" >&2; exit 1; }
  cmp -s "$tmp/padded-$name.ppm" "$out/padded-$name.ppm" || { echo "padded-$name.jpg decodes unlike the unpadded file" >&2; exit 1; }
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
