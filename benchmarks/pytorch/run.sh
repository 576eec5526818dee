#!/usr/bin/env bash
# The PyTorch baseline of the training-step benchmark (sae_step.py) on this machine: Debian's PyTorch 1.13 (python3-torch,
# built against the system BLAS, OpenBLAS once libopenblas0 is installed), 2 threads. Arguments go to sae_step.py
# (--configs, --implementations, --steps, --warmup, --threads).
# OpenBLAS picks its kernel family from the CPU it detects; a virtual CPU may be misdetected (one Xeon here ran as
# "Prescott", an SSE3 kernel), so set OPENBLAS_CORETYPE (SkylakeX for AVX-512, Haswell for AVX2) to give PyTorch the
# kernels the CPU has.
set -euo pipefail
cd "$(dirname "$0")"
if ! /usr/bin/python3 -c "import torch" 2> /dev/null; then
    apt-get update -qq && apt-get install -y -qq python3-torch libopenblas0-pthread > /dev/null
fi
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(detected)}"
exec /usr/bin/python3 sae_step.py "$@"
