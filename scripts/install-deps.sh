#!/usr/bin/env bash
# Installs the Debian packages Stratum needs, only those missing. Safe to run again.
# Extra package names given as arguments are installed too (the tests add chromium).
set -euo pipefail

# binutils: nm, for scripts/check-simd-symbols.sh (Swift needs it anyway).
packages=(libpng-dev libturbojpeg0-dev libjpeg62-turbo-dev libsqlite3-dev libopenblas0-pthread gnuplot-nox fonts-dejavu-core pkg-config binutils "$@")
# The reference plugins and the plugin tests run Python 3 with numpy.
if ! python3 -c "import numpy" >/dev/null 2>&1; then
    packages+=(python3 python3-numpy)
fi
missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if ((${#missing[@]})); then
    echo "installing Debian packages: ${missing[*]}" >&2
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
    for candidate in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
        if [ -x "$candidate/swift" ]; then echo "swift is at $candidate; add it to PATH" >&2; fi
    done
    echo "error: swift (6.0 or later) is not on PATH" >&2
    exit 1
fi
