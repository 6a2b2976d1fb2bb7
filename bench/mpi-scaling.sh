#!/usr/bin/env bash
# Data-parallel curvature on the same 2 cores: one process with 2 threads against 2 MPI ranks
# with 1 thread each, on the trained ResNet-20 (bench/train_resnet20.py) and the random one
# (bench/make_inputs.py), 2,000 held-out samples in batches of 200. Measures one HVP (the `hvp`
# subcommand, determinism check skipped, so its seconds are loading + one product) on both, and
# top-5 eigenvalues on the trained one, alternating the two set-ups, REPEATS times each (median reported), and the
# time each rank spent in collectives (the JSON's "communication"). The hessian binary picks
# its OpenBLAS kernels itself (Sources/hessian-cli/BLASCore.swift), on every rank.
#
#   bash bench/mpi-scaling.sh [REPEATS] [TOP5_REPEATS]      (defaults 3 and 1)
set -euo pipefail
cd "$(dirname "$0")/.."
REPEATS=${1:-3}
TOP5_REPEATS=${2:-1}
OUT=bench/out/mpi
mkdir -p "$OUT"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
swift build -c release --product hessian >/dev/null
HESSIAN=$(swift build -c release --show-bin-path)/hessian
TRAINED=bench/out/trained
[ -f "$TRAINED/inputs.2000.npy" ] || {
  . bench/venv.sh && "$HESSIANKIT_PYTHON" bench/train_resnet20.py --eval-samples 2000 >/dev/null
}
[ -f bench/out/resnet20.weights.safetensors ] || {
  . bench/venv.sh && "$HESSIANKIT_PYTHON" bench/make_inputs.py >/dev/null
}
python3 - "$OUT/v.npy" <<'PY'
import sys, numpy as np
np.save(sys.argv[1], np.random.default_rng(0).standard_normal(272474).astype(np.float32))
PY

run() {  # name weights mode(threads|ranks) command...
  local name=$1 weights=$2 mode=$3; shift 3
  local common=(--model resnet20 --weights "$weights" --inputs "$TRAINED/inputs.2000.npy"
    --labels "$TRAINED/labels.2000.npy" --batch-size 200 --quiet)
  if [ "$mode" = threads ]; then
    "$HESSIAN" "$@" "${common[@]}" --threads 2
  else
    mpirun -np 2 --bind-to core "$HESSIAN" "$@" "${common[@]}" --threads 1
  fi > "$OUT/$name.json"
  python3 - "$OUT/$name.json" "$name" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
c = d.get("communication", {})
print(f'{sys.argv[2]:40s} {d["seconds"]:8.2f} s  hvps {d.get("hvp_count", 1):4}  '
      f'comm {c.get("seconds", 0):6.2f} s in {c.get("collectives", 0)} collectives, '
      f'{c.get("bytes", 0) / 1e6:.1f} MB  eig {d.get("eigenvalues", "")}')
PY
}

for kind in trained random; do
  if [ $kind = trained ]; then w=$TRAINED/resnet20.trained.safetensors; else w=bench/out/resnet20.weights.safetensors; fi
  for i in $(seq "$REPEATS"); do
    for mode in threads ranks; do
      run "hvp-$kind-$mode-$i" "$w" $mode hvp --vector "$OUT/v.npy" --out "$OUT/hv-$mode.npy" \
        --skip-determinism-check
    done
  done
  [ $kind = trained ] || continue   # top-5 (a few dozen HVPs of 2,000 samples) on the trained model
  for i in $(seq "$TOP5_REPEATS"); do
    for mode in threads ranks; do
      run "top5-$kind-$mode-$i" "$w" $mode eigen --top 5 --skip-determinism-check
    done
  done
done
