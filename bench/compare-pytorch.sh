#!/usr/bin/env bash
# Times HessianKit's hessian-bench and PyTorch (bench/pytorch_bench.py) on the identical
# ResNet-20 weights and batch (200 CIFAR-sized images, eval mode, cross-entropy mean),
# in the same run, and prints a table: key, ours, PyTorch, ratio ours/PyTorch.
#
# Usage: bench/compare-pytorch.sh
# Environment: SEED (default 0), BATCH (default 200), REPEATS (passed as --repeats to
# both tools when set). Creates the Python venv on first use (bench/venv.sh).
# Outputs go to bench/out/ (gitignored): the problem files, ours.json, pytorch.json.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=bench/venv.sh
source bench/venv.sh   # sets HESSIANKIT_PYTHON, creating the venv if missing
# shellcheck source=bench/openblas-core.sh
source bench/openblas-core.sh

out=bench/out
mkdir -p "$out"
seed="${SEED:-0}"
batch="${BATCH:-200}"
repeat_args=()
if [ -n "${REPEATS:-}" ]; then repeat_args=(--repeats "$REPEATS"); fi

echo "== problem: resnet20, batch $batch, seed $seed -> $out/" >&2
"$HESSIANKIT_PYTHON" bench/make_inputs.py "$out" --seed "$seed" --batch "$batch" >/dev/null
data_args=(--weights "$out/resnet20.weights.safetensors" --inputs "$out/inputs.npy" --labels "$out/labels.npy")

echo "== building hessian-bench (release)" >&2
swift build -c release --product hessian-bench >&2

echo "== HessianKit (hessian-bench)" >&2
"${hessian_bench_env[@]}" swift run -c release --skip-build hessian-bench "${data_args[@]}" ${repeat_args[@]+"${repeat_args[@]}"} > "$out/ours.raw"

echo "== PyTorch (bench/pytorch_bench.py)" >&2
"$HESSIANKIT_PYTHON" bench/pytorch_bench.py "${data_args[@]}" ${repeat_args[@]+"${repeat_args[@]}"} > "$out/pytorch.raw"

"$HESSIANKIT_PYTHON" - "$out/ours.raw" "$out/pytorch.raw" "$out" <<'EOF'
import json, sys

def last_json(path):
    """The last stdout line that is a JSON object (tolerates log lines before it)."""
    for line in reversed(open(path).read().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    sys.exit(f"compare-pytorch: no JSON object in {path}")

ours, theirs = last_json(sys.argv[1]), last_json(sys.argv[2])
for name, obj in (("ours", ours), ("pytorch", theirs)):
    with open(f"{sys.argv[3]}/{name}.json", "w") as fh:
        json.dump(obj, fh, indent=1)

keys = ["forward_s", "gradient_s", "hvp_s", "hvp_block8_s", "peak_rss_bytes"]
missing = [k for k in keys if k not in ours or k not in theirs]
if missing:
    sys.exit(f"compare-pytorch: missing keys {missing}")

def fmt(k, v):
    return f"{v / 2**20:.1f} MiB" if k == "peak_rss_bytes" else f"{v:.4f} s"

print(f"{'key':<16} {'ours':>14} {'pytorch':>14} {'ours/pytorch':>13}")
for k in keys:
    a, b = float(ours[k]), float(theirs[k])
    ratio = f"{a / b:.3f}" if b > 0 else "n/a"
    print(f"{k:<16} {fmt(k, a):>14} {fmt(k, b):>14} {ratio:>13}")
EOF
