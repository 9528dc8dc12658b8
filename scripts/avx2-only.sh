#!/usr/bin/env bash
# Builds scripts/avx2_only.c (a preload library that shows a program an AVX2-only CPU on an
# AVX-512 one) into DIR, checks it, and prints the environment that applies it to a command:
#
#   env="$(bash scripts/avx2-only.sh DIR)" && sh -c "$env python3 …"
#
# Exit status: 0 (printed), 3 (this CPU cannot: no AVX-512 to hide, or no cpuid_fault; the
# reason on stderr), 1 (it did not work: what CPUID showed under it, or a real fault was not
# passed on). scripts/bench.sh uses it for onnxruntime; scripts/test.sh runs it as a check.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:?usage: $0 DIR}"
mkdir -p "$dir"
if ! grep -qw avx512f /proc/cpuinfo; then
    echo "avx2-only: this CPU has no AVX-512 to hide" >&2
    exit 3
fi
if ! grep -qw cpuid_fault /proc/cpuinfo; then
    echo "avx2-only: this CPU (or its hypervisor) cannot make CPUID fault (no cpuid_fault in /proc/cpuinfo)" >&2
    exit 3
fi
# A C compiler: the system's, else the clang that comes with Swift.
c_compiler="${CC:-$(command -v cc || command -v clang)}"
"$c_compiler" -O2 -Wall -Werror -shared -fPIC -o "$dir/avx2_only.so" scripts/avx2_only.c
"$c_compiler" -O2 -Wall -Werror -DAVX2_ONLY_CHECK -o "$dir/avx2_only_check" scripts/avx2_only.c
plain="$("$dir/avx2_only_check")"
seen="$(LD_PRELOAD="$dir/avx2_only.so" "$dir/avx2_only_check")"
if [ "$plain" != "avx512f=1 avx2=1" ] || [ "$seen" != "avx512f=0 avx2=1" ]; then
    echo "avx2-only: CPUID shows '$plain' without the library and '$seen' under it (expected avx512f=0 avx2=1)" >&2
    exit 1
fi
# (Through sh, which reports the crash on its stderr instead of this script's.)
status="$(LD_PRELOAD="$dir/avx2_only.so" sh -c '"$0" crash; echo $?' "$dir/avx2_only_check" 2>/dev/null)"
if [ "$status" != $((128 + 11)) ]; then
    echo "avx2-only: a NULL dereference under the library ended with status $status, not SIGSEGV's 139" >&2
    exit 1
fi
# glibc read CPUID before the library loaded: its own tunables keep its string functions to AVX2.
printf 'LD_PRELOAD=%q GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-AVX512CD,-AVX_VNNI\n' "$dir/avx2_only.so"
