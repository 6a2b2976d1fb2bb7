#!/usr/bin/env bash
# Creates (or reuses) the Python virtual environment used by the benchmark and
# fixture-generation scripts. It lives outside the repository: PyTorch from PyPI
# brings CUDA wheels (about 6 GB). The package, its tests and the CLI never need it.
#
# Usage: source bench/venv.sh   (sets HESSIANKIT_PYTHON)
#    or: bench/venv.sh          (prints the interpreter path)
set -euo pipefail
venv="${HESSIANKIT_VENV:-$HOME/.cache/hessiankit/venv}"
stamp="$venv/.hessiankit-ready-v2"
if [ ! -f "$stamp" ]; then
  echo "creating the Python environment in $venv (PyTorch from PyPI, several GB; once)" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip >&2
  "$venv/bin/pip" install --quiet \
    "torch>=2.2" numpy scipy safetensors onnx onnxscript \
    pyhessian==0.1 curvlinops-for-pytorch hessian-eigenthings >&2
  touch "$stamp"
fi
HESSIANKIT_PYTHON="$venv/bin/python"
export HESSIANKIT_PYTHON
if [ "${BASH_SOURCE[0]}" = "$0" ]; then echo "$HESSIANKIT_PYTHON"; fi
