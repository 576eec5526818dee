#!/usr/bin/env bash
# OpenBLAS (Debian's libopenblas, pthread build) on the GEMM benchmark's shapes, 2 threads, once per kernel family:
# the core type detected at run time, SkylakeX (AVX-512) and Haswell (AVX2 + FMA). A virtual machine's CPU is not
# always recognised (one Xeon here was detected as "Prescott", an SSE3 kernel), hence the forced core types.
set -euo pipefail
cd "$(dirname "$0")"
if ! [ -e /usr/include/x86_64-linux-gnu/cblas.h ] && ! [ -e /usr/include/cblas.h ]; then
    apt-get update -qq && apt-get install -y -qq libopenblas-dev > /dev/null
fi
out="${TMPDIR:-/tmp}/sparse-dictionary-openblas-sgemm"
cc -O2 -o "$out" sgemm.c -lopenblas
for core in detected SkylakeX Haswell; do
    echo "== core type: $core"
    if [ "$core" = detected ]; then
        OPENBLAS_NUM_THREADS=2 OPENBLAS_VERBOSE=2 "$out"
    else
        OPENBLAS_NUM_THREADS=2 OPENBLAS_VERBOSE=2 OPENBLAS_CORETYPE="$core" "$out"
    fi
done
